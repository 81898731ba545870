package search

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir"
)

const idxTestBase = "https://hc.example/fhir"

var idxTestIndexer = sync.OnceValues(func() (*Indexer, error) {
	return NewIndexer(IndexerOptions{BaseURL: idxTestBase + "/"})
})

func idxMustIndexer(t testing.TB) *Indexer {
	t.Helper()
	ix, err := idxTestIndexer()
	if err != nil {
		t.Fatalf("NewIndexer: %v", err)
	}
	return ix
}

// idxExtractJSON decodes a resource and extracts its entries.
func idxExtractJSON(t testing.TB, js string) []Entry {
	t.Helper()
	res, issues := fhir.Decode([]byte(js))
	if fhir.HasErrors(issues) {
		t.Fatalf("decoding test resource: %v", issues)
	}
	es, err := idxMustIndexer(t).Extract(res)
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	return es
}

func idxOnly(es []Entry, param string) []Entry {
	var out []Entry
	for _, e := range es {
		if e.Param == param {
			out = append(out, e)
		}
	}
	return out
}

// idxUTC is an RFC 3339 instant in microseconds.
func idxUTC(t testing.TB, s string) int64 {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad test instant %q: %v", s, err)
	}
	return tm.UnixMicro()
}

type idxCase struct {
	name, res, param string
	want             []Entry
}

func idxRun(t *testing.T, cases []idxCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := idxOnly(idxExtractJSON(t, tc.res), tc.param)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s entries:\n got %+v\nwant %+v", tc.param, got, tc.want)
			}
		})
	}
}

func idxS(p, norm, exact string) Entry {
	return Entry{Param: p, Kind: KindString, Norm: norm, Exact: exact}
}
func idxT(p, sys, code, text string) Entry {
	return Entry{Param: p, Kind: KindToken, System: sys, Code: code, Text: text}
}

func TestIndexString(t *testing.T) {
	names := `{"resourceType":"Patient","name":[
		{"family":"Zoë","given":["Anna","Marie"],"prefix":["Dr."],"text":"Dr.  Anna\tMarie ZOË"},
		{"family":"Smith","given":["Anna"]}],
		"address":[{"line":["1 Rue de l'Église"],"city":"Montréal","postalCode":"H2X 1Y4","country":"CA"}]}`
	idxRun(t, []idxCase{
		{"family with accents, two names", names, "family", []Entry{
			idxS("family", "zoe", "Zoë"), idxS("family", "smith", "Smith")}},
		{"given deduplicated across names", names, "given", []Entry{
			idxS("given", "anna", "Anna"), idxS("given", "marie", "Marie")}},
		{"name covers every part and text", names, "name", []Entry{
			idxS("name", "zoe", "Zoë"), idxS("name", "anna", "Anna"), idxS("name", "marie", "Marie"),
			idxS("name", "dr.", "Dr."), idxS("name", "dr. anna marie zoe", "Dr.  Anna\tMarie ZOË"),
			idxS("name", "smith", "Smith")}},
		{"address parts", names, "address", []Entry{
			idxS("address", "1 rue de l'eglise", "1 Rue de l'Église"), idxS("address", "montreal", "Montréal"),
			idxS("address", "h2x 1y4", "H2X 1Y4"), idxS("address", "ca", "CA")}},
		{"address-city", names, "address-city", []Entry{idxS("address-city", "montreal", "Montréal")}},
		{"no name", `{"resourceType":"Patient"}`, "name", nil},
		{"blank strings skipped", `{"resourceType":"Patient","name":[{"family":"  ","given":[""]}]}`, "name", nil},
	})
}

func TestIndexNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"smith":              "smith",
		"Smith":              "smith",
		"  Van   der\tBerg ": "van der berg",
		"Zoë":                "zoe",
		"ZOË":                "zoe",
		"Ångström":           "angstrom",
		"Çağrı":              "cagrı", // dotless ı has no decomposition
		"José María":         "jose maria",
		"Straße":             "straße", // ß does not decompose
		"Zoe\u0308":          "zoe",    // already decomposed
		"Łódź":               "łodz",   // Ł has no decomposition
		"Ἀθῆναι":             "αθηναι",
		"a\u00a0b":           "a b", // no-break space is white space
	} {
		if got := idxNormalize(in); got != want {
			t.Errorf("idxNormalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIndexToken(t *testing.T) {
	pat := `{"resourceType":"Patient","id":"p1","active":true,"gender":"female",
		"meta":{"tag":[{"system":"urn:tags","code":"vip","display":"Very Important"}],
			"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
		"identifier":[
			{"system":"urn:oid:1.2.36.146.595.217.0.1","value":"12345",
			 "type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}],"text":"Medical Record"}},
			{"value":"no-system"}],
		"telecom":[{"system":"phone","value":"+1 555 0100","use":"home"},{"system":"email","value":"a@b.example"}]}`
	obs := `{"resourceType":"Observation","status":"final","code":{
		"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body Weight"},
		          {"system":"http://snomed.info/sct","code":"27113001"}],
		"text":"Weight"}}`
	idxRun(t, []idxCase{
		{"boolean", pat, "active", []Entry{idxT("active", "", "true", "")}},
		{"code", pat, "gender", []Entry{idxT("gender", "", "female", "")}},
		{"computed boolean", pat, "deceased", []Entry{idxT("deceased", "", "false", "")}},
		{"deceased dateTime", `{"resourceType":"Patient","deceasedDateTime":"2020-01-01"}`, "deceased", []Entry{idxT("deceased", "", "true", "")}},
		{"id", pat, "_id", []Entry{idxT("_id", "", "p1", "")}},
		{"identifiers with and without system", pat, "identifier", []Entry{
			idxT("identifier", "urn:oid:1.2.36.146.595.217.0.1", "12345", "medical record"),
			idxT("identifier", "", "no-system", "")}},
		{"identifier of-type", pat, "identifier:of-type", []Entry{
			idxT("identifier:of-type", "http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "12345")}},
		{"telecom", pat, "telecom", []Entry{idxT("telecom", "", "+1 555 0100", ""), idxT("telecom", "", "a@b.example", "")}},
		{"phone filters by system", pat, "phone", []Entry{idxT("phone", "", "+1 555 0100", "")}},
		{"email", pat, "email", []Entry{idxT("email", "", "a@b.example", "")}},
		{"_tag", pat, "_tag", []Entry{idxT("_tag", "urn:tags", "vip", "very important")}},
		{"_security", pat, "_security", []Entry{idxT("_security", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", "")}},
		{"CodeableConcept codings and text", obs, "code", []Entry{
			idxT("code", "http://loinc.org", "29463-7", "body weight"),
			idxT("code", "http://snomed.info/sct", "27113001", ""),
			idxT("code", "", "", "weight")}},
		{"status", obs, "status", []Entry{idxT("status", "", "final", "")}},
	})
}

func idxR(p, typ, id, version, url string) Entry {
	return Entry{Param: p, Kind: KindReference, RefType: typ, RefID: id, RefVersion: version, RefURL: url}
}

func TestIndexReference(t *testing.T) {
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"x"},
		"subject":{"reference":"Patient/123"},
		"contained":[{"resourceType":"Practitioner","id":"c1"}],
		"performer":[
			{"reference":"Practitioner/7/_history/4"},
			{"reference":"` + idxTestBase + `/Organization/9"},
			{"reference":"https://other.example/fhir/Practitioner/9"},
			{"reference":"urn:uuid:6b9e1e3c-7c62-4b0e-9d5e-0d8b1c1f2a33"},
			{"reference":"#c1"},
			{"type":"Practitioner","identifier":{"system":"urn:npi","value":"1234567890"}},
			{"reference":"Practitioner/7/_history/4"},
			{"display":"only a display"}]}`
	idxRun(t, []idxCase{
		{"relative", obs, "subject", []Entry{idxR("subject", "Patient", "123", "", "")}},
		{"patient via resolve() is Patient", obs, "patient", []Entry{idxR("patient", "Patient", "123", "", "")}},
		{"every form", obs, "performer", []Entry{
			idxR("performer", "Practitioner", "7", "4", ""),
			idxR("performer", "Organization", "9", "", ""),
			idxR("performer", "", "", "", "https://other.example/fhir/Practitioner/9"),
			idxR("performer", "", "", "", "urn:uuid:6b9e1e3c-7c62-4b0e-9d5e-0d8b1c1f2a33"),
			{Param: "performer", Kind: KindReference, RefType: "Practitioner", System: "urn:npi", Code: "1234567890"}}},
		{"canonical keeps version", `{"resourceType":"QuestionnaireResponse","status":"completed",
			"questionnaire":"http://q.example/Questionnaire/phq9|2.0"}`, "questionnaire", []Entry{
			idxR("questionnaire", "", "", "2.0", "http://q.example/Questionnaire/phq9|2.0")}},
		{"unknown type stays a URL", `{"resourceType":"Observation","status":"final","code":{"text":"x"},
			"subject":{"reference":"Nonsense/1"}}`, "subject", []Entry{idxR("subject", "", "", "", "Nonsense/1")}},
		{"contained reference only", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"p1"}],
			"generalPractitioner":[{"reference":"#p1"}]}`, "general-practitioner", nil},
	})
}

func TestIndexReferenceWithoutBaseURL(t *testing.T) {
	ix, err := NewIndexer(IndexerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fhir.Decode([]byte(`{"resourceType":"Patient","managingOrganization":{"reference":"` + idxTestBase + `/Organization/9"}}`))
	es, err := ix.Extract(res)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{idxR("organization", "", "", "", idxTestBase+"/Organization/9")}
	if got := idxOnly(es, "organization"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestIndexContainedNotIndexed(t *testing.T) {
	es := idxExtractJSON(t, `{"resourceType":"Patient","name":[{"family":"Outer"}],
		"contained":[{"resourceType":"Patient","id":"in","name":[{"family":"Inner"}],"gender":"male"}]}`)
	if got, want := idxOnly(es, "family"), []Entry{idxS("family", "outer", "Outer")}; !reflect.DeepEqual(got, want) {
		t.Errorf("family = %+v, want %+v", got, want)
	}
	if got := idxOnly(es, "gender"); got != nil {
		t.Errorf("gender of the contained resource leaked: %+v", got)
	}
}

func TestIndexURI(t *testing.T) {
	idxRun(t, []idxCase{
		{"_profile", `{"resourceType":"Patient","meta":{"profile":["http://x.example/sd/p|1.0","http://x.example/sd/q"]}}`, "_profile", []Entry{
			{Param: "_profile", Kind: KindURI, Exact: "http://x.example/sd/p|1.0"},
			{Param: "_profile", Kind: KindURI, Exact: "http://x.example/sd/q"}}},
		{"_source", `{"resourceType":"Patient","meta":{"source":"urn:src:1"}}`, "_source", []Entry{
			{Param: "_source", Kind: KindURI, Exact: "urn:src:1"}}},
		{"url", `{"resourceType":"ValueSet","status":"active","url":"http://x.example/ValueSet/v"}`, "url", []Entry{
			{Param: "url", Kind: KindURI, Exact: "http://x.example/ValueSet/v"}}},
	})
}
