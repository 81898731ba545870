package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// maxTokenLen bounds the work done on untrusted input.
const maxTokenLen = 64 << 10

var b64 = base64.RawURLEncoding.Strict()

// header is the JOSE header of a compact JWS, as far as we use it.
type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// compact is a structurally valid, not yet verified compact JWS.
type compact struct {
	raw     string
	header  header
	payload []byte
}

// parseCompact checks the structure of a compact JWS: three segments of
// canonical base64url (so that no two strings verify as the same token),
// a JSON object header without "crit" (hence no unencoded payloads) and a
// payload. Errors are plain reasons; callers wrap ErrMalformed.
func parseCompact(tok string) (compact, error) {
	if len(tok) > maxTokenLen {
		return compact{}, errors.New("token too long")
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return compact{}, errors.New("token contains a character outside base64url")
		}
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return compact{}, errors.New("token is not three dot-separated segments")
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return compact{}, errors.New("header is not base64url")
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return compact{}, errors.New("payload is not base64url")
	}
	if _, err := b64.DecodeString(parts[2]); err != nil {
		return compact{}, errors.New("signature is not base64url")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(hb, &fields); err != nil || fields == nil {
		return compact{}, errors.New("header is not a JSON object")
	}
	if _, ok := fields["crit"]; ok {
		return compact{}, errors.New("critical header parameters are not supported")
	}
	if _, ok := fields["b64"]; ok {
		return compact{}, errors.New("unencoded payloads are not supported")
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil {
		return compact{}, errors.New("header alg, kid or typ is not a string")
	}
	if h.Alg == "" {
		return compact{}, errors.New("header has no alg")
	}
	return compact{raw: tok, header: h, payload: payload}, nil
}

// verifyWith checks the signature of c with key using algorithm alg, which
// the caller has already matched against its allow list. It returns
// ErrSignature or ErrMalformed wrapped.
func (c compact) verifyWith(alg jose.SignatureAlgorithm, key any) error {
	jws, err := jose.ParseSignedCompact(c.raw, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return fmt.Errorf("%w: %s", ErrMalformed, "cannot parse JWS")
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return fmt.Errorf("%w: signature does not verify", ErrSignature)
	}
	if !bytes.Equal(payload, c.payload) {
		// Cannot happen with the checks in parseCompact; kept so that the
		// claims we decode are always the bytes that were verified.
		return fmt.Errorf("%w: verified payload differs", ErrMalformed)
	}
	return nil
}

// typeMatches compares typ header values as RFC 7515 section 4.1.9 says:
// case-insensitively, with an optional "application/" prefix.
func typeMatches(got, want string) bool {
	norm := func(s string) string {
		s = strings.ToLower(s)
		return strings.TrimPrefix(s, "application/")
	}
	return norm(got) == norm(want)
}
