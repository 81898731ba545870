package token

import "errors"

// Sentinel errors. Verify and VerifyClientAssertion wrap exactly one of
// them (use errors.Is); the wrapping message adds context but never token
// contents.
var (
	// ErrMalformed: not a compact JWS, bad base64url or JSON, a required
	// claim (exp; jti for assertions) or header (kid for assertions) is
	// missing or has the wrong type.
	ErrMalformed = errors.New("malformed token")
	// ErrSignature: the signature does not verify, the key is unknown or
	// no longer valid, or the algorithm is not accepted (none, HS*, ...).
	ErrSignature = errors.New("invalid token signature")
	// ErrExpired: exp is in the past (beyond the leeway).
	ErrExpired = errors.New("token expired")
	// ErrNotYetValid: nbf or iat is in the future (beyond the leeway).
	ErrNotYetValid = errors.New("token not yet valid")
	// ErrAudience: aud does not contain the expected audience.
	ErrAudience = errors.New("token audience mismatch")
	// ErrIssuer: iss is not the expected issuer (for assertions: iss or
	// sub is not the client id).
	ErrIssuer = errors.New("token issuer mismatch")
	// ErrType: the typ header is not the expected one (an id token
	// presented as an access token, or the reverse).
	ErrType = errors.New("token type mismatch")
	// ErrLifetime: a client assertion expires too far in the future.
	ErrLifetime = errors.New("client assertion lifetime too long")
	// ErrClientKeys: the client's JWKS document cannot be parsed. This is
	// a problem with the client's registration, not with the assertion.
	ErrClientKeys = errors.New("invalid client JWKS")
	// ErrKeySet: an exported key set document is invalid (ImportKeySet).
	ErrKeySet = errors.New("invalid key set")
)
