package search

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/fhir"
)

// qDescribe renders a clause tree compactly, so chain and _has tests can
// compare whole shapes: "subject[type=Patient]->Patient{name=[Smith]}".
func qDescribe(c *Clause) string {
	var b strings.Builder
	qDescribeTo(&b, c)
	return b.String()
}

func qDescribeTo(b *strings.Builder, c *Clause) {
	switch {
	case c.Has != nil:
		fmt.Fprintf(b, "has(%s.%s)->", c.Has.Type, c.Has.Param.Code)
		qDescribeTo(b, c.Has.Next)
		return
	}
	b.WriteString(c.Param.Code)
	if c.Modifier != ModifierNone {
		if c.Modifier == ModifierType {
			fmt.Fprintf(b, "[type=%s]", c.TargetType)
		} else {
			fmt.Fprintf(b, "[%s]", c.Modifier)
		}
	}
	if len(c.Chain) > 0 {
		b.WriteString("->")
		for i, h := range c.Chain {
			if i > 0 {
				b.WriteString("|")
			}
			fmt.Fprintf(b, "%s{", h.Type)
			if h.Next.Type != h.Type {
				fmt.Fprintf(b, "WRONG TYPE %s", h.Next.Type)
			}
			qDescribeTo(b, h.Next)
			b.WriteString("}")
		}
		return
	}
	raws := make([]string, len(c.Values))
	for i, v := range c.Values {
		raws[i] = v.Raw
	}
	fmt.Fprintf(b, "=[%s]", strings.Join(raws, ","))
}

func TestParseQueryChains(t *testing.T) {
	tests := []struct {
		typ, query string
		want       string
	}{
		// one hop, typed
		{"Observation", "subject:Patient.name=Smith", "subject[type=Patient]->Patient{name=[Smith]}"},
		// one hop, single target needs no qualifier
		{"Encounter", "service-provider.name=Acme", "service-provider->Organization{name=[Acme]}"},
		// one hop, several targets that all define the parameter
		{"Patient", "link.name=Ann", "link->Patient{name=[Ann]}|RelatedPerson{name=[Ann]}"},
		{"Observation", "subject:Patient.link.name=x", "subject[type=Patient]->Patient{link->Patient{name=[x]}|RelatedPerson{name=[x]}}"},
		// two hops
		{"Observation", "subject:Patient.organization.name=Acme",
			"subject[type=Patient]->Patient{organization->Organization{name=[Acme]}}"},
		{"Encounter", "service-provider.partof.name=Acme", "service-provider->Organization{partof->Organization{name=[Acme]}}"},
		{"Observation", "encounter:Encounter.service-provider:Organization.name=Acme",
			"encounter[type=Encounter]->Encounter{service-provider[type=Organization]->Organization{name=[Acme]}}"},
		// modifiers and OR lists at the end of a chain
		{"Observation", "subject:Patient.name:exact=Smith,Jones", "subject[type=Patient]->Patient{name[exact]=[Smith,Jones]}"},
		{"Observation", "subject:Patient.birthdate=ge2000", "subject[type=Patient]->Patient{birthdate=[2000]}"},
		{"Observation", "subject:Patient.gender:missing=true", "subject[type=Patient]->Patient{gender[missing]=[true]}"},
		{"Observation", "subject:Patient.organization:Organization.name=a", "subject[type=Patient]->Patient{organization[type=Organization]->Organization{name=[a]}}"},
		{"Observation", "subject:Patient.general-practitioner:Practitioner.identifier=http://npi|1",
			"subject[type=Patient]->Patient{general-practitioner[type=Practitioner]->Practitioner{identifier=[http://npi|1]}}"},
		// chain into a reference value, and into _id
		{"Observation", "subject:Patient.organization=Organization/1", "subject[type=Patient]->Patient{organization=[Organization/1]}"},
		{"Observation", "subject:Patient._id=p1", "subject[type=Patient]->Patient{_id=[p1]}"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q := qParseOK(t, tt.typ, tt.query)
			c := qOnly(t, q)
			if got := qDescribe(c); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if c.Name != strings.SplitN(tt.query, "=", 2)[0] {
				t.Errorf("Name %q", c.Name)
			}
			if len(c.Chain) > 0 && c.Values != nil {
				t.Errorf("chained clause carries values")
			}
		})
	}
	// The innermost values are typed by the innermost parameter.
	q := qParseOK(t, "Observation", "subject:Patient.birthdate=ge2000")
	v := q.Clauses[0].Chain[0].Next.Values[0]
	if v.Prefix != PrefixGe || v.DateLo != qMicros("2000-01-01T00:00:00Z") || q.Clauses[0].Chain[0].Next.Param.Type != "date" {
		t.Errorf("innermost value %+v", v)
	}
}

