package fhirpath

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// tinyModel is a hand-made Model covering the elements the unit tests use.
type tinyModel struct {
	children map[string]map[string]struct {
		typ string
		arr bool
	}
	choices map[string][]string // "Type.name" -> types
	bases   map[string]string
}

type el = struct {
	typ string
	arr bool
}

func newTinyModel() *tinyModel {
	return &tinyModel{
		children: map[string]map[string]el{
			"Patient": {"id": {"id", false}, "name": {"HumanName", true}, "birthDate": {"date", false},
				"active": {"boolean", false}, "contact": {"Patient.contact", true}, "contained": {"Resource", true},
				"managingOrganization": {"Reference", false}, "extension": {"Extension", true}, "deceasedBoolean": {"boolean", false},
				"deceasedDateTime": {"dateTime", false}, "multipleBirthInteger": {"integer", false}},
			"Patient.contact": {"name": {"HumanName", false}},
			"HumanName":       {"family": {"string", false}, "given": {"string", true}, "use": {"code", false}},
			"Observation": {"subject": {"Reference", false}, "valueQuantity": {"Quantity", false}, "valueString": {"string", false},
				"component": {"Observation.component", true}},
			"Observation.component": {"valueQuantity": {"Quantity", false}, "valueString": {"string", false}},
			"Quantity":              {"value": {"decimal", false}, "unit": {"string", false}, "system": {"uri", false}, "code": {"code", false}},
			"Reference":             {"reference": {"string", false}},
			"Extension":             {"url": {"uri", false}, "valueString": {"string", false}, "valueCode": {"code", false}},
			"Organization":          {"name": {"string", false}},
			"Bundle":                {"entry": {"Bundle.entry", true}},
			"Bundle.entry":          {"fullUrl": {"uri", false}, "resource": {"Resource", false}},
		},
		choices: map[string][]string{
			"Observation.value":           {"Quantity", "string"},
			"Observation.component.value": {"Quantity", "string"},
			"Patient.deceased":            {"boolean", "dateTime"},
			"Patient.multipleBirth":       {"boolean", "integer"},
			"Extension.value":             {"string", "code"},
		},
		bases: map[string]string{
			"Patient": "DomainResource", "Observation": "DomainResource", "Organization": "DomainResource",
			"Bundle": "Resource", "DomainResource": "Resource", "Age": "Quantity", "Quantity": "Element",
			"HumanName": "Element", "Reference": "Element", "Extension": "Element", "code": "string", "id": "string",
			"Patient.contact": "BackboneElement", "Observation.component": "BackboneElement", "Bundle.entry": "BackboneElement",
			"BackboneElement": "Element", "string": "Element", "date": "Element", "dateTime": "Element", "boolean": "Element",
			"decimal": "Element", "integer": "Element", "uri": "Element",
		},
	}
}

func (m *tinyModel) ChildType(parent, name string) (string, bool, bool) {
	e, ok := m.children[parent][name]
	return e.typ, e.arr, ok
}
func (m *tinyModel) ChoiceTypes(parent, name string) []string { return m.choices[parent+"."+name] }
func (m *tinyModel) BaseType(t string) string                 { return m.bases[t] }

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

const patientJSON = `{
 "resourceType": "Patient", "id": "p1", "active": true,
 "birthDate": "1974-12-25",
 "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime", "valueString": "14:35:45-05:00"}]},
 "name": [{"use": "official", "family": "Chalmers", "given": ["Peter", "James"], "_given": [null, {"extension": [{"url": "u", "valueCode": "x"}]}]},
          {"use": "usual", "given": ["Jim"]}],
 "deceasedBoolean": false,
 "multipleBirthInteger": 2,
 "managingOrganization": {"reference": "#org1"},
 "contained": [{"resourceType": "Organization", "id": "org1", "name": "Acme"}],
 "contact": [{"name": {"family": "du Marché"}}]
}`

const observationJSON = `{
 "resourceType": "Observation", "subject": {"reference": "Patient/p1"},
 "valueQuantity": {"value": 185.0, "unit": "lbs", "system": "http://unitsofmeasure.org", "code": "[lb_av]"},
 "component": [{"valueQuantity": {"value": 120, "code": "mm[Hg]", "system": "http://unitsofmeasure.org"}},
               {"valueQuantity": {"value": 80, "code": "mm[Hg]", "system": "http://unitsofmeasure.org"}},
               {"valueString": "n/a"}]
}`

