package rest_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// ids returns the ids of the entries with the given search mode.
func ids(b map[string]any, mode string) []string {
	var out []string
	for _, e := range entries(b) {
		if str(e, "search", "mode") == mode {
			out = append(out, str(e, "resource", "id"))
		}
	}
	slices.Sort(out)
	return out
}

func link(b map[string]any, rel string) string {
	links, _ := b["link"].([]any)
	for _, l := range links {
		if str(l, "relation") == rel {
			return str(l, "url")
		}
	}
	return ""
}

// seedClinic stores a small, linked data set.
func seedClinic(t *testing.T, s *server) {
	t.Helper()
	put := func(res map[string]any) {
		t.Helper()
		s.do("PUT", "/"+res["resourceType"].(string)+"/"+res["id"].(string), res).expect(t, 201)
	}
	put(map[string]any{"resourceType": "Organization", "id": "org1", "name": "Riverside Clinic"})
	put(map[string]any{"resourceType": "Practitioner", "id": "dr1", "name": []any{map[string]any{"family": "Rivera", "given": []any{"Ana"}}}})
	put(map[string]any{"resourceType": "Patient", "id": "p1", "name": []any{map[string]any{"family": "Zoë", "given": []any{"Ada"}}}, "gender": "female", "birthDate": "1980-05-01",
		"identifier": []any{map[string]any{"system": "urn:mrn", "value": "MRN-1"}}, "managingOrganization": map[string]any{"reference": "Organization/org1"}})
	put(map[string]any{"resourceType": "Patient", "id": "p2", "name": []any{map[string]any{"family": "Zoeller", "given": []any{"Ben"}}}, "gender": "male", "birthDate": "1975",
		"identifier": []any{map[string]any{"system": "urn:mrn", "value": "MRN-2"}}})
	put(map[string]any{"resourceType": "Patient", "id": "p3", "name": []any{map[string]any{"family": "Smith"}}, "gender": "male"})
	enc := func(id, patient, start string) map[string]any {
		return map[string]any{"resourceType": "Encounter", "id": id, "status": "finished",
			"class":   map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
			"subject": map[string]any{"reference": "Patient/" + patient}, "period": map[string]any{"start": start, "end": start[:11] + "23:59:00" + start[19:]},
			"participant": []any{map[string]any{"individual": map[string]any{"reference": "Practitioner/dr1"}}}}
	}
	put(enc("e1", "p1", "2024-01-10T09:00:00Z"))
	put(enc("e2", "p1", "2024-03-05T14:00:00+02:00"))
	put(enc("e3", "p2", "2023-12-31T23:30:00-05:00"))
	cond := func(id, patient, code, encounter string) map[string]any {
		return map[string]any{"resourceType": "Condition", "id": id,
			"clinicalStatus": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}}},
			"code":           map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": code}}, "text": "Condition " + code},
			"subject":        map[string]any{"reference": "Patient/" + patient}, "encounter": map[string]any{"reference": "Encounter/" + encounter}}
	}
	put(cond("c1", "p1", "38341003", "e1"))
	put(cond("c2", "p2", "44054006", "e3"))
}

func TestSearchParameterTypes(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		seedClinic(t, s)
		cases := []struct {
			query string
			want  []string
		}{
			{"Patient?name=zoe", []string{"p1", "p2"}},
			{"Patient?family:exact=Zoë", []string{"p1"}},
			{"Patient?name:contains=oell", []string{"p2"}},
			{"Patient?gender=male", []string{"p2", "p3"}},
			{"Patient?gender:not=male", []string{"p1"}},
			{"Patient?identifier=urn:mrn|MRN-2", []string{"p2"}},
			{"Patient?identifier=MRN-1,MRN-2", []string{"p1", "p2"}},
			{"Patient?birthdate=1980", []string{"p1"}},
			{"Patient?birthdate=lt1978", []string{"p2"}},
			{"Patient?birthdate:missing=true", []string{"p3"}},
			{"Patient?organization=Organization/org1", []string{"p1"}},
			{"Patient?gender=male&name=zoe", []string{"p2"}},
			{"Encounter?date=2024-03-05", []string{"e2"}},
			{"Encounter?date=ge2024-01-01", []string{"e1", "e2", "e3"}}, // e3 is 2024-01-01T04:30Z
			{"Encounter?subject=Patient/p1", []string{"e1", "e2"}},
			{"Encounter?subject:Patient=p2", []string{"e3"}},
			{"Encounter?patient.name=zoeller", []string{"e3"}},
			{"Encounter?subject.name=zoeller", []string{"e3"}}, // Group has no name: only Patient subjects are searched
			{"Encounter?subject.gender=male", []string{"e3"}},
			{"Encounter?date=20xx", nil},
			{"Encounter?subject:Patient.organization.name=riverside", []string{"e1", "e2"}},
			{"Patient?_has:Condition:patient:code=38341003", []string{"p1"}},
			{"Condition?code=http://snomed.info/sct|44054006", []string{"c2"}},
			{"Condition?code:text=condition", []string{"c1", "c2"}},
			{"Patient?_id=p1,p3", []string{"p1", "p3"}},
		}
		for _, c := range cases {
			t.Run(c.query, func(t *testing.T) {
				typ, q, _ := strings.Cut(c.query, "?")
				if c.want == nil {
					s.do("GET", "/"+typ+"?"+escapeQuery(q), nil).expect(t, http.StatusBadRequest).outcome(t, "")
					return
				}
				r := s.do("GET", "/"+typ+"?"+escapeQuery(q), nil).expect(t, http.StatusOK)
				if got := ids(r.json, "match"); !slices.Equal(got, c.want) {
					t.Fatalf("got %v, want %v\n%s", got, c.want, r.body)
				}
			})
		}
	})
}

