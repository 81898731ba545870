package token

import (
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Verifier says what Verify expects of a token.
type Verifier struct {
	// Issuer must equal iss. Required.
	Issuer string
	// Audience must be one of the aud values. Required.
	Audience string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Leeway tolerates clock skew on exp, nbf and iat; zero means none.
	Leeway time.Duration
	// Type is the expected typ header; empty means TypeAccessToken. Use
	// TypeIDToken to verify an id token (e.g. an id_token_hint).
	Type string
}

// Verify checks a token signed by this KeySet and returns its claims, with
// Claims.Type set from the header. The checks, in order, and the error
// each one wraps:
//
//   - structure, canonical base64url, JSON header: ErrMalformed;
//   - alg is RS256 (so never none or HS*), kid names a key of this set
//     that is current or retired less than Retain ago, signature verifies:
//     ErrSignature;
//   - typ matches v.Type: ErrType;
//   - claims are a JSON object with well-typed registered claims and an
//     exp: ErrMalformed;
//   - iss: ErrIssuer; aud: ErrAudience;
//   - now >= exp + leeway: ErrExpired; now + leeway < nbf or iat:
//     ErrNotYetValid.
func (ks *KeySet) Verify(tok string, v Verifier) (Claims, error) {
	if v.Issuer == "" || v.Audience == "" {
		return Claims{}, errors.New("token: verify: Verifier needs Issuer and Audience")
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	want := v.Type
	if want == "" {
		want = TypeAccessToken
	}
	c, err := parseCompact(tok)
	if err != nil {
		return Claims{}, fmt.Errorf("token: verify: %w: %s", ErrMalformed, err)
	}
	if c.header.Alg != string(jose.RS256) {
		return Claims{}, fmt.Errorf("token: verify: %w: algorithm not accepted", ErrSignature)
	}
	pub, ok := ks.lookup(c.header.Kid)
	if !ok {
		return Claims{}, fmt.Errorf("token: verify: %w: unknown or expired key id", ErrSignature)
	}
	if err := c.verifyWith(jose.RS256, pub); err != nil {
		return Claims{}, fmt.Errorf("token: verify: %w", err)
	}
	if !typeMatches(c.header.Typ, want) {
		return Claims{}, fmt.Errorf("token: verify: %w: want %q", ErrType, want)
	}
	claims, err := decodeClaims(c.payload)
	if err != nil {
		return Claims{}, fmt.Errorf("token: verify: %w: %s", ErrMalformed, err)
	}
	claims.Type = c.header.Typ
	if claims.ExpiresAt.IsZero() {
		return Claims{}, fmt.Errorf("token: verify: %w: no exp claim", ErrMalformed)
	}
	if claims.Issuer != v.Issuer {
		return Claims{}, fmt.Errorf("token: verify: %w", ErrIssuer)
	}
	if !hasAudience(claims.Audience, v.Audience) {
		return Claims{}, fmt.Errorf("token: verify: %w", ErrAudience)
	}
	if err := checkTimes(claims, now(), v.Leeway); err != nil {
		return Claims{}, fmt.Errorf("token: verify: %w", err)
	}
	return claims, nil
}

// checkTimes applies exp, nbf and iat with leeway.
func checkTimes(c Claims, now time.Time, leeway time.Duration) error {
	if !now.Before(c.ExpiresAt.Add(leeway)) {
		return ErrExpired
	}
	if !c.NotBefore.IsZero() && now.Add(leeway).Before(c.NotBefore) {
		return fmt.Errorf("%w: nbf", ErrNotYetValid)
	}
	if !c.IssuedAt.IsZero() && now.Add(leeway).Before(c.IssuedAt) {
		return fmt.Errorf("%w: iat", ErrNotYetValid)
	}
	return nil
}
