package webapp

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth/oauth"
	"github.com/housecall/housecall/internal/e2e/e2etest"
)

// webScopes is what the web app asks for (web/src/auth/oauth.ts).
const webScopes = "openid fhirUser offline_access user/*.cruds patient/*.cruds launch/patient"

var entryScript = regexp.MustCompile(`<script[^>]+src="(/assets/[^"]+\.js)"`)

// get fetches path from the server with extra request headers.
func get(t *testing.T, base, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// Not http.DefaultClient: its redirects would hide the sign-in page's.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// checkServed proves, without a browser, what the browser run stands on:
// the built app at "/" with its client-side routes, its hashed scripts
// pre-compressed and cached for good, the APIs not shadowed by it, the
// first-party OAuth client, and the sign-in page it sends people to.
func checkServed(t *testing.T, srv *e2etest.Server) {
	t.Helper()
	for _, path := range []string{"/", "/board", "/visit", "/visit/guest", "/board/visit/123"} {
		resp, body := get(t, srv.URL, path, nil)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(body), `<div id="root">`) {
			t.Fatalf("GET %s: %d %s, want the web app's index.html (is internal/webui mounted at / and built with `make web`?)\n%.300s",
				path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	resp, body := get(t, srv.URL, "/", nil)
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Errorf("index.html Cache-Control = %q, want no-cache (a new build must reach people at once)", cc)
	}
	m := entryScript.FindSubmatch(body)
	if m == nil {
		t.Fatalf("index.html names no /assets/*.js entry script: %.300s", body)
	}
	resp, js := get(t, srv.URL, string(m[1]), map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET %s with Accept-Encoding gzip: %d, Content-Encoding %q; want 200 gzip (the build's .gz sibling)",
			m[1], resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("%s Cache-Control = %q, want immutable", m[1], cc)
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("%s Vary = %q, want Accept-Encoding", m[1], resp.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(strings.NewReader(string(js)))
	if err != nil {
		t.Fatalf("%s is not gzip: %v", m[1], err)
	}
	if plain, err := io.ReadAll(zr); err != nil || len(plain) == 0 {
		t.Fatalf("%s does not decompress: %d bytes, %v", m[1], len(plain), err)
	}
	if resp, body := get(t, srv.URL, "/fhir/r4/metadata", nil); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "CapabilityStatement") {
		t.Errorf("GET /fhir/r4/metadata: %d, the web app must not shadow the FHIR API", resp.StatusCode)
	}

	c, err := srv.App.Accounts.ClientByID(t.Context(), webClientID)
	if err != nil {
		t.Fatalf("the first-party client %q: %v", webClientID, err)
	}
	callback := srv.URL + "/auth/callback"
	if !c.Public || !c.HasRedirectURI(callback) || !c.HasPermission(oauth.PermissionFirstParty) || !c.HasGrant("authorization_code") || c.Disabled {
		t.Fatalf("client %q: public %v, redirects %v, permissions %v, grants %v, disabled %v; want public, %s, %s, authorization_code",
			webClientID, c.Public, c.RedirectURIs, c.Permissions, c.GrantTypes, c.Disabled, callback, oauth.PermissionFirstParty)
	}
	// The request web/src/auth/oauth.ts makes must land on the sign-in form.
	sum := sha256.Sum256([]byte("e2e-verifier-e2e-verifier-e2e-verifier-e2e-verifier"))
	q := url.Values{"response_type": {"code"}, "client_id": {webClientID}, "redirect_uri": {callback}, "scope": {webScopes},
		"state": {"e2e"}, "aud": {srv.URL + "/fhir/r4"}, "code_challenge_method": {"S256"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}}
	resp, body = get(t, srv.URL, "/oauth2/authorize?"+q.Encode(), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `action="/oauth2/signin"`) {
		t.Fatalf("the web app's authorize request: %d, want the sign-in form\n%.500s", resp.StatusCode, body)
	}
}

// TestWebAppServed checks the server side of the browser test without a
// browser: the build served as above, the intake Questionnaire present,
// and a provider account that will be asked for a TOTP code.
func TestWebAppServed(t *testing.T) {
	requireBuiltApp(t)
	srv := startServer(t)
	checkServed(t, srv)
	_, items := intakeItems(t, srv)
	var walk func([]intakeItem)
	walk = func(items []intakeItem) {
		for _, it := range items {
			if it.Type != "group" && it.Type != "display" && it.Text == "" {
				t.Errorf("intake item %q has no text: the app labels its control by it", it.LinkID)
			}
			if (it.Type == "choice" || it.Type == "open-choice") && len(it.Options) == 0 {
				t.Errorf("intake item %q is a choice without answerOption", it.LinkID)
			}
			walk(it.Item)
		}
	}
	walk(items)
	seedProvider(t, srv)
}
