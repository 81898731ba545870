// Package signal defines the JSON signalling protocol spoken on the /rtc
// WebSocket between a client (the JavaScript SDK or a pion test client) and
// the media server: the wire types, their validation and the version field.
//
// Why a package of its own: the protocol is a public contract (documented in
// docs/signalling.md) that outlives any one server implementation, it faces
// the network and is therefore fuzzed, and keeping it free of pion and of
// the SFU's internals lets clients and tests depend on it alone.
//
// Every message is one JSON object (one WebSocket text frame):
//
//	{"v": 1, "type": "offer", "id": "c7", "data": {"sdp": "v=0..."}}
//
// "v" is the protocol version (Version); a message with another version is
// refused with ErrUnsupportedVersion so that incompatible clients fail
// loudly instead of half-working. "id" is an optional correlation id chosen
// by the sender and echoed in the "ref" of an error that answers it. "data"
// holds the payload whose Go type depends on "type" (see Decode). Unknown
// fields inside "data" are ignored so that minor additions stay compatible;
// unknown types, wrong JSON types and out-of-range values are errors.
package signal
