package search

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/testutil"
)

const idxSyntheaHint = "the shared Synthea sample must be at ../shared/data/synthea-bulk-10"

// idxTally counts entries per kind and checks invariants every entry must
// hold whatever the resource.
type idxTally struct {
	resources, entries int
	perKind            map[Kind]int
	perParamType       map[string]int // resource type -> params with entries
}

func (c *idxTally) add(t *testing.T, where string, es []Entry) {
	t.Helper()
	if c.perKind == nil {
		c.perKind = map[Kind]int{}
	}
	c.resources++
	c.entries += len(es)
	for i := range es {
		e := &es[i]
		c.perKind[e.Kind]++
		if msg := idxCheckEntry(e); msg != "" {
			t.Errorf("%s: %s: %+v", where, msg, *e)
		}
	}
}

func (c *idxTally) String() string {
	kinds := make([]string, 0, len(c.perKind))
	for k, n := range c.perKind {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(kinds)
	return fmt.Sprintf("%d resources, %d entries (%s)", c.resources, c.entries, strings.Join(kinds, " "))
}

// idxCheckEntry returns what is wrong with an entry, or "".
func idxCheckEntry(e *Entry) string {
	if e.Param == "" {
		return "no Param"
	}
	switch e.Kind {
	case KindString:
		if e.Exact == "" || e.Norm != idxNormalize(e.Exact) {
			return "string entry not normalized from Exact"
		}
	case KindToken:
		if e.System == "" && e.Code == "" && e.Text == "" {
			return "empty token"
		}
	case KindReference:
		if e.RefID == "" && e.RefURL == "" && e.Code == "" && e.System == "" {
			return "reference without target"
		}
		if e.RefID != "" && !fhir.IsResourceType(e.RefType) {
			return "reference id without a resource type"
		}
	case KindDate:
		if e.DateLo > e.DateHi {
			return "date range reversed"
		}
	case KindNumber, KindQuantity:
		if !(e.Lo <= e.Value && e.Value <= e.Hi) {
			return "number range does not hold its value"
		}
	case KindURI:
		if e.Exact == "" {
			return "empty uri"
		}
	case KindComposite:
		if len(e.Components) < 2 {
			return "composite with fewer than two components"
		}
		for i := range e.Components {
			if msg := idxCheckEntry(&e.Components[i]); msg != "" {
				return "component: " + msg
			}
		}
	default:
		return "unknown kind"
	}
	return ""
}

// TestIndexOfficialExamples extracts every official R4 example.
func TestIndexOfficialExamples(t *testing.T) {
	dir := testutil.FHIRExamples(t)
	ix := idxMustIndexer(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tally idxTally
	skipped := 0
	start := time.Now()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, issues := fhir.Decode(data)
		rt, _ := res["resourceType"].(string)
		if fhir.HasErrors(issues) || !fhir.IsResourceType(rt) {
			skipped++ // package.json and friends
			continue
		}
		es, err := ix.Extract(res)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		tally.add(t, filepath.Base(f), es)
	}
	t.Logf("official examples: %s; %d files not resources; %v", &tally, skipped, time.Since(start).Round(time.Millisecond))
	if tally.resources < 2000 {
		t.Errorf("only %d examples indexed", tally.resources)
	}
	for _, k := range []Kind{KindString, KindToken, KindReference, KindDate, KindNumber, KindQuantity, KindURI, KindComposite} {
		if tally.perKind[k] == 0 {
			t.Errorf("no %s entries over all examples", k)
		}
	}
}

// TestIndexSynthea extracts every resource of the shared Synthea export.
func TestIndexSynthea(t *testing.T) {
	dir := testutil.Fixture(t, "../shared/data/synthea-bulk-10", idxSyntheaHint)
	ix := idxMustIndexer(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no NDJSON in %s", dir)
	}
	var tally idxTally
	var spent time.Duration
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		line := 0
		for sc.Scan() {
			line++
			res, issues := fhir.Decode(sc.Bytes())
			if fhir.HasErrors(issues) {
				t.Fatalf("%s:%d: %v", filepath.Base(f), line, issues)
			}
			t0 := time.Now()
			es, err := ix.Extract(res)
			spent += time.Since(t0)
			where := fmt.Sprintf("%s:%d", filepath.Base(f), line)
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			tally.add(t, where, es)
			idxCheckSynthea(t, where, res, es)
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fh.Close()
	}
	t.Logf("synthea: %s; Extract total %v (%.1f µs/resource)", &tally, spent.Round(time.Millisecond),
		float64(spent.Microseconds())/float64(max(tally.resources, 1)))
	if tally.resources < 1000 {
		t.Errorf("only %d Synthea resources", tally.resources)
	}
}

// idxCheckSynthea asserts what every Synthea resource must yield, so the
// bulk test cannot pass by extracting nothing.
func idxCheckSynthea(t *testing.T, where string, res map[string]any, es []Entry) {
	t.Helper()
	id, _ := res["id"].(string)
	if got := idxOnly(es, "_id"); len(got) != 1 || got[0].Code != id {
		t.Errorf("%s: _id entries %+v, want code %q", where, got, id)
	}
	need := map[string][]string{
		"Patient":           {"birthdate", "family", "gender", "identifier"},
		"Encounter":         {"date", "subject", "patient", "class", "type"},
		"Condition":         {"code", "subject", "onset-date"},
		"MedicationRequest": {"subject", "authoredon", "status"},
		"Procedure":         {"code", "subject", "date"},
		"Immunization":      {"vaccine-code", "patient", "date"},
	}
	rt, _ := res["resourceType"].(string)
	for _, p := range need[rt] {
		if len(idxOnly(es, p)) == 0 {
			t.Errorf("%s: no %q entries", where, p)
		}
	}
	if rt == "Encounter" {
		for _, e := range idxOnly(es, "subject") {
			if e.RefType != "Patient" || e.RefID == "" {
				t.Errorf("%s: Encounter.subject indexed as %+v", where, e)
			}
		}
	}
}
