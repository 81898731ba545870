package fhir

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

type wantIssue struct{ code, expr string }

func issuesOf(issues []Issue) []wantIssue {
	out := make([]wantIssue, 0, len(issues))
	for _, is := range issues {
		out = append(out, wantIssue{is.Code, is.Expression})
	}
	return out
}

func mustDecode(t testing.TB, s string) map[string]any {
	t.Helper()
	res, issues := Decode([]byte(s))
	if len(issues) > 0 {
		t.Fatalf("Decode: %+v", issues)
	}
	return res
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		json     string
		expected string
		want     []wantIssue // exact, in order
	}{
		// resourceType
		{"minimal patient", `{"resourceType":"Patient"}`, "", nil},
		{"expected type ok", `{"resourceType":"Patient"}`, "Patient", nil},
		{"expected type mismatch", `{"resourceType":"Patient"}`, "Observation", []wantIssue{{"invalid", "resourceType"}}},
		{"missing resourceType", `{"id":"x"}`, "", []wantIssue{{"required", "resourceType"}}},
		{"unknown resourceType", `{"resourceType":"Patientx"}`, "", []wantIssue{{"invalid", "resourceType"}}},
		{"abstract resourceType", `{"resourceType":"DomainResource"}`, "", []wantIssue{{"invalid", "resourceType"}}},
		{"resourceType not a string", `{"resourceType":5}`, "", []wantIssue{{"invalid", "resourceType"}}},

		// unknown elements, choice types
		{"unknown element", `{"resourceType":"Patient","foo":1}`, "", []wantIssue{{"structure", "Patient.foo"}}},
		{"unknown nested element", `{"resourceType":"Patient","name":[{"family":"X"},{"given":["a"],"bogus":true}]}`, "",
			[]wantIssue{{"structure", "Patient.name[1].bogus"}}},
		{"choice ok", `{"resourceType":"Patient","deceasedBoolean":false}`, "", nil},
		{"choice bad suffix", `{"resourceType":"Patient","deceasedString":"x"}`, "", []wantIssue{{"structure", "Patient.deceasedString"}}},
		{"choice base name", `{"resourceType":"Patient","deceased":true}`, "", []wantIssue{{"structure", "Patient.deceased"}}},
		{"two choice variants", `{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020"}`, "",
			[]wantIssue{{"structure", "Patient.deceased"}}},
		{"choice in backbone", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"component":[{"code":{"text":"c"},"valueQuantity":{"value":1.5}}]}`, "", nil},
		{"choice wrong JSON type", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":"1"}`, "",
			[]wantIssue{{"structure", "Observation.valueQuantity"}}},

		// cardinality
		{"required missing", `{"resourceType":"Observation","code":{"text":"x"}}`, "", []wantIssue{{"required", "Observation.status"}}},
		{"required missing in backbone", `{"resourceType":"Patient","link":[{"type":"seealso"}]}`, "", []wantIssue{{"required", "Patient.link[0].other"}}},
		{"required in datatype", `{"resourceType":"Patient","extension":[{"valueString":"x"}]}`, "", []wantIssue{{"required", "Patient.extension[0].url"}}},
		{"required satisfied by primitive extension", `{"resourceType":"Observation","_status":{"extension":[{"url":"http://x","valueString":"y"}]},"code":{"text":"x"}}`, "", nil},
		{"required choice", `{"resourceType":"Questionnaire","status":"active","item":[{"linkId":"1","type":"string","enableWhen":[{"question":"q","operator":"exists"}]}]}`, "",
			[]wantIssue{{"required", "Questionnaire.item[0].enableWhen[0].answer[x]"}}},
		{"max 1 given an array", `{"resourceType":"Patient","gender":["male"]}`, "", []wantIssue{{"structure", "Patient.gender"}}},
		{"max * given a single value", `{"resourceType":"Patient","name":{"family":"X"}}`, "", []wantIssue{{"structure", "Patient.name"}}},
		{"empty array", `{"resourceType":"Patient","name":[]}`, "", []wantIssue{{"structure", "Patient.name"}}},
		{"empty object", `{"resourceType":"Patient","name":[{}]}`, "", []wantIssue{{"structure", "Patient.name[0]"}}},
		{"empty string", `{"resourceType":"Patient","name":[{"family":""}]}`, "", []wantIssue{{"value", "Patient.name[0].family"}}},
		{"null value", `{"resourceType":"Patient","gender":null}`, "", []wantIssue{{"structure", "Patient.gender"}}},
		{"null in array", `{"resourceType":"Patient","name":[{"given":["a",null]}]}`, "", []wantIssue{{"structure", "Patient.name[0].given[1]"}}},

		// primitive extensions
		{"primitive extension", `{"resourceType":"Patient","birthDate":"1970","_birthDate":{"id":"a","extension":[{"url":"http://x","valueString":"y"}]}}`, "", nil},
		{"primitive extension aligned", `{"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,{"extension":[{"url":"http://x","valueCode":"y"}]}]}]}`, "", nil},
		{"primitive extension misaligned", `{"resourceType":"Patient","name":[{"given":["a","b"],"_given":[null]}]}`, "",
			[]wantIssue{{"structure", "Patient.name[0]._given"}, {"structure", "Patient.name[0]._given"}}},
		{"primitive extension on complex", `{"resourceType":"Patient","_name":{"id":"x"}}`, "", []wantIssue{{"structure", "Patient._name"}}},
		{"primitive extension bad key", `{"resourceType":"Patient","_gender":{"value":"x"}}`, "", []wantIssue{{"structure", "Patient._gender.value"}}},
		{"primitive extension not object", `{"resourceType":"Patient","_gender":"x"}`, "", []wantIssue{{"structure", "Patient._gender"}}},
		{"primitive extension single for array", `{"resourceType":"Patient","name":[{"given":["a"],"_given":{"id":"x"}}]}`, "", []wantIssue{{"structure", "Patient.name[0]._given"}}},
		{"unknown underscore key", `{"resourceType":"Patient","_foo":{"id":"x"}}`, "", []wantIssue{{"structure", "Patient._foo"}}},

		// primitive formats
		{"id ok", `{"resourceType":"Patient","id":"a-b.C9"}`, "", nil},
		{"id bad char", `{"resourceType":"Patient","id":"a_b"}`, "", []wantIssue{{"value", "Patient.id"}}},
		{"id too long", `{"resourceType":"Patient","id":"` + strings.Repeat("a", 65) + `"}`, "", []wantIssue{{"value", "Patient.id"}}},
		{"date ok", `{"resourceType":"Patient","birthDate":"2000-02-29"}`, "", nil},
		{"date not leap", `{"resourceType":"Patient","birthDate":"2001-02-29"}`, "", []wantIssue{{"value", "Patient.birthDate"}}},
		{"date with time", `{"resourceType":"Patient","birthDate":"2001-02-01T00:00:00Z"}`, "", []wantIssue{{"value", "Patient.birthDate"}}},
		{"date month 13", `{"resourceType":"Patient","birthDate":"2001-13"}`, "", []wantIssue{{"value", "Patient.birthDate"}}},
		{"dateTime ok", `{"resourceType":"Patient","deceasedDateTime":"2015-02-07T13:28:17.239+02:00"}`, "", nil},
		{"dateTime no zone", `{"resourceType":"Patient","deceasedDateTime":"2015-02-07T13:28:17"}`, "", []wantIssue{{"value", "Patient.deceasedDateTime"}}},
		{"dateTime no seconds", `{"resourceType":"Patient","deceasedDateTime":"2015-02-07T13:28Z"}`, "", []wantIssue{{"value", "Patient.deceasedDateTime"}}},
		{"instant ok", `{"resourceType":"Patient","meta":{"lastUpdated":"2015-02-07T13:28:17.239Z"}}`, "", nil},
		{"instant partial", `{"resourceType":"Patient","meta":{"lastUpdated":"2015-02-07"}}`, "", []wantIssue{{"value", "Patient.meta.lastUpdated"}}},
		{"time ok", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueTime":"23:59:60.5"}`, "", nil},
		{"time bad", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueTime":"24:00:00"}`, "", []wantIssue{{"value", "Observation.valueTime"}}},
		{"uri with space", `{"resourceType":"Patient","implicitRules":"http://a b"}`, "", []wantIssue{{"value", "Patient.implicitRules"}}},
		{"code whitespace", `{"resourceType":"Patient","gender":" male"}`, "", []wantIssue{{"value", "Patient.gender"}}},
		{"code double space", `{"resourceType":"Patient","language":"en  US"}`, "", []wantIssue{{"value", "Patient.language"}}},
		{"decimal as string", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"1.0"}}`, "",
			[]wantIssue{{"structure", "Observation.valueQuantity.value"}}},
		{"decimal ok", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":-1.50e3}}`, "", nil},
		{"integer fraction", `{"resourceType":"Patient","multipleBirthInteger":1.5}`, "", []wantIssue{{"value", "Patient.multipleBirthInteger"}}},
		{"integer overflow", `{"resourceType":"Patient","multipleBirthInteger":2147483648}`, "", []wantIssue{{"value", "Patient.multipleBirthInteger"}}},
		{"integer min", `{"resourceType":"Patient","multipleBirthInteger":-2147483648}`, "", nil},
		{"positiveInt zero", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueSampledData":{"origin":{"value":1},"period":1,"dimensions":0}}`, "",
			[]wantIssue{{"value", "Observation.valueSampledData.dimensions"}}},
		{"positiveInt ok", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueSampledData":{"origin":{"value":1},"period":1,"dimensions":1}}`, "", nil},
		{"unsignedInt negative", `{"resourceType":"Patient","photo":[{"size":-1}]}`, "", []wantIssue{{"value", "Patient.photo[0].size"}}},
		{"unsignedInt zero", `{"resourceType":"Patient","photo":[{"size":0}]}`, "", nil},
		{"boolean as string", `{"resourceType":"Patient","active":"true"}`, "", []wantIssue{{"structure", "Patient.active"}}},
		{"string as number", `{"resourceType":"Patient","name":[{"family":5}]}`, "", []wantIssue{{"structure", "Patient.name[0].family"}}},
		{"base64 ok", `{"resourceType":"Patient","photo":[{"data":"aGVs\nbG8="}]}`, "", nil},
		{"base64 bad", `{"resourceType":"Patient","photo":[{"data":"a$=="}]}`, "", []wantIssue{{"value", "Patient.photo[0].data"}}},
		{"xhtml ok", `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}}`, "", nil},
		{"xhtml not div", `{"resourceType":"Patient","text":{"status":"generated","div":"<p>x</p>"}}`, "", []wantIssue{{"value", "Patient.text.div"}}},
		{"oid ok", `{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.3"}]}`, "", nil},
		{"uuid bad", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1},"extension":[{"url":"http://x","valueUuid":"urn:uuid:ABC"}]}`, "",
			[]wantIssue{{"value", "Observation.extension[0].valueUuid"}}},
		{"string over 1M characters", `{"resourceType":"Patient","name":[{"family":"` + strings.Repeat("a", 1<<20+1) + `"}]}`, "", []wantIssue{{"value", "Patient.name[0].family"}}},

		// required code bindings
		{"gender ok", `{"resourceType":"Patient","gender":"unknown"}`, "", nil},
		{"gender bad", `{"resourceType":"Patient","gender":"M"}`, "", []wantIssue{{"code-invalid", "Patient.gender"}}},
		{"encounter status bad", `{"resourceType":"Encounter","status":"done","class":{"code":"AMB"}}`, "", []wantIssue{{"code-invalid", "Encounter.status"}}},
		{"observation status bad", `{"resourceType":"Observation","status":"Final","code":{"text":"x"}}`, "", []wantIssue{{"code-invalid", "Observation.status"}}},
		{"bundle type bad", `{"resourceType":"Bundle","type":"batchy"}`, "", []wantIssue{{"code-invalid", "Bundle.type"}}},
		{"http verb bad", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"FETCH","url":"Patient"}}]}`, "",
			[]wantIssue{{"code-invalid", "Bundle.entry[0].request.method"}}},
		{"binding in datatype", `{"resourceType":"Patient","name":[{"use":"nick"}],"telecom":[{"system":"pager","use":"pager"}]}`, "",
			[]wantIssue{{"code-invalid", "Patient.name[0].use"}, {"code-invalid", "Patient.telecom[0].use"}}},
		{"unexpandable binding not checked", `{"resourceType":"Patient","photo":[{"contentType":"image/x-anything"}]}`, "", nil},
		{"code from hierarchical code system", `{"resourceType":"Patient","extension":[{"url":"http://x","valueCode":"x"}],"contact":[{"gender":"other"}]}`, "", nil},

		// references
		{"relative reference", `{"resourceType":"Patient","generalPractitioner":[{"reference":"Practitioner/abc-1"}]}`, "", nil},
		{"versioned reference", `{"resourceType":"Patient","generalPractitioner":[{"reference":"Practitioner/abc/_history/2"}]}`, "", nil},
		{"absolute reference", `{"resourceType":"Patient","generalPractitioner":[{"reference":"https://example.org/fhir/Practitioner/1"}]}`, "", nil},
		{"urn:uuid reference", `{"resourceType":"Patient","generalPractitioner":[{"reference":"urn:uuid:9d7b8b6a-2a4c-4b5e-8f1a-0c2d3e4f5a6b"}]}`, "", nil},
		{"urn:oid reference", `{"resourceType":"Patient","generalPractitioner":[{"reference":"urn:oid:1.2.3.4"}]}`, "", nil},
		{"conditional reference", `{"resourceType":"Patient","generalPractitioner":[{"reference":"Practitioner?identifier=http://x|1"}]}`, "", nil},
		{"unknown type reference", `{"resourceType":"Patient","generalPractitioner":[{"reference":"Doctor/1"}]}`, "",
			[]wantIssue{{"value", "Patient.generalPractitioner[0].reference"}}},
		{"bad id reference", `{"resourceType":"Patient","generalPractitioner":[{"reference":"Practitioner/a b"}]}`, "",
			[]wantIssue{{"value", "Patient.generalPractitioner[0].reference"}}},
		{"bad uuid reference", `{"resourceType":"Patient","generalPractitioner":[{"reference":"urn:uuid:123"}]}`, "",
			[]wantIssue{{"value", "Patient.generalPractitioner[0].reference"}}},
		{"dangling local reference", `{"resourceType":"Patient","generalPractitioner":[{"reference":"#p1"}]}`, "",
			[]wantIssue{{"value", "Patient.generalPractitioner[0].reference"}}},
		{"local reference", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"p1"}],"generalPractitioner":[{"reference":"#p1"}]}`, "", nil},
		{"local reference from contained", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"p1"},{"resourceType":"PractitionerRole","id":"r1","practitioner":{"reference":"#p1"}}],"generalPractitioner":[{"reference":"#r1"}]}`, "", nil},

		// contained and nested resources
		{"contained invalid element", `{"resourceType":"Patient","contained":[{"resourceType":"Patient","id":"c","gender":"x"}],"link":[{"other":{"reference":"#c"},"type":"seealso"}]}`, "",
			[]wantIssue{{"code-invalid", "Patient.contained[0].gender"}}},
		{"contained without id", `{"resourceType":"Patient","contained":[{"resourceType":"Patient"}]}`, "", []wantIssue{{"required", "Patient.contained[0].id"}}},
		{"contained contains", `{"resourceType":"Patient","contained":[{"resourceType":"Patient","id":"a","contained":[{"resourceType":"Patient","id":"b"}]}]}`, "",
			[]wantIssue{{"invalid", "Patient.contained[0].contained"}}},
		{"contained with versionId", `{"resourceType":"Patient","contained":[{"resourceType":"Patient","id":"a","meta":{"versionId":"1","lastUpdated":"2020-01-01T00:00:00Z"}}]}`, "",
			[]wantIssue{{"invalid", "Patient.contained[0].meta.lastUpdated"}, {"invalid", "Patient.contained[0].meta.versionId"}}},
		{"contained unknown type", `{"resourceType":"Patient","contained":[{"resourceType":"Nope","id":"a"}]}`, "", []wantIssue{{"invalid", "Patient.contained[0]"}}},
		{"contained not object", `{"resourceType":"Patient","contained":["x"]}`, "", []wantIssue{{"structure", "Patient.contained[0]"}}},
		{"bundle entry", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient"}},{"resource":{"resourceType":"Patient"}},{"resource":{"resourceType":"Observation","status":"nope","code":{"text":"x"}}}]}`, "",
			[]wantIssue{{"code-invalid", "Bundle.entry[2].resource.status"}}},
		{"bundle entry local refs are per resource", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"p"}],"generalPractitioner":[{"reference":"#p"}]}},{"resource":{"resourceType":"Patient","generalPractitioner":[{"reference":"#p"}]}}]}`, "",
			[]wantIssue{{"value", "Bundle.entry[1].resource.generalPractitioner[0].reference"}}},
		{"bundle entry missing resourceType", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"id":"x"}}]}`, "",
			[]wantIssue{{"required", "Bundle.entry[0].resource"}}},
		{"parameters resource", `{"resourceType":"Parameters","parameter":[{"name":"p","resource":{"resourceType":"Patient","active":1}}]}`, "",
			[]wantIssue{{"structure", "Parameters.parameter[0].resource.active"}}},
		{"nested bundle in bundle", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","foo":1}}]}}]}`, "",
			[]wantIssue{{"structure", "Bundle.entry[0].resource.entry[0].resource.foo"}}},

		// extensions
		{"extension with value", `{"resourceType":"Patient","extension":[{"url":"http://x","valueString":"y"}]}`, "", nil},
		{"extension nested", `{"resourceType":"Patient","extension":[{"url":"http://x","extension":[{"url":"a","valueInteger":1}]}]}`, "", nil},
		{"extension both", `{"resourceType":"Patient","extension":[{"url":"http://x","valueString":"y","extension":[{"url":"a","valueInteger":1}]}]}`, "",
			[]wantIssue{{"invalid", "Patient.extension[0]"}}},
		{"extension neither", `{"resourceType":"Patient","extension":[{"url":"http://x"}]}`, "", []wantIssue{{"invalid", "Patient.extension[0]"}}},
		{"extension value with only primitive extension", `{"resourceType":"Patient","extension":[{"url":"http://x","_valueString":{"extension":[{"url":"a","valueInteger":1}]}}]}`, "", nil},
		{"extension bad value type", `{"resourceType":"Patient","extension":[{"url":"http://x","valueFoo":"y"}]}`, "",
			[]wantIssue{{"structure", "Patient.extension[0].valueFoo"}}},
		{"modifierExtension without url", `{"resourceType":"Patient","modifierExtension":[{"valueBoolean":true}]}`, "",
			[]wantIssue{{"required", "Patient.modifierExtension[0].url"}}},

		// contentReference
		{"nested questionnaire items", `{"resourceType":"Questionnaire","status":"active","item":[{"linkId":"1","type":"group","item":[{"linkId":"1.1","type":"string","item":[{"type":"string"}]}]}]}`, "",
			[]wantIssue{{"required", "Questionnaire.item[0].item[0].item[0].linkId"}}},
		{"nested questionnaire item bad code", `{"resourceType":"Questionnaire","status":"active","item":[{"linkId":"1","type":"group","item":[{"linkId":"1.1","type":"text-ish"}]}]}`, "",
			[]wantIssue{{"code-invalid", "Questionnaire.item[0].item[0].type"}}},

		// many issues are all reported
		{"several issues", `{"resourceType":"Patient","id":"a b","gender":"x","birthDate":"1-1","foo":true,"name":[{"given":[""]}]}`, "",
			[]wantIssue{{"value", "Patient.birthDate"}, {"structure", "Patient.foo"}, {"code-invalid", "Patient.gender"}, {"value", "Patient.id"}, {"value", "Patient.name[0].given[0]"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustDecode(t, tc.json)
			issues := Validate(res, tc.expected)
			if got := issuesOf(issues); !slices.Equal(got, tc.want) {
				t.Errorf("Validate = %v, want %v\n%+v", got, tc.want, issues)
			}
			for _, is := range issues {
				if is.Severity != "error" || is.Diagnostics == "" {
					t.Errorf("issue %+v: want severity error and a diagnostic", is)
				}
			}
			if HasErrors(issues) != (len(tc.want) > 0) {
				t.Errorf("HasErrors = %v", HasErrors(issues))
			}
		})
	}
}

