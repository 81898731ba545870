package fhir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMarshalOrder(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"resource order",
			`{"name":[{"given":["A"],"family":"B","use":"official"}],"gender":"male","id":"1","zzz":1,"aaa":2,"resourceType":"Patient","meta":{"versionId":"1","lastUpdated":"2020-01-01T00:00:00Z"}}`,
			`{"resourceType":"Patient","id":"1","meta":{"versionId":"1","lastUpdated":"2020-01-01T00:00:00Z"},"name":[{"use":"official","family":"B","given":["A"]}],"gender":"male","aaa":2,"zzz":1}`},
		{"primitive extension after value",
			`{"_birthDate":{"extension":[{"valueDateTime":"1970-01-01T10:00:00Z","url":"http://x"}]},"birthDate":"1970-01-01","resourceType":"Patient","active":true,"_active":{"id":"a"}}`,
			`{"resourceType":"Patient","active":true,"_active":{"id":"a"},"birthDate":"1970-01-01","_birthDate":{"extension":[{"url":"http://x","valueDateTime":"1970-01-01T10:00:00Z"}]}}`},
		{"aligned primitive extension array",
			`{"resourceType":"Patient","name":[{"_given":[null,{"id":"x"}],"given":["a",null]}]}`,
			`{"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,{"id":"x"}]}]}`},
		{"backbone and choice",
			`{"status":"final","valueQuantity":{"unit":"kg","value":70.10},"code":{"text":"w"},"resourceType":"Observation","component":[{"valueString":"x","code":{"text":"c"}}]}`,
			`{"resourceType":"Observation","status":"final","code":{"text":"w"},"valueQuantity":{"value":70.10,"unit":"kg"},"component":[{"code":{"text":"c"},"valueString":"x"}]}`},
		{"nested resources",
			`{"type":"collection","entry":[{"resource":{"gender":"male","resourceType":"Patient","id":"p"},"fullUrl":"urn:uuid:x"}],"resourceType":"Bundle"}`,
			`{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:x","resource":{"resourceType":"Patient","id":"p","gender":"male"}}]}`},
		{"contained",
			`{"resourceType":"Patient","contained":[{"name":[{"family":"x"}],"id":"c","resourceType":"Practitioner"}],"id":"p"}`,
			`{"resourceType":"Patient","id":"p","contained":[{"resourceType":"Practitioner","id":"c","name":[{"family":"x"}]}]}`},
		{"content reference",
			`{"resourceType":"Questionnaire","item":[{"type":"group","item":[{"type":"string","linkId":"b","text":"t"}],"linkId":"a"}],"status":"active"}`,
			`{"resourceType":"Questionnaire","status":"active","item":[{"linkId":"a","type":"group","item":[{"linkId":"b","text":"t","type":"string"}]}]}`},
		{"unknown resource type sorted",
			`{"b":1,"resourceType":"Nope","a":{"d":1,"c":2}}`,
			`{"resourceType":"Nope","a":{"c":2,"d":1},"b":1}`},
		{"escaping",
			`{"resourceType":"Patient","text":{"status":"generated","div":"<div>\"a\" & b\\\n\u0001\u2028</div>"}}`,
			"{\"resourceType\":\"Patient\",\"text\":{\"status\":\"generated\",\"div\":\"<div>\\\"a\\\" & b\\\\\\n\\u0001\u2028</div>\"}}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Marshal(mustDecode(t, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("Marshal:\n got %s\nwant %s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Error("output is not valid JSON")
			}
		})
	}
}

