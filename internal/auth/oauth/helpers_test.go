package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/credential"
	"github.com/housecall/housecall/internal/auth/token"
	"github.com/housecall/housecall/internal/store/backend/backendtest"
	"github.com/housecall/housecall/internal/store/opsql"
	"github.com/housecall/housecall/internal/store/sqlite"
)

func backends(t *testing.T) map[string]*opsql.DB {
	t.Helper()
	out := map[string]*opsql.DB{}
	for name, st := range backendtest.Open(t) {
		out[name] = st.Ops()
	}
	return out
}

func sqliteDB(t testing.TB) *opsql.DB {
	t.Helper()
	lite, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "oauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	return lite.Ops()
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeSender captures one-time codes.
type fakeSender struct {
	mu   sync.Mutex
	sent map[string]string // address -> last code
}

func (f *fakeSender) SendLoginCode(_ context.Context, to, code string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sent == nil {
		f.sent = map[string]string{}
	}
	f.sent[to] = code
	return nil
}

func (f *fakeSender) last(to string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent[to]
}

type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) add(_ context.Context, e Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *eventLog) find(kind EventKind, outcome string) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	for _, e := range l.events {
		if e.Kind == kind && e.Outcome == outcome {
			out = append(out, e)
		}
	}
	return out
}

const goodPassword = "correct horse battery staple"

var testSecret = []byte("0123456789abcdef0123456789abcdef")

type env struct {
	t      *testing.T
	db     *opsql.DB
	clock  *clock
	acc    *account.Accounts
	srv    *Server
	ts     *httptest.Server
	sender *fakeSender
	events *eventLog
}

type envOpts struct {
	account func(*account.Options)
	server  func(*Options)
}

func newEnv(t *testing.T, db *opsql.DB, o envOpts) *env {
	t.Helper()
	ctx := t.Context()
	e := &env{t: t, db: db, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, sender: &fakeSender{}, events: &eventLog{}}
	ao := account.Options{Now: e.clock.Now, Secret: testSecret,
		PasswordParams: credential.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		Lockout:        credential.Lockout{Threshold: 3, Base: time.Minute, Max: 10 * time.Minute}}
	if o.account != nil {
		o.account(&ao)
	}
	var err error
	if e.acc, err = account.Open(ctx, db, ao); err != nil {
		t.Fatal(err)
	}
	keys, err := e.acc.LoadOrCreateKeySet(ctx, token.KeySetOptions{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler = http.NotFoundHandler()
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.ts.Close)
	so := Options{Accounts: e.acc, Keys: keys, Issuer: e.ts.URL, Now: e.clock.Now, Sender: e.sender, Audit: e.events.add,
		RateLimits: RateLimits{Token: Limit{Every: time.Millisecond, Burst: 1000}, Web: Limit{Every: time.Millisecond, Burst: 1000},
			Login: Limit{Every: time.Millisecond, Burst: 1000}}}
	if o.server != nil {
		o.server(&so)
	}
	if e.srv, err = New(so); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.srv.Register(mux)
	mux.Handle("/fhir/r4/", e.srv.Middleware(http.HandlerFunc(whoami)))
	mux.Handle("/api/", e.srv.Middleware(http.HandlerFunc(whoami)))
	handler = mux
	return e
}

// whoami is a stand-in resource server: it echoes the identity.
func whoami(w http.ResponseWriter, r *http.Request) {
	id, ok := auth.FromContext(r.Context())
	if !ok {
		Challenge(w, nil, OperationOutcomeBody)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"kind": id.Kind, "sub": id.Subject, "role": id.Role, "fhirUser": id.FHIRUser, "patient": id.Patient,
		"client_id": id.ClientID, "scope": id.Scopes.String(), "jti": id.TokenID,
	})
}

