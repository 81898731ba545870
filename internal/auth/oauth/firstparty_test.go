package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
)

// webScopes is what the web app asks for (contract section 7).
const webScopes = "openid fhirUser offline_access user/*.cruds patient/*.cruds launch/patient"

// TestFirstPartySkipsConsent: the clinic's own app gets its code right
// after sign-in; other apps still show the consent page.
func TestFirstPartySkipsConsent(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			u := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			web, _ := e.client(account.NewClient{Name: "Housecall web app", Public: true, Scopes: webScopes,
				RedirectURIs: []string{appRedirect}, Permissions: []string{PermissionFirstParty}})
			other := e.publicApp(webScopes)
			b := e.browser()
			p := newPKCE("w")
			pg := b.get(e.authorizeURL(web, webScopes, p, nil))
			pg = b.submit(e.ts.URL, pg, "/oauth2/signin", map[string]string{"email": u.Email, "password": goodPassword})
			if pg.loc == nil || pg.loc.Query().Get("code") == "" || pg.loc.Query().Get("state") != "st-123" {
				t.Fatalf("first-party sign-in did not return a code: %d\n%s", pg.status, pg.body)
			}
			st, tok := e.exchange(web, pg.loc.Query().Get("code"), p)
			if st != http.StatusOK || str(tok, "scope") != "fhirUser offline_access openid user/*.cruds" || str(tok, "refresh_token") == "" {
				t.Fatalf("exchange: %d %v", st, tok)
			}
			// Signed in already: silent renewal works (prompt=none).
			p2 := newPKCE("x")
			pg = b.get(e.authorizeURL(web, webScopes, p2, url.Values{"prompt": {"none"}}))
			if pg.loc == nil || pg.loc.Query().Get("code") == "" {
				t.Fatalf("prompt=none: %d %v\n%s", pg.status, pg.loc, pg.body)
			}
			// prompt=consent asks even a first-party app's user.
			pg = b.get(e.authorizeURL(web, webScopes, p2, url.Values{"prompt": {"consent"}}))
			if pg.status != http.StatusOK || !strings.Contains(pg.body, "Allow access?") {
				t.Fatalf("prompt=consent: %d\n%s", pg.status, pg.body)
			}
			// Another app in the same browser: consent page, and no silent code.
			pg = b.get(e.authorizeURL(other, webScopes, p2, nil))
			if pg.status != http.StatusOK || !strings.Contains(pg.body, "Allow access?") {
				t.Fatalf("third-party app: %d\n%s", pg.status, pg.body)
			}
			pg = b.get(e.authorizeURL(other, webScopes, p2, url.Values{"prompt": {"none"}}))
			if pg.loc == nil || pg.loc.Query().Get("error") != "consent_required" {
				t.Fatalf("third-party prompt=none: %d %v", pg.status, pg.loc)
			}
			// A disabled account loses the session, first-party or not.
			if err := e.acc.SetDisabled(t.Context(), u.ID, true); err != nil {
				t.Fatal(err)
			}
			if pg = b.get(e.authorizeURL(web, webScopes, p2, nil)); pg.loc != nil || pg.status != http.StatusForbidden {
				t.Fatalf("disabled user: %d %v", pg.status, pg.loc)
			}
		})
	}
}

// TestWebAppScopes: what each kind of user gets for the web app's scope
// string.
func TestWebAppScopes(t *testing.T) {
	web := &account.Client{Scopes: webScopes}
	requested, err := parseScopes(webScopes)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		user    account.User
		scopes  string
		patient string
	}{
		{"practitioner", account.User{Role: auth.RolePractitioner, FHIRResource: "Practitioner/p1"}, "fhirUser offline_access openid user/*.cruds", ""},
		{"staff without resource", account.User{Role: auth.RoleStaff}, "offline_access openid user/*.cruds", ""},
		{"admin without resource", account.User{Role: auth.RoleAdmin}, "offline_access openid user/*.cruds", ""},
		{"admin with a Practitioner", account.User{Role: auth.RoleAdmin, FHIRResource: "Practitioner/a1"}, "fhirUser offline_access openid user/*.cruds", ""},
		{"patient", account.User{Role: auth.RolePatient, FHIRResource: "Patient/pat1"}, "fhirUser launch/patient offline_access openid patient/*.cruds", "pat1"},
		{"patient's relative", account.User{Role: auth.RolePatient, FHIRResource: "RelatedPerson/r1"}, "fhirUser offline_access openid", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := grantForUser(requested, web, &tc.user)
			if err != nil || g.scopes.String() != tc.scopes || g.patient != tc.patient {
				t.Fatalf("granted %q (patient %q), %v; want %q (patient %q)", g.scopes.String(), g.patient, err, tc.scopes, tc.patient)
			}
		})
	}
}