func TestMarshalGoValues(t *testing.T) {
	res := map[string]any{
		"resourceType": "Observation", "status": "final",
		"valueQuantity": map[string]any{"value": 1.25, "unit": "kg"},
		"code":          map[string]any{"coding": []map[string]any{{"code": "x"}}, "text": "bad\xffutf8"},
		"component":     []any{map[string]any{"valueInteger": int64(3), "code": map[string]any{"text": "c"}}},
		"extension":     []any{map[string]any{"url": "u", "valueInteger": 7}},
	}
	got, err := Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceType":"Observation","extension":[{"url":"u","valueInteger":7}],"status":"final","code":{"coding":[{"code":"x"}],"text":"bad\ufffdutf8"},"valueQuantity":{"value":1.25,"unit":"kg"},"component":[{"code":{"text":"c"},"valueInteger":3}]}`
	if string(got) != want {
		t.Errorf("Marshal:\n got %s\nwant %s", got, want)
	}
	for _, bad := range []any{math.NaN(), json.Number("1x"), json.Number(""), make(chan int), struct{}{}} {
		if _, err := Marshal(map[string]any{"resourceType": "Patient", "x": bad}); err == nil {
			t.Errorf("Marshal accepted %T %v", bad, bad)
		}
	}
}

func TestStamp(t *testing.T) {
	res := mustDecode(t, `{"resourceType":"Patient","meta":{"profile":["http://x"],"versionId":"old"},"gender":"male"}`)
	ts := time.Date(2024, 3, 1, 10, 20, 30, 123456789, time.FixedZone("x", 3600))
	got, err := Stamp(res, "abc", 42, ts)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceType":"Patient","id":"abc","meta":{"versionId":"42","lastUpdated":"2024-03-01T09:20:30.123456Z","profile":["http://x"]},"gender":"male"}`
	if string(got) != want {
		t.Errorf("Stamp:\n got %s\nwant %s", got, want)
	}
	if issues := Validate(mustDecode(t, string(got)), "Patient"); len(issues) != 0 {
		t.Errorf("stamped resource does not validate: %+v", issues)
	}
	got, err = Stamp(map[string]any{"resourceType": "Basic", "code": map[string]any{"text": "x"}}, "b", 1, time.Unix(0, 0))
	if err != nil || string(got) != `{"resourceType":"Basic","id":"b","meta":{"versionId":"1","lastUpdated":"1970-01-01T00:00:00.000000Z"},"code":{"text":"x"}}` {
		t.Errorf("Stamp without meta = %s, %v", got, err)
	}
}

// TestMarshalRoundTripExamples: Decode(Marshal(x)) equals x for every
// official example and every Synthea resource, and Marshal is idempotent.
func TestMarshalRoundTripExamples(t *testing.T) {
	dir, names := exampleFiles(t)
	check := func(name string, data []byte) {
		res, issues := Decode(data)
		if len(issues) > 0 {
			t.Fatalf("%s: %+v", name, issues)
		}
		out, err := Marshal(res)
		if err != nil {
			t.Fatalf("%s: Marshal: %v", name, err)
		}
		back, issues := Decode(out)
		if len(issues) > 0 {
			t.Fatalf("%s: Marshal output does not decode: %+v", name, issues)
		}
		if !reflect.DeepEqual(back, res) {
			t.Errorf("%s: round trip changed the content", name)
		}
		again, _ := Marshal(back)
		if !bytes.Equal(again, out) {
			t.Errorf("%s: Marshal is not deterministic", name)
		}
	}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		// The multi-megabyte definition bundles repeat what the single
		// definition files cover; -short (and the race run) can skip them.
		if testing.Short() && len(data) > 2<<20 {
			continue
		}
		check(name, data)
	}
	for _, line := range syntheaLines(t, "Encounter.000.ndjson", 200) {
		check("Encounter", line)
	}
}

// syntheaLines returns up to n lines of a Synthea NDJSON file.
func syntheaLines(t testing.TB, file string, n int) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join(sharedDir(t), "data", "synthea-bulk-10", file))
	if err != nil {
		t.Fatalf("open Synthea data: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var out [][]byte
	for sc.Scan() && len(out) < n {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, []byte(line))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s is empty", file)
	}
	return out
}