func eval(t *testing.T, res map[string]any, expr string, opts *EvalOptions) ([]Item, error) {
	t.Helper()
	e, err := Compile(expr)
	if err != nil {
		return nil, err
	}
	return e.Evaluate(res, opts)
}

func render(items []Item) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.String()
	}
	return strings.Join(parts, ",")
}

func TestEvaluate(t *testing.T) {
	model := newTinyModel()
	pat := decode(t, patientJSON)
	obs := decode(t, observationJSON)
	tests := []struct {
		res  map[string]any
		expr string
		want string
	}{
		{pat, "Patient.name.given", "Peter,James,Jim"},
		{pat, "name.where(use = 'usual').given", "Jim"},
		{pat, "Patient.name[0].family", "Chalmers"},
		{pat, "Observation.name", ""},
		{pat, "birthDate", "1974-12-25"},
		{pat, "birthDate < @1975", "true"},
		{pat, "birthDate.extension('http://hl7.org/fhir/StructureDefinition/patient-birthTime').value", "14:35:45-05:00"},
		{pat, "name.given.extension('u').value", "x"},
		{pat, "name.given.count()", "3"},
		{pat, "birthDate.hasValue()", "true"},
		{pat, "deceased", "false"},
		{pat, "deceased.ofType(boolean)", "false"},
		{pat, "deceased is boolean", "true"},
		{pat, "multipleBirth + 1", "3"},
		{pat, "managingOrganization.resolve().name", "Acme"},
		{pat, "managingOrganization.resolve() is Organization", "true"},
		{pat, "contact.name.family ~ 'DU  marché'", "true"},
		{pat, "Patient is DomainResource", "true"},
		{pat, "Patient.is(FHIR.Patient) and Patient.is(Resource)", "true"},
		{pat, "contained.ofType(Organization).name", "Acme"},
		{pat, "name.select(given.first() & ' ' & family)", "Peter Chalmers,Jim "},
		{pat, "name.given.distinct().count() = 3 and (1 | 1 | 2).count() = 2", "true"},
		{pat, "%resource.id & '/' & %context.id", "p1/p1"},
		{pat, "iif(active, 'yes', 'no')", "yes"},
		{pat, "active implies name.exists()", "true"},
		{pat, "({} and true).empty() and (false and {}) = false", "true"},
		{obs, "Observation.value", "185.0 '[lb_av]'"},
		{obs, "value.ofType(Quantity).value > 180", "true"},
		{obs, "value as Quantity = 185 '[lb_av]'", "true"},
		{obs, "subject.where(resolve() is Patient).reference", "Patient/p1"},
		{obs, "subject.resolve().id", "p1"},
		{obs, "component.value.ofType(Quantity).value.sum", ""},
		{obs, "component.value.ofType(Quantity).value.aggregate($this + $total, 0)", "200"},
		{obs, "component.value.ofType(string)", "n/a"},
		{obs, "children().count()", "5"},
		{nil, "4.0000 'g' = 4000.0 'mg'", "true"},
		{nil, "1 year = 1 'a'", ""},
		{nil, "1 year ~ 1 'a'", "true"},
		{nil, "2 'cm' < 1 'm'", "true"},
		{nil, "7 days = 1 week", "true"},
		{nil, "@2012-04-15 = @2012-04-15T10:00", ""},
		{nil, "@2017-11-05T01:30:00.0-04:00 = @2017-11-05T00:30:00.0-05:00", "true"},
		{nil, "@1973-12-25 + 1 month", "1974-01-25"},
		{nil, "@2024-01-31 + 1 month", "2024-02-29"},
		{nil, "1.10 = 1.1 and 1.2 / 1.8 ~ 0.67", "true"},
		{nil, "(0.1 + 0.2) = 0.3", "true"},
		{nil, "7 div 2 = 3 and 7 mod 2 = 1 and 7 / 2 = 3.5", "true"},
		{nil, "'abc'.substring(1) & 'x'.upper() & 'A,B'.split(',').join('')", "bcXAB"},
		{nil, "'2015-02-04'.toDate() = @2015-02-04", "true"},
		{nil, "'a.b'.replaceMatches('\\\\.', '-')", "a-b"},
		{nil, "(3 | 1 | 2).sort()", "1,2,3"},
		{nil, "1.5.round() = 2 and (-1.5).truncate() = -1 and 2.power(10) = 1024", "true"},
		{nil, "`first` | 'x'", "x"},
		{nil, "%ucum", "http://unitsofmeasure.org"},
	}
	for _, tc := range tests {
		res := tc.res
		if res == nil {
			res = pat
		}
		got, err := eval(t, res, tc.expr, &EvalOptions{Model: model})
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if r := render(got); r != tc.want {
			t.Errorf("%s = %q, want %q", tc.expr, r, tc.want)
		}
	}
}

