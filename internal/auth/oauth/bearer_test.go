package oauth

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/token"
	"github.com/housecall/housecall/internal/store/opsql"
)

func TestBearer(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			usr := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			now := e.clock.Now()
			foreign, err := token.NewKeySet(token.KeySetOptions{Now: e.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			base := func() token.Claims {
				return token.Claims{Issuer: e.ts.URL, Subject: usr.ID, Audience: []string{e.ts.URL + "/fhir/r4"},
					ExpiresAt: now.Add(time.Hour), IssuedAt: now, NotBefore: now, ID: "jti-ok", Scope: "user/*.rs",
					ClientID: AdminClientID, FHIRUser: "Practitioner/p1",
					Extra: map[string]any{auth.ClaimKind: "user", auth.ClaimRole: "practitioner"}}
			}
			sign := func(ks *token.KeySet, mod func(*token.Claims)) string {
				c := base()
				if mod != nil {
					mod(&c)
				}
				tok, err := ks.Sign(c)
				if err != nil {
					t.Fatal(err)
				}
				return tok
			}
			keys := e.srv.Keys()
			revoked := sign(keys, func(c *token.Claims) { c.ID = "jti-revoked" })
			if err := db.InTx(t.Context(), func(tx *opsql.Tx) error {
				return revokeJTITx(t.Context(), tx, revokedJTI{"jti-revoked", now.Add(time.Hour)})
			}); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name, header, desc string // desc "" means accepted; "-" means a plain challenge (no token seen)
			}{
				{"valid", "Bearer " + sign(keys, nil), ""},
				{"scheme is case-insensitive", "bearer " + sign(keys, nil), ""},
				{"expired", "Bearer " + sign(keys, func(c *token.Claims) {
					c.ExpiresAt, c.IssuedAt, c.NotBefore = now.Add(-time.Hour), now.Add(-2*time.Hour), now.Add(-2*time.Hour)
				}), "token expired"},
				{"not yet valid", "Bearer " + sign(keys, func(c *token.Claims) { c.NotBefore = now.Add(time.Hour) }), "token not yet valid"},
				{"wrong signature", "Bearer " + sign(foreign, nil), "invalid signature or unknown key"},
				{"wrong audience", "Bearer " + sign(keys, func(c *token.Claims) { c.Audience = []string{"https://other.example/fhir"} }), "wrong audience"},
				{"wrong issuer", "Bearer " + sign(keys, func(c *token.Claims) { c.Issuer = "https://other.example" }), "wrong issuer"},
				{"id token", "Bearer " + sign(keys, func(c *token.Claims) { c.Type = token.TypeIDToken }), "not an access token"},
				{"revoked", "Bearer " + revoked, "token revoked"},
				{"role changed", "Bearer " + sign(keys, func(c *token.Claims) { c.Extra[auth.ClaimRole] = "admin" }), "the account changed since the token was issued"},
				{"unknown subject", "Bearer " + sign(keys, func(c *token.Claims) { c.Subject = "ghost" }), "account disabled or removed"},
				{"no kind", "Bearer " + sign(keys, func(c *token.Claims) { delete(c.Extra, auth.ClaimKind) }), "malformed token"},
				{"bad scope", "Bearer " + sign(keys, func(c *token.Claims) { c.Scope = "user/Nope.rs" }), "token scope cannot be parsed"},
				{"unknown client", "Bearer " + sign(keys, func(c *token.Claims) { c.ClientID = "gone" }), "client disabled or removed"},
				{"junk", "Bearer not-a-token", "malformed token"},
				{"empty", "Bearer ", "empty bearer token"},
				{"basic", "Basic dXNlcjpwYXNz", "-"},
				{"none", "", "-"},
			}
			for _, tc := range tests {
				for _, path := range []string{"/fhir/r4/Patient", "/api/x"} {
					req, _ := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
					if tc.header != "" {
						req.Header.Set("Authorization", tc.header)
					}
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					www := resp.Header.Get("WWW-Authenticate")
					switch tc.desc {
					case "":
						if resp.StatusCode != http.StatusOK {
							t.Errorf("%s %s: %d %s", tc.name, path, resp.StatusCode, www)
						}
						continue
					case "-":
						if resp.StatusCode != http.StatusUnauthorized || www != `Bearer realm="housecall"` {
							t.Errorf("%s %s: %d %q", tc.name, path, resp.StatusCode, www)
						}
					default:
						want := `Bearer realm="housecall", error="invalid_token", error_description="` + tc.desc + `"`
						if resp.StatusCode != http.StatusUnauthorized || www != want {
							t.Errorf("%s %s: %d %q, want %q", tc.name, path, resp.StatusCode, www, want)
						}
					}
					if tok := strings.TrimPrefix(tc.header, "Bearer "); len(tok) > 10 && (strings.Contains(string(body), tok) || strings.Contains(www, tok)) {
						t.Errorf("%s: the token was echoed", tc.name)
					}
					var doc map[string]any
					_ = json.Unmarshal(body, &doc)
					if path == "/api/x" && tc.desc != "-" && doc["error"] != "invalid_token" {
						t.Errorf("%s %s: JSON body %s", tc.name, path, body)
					}
					if path == "/fhir/r4/Patient" && (doc["resourceType"] != "OperationOutcome" || resp.Header.Get("Content-Type") != "application/fhir+json") {
						t.Errorf("%s %s: body %s", tc.name, path, body)
					}
				}
			}
			// Two Authorization headers.
			req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/api/x", nil)
			req.Header.Add("Authorization", "Bearer "+sign(keys, nil))
			req.Header.Add("Authorization", "Bearer "+sign(keys, nil))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("two headers: %d", resp.StatusCode)
			}
		})
	}
}

func TestIssueToken(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			ctx := t.Context()
			doc := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			pat := e.user("pat@example.org", auth.RolePatient, "Patient/7", "")
			tok, err := e.srv.IssueToken(ctx, doc, "user/*.rs patient/*.rs system/*.rs", 0)
			if err != nil {
				t.Fatal(err)
			}
			st, id, _ := e.api("/fhir/r4/Patient", tok)
			if st != 200 || id["scope"] != "user/*.rs" || id["client_id"] != AdminClientID || id["role"] != "practitioner" {
				t.Fatalf("practitioner token: %d %v", st, id)
			}
			tok, err = e.srv.IssueToken(ctx, pat, "patient/*.rs", 10*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if st, id, _ := e.api("/fhir/r4/Patient", tok); st != 200 || id["patient"] != "7" {
				t.Fatalf("patient token: %d %v", st, id)
			}
			e.clock.Advance(11 * time.Minute)
			if st, _, _ := e.api("/fhir/r4/Patient", tok); st != 401 {
				t.Fatalf("token past its ttl: %d", st)
			}
			if _, err := e.srv.IssueToken(ctx, pat, "user/*.rs", 0); err != ErrScope {
				t.Fatalf("ungrantable scope: %v", err)
			}
			if _, err := e.srv.IssueToken(ctx, doc, "user/*.rs", 25*time.Hour); err == nil {
				t.Fatal("ttl over 24h accepted")
			}
			if got := e.events.find(EventTokenIssued, OutcomeSuccess); len(got) != 2 || got[0].GrantType != "admin" {
				t.Fatalf("events %+v", got)
			}
		})
	}
}
