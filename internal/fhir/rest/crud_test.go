package rest_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

func TestCreateReadUpdateDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		created := s.do("POST", "/Patient", patient(map[string]any{"id": "ignored", "meta": map[string]any{"versionId": "99"}})).expect(t, http.StatusCreated)
		id := str(created.json, "id")
		if id == "" || id == "ignored" {
			t.Fatalf("server must assign the id, got %q", id)
		}
		if str(created.json, "meta", "versionId") != "1" || str(created.json, "meta", "lastUpdated") == "" {
			t.Fatalf("meta not set by server: %s", created.body)
		}
		if loc := created.header.Get("Location"); !strings.HasSuffix(loc, "/fhir/r4/Patient/"+id+"/_history/1") {
			t.Fatalf("Location = %q", loc)
		}
		if created.header.Get("ETag") != `W/"1"` {
			t.Fatalf("ETag = %q", created.header.Get("ETag"))
		}

		read := s.do("GET", "/Patient/"+id, nil).expect(t, http.StatusOK)
		if read.header.Get("Last-Modified") == "" || read.header.Get("ETag") != `W/"1"` {
			t.Fatalf("read headers: %v", read.header)
		}
		if ct := read.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") {
			t.Fatalf("Content-Type = %q", ct)
		}
		s.do("GET", "/Patient/"+id, nil, "If-None-Match", `W/"1"`).expect(t, http.StatusNotModified)
		s.do("HEAD", "/Patient/"+id, nil).expect(t, http.StatusOK)

		upd := patient(map[string]any{"id": id, "gender": "male"})
		s.do("PUT", "/Patient/"+id, upd, "If-Match", `W/"5"`).expect(t, http.StatusPreconditionFailed).outcome(t, "")
		v2 := s.do("PUT", "/Patient/"+id, upd, "If-Match", `W/"1"`).expect(t, http.StatusOK)
		if str(v2.json, "meta", "versionId") != "2" || str(v2.json, "gender") != "male" {
			t.Fatalf("update: %s", v2.body)
		}
		if str(s.do("GET", "/Patient/"+id+"/_history/1", nil).expect(t, 200).json, "gender") != "female" {
			t.Fatal("vread 1 should be the original")
		}
		s.do("GET", "/Patient/"+id+"/_history/7", nil).expect(t, http.StatusNotFound).outcome(t, "")
		s.do("GET", "/Patient/"+id+"/_history/x", nil).expect(t, http.StatusNotFound)

		s.do("DELETE", "/Patient/"+id, nil).expect(t, http.StatusNoContent)
		s.do("GET", "/Patient/"+id, nil).expect(t, http.StatusGone).outcome(t, "")
		s.do("DELETE", "/Patient/"+id, nil).expect(t, http.StatusNoContent) // idempotent
		s.do("GET", "/Patient/"+id+"/_history/2", nil).expect(t, http.StatusOK)
		hist := s.do("GET", "/Patient/"+id+"/_history", nil).expect(t, http.StatusOK)
		es := entries(hist.json)
		if len(es) != 3 || str(es[0], "request", "method") != "DELETE" || str(es[2], "request", "method") != "POST" {
			t.Fatalf("history after delete: %s", hist.body)
		}
		if _, ok := es[0]["resource"]; ok {
			t.Fatal("a deletion has no resource in history")
		}
		// Re-create after delete continues the version sequence.
		again := s.do("PUT", "/Patient/"+id, upd).expect(t, http.StatusCreated)
		if str(again.json, "meta", "versionId") != "4" {
			t.Fatalf("recreate version: %s", again.body)
		}
	})
}

func TestUpdateCreatesWithClientID(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		r := s.do("PUT", "/Patient/client-1", patient(map[string]any{"id": "client-1"})).expect(t, http.StatusCreated)
		if str(r.json, "id") != "client-1" {
			t.Fatalf("id: %s", r.body)
		}
		s.do("PUT", "/Patient/client-1", patient(map[string]any{"id": "client-1"})).expect(t, http.StatusOK)
		s.do("PUT", "/Patient/client-2", patient(map[string]any{"id": "other"})).expect(t, http.StatusBadRequest).outcome(t, "Patient.id")
		s.do("PUT", "/Patient/client-3", patient(nil)).expect(t, http.StatusBadRequest).outcome(t, "Patient.id")
		s.do("GET", "/Patient/client-2", nil).expect(t, http.StatusNotFound)
	})
}

func TestRejectedWritesStoreNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		cases := []struct {
			name     string
			method   string
			path     string
			body     any
			status   int
			location string
		}{
			{"malformed JSON", "POST", "/Patient", `{"resourceType":"Patient",`, 400, ""},
			{"not an object", "POST", "/Patient", `[1,2]`, 400, ""},
			{"wrong type for URL", "POST", "/Patient", map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "x"}}, 400, ""},
			{"unknown element", "POST", "/Patient", patient(map[string]any{"favouriteColour": "blue"}), 400, "Patient.favouriteColour"},
			{"bad date", "POST", "/Patient", patient(map[string]any{"birthDate": "1980-13-45"}), 400, "Patient.birthDate"},
			{"bad code", "POST", "/Patient", patient(map[string]any{"gender": "robot"}), 400, "Patient.gender"},
			{"bad nested", "POST", "/Patient", patient(map[string]any{"name": []any{map[string]any{"given": []any{"A", 7}}}}), 400, "Patient.name[0].given[1]"},
			{"unknown type", "POST", "/Spaceship", map[string]any{"resourceType": "Spaceship"}, 404, ""},
			{"empty body", "POST", "/Patient", "", 400, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := s.do(c.method, c.path, c.body)
				if c.status == 400 && r.status == 422 {
					r.status = 400 // either is a valid validation answer
				}
				r.expect(t, c.status).outcome(t, c.location)
			})
		}
		list := s.do("GET", "/Patient", nil).expect(t, 200)
		if n := len(entries(list.json)); n != 0 {
			t.Fatalf("rejected writes left %d patients", n)
		}
		hist := s.do("GET", "/_history", nil).expect(t, 200)
		if n := len(entries(hist.json)); n != 0 {
			t.Fatalf("rejected writes left %d versions", n)
		}
	})
}

func TestPatch(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		id := str(s.do("POST", "/Patient", patient(nil)).expect(t, 201).json, "id")
		patch := `[{"op":"test","path":"/gender","value":"female"},{"op":"replace","path":"/gender","value":"other"},{"op":"add","path":"/name/0/given/-","value":"Middle"}]`
		r := s.do("PATCH", "/Patient/"+id, patch, "Content-Type", "application/json-patch+json", "If-Match", `W/"1"`).expect(t, 200)
		if str(r.json, "gender") != "other" || str(r.json, "meta", "versionId") != "2" {
			t.Fatalf("patched: %s", r.body)
		}
		given := r.json["name"].([]any)[0].(map[string]any)["given"].([]any)
		if len(given) != 2 || given[1] != "Middle" {
			t.Fatalf("given: %v", given)
		}
		failing := `[{"op":"test","path":"/gender","value":"female"},{"op":"replace","path":"/gender","value":"male"}]`
		s.do("PATCH", "/Patient/"+id, failing, "Content-Type", "application/json-patch+json").expect(t, 422).outcome(t, "")
		invalidResult := `[{"op":"replace","path":"/gender","value":"robot"}]`
		s.do("PATCH", "/Patient/"+id, invalidResult, "Content-Type", "application/json-patch+json").expect(t, 422).outcome(t, "Patient.gender")
		s.do("PATCH", "/Patient/"+id, `[{"op":"jump"}]`, "Content-Type", "application/json-patch+json").expect(t, 400)
		s.do("PATCH", "/Patient/"+id, patient(nil), "Content-Type", "application/fhir+json").expect(t, 415)
		s.do("PATCH", "/Patient/"+id, `[{"op":"replace","path":"/id","value":"x"}]`, "Content-Type", "application/json-patch+json").expect(t, 422)
		s.do("PATCH", "/Patient/"+id, patch, "Content-Type", "application/json-patch+json", "If-Match", `W/"1"`).expect(t, 412)
		s.do("PATCH", "/Patient/missing", patch, "Content-Type", "application/json-patch+json").expect(t, 404)
		if v := str(s.do("GET", "/Patient/"+id, nil).json, "meta", "versionId"); v != "2" {
			t.Fatalf("failed patches must not add versions; version %s", v)
		}
	})
}

