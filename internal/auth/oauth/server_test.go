package oauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/token"
)

func getJSON(t *testing.T, u string) map[string]any {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t, sqliteDB(t), envOpts{})
	oidc := getJSON(t, e.ts.URL+"/.well-known/openid-configuration")
	smart := getJSON(t, e.ts.URL+"/fhir/r4/.well-known/smart-configuration")
	for _, doc := range []map[string]any{oidc, smart} {
		for k, want := range map[string]string{
			"issuer": e.ts.URL, "authorization_endpoint": e.ts.URL + "/oauth2/authorize", "token_endpoint": e.ts.URL + "/oauth2/token",
			"jwks_uri": e.ts.URL + "/.well-known/jwks.json", "revocation_endpoint": e.ts.URL + "/oauth2/revoke",
			"introspection_endpoint": e.ts.URL + "/oauth2/introspect",
		} {
			if doc[k] != want {
				t.Errorf("%s = %v, want %s", k, doc[k], want)
			}
		}
		if got := strs(doc["code_challenge_methods_supported"]); !slices.Equal(got, []string{"S256"}) {
			t.Errorf("code_challenge_methods_supported %v", got)
		}
		if got := strs(doc["token_endpoint_auth_signing_alg_values_supported"]); !slices.Contains(got, "RS384") || !slices.Contains(got, "ES384") {
			t.Errorf("assertion algs %v", got)
		}
		if doc["userinfo_endpoint"] != nil || doc["registration_endpoint"] != nil {
			t.Error("advertises an endpoint that does not exist")
		}
	}
	caps := strs(smart["capabilities"])
	for _, c := range []string{"launch-standalone", "client-public", "client-confidential-symmetric", "client-confidential-asymmetric",
		"context-standalone-patient", "permission-v1", "permission-v2", "permission-patient", "permission-user", "sso-openid-connect", "authorize-post"} {
		if !slices.Contains(caps, c) {
			t.Errorf("capability %s missing", c)
		}
	}
	if slices.Contains(caps, "launch-ehr") {
		t.Error("advertises EHR launch")
	}
	if got := strs(oidc["id_token_signing_alg_values_supported"]); !slices.Equal(got, []string{"RS256"}) {
		t.Errorf("id token algs %v", got)
	}
	jwks := getJSON(t, e.ts.URL+"/.well-known/jwks.json")
	keys := jwks["keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["kid"] != e.srv.Keys().CurrentKeyID() || keys[0].(map[string]any)["d"] != nil {
		t.Fatalf("jwks %v", jwks)
	}
	// authorize-post becomes the GET.
	app := e.publicApp("user/*.rs")
	q, _ := url.ParseQuery(strings.SplitN(e.authorizeURL(app, "user/*.rs", newPKCE("p"), nil), "?", 2)[1])
	pg := e.browser().post(e.ts.URL+"/oauth2/authorize", q)
	if pg.status != 200 || !strings.Contains(pg.body, `action="/oauth2/signin"`) {
		t.Fatalf("authorize-post: %d", pg.status)
	}
	// Static stylesheet for the pages.
	resp, err := http.Get(e.ts.URL + "/oauth2/static/style.css")
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("style.css: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestRateLimits(t *testing.T) {
	e := newEnv(t, sqliteDB(t), envOpts{server: func(o *Options) {
		o.RateLimits = RateLimits{Token: Limit{Every: time.Minute, Burst: 2}, Login: Limit{Every: time.Minute, Burst: 2}}
	}})
	for i := range 3 {
		st, out, h := e.tokenReq(url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}})
		want := http.StatusUnauthorized
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		if st != want {
			t.Fatalf("request %d: %d %v", i, st, out)
		}
		if i == 2 && h.Get("Retry-After") != "60" {
			t.Fatalf("Retry-After %q", h.Get("Retry-After"))
		}
	}
	e.clock.Advance(time.Minute)
	if st, _, _ := e.tokenReq(url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}}); st != http.StatusUnauthorized {
		t.Fatalf("after refill: %d", st)
	}
	// Per account: the third attempt on one address is refused, another address still works.
	app := e.publicApp("user/*.rs")
	b := e.browser()
	start := b.get(e.authorizeURL(app, "user/*.rs", newPKCE("q"), nil))
	for i := range 3 {
		pg := b.submit(e.ts.URL, start, "/oauth2/signin", map[string]string{"email": "Someone@example.org ", "password": "x"})
		if (i < 2 && pg.status != http.StatusBadRequest) || (i == 2 && pg.status != http.StatusTooManyRequests) {
			t.Fatalf("attempt %d: %d", i, pg.status)
		}
	}
	if pg := b.submit(e.ts.URL, start, "/oauth2/signin", map[string]string{"email": "other@example.org", "password": "x"}); pg.status != http.StatusBadRequest {
		t.Fatalf("other address: %d", pg.status)
	}
	if got := e.events.find(EventLoginFailed, OutcomeFailure); len(got) != 4 || got[2].Reason != "rate-limited" {
		t.Fatalf("events %+v", got)
	}
}

