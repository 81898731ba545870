package account

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func ecJWKS(t *testing.T, private bool) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var key any = k.Public()
	if private {
		key = k
	}
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key, KeyID: "k1", Algorithm: "ES384", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestClients(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			a := open(t, db, newClock(), nil)
			ctx := t.Context()
			conf, secret, err := a.CreateClient(ctx, NewClient{Name: "Lab sync", Scopes: "system/Observation.write system/Patient.rs"})
			if err != nil {
				t.Fatal(err)
			}
			if len(secret) != 43 || conf.AuthMethod() != AuthClientSecret || !conf.HasGrant(GrantClientCredentials) ||
				conf.HasGrant(GrantAuthorizationCode) || conf.Scopes != "system/Observation.cud system/Patient.rs" {
				t.Fatalf("confidential client = %+v, secret %d chars", conf, len(secret))
			}
			var hash string
			if err := db.QueryRow(ctx, "SELECT secret_hash FROM account_clients WHERE id = ?", conf.ID).Scan(&hash); err != nil || hash == secret || hash[:10] != "$argon2id$" {
				t.Fatalf("stored secret: %v", err)
			}
			if got, err := a.AuthenticateClient(ctx, conf.ID, secret); err != nil || got.ID != conf.ID {
				t.Fatalf("AuthenticateClient = %v, %v", got, err)
			}
			if _, err := a.AuthenticateClient(ctx, conf.ID, secret+"x"); !errors.Is(err, ErrBadClient) {
				t.Fatalf("wrong secret: %v", err)
			}
			if _, err := a.AuthenticateClient(ctx, "unknown", secret); !errors.Is(err, ErrBadClient) {
				t.Fatalf("unknown client: %v", err)
			}
			app, secret2, err := a.CreateClient(ctx, NewClient{Name: "Patient app", Public: true,
				Scopes: "patient/*.rs launch/patient openid fhirUser", RedirectURIs: []string{"http://127.0.0.1:9000/cb", "com.example.app:/cb"}})
			if err != nil || secret2 != "" || app.AuthMethod() != AuthNone || !app.HasGrant(GrantAuthorizationCode) ||
				!app.HasGrant(GrantRefreshToken) || !app.HasRedirectURI("com.example.app:/cb") || app.HasRedirectURI("http://127.0.0.1:9000/cb/") {
				t.Fatalf("public client = %+v, %q, %v", app, secret2, err)
			}
			if _, err := a.AuthenticateClient(ctx, app.ID, ""); !errors.Is(err, ErrBadClient) {
				t.Fatalf("public client with a secret: %v", err)
			}
			svc, secret3, err := a.CreateClient(ctx, NewClient{Name: "Backend", Scopes: "system/*.rs", JWKS: ecJWKS(t, false),
				Permissions: []string{"telemed:anonymous-join"}})
			if err != nil || secret3 != "" || svc.AuthMethod() != AuthPrivateKeyJWT || !svc.HasPermission("telemed:anonymous-join") {
				t.Fatalf("JWKS client = %+v, %v", svc, err)
			}
			if err := a.SetClientDisabled(ctx, conf.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := a.AuthenticateClient(ctx, conf.ID, secret); !errors.Is(err, ErrDisabled) {
				t.Fatalf("disabled client: %v", err)
			}
			list, err := a.ListClients(ctx)
			if err != nil || len(list) != 3 || list[0].Name != "Backend" || !list[1].Disabled {
				t.Fatalf("ListClients = %v, %v", list, err)
			}
			bad := []struct {
				name string
				nc   NewClient
			}{
				{"no name", NewClient{Scopes: "system/*.rs"}},
				{"bad scope", NewClient{Name: "x", Scopes: "system/Nope.rs"}},
				{"no grant possible", NewClient{Name: "x", Scopes: "patient/*.rs"}},
				{"public with system scope", NewClient{Name: "x", Public: true, Scopes: "system/*.rs", RedirectURIs: []string{"https://a.example/cb"}}},
				{"http redirect off loopback", NewClient{Name: "x", Scopes: "user/*.rs", RedirectURIs: []string{"http://app.example/cb"}}},
				{"fragment", NewClient{Name: "x", Scopes: "user/*.rs", RedirectURIs: []string{"https://app.example/cb#x"}}},
				{"relative", NewClient{Name: "x", Scopes: "user/*.rs", RedirectURIs: []string{"/cb"}}},
				{"private JWKS", NewClient{Name: "x", Scopes: "system/*.rs", JWKS: ecJWKS(t, true)}},
				{"junk JWKS", NewClient{Name: "x", Scopes: "system/*.rs", JWKS: []byte(`{"keys":[]}`)}},
				{"public with JWKS", NewClient{Name: "x", Public: true, Scopes: "user/*.rs", JWKS: ecJWKS(t, false), RedirectURIs: []string{"https://a.example/cb"}}},
				{"unknown grant", NewClient{Name: "x", Scopes: "system/*.rs", GrantTypes: []string{"password"}}},
				{"public client credentials", NewClient{Name: "x", Public: true, Scopes: "user/*.rs", GrantTypes: []string{GrantClientCredentials}, RedirectURIs: []string{"https://a.example/cb"}}},
			}
			for _, tc := range bad {
				if _, _, err := a.CreateClient(ctx, tc.nc); !errors.Is(err, ErrInvalid) {
					t.Errorf("%s: err = %v, want ErrInvalid", tc.name, err)
				}
			}
		})
	}
}

func TestRecordJTI(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			a := open(t, db, c, nil)
			ctx := t.Context()
			exp := c.Now().Add(5 * time.Minute)
			if err := a.RecordJTI(ctx, "c1", "j1", exp); err != nil {
				t.Fatal(err)
			}
			if err := a.RecordJTI(ctx, "c1", "j1", exp); !errors.Is(err, ErrReplay) {
				t.Fatalf("replay: %v", err)
			}
			if err := a.RecordJTI(ctx, "c2", "j1", exp); err != nil {
				t.Fatalf("same jti, other client: %v", err)
			}
			if err := a.RecordJTI(ctx, "c1", "", exp); !errors.Is(err, ErrInvalid) {
				t.Fatalf("empty jti: %v", err)
			}
			// Expired entries go away on a later purge (every 64th insert).
			c.Advance(10 * time.Minute)
			for i := range 64 {
				if err := a.RecordJTI(ctx, "c3", string(rune('a'+i%26))+string(rune('a'+i/26)), c.Now().Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			var n int
			if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM account_jtis WHERE client_id IN ('c1', 'c2')").Scan(&n); err != nil || n != 0 {
				t.Fatalf("expired jtis left: %d, %v", n, err)
			}
		})
	}
}
