package token

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func jwksKids(t *testing.T, ks *KeySet) []string {
	t.Helper()
	b, err := ks.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	kids := []string{}
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	return kids
}

func TestRotation(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk) // RotateEvery 24h, Retain 2h
	first := ks.CurrentKeyID()

	clk.Advance(23 * time.Hour)
	if rotated, err := ks.MaybeRotate(); err != nil || rotated {
		t.Fatalf("MaybeRotate before RotateEvery = %v, %v", rotated, err)
	}
	clk.Advance(time.Hour)
	if rotated, err := ks.MaybeRotate(); err != nil || !rotated {
		t.Fatalf("MaybeRotate at RotateEvery = %v, %v", rotated, err)
	}
	second := ks.CurrentKeyID()
	if second == first {
		t.Fatal("kid unchanged after rotation")
	}
	if rotated, _ := ks.MaybeRotate(); rotated {
		t.Fatal("rotated twice")
	}
	if got := jwksKids(t, ks); !reflect.DeepEqual(got, []string{second, first}) {
		t.Fatalf("JWKS kids = %v, want current then retired", got)
	}

	// Long-lived claims, so that only key validity matters below.
	long := accessClaims()
	long.ExpiresAt = t0.Add(100 * time.Hour)
	v := verifier(clk)
	newTok := mustSign(t, ks, long)
	if _, err := ks.Verify(newTok, v); err != nil {
		t.Fatalf("token from new key: %v", err)
	}
	if hdrKid(t, newTok) != second {
		t.Fatal("new token not signed with the new key")
	}

	// An old-key token still verifies within Retain...
	clk.Advance(time.Hour + 59*time.Minute)
	oldLongTok := signedWithKid(t, ks, first, long)
	if _, err := ks.Verify(oldLongTok, verifier(clk)); err != nil {
		t.Fatalf("retired key inside Retain: %v", err)
	}
	if n := ks.Prune(); n != 0 {
		t.Fatalf("Prune inside Retain dropped %d", n)
	}
	// ...and not after it, even before Prune.
	clk.Advance(time.Minute)
	if _, err := ks.Verify(oldLongTok, verifier(clk)); !errors.Is(err, ErrSignature) {
		t.Fatalf("retired key after Retain: %v, want ErrSignature", err)
	}
	if got := jwksKids(t, ks); !reflect.DeepEqual(got, []string{second}) {
		t.Fatalf("JWKS kids after Retain = %v", got)
	}
	if n := ks.Prune(); n != 1 {
		t.Fatalf("Prune dropped %d, want 1", n)
	}
	if n := ks.Prune(); n != 0 {
		t.Fatalf("second Prune dropped %d", n)
	}
	if _, err := ks.Verify(newTok, verifier(clk)); err != nil {
		t.Fatalf("current key after Prune: %v", err)
	}
}

// signedWithKid signs c with the key of this kid, current or not, to test
// how retired keys verify.
func signedWithKid(t *testing.T, ks *KeySet, kid string, c Claims) string {
	t.Helper()
	ks.mu.RLock()
	var k *signingKey
	for _, x := range ks.keys {
		if x.kid == kid {
			k = x
		}
	}
	ks.mu.RUnlock()
	if k == nil {
		t.Fatalf("no key %s", kid)
	}
	b, err := encodeClaims(c)
	if err != nil {
		t.Fatal(err)
	}
	return signWith(t, jose.RS256, jose.JSONWebKey{Key: k.priv, KeyID: k.kid}, b, TypeAccessToken)
}

func hdrKid(t *testing.T, tok string) string {
	t.Helper()
	c, err := parseCompact(tok)
	if err != nil {
		t.Fatal(err)
	}
	return c.header.Kid
}

func TestRotateExplicit(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk)
	tok := mustSign(t, ks, accessClaims())
	before := ks.CurrentKeyID()
	if err := ks.Rotate(); err != nil {
		t.Fatal(err)
	}
	if ks.CurrentKeyID() == before {
		t.Fatal("Rotate kept the kid")
	}
	if _, err := ks.Verify(tok, verifier(clk)); err != nil {
		t.Fatalf("token of just-retired key: %v", err)
	}
}

