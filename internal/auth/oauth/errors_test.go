package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
)

func TestAuthorizeErrors(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			app := e.publicApp("user/*.rs")
			two, _ := e.client(account.NewClient{Name: "Two", Public: true, Scopes: "user/*.rs", RedirectURIs: []string{appRedirect, appRedirect + "2"}})
			backend, _ := e.client(account.NewClient{Name: "Svc", Scopes: "system/*.rs"})
			p := newPKCE("g")
			u := func(c *account.Client, extra url.Values) string { return e.authorizeURL(c, "user/*.rs", p, extra) }
			pages := []struct {
				name, url, text string
			}{
				{"unregistered redirect_uri", u(app, url.Values{"redirect_uri": {"http://127.0.0.1:9/evil"}}), "has not registered"},
				{"unknown client", u(&account.Client{ID: "nope"}, nil), "not registered with this server"},
				{"no client_id", u(&account.Client{}, nil), "client_id is missing"},
				{"ambiguous redirect", u(two, url.Values{"redirect_uri": {""}}), "redirect_uri is missing"},
				{"repeated redirect_uri", u(app, url.Values{"redirect_uri": {appRedirect, appRedirect}}), "repeats redirect_uri"},
			}
			b := e.browser()
			for _, tc := range pages {
				pg := b.get(tc.url)
				if pg.status != http.StatusBadRequest || pg.loc != nil || !strings.Contains(pg.body, tc.text) {
					t.Errorf("%s: %d loc=%v\n%s", tc.name, pg.status, pg.loc, pg.body)
				}
			}
			redirects := []struct {
				name, url, code string
			}{
				{"no PKCE", u(app, url.Values{"code_challenge": {""}}), "invalid_request"},
				{"plain PKCE", u(app, url.Values{"code_challenge_method": {"plain"}}), "invalid_request"},
				{"malformed challenge", u(app, url.Values{"code_challenge": {"short"}}), "invalid_request"},
				{"aud mismatch", u(app, url.Values{"aud": {"https://elsewhere.example/fhir"}}), "invalid_request"},
				{"no aud", u(app, url.Values{"aud": {""}}), "invalid_request"},
				{"implicit grant", u(app, url.Values{"response_type": {"token"}}), "unsupported_response_type"},
				{"bad scope", u(app, url.Values{"scope": {"user/Nope.rs"}}), "invalid_scope"},
				{"repeated state", u(app, url.Values{"state": {"a", "b"}}), "invalid_request"},
				{"client without code grant", strings.Replace(u(app, nil), app.ID, backend.ID, 1), ""},
				{"prompt none, signed out", u(app, url.Values{"prompt": {"none"}}), "login_required"},
			}
			for _, tc := range redirects {
				pg := b.get(tc.url)
				if tc.code == "" { // backend has no redirect URI: a page
					if pg.status != http.StatusBadRequest || pg.loc != nil {
						t.Errorf("%s: %d %v", tc.name, pg.status, pg.loc)
					}
					continue
				}
				if pg.loc == nil || !strings.HasPrefix(pg.loc.String(), appRedirect+"?") {
					t.Errorf("%s: no redirect to the app (%d)\n%s", tc.name, pg.status, pg.body)
					continue
				}
				q := pg.loc.Query()
				if q.Get("error") != tc.code || q.Get("iss") != e.ts.URL || q.Get("code") != "" {
					t.Errorf("%s: redirect %v", tc.name, q)
				}
				if tc.name != "repeated state" && q.Get("state") != "st-123" {
					t.Errorf("%s: state %q", tc.name, q.Get("state"))
				}
			}
			// Deny.
			usr := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			pg := b.get(u(app, nil))
			pg = b.submit(e.ts.URL, pg, "/oauth2/signin", map[string]string{"email": usr.Email, "password": goodPassword})
			pg = b.submit(e.ts.URL, pg, "/oauth2/consent", map[string]string{"decision": "deny"})
			if pg.loc == nil || pg.loc.Query().Get("error") != "access_denied" {
				t.Fatalf("deny: %d %v", pg.status, pg.loc)
			}
			// Nothing the practitioner may have: invalid_scope.
			pg = b.get(e.authorizeURL(app, "patient/*.rs", p, nil))
			if pg.loc == nil || pg.loc.Query().Get("error") != "invalid_scope" {
				t.Fatalf("ungrantable scope: %d %v", pg.status, pg.loc)
			}
		})
	}
}

func TestTokenErrors(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			usr := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			app := e.publicApp("user/*.rs")
			other := e.publicApp("user/*.rs")
			p := newPKCE("h")
			b := e.browser()
			code := e.signIn(b, app, "user/*.rs", usr.Email, goodPassword, p)
			form := func(mod func(url.Values)) url.Values {
				f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {p.verifier},
					"redirect_uri": {appRedirect}, "client_id": {app.ID}}
				mod(f)
				return f
			}
			tests := []struct {
				name    string
				form    url.Values
				status  int
				wantErr string
			}{
				{"no verifier", form(func(f url.Values) { f.Del("code_verifier") }), 400, "invalid_request"},
				{"short verifier", form(func(f url.Values) { f.Set("code_verifier", "abc") }), 400, "invalid_request"},
				{"wrong verifier", form(func(f url.Values) { f.Set("code_verifier", newPKCE("z").verifier) }), 400, "invalid_grant"},
				{"wrong client", form(func(f url.Values) { f.Set("client_id", other.ID) }), 400, "invalid_grant"},
				{"unknown client", form(func(f url.Values) { f.Set("client_id", "nope") }), 401, "invalid_client"},
				{"redirect mismatch", form(func(f url.Values) { f.Set("redirect_uri", appRedirect+"/x") }), 400, "invalid_grant"},
				{"unknown code", form(func(f url.Values) { f.Set("code", "nope") }), 400, "invalid_grant"},
				{"no code", form(func(f url.Values) { f.Del("code") }), 400, "invalid_request"},
				{"no grant type", form(func(f url.Values) { f.Del("grant_type") }), 400, "invalid_request"},
			}
			for _, tc := range tests {
				st, out, _ := e.tokenReq(tc.form)
				if st != tc.status || str(out, "error") != tc.wantErr {
					t.Errorf("%s: %d %v, want %d %s", tc.name, st, out, tc.status, tc.wantErr)
				}
			}
			// Failed attempts do not spend the code.
			if st, out := e.exchange(app, code, p); st != http.StatusOK {
				t.Fatalf("exchange after failures: %d %v", st, out)
			}
			// Expired code.
			p2 := newPKCE("i")
			code2 := e.approve(b, b.get(e.authorizeURL(app, "user/*.rs", p2, nil)))
			e.clock.Advance(DefaultCodeTTL + time.Second)
			if st, out := e.exchange(app, code2, p2); st != http.StatusBadRequest || str(out, "error") != "invalid_grant" {
				t.Fatalf("expired code: %d %v", st, out)
			}
			// Not a form body.
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/oauth2/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("JSON body: %d", resp.StatusCode)
			}
		})
	}
}

