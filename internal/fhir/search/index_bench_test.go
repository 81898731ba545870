package search

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/testutil"
)

// idxSyntheaFirst decodes the first resource of a Synthea NDJSON file.
func idxSyntheaFirst(tb testing.TB, file string) map[string]any {
	tb.Helper()
	dir := testutil.Fixture(tb, "../shared/data/synthea-bulk-10", idxSyntheaHint)
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	if !sc.Scan() {
		tb.Fatalf("%s is empty: %v", file, sc.Err())
	}
	res, issues := fhir.Decode(sc.Bytes())
	if fhir.HasErrors(issues) {
		tb.Fatalf("%s: %v", file, issues)
	}
	return res
}

// BenchmarkExtract: one op = every index entry of one Synthea resource.
func BenchmarkExtract(b *testing.B) {
	ix := idxMustIndexer(b)
	for _, rt := range []string{"Patient", "Encounter", "Condition", "MedicationRequest"} {
		b.Run(rt, func(b *testing.B) {
			res := idxSyntheaFirst(b, rt+".000.ndjson")
			es, err := ix.Extract(res)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ix.Extract(res); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(es)), "entries/op")
		})
	}
}

// BenchmarkExtractParallel shows throughput on every core, as during an
// import.
func BenchmarkExtractParallel(b *testing.B) {
	ix := idxMustIndexer(b)
	res := idxSyntheaFirst(b, "Encounter.000.ndjson")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ix.Extract(res); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkNewIndexer(b *testing.B) {
	for b.Loop() {
		if _, err := NewIndexer(IndexerOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
