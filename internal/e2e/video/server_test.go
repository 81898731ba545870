package video

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/media"
	"github.com/housecall/housecall/internal/store/sqlite"
)

// server is the whole Housecall HTTP surface as `housecall serve`
// assembles it (internal/app), plus the media server on /rtc, the SDK
// build on /sdk/housecall.mjs and the test page on /video-e2e/.
type server struct {
	URL string
	App *app.App
	// Media is the media server this test started, nil when app.Open
	// mounts /rtc itself.
	Media *media.Server
}

// serverOptions are the parts of the assembly the test chooses.
type serverOptions struct {
	TURNPort   int    // the embedded TURN relay the join answers name
	TURNSecret string // its TURN REST secret
	SDKFile    string // sdk/js/dist/housecall.mjs
	PageDir    string // tools/video-e2e/page
	Extra      map[string]http.Handler
}

// startServer opens the real assembly over a SQLite store in a temporary
// folder, mounts the media server on /rtc when app.Open does not (with
// telemed's Authenticate, OnMediaEvent and OnChat, as the integrator wires
// them), and listens on 127.0.0.1.
func startServer(t *testing.T, o serverOptions) *server {
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
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	cfg := config.Defaults()
	cfg.Addr, cfg.DataDir, cfg.PublicURL = ts.Listener.Addr().String(), dir, issuer
	cfg.SecretKey = base64.StdEncoding.EncodeToString(secret)
	cfg.AccessPolicy = auth.ModeOrganization
	cfg.TURNPort, cfg.TURNSecret = o.TURNPort, o.TURNSecret
	cfg.MediaUDPPort, cfg.MediaTCPPort = 0, 0
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
	s := &server{URL: issuer, App: a}

	// The media server as serve starts it, with loopback ICE.
	m, err := a.StartMedia(app.MediaOptions{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	s.Media = m
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sdk/housecall.mjs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFile(w, r, o.SDKFile)
	})
	mux.Handle("GET /video-e2e/", http.StripPrefix("/video-e2e/", http.FileServer(http.Dir(o.PageDir))))
	for pattern, h := range o.Extra {
		mux.Handle(pattern, h)
	}
	mux.Handle("/", a.Handler)
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	return s
}

// seed stores a resource through the engine as the system and returns its id.
func (s *server) seed(t *testing.T, resource map[string]any) string {
	t.Helper()
	body, err := json.Marshal(resource)
	if err != nil {
		t.Fatal(err)
	}
	typ, _ := resource["resourceType"].(string)
	resp, err := s.App.Engine.Do(app.System(t.Context(), "video e2e seed"), &rest.Request{Interaction: rest.Create,
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

// user creates an account for a FHIR profile and returns an access token.
func (s *server) user(t *testing.T, email string, role auth.Role, profile, scopes string) string {
	t.Helper()
	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		t.Fatal(err)
	}
	u, err := s.App.Accounts.CreateUser(t.Context(), account.NewUser{Email: email, Role: role, FHIRResource: profile,
		Password: "e2e " + base64.RawURLEncoding.EncodeToString(pw)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.App.OAuth.IssueToken(t.Context(), u, scopes, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call makes a Telemed API request and decodes a 2xx JSON answer into out.
func (s *server) call(t *testing.T, token, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, path, b, err)
		}
	}
}

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

// artifactDir is $HOUSECALL_ARTIFACTS/<test> when set (kept), else a
// temporary folder.
func artifactDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("HOUSECALL_ARTIFACTS")
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, filepath.Base(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