func TestParseQueryHas(t *testing.T) {
	tests := []struct {
		typ, query string
		want       string
	}{
		{"Patient", "_has:Observation:patient:code=1234-5", "has(Observation.patient)->code=[1234-5]"},
		{"Patient", "_has:Observation:subject:code=http://loinc.org|1234-5,x", "has(Observation.subject)->code=[http://loinc.org|1234-5,x]"},
		{"Patient", "_has:Observation:patient:date=ge2024", "has(Observation.patient)->date=[2024]"},
		{"Patient", "_has:Observation:patient:code:not=x", "has(Observation.patient)->code[not]=[x]"},
		// nested
		{"Patient", "_has:Observation:patient:_has:AuditEvent:entity:agent=Practitioner/1",
			"has(Observation.patient)->has(AuditEvent.entity)->agent=[Practitioner/1]"},
		// _has ending in a chain
		{"Patient", "_has:Observation:patient:performer:Practitioner.name=Who",
			"has(Observation.patient)->performer[type=Practitioner]->Practitioner{name=[Who]}"},
		// a chain ending in _has
		{"Observation", "subject:Patient._has:Condition:patient:code=x",
			"subject[type=Patient]->Patient{has(Condition.patient)->code=[x]}"},
		// targets without restriction (Provenance.target may point anywhere)
		{"Encounter", "_has:Provenance:target:agent=Practitioner/1", "has(Provenance.target)->agent=[Practitioner/1]"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q := qParseOK(t, tt.typ, tt.query)
			c := qOnly(t, q)
			if got := qDescribe(c); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if c.Has != nil && (c.Type != tt.typ || c.Has.Next.Type != c.Has.Type || c.Values != nil) {
				t.Errorf("types: outer %s has %s next %s", c.Type, c.Has.Type, c.Has.Next.Type)
			}
		})
	}
}

