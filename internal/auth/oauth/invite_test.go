package oauth

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/scope"
	"github.com/housecall/housecall/internal/auth/token"
)

// invitations is a stand-in for telemed's invitation table.
type invitations struct {
	mu     sync.Mutex
	active map[string]bool
	calls  int
	fail   bool
}

func (v *invitations) set(id string, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.active == nil {
		v.active = map[string]bool{}
	}
	v.active[id] = ok
}

func (v *invitations) check(_ context.Context, id string) (string, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls++
	if v.fail {
		return "", false, errors.New("database down")
	}
	return "Guest " + id, v.active[id], nil
}

const patientInviteScopes = "patient/Patient.rs patient/Encounter.rus"

func (e *env) identify(tok string) (*auth.Identity, error) {
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/api/x", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	return e.srv.Identify(req)
}

func tokenDesc(err error) string {
	var te *TokenError
	if errors.As(err, &te) {
		return te.Description
	}
	if err == nil {
		return ""
	}
	return "other: " + err.Error()
}

func TestInviteToken(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			inv := &invitations{}
			e := newEnv(t, db, envOpts{server: func(o *Options) { o.InviteActive = inv.check }})
			ctx := t.Context()
			now := e.clock.Now()
			inv.set("inv-p", true)
			inv.set("inv-g", true)

			// The patient of the visit: patient/ scopes, the patient in context.
			tok, exp, sc, err := e.srv.IssueInviteToken(ctx, InviteGrant{InviteID: "inv-p", FHIRUser: "Patient/7", Patient: "7",
				Scopes: patientInviteScopes, Expires: now.Add(30 * time.Minute), Display: "Pat"})
			if err != nil {
				t.Fatal(err)
			}
			if !exp.Equal(now.Add(30*time.Minute)) || sc != "patient/Encounter.rus patient/Patient.rs" {
				t.Fatalf("expiry %v scope %q", exp, sc)
			}
			id, err := e.identify(tok)
			if err != nil {
				t.Fatal(err)
			}
			if id.Kind != auth.KindInvite || id.Subject != "inv-p" || id.FHIRUser != "Patient/7" || id.Patient != "7" ||
				id.ClientID != InviteClientID || id.Display != "Guest inv-p" || id.Role != "" || !id.IsPatient() ||
				!id.Scopes.Allows(scope.Patient, "Encounter", scope.Update) || id.Scopes.Allows(scope.Patient, "Observation", scope.Read) {
				t.Fatalf("identity %+v", id)
			}
			if st, who, _ := e.api("/fhir/r4/Patient", tok); st != 200 || who["kind"] != "invite" || who["scope"] != sc {
				t.Fatalf("FHIR request with the token: %d %v", st, who)
			}

			// A guest: no scopes, no patient; the token ends after 12 h even
			// when the invitation lasts a week.
			gtok, gexp, gsc, err := e.srv.IssueInviteToken(ctx, InviteGrant{InviteID: "inv-g", FHIRUser: "RelatedPerson/9",
				Expires: now.Add(7 * 24 * time.Hour), Display: "Ana"})
			if err != nil || gsc != "" || !gexp.Equal(now.Add(MaxInviteTTL)) {
				t.Fatalf("guest token: %v %q %v", gexp, gsc, err)
			}
			if gid, err := e.identify(gtok); err != nil || gid.FHIRUser != "RelatedPerson/9" || gid.Patient != "" || !gid.IsPatient() {
				t.Fatalf("guest identity %+v %v", gid, err)
			}

			// Grants that must not become tokens.
			for name, g := range map[string]InviteGrant{
				"expired":                {InviteID: "x", FHIRUser: "Patient/7", Patient: "7", Expires: now.Add(-time.Second)},
				"no id":                  {FHIRUser: "Patient/7", Patient: "7", Expires: now.Add(time.Hour)},
				"practitioner":           {InviteID: "x", FHIRUser: "Practitioner/1", Expires: now.Add(time.Hour)},
				"patient mismatch":       {InviteID: "x", FHIRUser: "Patient/7", Patient: "8", Expires: now.Add(time.Hour)},
				"patient without id":     {InviteID: "x", FHIRUser: "Patient/7", Expires: now.Add(time.Hour)},
				"guest with patient":     {InviteID: "x", FHIRUser: "RelatedPerson/9", Patient: "7", Expires: now.Add(time.Hour)},
				"user scopes":            {InviteID: "x", FHIRUser: "Patient/7", Patient: "7", Scopes: "user/*.rs", Expires: now.Add(time.Hour)},
				"system scopes":          {InviteID: "x", FHIRUser: "Patient/7", Patient: "7", Scopes: "system/*.rs", Expires: now.Add(time.Hour)},
				"other scopes":           {InviteID: "x", FHIRUser: "Patient/7", Patient: "7", Scopes: "openid offline_access", Expires: now.Add(time.Hour)},
				"guest with FHIR scopes": {InviteID: "x", FHIRUser: "RelatedPerson/9", Scopes: "patient/Patient.rs", Expires: now.Add(time.Hour)},
				"bad scope":              {InviteID: "x", FHIRUser: "Patient/7", Patient: "7", Scopes: "patient/Nope.rs", Expires: now.Add(time.Hour)},
			} {
				if _, _, _, err := e.srv.IssueInviteToken(ctx, g); err == nil {
					t.Errorf("%s: a token was issued", name)
				}
			}
			if got := e.events.find(EventTokenIssued, OutcomeSuccess); len(got) != 2 || got[0].SubjectKind != auth.KindInvite ||
				got[0].Subject != "inv-p" || got[0].GrantType != "invitation" || got[0].Patient != "7" || got[0].ClientID != InviteClientID {
				t.Fatalf("events %+v", got)
			}

			// Withdrawn: the cached status holds for the cache time, then the
			// token is refused; ForgetInvite makes it immediate.
			inv.set("inv-p", false)
			if _, err := e.identify(tok); err != nil {
				t.Fatalf("within the cache time: %v", err)
			}
			e.clock.Advance(11 * time.Second)
			if st, _, h := e.api("/api/x", tok); st != 401 || h.Get("WWW-Authenticate") != `Bearer realm="housecall", error="invalid_token", error_description="invitation withdrawn or expired"` {
				t.Fatalf("withdrawn invitation after the cache time: %d %q", st, h.Get("WWW-Authenticate"))
			}
			if _, err := e.identify(gtok); err != nil { // cached again
				t.Fatal(err)
			}
			inv.set("inv-g", false)
			if _, err := e.identify(gtok); err != nil {
				t.Fatalf("guest within the cache time: %v", err)
			}
			e.srv.ForgetInvite("inv-g")
			if got := tokenDesc(func() error { _, err := e.identify(gtok); return err }()); got != "invitation withdrawn or expired" {
				t.Fatalf("after ForgetInvite: %q", got)
			}

			// The invitation check failing is not a refusal: 503.
			inv.set("inv-p", true)
			inv.mu.Lock()
			inv.fail = true
			inv.mu.Unlock()
			e.srv.ForgetInvite("inv-p")
			if st, _, _ := e.api("/api/x", tok); st != http.StatusServiceUnavailable {
				t.Fatalf("invitation check failing: %d", st)
			}
			inv.mu.Lock()
			inv.fail = false
			inv.mu.Unlock()

			// Past the token's own expiry.
			e.clock.Advance(30 * time.Minute)
			if got := tokenDesc(func() error { _, err := e.identify(tok); return err }()); got != "token expired" {
				t.Fatalf("past expiry: %q", got)
			}
		})
	}
}

