package search

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir"
)

// qMustValues parses a raw query string exactly as net/http would.
func qMustValues(t testing.TB, raw string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("bad test query %q: %v", raw, err)
	}
	return v
}

func qParseOK(t *testing.T, typ, raw string) *Query {
	t.Helper()
	q, unsup, err := ParseQuery(typ, qMustValues(t, raw), ParseOptions{DefaultCount: 20, MaxCount: 100})
	if err != nil {
		t.Fatalf("%s?%s: %v", typ, raw, err)
	}
	if len(unsup) > 0 {
		t.Fatalf("%s?%s: unexpected unsupported %v", typ, raw, unsup[0])
	}
	return q
}

// qOnly returns the single clause of q.
func qOnly(t *testing.T, q *Query) *Clause {
	t.Helper()
	if len(q.Clauses) != 1 {
		t.Fatalf("got %d clauses, want 1", len(q.Clauses))
	}
	return q.Clauses[0]
}

func qMicros(s string) int64 {
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return tm.UnixMicro()
}

func TestParseQueryValues(t *testing.T) {
	y2024lo, y2024hi := qMicros("2024-01-01T00:00:00Z"), qMicros("2024-12-31T23:59:59.999999Z")
	tests := []struct {
		name  string
		typ   string
		query string
		mod   Modifier
		want  []Value
	}{
		// string
		{"string default", "Patient", "family=Smith", "", []Value{{Raw: "Smith"}}},
		{"string exact", "Patient", "family:exact=Smith", ModifierExact, []Value{{Raw: "Smith"}}},
		{"string contains", "Patient", "name:contains=mit", ModifierContains, []Value{{Raw: "mit"}}},
		{"string or", "Patient", "given=Ann,Bob", "", []Value{{Raw: "Ann"}, {Raw: "Bob"}}},
		{"string escaped comma", "Patient", `family=Smith\,Jones`, "", []Value{{Raw: "Smith,Jones"}}},
		{"string escaped backslash then comma", "Patient", `family=a\\,b`, "", []Value{{Raw: `a\`}, {Raw: "b"}}},
		{"string escaped dollar and pipe", "Patient", `family=a\$b\|c`, "", []Value{{Raw: "a$b|c"}}},
		{"string unknown escape kept", "Patient", `family=a\nb`, "", []Value{{Raw: `a\nb`}}},
		{"string unicode", "Patient", "family=Zo%C3%AB", "", []Value{{Raw: "Zoë"}}},
		{"missing true", "Patient", "birthdate:missing=true", ModifierMissing, []Value{{Raw: "true", Missing: true}}},
		{"missing false", "Patient", "gender:missing=false", ModifierMissing, []Value{{Raw: "false"}}},
		// token
		{"token code", "Observation", "code=1234-5", "", []Value{{Raw: "1234-5", Code: "1234-5"}}},
		{"token system code", "Observation", "code=http://loinc.org|1234-5", "",
			[]Value{{Raw: "http://loinc.org|1234-5", System: "http://loinc.org", SystemGiven: true, Code: "1234-5"}}},
		{"token no system", "Observation", "code=|1234-5", "", []Value{{Raw: "|1234-5", SystemGiven: true, Code: "1234-5"}}},
		{"token system only", "Observation", "code=http://loinc.org|", "",
			[]Value{{Raw: "http://loinc.org|", System: "http://loinc.org", SystemGiven: true}}},
		{"token escaped pipe", "Patient", `identifier=a\|b`, "", []Value{{Raw: "a|b", Code: "a|b"}}},
		{"token or", "Patient", "gender=male,female", "", []Value{{Raw: "male", Code: "male"}, {Raw: "female", Code: "female"}}},
		{"token text", "Observation", "code:text=blood%20pressure|x", ModifierText, []Value{{Raw: "blood pressure|x"}}},
		{"token not", "Patient", "gender:not=male", ModifierNot, []Value{{Raw: "male", Code: "male"}}},
		{"token above", "Observation", "code:above=http://snomed.info/sct|235862008", ModifierAbove,
			[]Value{{Raw: "http://snomed.info/sct|235862008", System: "http://snomed.info/sct", SystemGiven: true, Code: "235862008"}}},
		{"token below", "Observation", "code:below=http://snomed.info/sct|235862008", ModifierBelow,
			[]Value{{Raw: "http://snomed.info/sct|235862008", System: "http://snomed.info/sct", SystemGiven: true, Code: "235862008"}}},
		{"token of-type", "Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053", ModifierOfType,
			[]Value{{Raw: "http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053", System: "http://terminology.hl7.org/CodeSystem/v2-0203", SystemGiven: true, Code: "MR", IdentifierValue: "446053"}}},
		{"_id", "Patient", "_id=a1,b2", "", []Value{{Raw: "a1", Code: "a1"}, {Raw: "b2", Code: "b2"}}},
		{"_tag", "Patient", "_tag=http://example.org/tags|vip", "",
			[]Value{{Raw: "http://example.org/tags|vip", System: "http://example.org/tags", SystemGiven: true, Code: "vip"}}},
		{"_security", "Patient", "_security=|R", "", []Value{{Raw: "|R", SystemGiven: true, Code: "R"}}},
		// uri
		{"uri", "ValueSet", "url=http://hl7.org/fhir/ValueSet/x", "", []Value{{Raw: "http://hl7.org/fhir/ValueSet/x"}}},
		{"uri below", "ValueSet", "url:below=http://hl7.org/fhir/", ModifierBelow, []Value{{Raw: "http://hl7.org/fhir/"}}},
		{"uri above", "ValueSet", "url:above=http://hl7.org/fhir/ValueSet/x/y", ModifierAbove, []Value{{Raw: "http://hl7.org/fhir/ValueSet/x/y"}}},
		{"_profile", "Patient", "_profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient", "",
			[]Value{{Raw: "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"}}},
		{"_source", "Patient", "_source=urn:uuid:1", "", []Value{{Raw: "urn:uuid:1"}}},
		// date
		{"date year", "Patient", "birthdate=2024", "", []Value{{Raw: "2024", Prefix: PrefixEq, DateLo: y2024lo, DateHi: y2024hi}}},
		{"date prefix ge", "Patient", "birthdate=ge2024", "", []Value{{Raw: "2024", Prefix: PrefixGe, DateLo: y2024lo, DateHi: y2024hi}}},
		{"date month", "Patient", "birthdate=lt2024-02", "",
			[]Value{{Raw: "2024-02", Prefix: PrefixLt, DateLo: qMicros("2024-02-01T00:00:00Z"), DateHi: qMicros("2024-02-29T23:59:59.999999Z")}}},
		{"_lastUpdated or", "Patient", "_lastUpdated=gt2024-01-01,le2020", "", []Value{
			{Raw: "2024-01-01", Prefix: PrefixGt, DateLo: qMicros("2024-01-01T00:00:00Z"), DateHi: qMicros("2024-01-01T23:59:59.999999Z")},
			{Raw: "2020", Prefix: PrefixLe, DateLo: qMicros("2020-01-01T00:00:00Z"), DateHi: qMicros("2020-12-31T23:59:59.999999Z")},
		}},
		{"date all prefixes", "Encounter", "date=sa2024,eb2024,ap2024,ne2024", "", []Value{
			{Raw: "2024", Prefix: PrefixSa, DateLo: y2024lo, DateHi: y2024hi},
			{Raw: "2024", Prefix: PrefixEb, DateLo: y2024lo, DateHi: y2024hi},
			{Raw: "2024", Prefix: PrefixAp, DateLo: y2024lo, DateHi: y2024hi},
			{Raw: "2024", Prefix: PrefixNe, DateLo: y2024lo, DateHi: y2024hi},
		}},
		{"date with zone", "Encounter", "date=2024-03-10T10:15%2B02:00", "", []Value{{Raw: "2024-03-10T10:15+02:00", Prefix: PrefixEq,
			DateLo: qMicros("2024-03-10T08:15:00Z"), DateHi: qMicros("2024-03-10T08:15:59.999999Z")}}},
		// number
		{"number", "RiskAssessment", "probability=100", "", []Value{{Raw: "100", Prefix: PrefixEq, Number: 100, NumberLo: 99.5, NumberHi: 100.5}}},
		{"number prefix", "RiskAssessment", "probability=gt0.8", "", []Value{{Raw: "0.8", Prefix: PrefixGt, Number: 0.8, NumberLo: 0.75, NumberHi: 0.85}}},
		{"number negative exp", "RiskAssessment", "probability=-1.0e2", "", []Value{{Raw: "-1.0e2", Prefix: PrefixEq, Number: -100, NumberLo: -105, NumberHi: -95}}},
		// quantity
		{"quantity full", "Observation", "value-quantity=le5.4|http://unitsofmeasure.org|mg", "", []Value{{Raw: "5.4|http://unitsofmeasure.org|mg",
			Prefix: PrefixLe, Number: 5.4, NumberLo: 5.35, NumberHi: 5.45, System: "http://unitsofmeasure.org", SystemGiven: true, Code: "mg"}}},
		{"quantity code only", "Observation", "value-quantity=5.4||mg", "", []Value{{Raw: "5.4||mg",
			Prefix: PrefixEq, Number: 5.4, NumberLo: 5.35, NumberHi: 5.45, Code: "mg"}}},
		{"quantity bare", "Observation", "value-quantity=ap100", "", []Value{{Raw: "100", Prefix: PrefixAp, Number: 100, NumberLo: 99.5, NumberHi: 100.5}}},
		// reference
		{"reference id", "Observation", "subject=123", "", []Value{{Raw: "123", ID: "123"}}},
		{"reference single-target id", "Observation", "patient=123", "", []Value{{Raw: "123", ID: "123"}}},
		{"reference typed", "Observation", "subject=Patient/123", "", []Value{{Raw: "Patient/123", Type: "Patient", ID: "123"}}},
		{"reference history", "Observation", "subject=Patient/123/_history/2", "", []Value{{Raw: "Patient/123/_history/2", Type: "Patient", ID: "123", Version: "2"}}},
		{"reference type modifier", "Observation", "subject:Patient=123", ModifierType, []Value{{Raw: "123", Type: "Patient", ID: "123"}}},
		{"reference absolute", "Observation", "subject=http://other.org/fhir/Patient/9", "", []Value{{Raw: "http://other.org/fhir/Patient/9", URL: "http://other.org/fhir/Patient/9"}}},
		{"reference absolute under base", "Observation", "subject=https://h.example/fhir/r4/Patient/9", "", []Value{{Raw: "https://h.example/fhir/r4/Patient/9", Type: "Patient", ID: "9"}}},
		{"reference urn", "Observation", "subject=urn:uuid:0b8c", "", []Value{{Raw: "urn:uuid:0b8c", URL: "urn:uuid:0b8c"}}},
		{"reference canonical", "QuestionnaireResponse", "questionnaire=http://x.org/Questionnaire/q|2.0", "",
			[]Value{{Raw: "http://x.org/Questionnaire/q|2.0", URL: "http://x.org/Questionnaire/q", Version: "2.0"}}},
		{"reference identifier", "Observation", "subject:identifier=http://hospital.org/mrn|12345", ModifierIdentifier,
			[]Value{{Raw: "http://hospital.org/mrn|12345", System: "http://hospital.org/mrn", SystemGiven: true, Code: "12345"}}},
		{"reference below", "Observation", "subject:below=http://x.org/fhir/Patient/1", ModifierBelow,
			[]Value{{Raw: "http://x.org/fhir/Patient/1", URL: "http://x.org/fhir/Patient/1"}}},
		{"reference or", "Observation", "subject=Patient/1,Group/2", "", []Value{{Raw: "Patient/1", Type: "Patient", ID: "1"}, {Raw: "Group/2", Type: "Group", ID: "2"}}},
	}
	opts := ParseOptions{BaseURL: "https://h.example/fhir/r4/"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, unsup, err := ParseQuery(tt.typ, qMustValues(t, tt.query), opts)
			if err != nil || len(unsup) > 0 {
				t.Fatalf("err %v, unsupported %v", err, unsup)
			}
			c := qOnly(t, q)
			if c.Modifier != tt.mod {
				t.Errorf("modifier %q, want %q", c.Modifier, tt.mod)
			}
			if c.Type != tt.typ || c.Name != strings.SplitN(tt.query, "=", 2)[0] {
				t.Errorf("clause type/name %q %q", c.Type, c.Name)
			}
			if !reflect.DeepEqual(c.Values, tt.want) {
				t.Errorf("values\n got %+v\nwant %+v", c.Values, tt.want)
			}
		})
	}
}

// The single-target rule: patient on Observation targets Patient and Group,
// so a bare id keeps an empty Type; Encounter.subject... use a true single
// target to check Type is filled in.
func TestParseQuerySingleTargetFillsType(t *testing.T) {
	q := qParseOK(t, "Encounter", "service-provider=org1")
	c := qOnly(t, q)
	if got := c.Values[0]; got.Type != "Organization" || got.ID != "org1" {
		t.Fatalf("got %+v, want Organization/org1", got)
	}
	if c.TargetType != "" {
		t.Fatalf("TargetType %q without a modifier", c.TargetType)
	}
}

func TestParseQueryComposite(t *testing.T) {
	q := qParseOK(t, "Observation", `code-value-quantity=http://loinc.org|8480-6$gt100,http://loinc.org|8462-4$lt90||mm[Hg]`)
	c := qOnly(t, q)
	if c.Param.Type != "composite" || len(c.Values) != 2 {
		t.Fatalf("got %+v", c)
	}
	first := c.Values[0].Components
	if len(first) != 2 {
		t.Fatalf("components %+v", first)
	}
	if first[0].System != "http://loinc.org" || first[0].Code != "8480-6" || !first[0].SystemGiven {
		t.Errorf("token component %+v", first[0])
	}
	if first[1].Prefix != PrefixGt || first[1].Number != 100 || first[1].NumberLo != 99.5 {
		t.Errorf("quantity component %+v", first[1])
	}
	second := c.Values[1].Components
	if second[1].Prefix != PrefixLt || second[1].Code != "mm[Hg]" || second[1].Number != 90 {
		t.Errorf("second quantity %+v", second[1])
	}
	// An escaped '$' stays inside a component; a date component.
	q = qParseOK(t, "Observation", `code-value-date=a\$b$ge2024-05`)
	comps := qOnly(t, q).Values[0].Components
	if comps[0].Code != "a$b" || comps[1].Prefix != PrefixGe || comps[1].DateLo != qMicros("2024-05-01T00:00:00Z") {
		t.Errorf("got %+v", comps)
	}
	// Token + string component (component-code-value-string is not in R4;
	// code-value-string is).
	q = qParseOK(t, "Observation", `code-value-string=1234$high`)
	comps = qOnly(t, q).Values[0].Components
	if comps[0].Code != "1234" || comps[1].Raw != "high" {
		t.Errorf("got %+v", comps)
	}
	// :missing on a composite.
	q = qParseOK(t, "Observation", `code-value-quantity:missing=true`)
	if v := qOnly(t, q).Values[0]; !v.Missing || v.Components != nil {
		t.Errorf("got %+v", v)
	}
}

// Every composite parameter of every type resolves its components, so no
// composite search can fail for want of a definition.
func TestCompositeComponentsResolve(t *testing.T) {
	n := 0
	for _, sp := range qAllParams() {
		if sp.Type != "composite" {
			continue
		}
		n++
		comps, err := qComponents(sp, sp.Code)
		if err != nil {
			t.Errorf("%s: %v", sp.URL, err)
			continue
		}
		if len(comps) != len(sp.Component) {
			t.Errorf("%s: %d components", sp.URL, len(comps))
		}
	}
	if n < 20 {
		t.Fatalf("only %d composite parameters found", n)
	}
}

func TestParseQueryAndOr(t *testing.T) {
	q := qParseOK(t, "Patient", "given=a&given=b,c&family=x&_id=")
	if len(q.Clauses) != 3 {
		t.Fatalf("got %d clauses, want 3 (empty _id ignored)", len(q.Clauses))
	}
	// Names sorted; repeated parameters keep their order.
	if q.Clauses[0].Param.Code != "family" || q.Clauses[1].Param.Code != "given" || q.Clauses[2].Param.Code != "given" {
		t.Fatalf("order %s %s %s", q.Clauses[0].Name, q.Clauses[1].Name, q.Clauses[2].Name)
	}
	if len(q.Clauses[1].Values) != 1 || len(q.Clauses[2].Values) != 2 {
		t.Fatalf("OR lists %v %v", q.Clauses[1].Values, q.Clauses[2].Values)
	}
}

func TestParseQueryUnsupported(t *testing.T) {
	tests := []struct {
		typ, query string
		want       []string // parameter names reported, in order
		clauses    int
	}{
		{"Patient", "foo=1&name=x", []string{"foo"}, 1},
		{"Patient", "foo:exact=1", []string{"foo:exact"}, 0},
		{"Patient", "_text=cancer&_content=x&_list=l1&_query=q&_filter=name%20eq%20x", []string{"_content", "_filter", "_list", "_query", "_text"}, 0},
		{"Location", "near=42.25|-83.69|10|km", []string{"near"}, 0},
		{"Patient", "_contained=true", []string{"_contained"}, 0},
		{"Patient", "_contained=both&_containedType=contained", []string{"_contained", "_containedType"}, 0},
		{"Patient", "_contained=false&_containedType=container", nil, 0},
		{"Patient", "foo=1&foo=2", []string{"foo"}, 0},
		{"Patient", "_revinclude=*", []string{"_revinclude"}, 0},
		{"Observation", "subject:Patient.foo=x", []string{"subject:Patient.foo"}, 0},
		{"Patient", "_has:Observation:patient:foo=x", []string{"_has:Observation:patient:foo"}, 0},
		{"Patient", "_type=Patient", []string{"_type"}, 0},
		{"Patient", "_format=json&_pretty=true&_cursor=abc", []string{"_cursor"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, unsup, err := ParseQuery(tt.typ, qMustValues(t, tt.query), ParseOptions{})
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			var got []string
			for _, u := range unsup {
				got = append(got, u.Param)
				if u.Code != "not-supported" || u.Msg == "" {
					t.Errorf("%s: code %q msg %q", u.Param, u.Code, u.Msg)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("unsupported %v, want %v", got, tt.want)
			}
			if len(q.Clauses) != tt.clauses {
				t.Errorf("%d clauses, want %d", len(q.Clauses), tt.clauses)
			}
		})
	}
	// Ignore lets the caller claim its own parameters.
	_, unsup, err := ParseQuery("Patient", qMustValues(t, "_cursor=abc"), ParseOptions{Ignore: []string{"_cursor"}})
	if err != nil || len(unsup) != 0 {
		t.Fatalf("Ignore: %v %v", err, unsup)
	}
}

func TestParseQueryErrors(t *testing.T) {
	tests := []struct {
		typ, query string
		param      string // the parameter the error must name
		code       string
		msg        string // a fragment of the message
	}{
		// dates
		{"Patient", "birthdate=2024-13", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=2023-02-29", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=24", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=2024-1-01", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=2024-01-01T10", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=2024-01-01T25:00", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=2024-01-01T10:00:61", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=2024-01-01T10:00%2B15:00", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=2024-01-01T10:00:00.", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=2024-01-01T10:00Zjunk", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=0000", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=yesterday", "birthdate", "invalid", "unknown prefix"},
		{"Patient", "birthdate=xx2024", "birthdate", "invalid", "unknown prefix"},
		{"Patient", "birthdate=ge", "birthdate", "invalid", "malformed date"},
		{"Patient", "birthdate=2024,", "birthdate", "invalid", "empty value"},
		{"Patient", "_lastUpdated=2024-02-30", "_lastUpdated", "invalid", "malformed date"},
		// numbers and quantities
		{"RiskAssessment", "probability=abc", "probability", "invalid", "unknown prefix"},
		{"RiskAssessment", "probability=1.", "probability", "invalid", "malformed number"},
		{"RiskAssessment", "probability=.5", "probability", "invalid", "malformed number"},
		{"RiskAssessment", "probability=1e", "probability", "invalid", "malformed number"},
		{"RiskAssessment", "probability=1e99999", "probability", "invalid", "malformed number"},
		{"RiskAssessment", "probability=1e400", "probability", "invalid", "out of range"},
		{"RiskAssessment", "probability=gt", "probability", "invalid", "malformed number"},
		{"RiskAssessment", "probability=1,2x", "probability", "invalid", "malformed number"},
		{"Observation", "value-quantity=5.4|mg", "value-quantity", "invalid", "quantity takes"},
		{"Observation", "value-quantity=abc|s|c", "value-quantity", "invalid", "unknown prefix"},
		{"Observation", "value-quantity=5|a|b|c", "value-quantity", "invalid", "quantity takes"},
		// tokens
		{"Observation", "code=a|b|c", "code", "invalid", "a token takes"},
		{"Observation", "code=|", "code", "invalid", "needs a system"},
		{"Patient", "identifier:of-type=sys|MR", "identifier:of-type", "invalid", "of-type takes"},
		{"Patient", "identifier:of-type=sys|MR|", "identifier:of-type", "invalid", "of-type takes"},
		{"Observation", "code:in=http://x.org/vs", "code:in", "not-supported", "not supported"},
		{"Observation", "code:not-in=http://x.org/vs", "code:not-in", "not-supported", "not supported"},
		// modifiers
		{"Patient", "family:text=x", "family:text", "invalid", "not valid for a string"},
		{"Patient", "gender:exact=male", "gender:exact", "invalid", "not valid for a token"},
		{"Patient", "birthdate:exact=2024", "birthdate:exact", "invalid", "not valid for a date"},
		{"Patient", "birthdate:foo=2024", "birthdate:foo", "invalid", "modifier :foo"},
		{"Observation", "subject:exact=1", "subject:exact", "invalid", "not valid for a reference"},
		{"Observation", "subject:Practitioner=1", "subject:Practitioner", "invalid", "cannot refer to Practitioner"},
		{"Patient", "name:missing=yes", "name:missing", "invalid", "true or false"},
		{"Observation", "code-value-quantity:exact=x", "code-value-quantity:exact", "invalid", "not valid for a composite"},
		{"ValueSet", "url:contains=x", "url:contains", "invalid", "not valid for a uri"},
		// references
		{"Observation", "subject=Foo/1", "subject", "invalid", "unknown resource type"},
		{"Observation", "subject=Practitioner/1", "subject", "invalid", "cannot refer to Practitioner"},
		{"Observation", "subject:Patient=Group/1", "subject:Patient", "invalid", "contradicts"},
		{"Observation", "subject=Patient/1/2", "subject", "invalid", "a reference takes"},
		{"Observation", "subject=Patient/1/_history/", "subject", "invalid", "malformed version"},
		{"Observation", "subject=bad%20id", "subject", "invalid", "malformed resource id"},
		{"Observation", "subject=a|b|c", "subject", "invalid", "a reference takes"},
		{"Observation", "subject=abc|1", "subject", "invalid", "absolute URL"},
		// composite
		{"Observation", "code-value-quantity=1234", "code-value-quantity", "invalid", "takes 2"},
		{"Observation", "code-value-quantity=1234$5$6", "code-value-quantity", "invalid", "takes 2"},
		{"Observation", "code-value-quantity=1234$", "code-value-quantity", "invalid", "part 2"},
		{"Observation", "code-value-quantity=1234$xx5", "code-value-quantity", "invalid", "unknown prefix"},
		// chains
		{"Observation", "code.name=x", "code.name", "invalid", "only reference parameters can be chained"},
		{"Observation", "subject:identifier.name=x", "subject:identifier.name", "invalid", "may only carry a resource type modifier"},
		{"Observation", "subject.=x", "subject.", "invalid", "empty parameter"},
		{"Observation", "subject:Patient.organization.name.x=y", "subject:Patient.organization.name.x", "invalid", "only reference parameters"},
		{"Observation", "subject:Patient.link:Patient.link:Patient.link:Patient.link:Patient.name=y",
			"subject:Patient.link:Patient.link:Patient.link:Patient.link:Patient.name", "invalid", "at most 4"},
		{"RequestGroup", "instantiates-canonical.name=x", "instantiates-canonical.name", "invalid", "any resource type"},
		{"Observation", "subject:Patient.birthdate=2024-99", "subject:Patient.birthdate", "invalid", "malformed date"},
		// _has
		{"Patient", "_has:Foo:patient:code=x", "_has:Foo:patient:code", "invalid", "unknown resource type"},
		{"Patient", "_has:Observation:foo:code=x", "_has:Observation:foo:code", "invalid", "unknown search parameter"},
		{"Patient", "_has:Observation:code:code=x", "_has:Observation:code:code", "invalid", "needs a reference"},
		{"Patient", "_has:Observation:patient=x", "_has:Observation:patient", "invalid", "_has takes the form"},
		{"Practitioner", "_has:Observation:patient:code=x", "_has:Observation:patient:code", "invalid", "cannot refer to Practitioner"},
		{"Patient", "_has:Observation:patient:code:foo=x", "_has:Observation:patient:code:foo", "invalid", "modifier :foo"},
		{"Patient", "_has:Observation:patient:date=bad", "_has:Observation:patient:date", "invalid", "unknown prefix"},
		// result parameters
		{"Patient", "_count=-1", "_count", "invalid", "non-negative"},
		{"Patient", "_count=ten", "_count", "invalid", "non-negative"},
		{"Patient", "_count=1&_count=2", "_count", "invalid", "only once"},
		{"Patient", "_count:exact=1", "_count:exact", "invalid", "no modifier"},
		{"Patient", "_total=all", "_total", "invalid", "none, estimate or accurate"},
		{"Patient", "_summary=yes", "_summary", "invalid", "_summary takes"},
		{"Patient", "_sort=foo", "_sort", "invalid", "cannot sort by"},
		{"Patient", "_sort=name,,birthdate", "_sort", "invalid", "empty sort key"},
		{"Patient", "_sort=-", "_sort", "invalid", "empty sort key"},
		{"Patient", "_sort=name,-name", "_sort", "invalid", "appears twice"},
		{"Observation", "_sort=code-value-quantity", "_sort", "invalid", "composite"},
		{"Location", "_sort=near", "_sort", "invalid", "special"},
		{"Patient", "_elements=name,foo", "_elements", "invalid", "not an element of Patient"},
		{"Patient", "_elements=name.given", "_elements", "invalid", "top-level"},
		{"Patient", "_elements=name,", "_elements", "invalid", "empty element"},
		{"Patient", "_include=Patient", "_include", "invalid", "Type:parameter"},
		{"Patient", "_include=Foo:bar", "_include", "invalid", "unknown resource type"},
		{"Patient", "_include=Observation:subject", "_include", "invalid", "use _include:iterate"},
		{"Patient", "_include=Patient:foo", "_include", "invalid", "unknown search parameter"},
		{"Patient", "_include=Patient:name", "_include", "invalid", "not a reference"},
		{"Patient", "_include=Patient:organization:Patient", "_include", "invalid", "cannot refer to Patient"},
		{"Patient", "_include=Patient:organization:Nope", "_include", "invalid", "unknown resource type"},
		{"Patient", "_include:deep=Patient:organization", "_include:deep", "invalid", "modifier :deep"},
		{"Patient", "_revinclude=Observation:encounter", "_revinclude", "invalid", "cannot refer to Patient"},
		{"Patient", "_revinclude=Observation:subject:Group", "_revinclude", "invalid", "must be the searched type"},
		{"Patient", "_contained=maybe", "_contained", "invalid", "true, false or both"},
		{"Patient", "_containedType=x", "_containedType", "invalid", "container or contained"},
		// empty name
		{"Patient", ":exact=x", ":exact", "invalid", "empty parameter name"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"?"+tt.query, func(t *testing.T) {
			q, _, err := ParseQuery(tt.typ, qMustValues(t, tt.query), ParseOptions{})
			if err == nil {
				t.Fatalf("no error; got %d clauses", len(q.Clauses))
			}
			if q != nil {
				t.Errorf("query returned with an error")
			}
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error %T is not a *QueryError", err)
			}
			if qe.Param != tt.param {
				t.Errorf("param %q, want %q (%v)", qe.Param, tt.param, err)
			}
			if qe.Code != tt.code {
				t.Errorf("code %q, want %q (%v)", qe.Code, tt.code, err)
			}
			if !strings.Contains(qe.Msg, tt.msg) {
				t.Errorf("message %q lacks %q", qe.Msg, tt.msg)
			}
			if !strings.Contains(err.Error(), tt.param) {
				t.Errorf("Error() %q does not name %q", err.Error(), tt.param)
			}
		})
	}
}

// Messages never echo free-text values, which may be patient data.
func TestQueryErrorsDoNotEchoValues(t *testing.T) {
	for _, raw := range []string{
		"birthdate=1999-13-Jane%20Doe", "family:text=Jane%20Doe", "subject=Jane%20Doe",
		"subject=Jane/Doe", "_sort=JaneDoe%21", "_elements=Jane%20Doe",
		"identifier:of-type=Jane%20Doe", "code=Jane|Doe|x", "value-quantity=1|Jane%20Doe",
	} {
		_, _, err := ParseQuery("Observation", qMustValues(t, raw), ParseOptions{})
		if err == nil {
			_, _, err = ParseQuery("Patient", qMustValues(t, raw), ParseOptions{})
		}
		if err == nil {
			t.Errorf("%s: no error", raw)
			continue
		}
		if strings.Contains(err.(*QueryError).Msg, "Jane") {
			t.Errorf("%s: message echoes the value: %v", raw, err)
		}
	}
}

func TestParseQueryUnknownType(t *testing.T) {
	for _, typ := range []string{"", "Foo", "Resource", "DomainResource", "patient"} {
		if _, _, err := ParseQuery(typ, nil, ParseOptions{}); err == nil {
			t.Errorf("%q: no error", typ)
		}
	}
}

// qAllParams lists every search parameter definition once, by URL.
func qAllParams() []fhir.SearchParam {
	seen := map[string]bool{}
	var out []fhir.SearchParam
	for _, typ := range fhir.ResourceTypes() {
		for _, sp := range fhir.SearchParams(typ) {
			if !seen[sp.URL] {
				seen[sp.URL] = true
				out = append(out, sp)
			}
		}
	}
	return out
}

// qSampleValue is a well-formed value for a parameter of type typ.
func qSampleValue(t *testing.T, sp fhir.SearchParam) string {
	switch sp.Type {
	case "string":
		return "x"
	case "token":
		return "http://example.org|c"
	case "reference":
		return "id1"
	case "date":
		return "ge2024-01-02T03:04:05Z"
	case "number":
		return "lt1.5"
	case "quantity":
		return "gt1.5|http://unitsofmeasure.org|mg"
	case "uri":
		return "http://example.org/x"
	case "composite":
		comps, err := qComponents(sp, sp.Code)
		if err != nil {
			t.Fatalf("%s: %v", sp.URL, err)
		}
		parts := make([]string, len(comps))
		for i, c := range comps {
			parts[i] = qSampleValue(t, c)
		}
		return strings.Join(parts, "$")
	}
	return ""
}

// Every R4 search parameter of every resource type parses with a
// well-formed value of its type and with :missing.
func TestParseQueryEveryDefinition(t *testing.T) {
	n := 0
	for _, typ := range fhir.ResourceTypes() {
		for _, sp := range fhir.SearchParams(typ) {
			if _, skip := qIgnoredNames[sp.Code]; skip || sp.Type == "special" {
				continue
			}
			vals := url.Values{sp.Code: {qSampleValue(t, sp)}, sp.Code + ":missing": {"true"}}
			q, unsup, err := ParseQuery(typ, vals, ParseOptions{})
			if err != nil || len(unsup) > 0 {
				t.Errorf("%s?%s: %v %v", typ, vals.Encode(), err, unsup)
				continue
			}
			if len(q.Clauses) != 2 || q.Clauses[0].Param.URL != sp.URL {
				t.Errorf("%s?%s: %d clauses", typ, vals.Encode(), len(q.Clauses))
			}
			n++
		}
	}
	if n < 2500 {
		t.Fatalf("only %d parameters checked", n)
	}
}

func TestParseQueryMaxDepth(t *testing.T) {
	vals := qMustValues(t, "_has:Observation:patient:_has:Provenance:target:agent=Practitioner/1")
	if _, _, err := ParseQuery("Patient", vals, ParseOptions{MaxDepth: 1}); err == nil || !strings.Contains(err.Error(), "at most 1") {
		t.Errorf("MaxDepth 1: %v", err)
	}
	if _, _, err := ParseQuery("Patient", vals, ParseOptions{MaxDepth: 2}); err != nil {
		t.Errorf("MaxDepth 2: %v", err)
	}
}
