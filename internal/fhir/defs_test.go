package fhir

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestResourceTypes(t *testing.T) {
	rts := ResourceTypes()
	if len(rts) != 146 {
		t.Errorf("ResourceTypes() has %d types, want the 146 concrete resource types of R4 4.0.1", len(rts))
	}
	if !slices.IsSorted(rts) {
		t.Error("ResourceTypes() is not sorted")
	}
	rts[0] = "mutated"
	if ResourceTypes()[0] == "mutated" {
		t.Error("ResourceTypes() exposes internal state")
	}
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"Patient", true}, {"Bundle", true}, {"Parameters", true}, {"Binary", true},
		{"Resource", false}, {"DomainResource", false}, {"HumanName", false}, {"string", false},
		{"patient", false}, {"", false}, {"Patient.contact", false},
	} {
		if got := IsResourceType(tc.name); got != tc.want {
			t.Errorf("IsResourceType(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestLookupElement(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
		want ElementDef
	}{
		{"Patient.name", true, ElementDef{Path: "Patient.name", Min: 0, Max: -1, Types: []string{"HumanName"}}},
		{"Patient.gender", true, ElementDef{Path: "Patient.gender", Max: 1, Types: []string{"code"},
			BindingStrength: "required", ValueSet: "http://hl7.org/fhir/ValueSet/administrative-gender"}},
		{"Patient.contact.name", true, ElementDef{Path: "Patient.contact.name", Max: 1, Types: []string{"HumanName"}}},
		{"Patient.id", true, ElementDef{Path: "Patient.id", Max: 1, Types: []string{"id"}}},
		{"Observation.value[x]", true, ElementDef{Path: "Observation.value[x]", Max: 1, Types: []string{
			"Quantity", "CodeableConcept", "string", "boolean", "integer", "Range", "Ratio", "SampledData", "time", "dateTime", "Period"}}},
		{"Observation.status", true, ElementDef{Path: "Observation.status", Min: 1, Max: 1, Types: []string{"code"},
			BindingStrength: "required", ValueSet: "http://hl7.org/fhir/ValueSet/observation-status"}},
		{"Questionnaire.item.item", true, ElementDef{Path: "Questionnaire.item.item", Max: -1, Types: []string{"BackboneElement"}}},
		{"Questionnaire.item.item.linkId", true, ElementDef{Path: "Questionnaire.item.item.linkId", Min: 1, Max: 1, Types: []string{"string"}}},
		{"Bundle.entry.resource", true, ElementDef{Path: "Bundle.entry.resource", Max: 1, Types: []string{"Resource"}}},
		{"Patient.name.family", true, ElementDef{Path: "Patient.name.family", Max: 1, Types: []string{"string"}}},
		{"HumanName.given", true, ElementDef{Path: "HumanName.given", Max: -1, Types: []string{"string"}}},
		{"Extension.url", true, ElementDef{Path: "Extension.url", Min: 1, Max: 1, Types: []string{"uri"}}},
		{"Observation.valueQuantity", true, ElementDef{Path: "Observation.valueQuantity", Max: 1, Types: []string{"Quantity"}}},
		{"Observation.valueQuantity.unit", true, ElementDef{Path: "Observation.valueQuantity.unit", Max: 1, Types: []string{"string"}}},
		{"Observation.component.code", true, ElementDef{Path: "Observation.component.code", Min: 1, Max: 1, Types: []string{"CodeableConcept"}, BindingStrength: "example", ValueSet: "http://hl7.org/fhir/ValueSet/observation-codes"}},
		{"Patient.nope", false, ElementDef{}},
		{"Patient", false, ElementDef{}},
		{"Nope.id", false, ElementDef{}},
		{"Observation.value", false, ElementDef{}},
		{"Patient.gender.nope", false, ElementDef{}},
	} {
		got, ok := LookupElement(tc.path)
		if ok != tc.ok || got.Path != tc.want.Path || got.Min != tc.want.Min || got.Max != tc.want.Max ||
			!slices.Equal(got.Types, tc.want.Types) || got.BindingStrength != tc.want.BindingStrength || got.ValueSet != tc.want.ValueSet {
			t.Errorf("LookupElement(%q) = %+v, %v; want %+v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
}

func TestModel(t *testing.T) {
	m := Model()
	for _, tc := range []struct {
		parent, name string
		typ          string
		array, ok    bool
	}{
		{"Patient", "name", "HumanName", true, true},
		{"Patient", "birthDate", "date", false, true},
		{"Patient", "contact", "Patient.contact", true, true},
		{"Patient.contact", "name", "HumanName", false, true},
		{"Patient", "deceasedBoolean", "boolean", false, true},
		{"Patient", "deceasedDateTime", "dateTime", false, true},
		{"Patient", "deceased", "", false, false},
		{"Patient", "resourceType", "", false, false},
		{"Patient", "id", "id", false, true},
		{"Patient", "contained", "Resource", true, true},
		{"Observation", "valueQuantity", "Quantity", false, true},
		{"Observation", "component", "Observation.component", true, true},
		{"Observation.component", "valueString", "string", false, true},
		{"Questionnaire.item", "item", "Questionnaire.item", true, true},
		{"Bundle.entry", "resource", "Resource", false, true},
		{"HumanName", "given", "string", true, true},
		{"Extension", "url", "uri", false, true},
		{"Extension", "valueCodeableConcept", "CodeableConcept", false, true},
		{"Timing", "repeat", "Timing.repeat", false, true},
		{"Timing.repeat", "boundsDuration", "Duration", false, true},
		{"string", "extension", "Extension", true, true},
		{"Nope", "id", "", false, false},
	} {
		typ, array, ok := m.ChildType(tc.parent, tc.name)
		if typ != tc.typ || array != tc.array || ok != tc.ok {
			t.Errorf("ChildType(%q, %q) = %q, %v, %v; want %q, %v, %v", tc.parent, tc.name, typ, array, ok, tc.typ, tc.array, tc.ok)
		}
	}
	for _, tc := range []struct {
		parent, name string
		want         []string
	}{
		{"Patient", "deceased", []string{"boolean", "dateTime"}},
		{"Patient", "multipleBirth", []string{"boolean", "integer"}},
		{"Observation", "effective", []string{"dateTime", "Period", "Timing", "instant"}},
		{"Patient", "name", nil},
		{"Patient", "deceasedBoolean", nil},
		{"Nope", "value", nil},
	} {
		if got := m.ChoiceTypes(tc.parent, tc.name); !slices.Equal(got, tc.want) {
			t.Errorf("ChoiceTypes(%q, %q) = %v, want %v", tc.parent, tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct{ typ, want string }{
		{"Patient", "DomainResource"}, {"DomainResource", "Resource"}, {"Resource", ""}, {"Bundle", "Resource"},
		{"Patient.contact", "BackboneElement"}, {"Timing.repeat", "Element"}, {"BackboneElement", "Element"},
		{"Element", ""}, {"Age", "Quantity"}, {"Quantity", "Element"}, {"code", "string"}, {"string", "Element"},
		{"positiveInt", "integer"}, {"Dosage", "BackboneElement"}, {"Nope", ""},
	} {
		if got := m.BaseType(tc.typ); got != tc.want {
			t.Errorf("BaseType(%q) = %q, want %q", tc.typ, got, tc.want)
		}
	}
}

func TestSearchParams(t *testing.T) {
	ps := SearchParams("Patient")
	codes := map[string]bool{}
	for _, p := range ps {
		codes[p.Code] = true
	}
	for _, c := range []string{"_id", "_lastUpdated", "_tag", "_profile", "_security", "_text", "_content", "name", "birthdate", "identifier", "gender", "general-practitioner"} {
		if !codes[c] {
			t.Errorf("SearchParams(Patient) lacks %s", c)
		}
	}
	if !slices.IsSortedFunc(ps, func(a, b SearchParam) int {
		if a.Code < b.Code {
			return -1
		}
		if a.Code > b.Code {
			return 1
		}
		return 0
	}) {
		t.Error("SearchParams(Patient) is not sorted by code")
	}
	if got := SearchParams("Bundle"); len(got) == 0 || slices.ContainsFunc(got, func(p SearchParam) bool { return p.Code == "_text" }) {
		t.Error("Bundle (a Resource, not a DomainResource) must have Resource's parameters but not _text")
	}
	if SearchParams("HumanName") != nil || SearchParams("Nope") != nil {
		t.Error("SearchParams of a non-resource must be nil")
	}

	sp, ok := LookupSearchParam("Observation", "subject")
	if !ok || sp.Type != "reference" || sp.URL != "http://hl7.org/fhir/SearchParameter/Observation-subject" ||
		sp.Expression != "Observation.subject" || !slices.Contains(sp.Target, "Patient") {
		t.Errorf("LookupSearchParam(Observation, subject) = %+v, %v", sp, ok)
	}
	sp, ok = LookupSearchParam("Observation", "code-value-quantity")
	if !ok || sp.Type != "composite" || len(sp.Component) != 2 || sp.Component[1].Expression != "value.as(Quantity)" {
		t.Errorf("LookupSearchParam(Observation, code-value-quantity) = %+v, %v", sp, ok)
	}
	sp, ok = LookupSearchParam("Observation", "date")
	if !ok || sp.Type != "date" || !slices.Contains(sp.Comparator, "ge") && len(sp.Comparator) != 0 {
		t.Errorf("LookupSearchParam(Observation, date) = %+v, %v", sp, ok)
	}
	if sp, ok := LookupSearchParam("Encounter", "_lastUpdated"); !ok || sp.Type != "date" || sp.Expression != "Resource.meta.lastUpdated" {
		t.Errorf("LookupSearchParam(Encounter, _lastUpdated) = %+v, %v", sp, ok)
	}
	if _, ok := LookupSearchParam("Patient", "nope"); ok {
		t.Error("LookupSearchParam(Patient, nope) found something")
	}
}

func TestCompartmentParams(t *testing.T) {
	for _, tc := range []struct {
		comp, typ string
		want      []string
	}{
		{"Patient", "Observation", []string{"subject", "performer"}},
		{"Patient", "Patient", []string{"link"}},
		{"Patient", "Encounter", []string{"patient"}},
		{"Patient", "Organization", nil},
		{"Encounter", "Observation", []string{"encounter"}},
		{"Practitioner", "Encounter", []string{"practitioner", "participant"}},
		{"RelatedPerson", "Observation", []string{"performer"}},
		{"Device", "Observation", []string{"subject", "device"}},
		{"Nope", "Observation", nil},
	} {
		if got := CompartmentParams(tc.comp, tc.typ); !slices.Equal(got, tc.want) {
			t.Errorf("CompartmentParams(%q, %q) = %v, want %v", tc.comp, tc.typ, got, tc.want)
		}
	}
}

func TestEmbeddedDefsDecode(t *testing.T) {
	start := time.Now()
	d, err := loadDefs(r4defsGz)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("embedded definitions: %d bytes gzip'd, %d types, decoded in %v", len(r4defsGz), len(d.types), time.Since(start))
	for url := range d.skipped {
		switch url {
		case "http://hl7.org/fhir/ValueSet/mimetypes", "http://hl7.org/fhir/ValueSet/currencies":
		default:
			t.Errorf("required value set %s could not be expanded: %s", url, d.skipped[url])
		}
	}
}

// TestGeneratedUpToDate regenerates the definitions from the npm package and
// compares the decompressed content with the embedded file.
func TestGeneratedUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerating the definitions takes a few seconds")
	}
	dir := examplesDir(t)
	out := filepath.Join(t.TempDir(), "r4defs.json.gz")
	cmd := exec.Command("go", "run", "./gen", "-dir", dir, "-out", out)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run ./gen: %v", err)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gunzip(t, fresh), gunzip(t, r4defsGz)) {
		t.Fatal("r4defs.json.gz is stale: run go generate ./internal/fhir")
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