func TestKeySetOptions(t *testing.T) {
	if _, err := NewKeySet(KeySetOptions{Retain: -time.Second}); err == nil {
		t.Error("negative Retain accepted")
	}
	if _, err := NewKeySet(KeySetOptions{RotateEvery: -time.Second}); err == nil {
		t.Error("negative RotateEvery accepted")
	}
	ks, err := NewKeySet(KeySetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ks.opts.RotateEvery != DefaultRotateEvery || ks.opts.Retain != DefaultRetain || ks.opts.Now == nil || ks.opts.Rand == nil {
		t.Fatalf("defaults not applied: %+v", ks.opts)
	}
}

func TestJWKS(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk)
	b, err := ks.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Keys) != 1 {
		t.Fatalf("JWKS has %d keys", len(raw.Keys))
	}
	k := raw.Keys[0]
	for name, want := range map[string]string{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": ks.CurrentKeyID(), "e": "AQAB"} {
		if k[name] != want {
			t.Errorf("%s = %v, want %q", name, k[name], want)
		}
	}
	n, _ := k["n"].(string)
	if nb, err := base64.RawURLEncoding.DecodeString(n); err != nil || len(nb) != 256 {
		t.Errorf("n is not a 2048-bit modulus (%d bytes, %v)", len(nb), err)
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := k[private]; ok {
			t.Errorf("JWKS leaks private member %q", private)
		}
	}
	// kid is the RFC 7638 thumbprint, computed independently here.
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	tp, err := set.Keys[0].Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(tp); got != ks.CurrentKeyID() {
		t.Errorf("kid %s is not the thumbprint %s", ks.CurrentKeyID(), got)
	}
	// A token verifies with the published key alone, as a client would.
	tok := mustSign(t, ks, accessClaims())
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(&set); err != nil {
		t.Errorf("token does not verify with JWKS: %v", err)
	}
}

