package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk)
	full := Claims{
		Issuer:    testIssuer,
		Subject:   "Practitioner/7",
		Audience:  []string{testAudience, "https://other.example"},
		ExpiresAt: t0.Add(time.Hour),
		NotBefore: t0.Add(-time.Minute),
		IssuedAt:  t0,
		ID:        "jti-42",
		Scope:     "openid fhirUser launch/patient patient/*.rs",
		ClientID:  "app-1",
		FHIRUser:  "https://housecall.example/fhir/Practitioner/7",
		Patient:   "pat-1",
		Encounter: "enc-1",
		Type:      TypeAccessToken,
		Extra:     map[string]any{"grants": []any{"visit:1"}, "n": 1.5},
	}
	idTok := Claims{
		Issuer:    testIssuer,
		Subject:   "user-1",
		Audience:  []string{testAudience},
		ExpiresAt: t0.Add(time.Hour),
		IssuedAt:  t0,
		Nonce:     "n-0S6_WzA2Mj",
		Type:      TypeIDToken,
	}
	tests := []struct {
		name string
		in   Claims
		v    string // Verifier.Type
	}{
		{"access token, all claims", full, ""},
		{"access token, explicit type", full, TypeAccessToken},
		{"id token", idTok, TypeIDToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mustSign(t, ks, tt.in)
			v := verifier(clk)
			v.Type = tt.v
			got, err := ks.Verify(tok, v)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Fatalf("claims differ:\n got %+v\nwant %+v", got, tt.in)
			}
		})
	}
}

func TestSignDefaultsAndHeader(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk)
	c := accessClaims()
	tok := mustSign(t, ks, c)
	hb, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(hb, &h); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"alg": "RS256", "kid": ks.CurrentKeyID(), "typ": "at+jwt"}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("header = %v, want %v", h, want)
	}
	pb, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	var p map[string]any
	if err := json.Unmarshal(pb, &p); err != nil {
		t.Fatal(err)
	}
	if p["aud"] != testAudience {
		t.Errorf("single audience encoded as %v, want a string", p["aud"])
	}
	if p["exp"] != float64(t0.Add(time.Hour).Unix()) {
		t.Errorf("exp = %v", p["exp"])
	}
	for _, absent := range []string{"nbf", "nonce", "patient", "typ"} {
		if _, ok := p[absent]; ok {
			t.Errorf("empty claim %q was encoded", absent)
		}
	}
}

func TestSignRequires(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk)
	tests := []struct {
		name   string
		change func(*Claims)
	}{
		{"issuer", func(c *Claims) { c.Issuer = "" }},
		{"audience", func(c *Claims) { c.Audience = nil }},
		{"exp", func(c *Claims) { c.ExpiresAt = time.Time{} }},
		{"extra shadows registered", func(c *Claims) { c.Extra = map[string]any{"sub": "x"} }},
		{"extra not JSON", func(c *Claims) { c.Extra = map[string]any{"f": func() {}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := accessClaims()
			tt.change(&c)
			if tok, err := ks.Sign(c); err == nil {
				t.Fatalf("Sign succeeded: %s", tok)
			}
		})
	}
}

