package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/e2e/e2etest"
	"github.com/housecall/housecall/internal/httpapi"
)

// server is the whole Housecall HTTP surface, assembled by internal/app as
// `housecall serve` assembles it, listening on 127.0.0.1.
type server struct {
	*e2etest.Server
	URL      string // the issuer
	FHIRBase string
	App      *app.App
}

// startServer opens the real assembly (e2etest.Start) with CORS for
// appOrigin.
func startServer(t *testing.T, appOrigin string) *server {
	t.Helper()
	s := e2etest.Start(t, func(c *config.Config) { c.CORSOrigins = appOrigin }, nil)
	return &server{Server: s, URL: s.URL, FHIRBase: s.URL + httpapi.FHIRPrefix, App: s.App}
}

// appServer is the SMART app's own origin: tools/smart-e2e/app and
// fhirclient's browser build, served as static files. It reserves its
// address before it starts so the client can be registered first.
type appServer struct {
	ts     *httptest.Server
	Origin string
}

func newAppServer(t *testing.T, toolDir string) *appServer {
	t.Helper()
	// Explicit files and http.ServeContent: http.FileServer and ServeFile
	// redirect /index.html to /, and the redirect URI is /index.html.
	files := map[string]string{
		"/launch.html":    filepath.Join(toolDir, "app", "launch.html"),
		"/index.html":     filepath.Join(toolDir, "app", "index.html"),
		"/fhir-client.js": filepath.Join(toolDir, "node_modules", "fhirclient", "build", "fhir-client.js"),
	}
	serve := func(w http.ResponseWriter, r *http.Request) {
		path, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(path)
		if err != nil {
			http.Error(w, "cannot open "+r.URL.Path, http.StatusInternalServerError)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			http.Error(w, "cannot stat "+r.URL.Path, http.StatusInternalServerError)
			return
		}
		http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(serve))
	t.Cleanup(ts.Close)
	return &appServer{ts: ts, Origin: "http://" + ts.Listener.Addr().String()}
}

func (a *appServer) Start() { a.ts.Start() }

// seedPatient stores a Patient through the engine as the system.
func (s *server) seedPatient(t *testing.T, family, given string) string {
	return s.Seed(t, map[string]any{"resourceType": "Patient",
		"name": []any{map[string]any{"family": family, "given": []string{given}}}})
}
