package search

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/testutil"
)

func TestIndexBranches(t *testing.T) {
	isType := func(s string) bool { return fhir.IsResourceType(s) }
	for _, tc := range []struct{ expr, rt, want string }{
		{"Patient.address | Person.address | Practitioner.address", "Person", "Person.address"},
		{"Patient.address | Person.address", "Observation", ""},
		{"Resource.id", "Patient", "Resource.id"},
		{"(Patient.deceased as dateTime)", "Patient", "(Patient.deceased as dateTime)"},
		{"(Patient.deceased as dateTime) | (Person.x as dateTime)", "Patient", "(Patient.deceased as dateTime)"},
		{"Patient.telecom.where(system='a|b') | Person.telecom", "Patient", "Patient.telecom.where(system='a|b')"},
		{"Observation | Observation.component", "Observation", "Observation | Observation.component"},
		{"value.as(Quantity) | value.as(Range)", "Observation", "value.as(Quantity) | value.as(Range)"},
		{"Bundle.entry[0].resource as Composition", "Bundle", "Bundle.entry[0].resource as Composition"},
		// an element that shares a type's name is not a root
		{"Account.subject.Patient.x | Patient.y", "Patient", "Patient.y"},
		{"(Patient.a | Person.a).where(true)", "Person", "(Patient.a | Person.a).where(true)"},
		{"%resource.referenceSeq.chromosome", "MolecularSequence", "%resource.referenceSeq.chromosome"},
		{"Patient.name | (unbalanced", "Person", "Patient.name | (unbalanced"},
	} {
		if got := strings.Join(idxBranches(tc.expr, tc.rt, isType), " | "); got != tc.want {
			t.Errorf("idxBranches(%q, %s) = %q, want %q", tc.expr, tc.rt, got, tc.want)
		}
	}
}

// TestIndexSplitChangesNothing: pruning is only an optimisation, so every
// official example must index identically with and without it.
func TestIndexSplitChangesNothing(t *testing.T) {
	dir := testutil.FHIRExamples(t)
	if testing.Short() {
		t.Skip("indexes every official example twice")
	}
	pruned := idxMustIndexer(t)
	full, err := idxNewIndexer(IndexerOptions{BaseURL: idxTestBase}, false)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, issues := fhir.Decode(data)
		if fhir.HasErrors(issues) || !fhir.IsResourceType(idxStr(res, "resourceType")) {
			continue
		}
		a, errA := pruned.Extract(res)
		b, errB := full.Extract(res)
		if (errA == nil) != (errB == nil) {
			t.Errorf("%s: split and whole expressions fail differently (%v / %v)", filepath.Base(f), errA, errB)
		}
		if missing := idxDiff(b, a); len(missing) > 0 {
			t.Errorf("%s: split expressions lose %+v", filepath.Base(f), missing)
		}
		for _, extra := range idxDiff(a, b) {
			if !slices.ContainsFunc(b, func(e Entry) bool { return idxSameValue(&e, &extra) }) {
				t.Errorf("%s: split expressions add %+v", filepath.Base(f), extra)
			}
		}
		n++
	}
	if n < 2000 {
		t.Errorf("compared only %d examples", n)
	}
}

func TestIndexErrors(t *testing.T) {
	ix := idxMustIndexer(t)
	for _, res := range []map[string]any{
		{},
		{"resourceType": "NotAType"},
		{"resourceType": 7},
	} {
		if es, err := ix.Extract(res); err == nil || es != nil {
			t.Errorf("Extract(%v) = %v, %v; want an error", res, es, err)
		}
	}
}

func TestIndexKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindString: "string", KindToken: "token", KindComposite: "composite", 0: "Kind(0)", 99: "Kind(99)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
	for _, typ := range []string{"string", "token", "reference", "date", "number", "quantity", "uri", "composite"} {
		if idxKindOf(typ).String() != typ {
			t.Errorf("idxKindOf(%q) = %v", typ, idxKindOf(typ))
		}
	}
	if idxKindOf("special") != 0 {
		t.Error("special parameters must not be indexed")
	}
}

// TestIndexConcurrent runs one Indexer from many goroutines (go test -race).
func TestIndexConcurrent(t *testing.T) {
	ix := idxMustIndexer(t)
	seeds := idxSeeds(t)
	want := make([][]Entry, len(seeds))
	for i, s := range seeds {
		res, _ := fhir.Decode(s)
		es, err := ix.Extract(res)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = es
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 20; n++ {
				i := (g + n) % len(seeds)
				res, _ := fhir.Decode(seeds[i])
				es, err := ix.Extract(res)
				if err != nil || !reflect.DeepEqual(es, want[i]) {
					t.Errorf("concurrent Extract of seed %d differs (%v)", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestIndexSeeds pins a few properties of the fuzz seeds so they stay
// meaningful.
func TestIndexSeeds(t *testing.T) {
	all := map[string]bool{}
	for _, s := range idxSeeds(t) {
		for _, e := range idxExtractJSON(t, string(s)) {
			all[e.Kind.String()+" "+e.Param] = true
			if e.Param == "general-practitioner" && (e.RefType != "Practitioner" || e.RefID != "9" || e.RefVersion != "2") {
				t.Errorf("this-server absolute reference indexed as %+v", e)
			}
			if e.Param == "organization" {
				t.Errorf("contained reference indexed: %+v", e)
			}
		}
	}
	for _, want := range []string{"composite component-code-value-quantity", "token identifier:of-type", "number probability",
		"reference subject", "date _lastUpdated", "string address-city"} {
		if !all[want] {
			t.Errorf("seeds produce no %q entry", want)
		}
	}
}

func idxSeeds(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "index", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds in testdata/index: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzExtract: untrusted resources reach the indexer on every write; it
// must never panic and every entry it returns must be well formed.
func FuzzExtract(f *testing.F) {
	for _, s := range idxSeeds(f) {
		f.Add(s)
	}
	ix := idxMustIndexer(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, issues := fhir.Decode(data)
		if fhir.HasErrors(issues) {
			return
		}
		es, err := ix.Extract(res)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "search: ") {
				t.Errorf("unwrapped error %v", err)
			}
			return
		}
		for i := range es {
			if msg := idxCheckEntry(&es[i]); msg != "" {
				t.Errorf("%s: %+v", msg, es[i])
			}
		}
	})
}

// idxSameValue is FHIRPath equality as the union applies it: numbers and
// quantities compare by value, whatever their written precision.
func idxSameValue(a, b *Entry) bool {
	if a.Param != b.Param || a.Kind != b.Kind || len(a.Components) != len(b.Components) {
		return false
	}
	switch a.Kind {
	case KindNumber, KindQuantity:
		return a.Value == b.Value && a.Code == b.Code
	case KindComposite:
		for i := range a.Components {
			if !idxSameValue(&a.Components[i], &b.Components[i]) {
				return false
			}
		}
		return true
	}
	return idxEqual(a, b)
}

func idxDiff(a, b []Entry) []Entry {
	var out []Entry
	for i := range a {
		found := false
		for j := range b {
			if idxEqual(&a[i], &b[j]) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, a[i])
		}
	}
	return out
}
