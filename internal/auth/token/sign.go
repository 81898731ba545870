package token

import (
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// Sign signs c with the current key (RS256, header kid and typ = c.Type,
// TypeAccessToken when empty) and returns the compact JWT.
//
// Issuer, a non-empty Audience and ExpiresAt are required because Verify
// requires them. Sign fills in nothing else: the caller sets IssuedAt, ID
// and the rest.
func (ks *KeySet) Sign(c Claims) (string, error) {
	switch {
	case c.Issuer == "":
		return "", errors.New("token: sign: Issuer is required")
	case len(c.Audience) == 0:
		return "", errors.New("token: sign: Audience is required")
	case c.ExpiresAt.IsZero():
		return "", errors.New("token: sign: ExpiresAt is required")
	}
	typ := c.Type
	if typ == "" {
		typ = TypeAccessToken
	}
	payload, err := encodeClaims(c)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	k := ks.current()
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)),
	)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return out, nil
}
