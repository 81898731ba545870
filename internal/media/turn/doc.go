// Package turn runs Housecall's embedded TURN server (RFC 5766/8656 over UDP,
// TCP and TLS) and issues the ephemeral credentials clients use with it.
//
// Why: a video visit must work for a patient behind a corporate firewall or
// a symmetric NAT, where direct ICE to the SFU fails. TURN relays the media
// through a port the network allows (3478/udp, 3478/tcp, or TURNS on
// 443/5349 that looks like HTTPS). Embedding it keeps a small clinic's
// deployment to one binary; larger deployments point clients at an external
// coturn cluster instead, which is why credentials follow coturn's
// `use-auth-secret` scheme (the "TURN REST API" of
// draft-uberti-behave-turn-rest) exactly:
//
//	username = "<unix expiry>:<user id>"
//	password = base64(HMAC-SHA1(shared secret, username))
//
// Housecall hands such a pair to a client that has joined a visit; any TURN
// server that knows the shared secret can verify it without shared state or
// a database, and the pair stops working at the expiry.
//
// Verification happens in the server's AuthHandler: the expiry is parsed
// and must not be in the past (Options.Now), the password is recomputed from
// the secret, and the long-term key MD5(username:realm:password) is returned
// to pion/turn, which checks the request's MESSAGE-INTEGRITY with
// hmac.Equal (constant time). The client never sends the password itself.
//
// Relaying is restricted (Options.DenyPeers, DefaultDenyPeers): by default
// the relay refuses permissions and channel bindings towards loopback,
// private, link-local (cloud metadata at 169.254.169.254), CGNAT, multicast
// and other special-purpose ranges. A TURN server is a proxy that anyone
// holding a credential — every patient of a visit — can steer; without this
// filter it would reach the database, the metadata service or any other host
// on the server's own network. Tests set Options.AllowLoopbackPeers to relay
// between clients on 127.0.0.1; deployments whose SFU sits on a private
// address list that address in Options.AllowPeers.
//
// Relays over TCP towards peers (RFC 6062, REQUESTED-TRANSPORT=TCP) are
// refused: browsers never ask for them and they would widen the proxy.
// Clients may still reach the server over TCP or TLS; the relay towards the
// peer is always UDP.
//
// Credentials never appear in logs: pion's debug and trace output (which
// can quote usernames) is dropped, and this package logs neither usernames
// nor passwords.
package turn