func TestEvaluateErrors(t *testing.T) {
	model := newTinyModel()
	pat := decode(t, patientJSON)
	obs := decode(t, observationJSON)
	tests := []struct {
		res    map[string]any
		expr   string
		opts   EvalOptions
		reason string
	}{
		{pat, "name.single()", EvalOptions{}, "more than one item"},
		{pat, "name.given + 1", EvalOptions{}, "more than one item"},
		{pat, "'a' - 'b'", EvalOptions{}, "not defined"},
		{pat, "1 < 'a'", EvalOptions{}, "cannot compare"},
		{pat, "name.given1", EvalOptions{Strict: true}, "no element"},
		{pat, "Observation.id", EvalOptions{Strict: true}, "not a Observation"},
		{obs, "Observation.valueQuantity", EvalOptions{Strict: true}, "ofType"},
		{obs, "component.value as Quantity", EvalOptions{}, "more than one item"},
		{pat, "name.is(HumanName)", EvalOptions{}, "more than one item"},
		{pat, "name.as(Nonsense)", EvalOptions{}, "unknown type"},
		{pat, "%undefined", EvalOptions{}, "undefined environment variable"},
		{pat, "9223372036854775807 + 1", EvalOptions{}, "overflow"},
	}
	for _, tc := range tests {
		tc.opts.Model = model
		_, err := eval(t, tc.res, tc.expr, &tc.opts)
		var ee *EvalError
		if err == nil || !errors.As(err, &ee) || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: error %v, want an EvalError mentioning %q", tc.expr, err, tc.reason)
		}
	}
	// the same expressions are fine in their lenient forms
	for _, expr := range []string{"name.given1", "Observation.valueQuantity", "Observation.id"} {
		if _, err := eval(t, obs, expr, &EvalOptions{Model: model}); err != nil {
			t.Errorf("%s (lenient): %v", expr, err)
		}
	}
	out, err := eval(t, obs, "(component.value as Quantity).value", &EvalOptions{Model: model, LenientAs: true})
	if err != nil || render(out) != "120,80" {
		t.Errorf("LenientAs: got %q, %v", render(out), err)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ expr, msg string }{
		{"2 + 2 /", "1:8"},
		{"2 + /* open", "unterminated comment"},
		{"name.", "expected a name"},
		{"name.foo(", "unexpected end"},
		{"name.nosuch()", "unknown function nosuch"},
		{"name.where()", "takes 1 argument"},
		{"'abc", "unterminated"},
		{"@2012-13-01", "invalid date/time"},
		{"1 + (2", "expected ')'"},
		{"a ! b", "unexpected character"},
		{"x.ofType(1)", "type name"},
		{"$foo", "unknown variable"},
		{"\n  name[", "2:8"},
	}
	for _, tc := range tests {
		_, err := Compile(tc.expr)
		var se *SyntaxError
		if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Compile(%q) = %v, want a SyntaxError containing %q", tc.expr, err, tc.msg)
		}
	}
}