func TestValidateDiagnosticsHaveNoValues(t *testing.T) {
	res := mustDecode(t, `{"resourceType":"Patient","id":"SECRET_1","gender":"SECRET2","birthDate":"SECRET3","name":[{"family":7}],"generalPractitioner":[{"reference":"SECRET4"}],"telecom":[{"system":"SECRET5"}]}`)
	issues := Validate(res, "")
	if len(issues) != 6 {
		t.Fatalf("want 6 issues, got %+v", issues)
	}
	for _, is := range issues {
		if strings.Contains(is.Diagnostics, "SECRET") {
			t.Errorf("diagnostic leaks the value: %+v", is)
		}
	}
	if !strings.Contains(issuesByExpr(issues)["Patient.gender"].Diagnostics, "male | female | other | unknown") {
		t.Errorf("code-invalid diagnostic should list the allowed codes: %+v", issues)
	}
}

func issuesByExpr(issues []Issue) map[string]Issue {
	m := map[string]Issue{}
	for _, is := range issues {
		m[is.Expression] = is
	}
	return m
}

func TestValidateIssueCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Patient"`)
	for i := range 500 {
		fmt.Fprintf(&b, `,"unknown%d":1`, i)
	}
	b.WriteString(`}`)
	issues := Validate(mustDecode(t, b.String()), "")
	if len(issues) != maxIssues {
		t.Fatalf("got %d issues, want %d", len(issues), maxIssues)
	}
	last := issues[len(issues)-1]
	if last.Code != "too-costly" || !strings.Contains(last.Diagnostics, "too many issues") {
		t.Errorf("last issue = %+v, want the too-many-issues marker", last)
	}
	if !HasErrors(issues) {
		t.Error("HasErrors = false")
	}
}

