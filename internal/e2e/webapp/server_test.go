package webapp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/e2e/e2etest"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/webui"
)

const (
	chromiumPath = "/usr/bin/chromium"
	// intakeURL is the canonical of the intake Questionnaire the server
	// ensures at start-up (docs/visit-flow.md).
	intakeURL = "https://housecall.dev/fhir/Questionnaire/telehealth-intake"
	// webClientID is the web app's first-party OAuth client.
	webClientID = "housecall-web"
)

// requireBuiltApp wants the real web app embedded in the server (make
// web), not the placeholder: it skips, or fails under
// HOUSECALL_REQUIRE_FIXTURES=1 like e2etest.RequireFixture.
func requireBuiltApp(t *testing.T) {
	t.Helper()
	if webui.Built() {
		return
	}
	const hint = "the server embeds the placeholder instead of the web app; run: make web (builds web/ into internal/webui/dist)"
	if os.Getenv("HOUSECALL_REQUIRE_FIXTURES") == "1" {
		t.Fatal(hint)
	}
	t.Skip(hint + " (set HOUSECALL_REQUIRE_FIXTURES=1 to fail instead)")
}

// requireBrowser wants Debian's chromium, node and playwright-core.
func requireBrowser(t *testing.T) (node, tool string) {
	t.Helper()
	tool = e2etest.RepoTool(t, "web-e2e")
	e2etest.RequireFixture(t, chromiumPath, "install Debian's chromium (apt-get install -y chromium; .ci/run does)")
	e2etest.RequireFixture(t, filepath.Join(tool, "node_modules", "playwright-core", "package.json"), "run: make deps (npm ci --prefix tools/web-e2e)")
	return e2etest.NodePath(t), tool
}

// startServer opens the real assembly (e2etest.Start) and starts the media
// server as serve does, on loopback. The embedded TURN server stays off:
// on a loopback-only machine the browsers reach the media server directly,
// and a TURN entry nobody answers would only slow the device check.
func startServer(t *testing.T) *e2etest.Server {
	t.Helper()
	return e2etest.Start(t, func(c *config.Config) { c.TURNPort = 0 }, func(a *app.App) http.Handler {
		m, err := a.StartMedia(app.MediaOptions{Loopback: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.Close() })
		return a.Handler
	})
}

// provider is the practitioner's account: password and an active TOTP
// second factor, as an administrator would set them up.
type provider struct {
	Email, Password, TOTPSecret string
	User                        *account.User
	PractitionerID              string
	Token                       string // for the Go side's FHIR reads
}

// patient is the FHIR Patient the visits are for.
type patient struct {
	ID, Given, Family, Email string
}

func (p patient) Name() string { return p.Given + " " + p.Family }

func seedPatient(t *testing.T, srv *e2etest.Server) patient {
	t.Helper()
	p := patient{Given: "Ada", Family: "Okafor", Email: "ada.okafor@example.org"}
	p.ID = srv.Seed(t, map[string]any{"resourceType": "Patient",
		"name":      []any{map[string]any{"family": p.Family, "given": []string{p.Given}}},
		"telecom":   []any{map[string]any{"system": "email", "value": p.Email}},
		"gender":    "female",
		"birthDate": "1984-03-02",
	})
	return p
}

// seedProvider creates the practitioner, the account, and enrols and
// confirms TOTP with the code of the previous 30-second step: the server
// refuses a step twice, so the browser's sign-in (at the current step or
// later) uses a code the account has not seen.
func seedProvider(t *testing.T, srv *e2etest.Server) provider {
	t.Helper()
	ctx := t.Context()
	p := provider{Email: "dana.visit@example.org", Password: randomPassword(t)}
	p.PractitionerID = srv.Seed(t, map[string]any{"resourceType": "Practitioner",
		"name": []any{map[string]any{"family": "Visit", "given": []string{"Dana"}, "prefix": []string{"Dr"}}}})
	u, err := srv.App.Accounts.CreateUser(ctx, account.NewUser{Email: p.Email, Role: auth.RolePractitioner,
		FHIRResource: "Practitioner/" + p.PractitionerID, Password: p.Password})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := srv.App.Accounts.EnrollTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCodeCustom(secret, time.Now().Add(-30*time.Second),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	if u, _, err = srv.App.Accounts.ConfirmTOTP(ctx, u.ID, code); err != nil {
		t.Fatalf("confirming TOTP: %v", err)
	}
	p.TOTPSecret, p.User = secret, u
	// The sign-in page will ask for a code after the password.
	if _, err := srv.App.Accounts.Authenticate(ctx, p.Email, p.Password, ""); !errors.Is(err, account.ErrTOTPRequired) {
		t.Fatalf("password sign-in of the provider: got %v, want %v", err, account.ErrTOTPRequired)
	}
	if p.Token, err = srv.App.OAuth.IssueToken(ctx, u, "user/*.cruds", 0); err != nil {
		t.Fatal(err)
	}
	return p
}

func randomPassword(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "e2e " + hex.EncodeToString(b)
}

// fhirGet reads path under /fhir/r4 over HTTP with a bearer token.
func fhirGet(ctx context.Context, base, token, path string) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/fhir/r4/"+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %.300s", path, resp.StatusCode, b)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return out, nil
}

// searchAll returns the resources of a search's first page.
func searchAll(ctx context.Context, base, token, typ string, q url.Values) ([]map[string]any, error) {
	b, err := fhirGet(ctx, base, token, typ+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	entries, _ := b["entry"].([]any)
	for _, e := range entries {
		if r, ok := e.(map[string]any)["resource"].(map[string]any); ok && r["resourceType"] == typ {
			out = append(out, r)
		}
	}
	return out, nil
}

// systemSearch runs a search as Housecall itself and returns the resources.
func systemSearch(t *testing.T, srv *e2etest.Server, typ string, q url.Values) []map[string]any {
	t.Helper()
	resp, err := srv.App.Engine.Do(app.System(t.Context(), "e2e check"), &rest.Request{Interaction: rest.SearchType,
		Method: http.MethodGet, Type: typ, Query: q})
	if err != nil {
		t.Fatalf("searching %s: %v", typ, err)
	}
	// The engine builds bundles with typed slices: one JSON round trip
	// gives the plain shape str() reads.
	body := resp.Body
	if body == nil {
		if body, err = json.Marshal(resp.Resource); err != nil {
			t.Fatal(err)
		}
	}
	var bundle map[string]any
	if err := json.Unmarshal(body, &bundle); err != nil {
		t.Fatalf("decoding the %s bundle: %v", typ, err)
	}
	var out []map[string]any
	entries, _ := bundle["entry"].([]any)
	for _, e := range entries {
		if r, ok := e.(map[string]any)["resource"].(map[string]any); ok {
			out = append(out, r)
		}
	}
	return out
}

// str follows keys (string keys, int indexes) into decoded JSON and
// returns the string there, "" when absent.
func str(v any, path ...any) string {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return ""
			}
			v = a[k]
		}
	}
	s, _ := v.(string)
	return s
}