// escapeQuery encodes the values of a readable query string.
func escapeQuery(q string) string {
	var parts []string
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		parts = append(parts, k+"="+url.QueryEscape(v))
	}
	return strings.Join(parts, "&")
}

func TestSearchResultParameters(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		seedClinic(t, s)
		// _include / _revinclude
		r := s.do("GET", "/Condition?subject=Patient/p1&_include=Condition:encounter&_include=Condition:subject", nil).expect(t, 200)
		if got := ids(r.json, "include"); !slices.Equal(got, []string{"e1", "p1"}) {
			t.Fatalf("_include: %v\n%s", got, r.body)
		}
		r = s.do("GET", "/Patient?_id=p1&_revinclude=Encounter:subject", nil).expect(t, 200)
		if got := ids(r.json, "include"); !slices.Equal(got, []string{"e1", "e2"}) {
			t.Fatalf("_revinclude: %v", got)
		}
		// _sort and paging forwards and backwards, with a write between pages.
		first := s.do("GET", "/Encounter?_sort=-date&_count=2&_total=accurate", nil).expect(t, 200)
		if str(first.json, "total") != "3" {
			t.Fatalf("_total: %s", first.body)
		}
		var order []string
		for _, e := range entries(first.json) {
			order = append(order, str(e, "resource", "id"))
		}
		if !slices.Equal(order, []string{"e2", "e1"}) {
			t.Fatalf("sorted page 1: %v", order)
		}
		s.do("PUT", "/Encounter/e0", map[string]any{"resourceType": "Encounter", "id": "e0", "status": "planned",
			"class":  map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
			"period": map[string]any{"start": "2025-01-01"}}).expect(t, 201)
		next := link(first.json, "next")
		if next == "" {
			t.Fatalf("no next link: %s", first.body)
		}
		second := s.do("GET", strings.TrimPrefix(next, s.url), nil).expect(t, 200)
		if got := ids(second.json, "match"); !slices.Equal(got, []string{"e3"}) {
			t.Fatalf("page 2: %v", got)
		}
		prev := link(second.json, "previous")
		if prev == "" {
			t.Fatalf("no previous link: %s", second.body)
		}
		back := s.do("GET", strings.TrimPrefix(prev, s.url), nil).expect(t, 200)
		if got := ids(back.json, "match"); !slices.Equal(got, []string{"e1", "e2"}) {
			t.Fatalf("previous page: %v", got)
		}
		// _summary and _elements
		cnt := s.do("GET", "/Patient?_summary=count", nil).expect(t, 200)
		if str(cnt.json, "total") != "3" || len(entries(cnt.json)) != 0 {
			t.Fatalf("_summary=count: %s", cnt.body)
		}
		el := s.do("GET", "/Patient?_id=p1&_elements=gender", nil).expect(t, 200)
		res := entries(el.json)[0]["resource"].(map[string]any)
		if _, ok := res["name"]; ok || res["gender"] != "female" || !strings.Contains(string(el.body), "SUBSETTED") {
			t.Fatalf("_elements: %s", el.body)
		}
		sum := s.do("GET", "/Patient?_id=p1&_summary=true", nil).expect(t, 200)
		res = entries(sum.json)[0]["resource"].(map[string]any)
		if _, ok := res["name"]; !ok {
			t.Fatalf("_summary=true keeps name: %s", sum.body)
		}
		// Errors and lenient handling.
		s.do("GET", "/Patient?birthdate=1980-13", nil).expect(t, 400).outcome(t, "")
		s.do("GET", "/Encounter?date=xx2024", nil).expect(t, 400).outcome(t, "")
		s.do("GET", "/Patient?name:bogus=x", nil).expect(t, 400).outcome(t, "")
		w := s.do("GET", "/Patient?_id=p1&madeup=1", nil).expect(t, 200)
		if len(ids(w.json, "match")) != 1 || !strings.Contains(string(w.body), `"outcome"`) {
			t.Fatalf("unknown parameter should be ignored with a warning: %s", w.body)
		}
		s.do("GET", "/Patient?madeup=1", nil, "Prefer", "handling=strict").expect(t, 400).outcome(t, "")
		bad := s.do("GET", "/Patient?gender=male&_cursor=bm90LWEtY3Vyc29y", nil).expect(t, 400)
		if !strings.Contains(bad.outcome(t, ""), "cursor") {
			t.Fatalf("a forged cursor should be named: %s", bad.body)
		}
		post := s.do("POST", "/Patient/_search", "gender=male&_sort=_id", "Content-Type", "application/x-www-form-urlencoded").expect(t, 200)
		if got := ids(post.json, "match"); !slices.Equal(got, []string{"p2", "p3"}) {
			t.Fatalf("_search: %v", got)
		}
	})
}

