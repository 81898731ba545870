// Package webui serves the web app (web/, built by Vite) at "/". In
// production it serves the build embedded in the binary: hashed files
// under /assets/ are cached for a year, index.html is revalidated on every
// load, the pre-compressed .br and .gz siblings the build writes are
// chosen by Accept-Encoding, and paths without a file extension fall back
// to index.html so that client-side routes survive a reload. The build
// output is not committed: only placeholder.html, served in place of
// index.html by a server built without the app, which says how to build
// it. In development the UI is proxied to the Vite dev server
// instead (hot reload and its websocket included).
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// APIPrefixes are the paths of the server's own endpoints. The UI never
// answers under them, so an unknown API path is a 404, not the app's HTML
// (which a client would fail to parse in confusing ways).
var APIPrefixes = []string{"/fhir", "/v1", "/oauth2", "/.well-known", "/rtc", "/sdk", "/dev", "/healthz", "/readyz", "/metrics"}

// IsAPIPath reports whether p lies under one of APIPrefixes.
func IsAPIPath(p string) bool {
	for _, pre := range APIPrefixes {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

// Options configure the handler.
type Options struct {
	// FS holds the build, index.html at its root; nil means the embedded
	// build.
	FS fs.FS
	// DevURL, when set, proxies every UI request to this Vite dev server
	// instead of serving FS.
	DevURL string
	// Origin is the public base URL of the server (the issuer); the CSP
	// lets the app open websockets to it. Empty: the request's host.
	Origin string
	Logger *slog.Logger
}

// Built reports whether the web app is embedded (rather than only the
// placeholder page).
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// New returns the handler for "GET /".
func New(o Options) (http.Handler, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.DevURL != "" {
		return newProxy(o)
	}
	fsys := o.FS
	if fsys == nil {
		sub, err := fs.Sub(dist, "dist")
		if err != nil {
			return nil, fmt.Errorf("webui: %w", err)
		}
		fsys = sub
	}
	return newStatic(fsys, o.Origin)
}

// cacheImmutable is for files whose name changes with their content.
const cacheImmutable = "public, max-age=31536000, immutable"

// encodings the build pre-compresses, in order of preference.
var encodings = []struct{ name, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

// variant is one stored encoding of a file.
type variant struct {
	path, etag string
}

type file struct {
	ctype     string
	immutable bool
	html      bool
	identity  variant
	encoded   map[string]variant // content coding -> variant
}

type static struct {
	fsys   fs.FS
	files  map[string]*file // by path in fsys; pre-compressed copies are variants, not entries
	origin string
}

func newStatic(fsys fs.FS, origin string) (*static, error) {
	s := &static{fsys: fsys, files: map[string]*file{}, origin: strings.TrimRight(origin, "/")}
	var names []string
	present := map[string]bool{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			names = append(names, p)
			present[p] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webui: reading the build: %w", err)
	}
	etag := func(p string) (string, error) {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return "", fmt.Errorf("webui: %w", err)
		}
		sum := sha256.Sum256(b)
		return `"` + hex.EncodeToString(sum[:12]) + `"`, nil
	}
	for _, p := range names {
		if sibling(p, present) {
			continue
		}
		f := &file{ctype: contentType(p), immutable: strings.HasPrefix(p, "assets/"),
			html: path.Ext(p) == ".html", encoded: map[string]variant{}}
		var err error
		if f.identity.etag, err = etag(p); err != nil {
			return nil, err
		}
		f.identity.path = p
		for _, enc := range encodings {
			if !present[p+enc.ext] {
				continue
			}
			v := variant{path: p + enc.ext}
			if v.etag, err = etag(v.path); err != nil {
				return nil, err
			}
			f.encoded[enc.name] = v
		}
		s.files[p] = f
	}
	if s.files["index.html"] == nil {
		s.files["index.html"] = s.files["placeholder.html"]
	}
	if s.files["index.html"] == nil {
		return nil, errors.New("webui: the build has no index.html (nor placeholder.html)")
	}
	return s, nil
}

// webTypes are types of web files Go's own table lacks, so that the
// answer does not depend on the host's mime.types (nosniff is on).
var webTypes = map[string]string{".woff2": "font/woff2", ".woff": "font/woff", ".ico": "image/x-icon",
	".webmanifest": "application/manifest+json", ".map": "application/json", ".txt": "text/plain; charset=utf-8"}

func contentType(p string) string {
	ext := strings.ToLower(path.Ext(p))
	if t, ok := webTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// sibling reports whether p is a pre-compressed copy of another file of
// the build (served only through content negotiation).
func sibling(p string, present map[string]bool) bool {
	for _, enc := range encodings {
		if base, ok := strings.CutSuffix(p, enc.ext); ok && present[base] {
			return true
		}
	}
	return false
}

func (s *static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !uiRequest(w, r) {
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	f := s.files[name]
	if f == nil {
		// A missing hashed asset must stay a 404: index.html in its place
		// would be cached for a year under a script's name.
		if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		f = s.files["index.html"]
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	if f.immutable {
		h.Set("Cache-Control", cacheImmutable)
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if f.html {
		h.Set("Content-Security-Policy", s.csp(r))
	}
	v := f.identity
	if len(f.encoded) > 0 {
		h.Add("Vary", "Accept-Encoding")
		if enc := negotiate(r.Header.Get("Accept-Encoding"), f.encoded); enc != "" {
			v = f.encoded[enc]
			h.Set("Content-Encoding", enc)
		}
	}
	h.Set("ETag", v.etag)
	content, err := s.open(v.path)
	if err != nil {
		h.Del("Content-Encoding")
		http.Error(w, "the web app cannot be read", http.StatusInternalServerError)
		return
	}
	defer content.Close()
	http.ServeContent(w, r, "", time.Time{}, content)
}

// open returns a file of the build as a ReadSeeker (embedded files are
// served from the binary without a copy).
func (s *static) open(p string) (interface {
	io.ReadSeeker
	io.Closer
}, error) {
	f, err := s.fsys.Open(p)
	if err != nil {
		return nil, err
	}
	if rs, ok := f.(interface {
		io.ReadSeeker
		io.Closer
	}); ok {
		return rs, nil
	}
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	return struct {
		io.ReadSeeker
		io.Closer
	}{bytes.NewReader(b), io.NopCloser(nil)}, nil
}

// csp is the Content-Security-Policy of the app's HTML: scripts only from
// this origin; styles may be inline because the component library
// (MUI/emotion) injects them at run time; fetches and websockets only to
// this server; media from blob: URLs (recordings, previews), images also
// from data: and blob: URLs.
func (s *static) csp(r *http.Request) string {
	host := ""
	if u, err := url.Parse(s.origin); err == nil && s.origin != "" {
		host = u.Host
	} else if validHost(r.Host) {
		host = r.Host
	}
	connect := "'self'"
	if host != "" {
		connect += " wss://" + host + " ws://" + host
	}
	return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
		"media-src 'self' blob:; font-src 'self' data:; connect-src " + connect + "; worker-src 'self' blob:; " +
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

// validHost accepts host[:port] names and IP literals only, so a forged
// Host header cannot inject policy directives.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return false
		}
	}
	return true
}

// negotiate picks the preferred stored encoding the client accepts
// (RFC 9110 12.5.3; q=0 refuses a coding, "*" stands for the others).
func negotiate(header string, have map[string]variant) string {
	if header == "" {
		return ""
	}
	q := map[string]float64{}
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		weight := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					weight = f
				}
			}
		}
		if name == "x-gzip" {
			name = "gzip"
		}
		q[name] = weight
	}
	for _, enc := range encodings {
		if _, ok := have[enc.name]; !ok {
			continue
		}
		w, ok := q[enc.name]
		if !ok {
			w, ok = q["*"]
		}
		if ok && w > 0 {
			return enc.name
		}
	}
	return ""
}

// uiRequest answers requests the UI must not serve (API paths, methods
// other than GET and HEAD) and reports whether r is the UI's.
func uiRequest(w http.ResponseWriter, r *http.Request) bool {
	if IsAPIPath(path.Clean("/" + r.URL.Path)) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": http.StatusNotFound, "message": "no such endpoint"})
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	return true
}

// newProxy forwards the UI to the Vite dev server. Upgrade requests (its
// hot-reload websocket) pass through: ReverseProxy hijacks the connection.
func newProxy(o Options) (http.Handler, error) {
	target, err := url.Parse(o.DevURL)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, errors.New("webui: the UI dev URL must be an http(s) URL")
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			o.Logger.WarnContext(r.Context(), "the web app dev server does not answer", "url", target.Redacted(), "err", err)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "The web app dev server at "+target.Redacted()+" does not answer: run `npm run dev` in web/.\n")
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !uiRequest(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}), nil
}