func TestPrecedence(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"1 + 2 * 3", "7"},
		{"(1 + 2) * 3", "9"},
		{"-2.abs()", "-2"},
		{"(-2).abs()", "2"},
		{"1 | 2 = 1 | 2", "true"},
		{"true or false and false", "true"},
		{"false implies false and false", "true"},
		{"2 > 1 = true", "true"},
		{"'a' & 'b' + 'c'", "abc"},
	}
	for _, tc := range tests {
		got, err := MustCompile(tc.expr).EvaluateItems(nil, nil)
		if err != nil || render(got) != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.expr, render(got), err, tc.want)
		}
	}
}

func TestNowIsStableAndInjected(t *testing.T) {
	fixed := time.Date(2020, 2, 29, 23, 59, 58, 0, time.UTC)
	got, err := MustCompile("now() = now() and today() = @2020-02-29 and timeOfDay() > @T23:58").EvaluateItems(nil, &EvalOptions{Now: func() time.Time { return fixed }})
	if err != nil || render(got) != "true" {
		t.Fatalf("got %q, %v", render(got), err)
	}
}

func TestTrace(t *testing.T) {
	var traced []string
	opts := &EvalOptions{Trace: func(name string, items []Item) { traced = append(traced, name+"="+render(items)) }}
	got, err := MustCompile("(1 | 2).trace('n').count()").EvaluateItems(nil, opts)
	if err != nil || render(got) != "2" || strings.Join(traced, ";") != "n=1,2" {
		t.Fatalf("got %q %v, traced %v", render(got), err, traced)
	}
}

func TestResolveInBundleAndCallback(t *testing.T) {
	model := newTinyModel()
	bundle := decode(t, `{"resourceType": "Bundle", "entry": [
	  {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Observation", "subject": {"reference": "urn:uuid:2"}}},
	  {"fullUrl": "urn:uuid:2", "resource": {"resourceType": "Patient", "id": "p9", "active": true}}]}`)
	got, err := eval(t, bundle, "Bundle.entry.resource.ofType(Observation).subject.resolve().id", &EvalOptions{Model: model})
	if err != nil || render(got) != "p9" {
		t.Errorf("bundle resolve: %q, %v", render(got), err)
	}
	obs := decode(t, observationJSON)
	opts := &EvalOptions{Model: model, Resolve: func(ref string) (map[string]any, bool) {
		if ref == "Patient/p1" {
			return map[string]any{"resourceType": "Patient", "id": "p1", "active": false}, true
		}
		return nil, false
	}}
	got, err = eval(t, obs, "subject.resolve().active", opts)
	if err != nil || render(got) != "false" {
		t.Errorf("callback resolve: %q, %v", render(got), err)
	}
}

// TestConcurrentEvaluation shares one compiled expression (and its type
// caches) between goroutines; run under -race.
func TestConcurrentEvaluation(t *testing.T) {
	model := newTinyModel()
	pat := decode(t, patientJSON)
	obs := decode(t, observationJSON)
	e := MustCompile("Patient.name.given | Observation.value.ofType(Quantity).value | subject.where(resolve() is Patient).reference")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				res, want := pat, "Peter,James,Jim"
				if i%2 == 1 {
					res, want = obs, "185.0,Patient/p1"
				}
				got, err := e.Evaluate(res, &EvalOptions{Model: model})
				if err != nil || render(got) != want {
					t.Errorf("got %q, %v", render(got), err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestWithoutModel(t *testing.T) {
	pat := decode(t, patientJSON)
	got, err := eval(t, pat, "Patient.name.given.first() & multipleBirthInteger.toString()", nil)
	if err != nil || render(got) != "Peter2" {
		t.Fatalf("got %q, %v", render(got), err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Patient.name.where(use = 'official').given.first()",
		"(Observation.value as Quantity).value > 5.4 'mg'",
		"@2012-04-15T15:00:00+02:00 + 1 year",
		"iif($this.exists(), %resource.id, {})",
		"`div` | %`vs-x` // c\n/* d */",
		"-1.5.abs() div 2 mod 3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Compile(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q): error %T is not a *SyntaxError", s, err)
			}
			return
		}
		// evaluating what parses must not panic either (errors are fine);
		// EvaluateItems turns a panic into an "internal error"
		_, err = e.EvaluateItems(nil, &EvalOptions{Model: newTinyModel()})
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("Evaluate(%q) panicked: %v", s, err)
		}
	})
}
