package importer

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/postgres"
	"github.com/housecall/housecall/internal/store/postgres/pgtest"
	"github.com/housecall/housecall/internal/store/sqlite"
	"github.com/housecall/housecall/internal/testutil"
)

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "housecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t testing.TB) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func syntheaDir(t testing.TB) string {
	return testutil.Fixture(t, "../shared/data/synthea-bulk-10", "the shared Synthea sample (../shared/data/synthea-bulk-10) is required")
}

// lineCounts counts the non-blank lines of the NDJSON files in dir per resourceType.
func lineCounts(t testing.TB, dir string) map[string]int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	counts := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var head struct{ ResourceType string }
			if err := json.Unmarshal(line, &head); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			counts[head.ResourceType]++
		}
	}
	return counts
}

// storedCounts pages through the store and counts current resources per type.
func storedCounts(t testing.TB, st store.Store, types []string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, typ := range types {
		after := ""
		for {
			page, err := st.List(context.Background(), store.ListQuery{Type: typ, After: after, Count: 1000})
			if err != nil {
				t.Fatal(err)
			}
			counts[typ] += len(page.Resources)
			if page.Next == "" {
				break
			}
			after = page.Next
		}
	}
	return counts
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func testSynthea(t *testing.T, st store.Store) {
	dir := syntheaDir(t)
	want := lineCounts(t, dir)
	total := 0
	for _, n := range want {
		total += n
	}
	var progress bytes.Buffer
	sum, err := Run(t.Context(), []string{dir}, Options{Store: st, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ErrorCount() != 0 {
		t.Fatalf("%d errors, want none:\n%s", sum.ErrorCount(), sum)
	}
	if sum.Resources != total || sum.Files != 13 || sum.Skipped != 1 { // LICENSE is skipped
		t.Fatalf("summary: %d resources from %d files (%d skipped); want %d from 13 (1 skipped)", sum.Resources, sum.Files, sum.Skipped, total)
	}
	got := storedCounts(t, st, keys(want))
	for typ, n := range want {
		if got[typ] != n || sum.ByType[typ] != n {
			t.Errorf("%s: %d stored, %d in summary, %d lines", typ, got[typ], sum.ByType[typ], n)
		}
	}
	if !strings.Contains(progress.String(), group(int64(total))+" resources") {
		t.Errorf("final progress line missing: %q", progress.String())
	}
	t.Logf("imported %d resources in %v: %.0f resources/s", sum.Resources, sum.Duration, sum.Rate())

	// Ids are kept and bodies are stamped.
	r, err := st.Read(t.Context(), "Patient", "129c6ac7-8d06-89de-ad63-0204a93e76c3")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		ID   string
		Meta struct{ VersionID, LastUpdated string }
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.ID != r.ID || body.Meta.VersionID != "1" || body.Meta.LastUpdated == "" || r.Method != "PUT" {
		t.Errorf("stored Patient: id %q meta %+v method %s", body.ID, body.Meta, r.Method)
	}
}

func TestImportSyntheaSQLite(t *testing.T) { testSynthea(t, openSQLite(t)) }

func TestImportSyntheaPostgres(t *testing.T) { testSynthea(t, openPostgres(t)) }

func writeFile(t *testing.T, path string, content string, gz bool) {
	t.Helper()
	data := []byte(content)
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		data = buf.Bytes()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImportReportsBadLines(t *testing.T) {
	dir := t.TempDir()
	good := func(id string) string {
		return `{"resourceType":"Patient","id":"` + id + `","name":[{"family":"Doe"}],"gender":"female"}`
	}
	writeFile(t, filepath.Join(dir, "a", "Patient.ndjson"), strings.Join([]string{
		good("p1"),
		`{"resourceType":"Patient","id":"p2","name":[{"family":`, // malformed JSON
		``,
		`{"resourceType":"Patient","id":"p3","favouriteColour":"Secret"}`, // unknown element
		`{"resourceType":"Patient","name":[{"family":"Doe"}]}`,            // no id
		good("p4"),
		`{"resourceType":"Patient","id":"p5","gender":"sometimes"}`, // bad code
		`{"resourceType":"NoSuchType","id":"x1"}`,
		good("p6"),
	}, "\n")+"\n", false)
	writeFile(t, filepath.Join(dir, "b", "more.ndjson.gz"), good("p7")+"\n"+good("p8"), true)
	writeFile(t, filepath.Join(dir, "b", "README.txt"), "not FHIR", false)
	writeFile(t, filepath.Join(dir, "c", "broken.ndjson.gz"), "this is not gzip", false)

	st := openSQLite(t)
	sum, err := Run(t.Context(), []string{dir}, Options{Store: st, Workers: 3, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resources != 5 || sum.Files != 3 || sum.Skipped != 1 {
		t.Fatalf("got %d resources from %d files (%d skipped), want 5 from 3 (1 skipped)\n%s", sum.Resources, sum.Files, sum.Skipped, sum)
	}
	pf := filepath.Join(dir, "a", "Patient.ndjson")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^` + regexp.QuoteMeta(pf) + `:2: \S.*`),
		regexp.MustCompile(`^` + regexp.QuoteMeta(pf) + `:4: Patient/p3: Patient\.favouriteColour `),
		regexp.MustCompile(`^` + regexp.QuoteMeta(pf) + `:5: Patient: Patient\.id `),
		regexp.MustCompile(`^` + regexp.QuoteMeta(pf) + `:7: Patient/p5: Patient\.gender`),
		regexp.MustCompile(`^` + regexp.QuoteMeta(pf) + `:8: NoSuchType/x1: `),
		regexp.MustCompile(`^` + regexp.QuoteMeta(filepath.Join(dir, "c", "broken.ndjson.gz")) + `: .*gzip`),
	}
	if len(sum.Errors) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(sum.Errors), len(want), sum)
	}
	for i, re := range want {
		msg := sum.Errors[i].Error()
		if !re.MatchString(msg) {
			t.Errorf("error %d: %q does not match %s", i, msg, re)
		}
		if strings.Contains(msg, "Secret") {
			t.Errorf("error %d leaks a value: %q", i, msg)
		}
	}
	for _, id := range []string{"p1", "p4", "p6", "p7", "p8"} {
		if _, err := st.Read(t.Context(), "Patient", id); err != nil {
			t.Errorf("Patient/%s: %v", id, err)
		}
	}
	for _, id := range []string{"p2", "p3", "p5"} {
		if _, err := st.Read(t.Context(), "Patient", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Patient/%s: got %v, want not found", id, err)
		}
	}
	s := sum.String()
	for _, part := range []string{"Imported 5 resources from 3 files", "Patient", "Skipped 1 file", "6 errors not imported", pf + ":4: Patient/p3"} {
		if !strings.Contains(s, part) {
			t.Errorf("summary lacks %q:\n%s", part, s)
		}
	}
}

func TestImportTransactionBundle(t *testing.T) {
	dir := t.TempDir()
	bundle := `{
  "resourceType": "Bundle",
  "type": "transaction",
  "entry": [
    {"fullUrl": "urn:uuid:6f1c9a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f",
     "resource": {"resourceType": "Patient", "name": [{"family": "Doe"}]},
     "request": {"method": "POST", "url": "Patient"}},
    {"fullUrl": "urn:uuid:0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f",
     "resource": {"resourceType": "Encounter", "id": "enc-1", "status": "finished",
       "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
       "subject": {"reference": "urn:uuid:6f1c9a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f"}},
     "request": {"method": "PUT", "url": "Encounter/enc-1"}},
    {"resource": {"resourceType": "Observation", "status": "final",
       "code": {"text": "weight"}, "valueQuantity": {"value": 72.50, "unit": "kg"},
       "subject": {"reference": "urn:uuid:6f1c9a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f"},
       "encounter": {"reference": "Encounter/enc-1"}},
     "request": {"method": "PUT", "url": "Observation/obs-1"}},
    {"request": {"method": "DELETE", "url": "Patient/old"}},
    {"resource": {"resourceType": "Observation", "id": "obs-2", "status": "bogus", "code": {"text": "x"}},
     "request": {"method": "PUT", "url": "Observation/obs-2"}}
  ]
}`
	writeFile(t, filepath.Join(dir, "tx.json"), bundle, false)
	writeFile(t, filepath.Join(dir, "single.json.gz"), `{"resourceType":"Practitioner","id":"pr-1","name":[{"family":"Who"}]}`, true)
	st := openSQLite(t)
	sum, err := Run(t.Context(), []string{filepath.Join(dir, "tx.json"), filepath.Join(dir, "single.json.gz")}, Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resources != 4 || len(sum.Errors) != 2 {
		t.Fatalf("got %d resources and %d errors, want 4 and 2:\n%s", sum.Resources, len(sum.Errors), sum)
	}
	tx := filepath.Join(dir, "tx.json")
	if got := sum.Errors[0].Error(); !strings.HasPrefix(got, tx+": entry[3]: Bundle.entry[3].resource ") {
		t.Errorf("error 0 = %q", got)
	}
	if got := sum.Errors[1].Error(); !strings.HasPrefix(got, tx+": entry[4]: Observation/obs-2: Observation.status") {
		t.Errorf("error 1 = %q", got)
	}
	read := func(typ, id string) map[string]any {
		r, err := st.Read(t.Context(), typ, id)
		if err != nil {
			t.Fatalf("%s/%s: %v", typ, id, err)
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	pid := "6f1c9a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f"
	read("Patient", pid)
	enc := read("Encounter", "enc-1")
	if ref := enc["subject"].(map[string]any)["reference"]; ref != "Patient/"+pid {
		t.Errorf("Encounter.subject = %v, want Patient/%s", ref, pid)
	}
	obs := read("Observation", "obs-1")
	if ref := obs["subject"].(map[string]any)["reference"]; ref != "Patient/"+pid {
		t.Errorf("Observation.subject = %v", ref)
	}
	if v := obs["valueQuantity"].(map[string]any)["value"]; v != json.Number("72.50") {
		t.Errorf("decimal changed: %v", v)
	}
	read("Practitioner", "pr-1")
}

func TestImportKeepsInputOrder(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := range 600 {
		// Every resource is written twice; the second, later version must win.
		family := "First"
		if i >= 300 {
			family = "Second"
		}
		lines = append(lines, `{"resourceType":"Patient","id":"p`+itoa(i%300)+`","name":[{"family":"`+family+`"}]}`)
	}
	writeFile(t, filepath.Join(dir, "p.ndjson"), strings.Join(lines, "\n"), false)
	st := openSQLite(t)
	sum, err := Run(t.Context(), []string{dir}, Options{Store: st, Workers: 4, BatchSize: 7})
	if err != nil || sum.Resources != 600 {
		t.Fatalf("got %d resources, err %v", sum.Resources, err)
	}
	for i := range 300 {
		r, err := st.Read(t.Context(), "Patient", "p"+itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		if r.VersionID != 2 || !bytes.Contains(r.Body, []byte(`"Second"`)) {
			t.Fatalf("Patient/p%d: version %d body %s; want version 2 with the later content", i, r.VersionID, r.Body)
		}
	}
}

func itoa(i int) string { return group(int64(i)) }

func TestImportCancel(t *testing.T) {
	dir := syntheaDir(t)
	ctx, cancel := context.WithCancel(t.Context())
	st := &cancellingStore{Store: openSQLite(t), cancel: cancel}
	sum, err := Run(ctx, []string{dir}, Options{Store: st, BatchSize: 100})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if sum.Resources >= 7000 {
		t.Fatalf("import went on after cancellation: %d resources", sum.Resources)
	}
}

// cancellingStore cancels the import during the second batch.
type cancellingStore struct {
	store.Store
	cancel context.CancelFunc
	calls  int
}

func (s *cancellingStore) BulkPut(ctx context.Context, w []store.Write) ([]store.Resource, error) {
	s.calls++
	if s.calls == 2 {
		s.cancel()
	}
	return s.Store.BulkPut(ctx, w)
}

func TestImportStoreFailure(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "p.ndjson"), `{"resourceType":"Patient","id":"p1"}`, false)
	boom := errors.New("disk full")
	sum, err := Run(t.Context(), []string{dir}, Options{Store: failingStore{err: boom}})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "p.ndjson:1") || sum.Resources != 0 {
		t.Fatalf("got %v with %d resources, want the store error naming p.ndjson:1", err, sum.Resources)
	}
}

type failingStore struct {
	store.Store
	err error
}

func (s failingStore) BulkPut(context.Context, []store.Write) ([]store.Resource, error) {
	return nil, s.err
}

func TestRunErrors(t *testing.T) {
	if _, err := Run(t.Context(), []string{"x"}, Options{}); err == nil {
		t.Error("want an error without a store")
	}
	if _, err := Run(t.Context(), []string{filepath.Join(t.TempDir(), "missing")}, Options{Store: failingStore{}}); err == nil {
		t.Error("want an error for a missing path")
	}
}

func TestProgress(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := range 50 {
		lines = append(lines, `{"resourceType":"Patient","id":"p`+itoa(i)+`"}`)
	}
	writeFile(t, filepath.Join(dir, "p.ndjson"), strings.Join(lines, "\n"), false)
	// A clock that advances 300ms per reading: every second batch may print.
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(300 * time.Millisecond); return now }
	var out bytes.Buffer
	sum, err := Run(t.Context(), []string{dir}, Options{Store: openSQLite(t), BatchSize: 5, Workers: 1, Progress: &out, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	updates := strings.Split(strings.TrimPrefix(got, "\r"), "\r")
	if len(updates) < 3 || len(updates) > 7 {
		t.Fatalf("got %d progress updates for 10 batches, want about 5 (every 500ms): %q", len(updates), got)
	}
	if !strings.HasSuffix(got, "50 resources, "+group(int64(sum.Rate()+0.5))+"/s\n") {
		t.Fatalf("final progress line %q", updates[len(updates)-1])
	}
}

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := group(n); got != want {
			t.Errorf("group(%d) = %q, want %q", n, got, want)
		}
	}
}