func TestHasErrors(t *testing.T) {
	for _, tc := range []struct {
		sev  []string
		want bool
	}{
		{nil, false}, {[]string{"warning", "information"}, false}, {[]string{"warning", "error"}, true}, {[]string{"fatal"}, true},
	} {
		var issues []Issue
		for _, s := range tc.sev {
			issues = append(issues, Issue{Severity: s})
		}
		if got := HasErrors(issues); got != tc.want {
			t.Errorf("HasErrors(%v) = %v", tc.sev, got)
		}
	}
}

// TestPrimitiveValidatorsMatchRegex cross-checks the hand-written format
// checks against the official regexes embedded from the definitions.
func TestPrimitiveValidatorsMatchRegex(t *testing.T) {
	inputs := []string{
		"2020", "2020-01", "2020-01-31", "2020-1", "20201", "0000", "0001", "2020-00", "2020-12-32", "2020-01-01T",
		"2020-01-01T10:00:00Z", "2020-01-01T10:00:00.123+14:00", "2020-01-01T10:00:00+14:01", "2020-01-01T10:00:00-13:59",
		"2020-01-01T10:00Z", "2020-01-01T25:00:00Z", "2020-01-01T10:00:60Z", "2020-01-01T10:00:00.Z", "2020-01-01 10:00:00Z",
		"10:00:00", "23:59:60.123", "24:00:00", "10:00", "1:00:00", "a", "a b", "a  b", " a", "a ", "A-Za.0", "",
		strings.Repeat("x", 64), strings.Repeat("x", 65), "urn:oid:1.2.3", "urn:oid:1.02", "urn:oid:3.1",
		"urn:uuid:9d7b8b6a-2a4c-4b5e-8f1a-0c2d3e4f5a6b", "urn:uuid:9D7B8B6A-2a4c-4b5e-8f1a-0c2d3e4f5a6b",
	}
	for _, typ := range []string{"date", "dateTime", "instant", "time", "id", "code", "oid", "uuid"} {
		re := primitiveRegex(typ)
		if re == nil {
			t.Fatalf("no regex for %s", typ)
		}
		k := primKindOf(typ)
		for _, s := range inputs {
			if s == "" {
				continue // JSON forbids empty strings regardless of the regex
			}
			want := re.MatchString(s)
			// The hand-written date checks also reject impossible days,
			// which the regexes accept; none of the inputs has one.
			diag, _ := checkPrimitive(s, k)
			if got := diag == ""; got != want {
				t.Errorf("%s %q: validator says %v, regex says %v", typ, s, got, want)
			}
		}
	}
}
