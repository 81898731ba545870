package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	testClient   = "backend-1"
	testTokenURL = "https://housecall.example/auth/token"
)

// clientKey is a client's private key with its JWKS entry.
type clientKey struct {
	alg  jose.SignatureAlgorithm
	priv any
	kid  string
}

func newClientKeys(t testing.TB) (rs, es, es256 clientKey, jwks []byte) {
	t.Helper()
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rs = clientKey{jose.RS384, r, "rsa-1"}
	es = clientKey{jose.ES384, e, "ec-1"}
	es256 = clientKey{jose.ES256, e2, "ec-256"}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &r.PublicKey, KeyID: rs.kid, Use: "sig"},
		{Key: &e.PublicKey, KeyID: es.kid, Algorithm: "ES384"},
		{Key: &e2.PublicKey, KeyID: es256.kid},
		{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "hmac-1"},
	}}
	jwks, err = json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return rs, es, es256, jwks
}

func assertionClaims() Claims {
	return Claims{
		Issuer:    testClient,
		Subject:   testClient,
		Audience:  []string{testTokenURL},
		ExpiresAt: t0.Add(4 * time.Minute),
		ID:        "a-1",
	}
}

func signAssertion(t testing.TB, k clientKey, alg jose.SignatureAlgorithm, kid string, c Claims) string {
	t.Helper()
	b, err := encodeClaims(c)
	if err != nil {
		t.Fatal(err)
	}
	return signWith(t, alg, jose.JSONWebKey{Key: k.priv, KeyID: kid}, b, "JWT")
}

func assertionVerifier() AssertionVerifier {
	return AssertionVerifier{ClientID: testClient, TokenURL: testTokenURL, Now: func() time.Time { return t0 }}
}

func TestVerifyClientAssertionValid(t *testing.T) {
	rs, es, es256, jwks := newClientKeys(t)
	arrayAud := assertionClaims()
	arrayAud.Audience = []string{"https://x.example", testTokenURL}
	tests := []struct {
		name string
		key  clientKey
		alg  jose.SignatureAlgorithm
		c    Claims
	}{
		{"RS384", rs, jose.RS384, assertionClaims()},
		{"ES384", es, jose.ES384, assertionClaims()},
		{"RS256", rs, jose.RS256, assertionClaims()},
		{"ES256", es256, jose.ES256, assertionClaims()},
		{"aud array", rs, jose.RS384, arrayAud},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := signAssertion(t, tt.key, tt.alg, tt.key.kid, tt.c)
			got, err := VerifyClientAssertion(tok, jwks, assertionVerifier())
			if err != nil {
				t.Fatalf("VerifyClientAssertion: %v", err)
			}
			want := tt.c
			want.Type = "JWT"
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("claims = %+v, want %+v", got, want)
			}
			if got.ID != "a-1" || !got.ExpiresAt.Equal(t0.Add(4*time.Minute)) {
				t.Fatal("jti and exp not returned for replay tracking")
			}
		})
	}
}

