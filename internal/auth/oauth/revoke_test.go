package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
)

func TestRevokeAndIntrospect(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			usr := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			app := e.confApp("user/*.rs offline_access")
			other := e.confApp("user/*.rs offline_access")
			public := e.publicApp("user/*.rs")
			p := newPKCE("m")
			_, tok := e.exchangeConf(app, e.signIn(e.browser(), app.c, "user/*.rs offline_access", usr.Email, goodPassword, p), p)
			at, rt := str(tok, "access_token"), str(tok, "refresh_token")
			introspect := func(c confApp, t string) map[string]any {
				_, out, _ := e.postJSON("/oauth2/introspect", url.Values{"token": {t}}, c.c.ID, c.secret)
				return out
			}
			got := introspect(other, at) // any authenticated client may introspect
			if got["active"] != true || got["sub"] != usr.ID || got["client_id"] != app.c.ID || got["scope"] != "offline_access user/*.rs" ||
				got["fhirUser"] != "Practitioner/p1" || got["role"] != "practitioner" || got["token_type"] != "Bearer" {
				t.Fatalf("introspect access token: %v", got)
			}
			if got := introspect(app, rt); got["active"] != true || got["token_type"] != "refresh_token" || got["sub"] != usr.ID {
				t.Fatalf("introspect refresh token: %v", got)
			}
			for _, junk := range []string{"junk", "a.b.c"} {
				if got := introspect(app, junk); got["active"] != false || len(got) != 1 {
					t.Fatalf("introspect %q: %v", junk, got)
				}
			}
			if st, out, _ := e.postJSON("/oauth2/introspect", url.Values{"token": {at}, "client_id": {public.ID}}); st != http.StatusUnauthorized || str(out, "error") != "invalid_client" {
				t.Fatalf("public client introspection: %d %v", st, out)
			}
			// Another client cannot revoke the token; the answer is the same.
			if st, _, _ := e.postJSON("/oauth2/revoke", url.Values{"token": {at}}, other.c.ID, other.secret); st != http.StatusOK {
				t.Fatalf("foreign revoke: %d", st)
			}
			if st, _, _ := e.api("/fhir/r4/Patient", at); st != http.StatusOK {
				t.Fatal("a foreign client revoked the token")
			}
			if st, _, _ := e.postJSON("/oauth2/revoke", url.Values{"token": {at}, "token_type_hint": {"access_token"}}, app.c.ID, app.secret); st != http.StatusOK {
				t.Fatalf("revoke: %d", st)
			}
			if st, _, _ := e.api("/fhir/r4/Patient", at); st != http.StatusUnauthorized {
				t.Fatalf("revoked access token accepted: %d", st)
			}
			if got := introspect(app, at); got["active"] != false {
				t.Fatalf("introspect revoked: %v", got)
			}
			if st, _, _ := e.postJSON("/oauth2/revoke", url.Values{"token": {rt}}, app.c.ID, app.secret); st != http.StatusOK {
				t.Fatalf("revoke refresh: %d", st)
			}
			if st, out := e.refresh(app, rt, ""); st != http.StatusBadRequest || str(out, "error") != "invalid_grant" {
				t.Fatalf("revoked refresh token: %d %v", st, out)
			}
			if got := introspect(app, rt); got["active"] != false {
				t.Fatalf("introspect revoked refresh: %v", got)
			}
			if st, _, _ := e.postJSON("/oauth2/revoke", url.Values{"token": {"junk"}}, app.c.ID, app.secret); st != http.StatusOK {
				t.Fatalf("revoke junk: %d", st)
			}
			if st, out, _ := e.postJSON("/oauth2/revoke", url.Values{}, app.c.ID, app.secret); st != http.StatusBadRequest || str(out, "error") != "invalid_request" {
				t.Fatalf("revoke without token: %d %v", st, out)
			}
			if got := e.events.find(EventTokenRevoked, OutcomeSuccess); len(got) != 2 || got[0].Subject != usr.ID || got[0].TokenID == "" {
				t.Fatalf("revocation events %+v", got)
			}
		})
	}
}

