package oauth

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/pquerna/otp/totp"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
)

// verifyIDToken checks an id token against the published JWKS with
// go-jose directly, as a client library would.
func verifyIDToken(t *testing.T, e *env, idToken string) map[string]any {
	t.Helper()
	resp, err := http.Get(e.ts.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSigned(idToken, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		t.Fatalf("id token kid not in JWKS")
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("id token does not verify against JWKS: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func TestPasswordFlow(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			u := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			c := e.confApp("user/*.rs patient/*.rs openid fhirUser offline_access")
			b := e.browser()
			p := newPKCE("a")
			code := e.signIn(b, c.c, "user/Observation.rs user/Patient.read openid fhirUser offline_access launch/patient", u.Email, goodPassword, p)
			st, tok, _ := e.tokenReq(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {p.verifier},
				"redirect_uri": {appRedirect}}, c.c.ID, c.secret)
			if st != http.StatusOK {
				t.Fatalf("exchange: %d %v", st, tok)
			}
			// launch/patient is not granted to a practitioner, patient/ scopes neither.
			if got := str(tok, "scope"); got != "fhirUser offline_access openid user/Observation.rs user/Patient.rs" {
				t.Fatalf("scope = %q", got)
			}
			if str(tok, "token_type") != "Bearer" || tok["expires_in"] != float64(3600) || str(tok, "refresh_token") == "" || tok["patient"] != nil {
				t.Fatalf("token response %v", tok)
			}
			claims := verifyIDToken(t, e, str(tok, "id_token"))
			if claims["aud"] != c.c.ID || claims["nonce"] != "n-456" || claims["sub"] != u.ID || claims["iss"] != e.ts.URL ||
				claims["fhirUser"] != e.ts.URL+"/fhir/r4/Practitioner/p1" || claims["auth_time"] == nil {
				t.Fatalf("id token claims %v", claims)
			}
			st, id, _ := e.api("/fhir/r4/Observation", str(tok, "access_token"))
			if st != http.StatusOK || id["role"] != "practitioner" || id["fhirUser"] != "Practitioner/p1" || id["sub"] != u.ID ||
				id["client_id"] != c.c.ID || id["kind"] != "user" || id["patient"] != "" {
				t.Fatalf("identity: %d %v", st, id)
			}
			if got := e.events.find(EventLogin, OutcomeSuccess); len(got) != 1 || got[0].Subject != u.ID || got[0].Method != "password" {
				t.Fatalf("login events %+v", got)
			}
			if got := e.events.find(EventTokenIssued, OutcomeSuccess); len(got) != 1 || got[0].TokenID != id["jti"] || got[0].GrantType != "authorization_code" {
				t.Fatalf("token events %+v", got)
			}
			// A second sign-in in the same browser skips the password.
			p2 := newPKCE("b")
			pg := b.get(e.authorizeURL(c.c, "user/*.rs", p2, nil))
			code2 := e.approve(b, pg)
			if st, out := e.exchangeConf(c, code2, p2); st != http.StatusOK || str(out, "scope") != "user/*.rs" || out["refresh_token"] != nil {
				t.Fatalf("second exchange: %d %v", st, out)
			}
			// Replaying the first code fails and revokes what it produced.
			st, out, _ := e.tokenReq(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {p.verifier},
				"redirect_uri": {appRedirect}}, c.c.ID, c.secret)
			if st != http.StatusBadRequest || str(out, "error") != "invalid_grant" {
				t.Fatalf("code replay: %d %v", st, out)
			}
			if st, _, h := e.api("/fhir/r4/Observation", str(tok, "access_token")); st != http.StatusUnauthorized ||
				!strings.Contains(h.Get("WWW-Authenticate"), `error_description="token revoked"`) {
				t.Fatalf("access token after code replay: %d %v", st, h)
			}
			if st, out := e.refresh(c, str(tok, "refresh_token"), ""); st != http.StatusBadRequest || str(out, "error") != "invalid_grant" {
				t.Fatalf("refresh after code replay: %d %v", st, out)
			}
		})
	}
}

func TestRefreshRotation(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			u := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			c := e.confApp("user/*.cruds offline_access")
			p := newPKCE("c")
			code := e.signIn(e.browser(), c.c, "user/*.cruds offline_access", u.Email, goodPassword, p)
			st, first := e.exchangeConf(c, code, p)
			if st != http.StatusOK {
				t.Fatal(first)
			}
			rt1 := str(first, "refresh_token")
			e.clock.Advance(time.Minute)
			st, second := e.refresh(c, rt1, "user/Observation.rs")
			rt2 := str(second, "refresh_token")
			if st != http.StatusOK || rt2 == "" || rt2 == rt1 || str(second, "scope") != "user/Observation.rs" {
				t.Fatalf("refresh: %d %v", st, second)
			}
			// The narrowed access token does not narrow the grant.
			st, third := e.refresh(c, rt2, "")
			rt3 := str(third, "refresh_token")
			if st != http.StatusOK || str(third, "scope") != "offline_access user/*.cruds" {
				t.Fatalf("second refresh: %d %v", st, third)
			}
			if st, _, _ := e.api("/fhir/r4/Patient", str(third, "access_token")); st != http.StatusOK {
				t.Fatalf("fresh access token refused: %d", st)
			}
			// Reusing a spent refresh token revokes the family.
			if st, out := e.refresh(c, rt1, ""); st != http.StatusBadRequest || str(out, "error") != "invalid_grant" {
				t.Fatalf("reuse: %d %v", st, out)
			}
			if st, out := e.refresh(c, rt3, ""); st != http.StatusBadRequest || str(out, "error") != "invalid_grant" {
				t.Fatalf("latest token after reuse: %d %v", st, out)
			}
			for _, tok := range []map[string]any{first, second, third} {
				if st, _, _ := e.api("/fhir/r4/Patient", str(tok, "access_token")); st != http.StatusUnauthorized {
					t.Fatalf("access token of a revoked family: %d", st)
				}
			}
			// Another client cannot use someone's refresh token.
			other := e.confApp("user/*.cruds offline_access")
			code = e.signIn(e.browser(), c.c, "user/*.cruds offline_access", u.Email, goodPassword, p)
			_, fresh := e.exchangeConf(c, code, p)
			if st, out := e.refresh(other, str(fresh, "refresh_token"), ""); st != http.StatusBadRequest || str(out, "error") != "invalid_grant" {
				t.Fatalf("foreign refresh: %d %v", st, out)
			}
			if st, out := e.refresh(c, str(fresh, "refresh_token"), "user/*.cruds system/*.rs"); st != http.StatusOK || str(out, "scope") != "user/*.cruds" {
				t.Fatalf("refresh asking for more: %d %v", st, out)
			}
		})
	}
}

func TestTOTPFlow(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{})
			ctx := t.Context()
			u := e.user("doc@example.org", auth.RolePractitioner, "Practitioner/p1", goodPassword)
			secret, _, err := e.acc.EnrollTOTP(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			now := func() string {
				c, _ := totp.GenerateCode(secret, e.clock.Now())
				return c
			}
			if _, _, err := e.acc.ConfirmTOTP(ctx, u.ID, now()); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(30 * time.Second)
			app := e.publicApp("user/*.rs")
			b := e.browser()
			p := newPKCE("d")
			pg := b.get(e.authorizeURL(app, "user/*.rs", p, nil))
			pg = b.submit(e.ts.URL, pg, "/oauth2/signin", map[string]string{"email": u.Email, "password": goodPassword})
			if pg.status != http.StatusOK || !strings.Contains(pg.body, "authenticator app") {
				t.Fatalf("expected the second-factor page: %d\n%s", pg.status, pg.body)
			}
			// Consent is not reachable before the second factor.
			if again := b.get(e.authorizeURL(app, "user/*.rs", p, nil)); strings.Contains(again.body, "Allow access?") {
				t.Fatal("consent shown before the second factor")
			}
			bad := b.submit(e.ts.URL, pg, "/oauth2/signin/totp", map[string]string{"code": "000000"})
			if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "not right") {
				t.Fatalf("wrong code: %d\n%s", bad.status, bad.body)
			}
			pg = b.submit(e.ts.URL, bad, "/oauth2/signin/totp", map[string]string{"code": now()})
			code := e.approve(b, pg)
			if st, out := e.exchange(app, code, p); st != http.StatusOK {
				t.Fatalf("exchange: %d %v", st, out)
			}
			if got := e.events.find(EventLogin, OutcomeSuccess); len(got) != 1 || got[0].Method != "password+totp" {
				t.Fatalf("login events %+v", got)
			}
			if got := e.events.find(EventLoginFailed, OutcomeFailure); len(got) != 1 || got[0].Reason != "bad-totp" {
				t.Fatalf("failed login events %+v", got)
			}
		})
	}
}

func TestTOTPSetupFlow(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{account: func(o *account.Options) { o.RequireTOTP = true }})
			u := e.user("staff@example.org", auth.RoleStaff, "", goodPassword)
			app := e.publicApp("user/*.rs")
			b := e.browser()
			p := newPKCE("e")
			pg := b.get(e.authorizeURL(app, "user/*.rs", p, nil))
			pg = b.submit(e.ts.URL, pg, "/oauth2/signin", map[string]string{"email": u.Email, "password": goodPassword})
			m := secretRe.FindStringSubmatch(pg.body)
			if pg.status != http.StatusOK || m == nil || !strings.Contains(pg.body, `href="otpauth://totp/`) {
				t.Fatalf("expected the setup page: %d\n%s", pg.status, pg.body)
			}
			// Reloading shows the same key.
			if again := b.get(e.authorizeURL(app, "user/*.rs", p, nil)); !strings.Contains(again.body, m[1]) {
				t.Fatal("the setup key changed on reload")
			}
			code, _ := totp.GenerateCode(m[1], e.clock.Now())
			pg = b.submit(e.ts.URL, pg, "/oauth2/signin/totp", map[string]string{"code": code})
			if pg.status != http.StatusOK || strings.Count(pg.body, "<li><code>") != 10 {
				t.Fatalf("expected recovery codes: %d\n%s", pg.status, pg.body)
			}
			cont := continueRe.FindStringSubmatch(pg.body)
			if cont == nil {
				t.Fatal("no continue link")
			}
			code2 := e.approve(b, b.get(e.ts.URL+htmlUnescape(cont[1])))
			if st, out := e.exchange(app, code2, p); st != http.StatusOK {
				t.Fatalf("exchange: %d %v", st, out)
			}
		})
	}
}

func TestPatientCodeFlow(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, db, envOpts{server: func(o *Options) { o.Dev = true }})
			u := e.user("pat@example.org", auth.RolePatient, "Patient/pat1", "")
			app := e.publicApp("patient/*.rs launch/patient openid fhirUser")
			b := e.browser()
			p := newPKCE("f")
			pg := b.get(e.authorizeURL(app, "launch/patient patient/*.read openid fhirUser", p, nil))
			if !strings.Contains(pg.body, "/dev/outbox") {
				t.Fatal("dev note missing")
			}
			// An unknown address gets the same page and no e-mail.
			unknown := b.submit(e.ts.URL, pg, "/oauth2/signin/code", map[string]string{"email": "nobody@example.org"})
			pg = b.submit(e.ts.URL, pg, "/oauth2/signin/code", map[string]string{"email": "PAT@example.org"})
			if unknown.status != pg.status || !strings.Contains(unknown.body, "If this address has a patient account") {
				t.Fatalf("unknown address page differs: %d vs %d", unknown.status, pg.status)
			}
			if e.sender.last("nobody@example.org") != "" {
				t.Fatal("code sent to an unknown address")
			}
			code := e.sender.last(u.Email)
			if len(code) != 6 {
				t.Fatalf("captured code %q", code)
			}
			bad := b.submit(e.ts.URL, pg, "/oauth2/signin/code/verify", map[string]string{"code": "12345x"})
			if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "not right or has expired") {
				t.Fatalf("wrong code: %d", bad.status)
			}
			pg = b.submit(e.ts.URL, pg, "/oauth2/signin/code/verify", map[string]string{"code": code})
			if !strings.Contains(pg.body, "Open your own patient record") || !strings.Contains(pg.body, "Read and search all types of records in your health record") {
				t.Fatalf("consent text:\n%s", pg.body)
			}
			authCode := e.approve(b, pg)
			st, tok := e.exchange(app, authCode, p)
			if st != http.StatusOK || str(tok, "patient") != "pat1" || tok["need_patient_banner"] != true ||
				str(tok, "scope") != "fhirUser launch/patient openid patient/*.rs" {
				t.Fatalf("exchange: %d %v", st, tok)
			}
			claims := verifyIDToken(t, e, str(tok, "id_token"))
			if claims["fhirUser"] != e.ts.URL+"/fhir/r4/Patient/pat1" {
				t.Fatalf("id token fhirUser %v", claims["fhirUser"])
			}
			st, id, _ := e.api("/fhir/r4/Patient/pat1", str(tok, "access_token"))
			if st != http.StatusOK || id["patient"] != "pat1" || id["role"] != "patient" || id["fhirUser"] != "Patient/pat1" {
				t.Fatalf("identity %d %v", st, id)
			}
			if got := e.events.find(EventLogin, OutcomeSuccess); len(got) != 1 || got[0].Method != "email-code" {
				t.Fatalf("login events %+v", got)
			}
		})
	}
}
