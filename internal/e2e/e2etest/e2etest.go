// Package e2etest is the harness of the end-to-end tests: the whole server
// as `housecall serve` assembles it (internal/app) on a temporary SQLite
// store, fixtures that skip locally but fail in CI, and the runner of the
// Node scripts that drive real third-party clients.
package e2etest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/store/sqlite"
	"github.com/housecall/housecall/internal/testutil"
)

// RequireFixture skips the test when a fixture is missing, or fails it
// under HOUSECALL_REQUIRE_FIXTURES=1 (make test, CI).
func RequireFixture(t *testing.T, path, hint string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("HOUSECALL_REQUIRE_FIXTURES") == "1" {
			t.Fatalf("%s is missing (%v); %s", path, err, hint)
		}
		t.Skipf("%s is missing; %s (set HOUSECALL_REQUIRE_FIXTURES=1 to fail instead)", path, hint)
	}
}

// NodePath finds node, with the same skip-or-fail rule as the fixtures.
func NodePath(t *testing.T) string {
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

// ArtifactDir is where a test leaves screenshots: $HOUSECALL_ARTIFACTS/<test>
// when set (kept after the run), a temporary folder otherwise.
func ArtifactDir(t *testing.T) string {
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

// RepoTool returns tools/<name> in the repository.
func RepoTool(t *testing.T, name string) string {
	return filepath.Join(testutil.RepoRoot(t), "tools", name)
}

// Server is the whole HTTP surface, listening on 127.0.0.1.
type Server struct {
	URL string // the issuer (public_url)
	App *app.App
}

// Start opens the real assembly over a SQLite store in a temporary folder
// with a random server secret and the organization access policy;
// configure adjusts the configuration, handler (nil: the app's own
// handler) decides what the listener serves.
func Start(t *testing.T, configure func(*config.Config), handler func(*app.App) http.Handler) *Server {
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
	cfg.MediaUDPPort, cfg.MediaTCPPort = 0, 0
	if configure != nil {
		configure(&cfg)
	}
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
	h := a.Handler
	if handler != nil {
		h = handler(a)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return &Server{URL: issuer, App: a}
}

// Seed stores a resource through the engine as Housecall itself and
// returns its id.
func (s *Server) Seed(t *testing.T, resource map[string]any) string {
	t.Helper()
	body, err := json.Marshal(resource)
	if err != nil {
		t.Fatal(err)
	}
	typ, _ := resource["resourceType"].(string)
	resp, err := s.App.Engine.Do(app.System(t.Context(), "e2e seed"), &rest.Request{Interaction: rest.Create,
		Method: http.MethodPost, Type: typ, ContentType: "application/fhir+json", Body: body})
	if err != nil {
		t.Fatalf("seeding %s: %v", typ, err)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(resp.Body, &created); err != nil || created.ID == "" {
		t.Fatalf("seeding %s: no id in the answer (%v)", typ, err)
	}
	return created.ID
}

// Report is the last JSON line a Node script prints.
type Report interface{ Succeeded() bool }

// RunNode runs script (in dir, within timeout) with env added to the environment and
// decodes the last line of its output into R; its verdict must agree with
// the exit status.
func RunNode[R Report](t *testing.T, node, dir, script string, timeout time.Duration, env map[string]string) R {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, script))
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var rep R
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("%s: %v; no report (%v)\nstdout: %s\nstderr: %s", script, runErr, err, stdout.String(), stderr.String())
	}
	if runErr != nil && rep.Succeeded() {
		t.Fatalf("%s reported success but exited with %v", script, runErr)
	}
	if runErr == nil && !rep.Succeeded() {
		t.Fatalf("%s reported a failure but exited 0", script)
	}
	return rep
}

// Count returns the accurate total of a search run as Housecall itself.
func (s *Server) Count(t *testing.T, typ string, query url.Values) int {
	t.Helper()
	q := url.Values{"_total": {"accurate"}}
	for k, v := range query {
		q[k] = v
	}
	resp, err := s.App.Engine.Do(app.System(t.Context(), "e2e check"), &rest.Request{Interaction: rest.SearchType,
		Method: http.MethodGet, Type: typ, Query: q})
	if err != nil {
		t.Fatalf("searching %s: %v", typ, err)
	}
	body := resp.Body
	if body == nil {
		if body, err = json.Marshal(resp.Resource); err != nil {
			t.Fatal(err)
		}
	}
	var bundle struct {
		Total int `json:"total"`
	}
	if err := json.Unmarshal(body, &bundle); err != nil {
		t.Fatalf("decoding the %s bundle: %v", typ, err)
	}
	return bundle.Total
}
