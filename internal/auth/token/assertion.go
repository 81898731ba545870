package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DefaultMaxAssertionLifetime is the SMART Backend Services limit on how
// far in the future a client assertion may expire.
const DefaultMaxAssertionLifetime = 5 * time.Minute

// AssertionVerifier says what VerifyClientAssertion expects.
type AssertionVerifier struct {
	// ClientID must equal both iss and sub. Required.
	ClientID string
	// TokenURL, the token endpoint URL, must be one of the aud values.
	// Required.
	TokenURL string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Leeway tolerates clock skew on exp, nbf and iat; zero means none.
	Leeway time.Duration
	// MaxLifetime bounds exp - now; zero means DefaultMaxAssertionLifetime.
	MaxLifetime time.Duration
}

// assertionAlgs are the accepted client assertion algorithms: RS384 and
// ES384 are the ones SMART Backend Services requires servers to support;
// RS256 and ES256 are accepted too because common client libraries use
// them.
var assertionAlgs = map[string]jose.SignatureAlgorithm{
	"RS384": jose.RS384, "ES384": jose.ES384, "RS256": jose.RS256, "ES256": jose.ES256,
}

// VerifyClientAssertion verifies a private_key_jwt client assertion
// (RFC 7523, SMART Backend Services) against the client's registered
// public keys, given as a JWKS document. The rules and their errors:
//
//   - structure as in Verify, plus a kid header (ErrMalformed);
//   - alg RS384, ES384, RS256 or ES256, and a key of clientJWKS with that
//     kid, of the matching type (RSA of at least 2048 bits; EC P-384 for
//     ES384, P-256 for ES256), whose own alg and use, if set, agree, and
//     with which the signature verifies (ErrSignature); a JWKS that cannot
//     be parsed is ErrClientKeys; symmetric keys in it are never used;
//   - iss == sub == v.ClientID (ErrIssuer); aud contains v.TokenURL (an
//     array is accepted, as RFC 7523 allows) (ErrAudience);
//   - exp and jti present (ErrMalformed); exp not passed (ErrExpired);
//     exp at most MaxLifetime (5 minutes) after now, plus leeway
//     (ErrLifetime); nbf and iat not in the future (ErrNotYetValid).
//
// The typ header is not checked: clients differ.
//
// Replay protection is the CALLER's job: after success, record the
// returned Claims.ID (jti) for this client until Claims.ExpiresAt and
// reject an assertion whose jti is already recorded.
func VerifyClientAssertion(assertion string, clientJWKS []byte, v AssertionVerifier) (Claims, error) {
	if v.ClientID == "" || v.TokenURL == "" {
		return Claims{}, errors.New("token: client assertion: AssertionVerifier needs ClientID and TokenURL")
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	maxLife := v.MaxLifetime
	if maxLife <= 0 {
		maxLife = DefaultMaxAssertionLifetime
	}
	c, err := parseCompact(assertion)
	if err != nil {
		return Claims{}, fmt.Errorf("token: client assertion: %w: %s", ErrMalformed, err)
	}
	alg, ok := assertionAlgs[c.header.Alg]
	if !ok {
		return Claims{}, fmt.Errorf("token: client assertion: %w: algorithm not accepted", ErrSignature)
	}
	if c.header.Kid == "" {
		return Claims{}, fmt.Errorf("token: client assertion: %w: no kid header", ErrMalformed)
	}
	keys, err := clientKeys(clientJWKS, c.header.Kid, alg)
	if err != nil {
		return Claims{}, fmt.Errorf("token: client assertion: %w", err)
	}
	if len(keys) == 0 {
		return Claims{}, fmt.Errorf("token: client assertion: %w: no matching client key", ErrSignature)
	}
	verified := false
	for _, k := range keys {
		err = c.verifyWith(alg, k)
		if err == nil {
			verified = true
			break
		}
		if !errors.Is(err, ErrSignature) {
			return Claims{}, fmt.Errorf("token: client assertion: %w", err)
		}
	}
	if !verified {
		return Claims{}, fmt.Errorf("token: client assertion: %w", err)
	}
	claims, err := decodeClaims(c.payload)
	if err != nil {
		return Claims{}, fmt.Errorf("token: client assertion: %w: %s", ErrMalformed, err)
	}
	claims.Type = c.header.Typ
	switch {
	case claims.Issuer != v.ClientID:
		return Claims{}, fmt.Errorf("token: client assertion: %w: iss is not the client id", ErrIssuer)
	case claims.Subject != v.ClientID:
		return Claims{}, fmt.Errorf("token: client assertion: %w: sub is not the client id", ErrIssuer)
	case !hasAudience(claims.Audience, v.TokenURL):
		return Claims{}, fmt.Errorf("token: client assertion: %w", ErrAudience)
	case claims.ExpiresAt.IsZero():
		return Claims{}, fmt.Errorf("token: client assertion: %w: no exp claim", ErrMalformed)
	case claims.ID == "":
		return Claims{}, fmt.Errorf("token: client assertion: %w: no jti claim", ErrMalformed)
	}
	t := now()
	if err := checkTimes(claims, t, v.Leeway); err != nil {
		return Claims{}, fmt.Errorf("token: client assertion: %w", err)
	}
	if claims.ExpiresAt.After(t.Add(maxLife + v.Leeway)) {
		return Claims{}, fmt.Errorf("token: client assertion: %w: exp more than %s ahead", ErrLifetime, maxLife)
	}
	return claims, nil
}

// clientKeys returns the public keys of jwks with this kid that suit alg.
// Keys the JSON Web Key parser does not understand are skipped, so that
// one exotic key does not lock a client out.
func clientKeys(jwks []byte, kid string, alg jose.SignatureAlgorithm) ([]any, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &doc); err != nil {
		return nil, fmt.Errorf("%w: not a JWKS document", ErrClientKeys)
	}
	var out []any
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil || k.KeyID != kid || !k.Valid() {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != string(alg) {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if pub := suitable(k.Public().Key, alg); pub != nil {
			out = append(out, pub)
		}
	}
	return out, nil
}

// suitable returns key if it is a public key of the type and size alg
// needs, nil otherwise.
func suitable(key any, alg jose.SignatureAlgorithm) any {
	switch alg {
	case jose.RS256, jose.RS384:
		if k, ok := key.(*rsa.PublicKey); ok && k.N.BitLen() >= rsaBits {
			return k
		}
	case jose.ES256, jose.ES384:
		curve := elliptic.P256()
		if alg == jose.ES384 {
			curve = elliptic.P384()
		}
		if k, ok := key.(*ecdsa.PublicKey); ok && k.Curve == curve {
			return k
		}
	}
	return nil
}

// PeekClientID returns the iss claim of a client assertion WITHOUT
// verifying anything, so that the token endpoint can look up the client
// and its JWKS before calling VerifyClientAssertion. Its output is
// untrusted: use it only as a lookup key, and always verify afterwards.
func PeekClientID(assertion string) (string, error) {
	c, err := parseCompact(assertion)
	if err != nil {
		return "", fmt.Errorf("token: client assertion: %w: %s", ErrMalformed, err)
	}
	var p struct {
		Iss any `json:"iss"`
	}
	if err := json.Unmarshal(c.payload, &p); err != nil {
		return "", fmt.Errorf("token: client assertion: %w: claims are not a JSON object", ErrMalformed)
	}
	iss, ok := p.Iss.(string)
	if !ok || iss == "" {
		return "", fmt.Errorf("token: client assertion: %w: no iss claim", ErrMalformed)
	}
	return iss, nil
}
