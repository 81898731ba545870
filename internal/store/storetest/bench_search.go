package storetest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/synthea"
	"github.com/housecall/housecall/internal/testutil"
)

// syntheaWrites returns PUTs of the Synthea sample multiplied copies times,
// with their index entries computed by search.Indexer, so that benchmarks
// time the store alone. Bodies are plain JSON (rendering is not the
// store's cost either).
func syntheaWrites(b *testing.B, copies int) []store.Write {
	b.Helper()
	dir := testutil.Fixture(b, "../shared/data/synthea-bulk-10", "the shared Synthea sample (../shared/data/synthea-bulk-10) is required")
	ix, err := search.NewIndexer(search.IndexerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var (
		mu  sync.Mutex
		out []store.Write
	)
	err = synthea.Multiply(dir, copies, func(res map[string]any) error {
		typ, _ := res["resourceType"].(string)
		id, _ := res["id"].(string)
		es, err := ix.Extract(res)
		if err != nil {
			return fmt.Errorf("index %s/%s: %w", typ, id, err)
		}
		body, err := json.Marshal(res)
		if err != nil {
			return err
		}
		mu.Lock()
		out = append(out, store.Write{Type: typ, ID: id, Method: "PUT", Index: es,
			Stamp: func(int64, time.Time) ([]byte, error) { return body, nil }})
		mu.Unlock()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// load stores writes with BulkPut in batches of 1000 and returns the
// resources/s achieved.
func load(b *testing.B, s store.Store, writes []store.Write) float64 {
	b.Helper()
	t0 := time.Now()
	for lo := 0; lo < len(writes); lo += 1000 {
		if _, err := s.BulkPut(b.Context(), writes[lo:min(lo+1000, len(writes))]); err != nil {
			b.Fatal(err)
		}
	}
	return float64(len(writes)) / time.Since(t0).Seconds()
}

// BenchImport measures BulkPut with search indexing on the Synthea sample
// multiplied copies times (the importer's batch size, 1000).
func BenchImport(b *testing.B, copies int, open func(b *testing.B) store.Store) {
	writes := syntheaWrites(b, copies)
	var rate float64
	for b.Loop() {
		b.StopTimer()
		s := open(b)
		b.StartTimer()
		rate = load(b, s, writes)
	}
	b.ReportMetric(rate, "resources/s")
	b.ReportMetric(float64(len(writes)), "resources")
}

// BenchSearch loads the Synthea sample multiplied copies times and times
// typical searches; each sub-benchmark reports p50 and p99 latency.
// prepare runs after loading (e.g. ANALYZE).
func BenchSearch(b *testing.B, copies int, open func(b *testing.B) store.Store, prepare func(b *testing.B, s store.Store)) {
	writes := syntheaWrites(b, copies)
	s := open(b)
	rate := load(b, s, writes)
	b.Logf("loaded %d resources at %.0f resources/s", len(writes), rate)
	if prepare != nil {
		prepare(b, s)
	}
	var patients, codes []string
	for _, w := range writes {
		if w.Type == "Patient" {
			patients = append(patients, w.ID)
		}
		if w.Type == "Condition" && len(codes) < 20 {
			for _, e := range w.Index {
				if e.Param == "code" && e.Code != "" && !slices.Contains(codes, e.Code) {
					codes = append(codes, e.Code)
				}
			}
		}
	}
	type tc struct {
		name, typ string
		raw       func(i int) string
		comp      bool
	}
	pat := func(i int) string { return patients[i%len(patients)] }
	cases := []tc{
		{"PatientEncountersByDate", "Encounter", func(i int) string { return "patient=" + pat(i) + "&_sort=-date&_count=20" }, false},
		{"PatientConditionsIncludeEncounter", "Condition", func(i int) string {
			return "patient=" + pat(i) + "&_include=Condition:encounter&_count=50"
		}, false},
		{"PatientMedicationRequestsByStatus", "MedicationRequest", func(i int) string { return "patient=" + pat(i) + "&status=stopped,active" }, false},
		{"CompartmentEverythingEncounter", "Encounter", func(i int) string { return "" }, true},
		{"CrossPatientConditionCode", "Condition", func(i int) string { return "code=" + codes[i%len(codes)] + "&_count=50" }, false},
		{"CrossPatientEncounterDate", "Encounter", func(i int) string {
			return fmt.Sprintf("date=ge%d-01-01&date=lt%d-03-01&_count=50", 1990+i%30, 1990+i%30)
		}, false},
		{"CrossPatientTokenDateSorted", "Encounter", func(i int) string {
			return fmt.Sprintf("status=finished&date=ge%d-06-01&_sort=date&_count=50", 2000+i%20)
		}, false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, 1024)
			i := 0
			for b.Loop() {
				v, err := url.ParseQuery(c.raw(i))
				if err != nil {
					b.Fatal(err)
				}
				q, _, err := search.ParseQuery(c.typ, v, search.ParseOptions{DefaultCount: 50, MaxCount: 1000})
				if err != nil {
					b.Fatal(err)
				}
				req := store.SearchRequest{Query: q}
				if c.comp {
					req.Compartment = &store.Compartment{Type: "Patient", ID: pat(i), Params: []string{"patient", "subject"}}
				}
				t0 := time.Now()
				if _, err := s.Search(b.Context(), req); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				i++
			}
			reportLatency(b, lat)
		})
	}
}
