package adminapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/e2e/e2etest"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/backend/backendtest"
)

func backends() map[string]func(testing.TB) store.Store {
	return backendtest.Openers()
}

// logBuffer keeps the process's log for the checks that nothing secret
// is logged.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// world is the whole server (as serve assembles it, background work
// running) on st, listening on loopback with its URL as public_url.
type world struct {
	t   *testing.T
	a   *app.App
	url string
	log *logBuffer
	tok map[string]string // name -> access token
	ids map[string]string // name -> account id
}

const adminPassword = "admin-password-for-tests"

func openWorld(t *testing.T, st store.Store) *world {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	secret := make([]byte, account.SecretLen)
	_, _ = rand.Read(secret)
	cfg := config.Defaults()
	cfg.Addr, cfg.DataDir, cfg.PublicURL = ts.Listener.Addr().String(), t.TempDir(), issuer
	cfg.SecretKey = base64.StdEncoding.EncodeToString(secret)
	cfg.MediaUDPPort, cfg.MediaTCPPort = 0, 0
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.Open(t.Context(), cfg, logger, st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.Run(ctx)
	t.Cleanup(func() {
		cancel()
		if err := a.Close(); err != nil {
			t.Errorf("closing the app: %v", err)
		}
	})
	ts.Config.Handler = a.Handler
	ts.Start()
	t.Cleanup(ts.Close)
	return &world{t: t, a: a, url: issuer, log: logs, tok: map[string]string{}, ids: map[string]string{}}
}

// seed stores resources as Housecall itself.
func (w *world) seed(path, body string) {
	w.t.Helper()
	req, err := rest.ParseURL(http.MethodPut, path)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Body = []byte(body)
	if _, err := w.a.Engine.Do(app.System(w.t.Context(), "test"), req); err != nil {
		w.t.Fatalf("seed %s: %v", path, err)
	}
}

// user creates an account and a token for it as `housecall admin token`
// makes them.
func (w *world) user(name string, nu account.NewUser, scopes string) {
	w.t.Helper()
	u, err := w.a.Accounts.CreateUser(w.t.Context(), nu)
	if err != nil {
		w.t.Fatal(err)
	}
	w.ids[name] = u.ID
	if w.tok[name], err = w.a.OAuth.IssueToken(w.t.Context(), u, scopes, 0); err != nil {
		w.t.Fatal(err)
	}
}

// call makes an API request as who ("" = no token) and decodes the JSON
// answer.
func (w *world) call(who, method, path string, body any) (int, map[string]any) {
	w.t.Helper()
	st, raw := w.raw(who, method, path, body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			w.t.Fatalf("%s %s: not JSON (%d): %.300s", method, path, st, raw)
		}
	}
	return st, out
}

func (w *world) raw(who, method, path string, body any) (int, []byte) {
	w.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, w.url+path, rd)
	if who != "" {
		tok, ok := w.tok[who]
		if !ok {
			tok = who // a raw token
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// read reads a resource as Housecall itself.
func (w *world) read(ref string) map[string]any {
	w.t.Helper()
	typ, id, _ := auth.SplitRef(ref)
	resp, err := w.a.Engine.Do(app.System(w.t.Context(), "test"), &rest.Request{Interaction: rest.Read, Method: "GET", Type: typ, ID: id})
	if err != nil {
		w.t.Fatalf("read %s: %v", ref, err)
	}
	var m map[string]any
	_ = json.Unmarshal(resp.Body, &m)
	return m
}

// adminEvents returns the AuditEvents the admin API wrote (flushed).
func (w *world) adminEvents() []map[string]any {
	w.t.Helper()
	ctx := w.t.Context()
	if err := w.a.Audit.Flush(ctx); err != nil {
		w.t.Fatal(err)
	}
	resp, err := w.a.Engine.Do(app.System(ctx, "test"), &rest.Request{Interaction: rest.SearchType, Method: "GET", Type: "AuditEvent",
		Query: url.Values{"_count": {"1000"}, "subtype": {"operation"}}})
	if err != nil {
		w.t.Fatal(err)
	}
	b, _ := json.Marshal(resp.Resource)
	var bundle struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	_ = json.Unmarshal(b, &bundle)
	var out []map[string]any
	for _, e := range bundle.Entry {
		if d, _ := e.Resource["outcomeDesc"].(string); strings.HasPrefix(d, "admin: ") {
			out = append(out, e.Resource)
		}
	}
	return out
}

// browser is a user agent with cookies that stops at redirects leaving
// the server.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(w.url, "http://")
	return &browser{t: w.t, base: w.url, c: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != host || strings.HasPrefix(req.URL.Path, "/auth/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

type page struct {
	status int
	body   string
	loc    *url.URL
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, body: string(body)}
	if l := resp.Header.Get("Location"); l != "" && resp.StatusCode/100 == 3 {
		p.loc, _ = url.Parse(l)
	}
	return p
}

func (b *browser) get(u string) page {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

var (
	formRe   = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>(.*?)</form>`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// submit posts the page's form with this action, fields filled in.
func (b *browser) submit(p page, action string, fields map[string]string) page {
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
		req, _ := http.NewRequest(http.MethodPost, b.base+action, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return b.do(req)
	}
	b.t.Fatalf("no form posting to %s (status %d):\n%.2000s", action, p.status, p.body)
	return page{}
}

// count is the number of resources of a type (the e2e harness's count).
func (w *world) count(typ string) int {
	w.t.Helper()
	return (&e2etest.Server{URL: w.url, App: w.a}).Count(w.t, typ, nil)
}