func TestLockoutAndDisabled(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			usr := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			app := e.publicApp("user/*.rs")
			b := e.browser()
			p := newPKCE("j")
			start := b.get(e.authorizeURL(app, "user/*.rs", p, nil))
			for i := range 3 { // the test lockout threshold
				pg := b.submit(e.ts.URL, start, "/oauth2/signin", map[string]string{"email": usr.Email, "password": "wrong password here"})
				if pg.status != http.StatusBadRequest || !strings.Contains(pg.body, "e-mail address or password is not right") ||
					!strings.Contains(pg.body, `value="doc@example.org"`) {
					t.Fatalf("failure %d: %d", i, pg.status)
				}
			}
			pg := b.submit(e.ts.URL, start, "/oauth2/signin", map[string]string{"email": usr.Email, "password": goodPassword})
			if pg.status != http.StatusTooManyRequests || !strings.Contains(pg.body, "Too many failed attempts") || pg.header.Get("Retry-After") != "60" {
				t.Fatalf("locked: %d %v", pg.status, pg.header)
			}
			if got := e.events.find(EventLoginFailed, OutcomeFailure); len(got) != 4 || got[3].Reason != "locked" || got[0].Reason != "bad-credentials" || got[0].Subject != "" {
				t.Fatalf("failed-login events %+v", got)
			}
			e.clock.Advance(time.Minute)
			code := e.approve(b, b.submit(e.ts.URL, start, "/oauth2/signin", map[string]string{"email": usr.Email, "password": goodPassword}))
			_, tok := e.exchange(app, code, p)
			// Disabling: no sign-in, and existing tokens stop working.
			if err := e.acc.SetDisabled(t.Context(), usr.ID, true); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(11 * time.Second)
			if st, _, h := e.api("/fhir/r4/Patient", str(tok, "access_token")); st != http.StatusUnauthorized ||
				!strings.Contains(h.Get("WWW-Authenticate"), "account disabled") {
				t.Fatalf("disabled user's token: %d %v", st, h)
			}
			b2 := e.browser()
			start = b2.get(e.authorizeURL(app, "user/*.rs", p, nil))
			pg = b2.submit(e.ts.URL, start, "/oauth2/signin", map[string]string{"email": usr.Email, "password": goodPassword})
			if pg.status != http.StatusForbidden || !strings.Contains(pg.body, "disabled") {
				t.Fatalf("disabled sign-in: %d", pg.status)
			}
			// The old browser session is refused too.
			if pg := b.get(e.authorizeURL(app, "user/*.rs", p, nil)); strings.Contains(pg.body, "Allow access?") {
				t.Fatal("disabled user's session still works")
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, sqliteDB(t), envOpts{})
	usr := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
	app := e.publicApp("user/*.rs")
	p := newPKCE("k")
	b := e.browser()
	start := b.get(e.authorizeURL(app, "user/*.rs", p, nil))
	creds := map[string]string{"email": usr.Email, "password": goodPassword}
	for name, csrf := range map[string]string{"missing": "", "tampered": "AAAA" + strings.Repeat("x", 39)} {
		fields := map[string]string{"csrf": csrf}
		for k, v := range creds {
			fields[k] = v
		}
		if pg := b.submit(e.ts.URL, start, "/oauth2/signin", fields); pg.status != http.StatusForbidden || pg.loc != nil {
			t.Errorf("%s CSRF token: %d", name, pg.status)
		}
	}
	// A form from one browser does not work in another (different cookie).
	if pg := e.browser().submit(e.ts.URL, start, "/oauth2/signin", creds); pg.status != http.StatusForbidden {
		t.Errorf("foreign CSRF token: %d", pg.status)
	}
	pg := b.submit(e.ts.URL, start, "/oauth2/signin", creds)
	if !strings.Contains(pg.body, "Allow access?") {
		t.Fatalf("valid form refused: %d", pg.status)
	}
	if got := pg.header.Get("Content-Security-Policy"); !strings.Contains(got, "form-action 'self' http://127.0.0.1:9;") || strings.Contains(pg.body, "<script") || strings.Contains(pg.body, "style=") {
		t.Fatalf("consent page CSP %q", got)
	}
	// Consent without a token is refused as well.
	if pg := b.submit(e.ts.URL, pg, "/oauth2/consent", map[string]string{"decision": "allow", "csrf": ""}); pg.status != http.StatusForbidden {
		t.Fatalf("consent without CSRF: %d", pg.status)
	}
}
