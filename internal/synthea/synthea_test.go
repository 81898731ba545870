package synthea

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/testutil"
)

func syntheaDir(t *testing.T) string {
	return testutil.Fixture(t, "../shared/data/synthea-bulk-10", "the shared Synthea sample (../shared/data/synthea-bulk-10) is required")
}

// sourceResources decodes every line of the NDJSON files in dir, in the order Multiply uses.
func sourceResources(t *testing.T, dir string) []map[string]any {
	t.Helper()
	files, err := ndjsonFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, f := range files {
		if err := eachLine(f, func(line []byte) error {
			res, err := decode(line)
			out = append(out, res)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func collect(t *testing.T, dir string, copies int) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := Multiply(dir, copies, func(res map[string]any) error {
		out = append(out, res)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCopyZeroIsSource(t *testing.T) {
	dir := syntheaDir(t)
	src := sourceResources(t, dir)
	got := collect(t, dir, 1)
	if len(got) != len(src) || len(src) < 7000 {
		t.Fatalf("got %d resources, source has %d (want > 7000)", len(got), len(src))
	}
	for i := range src {
		if !reflect.DeepEqual(got[i], src[i]) {
			t.Fatalf("resource %d differs from the source", i)
		}
	}
}

var fhirID = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// copySet is what one copy holds, for checking that references resolve.
type copySet struct {
	typed       map[string]bool
	identifiers map[string]bool // "Type|system|value"
}

func TestMultiplyReferentialIntegrity(t *testing.T) {
	dir := syntheaDir(t)
	src := sourceResources(t, dir)
	const copies = 3
	got := collect(t, dir, copies)
	n := len(src)
	if len(got) != copies*n {
		t.Fatalf("got %d resources, want %d", len(got), copies*n)
	}
	// Copy 0 of a multi-copy run is the source.
	for i := range src {
		if !reflect.DeepEqual(got[i], src[i]) {
			t.Fatalf("copy 0 resource %d differs from the source", i)
		}
	}
	sets := make([]copySet, copies)
	seen := map[string]bool{}
	for k := range copies {
		sets[k] = copySet{typed: map[string]bool{}, identifiers: map[string]bool{}}
		for _, res := range got[k*n : (k+1)*n] {
			typ, id := res["resourceType"].(string), res["id"].(string)
			if !fhirID.MatchString(id) {
				t.Fatalf("copy %d: invalid FHIR id %q", k, id)
			}
			key := typ + "/" + id
			if seen[key] {
				t.Fatalf("copy %d: id collision on %s", k, key)
			}
			seen[key] = true
			sets[k].typed[key] = true
			ids, _ := res["identifier"].([]any)
			for _, e := range ids {
				m := e.(map[string]any)
				sys, _ := m["system"].(string)
				val, _ := m["value"].(string)
				sets[k].identifiers[typ+"|"+sys+"|"+val] = true
			}
		}
	}
	// Identifiers differ between copies.
	for key := range sets[1].identifiers {
		if sets[0].identifiers[key] || sets[2].identifiers[key] {
			t.Fatalf("identifier %q appears in two copies", key)
		}
	}
	// Every reference that resolves inside copy 0 resolves inside copy k,
	// and never into another copy; the rest are unchanged.
	resolved := make([]int, copies)
	for k := range copies {
		for i, res := range got[k*n : (k+1)*n] {
			refs := references(res)
			srcRefs := references(src[i])
			if len(refs) != len(srcRefs) {
				t.Fatalf("copy %d resource %d: %d references, source has %d", k, i, len(refs), len(srcRefs))
			}
			for j, ref := range refs {
				in := func(c int) bool { return resolves(sets[c], ref) }
				switch {
				case in(k):
					resolved[k]++
					for c := range copies {
						if c != k && in(c) {
							t.Fatalf("copy %d: reference %q also resolves in copy %d", k, ref, c)
						}
					}
				case ref != srcRefs[j]:
					t.Fatalf("copy %d: reference %q (source %q) was rewritten but does not resolve", k, ref, srcRefs[j])
				default:
					for c := range copies {
						if in(c) {
							t.Fatalf("copy %d: reference %q resolves only in copy %d", k, ref, c)
						}
					}
				}
			}
		}
	}
	if resolved[0] < 20000 {
		t.Fatalf("only %d references resolve inside copy 0; the fixture should have > 20,000", resolved[0])
	}
	for k := 1; k < copies; k++ {
		if resolved[k] != resolved[0] {
			t.Fatalf("copy %d resolves %d references, copy 0 resolves %d", k, resolved[k], resolved[0])
		}
	}
}

// references lists Reference.reference values and logical identifier
// references (as "Type?identifier=system|value" when the type is known,
// "?identifier=system|value" otherwise), in a stable order.
func references(v any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			if s, ok := t["reference"].(string); ok {
				out = append(out, s)
			}
			if m, ok := t["identifier"].(map[string]any); ok {
				sys, _ := m["system"].(string)
				val, _ := m["value"].(string)
				typ, _ := t["type"].(string)
				out = append(out, typ+"?identifier="+sys+"|"+val)
			}
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if k != "identifier" || !isMap(t[k]) {
					walk(t[k])
				}
			}
		}
	}
	walk(v)
	return out
}

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }

func resolves(c copySet, ref string) bool {
	if id, ok := strings.CutPrefix(ref, "urn:uuid:"); ok {
		for key := range c.typed {
			if strings.HasSuffix(key, "/"+id) {
				return true
			}
		}
		return false
	}
	if typ, q, ok := strings.Cut(ref, "?identifier="); ok {
		if typ != "" {
			return c.identifiers[typ+"|"+q]
		}
		for key := range c.identifiers {
			if strings.HasSuffix(key, "|"+q) && strings.Count(key, "|") == strings.Count(q, "|")+1 {
				return true
			}
		}
		return false
	}
	typ, rest, _ := strings.Cut(ref, "/")
	id, _, _ := strings.Cut(rest, "/")
	return c.typed[typ+"/"+id]
}

// TestMultiplyForms covers reference forms the Synthea sample lacks:
// urn:uuid, _history, absolute and external references, non-UUID ids,
// identifier assigners, gzip input and blank lines.
func TestMultiplyForms(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		`{"resourceType":"Patient","id":"p1","identifier":[{"system":"urn:mrn","value":"42","assigner":{"reference":"Organization/o1"}}],"managingOrganization":{"reference":"urn:uuid:o1"}}`,
		``,
		`{"resourceType":"Encounter","id":"e1","subject":{"reference":"Patient/p1/_history/3"},"serviceProvider":{"identifier":{"system":"urn:org","value":"O-1"}},"participant":[{"individual":{"reference":"Practitioner?identifier=urn:npi|99"}},{"individual":{"reference":"Practitioner?identifier=urn:npi|elsewhere"}}],"basedOn":[{"reference":"ServiceRequest/outside"},{"reference":"http://other.example/fhir/Patient/p1"},{"reference":"Patient/p2"}],"partOf":{"reference":"Encounter/e1"}}`,
	}
	writeFile(t, filepath.Join(dir, "a.ndjson"), strings.Join(lines, "\n")+"\n", false)
	writeFile(t, filepath.Join(dir, "b.ndjson.gz"),
		`{"resourceType":"Organization","id":"o1","identifier":[{"system":"urn:org","value":"O-1"}]}`+"\n"+
			`{"resourceType":"Practitioner","id":"`+strings.Repeat("x", 64)+`","identifier":[{"system":"urn:npi","value":"99"}]}`+"\n", true)
	writeFile(t, filepath.Join(dir, "notes.txt"), "not data", false)

	got := collect(t, dir, 2)
	if len(got) != 8 {
		t.Fatalf("got %d resources, want 8", len(got))
	}
	p, e, o, pr := got[4], got[5], got[6], got[7]
	pid, oid := CopyID(1, "p1"), CopyID(1, "o1")
	checks := []struct{ got, want any }{
		{p["id"], pid},
		{jget(p, "identifier", 0, "value"), "42-1"},
		{jget(p, "identifier", 0, "assigner", "reference"), "Organization/" + oid},
		{jget(p, "managingOrganization", "reference"), "urn:uuid:" + oid},
		{jget(e, "subject", "reference"), "Patient/" + pid + "/_history/3"},
		{jget(e, "serviceProvider", "identifier", "value"), "O-1-1"},
		{jget(e, "participant", 0, "individual", "reference"), "Practitioner?identifier=urn:npi|99-1"},
		{jget(e, "participant", 1, "individual", "reference"), "Practitioner?identifier=urn:npi|elsewhere"},
		{jget(e, "basedOn", 0, "reference"), "ServiceRequest/outside"},
		{jget(e, "basedOn", 1, "reference"), "http://other.example/fhir/Patient/p1"},
		{jget(e, "basedOn", 2, "reference"), "Patient/p2"},
		{jget(e, "partOf", "reference"), "Encounter/" + CopyID(1, "e1")},
		{o["id"], oid},
		{jget(o, "identifier", 0, "value"), "O-1-1"},
		{jget(pr, "identifier", 0, "value"), "99-1"},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: got %v, want %v", i, c.got, c.want)
		}
	}
	if id := pr["id"].(string); !fhirID.MatchString(id) || id == strings.Repeat("x", 64) {
		t.Errorf("long id copied to %q", id)
	}
	if got[0]["id"] != "p1" || jget(got[0], "identifier", 0, "value") != "42" {
		t.Errorf("copy 0 was modified: %v", got[0])
	}
}