func TestCompartmentAndEverything(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		seedClinic(t, s)
		r := s.do("GET", "/Patient/p1/Encounter", nil).expect(t, 200)
		if got := ids(r.json, "match"); !slices.Equal(got, []string{"e1", "e2"}) {
			t.Fatalf("compartment: %v", got)
		}
		r = s.do("GET", "/Patient/p1/Condition?code=38341003", nil).expect(t, 200)
		if got := ids(r.json, "match"); !slices.Equal(got, []string{"c1"}) {
			t.Fatalf("compartment with criteria: %v", got)
		}
		s.do("GET", "/Patient/nobody/Encounter", nil).expect(t, 404)
		s.do("GET", "/Patient/p1/Organization", nil).expect(t, 404)
		ev := s.do("GET", "/Patient/p1/$everything", nil).expect(t, 200)
		if got := ids(ev.json, "match"); !slices.Equal(got, []string{"c1", "e1", "e2", "p1"}) {
			t.Fatalf("$everything: %v", got)
		}
		ev = s.do("GET", "/Patient/p1/$everything?_type=Condition", nil).expect(t, 200)
		if got := ids(ev.json, "match"); !slices.Equal(got, []string{"c1"}) {
			t.Fatalf("$everything _type: %v", got)
		}
		// Paged one resource at a time, the pages hold everything exactly once.
		var paged []string
		page := s.do("GET", "/Patient/p1/$everything?_count=1", nil).expect(t, 200)
		for n := 0; ; n++ {
			if n > 10 {
				t.Fatal("$everything paging does not end")
			}
			paged = append(paged, ids(page.json, "match")...)
			next := link(page.json, "next")
			if next == "" {
				break
			}
			page = s.do("GET", strings.TrimPrefix(next, s.url), nil).expect(t, 200)
		}
		slices.Sort(paged)
		if !slices.Equal(paged, []string{"c1", "e1", "e2", "p1"}) {
			t.Fatalf("$everything pages: %v", paged)
		}
	})
}

func TestConditionalWithSearch(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		seedClinic(t, s)
		r := s.do("POST", "/Patient", map[string]any{"resourceType": "Patient", "identifier": []any{map[string]any{"system": "urn:mrn", "value": "MRN-1"}}},
			"If-None-Exist", "identifier=urn:mrn|MRN-1").expect(t, 200)
		if str(r.json, "id") != "p1" {
			t.Fatalf("If-None-Exist by identifier: %s", r.body)
		}
		s.do("PUT", "/Patient?gender=male", map[string]any{"resourceType": "Patient"}).expect(t, 412)
		u := s.do("PUT", "/Patient?identifier=urn:mrn|MRN-2", map[string]any{"resourceType": "Patient", "gender": "other"}).expect(t, 200)
		if str(u.json, "id") != "p2" {
			t.Fatalf("conditional update: %s", u.body)
		}
		// Index entries follow updates: p2 is no longer male.
		g := s.do("GET", "/Patient?gender=male", nil).expect(t, 200)
		if got := ids(g.json, "match"); !slices.Equal(got, []string{"p3"}) {
			t.Fatalf("index after update: %v", got)
		}
		s.do("DELETE", "/Patient?identifier=urn:mrn|MRN-2", nil).expect(t, 204)
		if got := ids(s.do("GET", "/Patient?identifier=MRN-2", nil).json, "match"); len(got) != 0 {
			t.Fatalf("index after delete: %v", got)
		}
		// Transactions resolve conditional references through search.
		tx := bundle("transaction", entry("POST", "Encounter", map[string]any{"resourceType": "Encounter", "status": "planned",
			"class":   map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
			"subject": map[string]any{"reference": "Patient?identifier=urn:mrn|MRN-1"}}))
		tr := s.do("POST", "", tx).expect(t, 200)
		if got := str(entries(tr.json)[0]["resource"], "subject", "reference"); got != "Patient/p1" {
			t.Fatalf("conditional reference: %q", got)
		}
		s.do("POST", "/Patient", map[string]any{"resourceType": "Patient"}, "If-None-Exist", "madeup=1").expect(t, 400)
	})
}
