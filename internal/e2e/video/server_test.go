package video

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"github.com/housecall/housecall/internal/e2e/e2etest"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/media"
)

// server is the whole Housecall HTTP surface as `housecall serve`
// assembles it (internal/app), plus the media server on /rtc, the SDK
// build on /sdk/housecall.mjs and the test page on /video-e2e/.
type server struct {
	*e2etest.Server
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

// startServer opens the real assembly (e2etest.Start) with the test's TURN
// relay, starts the media server as serve does (loopback ICE), and serves
// the SDK build, the test page and o.Extra beside the app.
func startServer(t *testing.T, o serverOptions) *server {
	t.Helper()
	var m *media.Server
	s := e2etest.Start(t, func(c *config.Config) { c.TURNPort, c.TURNSecret = o.TURNPort, o.TURNSecret },
		func(a *app.App) http.Handler {
			var err error
			if m, err = a.StartMedia(app.MediaOptions{Loopback: true}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = m.Close() })
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
			return mux
		})
	return &server{Server: s, URL: s.URL, App: s.App, Media: m}
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
