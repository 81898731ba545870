package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	testIssuer   = "https://housecall.example/fhir"
	testAudience = "https://housecall.example/fhir"
)

// t0 is the test epoch; whole seconds, since JWT times are.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable time source for KeySetOptions.Now and Verifier.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newKeySet(t testing.TB, clk *clock) *KeySet {
	t.Helper()
	ks, err := NewKeySet(KeySetOptions{Now: clk.Now, RotateEvery: 24 * time.Hour, Retain: 2 * time.Hour})
	if err != nil {
		t.Fatalf("NewKeySet: %v", err)
	}
	return ks
}

// accessClaims returns valid access token claims at t0.
func accessClaims() Claims {
	return Claims{
		Issuer:    testIssuer,
		Subject:   "user-1",
		Audience:  []string{testAudience},
		IssuedAt:  t0,
		ExpiresAt: t0.Add(time.Hour),
		ID:        "jti-1",
		Scope:     "openid patient/*.rs",
		ClientID:  "app-1",
	}
}

func verifier(clk *clock) Verifier {
	return Verifier{Issuer: testIssuer, Audience: testAudience, Now: clk.Now}
}

func mustSign(t testing.TB, ks *KeySet, c Claims) string {
	t.Helper()
	tok, err := ks.Sign(c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}

func seg(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jsonSeg(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return seg(b)
}

// signRaw signs an arbitrary payload with the KeySet's current key and the
// given extra headers, bypassing Sign's checks.
func signRaw(t testing.TB, ks *KeySet, payload []byte, typ string) string {
	t.Helper()
	k := ks.current()
	return signWith(t, jose.RS256, jose.JSONWebKey{Key: k.priv, KeyID: k.kid}, payload, typ)
}

func signWith(t testing.TB, alg jose.SignatureAlgorithm, key jose.JSONWebKey, payload []byte, typ string) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hs256WithPublicKey forges a token the classic way: HMAC keyed with the
// server's public key in PEM form.
func hs256WithPublicKey(t testing.TB, ks *KeySet, payload []byte) string {
	t.Helper()
	k := ks.current()
	der, err := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	in := jsonSeg(t, map[string]string{"alg": "HS256", "typ": "at+jwt", "kid": k.kid}) + "." + seg(payload)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + seg(m.Sum(nil))
}

// replaceSegment returns tok with segment i replaced.
func replaceSegment(tok string, i int, s string) string {
	parts := strings.Split(tok, ".")
	parts[i] = s
	return strings.Join(parts, ".")
}
