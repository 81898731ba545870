package token

import (
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzVerify feeds arbitrary strings to Verify, VerifyClientAssertion and
// PeekClientID. None may panic, every error must wrap one sentinel, and the
// only strings that verify are the two genuine tokens signed here: any
// change to a valid token, even one that lenient base64 would ignore, must
// fail.
func FuzzVerify(f *testing.F) {
	clk := newClock()
	ks := newKeySet(f, clk)
	valid := mustSign(f, ks, accessClaims())
	idc := accessClaims()
	idc.Type = TypeIDToken
	idTok := mustSign(f, ks, idc)

	rsKey, _, _, jwks := newClientKeys(f)
	b, err := encodeClaims(assertionClaims())
	if err != nil {
		f.Fatal(err)
	}
	assertion := signWith(f, jose.RS384, jose.JSONWebKey{Key: rsKey.priv, KeyID: rsKey.kid}, b, "JWT")

	for _, s := range []string{
		valid, idTok, assertion, "", ".", "..", "a.b.c", valid + ".",
		replaceSegment(valid, 2, ""),
		replaceSegment(valid, 0, seg([]byte(`{"alg":"none"}`))),
		replaceSegment(valid, 0, seg([]byte(`{"alg":"HS256","kid":"`+ks.CurrentKeyID()+`"}`))),
		strings.Replace(valid, ".", "..", 1),
	} {
		f.Add(s)
	}
	sentinels := []error{ErrMalformed, ErrSignature, ErrExpired, ErrNotYetValid, ErrAudience,
		ErrIssuer, ErrType, ErrLifetime, ErrClientKeys}
	isSentinel := func(err error) bool {
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return true
			}
		}
		return false
	}
	v := verifier(clk)
	av := AssertionVerifier{ClientID: testClient, TokenURL: testTokenURL, Now: func() time.Time { return t0 }}
	f.Fuzz(func(t *testing.T, tok string) {
		if _, err := ks.Verify(tok, v); err == nil {
			if tok != valid {
				t.Fatalf("Verify accepted a string that is not the genuine token: %q", tok)
			}
		} else if !isSentinel(err) {
			t.Fatalf("Verify error without sentinel: %v", err)
		}
		if _, err := VerifyClientAssertion(tok, jwks, av); err == nil {
			if tok != assertion {
				t.Fatalf("VerifyClientAssertion accepted %q", tok)
			}
		} else if !isSentinel(err) {
			t.Fatalf("VerifyClientAssertion error without sentinel: %v", err)
		}
		if _, err := PeekClientID(tok); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("PeekClientID error without ErrMalformed: %v", err)
		}
	})
}