func TestParseQueryResultParams(t *testing.T) {
	opts := ParseOptions{DefaultCount: 20, MaxCount: 100}
	parse := func(t *testing.T, typ, raw string) *Query {
		t.Helper()
		q, unsup, err := ParseQuery(typ, qMustValues(t, raw), opts)
		if err != nil || len(unsup) > 0 {
			t.Fatalf("%s: %v %v", raw, err, unsup)
		}
		return q
	}
	t.Run("count", func(t *testing.T) {
		for raw, want := range map[string]int{"": 20, "_count=5": 5, "_count=%205%20": 5, "_count=0": 0, "_count=1000": 100, "_count=100": 100, "_count=": 20} {
			if got := parse(t, "Patient", raw).Count; got != want {
				t.Errorf("%q: Count %d, want %d", raw, got, want)
			}
		}
		q, _, _ := ParseQuery("Patient", nil, ParseOptions{})
		if q.Count != -1 {
			t.Errorf("no default: Count %d, want -1", q.Count)
		}
		q, _, _ = ParseQuery("Patient", qMustValues(t, "_count=100000"), ParseOptions{})
		if q.Count != 100000 {
			t.Errorf("no cap: Count %d", q.Count)
		}
	})
	t.Run("sort", func(t *testing.T) {
		q := parse(t, "Patient", "_sort=family,-birthdate,_id,-_lastUpdated")
		var got []string
		for _, k := range q.Sort {
			s := k.Param.Code
			if k.Descending {
				s = "-" + s
			}
			got = append(got, s)
		}
		if strings.Join(got, ",") != "family,-birthdate,_id,-_lastUpdated" {
			t.Errorf("sort %v", got)
		}
		if q.Sort[1].Param.Type != "date" {
			t.Errorf("sort param not resolved: %+v", q.Sort[1].Param)
		}
		if q := parse(t, "Observation", "_sort=code,-value-quantity,subject"); len(q.Sort) != 3 {
			t.Errorf("observation sort %v", q.Sort)
		}
	})
	t.Run("total and summary", func(t *testing.T) {
		for _, s := range []Total{TotalNone, TotalEstimate, TotalAccurate} {
			if q := parse(t, "Patient", "_total="+string(s)); q.Total != s {
				t.Errorf("total %q", q.Total)
			}
		}
		for _, s := range []Summary{SummaryTrue, SummaryFalse, SummaryText, SummaryData, SummaryCount} {
			if q := parse(t, "Patient", "_summary="+string(s)); q.Summary != s {
				t.Errorf("summary %q", q.Summary)
			}
		}
		if q := parse(t, "Patient", "name=x"); q.Total != "" || q.Summary != "" || q.Sort != nil || q.Elements != nil {
			t.Errorf("defaults %+v", q)
		}
		// The same value repeated is not a conflict.
		if q := parse(t, "Patient", "_summary=count&_summary=count"); q.Summary != SummaryCount {
			t.Errorf("repeated summary %q", q.Summary)
		}
	})
	t.Run("elements", func(t *testing.T) {
		q := parse(t, "Patient", "_elements=name,%20birthDate,identifier,Patient.gender,name,deceased,deceasedBoolean,id,meta,extension")
		want := "name,birthDate,identifier,gender,deceased,deceasedBoolean,id,meta,extension"
		if got := strings.Join(q.Elements, ","); got != want {
			t.Errorf("elements %s, want %s", got, want)
		}
		q = parse(t, "Observation", "_elements=value,valueQuantity,component,status")
		if len(q.Elements) != 4 {
			t.Errorf("observation elements %v", q.Elements)
		}
	})
	t.Run("include", func(t *testing.T) {
		q := parse(t, "Observation", "_include=Observation:subject&_include=Observation:subject:Patient&_include:iterate=Patient:general-practitioner&_include=*&_include:recurse=Patient:*&_revinclude=Provenance:target&_revinclude:iterate=Observation:has-member")
		want := []string{
			"Observation:subject", "Observation:subject:Patient", "Observation:*",
			"iterate Patient:general-practitioner", "iterate Patient:*",
		}
		if got := qIncludes(q.Include); strings.Join(got, ";") != strings.Join(want, ";") {
			t.Errorf("include %q\nwant    %q", got, want)
		}
		wantRev := []string{"Provenance:target", "iterate Observation:has-member"}
		if got := qIncludes(q.RevInclude); strings.Join(got, ";") != strings.Join(wantRev, ";") {
			t.Errorf("revinclude %q, want %q", got, wantRev)
		}
		if q.Include[0].Param.Type != "reference" || q.RevInclude[0].Param.Code != "target" {
			t.Errorf("params not resolved: %+v", q.Include[0])
		}
		q = parse(t, "Patient", "_revinclude=Observation:subject:Patient&_revinclude=Encounter:patient")
		if got := qIncludes(q.RevInclude); strings.Join(got, ";") != "Observation:subject:Patient;Encounter:patient" {
			t.Errorf("revinclude %q", got)
		}
	})
}

func qIncludes(list []Include) []string {
	var out []string
	for _, inc := range list {
		s := inc.Source + ":"
		if inc.Wildcard {
			s += "*"
		} else {
			s += inc.Param.Code
		}
		if inc.TargetType != "" {
			s += ":" + inc.TargetType
		}
		if inc.Iterate {
			s = "iterate " + s
		}
		out = append(out, s)
	}
	return out
}

// A chain through a reference with several target types searches the
// targets that define the chained parameter.
func TestChainSkipsTargetsWithoutTheParameter(t *testing.T) {
	q, unsupported, err := ParseQuery("Observation", url.Values{"subject.name": {"x"}}, ParseOptions{})
	if err != nil || len(unsupported) > 0 {
		t.Fatalf("err %v, unsupported %v", err, unsupported)
	}
	c := q.Clauses[0]
	var types []string
	for _, h := range c.Chain {
		types = append(types, h.Type)
		if h.Next.Param.Code != "name" {
			t.Errorf("hop %s: next param %q", h.Type, h.Next.Param.Code)
		}
	}
	if !slices.Contains(types, "Patient") {
		t.Fatalf("chain targets %v", types)
	}
	for _, typ := range types {
		if !hasName(typ) {
			t.Errorf("%s has no name parameter but is a chain target", typ)
		}
	}
}

func hasName(typ string) bool {
	_, ok := fhir.LookupSearchParam(typ, "name")
	return ok
}
