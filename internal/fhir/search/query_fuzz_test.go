package search

import (
	"errors"
	"net/url"
	"testing"

	"github.com/housecall/housecall/internal/fhir"
)

// FuzzParseQuery checks that no query string makes ParseQuery panic and that
// its results keep their documented shape. Seeds live in
// testdata/fuzz/FuzzParseQuery as well as below.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []struct{ typ, raw string }{
		{"Patient", "name=Smith&birthdate=ge2000-01&_sort=-birthdate&_count=10"},
		{"Observation", `code-value-quantity=http://loinc.org|8480-6$gt100||mm[Hg]`},
		{"Observation", "subject:Patient.organization.name=Acme&_include=Observation:subject"},
		{"Patient", "_has:Observation:patient:_has:AuditEvent:entity:agent=Practitioner/1"},
		{"Observation", `value-quantity=le5.4|http://unitsofmeasure.org|mg,ap1e2`},
		{"Patient", `family=a\,b\\,c&identifier:of-type=s|MR|1&_elements=name,id`},
		{"Encounter", "date=2024-03-10T10:15:30.123456789%2B02:00&_total=accurate&_summary=count"},
		{"RiskAssessment", "probability=gt-1.5e-3"},
		{"Patient", "_revinclude:iterate=Provenance:target&_contained=true&_text=x"},
	} {
		f.Add(s.typ, s.raw)
	}
	opts := ParseOptions{DefaultCount: 20, MaxCount: 100, BaseURL: "https://h.example/fhir/r4"}
	f.Fuzz(func(t *testing.T, typ, raw string) {
		if !fhir.IsResourceType(typ) {
			typ = "Observation"
		}
		vals, _ := url.ParseQuery(raw) // keeps what parsed even on error
		q, unsup, err := ParseQuery(typ, vals, opts)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Code == "" || qe.Msg == "" || q != nil {
				t.Fatalf("bad error %#v (query %v)", err, q != nil)
			}
			return
		}
		if q == nil {
			t.Fatal("nil query without error")
		}
		for _, u := range unsup {
			if !u.ignorable || u.Code != "not-supported" || u.Param == "" {
				t.Fatalf("bad unsupported entry %#v", u)
			}
		}
		if q.Count > opts.MaxCount {
			t.Fatalf("count %d above the cap", q.Count)
		}
		for _, c := range q.Clauses {
			qCheckClause(t, c, 0)
		}
	})
}

func qCheckClause(t *testing.T, c *Clause, depth int) {
	if depth > 10 {
		t.Fatal("clause tree too deep")
	}
	set := 0
	if c.Values != nil {
		set++
	}
	if c.Chain != nil {
		set++
	}
	if c.Has != nil {
		set++
	}
	if set != 1 {
		t.Fatalf("clause %s has %d of Values/Chain/Has", c.Name, set)
	}
	for _, h := range c.Chain {
		if h.Next == nil || h.Next.Type != h.Type {
			t.Fatalf("chain hop %s malformed", h.Type)
		}
		qCheckClause(t, h.Next, depth+1)
	}
	if c.Has != nil {
		if c.Has.Next == nil || c.Has.Param.Type != "reference" {
			t.Fatalf("_has malformed in %s", c.Name)
		}
		qCheckClause(t, c.Has.Next, depth+1)
	}
	for _, v := range c.Values {
		if v.DateLo > v.DateHi || v.NumberLo > v.NumberHi {
			t.Fatalf("%s: empty range in %+v", c.Name, v)
		}
	}
}

func BenchmarkParseQuery(b *testing.B) {
	vals, err := url.ParseQuery("subject:Patient.name=Smith,Jones&date=ge2024-01-01T00:00:00Z&code=http://loinc.org|8480-6" +
		"&value-quantity=lt100||mm[Hg]&_has:Provenance:target:agent=Practitioner/1&_sort=-date&_count=50&_include=Observation:subject")
	if err != nil {
		b.Fatal(err)
	}
	opts := ParseOptions{DefaultCount: 20, MaxCount: 100}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseQuery("Observation", vals, opts); err != nil {
			b.Fatal(err)
		}
	}
}