func TestExportImport(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk)
	long := accessClaims()
	long.ExpiresAt = t0.Add(100 * time.Hour)
	oldTok := mustSign(t, ks, long)
	clk.Advance(time.Hour)
	if err := ks.Rotate(); err != nil {
		t.Fatal(err)
	}
	data, err := ks.Export()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"d":`) {
		t.Fatal("export has no private keys")
	}
	imp, err := ImportKeySet(data, KeySetOptions{Now: clk.Now, RotateEvery: 24 * time.Hour, Retain: 2 * time.Hour})
	if err != nil {
		t.Fatalf("ImportKeySet: %v", err)
	}
	if imp.CurrentKeyID() != ks.CurrentKeyID() {
		t.Fatal("current key changed")
	}
	again, err := imp.Export()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Fatalf("export not stable:\n%s\n%s", data, again)
	}
	a, _ := ks.JWKS()
	b, _ := imp.JWKS()
	if string(a) != string(b) {
		t.Fatal("JWKS differ after import")
	}
	if _, err := imp.Verify(oldTok, verifier(clk)); err != nil {
		t.Fatalf("retired key after import: %v", err)
	}
	newTok := mustSign(t, imp, long)
	if _, err := ks.Verify(newTok, verifier(clk)); err != nil {
		t.Fatalf("imported set signs with a different key: %v", err)
	}
	// Retirement times survive: after Retain the old key is gone.
	clk.Advance(2 * time.Hour)
	if n := imp.Prune(); n != 1 {
		t.Fatalf("Prune after import dropped %d, want 1", n)
	}
	// Creation time survives: the current key, created at t0+1h, is due
	// at t0+25h.
	clk.Advance(21 * time.Hour) // t0+24h
	if rotated, _ := imp.MaybeRotate(); rotated {
		t.Fatal("rotated too early after import")
	}
	clk.Advance(time.Hour)
	if rotated, _ := imp.MaybeRotate(); !rotated {
		t.Fatal("did not rotate at RotateEvery after import")
	}
}

func TestImportErrors(t *testing.T) {
	clk := newClock()
	ks := newKeySet(t, clk)
	if err := ks.Rotate(); err != nil {
		t.Fatal(err)
	}
	data, err := ks.Export()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	mutate := func(f func(keys []any)) []byte {
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		f(doc["keys"].([]any))
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	key := func(keys []any, i int) map[string]any { return keys[i].(map[string]any) }
	jwk := func(keys []any, i int) map[string]any { return key(keys, i)["jwk"].(map[string]any) }
	small, err := rsa.GenerateKey(nil, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallKid, _ := thumbprint(&small.PublicKey)
	smallJWK, _ := json.Marshal(jose.JSONWebKey{Key: small, KeyID: smallKid})
	var smallMap map[string]any
	_ = json.Unmarshal(smallJWK, &smallMap)

	tests := []struct {
		name string
		data []byte
	}{
		{"not JSON", []byte("{")},
		{"unknown field", []byte(`{"version":1,"keys":[],"extra":1}`)},
		{"version", mutate(func([]any) { doc["version"] = 2 })},
		{"no keys", []byte(`{"version":1,"keys":[]}`)},
		{"kid mismatch", mutate(func(k []any) { jwk(k, 0)["kid"] = "x" })},
		{"public key only", mutate(func(k []any) {
			for _, p := range []string{"d", "p", "q", "dp", "dq", "qi"} {
				delete(jwk(k, 1), p)
			}
		})},
		{"two current keys", mutate(func(k []any) { delete(key(k, 0), "retired") })},
		{"no current key", mutate(func(k []any) { key(k, 1)["retired"] = t0.Format(time.RFC3339) })},
		{"duplicate key", mutate(func(k []any) { doc["keys"] = []any{k[0], k[0], k[1]} })},
		{"short key", mutate(func(k []any) { key(k, 1)["jwk"] = smallMap })},
		{"inconsistent key", mutate(func(k []any) { jwk(k, 1)["d"] = jwk(k, 0)["d"] })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ImportKeySet(tt.data, KeySetOptions{Now: clk.Now})
			if err == nil {
				t.Fatal("ImportKeySet succeeded")
			}
			if !errors.Is(err, ErrKeySet) {
				t.Errorf("error %v does not wrap ErrKeySet", err)
			}
			if strings.Contains(err.Error(), jwk0D(t, data)) {
				t.Error("error contains key material")
			}
		})
	}
	if _, err := ImportKeySet(data, KeySetOptions{Now: clk.Now}); err != nil {
		t.Fatalf("unmodified export does not import: %v", err)
	}
}

func jwk0D(t *testing.T, data []byte) string {
	var doc struct {
		Keys []struct {
			JWK struct {
				D string `json:"d"`
			} `json:"jwk"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Keys[0].JWK.D == "" {
		t.Fatal("cannot read d")
	}
	return doc.Keys[0].JWK.D[:16]
}

// TestConcurrent exercises signing, verification, JWKS, rotation, pruning
// and export together; run with -race.
func TestConcurrent(t *testing.T) {
	clk := newClock()
	ks, err := NewKeySet(KeySetOptions{Now: clk.Now, RotateEvery: 24 * time.Hour, Retain: 1000 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c := accessClaims()
	c.ExpiresAt = t0.Add(1000 * time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				tok, err := ks.Sign(c)
				if err != nil {
					errs <- err
					return
				}
				if _, err := ks.Verify(tok, verifier(clk)); err != nil {
					errs <- err
					return
				}
				if _, err := ks.JWKS(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for j := 0; j < 3; j++ {
			clk.Advance(25 * time.Hour)
			if _, err := ks.MaybeRotate(); err != nil {
				errs <- err
			}
			ks.Prune()
			if _, err := ks.Export(); err != nil {
				errs <- err
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
