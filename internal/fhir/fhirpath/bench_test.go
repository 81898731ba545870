package fhirpath_test

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/fhirpath"
	"github.com/housecall/housecall/internal/testutil"
)

// syntheaFirst decodes the first resource of a Synthea bulk NDJSON file.
func syntheaFirst(tb testing.TB, file string) map[string]any {
	tb.Helper()
	dir := testutil.Fixture(tb, "../shared/data/synthea-bulk-10", "the shared Synthea sample must be at ../shared/data/synthea-bulk-10")
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	if !sc.Scan() {
		tb.Fatalf("%s is empty: %v", file, sc.Err())
	}
	res, issues := fhir.Decode(sc.Bytes())
	if fhir.HasErrors(issues) {
		tb.Fatalf("%s: %v", file, issues)
	}
	return res
}

func searchExpressions(tb testing.TB, rt string) []*fhirpath.Expression {
	tb.Helper()
	var out []*fhirpath.Expression
	for _, sp := range fhir.SearchParams(rt) {
		if sp.Expression == "" {
			continue
		}
		e, err := fhirpath.Compile(sp.Expression)
		if err != nil {
			tb.Fatalf("%s.%s: %v", rt, sp.Code, err)
		}
		out = append(out, e)
	}
	return out
}

// BenchmarkSearchExpressions: one op = every search expression of the
// resource's type evaluated once over one Synthea resource.
func BenchmarkSearchExpressions(b *testing.B) {
	for _, c := range []struct{ rt, file string }{
		{"Patient", "Patient.000.ndjson"},
		{"Encounter", "Encounter.000.ndjson"},
	} {
		b.Run(c.rt, func(b *testing.B) {
			res := syntheaFirst(b, c.file)
			exprs := searchExpressions(b, c.rt)
			opts := &fhirpath.EvalOptions{Model: fhir.Model(), LenientAs: true}
			items := 0
			for _, e := range exprs {
				out, err := e.Evaluate(res, opts)
				if err != nil {
					b.Fatal(err)
				}
				items += len(out)
			}
			b.ReportAllocs()
			for b.Loop() {
				for _, e := range exprs {
					if _, err := e.Evaluate(res, opts); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(exprs)), "exprs/op")
			b.ReportMetric(float64(items), "items/op")
		})
	}
}
