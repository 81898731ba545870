package rest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/housecall/housecall/internal/audit"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/scope"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
)

// The authorization matrix: every caller profile × every interaction and
// search feature, on both backends. The expectation of each cell comes from
// a model written here independently of the policy: which patients' data a
// profile may see, and which (type, operation) pairs its scopes and role
// allow. Every response is also checked for leaks: no resource of a patient
// outside the profile's set, and totals that count only visible matches.

// profile is one caller.
type profile struct {
	name string
	id   *auth.Identity // nil: no credentials
	// patients the profile may see; nil: all.
	patients []string
	// allowed reports whether scopes and role allow op on typ.
	allowed func(op scope.Perm, typ string) bool
	strict  bool
}

func mustScopes(s string) scope.Set {
	set, err := scope.Parse(s)
	if err != nil {
		panic(err)
	}
	return set
}

// The world: patients A and B, their practitioners X and Y.
var directory = []string{"Practitioner", "Organization"}

func profiles() []profile {
	all := func(scope.Perm, string) bool { return true }
	readOnly := func(op scope.Perm, _ string) bool { return op&(scope.Create|scope.Update|scope.Delete) == 0 }
	onlyObs := func(op scope.Perm, typ string) bool {
		return typ == "Observation" && op&(scope.Create|scope.Update|scope.Delete) == 0
	}
	patientTypes := func(op scope.Perm, typ string) bool {
		// Patients never reach types outside their record and the directory.
		if typ == "Binary" || typ == "AuditEvent" && op != scope.Read && op != scope.Search {
			return false
		}
		return !slices.Contains(directory, typ) || op&(scope.Create|scope.Update|scope.Delete) == 0
	}
	notAudit := func(f func(scope.Perm, string) bool) func(scope.Perm, string) bool {
		return func(op scope.Perm, typ string) bool { return typ != "AuditEvent" && f(op, typ) }
	}
	patient := func(scopes string) *auth.Identity {
		return &auth.Identity{Kind: auth.KindUser, Subject: "ua", Role: auth.RolePatient, FHIRUser: "Patient/pA", Patient: "pA", Scopes: mustScopes(scopes)}
	}
	dr := func(scopes string) *auth.Identity {
		return &auth.Identity{Kind: auth.KindUser, Subject: "ux", Role: auth.RolePractitioner, FHIRUser: "Practitioner/drX", Scopes: mustScopes(scopes)}
	}
	return []profile{
		{name: "anonymous"},
		{name: "patientA-all", id: patient("patient/*.cruds launch/patient openid fhirUser"), patients: []string{"pA"}, allowed: patientTypes},
		{name: "patientA-v1-read", id: patient("patient/*.read"), patients: []string{"pA"},
			allowed: func(op scope.Perm, typ string) bool { return patientTypes(op, typ) && readOnly(op, typ) }},
		{name: "patientA-observations", id: patient("patient/Observation.rs"), patients: []string{"pA"}, allowed: onlyObs},
		{name: "practitionerX-org", id: dr("user/*.cruds"), allowed: notAudit(all)},
		{name: "practitionerX-strict", id: dr("user/*.cruds"), patients: []string{"pA"}, allowed: notAudit(all), strict: true},
		{name: "practitionerX-observations", id: dr("user/Observation.rs"), allowed: onlyObs},
		{name: "staff-read", id: &auth.Identity{Kind: auth.KindUser, Subject: "us", Role: auth.RoleStaff, Scopes: mustScopes("user/*.rs")},
			allowed: notAudit(readOnly)},
		{name: "admin", id: &auth.Identity{Kind: auth.KindUser, Subject: "uadm", Role: auth.RoleAdmin, Scopes: mustScopes("user/*.cruds")}, allowed: all},
		{name: "client-read", id: &auth.Identity{Kind: auth.KindClient, Subject: "c1", ClientID: "c1", Scopes: mustScopes("system/*.rs")}, allowed: readOnly},
		{name: "client-observations", id: &auth.Identity{Kind: auth.KindClient, Subject: "c2", ClientID: "c2", Scopes: mustScopes("system/Observation.rs")}, allowed: onlyObs},
		// Invitation sessions (telemed): the patient of a visit with the
		// visit page's scopes, and a guest without any.
		{name: "invite-patientA", id: &auth.Identity{Kind: auth.KindInvite, Subject: "inv1", FHIRUser: "Patient/pA", Patient: "pA",
			ClientID: "housecall-invite", Scopes: mustScopes(inviteScopes)}, patients: []string{"pA"},
			allowed: func(op scope.Perm, typ string) bool { return patientTypes(op, typ) && op&^invitePerms[typ] == 0 }},
		{name: "invite-guest", id: &auth.Identity{Kind: auth.KindInvite, Subject: "inv2", FHIRUser: "RelatedPerson/r1",
			ClientID: "housecall-invite"}, patients: []string{}, allowed: func(scope.Perm, string) bool { return false }},
	}
}

