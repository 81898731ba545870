package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"github.com/housecall/housecall/internal/e2e/e2etest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
)

// chromiumPath is Debian's chromium, the browser CI installs.
const chromiumPath = "/usr/bin/chromium"

// smartScopes is what the app asks for and the client is registered for.
const smartScopes = "launch/patient patient/*.rs openid fhirUser"

// runTimeout bounds the browser run (launch, sign-in, consent, app).
const runTimeout = 90 * time.Second

// runReport is the JSON line tools/smart-e2e/run.mjs prints.
func (r runReport) Succeeded() bool { return r.OK }

type runReport struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	URL   string `json:"url"`
	Steps []struct {
		Step       string `json:"step"`
		Screenshot string `json:"screenshot"`
	} `json:"steps"`
	Console       []string `json:"console"`
	ConsentScopes []string `json:"consentScopes"`
	AuthorizeURL  string   `json:"authorizeURL"`
	Result        *struct {
		ID             string   `json:"id"`
		Family         string   `json:"family"`
		Given          []string `json:"given"`
		ContextPatient string   `json:"contextPatient"`
		PatientCount   int      `json:"patientCount"`
		PatientIDs     []string `json:"patientIds"`
		Scope          string   `json:"scope"`
		FHIRUser       string   `json:"fhirUser"`
		IDTokenUser    string   `json:"idTokenFhirUser"`
	} `json:"result"`
	MS int64 `json:"ms"`
}

// TestSMARTStandaloneLaunch has fhirclient (the SMART on FHIR JavaScript
// client) do a standalone patient launch in headless Chromium: the app on
// its own origin discovers the server, sends the browser to sign in and
// consent, exchanges the code cross-origin with PKCE, and reads its
// patient. The token must see that patient and no other.
func TestSMARTStandaloneLaunch(t *testing.T) {
	tool := e2etest.RepoTool(t, "smart-e2e")
	e2etest.RequireFixture(t, chromiumPath, "install Debian's chromium (apt-get install -y chromium; .ci/run does)")
	e2etest.RequireFixture(t, filepath.Join(tool, "node_modules", "playwright-core", "package.json"), "run: make deps (npm ci --prefix tools/smart-e2e)")
	e2etest.RequireFixture(t, filepath.Join(tool, "node_modules", "fhirclient", "build", "fhir-client.js"), "run: make deps (npm ci --prefix tools/smart-e2e)")
	node := e2etest.NodePath(t)
	ctx := t.Context()

	appSrv := newAppServer(t, tool)
	srv := startServer(t, appSrv.Origin)
	appSrv.Start()

	ownID := srv.seedPatient(t, "Okafor", "Ada")
	otherID := srv.seedPatient(t, "Lindqvist", "Britt")
	const email = "ada.okafor@example.org"
	password := randomPassword(t)
	user, err := srv.App.Accounts.CreateUser(ctx, account.NewUser{Email: email, Role: auth.RolePatient,
		FHIRResource: "Patient/" + ownID, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	client, _, err := srv.App.Accounts.CreateClient(ctx, account.NewClient{Name: "SMART e2e app", Public: true,
		RedirectURIs: []string{appSrv.Origin + "/index.html"}, Scopes: smartScopes})
	if err != nil {
		t.Fatal(err)
	}

	shots := e2etest.ArtifactDir(t)
	rep := e2etest.RunNode[runReport](t, node, tool, "run.mjs", runTimeout, map[string]string{
		"APP": appSrv.Origin, "FHIR": srv.FHIRBase, "CLIENT": client.ID,
		"USER_EMAIL": email, "USER_PASSWORD": password, "SCREENSHOTS": shots,
	})
	t.Logf("browser run: %d ms, screenshots in %s", rep.MS, shots)
	if !rep.OK || rep.Result == nil {
		t.Fatalf("the launch failed: %s (at %s)\nbrowser console: %q", rep.Error, rep.URL, rep.Console)
	}
	res := rep.Result

	checks := []struct {
		name      string
		got, want any
	}{
		{"sign-in page served by the issuer", rep.AuthorizeURL, srv.URL + "/oauth2/authorize"},
		{"patient read: id", res.ID, ownID},
		{"patient read: family name", res.Family, "Okafor"},
		{"patient read: given name", strings.Join(res.Given, " "), "Ada"},
		{"launch context patient", res.ContextPatient, ownID},
		{"Patient search: count", res.PatientCount, 1},
		{"Patient search: ids", strings.Join(res.PatientIDs, ","), ownID},
		{"granted scope", sortedFields(res.Scope), sortedFields(smartScopes)},
		{"fhirUser as fhirclient reads it", res.FHIRUser, "Patient/" + ownID},
		{"fhirUser in the id token", res.IDTokenUser, srv.FHIRBase + "/Patient/" + ownID},
		{"consent page lists the resource scope", slices.Contains(rep.ConsentScopes, "patient/*.rs"), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, name := range []string{"1-signin", "2-consent", "3-app"} {
		if fi, err := os.Stat(filepath.Join(shots, name+".png")); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot %s.png missing or empty (%v)", name, err)
		}
	}

	checkAuditTrail(t, srv.auditTrail(t), user.ID, client.ID, ownID, otherID)
}

func randomPassword(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "e2e " + hex.EncodeToString(b)
}

// sortedFields compares space-separated lists regardless of order.
func sortedFields(s string) string {
	f := strings.Fields(s)
	slices.Sort(f)
	return strings.Join(f, " ")
}
