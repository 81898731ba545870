package webui_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/coder/websocket"

	"github.com/housecall/housecall/internal/httpapi"
	"github.com/housecall/housecall/internal/store/sqlite"
	"github.com/housecall/housecall/internal/webui"
)

// build is what `make web` leaves in dist/: hashed assets with .br and .gz
// siblings, index.html, and files that keep their names.
func build() fstest.MapFS {
	return fstest.MapFS{
		"index.html":                {Data: []byte(`<!doctype html><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script>`)},
		"assets/index-abc123.js":    {Data: []byte("console.log('identity')")},
		"assets/index-abc123.js.br": {Data: []byte("BROTLI")},
		"assets/index-abc123.js.gz": {Data: []byte("GZIP")},
		"assets/style-def456.css":   {Data: []byte("body{}")},
		"favicon.svg":               {Data: []byte("<svg/>")},
		"assets/inter-9f8e.woff2":   {Data: []byte("wOF2")},
		"downloads/report.gz":       {Data: []byte("a real gzip download")},
	}
}

type resp struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, h http.Handler, method, path string, hdr map[string]string) resp {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return resp{rec.Code, rec.Header(), rec.Body.String()}
}

func TestStatic(t *testing.T) {
	h, err := webui.New(webui.Options{FS: build(), Origin: "https://visits.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	const index = `<div id="root">`
	tests := []struct {
		name, method, path, accept string
		status                     int
		body, cache, encoding      string
		vary, csp                  bool
	}{
		{name: "root", path: "/", status: 200, body: index, cache: "no-cache", csp: true},
		{name: "index by name", path: "/index.html", status: 200, body: index, cache: "no-cache", csp: true},
		{name: "client route", path: "/visit/guest", status: 200, body: index, cache: "no-cache", csp: true},
		{name: "client route with query", path: "/auth/callback?code=x&state=y", status: 200, body: index, cache: "no-cache", csp: true},
		{name: "route that looks like a prefix", path: "/fhirish", status: 200, body: index, cache: "no-cache", csp: true},
		{name: "dot segments stay inside", path: "/../../etc/passwd", status: 200, body: index, cache: "no-cache", csp: true},
		{name: "brotli preferred", path: "/assets/index-abc123.js", accept: "gzip, deflate, br", status: 200, body: "BROTLI",
			cache: "public, max-age=31536000, immutable", encoding: "br", vary: true},
		{name: "gzip only", path: "/assets/index-abc123.js", accept: "gzip", status: 200, body: "GZIP",
			cache: "public, max-age=31536000, immutable", encoding: "gzip", vary: true},
		{name: "brotli refused, wildcard", path: "/assets/index-abc123.js", accept: "br;q=0, *;q=0.5", status: 200, body: "GZIP",
			cache: "public, max-age=31536000, immutable", encoding: "gzip", vary: true},
		{name: "identity", path: "/assets/index-abc123.js", status: 200, body: "identity",
			cache: "public, max-age=31536000, immutable", vary: true},
		{name: "everything refused", path: "/assets/index-abc123.js", accept: "br;q=0, gzip;q=0", status: 200, body: "identity",
			cache: "public, max-age=31536000, immutable", vary: true},
		{name: "asset without siblings", path: "/assets/style-def456.css", accept: "br", status: 200, body: "body{}",
			cache: "public, max-age=31536000, immutable"},
		{name: "unhashed file", path: "/favicon.svg", status: 200, body: "<svg/>", cache: "no-cache"},
		{name: "a .gz file that is no sibling", path: "/downloads/report.gz", status: 200, body: "a real gzip download", cache: "no-cache"},
		{name: "missing asset is no page", path: "/assets/index-old999.js", status: 404},
		{name: "missing asset without extension", path: "/assets/chunk", status: 404},
		{name: "missing file with extension", path: "/logo.png", status: 404},
		{name: "siblings are not files", path: "/assets/index-abc123.js.br", status: 404},
		{name: "head", method: "HEAD", path: "/visit", status: 200, cache: "no-cache", csp: true},
		{name: "post", method: "POST", path: "/visit", status: 405},
	}
	for _, api := range webui.APIPrefixes {
		tests = append(tests, struct {
			name, method, path, accept string
			status                     int
			body, cache, encoding      string
			vary, csp                  bool
		}{name: "api " + api, path: api + "/unknown", status: 404, body: `"code":404`},
			struct {
				name, method, path, accept string
				status                     int
				body, cache, encoding      string
				vary, csp                  bool
			}{name: "api root " + api, path: api, status: 404, body: `"code":404`})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = "GET"
			}
			hdr := map[string]string{}
			if tt.accept != "" {
				hdr["Accept-Encoding"] = tt.accept
			}
			r := get(t, h, method, tt.path, hdr)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d (%s)", r.status, tt.status, r.body)
			}
			if !strings.Contains(r.body, tt.body) {
				t.Fatalf("body %q, want %q", r.body, tt.body)
			}
			if tt.status != 200 {
				if strings.Contains(r.body, index) {
					t.Fatal("an error answered with the app's page")
				}
				return
			}
			if method == "HEAD" && r.body != "" {
				t.Fatalf("HEAD with a body: %q", r.body)
			}
			if got := r.header.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
			if got := r.header.Get("Content-Encoding"); got != tt.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tt.encoding)
			}
			if got := r.header.Get("Vary") == "Accept-Encoding"; got != tt.vary {
				t.Errorf("Vary %q", r.header.Get("Vary"))
			}
			csp := r.header.Get("Content-Security-Policy")
			if tt.csp != (csp != "") {
				t.Errorf("CSP %q", csp)
			}
			if tt.csp && (!strings.Contains(csp, "script-src 'self';") ||
				!strings.Contains(csp, "connect-src 'self' wss://visits.example.org ws://visits.example.org;") ||
				!strings.Contains(csp, "media-src 'self' blob:") || !strings.Contains(csp, "img-src 'self' data: blob:") ||
				!strings.Contains(csp, "frame-ancestors 'none'")) {
				t.Errorf("CSP %q", csp)
			}
			if ct := r.header.Get("Content-Type"); strings.HasSuffix(tt.path, ".js") && !strings.HasPrefix(ct, "text/javascript") {
				t.Errorf("Content-Type %q for a script", ct)
			}
		})
	}
}