// inviteScopes are those of a patient's invitation session
// (telemed.PatientInviteScopes); invitePerms is what they allow, per type.
const inviteScopes = "patient/Patient.rs patient/Encounter.rus patient/QuestionnaireResponse.crus patient/Consent.crs " +
	"patient/Questionnaire.rs patient/Condition.rs patient/MedicationRequest.rs patient/ServiceRequest.rs " +
	"patient/DocumentReference.rs patient/Communication.rs"

var invitePerms = map[string]scope.Perm{
	"Patient": scope.Read | scope.Search, "Encounter": scope.Read | scope.Update | scope.Search,
	"QuestionnaireResponse": scope.Create | scope.Read | scope.Update | scope.Search,
	"Consent":               scope.Create | scope.Read | scope.Search, "Questionnaire": scope.Read | scope.Search,
	"Condition": scope.Read | scope.Search, "MedicationRequest": scope.Read | scope.Search,
	"ServiceRequest": scope.Read | scope.Search, "DocumentReference": scope.Read | scope.Search,
	"Communication": scope.Read | scope.Search,
}

// owner is the patient each seeded resource belongs to ("" for none).
var owner = map[string]string{
	"Patient/pA": "pA", "Patient/pB": "pB",
	"Encounter/eA": "pA", "Encounter/eB": "pB",
	"Observation/oA": "pA", "Observation/oB": "pB",
	"Condition/cA": "pA", "Condition/cB": "pB",
	"Practitioner/drX": "", "Practitioner/drY": "", "Organization/org": "",
}

func (p profile) sees(ref string) bool {
	typ, _, _ := strings.Cut(ref, "/")
	if p.patients == nil || slices.Contains(directory, typ) {
		return true
	}
	o, known := owner[ref]
	if !known {
		// Created during the test: the id carries the owner.
		o = ref[strings.LastIndex(ref, "-")+1:]
	}
	return slices.Contains(p.patients, o)
}