func TestLimiter(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l := newLimiter(Limit{Every: time.Second, Burst: 3}, c.Now)
	for i := range 3 {
		if ok, _ := l.allow("k"); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	ok, wait := l.allow("k")
	if ok || wait != time.Second {
		t.Fatalf("over burst: %v %v", ok, wait)
	}
	c.Advance(500 * time.Millisecond)
	if ok, wait := l.allow("k"); ok || wait != 500*time.Millisecond {
		t.Fatalf("half refilled: %v %v", ok, wait)
	}
	c.Advance(500 * time.Millisecond)
	if ok, _ := l.allow("k"); !ok {
		t.Fatal("refilled token refused")
	}
	if ok, _ := l.allow("other"); !ok {
		t.Fatal("keys are not independent")
	}
	for i := range maxBuckets + 10 {
		l.allow(string(rune(i)))
	}
	if len(l.buckets) > maxBuckets {
		t.Fatalf("%d buckets", len(l.buckets))
	}
}

// Two nodes share one database: a token signed with a key that one node
// rotated in is accepted by the other, which reloads the stored keys.
func TestKeysAcrossNodes(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			c := &clock{t: time.Now().UTC()}
			node := func() *Server {
				acc, err := account.Open(ctx, db, account.Options{Now: c.Now, Secret: testSecret})
				if err != nil {
					t.Fatal(err)
				}
				ks, err := acc.LoadOrCreateKeySet(ctx, token.KeySetOptions{Now: c.Now})
				if err != nil {
					t.Fatal(err)
				}
				s, err := New(Options{Accounts: acc, Keys: ks, Issuer: "https://housecall.test", Now: c.Now})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			n1, n2 := node(), node()
			u, err := n1.acc.CreateUser(ctx, account.NewUser{Email: "a@example.org", Role: auth.RoleAdmin, Password: goodPassword})
			if err != nil {
				t.Fatal(err)
			}
			if n1.Keys().CurrentKeyID() != n2.Keys().CurrentKeyID() {
				t.Fatal("nodes started with different keys")
			}
			c.Advance(token.DefaultRotateEvery + time.Hour)
			if err := n1.RotateKeys(ctx); err != nil {
				t.Fatal(err)
			}
			tok, err := n1.IssueToken(ctx, u, "user/*.rs", 0)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "/fhir/r4/Patient", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			id, err := n2.Identify(req)
			if err != nil || id.Subject != u.ID || id.Kind != auth.KindUser {
				t.Fatalf("second node: %v, %v", id, err)
			}
			if n2.Keys().CurrentKeyID() != n1.Keys().CurrentKeyID() {
				t.Fatal("second node did not install the stored keys")
			}
			if err := n2.RotateKeys(ctx); err != nil || n2.Keys().CurrentKeyID() != n1.Keys().CurrentKeyID() {
				t.Fatalf("second rotation changed keys again: %v", err)
			}
		})
	}
}

func TestHTTPSCookies(t *testing.T) {
	db := sqliteDB(t)
	ctx := t.Context()
	acc, err := account.Open(ctx, db, account.Options{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	ks, err := acc.LoadOrCreateKeySet(ctx, token.KeySetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Accounts: acc, Keys: ks, Issuer: "https://visits.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := acc.CreateClient(ctx, account.NewClient{Name: "App", Public: true, Scopes: "user/*.rs", RedirectURIs: []string{"https://app.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"response_type": {"code"}, "client_id": {c.ID}, "scope": {"user/*.rs"}, "aud": {"https://visits.example.org/fhir/r4"},
		"code_challenge": {newPKCE("r").challenge}, "code_challenge_method": {"S256"}}
	mux := http.NewServeMux()
	s.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://visits.example.org/oauth2/authorize?"+q.Encode(), nil))
	ck := rec.Header().Get("Set-Cookie")
	if rec.Code != 200 || !strings.HasPrefix(ck, "__Host-housecall_csrf=") || !strings.Contains(ck, "Secure") || !strings.Contains(ck, "Path=/") {
		t.Fatalf("https cookie %q (%d)", ck, rec.Code)
	}
	for _, bad := range []Options{
		{Accounts: acc, Keys: ks, Issuer: "https://x.example/"},
		{Accounts: acc, Keys: ks, Issuer: "ftp://x.example"},
		{Accounts: acc, Keys: ks, Issuer: "https://x.example", FHIRBase: "https://y.example/fhir"},
		{Accounts: acc, Issuer: "https://x.example"},
	} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}
