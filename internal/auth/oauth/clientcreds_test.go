package oauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/housecall/housecall/internal/auth/account"
)

// backendKey is a SMART Backend Services client key.
type backendKey struct {
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
	kid  string
}

func newBackendKey(t *testing.T, alg jose.SignatureAlgorithm) backendKey {
	t.Helper()
	var (
		k   crypto.Signer
		err error
	)
	if alg == jose.ES384 {
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	} else {
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	return backendKey{alg: alg, priv: k, kid: "key-" + string(alg)}
}

func jwksOf(t *testing.T, keys ...backendKey) []byte {
	t.Helper()
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (k backendKey) assertion(t *testing.T, clientID, aud, jti string, exp time.Time) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"iss": clientID, "sub": clientID, "aud": aud, "jti": jti, "exp": exp.Unix()})
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

func TestClientCredentials(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			lab, secret := e.client(account.NewClient{Name: "Lab", Scopes: "system/Observation.cruds system/Patient.rs"})
			rs, es := newBackendKey(t, jose.RS384), newBackendKey(t, jose.ES384)
			svc, _ := e.client(account.NewClient{Name: "Backend", Scopes: "system/*.rs", JWKS: jwksOf(t, rs, es)})
			app := e.publicApp("user/*.rs")
			tokenURL := e.ts.URL + "/oauth2/token"
			exp := e.clock.Now().Add(4 * time.Minute)
			cc := func(scope string) url.Values {
				f := url.Values{"grant_type": {"client_credentials"}}
				if scope != "" {
					f.Set("scope", scope)
				}
				return f
			}
			withAssertion := func(f url.Values, a string) url.Values {
				f.Set("client_assertion_type", assertionType)
				f.Set("client_assertion", a)
				return f
			}
			withPost := func(f url.Values, id, sec string) url.Values {
				f.Set("client_id", id)
				f.Set("client_secret", sec)
				return f
			}
			tests := []struct {
				name      string
				form      url.Values
				basic     []string
				status    int
				wantErr   string
				wantScope string
			}{
				{"basic, all allowed", cc(""), []string{lab.ID, secret}, 200, "", "system/Observation.cruds system/Patient.rs"},
				{"post, narrowed", withPost(cc("system/Observation.rs system/Encounter.rs user/*.rs"), lab.ID, secret), nil, 200, "", "system/Observation.rs"},
				{"nothing allowed", cc("system/Encounter.rs"), []string{lab.ID, secret}, 400, "invalid_scope", ""},
				{"bad scope", cc("system/Nope.rs"), []string{lab.ID, secret}, 400, "invalid_scope", ""},
				{"wrong secret", cc(""), []string{lab.ID, secret + "x"}, 401, "invalid_client", ""},
				{"two methods", withPost(cc(""), lab.ID, secret), []string{lab.ID, secret}, 400, "invalid_request", ""},
				{"public client", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ID}}, nil, 400, "unauthorized_client", ""},
				{"confidential without credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {lab.ID}}, nil, 401, "invalid_client", ""},
				{"RS384 assertion", withAssertion(cc("system/Patient.read"), rs.assertion(t, svc.ID, tokenURL, "j1", exp)), nil, 200, "", "system/Patient.rs"},
				{"ES384 assertion", withAssertion(cc(""), es.assertion(t, svc.ID, tokenURL, "j2", exp)), nil, 200, "", "system/*.rs"},
				{"replayed jti", withAssertion(cc(""), es.assertion(t, svc.ID, tokenURL, "j2", exp)), nil, 401, "invalid_client", ""},
				{"wrong aud", withAssertion(cc(""), rs.assertion(t, svc.ID, e.ts.URL, "j3", exp)), nil, 401, "invalid_client", ""},
				{"too long lifetime", withAssertion(cc(""), rs.assertion(t, svc.ID, tokenURL, "j4", exp.Add(time.Hour))), nil, 401, "invalid_client", ""},
				{"expired", withAssertion(cc(""), rs.assertion(t, svc.ID, tokenURL, "j5", e.clock.Now().Add(-time.Minute))), nil, 401, "invalid_client", ""},
				{"unregistered key", withAssertion(cc(""), newBackendKey(t, jose.ES384).assertion(t, svc.ID, tokenURL, "j6", exp)), nil, 401, "invalid_client", ""},
				{"secret client with assertion", withAssertion(cc(""), rs.assertion(t, lab.ID, tokenURL, "j7", exp)), nil, 401, "invalid_client", ""},
				{"wrong assertion type", url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"x"}, "client_assertion": {rs.assertion(t, svc.ID, tokenURL, "j8", exp)}}, nil, 401, "invalid_client", ""},
				{"unknown grant", url.Values{"grant_type": {"password"}}, []string{lab.ID, secret}, 400, "unsupported_grant_type", ""},
			}
			for _, tc := range tests {
				st, out, h := e.tokenReq(tc.form, tc.basic...)
				if st != tc.status || str(out, "error") != tc.wantErr {
					t.Errorf("%s: %d %v, want %d %q", tc.name, st, out, tc.status, tc.wantErr)
					continue
				}
				if h.Get("Cache-Control") != "no-store" {
					t.Errorf("%s: Cache-Control %q", tc.name, h.Get("Cache-Control"))
				}
				if tc.status == 401 && len(tc.basic) == 2 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
					t.Errorf("%s: no Basic challenge", tc.name)
				}
				if tc.status != 200 {
					continue
				}
				if str(out, "scope") != tc.wantScope || out["refresh_token"] != nil || out["id_token"] != nil {
					t.Errorf("%s: response %v", tc.name, out)
				}
				st, id, _ := e.api("/fhir/r4/Observation", str(out, "access_token"))
				if st != 200 || id["kind"] != "client" || id["role"] != "" || id["sub"] != id["client_id"] || id["scope"] != tc.wantScope {
					t.Errorf("%s: identity %d %v", tc.name, st, id)
				}
			}
			// A disabled client loses its tokens and its credentials.
			_, out, _ := e.tokenReq(cc(""), lab.ID, secret)
			if err := e.acc.SetClientDisabled(t.Context(), lab.ID, true); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(11 * time.Second) // past the status cache
			if st, _, h := e.api("/fhir/r4/Observation", str(out, "access_token")); st != 401 || !strings.Contains(h.Get("WWW-Authenticate"), "client disabled") {
				t.Fatalf("disabled client's token: %d %v", st, h)
			}
			if st, _, _ := e.tokenReq(cc(""), lab.ID, secret); st != 401 {
				t.Fatalf("disabled client's secret: %d", st)
			}
		})
	}
}