func (e *env) user(email string, role auth.Role, ref, password string) *account.User {
	e.t.Helper()
	u, err := e.acc.CreateUser(e.t.Context(), account.NewUser{Email: email, Role: role, FHIRResource: ref, Password: password})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

const appRedirect = "http://127.0.0.1:9/callback"

func (e *env) client(nc account.NewClient) (*account.Client, string) {
	e.t.Helper()
	c, secret, err := e.acc.CreateClient(e.t.Context(), nc)
	if err != nil {
		e.t.Fatal(err)
	}
	return c, secret
}

func (e *env) publicApp(scopes string) *account.Client {
	c, _ := e.client(account.NewClient{Name: "Test App", Public: true, Scopes: scopes, RedirectURIs: []string{appRedirect}})
	return c
}

// browser is a user agent with cookies that stops at the app's redirect.
type browser struct {
	t *testing.T
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(e.ts.URL, "http://")
	return &browser{t: e.t, c: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

type page struct {
	status int
	body   string
	loc    *url.URL // set when the browser stopped at a redirect to the app
	header http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, body: string(body), header: resp.Header}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode/100 == 3 {
		p.loc, _ = url.Parse(loc)
	}
	return p
}

func (b *browser) get(u string) page {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var (
	formRe   = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>(.*?)</form>`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// submit fills the page's form with this action and posts it.
func (b *browser) submit(base string, p page, action string, fields map[string]string) page {
	b.t.Helper()
	for _, m := range formRe.FindAllStringSubmatch(p.body, -1) {
		if m[1] != action {
			continue
		}
		form := url.Values{}
		for _, h := range hiddenRe.FindAllStringSubmatch(m[2], -1) {
			form.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
		}
		for k, v := range fields {
			form.Set(k, v)
		}
		return b.post(base+action, form)
	}
	b.t.Fatalf("no form posting to %s in page (status %d):\n%s", action, p.status, p.body)
	return page{}
}

type pkce struct{ verifier, challenge string }

func newPKCE(seed string) pkce {
	v := strings.Repeat(seed+"-", 64)[:64]
	sum := sha256.Sum256([]byte(v))
	return pkce{verifier: v, challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

func (e *env) authorizeURL(c *account.Client, scope string, p pkce, extra url.Values) string {
	q := url.Values{"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {appRedirect}, "scope": {scope},
		"state": {"st-123"}, "aud": {e.ts.URL + "/fhir/r4"}, "code_challenge": {p.challenge},
		"code_challenge_method": {"S256"}, "nonce": {"n-456"}}
	for k, v := range extra {
		q[k] = v
	}
	return e.ts.URL + "/oauth2/authorize?" + q.Encode()
}

// signIn runs the password sign-in and consent and returns the code.
func (e *env) signIn(b *browser, c *account.Client, scope, email, password string, p pkce) string {
	e.t.Helper()
	pg := b.get(e.authorizeURL(c, scope, p, nil))
	if pg.status != http.StatusOK || !strings.Contains(pg.body, "Sign in") {
		e.t.Fatalf("authorize: %d\n%s", pg.status, pg.body)
	}
	pg = b.submit(e.ts.URL, pg, "/oauth2/signin", map[string]string{"email": email, "password": password})
	return e.approve(b, pg)
}

// approve answers the consent page and returns the code.
func (e *env) approve(b *browser, pg page) string {
	e.t.Helper()
	if pg.status != http.StatusOK || !strings.Contains(pg.body, "Allow access?") {
		e.t.Fatalf("expected consent page, got %d\n%s", pg.status, pg.body)
	}
	pg = b.submit(e.ts.URL, pg, "/oauth2/consent", map[string]string{"decision": "allow"})
	if pg.loc == nil {
		e.t.Fatalf("consent did not redirect: %d\n%s", pg.status, pg.body)
	}
	q := pg.loc.Query()
	if q.Get("state") != "st-123" || q.Get("iss") != e.ts.URL || q.Get("code") == "" {
		e.t.Fatalf("redirect %s lacks code, state or iss", pg.loc.Redacted())
	}
	return q.Get("code")
}

// tokenReq posts to the token endpoint and decodes the JSON answer.
func (e *env) tokenReq(form url.Values, basic ...string) (int, map[string]any, http.Header) {
	return e.postJSON("/oauth2/token", form, basic...)
}

func (e *env) postJSON(path string, form url.Values, basic ...string) (int, map[string]any, http.Header) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			e.t.Fatalf("%s: not JSON: %q", path, b)
		}
	}
	return resp.StatusCode, out, resp.Header
}

func (e *env) exchange(c *account.Client, code string, p pkce) (int, map[string]any) {
	st, out, _ := e.tokenReq(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {p.verifier},
		"redirect_uri": {appRedirect}, "client_id": {c.ID}})
	return st, out
}

// api calls the stand-in resource server with a bearer token.
func (e *env) api(path, tok string) (int, map[string]any, http.Header) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, resp.Header
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// confApp is a confidential app client with its secret.
type confApp struct {
	c      *account.Client
	secret string
}

func (e *env) confApp(scopes string) confApp {
	c, secret := e.client(account.NewClient{Name: "Clinic App", Scopes: scopes, RedirectURIs: []string{appRedirect}})
	return confApp{c, secret}
}

func (e *env) exchangeConf(c confApp, code string, p pkce) (int, map[string]any) {
	st, out, _ := e.tokenReq(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {p.verifier},
		"redirect_uri": {appRedirect}}, c.c.ID, c.secret)
	return st, out
}

func (e *env) refresh(c confApp, rt, scope string) (int, map[string]any) {
	f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	if scope != "" {
		f.Set("scope", scope)
	}
	st, out, _ := e.tokenReq(f, c.c.ID, c.secret)
	return st, out
}

var (
	secretRe   = regexp.MustCompile(`<code class="secret">([A-Z2-7]+)</code>`)
	continueRe = regexp.MustCompile(`<a class="button" href="([^"]+)">`)
)

func htmlUnescape(s string) string { return html.UnescapeString(s) }