func seedWorld(t *testing.T, e *rest.Engine) {
	t.Helper()
	ctx := auth.WithIdentity(context.Background(), auth.System("test"))
	put := func(path string, body string) {
		t.Helper()
		req, err := rest.ParseURL(http.MethodPut, path)
		if err != nil {
			t.Fatal(err)
		}
		req.Body = []byte(body)
		if _, err := e.Do(ctx, req); err != nil {
			t.Fatalf("seed %s: %v", path, err)
		}
	}
	put("Practitioner/drX", `{"resourceType":"Practitioner","id":"drX","name":[{"family":"Xavier"}]}`)
	put("Practitioner/drY", `{"resourceType":"Practitioner","id":"drY","name":[{"family":"Young"}]}`)
	put("Organization/org", `{"resourceType":"Organization","id":"org","name":"Clinic"}`)
	put("Patient/pA", `{"resourceType":"Patient","id":"pA","name":[{"family":"Able"}]}`)
	put("Patient/pB", `{"resourceType":"Patient","id":"pB","name":[{"family":"Baker"}]}`)
	enc := func(id, patient, dr string) string {
		return fmt.Sprintf(`{"resourceType":"Encounter","id":%q,"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"VR"},"subject":{"reference":"Patient/%s"},"participant":[{"individual":{"reference":"Practitioner/%s"}}]}`, id, patient, dr)
	}
	put("Encounter/eA", enc("eA", "pA", "drX"))
	put("Encounter/eB", enc("eB", "pB", "drY"))
	obs := func(id, patient, code string) string {
		return fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","code":{"coding":[{"system":"http://loinc.org","code":%q}]},"subject":{"reference":"Patient/%s"}}`, id, code, patient)
	}
	put("Observation/oA", obs("oA", "pA", "1111-1"))
	put("Observation/oB", obs("oB", "pB", "2222-2"))
	// cA belongs to A but points at B's encounter: following it must not reveal eB.
	put("Condition/cA", `{"resourceType":"Condition","id":"cA","subject":{"reference":"Patient/pA"},"encounter":{"reference":"Encounter/eB"}}`)
	put("Condition/cB", `{"resourceType":"Condition","id":"cB","subject":{"reference":"Patient/pB"},"encounter":{"reference":"Encounter/eB"}}`)
	put("Binary/bin", `{"resourceType":"Binary","id":"bin","contentType":"text/plain","data":"aGk="}`)
}

// memAudit keeps recorded events for assertions.
type memAudit struct {
	mu  sync.Mutex
	evs []audit.Event
}

func (m *memAudit) Record(_ context.Context, ev audit.Event) {
	m.mu.Lock()
	m.evs = append(m.evs, ev)
	m.mu.Unlock()
}

// matrixCase is one interaction.
type matrixCase struct {
	name, method, path, body string
	op                       scope.Perm
	typ                      string
	// target is the resource a single-resource interaction acts on.
	target string
	// writeOwner is the patient a created or updated resource belongs to.
	writeOwner string
	// via are the other types the interaction reads (chains, _has, the
	// compartment's own resource).
	via []string
}

