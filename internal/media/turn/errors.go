package turn

import "errors"

// Errors callers branch on.
var (
	// ErrMalformedUsername: a TURN username that is not "<unix expiry>[:<user id>]".
	ErrMalformedUsername = errors.New("turn: malformed TURN REST username")
	// ErrCredentialsExpired: a TURN REST username whose expiry has passed.
	ErrCredentialsExpired = errors.New("turn: credentials expired")
	// ErrInvalidOptions: New was given an unusable configuration.
	ErrInvalidOptions = errors.New("turn: invalid options")
	// ErrPeerDenied: the relay refused to send to a peer in a denied range.
	ErrPeerDenied = errors.New("turn: peer address denied")
	// ErrTCPRelayUnsupported: a client asked for an RFC 6062 TCP relay.
	ErrTCPRelayUnsupported = errors.New("turn: TCP relay allocations are not supported")
)
