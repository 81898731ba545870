package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Token types for the JOSE "typ" header.
const (
	// TypeAccessToken is the typ of access tokens (RFC 9068).
	TypeAccessToken = "at+jwt"
	// TypeIDToken is the typ of OpenID Connect id tokens.
	TypeIDToken = "JWT"
)

// Claims are the claims of an access token, id token or client assertion.
// Zero values are omitted when signing and mean "absent" after verifying.
// Times have one-second precision on the wire and come back in UTC.
type Claims struct {
	Issuer    string    // iss
	Subject   string    // sub
	Audience  []string  // aud: a string when there is one, else an array
	ExpiresAt time.Time // exp, required
	NotBefore time.Time // nbf
	IssuedAt  time.Time // iat
	ID        string    // jti
	Scope     string    // scope, space separated (see package scope)
	ClientID  string    // client_id
	FHIRUser  string    // fhirUser, e.g. "Practitioner/123"
	Patient   string    // patient, the launch context patient id
	Encounter string    // encounter, the launch context encounter id
	Nonce     string    // nonce (id tokens)

	// Type is the JOSE "typ" header, not a claim: TypeAccessToken or
	// TypeIDToken. Sign uses TypeAccessToken when it is empty; Verify
	// fills it in.
	Type string

	// Extra holds any other claim. Sign refuses names of the claims
	// above. After Verify, JSON numbers in Extra are float64 values
	// (standard encoding/json decoding).
	Extra map[string]any
}

// registered lists the claim names Claims has fields for.
var registered = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
	"scope": true, "client_id": true, "fhirUser": true, "patient": true, "encounter": true, "nonce": true,
}

// maxUnix bounds accepted NumericDate values (year 10000) so that huge
// numbers cannot overflow time arithmetic.
const maxUnix = 253402300800

// encodeClaims returns the JSON payload for c.
func encodeClaims(c Claims) ([]byte, error) {
	m := make(map[string]any, len(c.Extra)+13)
	for k, v := range c.Extra {
		if registered[k] {
			return nil, fmt.Errorf("Extra claim %q duplicates a Claims field", k)
		}
		m[k] = v
	}
	str := func(name, v string) {
		if v != "" {
			m[name] = v
		}
	}
	date := func(name string, t time.Time) {
		if !t.IsZero() {
			m[name] = t.Unix()
		}
	}
	str("iss", c.Issuer)
	str("sub", c.Subject)
	switch len(c.Audience) {
	case 0:
	case 1:
		m["aud"] = c.Audience[0]
	default:
		m["aud"] = c.Audience
	}
	date("exp", c.ExpiresAt)
	date("nbf", c.NotBefore)
	date("iat", c.IssuedAt)
	str("jti", c.ID)
	str("scope", c.Scope)
	str("client_id", c.ClientID)
	str("fhirUser", c.FHIRUser)
	str("patient", c.Patient)
	str("encounter", c.Encounter)
	str("nonce", c.Nonce)
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding claims: %w", err)
	}
	return b, nil
}

// decodeClaims parses a JWT payload. Registered claims must have their
// JSON types (null counts as absent); errors do not quote values.
func decodeClaims(b []byte) (Claims, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return Claims{}, errors.New("claims are not a JSON object")
	}
	var c Claims
	strs := []struct {
		name string
		dst  *string
	}{
		{"iss", &c.Issuer}, {"sub", &c.Subject}, {"jti", &c.ID}, {"scope", &c.Scope},
		{"client_id", &c.ClientID}, {"fhirUser", &c.FHIRUser}, {"patient", &c.Patient},
		{"encounter", &c.Encounter}, {"nonce", &c.Nonce},
	}
	for _, s := range strs {
		if v, ok := raw[s.name]; ok {
			if err := json.Unmarshal(v, s.dst); err != nil {
				return Claims{}, fmt.Errorf("claim %s is not a string", s.name)
			}
		}
	}
	dates := []struct {
		name string
		dst  *time.Time
	}{{"exp", &c.ExpiresAt}, {"nbf", &c.NotBefore}, {"iat", &c.IssuedAt}}
	for _, d := range dates {
		v, ok := raw[d.name]
		if !ok {
			continue
		}
		var f *float64
		if err := json.Unmarshal(v, &f); err != nil {
			return Claims{}, fmt.Errorf("claim %s is not a number", d.name)
		}
		if f == nil {
			continue
		}
		if math.IsNaN(*f) || *f < 0 || *f >= maxUnix {
			return Claims{}, fmt.Errorf("claim %s is out of range", d.name)
		}
		sec, frac := math.Modf(*f)
		*d.dst = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	if v, ok := raw["aud"]; ok {
		aud, err := decodeAudience(v)
		if err != nil {
			return Claims{}, err
		}
		c.Audience = aud
	}
	for k, v := range raw {
		if registered[k] {
			continue
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return Claims{}, errors.New("claims are not valid JSON")
		}
		if c.Extra == nil {
			c.Extra = map[string]any{}
		}
		c.Extra[k] = x
	}
	return c, nil
}

// decodeAudience accepts a string, an array of strings or null.
func decodeAudience(v json.RawMessage) ([]string, error) {
	var one *string
	if err := json.Unmarshal(v, &one); err == nil {
		if one == nil || *one == "" {
			return nil, nil
		}
		return []string{*one}, nil
	}
	var many []string
	if err := json.Unmarshal(v, &many); err != nil {
		return nil, errors.New("claim aud is not a string or an array of strings")
	}
	return many, nil
}

// hasAudience reports whether aud contains want.
func hasAudience(aud []string, want string) bool {
	for _, a := range aud {
		if a == want {
			return true
		}
	}
	return false
}