func matrixCases(p profile, i int) []matrixCase {
	obs := func(id, patient string) string {
		return fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s"}}`, id, patient)
	}
	n := fmt.Sprint(i)
	return []matrixCase{
		{name: "read own", method: "GET", path: "Observation/oA", op: scope.Read, typ: "Observation", target: "Observation/oA"},
		{name: "read other", method: "GET", path: "Observation/oB", op: scope.Read, typ: "Observation", target: "Observation/oB"},
		{name: "vread other", method: "GET", path: "Observation/oB/_history/1", op: scope.Read, typ: "Observation", target: "Observation/oB"},
		{name: "read other patient", method: "GET", path: "Patient/pB", op: scope.Read, typ: "Patient", target: "Patient/pB"},
		{name: "read directory", method: "GET", path: "Practitioner/drY", op: scope.Read, typ: "Practitioner", target: "Practitioner/drY"},
		{name: "read binary", method: "GET", path: "Binary/bin", op: scope.Read, typ: "Binary", target: "Binary/bin"},
		{name: "search", method: "GET", path: "Observation?_total=accurate", op: scope.Search, typ: "Observation"},
		{name: "search patients", method: "GET", path: "Patient?_total=accurate", op: scope.Search, typ: "Patient"},
		{name: "search include", method: "GET", path: "Condition?_include=Condition:encounter&_total=accurate", op: scope.Search, typ: "Condition"},
		{name: "search revinclude", method: "GET", path: "Encounter?_revinclude=Condition:encounter", op: scope.Search, typ: "Encounter"},
		{name: "search iterate", method: "GET", path: "Condition?_include=Condition:encounter&_include:iterate=Encounter:participant", op: scope.Search, typ: "Condition"},
		{name: "chain", method: "GET", path: "Observation?subject:Patient.name=baker", op: scope.Search, typ: "Observation", via: []string{"Patient"}},
		{name: "has", method: "GET", path: "Patient?_has:Observation:patient:code=2222-2", op: scope.Search, typ: "Patient", via: []string{"Observation"}},
		{name: "has encounter", method: "GET", path: "Encounter?_has:Condition:encounter:subject=Patient/pA", op: scope.Search, typ: "Encounter", via: []string{"Condition"}},
		{name: "compartment other", method: "GET", path: "Patient/pB/Observation", op: scope.Search, typ: "Observation", target: "Patient/pB", via: []string{"Patient"}},
		{name: "everything other", method: "GET", path: "Patient/pB/$everything", op: scope.Read, typ: "Patient", target: "Patient/pB"},
		{name: "everything own", method: "GET", path: "Patient/pA/$everything", op: scope.Read, typ: "Patient", target: "Patient/pA"},
		{name: "history other", method: "GET", path: "Observation/oB/_history", op: scope.Read, typ: "Observation", target: "Observation/oB"},
		{name: "history type", method: "GET", path: "Observation/_history", op: scope.Read, typ: "Observation"},
		{name: "create for own", method: "PUT", path: "Observation/new" + n + "-pA", body: obs("new"+n+"-pA", "pA"), op: scope.Create, typ: "Observation", writeOwner: "pA"},
		{name: "create for other", method: "PUT", path: "Observation/new" + n + "-pB", body: obs("new"+n+"-pB", "pB"), op: scope.Create, typ: "Observation", writeOwner: "pB"},
		{name: "update other", method: "PUT", path: "Observation/oB", body: obs("oB", "pB"), op: scope.Update, typ: "Observation", target: "Observation/oB", writeOwner: "pB"},
		{name: "move own to other", method: "PUT", path: "Observation/oA", body: obs("oA", "pB"), op: scope.Update, typ: "Observation", target: "Observation/oA", writeOwner: "pB"},
		{name: "delete other", method: "DELETE", path: "Observation/oB", op: scope.Delete, typ: "Observation", target: "Observation/oB"},
		{name: "write audit", method: "PUT", path: "AuditEvent/x" + n, body: `{"resourceType":"AuditEvent","id":"x` + n + `","type":{"code":"rest"},"recorded":"2024-01-01T00:00:00Z","agent":[{"requestor":true}],"source":{"observer":{"display":"x"}}}`, op: scope.Create, typ: "AuditEvent", writeOwner: "none"},
	}
}

// expectStatus is the model's answer for a case.
func expectStatus(p profile, c matrixCase) int {
	if p.id == nil {
		return http.StatusUnauthorized
	}
	if c.typ == "AuditEvent" && c.op&(scope.Create|scope.Update|scope.Delete) != 0 {
		return http.StatusForbidden
	}
	if c.typ != "Patient" && strings.HasPrefix(c.target, "Patient/") && p.allowed(scope.Read, "Patient") && !p.sees(c.target) {
		// A compartment is looked up first: one of a patient the caller
		// does not see is not found, whatever the type asked for.
		return http.StatusNotFound
	}
	if !p.allowed(c.op, c.typ) {
		return http.StatusForbidden
	}
	for _, v := range c.via {
		op := scope.Search
		if c.target != "" {
			op = scope.Read
		}
		if !p.allowed(op, v) {
			return http.StatusForbidden
		}
	}
	switch {
	case strings.HasSuffix(c.path, "/_history") && c.target == "" && p.patients != nil:
		return http.StatusForbidden // history across patients
	case c.op == scope.Create:
		if !p.sees("Observation/x-" + c.writeOwner) {
			return http.StatusForbidden
		}
		return http.StatusCreated
	case c.target != "" && !p.sees(c.target):
		return http.StatusNotFound
	case c.op == scope.Update && !p.sees("Observation/x-"+c.writeOwner):
		return http.StatusForbidden
	case c.op == scope.Delete:
		return http.StatusOK
	}
	return http.StatusOK
}