func TestRevalidation(t *testing.T) {
	h, err := webui.New(webui.Options{FS: build()})
	if err != nil {
		t.Fatal(err)
	}
	first := get(t, h, "GET", "/", nil)
	again := get(t, h, "GET", "/some/route", map[string]string{"If-None-Match": first.header.Get("ETag")})
	if first.header.Get("ETag") == "" || again.status != http.StatusNotModified {
		t.Fatalf("revalidating index.html: %d (etag %q)", again.status, first.header.Get("ETag"))
	}
	br := get(t, h, "GET", "/assets/index-abc123.js", map[string]string{"Accept-Encoding": "br"})
	plain := get(t, h, "GET", "/assets/index-abc123.js", nil)
	if br.header.Get("ETag") == plain.header.Get("ETag") {
		t.Fatal("the brotli and identity variants share an ETag")
	}
	if ct := get(t, h, "GET", "/assets/inter-9f8e.woff2", nil).header.Get("Content-Type"); ct != "font/woff2" {
		t.Fatalf("font Content-Type %q", ct)
	}
	// Without an origin, the request's host names the websocket source;
	// a forged Host cannot add directives.
	if csp := get(t, h, "GET", "/", nil).header.Get("Content-Security-Policy"); !strings.Contains(csp, "wss://example.com ") {
		t.Fatalf("CSP %q", csp)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "evil; script-src *"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if csp := rec.Header().Get("Content-Security-Policy"); strings.Contains(csp, "evil") || strings.Contains(csp, "script-src *") {
		t.Fatalf("CSP %q", csp)
	}
}

func TestNeedsIndex(t *testing.T) {
	if _, err := webui.New(webui.Options{FS: fstest.MapFS{"assets/a.js": {Data: []byte("x")}}}); err == nil {
		t.Fatal("a build without index.html was accepted")
	}
	h, err := webui.New(webui.Options{FS: fstest.MapFS{"placeholder.html": {Data: []byte("<p>run make web</p>")}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := get(t, h, "GET", "/board", nil); r.status != 200 || r.body != "<p>run make web</p>" || r.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("placeholder: %d %q %v", r.status, r.body, r.header)
	}
}

// TestEmbedded: a server built without `make web` serves the placeholder
// for every page, saying how to build the app.
func TestEmbedded(t *testing.T) {
	h, err := webui.New(webui.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/visit"} {
		r := get(t, h, "GET", p, nil)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %v", p, r.status, r.header)
		}
		if placeholder := strings.Contains(r.body, "make web"); placeholder == webui.Built() {
			t.Fatalf("%s: built %v but placeholder %v", p, webui.Built(), placeholder)
		}
	}
}

// server is the HTTP surface as serve assembles it, with ui mounted.
func server(t *testing.T, ui http.Handler) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts := httptest.NewServer(httpapi.New(httpapi.Options{Store: st, Logger: slog.New(slog.DiscardHandler), UI: ui,
		APIRoutes: map[string]http.Handler{"GET /v1/ping": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "pong")
		})}}))
	t.Cleanup(ts.Close)
	return ts
}

