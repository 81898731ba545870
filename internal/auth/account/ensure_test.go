package account

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEnsureClient(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			a := open(t, db, c, nil)
			ctx := t.Context()
			web := NewClient{Name: "Housecall", Public: true, Scopes: "openid fhirUser user/*.cruds",
				RedirectURIs: []string{"http://localhost:8080/auth/callback"}, Permissions: []string{"first-party"}}
			first, err := a.EnsureClient(ctx, "housecall-web", web)
			if err != nil || first.ID != "housecall-web" || !first.Public || !first.HasRedirectURI("http://localhost:8080/auth/callback") ||
				!first.HasPermission("first-party") || !first.HasGrant(GrantAuthorizationCode) || !first.HasGrant(GrantRefreshToken) {
				t.Fatalf("EnsureClient = %+v, %v", first, err)
			}
			// Unchanged: the row is not rewritten.
			c.Advance(time.Hour)
			again, err := a.EnsureClient(ctx, "housecall-web", web)
			if err != nil || !again.Updated.Equal(first.Updated) {
				t.Fatalf("second EnsureClient rewrote the row: %+v, %v", again, err)
			}
			// The issuer changed; an administrator had disabled the client.
			if err := a.SetClientDisabled(ctx, "housecall-web", true); err != nil {
				t.Fatal(err)
			}
			web.RedirectURIs = []string{"https://visits.example.org/auth/callback"}
			moved, err := a.EnsureClient(ctx, "housecall-web", web)
			if err != nil || !moved.HasRedirectURI("https://visits.example.org/auth/callback") || moved.HasRedirectURI("http://localhost:8080/auth/callback") ||
				!moved.Disabled || !moved.Created.Equal(first.Created) {
				t.Fatalf("after the issuer moved: %+v, %v", moved, err)
			}
			list, err := a.ListClients(ctx)
			if err != nil || len(list) != 1 {
				t.Fatalf("ListClients = %v, %v", list, err)
			}
			// A confidential row under a well-known id loses its secret.
			conf, secret, err := a.CreateClient(ctx, NewClient{Name: "Lab", Scopes: "system/*.rs"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.EnsureClient(ctx, conf.ID, NewClient{Name: "Lab", Public: true, Scopes: "user/*.rs",
				RedirectURIs: []string{"https://lab.example/cb"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := a.AuthenticateClient(ctx, conf.ID, secret); !errors.Is(err, ErrBadClient) {
				t.Fatalf("old secret of a now public client: %v", err)
			}
			for _, tc := range []struct {
				name, id string
				nc       NewClient
			}{
				{"bad id", "has space", web},
				{"empty id", "", web},
				{"confidential", "svc", NewClient{Name: "svc", Scopes: "system/*.rs"}},
				{"invalid registration", "x", NewClient{Name: "x", Public: true, Scopes: "user/*.rs", RedirectURIs: []string{"http://app.example/cb"}}},
			} {
				if _, err := a.EnsureClient(ctx, tc.id, tc.nc); !errors.Is(err, ErrInvalid) {
					t.Errorf("%s: err = %v, want ErrInvalid", tc.name, err)
				}
			}
		})
	}
}

// Well-known ids take the alphabet of generated ones (base64url), so a
// generated client can be ensured too; anything else is refused.
func TestEnsureClientIDs(t *testing.T) {
	db := backends(t)["sqlite"]
	a := open(t, db, newClock(), nil)
	nc := NewClient{Name: "App", Public: true, Scopes: "openid", RedirectURIs: []string{"https://app.example/cb"}}
	for _, tt := range []struct {
		id string
		ok bool
	}{
		{"housecall-web", true},
		{"-Xq_9.z", true},
		{"_leading-underscore", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"has space", false},
		{"slash/id", false},
	} {
		_, err := a.EnsureClient(t.Context(), tt.id, nc)
		if (err == nil) != tt.ok {
			t.Errorf("EnsureClient(%q): err = %v, want ok = %v", tt.id, err, tt.ok)
		}
	}
}