func TestConditionalInteractions(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Patient/known", patient(map[string]any{"id": "known"})).expect(t, 201)
		// If-None-Exist that matches returns the existing resource without writing.
		r := s.do("POST", "/Patient", patient(nil), "If-None-Exist", "_id=known").expect(t, 200)
		if str(r.json, "id") != "known" || str(r.json, "meta", "versionId") != "1" {
			t.Fatalf("conditional create matched: %s", r.body)
		}
		s.do("POST", "/Patient", patient(nil), "If-None-Exist", "_id=unknown").expect(t, 201)
		s.do("POST", "/Patient", patient(nil), "If-None-Exist", "_id=known,unknown").expect(t, 200)
		// Unknown criteria are refused, never ignored; malformed ones too.
		s.do("POST", "/Patient", patient(nil), "If-None-Exist", "madeup=x").expect(t, 400).outcome(t, "")
		s.do("POST", "/Patient", patient(nil), "If-None-Exist", "_id=known,").expect(t, 400).outcome(t, "")
		// Conditional update: one match updates it, none creates.
		u := s.do("PUT", "/Patient?_id=known", patient(map[string]any{"gender": "male"})).expect(t, 200)
		if str(u.json, "id") != "known" || str(u.json, "meta", "versionId") != "2" {
			t.Fatalf("conditional update: %s", u.body)
		}
		s.do("PUT", "/Patient?_id=nobody", patient(nil)).expect(t, 201)
		s.do("PUT", "/Patient/second", patient(map[string]any{"id": "second"})).expect(t, 201)
		s.do("PUT", "/Patient?_id=known,second", patient(nil)).expect(t, 412)
		s.do("DELETE", "/Patient?_id=known,second", nil).expect(t, 412)
		// Conditional delete.
		s.do("DELETE", "/Patient?_id=known", nil).expect(t, 204)
		s.do("GET", "/Patient/known", nil).expect(t, 410)
		s.do("DELETE", "/Patient?_id=known", nil).expect(t, 204)
	})
}

func TestPreferReturn(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		r := s.do("POST", "/Patient", patient(nil), "Prefer", "return=minimal").expect(t, 201)
		if len(r.body) != 0 || r.header.Get("Location") == "" {
			t.Fatalf("minimal: body %q, location %q", r.body, r.header.Get("Location"))
		}
		o := s.do("POST", "/Patient", patient(nil), "Prefer", "return=OperationOutcome").expect(t, 201)
		if str(o.json, "resourceType") != "OperationOutcome" {
			t.Fatalf("OperationOutcome: %s", o.body)
		}
		full := s.do("POST", "/Patient", patient(nil), "Prefer", "return=representation").expect(t, 201)
		if str(full.json, "resourceType") != "Patient" {
			t.Fatalf("representation: %s", full.body)
		}
	})
}

func TestContentNegotiation(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		body := `{"resourceType":"Patient","gender":"female"}`
		s.do("POST", "/Patient", body, "Content-Type", "text/plain;charset=UTF-8").expect(t, 201)
		s.do("POST", "/Patient", body, "Content-Type", "application/json").expect(t, 201)
		s.do("POST", "/Patient", `<Patient xmlns="http://hl7.org/fhir"/>`, "Content-Type", "application/fhir+xml").expect(t, 415).outcome(t, "")
		s.do("GET", "/metadata", nil, "Accept", "application/fhir+xml").expect(t, 415).outcome(t, "")
		s.do("GET", "/metadata?_format=xml", nil).expect(t, 415).outcome(t, "")
		s.do("GET", "/metadata?_format=json", nil).expect(t, 200)
		pretty := s.do("GET", "/metadata?_pretty=true", nil).expect(t, 200)
		if !strings.Contains(string(pretty.body), "\n  ") {
			t.Fatal("_pretty=true should indent")
		}
		big := `{"resourceType":"Patient","name":[{"text":"` + strings.Repeat("x", 70<<10) + `"}]}`
		s.do("POST", "/Patient", big).expect(t, http.StatusRequestEntityTooLarge).outcome(t, "")
		s.do("DELETE", "/metadata", nil).expect(t, http.StatusMethodNotAllowed)
	})
}

