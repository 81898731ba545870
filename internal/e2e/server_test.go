package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/httpapi"
	"github.com/housecall/housecall/internal/store/sqlite"
	"github.com/housecall/housecall/internal/testutil"
)

// requireFixture skips the test when a fixture is missing, or fails it
// under HOUSECALL_REQUIRE_FIXTURES=1 (make test, CI).
func requireFixture(t *testing.T, path, hint string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("HOUSECALL_REQUIRE_FIXTURES") == "1" {
			t.Fatalf("%s is missing (%v); %s", path, err, hint)
		}
		t.Skipf("%s is missing; %s (set HOUSECALL_REQUIRE_FIXTURES=1 to fail instead)", path, hint)
	}
}

// artifactDir is where a test leaves screenshots: $HOUSECALL_ARTIFACTS/<test>
// when set (kept after the run), a temporary folder otherwise.
func artifactDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("HOUSECALL_ARTIFACTS")
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// nodePath finds node, with the same skip-or-fail rule as the fixtures.
func nodePath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err == nil {
		return p
	}
	if os.Getenv("HOUSECALL_REQUIRE_FIXTURES") == "1" {
		t.Fatalf("node is not on PATH (%v); install Node.js", err)
	}
	t.Skip("node is not on PATH; install Node.js")
	return ""
}

// server is the whole Housecall HTTP surface, assembled by internal/app as
// `housecall serve` assembles it, listening on 127.0.0.1.
type server struct {
	URL      string // the issuer
	FHIRBase string
	App      *app.App
}

// startServer opens the real assembly (internal/app: accounts, the OAuth
// server, the audit writer, the FHIR engine under the organization access
// policy, internal/httpapi's handler with CORS for appOrigin) over a
// SQLite store in a temporary folder, with a random server secret.
func startServer(t *testing.T, appOrigin string) *server {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "housecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	secret := make([]byte, account.SecretLen)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	// The issuer is the server's own URL, known once it listens.
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	cfg := config.Defaults()
	cfg.Addr, cfg.DataDir, cfg.PublicURL = ts.Listener.Addr().String(), dir, issuer
	cfg.SecretKey = base64.StdEncoding.EncodeToString(secret)
	cfg.AccessPolicy = auth.ModeOrganization
	cfg.CORSOrigins = appOrigin
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Open(ctx, cfg, logger, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("closing the app: %v", err)
		}
	})
	if a.Issuer != issuer {
		t.Fatalf("issuer = %q, want %q", a.Issuer, issuer)
	}
	ts.Config.Handler = a.Handler
	ts.Start()
	t.Cleanup(ts.Close)
	return &server{URL: issuer, FHIRBase: issuer + httpapi.FHIRPrefix, App: a}
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
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"resourceType": "Patient",
		"name":         []any{map[string]any{"family": family, "given": []string{given}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := auth.WithIdentity(t.Context(), auth.System("e2e seed"))
	resp, err := s.App.Engine.Do(ctx, &rest.Request{Interaction: rest.Create, Method: http.MethodPost, Type: "Patient",
		ContentType: "application/fhir+json", Body: body})
	if err != nil {
		t.Fatalf("seeding Patient: %v", err)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(resp.Body, &created); err != nil || created.ID == "" {
		t.Fatalf("seeding Patient: no id in the answer (%v)", err)
	}
	return created.ID
}

// repoTool returns tools/<name> in the repository.
func repoTool(t *testing.T, name string) string {
	return filepath.Join(testutil.RepoRoot(t), "tools", name)
}