func TestLogoutAndSessions(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{server: func(o *Options) { o.SessionMax = 2 * time.Hour }})
			usr := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			app := e.publicApp("user/*.rs")
			b := e.browser()
			p := newPKCE("n")
			code := e.signIn(b, app, "user/*.rs online_access", usr.Email, goodPassword, p)
			_, tok := e.exchange(app, code, p)
			rt := str(tok, "refresh_token")
			refresh := func(rt string) (int, map[string]any) {
				st, out, _ := e.tokenReq(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {app.ID}})
				return st, out
			}
			st, out := refresh(rt)
			if st != http.StatusOK || str(out, "refresh_token") == "" {
				t.Fatalf("online refresh: %d %v", st, out)
			}
			rt = str(out, "refresh_token")
			// Sign out from the logout page.
			pg := b.get(e.ts.URL + "/oauth2/logout")
			pg = b.submit(e.ts.URL, pg, "/oauth2/logout", nil)
			if pg.status != http.StatusOK || !contains(pg.body, "You are signed out") {
				t.Fatalf("logout: %d\n%s", pg.status, pg.body)
			}
			if st, out := refresh(rt); st != http.StatusBadRequest || str(out, "error") != "invalid_grant" {
				t.Fatalf("online token after logout: %d %v", st, out)
			}
			if pg := b.get(e.authorizeURL(app, "user/*.rs", p, nil)); !contains(pg.body, `action="/oauth2/signin"`) {
				t.Fatal("still signed in after logout")
			}
			if got := e.events.find(EventLogout, OutcomeSuccess); len(got) != 1 || got[0].Subject != usr.ID {
				t.Fatalf("logout events %+v", got)
			}
			// Idle timeout.
			e.approve(b, b.submit(e.ts.URL, b.get(e.authorizeURL(app, "user/*.rs", p, nil)), "/oauth2/signin",
				map[string]string{"email": usr.Email, "password": goodPassword}))
			e.clock.Advance(DefaultSessionIdle + time.Second)
			if pg := b.get(e.authorizeURL(app, "user/*.rs", p, nil)); !contains(pg.body, `action="/oauth2/signin"`) {
				t.Fatal("session survived the idle timeout")
			}
			// Absolute timeout, even when active.
			e.approve(b, b.submit(e.ts.URL, b.get(e.authorizeURL(app, "user/*.rs", p, nil)), "/oauth2/signin",
				map[string]string{"email": usr.Email, "password": goodPassword}))
			for range 5 {
				e.clock.Advance(20 * time.Minute)
				if pg := b.get(e.authorizeURL(app, "user/*.rs", p, nil)); !contains(pg.body, "Allow access?") {
					t.Fatal("active session ended early")
				}
			}
			e.clock.Advance(20 * time.Minute)
			if pg := b.get(e.authorizeURL(app, "user/*.rs", p, nil)); !contains(pg.body, `action="/oauth2/signin"`) {
				t.Fatal("session survived the absolute timeout")
			}
			// The session cookie is HttpOnly and SameSite=Lax, not __Host- on http.
			pg = e.browser().get(e.authorizeURL(app, "user/*.rs", p, nil))
			if c := pg.header.Get("Set-Cookie"); !contains(c, "housecall_csrf=") || !contains(c, "HttpOnly") || !contains(c, "SameSite=Lax") || contains(c, "__Host-") {
				t.Fatalf("cookie %q", c)
			}
			if err := e.srv.purge(t.Context()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestPurge(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			ctx := t.Context()
			usr := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			e.user("pat@example.org", auth.RolePatient, "Patient/1", "")
			app := e.publicApp("user/*.rs offline_access")
			p := newPKCE("s")
			_, tok := e.exchange(app, e.signIn(e.browser(), app, "user/*.rs offline_access", usr.Email, goodPassword, p), p)
			if st, _, _ := e.postJSON("/oauth2/revoke", url.Values{"token": {str(tok, "access_token")}, "client_id": {app.ID}}); st != http.StatusOK {
				t.Fatalf("revoke: %d", st)
			}
			if _, _, err := e.acc.StartCodeLogin(ctx, "pat@example.org"); err != nil {
				t.Fatal(err)
			}
			count := func() (n int) {
				for _, tbl := range []string{"oauth_sessions", "oauth_codes", "oauth_refresh_tokens", "oauth_revoked", "account_login_codes"} {
					var c int
					if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM "+tbl).Scan(&c); err != nil {
						t.Fatal(err)
					}
					n += c
				}
				return n
			}
			if err := e.srv.purge(ctx); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 5 {
				t.Fatalf("live rows purged: %d left, want 5", n)
			}
			e.clock.Advance(DefaultRefreshTTL + time.Hour)
			if err := e.srv.purge(ctx); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 0 {
				t.Fatalf("%d expired rows left", n)
			}
		})
	}
}