// TestInviteTokenTricks: tokens signed with the server's keys but claiming
// an invitation in ways the server never issues are refused.
func TestInviteTokenTricks(t *testing.T) {
	inv := &invitations{}
	e := newEnv(t, sqliteDB(t), envOpts{server: func(o *Options) { o.InviteActive = inv.check }})
	inv.set("inv1", true)
	now := e.clock.Now()
	base := func() token.Claims {
		return token.Claims{Issuer: e.ts.URL, Subject: "inv1", Audience: []string{e.ts.URL + "/fhir/r4"},
			ExpiresAt: now.Add(time.Hour), IssuedAt: now, NotBefore: now, ID: "jti-inv", Scope: "patient/Patient.rs",
			ClientID: InviteClientID, FHIRUser: "Patient/7", Patient: "7", Extra: map[string]any{auth.ClaimKind: "invite"}}
	}
	tests := []struct {
		name string
		mod  func(*token.Claims)
		desc string
	}{
		{"valid", nil, ""},
		{"other client", func(c *token.Claims) { c.ClientID = "app" }, "malformed token"},
		{"with a role", func(c *token.Claims) { c.Extra[auth.ClaimRole] = "admin" }, "malformed token"},
		{"user scopes", func(c *token.Claims) { c.Scope = "user/*.cruds" }, "malformed token"},
		{"system scopes", func(c *token.Claims) { c.Scope = "patient/Patient.rs system/*.rs" }, "malformed token"},
		{"practitioner", func(c *token.Claims) { c.FHIRUser, c.Patient = "Practitioner/1", "" }, "malformed token"},
		{"another patient", func(c *token.Claims) { c.Patient = "8" }, "malformed token"},
		{"guest with a patient", func(c *token.Claims) { c.FHIRUser = "RelatedPerson/9" }, "malformed token"},
		{"guest with scopes", func(c *token.Claims) { c.FHIRUser, c.Patient = "RelatedPerson/9", "" }, "malformed token"},
		{"unknown invitation", func(c *token.Claims) { c.Subject = "inv-ghost" }, "invitation withdrawn or expired"},
		{"as a user", func(c *token.Claims) { c.Extra[auth.ClaimKind] = "user"; c.Extra[auth.ClaimRole] = "patient" }, "account disabled or removed"},
		{"as a client", func(c *token.Claims) { c.Extra[auth.ClaimKind] = "client"; c.Subject = InviteClientID }, "client disabled or removed"},
		{"as the system", func(c *token.Claims) { c.Extra[auth.ClaimKind] = "system" }, "malformed token"},
	}
	for _, tc := range tests {
		c := base()
		if tc.mod != nil {
			tc.mod(&c)
		}
		tok, err := e.srv.Keys().Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.identify(tok)
		if got := tokenDesc(err); got != tc.desc {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.desc)
		}
	}

	// Without the hook, no invitation token is issued or accepted.
	e2 := newEnv(t, sqliteDB(t), envOpts{})
	if _, _, _, err := e2.srv.IssueInviteToken(t.Context(), InviteGrant{InviteID: "inv1", FHIRUser: "Patient/7", Patient: "7",
		Expires: now.Add(time.Hour)}); !errors.Is(err, ErrInvitesDisabled) {
		t.Fatalf("issue without the hook: %v", err)
	}
	c := base()
	c.Issuer, c.Audience = e2.ts.URL, []string{e2.ts.URL + "/fhir/r4"}
	tok, err := e2.srv.Keys().Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e2.identify(tok); tokenDesc(err) != "invitation withdrawn or expired" {
		t.Fatalf("accepted without the hook: %v", err)
	}
}

func TestExportedLimiter(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l := NewLimiter(Limit{Every: time.Second, Burst: 2}, c.Now)
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.Allow("a"); ok != want {
			t.Fatalf("request %d: %v", i, ok)
		}
	}
	if ok, wait := l.Allow("a"); ok || wait != 1 {
		t.Fatalf("retry after %d", wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another address shares the bucket")
	}
	c.Advance(time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("no refill")
	}
}
