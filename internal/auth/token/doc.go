// Package token signs and verifies the JWTs of Housecall's OAuth2 / SMART
// on FHIR authorization server: access tokens (typ "at+jwt", RFC 9068),
// OpenID Connect id tokens (typ "JWT"), and the client assertions that
// SMART Backend Services clients present (RFC 7523 private_key_jwt).
//
// The server's own tokens are RS256 with RSA 2048 keys held in a KeySet:
// RS256 is the OpenID Connect default, so id tokens verify with any client
// library. Keys rotate (MaybeRotate) and a retired key keeps verifying for
// a grace period (Retain) so that tokens signed just before a rotation stay
// valid; JWKS publishes exactly the keys that still verify. Export and
// ImportKeySet move the private keys to and from storage; encrypting them
// at rest is the caller's job.
//
// Verification is strict on purpose: the algorithm comes from a fixed list
// and never from the token (no "none", no HMAC keyed with a public key),
// every segment must be canonical base64url, exp is required, and each
// failure maps to one exported sentinel error so the HTTP layer can choose
// the OAuth error without parsing messages. Error messages never contain
// the token or claim values.
//
// There is deliberately no way to read claims without verifying them,
// except PeekClientID, which reads the issuer of a client assertion so the
// caller can find the client's keys before verifying it.
package token
