package adminapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/oauth"
)

// signIn runs the authorization code flow with PKCE in a fresh browser:
// sign-in page, password, consent when the app is not first-party; it
// returns the token response.
func (w *world) signIn(clientID, redirect, scope, email, password string) map[string]any {
	w.t.Helper()
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}, "scope": {scope},
		"state": {"s1"}, "aud": {w.url + "/fhir/r4"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	b := w.browser()
	pg := b.get(w.url + "/oauth2/authorize?" + q.Encode())
	pg = b.submit(pg, "/oauth2/signin", map[string]string{"email": email, "password": password})
	if pg.loc == nil && strings.Contains(pg.body, "Allow access?") {
		pg = b.submit(pg, "/oauth2/consent", map[string]string{"decision": "allow"})
	}
	if pg.loc == nil || pg.loc.Query().Get("code") == "" || !strings.HasPrefix(pg.loc.String(), redirect) {
		w.t.Fatalf("no code: %d %v\n%.1500s", pg.status, pg.loc, pg.body)
	}
	resp, err := http.PostForm(w.url+"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {pg.loc.Query().Get("code")},
		"code_verifier": {verifier}, "redirect_uri": {redirect}, "client_id": {clientID}})
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		w.t.Fatalf("token: %d %v %v", resp.StatusCode, tok, err)
	}
	return tok
}

// TestWebAppSignIn: the server registers the web app's client for its
// issuer; an administrator signs in through it without a consent screen
// and may use the admin API, which stays closed to third-party apps.
func TestWebAppSignIn(t *testing.T) {
	w := openWorld(t, backends()["sqlite"](t))
	ctx := t.Context()
	c, err := w.a.Accounts.ClientByID(ctx, app.WebClientID)
	if err != nil || !c.Public || !c.HasPermission(oauth.PermissionFirstParty) || !slices.Equal(c.RedirectURIs, []string{w.url + "/auth/callback"}) ||
		c.Scopes != "fhirUser launch/patient offline_access openid patient/*.cruds user/*.cruds" {
		t.Fatalf("web client %+v, %v", c, err)
	}
	if _, err := w.a.Accounts.CreateUser(ctx, account.NewUser{Email: "admin@t.test", Role: auth.RoleAdmin, Password: adminPassword}); err != nil {
		t.Fatal(err)
	}
	tok := w.signIn(app.WebClientID, w.url+"/auth/callback", app.WebClientScopes, "admin@t.test", adminPassword)
	if tok["scope"] != "offline_access openid user/*.cruds" || tok["refresh_token"] == nil {
		t.Fatalf("web app token %v", tok)
	}
	access, _ := tok["access_token"].(string)
	if st, out := w.call(access, "GET", "/v1/admin/users", nil); st != 200 || len(out["users"].([]any)) != 1 {
		t.Fatalf("admin API through the web app: %d %v", st, out)
	}
	// The admin cannot lock themselves out of the web app.
	if st, _ := w.call(access, "POST", "/v1/admin/clients/"+app.WebClientID+"/disable", nil); st != http.StatusConflict {
		t.Fatalf("disabling the client of one's own session: %d", st)
	}

	// A third-party app the administrator signs in to.
	const cb = "http://127.0.0.1:9/cb"
	st, out := w.call(access, "POST", "/v1/admin/clients", map[string]any{"name": "Reports", "public": true,
		"scopes": "openid user/*.rs", "redirectUris": []string{cb}})
	cl, _ := out["client"].(map[string]any)
	id, _ := cl["id"].(string)
	if st != http.StatusCreated {
		t.Fatalf("create client: %d %v", st, out)
	}
	other := w.signIn(id, cb, "openid user/*.rs", "admin@t.test", adminPassword)
	otherAccess, _ := other["access_token"].(string)
	if st, _ := w.call(otherAccess, "GET", "/fhir/r4/Patient", nil); st != 200 {
		t.Fatalf("the app's FHIR access: %d", st)
	}
	if st, out := w.call(otherAccess, "GET", "/v1/admin/users", nil); st != http.StatusForbidden || !strings.Contains(out["message"].(string), "own apps") {
		t.Fatalf("admin API through a third-party app: %d %v", st, out)
	}

	// The app is served at / with client routes; API paths stay APIs.
	for path, want := range map[string]string{"/": "text/html", "/auth/callback": "text/html", "/v1/admin/nope": "application/json"} {
		resp, err := http.Get(w.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), want) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}