func jget(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func writeFile(t *testing.T, path, content string, gz bool) {
	t.Helper()
	var buf bytes.Buffer
	if gz {
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(content))
		zw.Close()
	} else {
		buf.WriteString(content)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCopyID(t *testing.T) {
	if CopyID(0, "abc") != "abc" {
		t.Fatal("copy 0 must keep the id")
	}
	a, b := CopyID(1, "abc"), CopyID(2, "abc")
	if a == b || a != CopyID(1, "abc") {
		t.Fatalf("CopyID not deterministic or not distinct: %s %s", a, b)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a) {
		t.Fatalf("CopyID %q is not a UUIDv5", a)
	}
}

func TestMultiplyErrors(t *testing.T) {
	dir := t.TempDir()
	if err := Multiply(dir, 1, func(map[string]any) error { return nil }); err == nil {
		t.Fatal("want an error for a folder without NDJSON")
	}
	writeFile(t, filepath.Join(dir, "x.ndjson"), `{"resourceType":"Patient","id":"a"}`+"\n"+`{"resourceType":`+"\n", false)
	err := Multiply(dir, 2, func(map[string]any) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "x.ndjson:2") {
		t.Fatalf("got %v, want an error naming x.ndjson:2", err)
	}
	writeFile(t, filepath.Join(dir, "x.ndjson"), `{"resourceType":"Patient","id":"a"}`+"\n", false)
	stop := errors.New("stop")
	calls := 0
	err = Multiply(dir, 5, func(map[string]any) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("got %v after %d calls, want the callback's error after 1 call", err, calls)
	}
}

// The output of a copy must still be NDJSON-encodable with exact numbers.
func TestMultiplyKeepsNumbers(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "x.ndjson"), `{"resourceType":"Observation","id":"a","valueQuantity":{"value":1.50}}`+"\n", false)
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	if err := Multiply(dir, 2, func(res map[string]any) error {
		return json.NewEncoder(w).Encode(res)
	}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if strings.Count(out.String(), `"value":1.50`) != 2 {
		t.Fatalf("decimal not preserved: %s", out.String())
	}
}
