package audit

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
)

var testTime = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.FixedZone("CET", 3600))

// validate round-trips res through JSON and the repository's own R4
// validator, as the store will on write.
func validate(t *testing.T, res map[string]any) map[string]any {
	t.Helper()
	body, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	dec, issues := fhir.Decode(body)
	if len(issues) > 0 {
		t.Fatalf("Decode: %v", issues)
	}
	if issues := fhir.Validate(dec, "AuditEvent"); len(issues) > 0 {
		t.Fatalf("Validate: %+v\n%s", issues, body)
	}
	return dec
}

func fullEvent() Event {
	return Event{
		Time:        testTime,
		Kind:        KindSearch,
		Outcome:     OutcomeSuccess,
		OutcomeDesc: "ok",
		Agent: Agent{Who: "Practitioner/123", UserID: "u-42", UserName: "Dr. Ada", Role: RolePractitioner,
			ClientID: "web-app", Requestor: true},
		Source: Source{IP: "2001:db8::1", UserAgent: "Mozilla/5.0", Site: "https://fhir.example.org", Observer: "hc-1"},
		Entities: []Entity{
			{What: "Observation", Query: "patient=Patient/p1&code=http://loinc.org|8867-4"},
			{What: "Observation/o1/_history/2"},
			{What: "Patient/p1"},
		},
		Patients: []string{"Patient/p1", "Patient/p2", "Patient/p2"},
	}
}

func TestResourceEveryKindIsValid(t *testing.T) {
	tests := []struct {
		kind     Kind
		typeCode string
		subtypes []string
		action   string
	}{
		{KindRead, "rest", []string{"read"}, "R"},
		{KindVRead, "rest", []string{"vread"}, "R"},
		{KindSearch, "rest", []string{"search-type"}, "E"},
		{KindHistory, "rest", []string{"history-instance"}, "R"},
		{KindCreate, "rest", []string{"create"}, "C"},
		{KindUpdate, "rest", []string{"update"}, "U"},
		{KindPatch, "rest", []string{"patch"}, "U"},
		{KindDelete, "rest", []string{"delete"}, "D"},
		{KindOperation, "rest", []string{"operation"}, "E"},
		{KindExport, "rest", []string{"operation", "export"}, "E"},
		{KindTransaction, "rest", []string{"transaction"}, "E"},
		{KindBatch, "rest", []string{"batch"}, "E"},
		{KindLogin, "110114", []string{"110122"}, "E"},
		{KindLoginFailed, "110114", []string{"110122"}, "E"},
		{KindLogout, "110114", []string{"110123"}, "E"},
		{KindTokenIssued, "110114", []string{"token-issued"}, "E"},
		{KindTokenRevoked, "110114", []string{"token-revoked"}, "E"},
	}
	if len(tests) != len(kinds) {
		t.Fatalf("table covers %d kinds, package has %d", len(tests), len(kinds))
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			ev := fullEvent()
			ev.Kind = tt.kind
			res, err := ev.Resource()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := (Chain{}).Seal(res, 1, GenesisHash); err != nil {
				t.Fatal(err)
			}
			dec := validate(t, res)
			typ := dec["type"].(map[string]any)
			if typ["code"] != tt.typeCode {
				t.Errorf("type.code = %v, want %s", typ["code"], tt.typeCode)
			}
			var subs []string
			for _, s := range dec["subtype"].([]any) {
				subs = append(subs, s.(map[string]any)["code"].(string))
			}
			if !reflect.DeepEqual(subs, tt.subtypes) {
				t.Errorf("subtypes = %v, want %v", subs, tt.subtypes)
			}
			if dec["action"] != tt.action {
				t.Errorf("action = %v, want %s", dec["action"], tt.action)
			}
			if _, has := dec["id"]; has {
				t.Error("resource has an id")
			}
			if _, has := dec["meta"]; has {
				t.Error("resource has meta")
			}
		})
	}
}