func TestVerifyClientAssertionErrors(t *testing.T) {
	rs, es, es256, jwks := newClientKeys(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(*Claims)) string {
		c := assertionClaims()
		change(&c)
		return signAssertion(t, rs, jose.RS384, rs.kid, c)
	}
	good := signAssertion(t, rs, jose.RS384, rs.kid, assertionClaims())
	payload, _ := encodeClaims(assertionClaims())
	hmacTok := signWith(t, jose.HS256, jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "hmac-1"}, payload, "JWT")
	none := jsonSeg(t, map[string]string{"alg": "none", "kid": rs.kid}) + "." + seg(payload) + "."
	smallKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallJWKS, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &smallKey.PublicKey, KeyID: "small"}}})
	small := signAssertion(t, clientKey{priv: smallKey}, jose.RS384, "small", assertionClaims())

	tests := []struct {
		name string
		tok  string
		jwks []byte
		v    func(*AssertionVerifier)
		want error
	}{
		{"wrong aud", with(func(c *Claims) { c.Audience = []string{"https://housecall.example/fhir"} }), nil, nil, ErrAudience},
		{"no aud", with(func(c *Claims) { c.Audience = nil }), nil, nil, ErrAudience},
		{"exp too far", with(func(c *Claims) { c.ExpiresAt = t0.Add(5*time.Minute + time.Second) }), nil, nil, ErrLifetime},
		{"exp far within custom max", with(func(c *Claims) { c.ExpiresAt = t0.Add(9 * time.Minute) }), nil,
			func(v *AssertionVerifier) { v.MaxLifetime = 10 * time.Minute }, nil},
		{"exp exactly 5 minutes", with(func(c *Claims) { c.ExpiresAt = t0.Add(5 * time.Minute) }), nil, nil, nil},
		{"missing jti", with(func(c *Claims) { c.ID = "" }), nil, nil, ErrMalformed},
		{"missing exp", signWith(t, jose.RS384, jose.JSONWebKey{Key: rs.priv, KeyID: rs.kid},
			[]byte(`{"iss":"backend-1","sub":"backend-1","aud":"`+testTokenURL+`","jti":"x"}`), ""), nil, nil, ErrMalformed},
		{"expired", with(func(c *Claims) { c.ExpiresAt = t0.Add(-time.Second) }), nil, nil, ErrExpired},
		{"not yet valid", with(func(c *Claims) { c.NotBefore = t0.Add(time.Minute) }), nil, nil, ErrNotYetValid},
		{"iss not client", with(func(c *Claims) { c.Issuer = "other" }), nil, nil, ErrIssuer},
		{"sub not client", with(func(c *Claims) { c.Subject = "other" }), nil, nil, ErrIssuer},
		{"verifier expects another client", good, nil, func(v *AssertionVerifier) { v.ClientID = "backend-2" }, ErrIssuer},
		{"signed by unregistered key", signAssertion(t, clientKey{priv: other}, jose.RS384, rs.kid, assertionClaims()), nil, nil, ErrSignature},
		{"unknown kid", signAssertion(t, rs, jose.RS384, "rsa-9", assertionClaims()), nil, nil, ErrSignature},
		{"no kid", signAssertion(t, rs, jose.RS384, "", assertionClaims()), nil, nil, ErrMalformed},
		{"RSA kid with ES alg", replaceSegment(good, 0, jsonSeg(t, map[string]string{"alg": "ES384", "kid": rs.kid})), nil, nil, ErrSignature},
		{"P-256 key with ES384", replaceSegment(signAssertion(t, es256, jose.ES256, es256.kid, assertionClaims()), 0,
			jsonSeg(t, map[string]string{"alg": "ES384", "kid": es256.kid})), nil, nil, ErrSignature},
		{"key alg ES384 used as ES256", replaceSegment(signAssertion(t, es, jose.ES384, es.kid, assertionClaims()), 0,
			jsonSeg(t, map[string]string{"alg": "ES256", "kid": es.kid})), nil, nil, ErrSignature},
		{"HS256 with a symmetric key in the JWKS", hmacTok, nil, nil, ErrSignature},
		{"alg none", none, nil, nil, ErrSignature},
		{"PS384 not accepted", signAssertion(t, rs, jose.PS384, rs.kid, assertionClaims()), nil, nil, ErrSignature},
		{"RSA key under 2048 bits", small, smallJWKS, nil, ErrSignature},
		{"JWKS not JSON", good, []byte("{"), nil, ErrClientKeys},
		{"JWKS keys not an array", good, []byte(`{"keys":{}}`), nil, ErrClientKeys},
		{"empty JWKS", good, []byte(`{"keys":[]}`), nil, ErrSignature},
		{"garbage", "not.a.jwt!", nil, nil, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := tt.jwks
			if keys == nil {
				keys = jwks
			}
			v := assertionVerifier()
			if tt.v != nil {
				tt.v(&v)
			}
			_, err := VerifyClientAssertion(tt.tok, keys, v)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := VerifyClientAssertion(good, jwks, AssertionVerifier{TokenURL: testTokenURL}); err == nil {
		t.Error("verifier without ClientID accepted")
	}
}

func TestPeekClientID(t *testing.T) {
	rs, _, _, _ := newClientKeys(t)
	good := signAssertion(t, rs, jose.RS384, rs.kid, assertionClaims())
	noIss := signAssertion(t, rs, jose.RS384, rs.kid, Claims{Subject: "x", ExpiresAt: t0})
	numIss := signWith(t, jose.RS384, jose.JSONWebKey{Key: rs.priv, KeyID: rs.kid}, []byte(`{"iss":5}`), "")
	tests := []struct {
		name, tok, want string
		err             error
	}{
		{"ok", good, testClient, nil},
		{"no iss", noIss, "", ErrMalformed},
		{"iss not a string", numIss, "", ErrMalformed},
		{"garbage", "x.y", "", ErrMalformed},
	}
	for _, tt := range tests {
		got, err := PeekClientID(tt.tok)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%s: PeekClientID = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}