func TestVerifyErrors(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk)
	other := newKeySet(t, clk)
	good := mustSign(t, ks, accessClaims())
	with := func(change func(*Claims)) string {
		c := accessClaims()
		change(&c)
		return mustSign(t, ks, c)
	}
	goodPayload := strings.Split(good, ".")[1]
	tampered := func() string {
		c := accessClaims()
		c.Subject = "admin"
		b, _ := encodeClaims(c)
		return replaceSegment(good, 1, seg(b))
	}()
	otherKeyOurKid := func() string {
		// Signed by another key but claiming our kid.
		b, _ := encodeClaims(accessClaims())
		tok := signRaw(t, other, b, TypeAccessToken)
		hdr := jsonSeg(t, map[string]string{"alg": "RS256", "kid": ks.CurrentKeyID(), "typ": "at+jwt"})
		return replaceSegment(tok, 0, hdr)
	}()
	claimsJSON, _ := encodeClaims(accessClaims())
	none := jsonSeg(t, map[string]string{"alg": "none", "typ": "at+jwt", "kid": ks.CurrentKeyID()}) + "." + goodPayload + "."
	noExp, _ := json.Marshal(map[string]any{"iss": testIssuer, "aud": testAudience})
	badExp, _ := json.Marshal(map[string]any{"iss": testIssuer, "aud": testAudience, "exp": "tomorrow"})
	hugeExp, _ := json.Marshal(map[string]any{"iss": testIssuer, "aud": testAudience, "exp": 1e300})
	// Flip an unused low bit of the last signature character (a 256-byte
	// signature leaves 4): the same bytes under lenient base64, but not
	// canonical, so it must be rejected.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, good[len(good)-1])
	nonCanonical := good[:len(good)-1] + string(alphabet[last^1])

	tests := []struct {
		name    string
		tok     string
		v       func(*Verifier)
		want    error
		advance time.Duration
	}{
		{"expired", with(func(c *Claims) { c.ExpiresAt = t0.Add(-time.Second) }), nil, ErrExpired, 0},
		{"expires exactly now", with(func(c *Claims) { c.ExpiresAt = t0 }), nil, ErrExpired, 0},
		{"expired after time passes", good, nil, ErrExpired, time.Hour + time.Second},
		{"not yet valid", with(func(c *Claims) { c.NotBefore = t0.Add(time.Minute) }), nil, ErrNotYetValid, 0},
		{"issued in the future", with(func(c *Claims) { c.IssuedAt = t0.Add(time.Minute) }), nil, ErrNotYetValid, 0},
		{"wrong audience", with(func(c *Claims) { c.Audience = []string{"https://evil.example"} }), nil, ErrAudience, 0},
		{"verifier wants other audience", good, func(v *Verifier) { v.Audience = "https://other.example" }, ErrAudience, 0},
		{"wrong issuer", with(func(c *Claims) { c.Issuer = "https://evil.example" }), nil, ErrIssuer, 0},
		{"id token as access token", with(func(c *Claims) { c.Type = TypeIDToken }), nil, ErrType, 0},
		{"access token as id token", good, func(v *Verifier) { v.Type = TypeIDToken }, ErrType, 0},
		{"signed by another key set", mustSign(t, other, accessClaims()), nil, ErrSignature, 0},
		{"other key with our kid", otherKeyOurKid, nil, ErrSignature, 0},
		{"tampered payload", tampered, nil, ErrSignature, 0},
		{"alg none", none, nil, ErrSignature, 0},
		{"HS256 with public key as secret", hs256WithPublicKey(t, ks, claimsJSON), nil, ErrSignature, 0},
		{"unknown kid", replaceSegment(good, 0, jsonSeg(t, map[string]string{"alg": "RS256", "kid": "nope", "typ": "at+jwt"})), nil, ErrSignature, 0},
		{"no kid", replaceSegment(good, 0, jsonSeg(t, map[string]string{"alg": "RS256", "typ": "at+jwt"})), nil, ErrSignature, 0},
		{"RS512 header", replaceSegment(good, 0, jsonSeg(t, map[string]string{"alg": "RS512", "kid": ks.CurrentKeyID(), "typ": "at+jwt"})), nil, ErrSignature, 0},
		{"missing exp", signRaw(t, ks, noExp, TypeAccessToken), nil, ErrMalformed, 0},
		{"exp not a number", signRaw(t, ks, badExp, TypeAccessToken), nil, ErrMalformed, 0},
		{"exp out of range", signRaw(t, ks, hugeExp, TypeAccessToken), nil, ErrMalformed, 0},
		{"payload not JSON", signRaw(t, ks, []byte("hello"), TypeAccessToken), nil, ErrMalformed, 0},
		{"payload JSON array", signRaw(t, ks, []byte(`[1]`), TypeAccessToken), nil, ErrMalformed, 0},
		{"empty", "", nil, ErrMalformed, 0},
		{"two segments", "a.b", nil, ErrMalformed, 0},
		{"four segments", good + ".x", nil, ErrMalformed, 0},
		{"padding", good + "=", nil, ErrMalformed, 0},
		{"whitespace", " " + good, nil, ErrMalformed, 0},
		{"non-canonical base64", nonCanonical, nil, ErrMalformed, 0},
		{"header not JSON", replaceSegment(good, 0, seg([]byte("{"))), nil, ErrMalformed, 0},
		{"crit header", replaceSegment(good, 0, jsonSeg(t, map[string]any{"alg": "RS256", "kid": ks.CurrentKeyID(), "crit": []string{"b64"}, "b64": false})), nil, ErrMalformed, 0},
		{"too long", strings.Repeat("a", maxTokenLen+1), nil, ErrMalformed, 0},
	}
	sentinels := []error{ErrMalformed, ErrSignature, ErrExpired, ErrNotYetValid, ErrAudience, ErrIssuer, ErrType}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: t0.Add(tt.advance)}
			v := verifier(c)
			if tt.v != nil {
				tt.v(&v)
			}
			got, err := ks.Verify(tt.tok, v)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v (claims %+v)", err, tt.want, got)
			}
			for _, s := range sentinels {
				if s != tt.want && errors.Is(err, s) {
					t.Errorf("error %v also matches %v", err, s)
				}
			}
			if !reflect.DeepEqual(got, Claims{}) {
				t.Errorf("claims returned on error: %+v", got)
			}
			if len(tt.tok) > 20 && strings.Contains(err.Error(), tt.tok[len(tt.tok)-20:]) {
				t.Errorf("error message contains the token")
			}
		})
	}
	// The untouched token still verifies, so the table tests what it says.
	if _, err := ks.Verify(good, verifier(clk)); err != nil {
		t.Fatalf("good token: %v", err)
	}
}

