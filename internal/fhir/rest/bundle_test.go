package rest_test

import (
	"net/http"
	"strings"
	"testing"
)

func entry(method, url string, res map[string]any, extra ...string) map[string]any {
	e := map[string]any{"request": map[string]any{"method": method, "url": url}}
	if res != nil {
		e["resource"] = res
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i] == "fullUrl" {
			e["fullUrl"] = extra[i+1]
		} else {
			e["request"].(map[string]any)[extra[i]] = extra[i+1]
		}
	}
	return e
}

func bundle(kind string, es ...map[string]any) map[string]any {
	list := make([]any, len(es))
	for i, e := range es {
		list[i] = e
	}
	return map[string]any{"resourceType": "Bundle", "type": kind, "entry": list}
}

func TestTransactionResolvesReferencesAndOrders(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Patient/old", patient(map[string]any{"id": "old"})).expect(t, 201)
		s.do("PUT", "/Patient/patched", patient(map[string]any{"id": "patched"})).expect(t, 201)
		pat := "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"
		enc := "urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059"
		tx := bundle("transaction",
			// Listed in an order the server must rearrange: GET, PUT, POST, DELETE.
			entry("GET", "Patient/old", nil),
			entry("POST", "Encounter", map[string]any{"resourceType": "Encounter", "status": "planned",
				"class":   map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
				"subject": map[string]any{"reference": pat}}, "fullUrl", enc),
			entry("POST", "Patient", patient(nil), "fullUrl", pat),
			entry("PATCH", "Patient/patched", binaryPatch(`[{"op":"replace","path":"/gender","value":"male"}]`)),
			entry("DELETE", "Patient/old", nil),
		)
		r := s.do("POST", "", tx).expect(t, 200)
		if str(r.json, "type") != "transaction-response" {
			t.Fatalf("type: %s", r.body)
		}
		es := entries(r.json)
		if len(es) != 5 {
			t.Fatalf("%d entries", len(es))
		}
		// GET is processed after DELETE, so the patient is gone by then.
		if st := str(es[0], "response", "status"); !strings.HasPrefix(st, "410") {
			t.Fatalf("GET after DELETE: %s", st)
		}
		if st := str(es[2], "response", "status"); !strings.HasPrefix(st, "201") {
			t.Fatalf("POST patient: %s", st)
		}
		patID := str(es[2], "resource", "id")
		encRes := es[1]["resource"].(map[string]any)
		if got := str(encRes, "subject", "reference"); got != "Patient/"+patID {
			t.Fatalf("urn:uuid not rewritten: %q, patient id %q", got, patID)
		}
		if str(es[3], "resource", "gender") != "male" {
			t.Fatalf("PATCH entry: %v", es[3])
		}
		s.do("GET", "/Patient/"+patID, nil).expect(t, 200)
		s.do("GET", "/Patient/old", nil).expect(t, 410)
	})
}

func TestTransactionIsAllOrNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Patient/keep", patient(map[string]any{"id": "keep"})).expect(t, 201)
		s.do("PUT", "/Patient/other", patient(map[string]any{"id": "other"})).expect(t, 201)
		tx := bundle("transaction",
			entry("POST", "Patient", patient(nil)),
			entry("PUT", "Patient/keep", patient(map[string]any{"id": "keep", "gender": "male"})),
			entry("DELETE", "Patient/other", nil),
			entry("PUT", "Patient/bad", patient(map[string]any{"id": "bad", "birthDate": "not-a-date"})),
		)
		r := s.do("POST", "", tx)
		if r.status != 400 && r.status != 422 {
			r.expect(t, 400)
		}
		r.outcome(t, "Bundle.entry[3]")
		// Nothing of the bundle is kept: no new patient, "keep" untouched.
		k := s.do("GET", "/Patient/keep", nil).expect(t, 200)
		if str(k.json, "meta", "versionId") != "1" || str(k.json, "gender") != "female" {
			t.Fatalf("keep changed: %s", k.body)
		}
		s.do("GET", "/Patient/other", nil).expect(t, 200)
		if n := len(entries(s.do("GET", "/Patient", nil).json)); n != 2 {
			t.Fatalf("%d patients after a failed transaction", n)
		}
		// A failure found only while executing (If-Match conflict) also rolls back.
		tx2 := bundle("transaction",
			entry("POST", "Patient", patient(nil)),
			entry("PUT", "Patient/keep", patient(map[string]any{"id": "keep"}), "ifMatch", `W/"9"`),
		)
		s.do("POST", "", tx2).expect(t, 412).outcome(t, "Bundle.entry[1]")
		if n := len(entries(s.do("GET", "/Patient", nil).json)); n != 2 {
			t.Fatalf("%d patients after a conflicting transaction", n)
		}
		// Two entries on one resource are refused.
		dup := bundle("transaction", entry("DELETE", "Patient/keep", nil), entry("PUT", "Patient/keep", patient(map[string]any{"id": "keep"})))
		s.do("POST", "", dup).expect(t, 400)
	})
}

func TestBatchEntriesAreIndependent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		b := bundle("batch",
			entry("POST", "Patient", patient(nil)),
			entry("PUT", "Patient/bad", patient(map[string]any{"id": "bad", "gender": "robot"})),
			entry("GET", "Patient/missing", nil),
			entry("FETCH", "Patient", nil),
			entry("PUT", "Patient/good", patient(map[string]any{"id": "good"})),
		)
		r := s.do("POST", "", b).expect(t, 200)
		if str(r.json, "type") != "batch-response" {
			t.Fatalf("type: %s", r.body)
		}
		es := entries(r.json)
		want := []string{"201", "4", "404", "4", "201"}
		for i, w := range want {
			if st := str(es[i], "response", "status"); !strings.HasPrefix(st, w) {
				t.Errorf("entry %d status %q, want %s…", i, st, w)
			}
		}
		if str(es[1], "response", "outcome", "resourceType") != "OperationOutcome" {
			t.Errorf("failed entry needs an outcome: %v", es[1])
		}
		s.do("GET", "/Patient/good", nil).expect(t, 200)
		s.do("GET", "/Patient/bad", nil).expect(t, 404)
	})
}

func TestBundleRequestErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		s.do("POST", "", map[string]any{"resourceType": "Bundle", "type": "collection"}).expect(t, 400).outcome(t, "Bundle.type")
		s.do("POST", "", patient(nil)).expect(t, 400)
		s.do("POST", "", bundle("transaction", map[string]any{"resource": patient(nil)})).expect(t, 400).outcome(t, "Bundle.entry[0]")
		s.do("POST", "", bundle("transaction", entry("POST", "Observation", patient(nil)))).expect(t, 400).outcome(t, "Bundle.entry[0]")
		if r := s.do("GET", "/_history", nil); len(entries(r.json)) != 0 {
			t.Fatalf("rejected bundles stored data: %s", r.body)
		}
		_ = http.StatusOK
	})
}