func TestCapabilityStatement(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		r := s.do("GET", "/metadata", nil).expect(t, 200)
		if str(r.json, "resourceType") != "CapabilityStatement" || str(r.json, "fhirVersion") != "4.0.1" {
			t.Fatalf("metadata: %.300s", r.body)
		}
		rest := r.json["rest"].([]any)[0].(map[string]any)
		res := rest["resource"].([]any)
		if len(res) < 140 {
			t.Fatalf("only %d resource types", len(res))
		}
		if !strings.Contains(string(r.body), `"patchFormat":["application/json-patch+json"]`) {
			t.Fatal("patchFormat missing")
		}
	})
}

func TestHistoryPagingAndSince(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		for i := 0; i < 5; i++ {
			s.do("POST", "/Observation", map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "bp"}}).expect(t, 201)
		}
		first := s.do("GET", "/Observation/_history?_count=2", nil).expect(t, 200)
		seen := map[string]bool{}
		next := first
		pages := 0
		for {
			pages++
			for _, e := range entries(next.json) {
				seen[str(e, "fullUrl")] = true
			}
			// A write between pages must not disturb the snapshot.
			s.do("POST", "/Observation", map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "late"}}).expect(t, 201)
			link := ""
			for _, l := range next.json["link"].([]any) {
				if str(l, "relation") == "next" {
					link = str(l, "url")
				}
			}
			if link == "" {
				break
			}
			next = s.do("GET", strings.TrimPrefix(link, s.url), nil).expect(t, 200)
		}
		if len(seen) != 5 || pages != 3 {
			t.Fatalf("paged %d pages, %d distinct entries, want 3 pages and 5 entries", pages, len(seen))
		}
		s.do("GET", "/_history?_since=2999-01-01T00:00:00Z", nil).expect(t, 200)
		if n := len(entries(s.do("GET", "/_history?_since=2999-01-01T00:00:00Z", nil).json)); n != 0 {
			t.Fatalf("_since in the future returned %d", n)
		}
		s.do("GET", "/_history?_since=yesterday", nil).expect(t, 400).outcome(t, "")
		s.do("GET", "/Observation/nope/_history", nil).expect(t, 404)

		// Instance history: total, and _offset as @oystehr/sdk sends it
		// (a _count padded with spaces).
		s.do("PUT", "/Patient/h1", map[string]any{"resourceType": "Patient", "id": "h1"}).expect(t, 201)
		for i := 0; i < 4; i++ {
			s.do("PUT", "/Patient/h1", map[string]any{"resourceType": "Patient", "id": "h1", "gender": []string{"male", "female"}[i%2]}).expect(t, 200)
		}
		h := s.do("GET", "/Patient/h1/_history?_total=accurate&_count=2%20%20&_offset=2", nil).expect(t, 200)
		var versions []string
		for _, e := range entries(h.json) {
			versions = append(versions, str(e["resource"], "meta", "versionId"))
		}
		if h.json["total"] != float64(5) || strings.Join(versions, ",") != "3,2" {
			t.Fatalf("history with _offset: total %v, versions %v; want 5 and 3,2", h.json["total"], versions)
		}
		for _, l := range h.json["link"].([]any) {
			if str(l, "relation") == "next" && strings.Contains(str(l, "url"), "_offset") {
				t.Fatalf("next link repeats _offset: %s", str(l, "url"))
			}
		}
		s.do("GET", "/Patient/_history?_offset=2", nil).expect(t, 400).outcome(t, "")
		s.do("GET", "/Patient/h1/_history?_offset=-1", nil).expect(t, 400).outcome(t, "")
	})
}

func binaryPatch(p string) map[string]any {
	return map[string]any{"resourceType": "Binary", "contentType": "application/json-patch+json", "data": base64.StdEncoding.EncodeToString([]byte(p))}
}