func fetch(t *testing.T, method, url string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// TestMounted: mounted at "/", the UI shadows none of the server's routes.
func TestMounted(t *testing.T) {
	ui, err := webui.New(webui.Options{FS: build()})
	if err != nil {
		t.Fatal(err)
	}
	ts := server(t, ui)
	tests := []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/", 200, `<div id="root">`},
		{"GET", "/board", 200, `<div id="root">`},
		{"GET", "/healthz", 200, `"status":"ok"`},
		{"GET", "/fhir/r4/metadata", 200, `"resourceType":"CapabilityStatement"`},
		{"GET", "/v1/ping", 200, "pong"},
		{"GET", "/v1/telemed/unknown", 404, `"code":404`},
		{"GET", "/oauth2/nope", 404, `"code":404`},
		{"GET", "/.well-known/nope", 404, `"code":404`},
		{"GET", "/sdk/housecall.mjs", 0, ""}, // the SDK handler: 200 or 503, never the app
		{"POST", "/healthz", 404, `"code":404`},
		{"POST", "/visit", 405, ""},
		{"DELETE", "/", 405, ""},
	}
	for _, tt := range tests {
		status, h, body := fetch(t, tt.method, ts.URL+tt.path)
		if strings.Contains(body, `<div id="root">`) != (tt.want == `<div id="root">`) {
			t.Errorf("%s %s: the UI answered %v (%d)", tt.method, tt.path, tt.want == "", status)
		}
		if tt.status != 0 && status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s: %d %.200q, want %d %q", tt.method, tt.path, status, body, tt.status, tt.want)
		}
		if strings.Contains(tt.want, "root") && h.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: Cache-Control %q (the middleware's no-store must give way)", tt.path, h.Get("Cache-Control"))
		}
	}
}

// TestDevProxy: --ui-dev-url forwards pages, modules and the hot-reload
// websocket to Vite, through the server's middleware.
func TestDevProxy(t *testing.T) {
	vite := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-WebSocket-Protocol") == "vite-hmr" {
			c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"vite-hmr"}, InsecureSkipVerify: true})
			if err != nil {
				return
			}
			defer c.CloseNow()
			_ = c.Write(r.Context(), websocket.MessageText, []byte(`{"type":"connected"}`))
			_, msg, err := c.Read(r.Context())
			if err == nil {
				_ = c.Write(r.Context(), websocket.MessageText, append([]byte("echo:"), msg...))
			}
			return
		}
		w.Header().Set("X-Vite", "1")
		_, _ = io.WriteString(w, "vite "+r.URL.Path+" fwd-host="+r.Header.Get("X-Forwarded-Host"))
	}))
	defer vite.Close()
	ui, err := webui.New(webui.Options{DevURL: vite.URL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := server(t, ui)
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, p := range []string{"/", "/@vite/client", "/src/main.tsx", "/visit/guest"} {
		status, h, body := fetch(t, "GET", ts.URL+p)
		if status != 200 || h.Get("X-Vite") != "1" || body != "vite "+p+" fwd-host="+host {
			t.Fatalf("%s: %d %q", p, status, body)
		}
	}
	if status, _, body := fetch(t, "GET", ts.URL+"/v1/unknown"); status != 404 || strings.HasPrefix(body, "vite") {
		t.Fatalf("API path proxied: %d %q", status, body)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+host+"/?token=abc", &websocket.DialOptions{Subprotocols: []string{"vite-hmr"}})
	if err != nil {
		t.Fatalf("hot-reload websocket: %v", err)
	}
	defer c.CloseNow()
	if _, msg, err := c.Read(ctx); err != nil || string(msg) != `{"type":"connected"}` {
		t.Fatalf("first message %q, %v", msg, err)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(ctx); err != nil || string(msg) != "echo:ping" {
		t.Fatalf("echo %q, %v", msg, err)
	}
	// Vite stopped: a 502 that says what to run.
	vite.Close()
	if status, _, body := fetch(t, "GET", ts.URL+"/"); status != http.StatusBadGateway || !strings.Contains(body, "npm run dev") {
		t.Fatalf("dev server down: %d %q", status, body)
	}
	if _, err := webui.New(webui.Options{DevURL: "ftp://x"}); err == nil {
		t.Fatal("a non-http dev URL was accepted")
	}
}