func TestAuthorizationMatrix(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			for i, p := range profiles() {
				t.Run(p.name, func(t *testing.T) {
					runProfile(t, st, p, i)
				})
			}
		})
	}
}

// runProfile runs every case for one profile on a fresh world (writes of
// one profile never affect another's expectations).
func runProfile(t *testing.T, st store.Store, p profile, i int) {
	mode := auth.ModeOrganization
	if p.strict {
		mode = auth.ModeStrict
	}
	ix := search.DefaultIndexer()
	rec := &memAudit{}
	engine := rest.NewEngine(rest.Options{Store: st, MaxPageSize: 100, Audit: rec,
		Policy: &auth.Policy{Mode: mode, PatientsOf: auth.PatientsOfStore(st, ix)}})
	seedWorld(t, engine)
	h := rest.NewHandler(engine, rest.HandlerOptions{Prefix: "/fhir/r4", MaxBodyBytes: 1 << 20})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.id != nil {
			r = r.WithContext(auth.WithIdentity(r.Context(), p.id))
		}
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()
	s := &server{t: t, url: ts.URL + "/fhir/r4", st: st, http: ts.Client()}

	for _, c := range matrixCases(p, i) {
		var body any
		if c.body != "" {
			body = c.body
		}
		rep := s.do(c.method, "/"+c.path, body)
		want := expectStatus(p, c)
		got := rep.status
		if got == http.StatusNoContent {
			got = http.StatusOK
		}
		if c.method == "PUT" && want == http.StatusCreated && got == http.StatusOK {
			got = http.StatusCreated
		}
		if got != want {
			t.Errorf("%s %s %s: status %d, want %d: %s", p.name, c.method, c.path, rep.status, want, rep.body)
			continue
		}
		if want == http.StatusUnauthorized && rep.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: 401 without WWW-Authenticate", c.method, c.path)
		}
		if got >= 400 {
			if rt, _ := rep.json["resourceType"].(string); rt != "OperationOutcome" {
				t.Errorf("%s %s: error %d is not an OperationOutcome", c.method, c.path, got)
			}
			continue
		}
		checkNoLeak(t, p, c, rep)
	}
	// Every interaction of an identified caller left an audit record.
	if p.id != nil {
		rec.mu.Lock()
		n := len(rec.evs)
		rec.mu.Unlock()
		if n < len(matrixCases(p, i)) {
			t.Errorf("%s: %d audit records for %d interactions", p.name, n, len(matrixCases(p, i)))
		}
	}
}

// checkNoLeak asserts that a successful response holds only resources the
// profile may see and that totals count only those.
func checkNoLeak(t *testing.T, p profile, c matrixCase, rep *reply) {
	t.Helper()
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if rt, ok := x["resourceType"].(string); ok && rt != "Bundle" && rt != "OperationOutcome" {
				if id, ok := x["id"].(string); ok {
					refs = append(refs, rt+"/"+id)
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(rep.json)
	matches := 0
	for _, ref := range refs {
		if !p.sees(ref) {
			t.Errorf("%s %s %s: LEAK of %s", p.name, c.method, c.path, ref)
		}
	}
	if rt, _ := rep.json["resourceType"].(string); rt == "Bundle" {
		entries, _ := rep.json["entry"].([]any)
		for _, e := range entries {
			sm, _ := e.(map[string]any)["search"].(map[string]any)
			if mode, _ := sm["mode"].(string); mode == "match" || rep.json["type"] == "history" {
				matches++
			}
		}
		if tot, ok := rep.json["total"].(float64); ok && int(tot) != matches {
			t.Errorf("%s %s: total %v but %d matches on the page", p.name, c.path, tot, matches)
		}
		// Allowed data is returned: an unrestricted search sees both patients.
		if c.name == "search" && p.patients == nil && matches < 2 {
			t.Errorf("%s %s: %d matches, want both patients' observations", p.name, c.path, matches)
		}
		if c.name == "search" && p.patients != nil && matches < 1 {
			t.Errorf("%s %s: own observation missing", p.name, c.path)
		}
	}
}