func TestVerifyLeeway(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk)
	c := accessClaims()
	c.ExpiresAt = t0.Add(-10 * time.Second)
	c.NotBefore = t0.Add(-time.Hour)
	expired := mustSign(t, ks, c)
	c = accessClaims()
	c.NotBefore = t0.Add(10 * time.Second)
	early := mustSign(t, ks, c)
	tests := []struct {
		tok    string
		leeway time.Duration
		want   error
	}{
		{expired, 0, ErrExpired},
		{expired, 30 * time.Second, nil},
		{early, 0, ErrNotYetValid},
		{early, 30 * time.Second, nil},
	}
	for i, tt := range tests {
		v := verifier(clk)
		v.Leeway = tt.leeway
		if _, err := ks.Verify(tt.tok, v); !errors.Is(err, tt.want) {
			t.Errorf("case %d: error %v, want %v", i, err, tt.want)
		}
	}
}

func TestVerifyTypeComparison(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk)
	tests := []struct {
		typ  string
		want error
	}{
		{"at+jwt", nil},
		{"AT+JWT", nil},
		{"application/at+jwt", nil},
		{"JWT", ErrType},
		{"", ErrType},
	}
	b, _ := encodeClaims(accessClaims())
	for _, tt := range tests {
		tok := signRaw(t, ks, b, tt.typ)
		if _, err := ks.Verify(tok, verifier(clk)); !errors.Is(err, tt.want) {
			t.Errorf("typ %q: error %v, want %v", tt.typ, err, tt.want)
		}
	}
}

func TestVerifierRequiresIssuerAndAudience(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk)
	tok := mustSign(t, ks, accessClaims())
	for _, v := range []Verifier{{Audience: testAudience}, {Issuer: testIssuer}} {
		v.Now = clk.Now
		if _, err := ks.Verify(tok, v); err == nil {
			t.Errorf("Verify with %+v succeeded", v)
		}
	}
}