func TestResourceContent(t *testing.T) {
	res, err := fullEvent().Resource()
	if err != nil {
		t.Fatal(err)
	}
	dec := validate(t, res)
	if got := dec["recorded"]; got != "2025-03-14T08:26:53.589793Z" {
		t.Errorf("recorded = %v", got)
	}
	if dec["outcome"] != "0" || dec["outcomeDesc"] != "ok" {
		t.Errorf("outcome = %v %v", dec["outcome"], dec["outcomeDesc"])
	}
	agents := dec["agent"].([]any)
	if len(agents) != 2 {
		t.Fatalf("%d agents, want user and client", len(agents))
	}
	user, client := agents[0].(map[string]any), agents[1].(map[string]any)
	wantUser := map[string]any{
		"requestor": true,
		"who":       map[string]any{"reference": "Practitioner/123"},
		"altId":     "u-42",
		"name":      "Dr. Ada",
		"role": []any{map[string]any{"coding": []any{map[string]any{
			"system": SystemUserRole, "code": "practitioner"}}}},
		"network":   map[string]any{"address": "2001:db8::1", "type": "2"},
		"extension": []any{map[string]any{"url": ExtUserAgent, "valueString": "Mozilla/5.0"}},
	}
	if !reflect.DeepEqual(user, wantUser) {
		t.Errorf("user agent = %#v", user)
	}
	if client["requestor"] != false ||
		!reflect.DeepEqual(client["who"], map[string]any{"identifier": map[string]any{"system": SystemOAuthClient, "value": "web-app"}}) {
		t.Errorf("client agent = %#v", client)
	}
	src := dec["source"].(map[string]any)
	if src["site"] != "https://fhir.example.org" || src["observer"].(map[string]any)["display"] != "hc-1" {
		t.Errorf("source = %#v", src)
	}

	ents := dec["entity"].([]any)
	type ent struct{ what, typ, role, query string }
	var got []ent
	for _, e := range ents {
		m := e.(map[string]any)
		var g ent
		if w, ok := m["what"].(map[string]any); ok {
			g.what = w["reference"].(string)
		}
		g.typ = m["type"].(map[string]any)["code"].(string)
		g.role = m["role"].(map[string]any)["code"].(string)
		if q, ok := m["query"].(string); ok {
			b, err := base64.StdEncoding.DecodeString(q)
			if err != nil {
				t.Fatal(err)
			}
			g.query = string(b)
		}
		got = append(got, g)
	}
	want := []ent{
		{"", "Observation", "24", "patient=Patient/p1&code=http://loinc.org|8867-4"},
		{"Observation/o1/_history/2", "Observation", "4", ""},
		{"Patient/p1", "Patient", "1", ""},
		{"Patient/p2", "Patient", "1", ""}, // p1 already an entity; p2 only once
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entities =\n%v\nwant\n%v", got, want)
	}
}

func TestResourceAgents(t *testing.T) {
	tests := []struct {
		name       string
		agent      Agent
		wantAgents int
		// requestors per agent, and which one carries the network address
		requestors []bool
		network    int
	}{
		{"user only", Agent{UserID: "u1", Role: RoleAdmin, Requestor: true}, 1, []bool{true}, 0},
		{"client only", Agent{ClientID: "backend", Requestor: true}, 1, []bool{true}, 0},
		{"nobody known", Agent{}, 1, []bool{false}, 0},
		{"user and client", Agent{UserName: "alice", ClientID: "app", Requestor: true}, 2, []bool{true, false}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := Event{Time: testTime, Kind: KindLoginFailed, Agent: tt.agent, Source: Source{IP: "192.0.2.7"}}
			res, err := ev.Resource()
			if err != nil {
				t.Fatal(err)
			}
			dec := validate(t, res)
			if dec["outcome"] != "4" {
				t.Errorf("login-failed outcome = %v, want 4", dec["outcome"])
			}
			agents := dec["agent"].([]any)
			if len(agents) != tt.wantAgents {
				t.Fatalf("%d agents, want %d", len(agents), tt.wantAgents)
			}
			for i, a := range agents {
				m := a.(map[string]any)
				if m["requestor"] != tt.requestors[i] {
					t.Errorf("agent %d requestor = %v", i, m["requestor"])
				}
				_, hasNet := m["network"]
				if hasNet != (i == tt.network) {
					t.Errorf("agent %d network present = %v", i, hasNet)
				}
			}
		})
	}
}

func TestResourceErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Event)
	}{
		{"unknown kind", func(e *Event) { e.Kind = "peek" }},
		{"no time", func(e *Event) { e.Time = time.Time{} }},
		{"bad action", func(e *Event) { e.Action = "X" }},
		{"bad outcome", func(e *Event) { e.Outcome = 3 }},
		{"bad role", func(e *Event) { e.Agent.Role = "root" }},
		{"bad who", func(e *Event) { e.Agent.Who = "Nobody/1" }},
		{"who with bad id", func(e *Event) { e.Agent.Who = "Practitioner/a b" }},
		{"patient not a Patient", func(e *Event) { e.Patients = []string{"Group/1"} }},
		{"patient with version", func(e *Event) { e.Patients = []string{"Patient/1/_history/2"} }},
		{"empty entity", func(e *Event) { e.Entities = []Entity{{}} }},
		{"bad entity role", func(e *Event) { e.Entities = []Entity{{What: "Patient/1", Role: "99"}} }},
		{"bad entity reference", func(e *Event) { e.Entities = []Entity{{What: "Patient/1/x"}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := fullEvent()
			tt.edit(&ev)
			res, err := ev.Resource()
			if !errors.Is(err, ErrInvalidEvent) || res != nil {
				t.Fatalf("Resource() = %v, %v; want ErrInvalidEvent", res != nil, err)
			}
		})
	}
}

func TestExplicitActionAndDefaultObserver(t *testing.T) {
	ev := Event{Time: testTime, Kind: KindOperation, Action: ActionRead, Agent: Agent{UserID: "u"},
		Entities: []Entity{{What: "Patient/p1"}}}
	res, err := ev.Resource()
	if err != nil {
		t.Fatal(err)
	}
	dec := validate(t, res)
	if dec["action"] != "R" {
		t.Errorf("action = %v", dec["action"])
	}
	if got := dec["source"].(map[string]any)["observer"].(map[string]any)["display"]; got != DefaultObserver {
		t.Errorf("observer = %v", got)
	}
	who := dec["agent"].([]any)[0].(map[string]any)["who"]
	if !reflect.DeepEqual(who, map[string]any{"identifier": map[string]any{"system": SystemAccount, "value": "u"}}) {
		t.Errorf("who = %v", who)
	}
}

func TestOutcomeFor(t *testing.T) {
	tests := []struct {
		status int
		denied bool
		want   Outcome
	}{
		{200, false, OutcomeSuccess},
		{201, false, OutcomeSuccess},
		{304, false, OutcomeSuccess},
		{200, true, OutcomeMinorFailure},
		{400, false, OutcomeMinorFailure},
		{403, false, OutcomeMinorFailure},
		{404, false, OutcomeMinorFailure},
		{500, false, OutcomeSeriousFailure},
		{503, false, OutcomeSeriousFailure},
		{503, true, OutcomeMinorFailure},
	}
	for _, tt := range tests {
		if got := OutcomeFor(tt.status, tt.denied); got != tt.want {
			t.Errorf("OutcomeFor(%d, %v) = %d, want %d", tt.status, tt.denied, got, tt.want)
		}
	}
}

// TestPatientSearchFindsEvent checks with the real indexer that the
// patients of an event are what AuditEvent?patient= matches.
func TestPatientSearchFindsEvent(t *testing.T) {
	ix, err := search.NewIndexer(search.IndexerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev := Event{Time: testTime, Kind: KindRead, Agent: Agent{Who: "Practitioner/d1", Requestor: true},
		Entities: []Entity{{What: "Observation/o1"}}, Patients: []string{"Patient/p1"}}
	res, err := ev.Resource()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ix.Extract(validate(t, res))
	if err != nil {
		t.Fatal(err)
	}
	var patients []string
	for _, e := range entries {
		if e.Param == "patient" {
			patients = append(patients, e.RefType+"/"+e.RefID)
		}
	}
	if !reflect.DeepEqual(patients, []string{"Patient/p1"}) {
		t.Errorf("patient index = %v, want [Patient/p1]", patients)
	}
}
