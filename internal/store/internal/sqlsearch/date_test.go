package sqlsearch

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
)

func TestSpanBucket(t *testing.T) {
	for _, tc := range []struct {
		lo, hi int64
		want   int64
	}{
		{0, 0, 0},
		{0, spanDay, 0},
		{0, spanDay + 1, 1},
		{0, spanMonth, 1},
		{0, spanYear, 2},
		{0, spanYear + 1, 3},
		{math.MinInt64, 0, 3},
		{0, math.MaxInt64, 3},
		{-5 * spanYear, -5*spanYear + 10, 0},
	} {
		if got := SpanBucket(tc.lo, tc.hi); got != tc.want {
			t.Errorf("SpanBucket(%d, %d) = %d, want %d", tc.lo, tc.hi, got, tc.want)
		}
	}
}

// TestBucketedRangesEqualPlainRanges proves the index form of a date range
// (per span bucket, with lo bounded from both ends) selects exactly the rows
// the plain predicate on lo and hi selects.
func TestBucketedRangesEqualPlainRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	spans := []int64{0, 1, spanDay - 1, spanDay, spanDay + 1, spanMonth, spanMonth + 1, spanYear, spanYear + 1, 10 * spanYear}
	point := func() int64 { return rng.Int64N(40*spanDay) - 20*spanDay }
	type row struct{ lo, hi int64 }
	var rows []row
	for range 4000 {
		lo := point()
		hi := lo + spans[rng.IntN(len(spans))]
		switch rng.IntN(20) {
		case 0:
			lo = math.MinInt64
		case 1:
			hi = math.MaxInt64
		}
		rows = append(rows, row{lo, hi})
	}
	c := &compiler{now: func() time.Time { return time.UnixMicro(3 * spanDay) }}
	prefixes := []search.Prefix{search.PrefixEq, search.PrefixNe, search.PrefixGt, search.PrefixLt, search.PrefixGe,
		search.PrefixLe, search.PrefixSa, search.PrefixEb, search.PrefixAp}
	for range 300 {
		ql := point()
		v := search.Value{Prefix: prefixes[rng.IntN(len(prefixes))], DateLo: ql, DateHi: ql + spans[rng.IntN(4)]}
		for _, r := range c.dateRanges(&v) {
			bs := r.buckets()
			for _, w := range rows {
				plain := r.matches(w.lo, w.hi)
				indexed := false
				for _, b := range bs {
					if int64(b.b) == SpanBucket(w.lo, w.hi) && b.r.matches(w.lo, w.hi) {
						indexed = true
					}
				}
				if plain != indexed {
					t.Fatalf("prefix %v [%d,%d] row [%d,%d]: plain %v, bucketed %v", v.Prefix, v.DateLo, v.DateHi, w.lo, w.hi, plain, indexed)
				}
			}
		}
	}
}

func TestSingleValued(t *testing.T) {
	for _, tc := range []struct {
		typ, code string
		want      bool
	}{
		{"Encounter", "date", true},       // Encounter.period
		{"Patient", "birthdate", true},    // Patient.birthDate
		{"Condition", "onset-date", true}, // onset as dateTime | onset as Period
		{"Goal", "target-date", false},    // Goal.target is 0..*
		{"Observation", "date", false},    // effective[x] may be a Timing
		{"MedicationRequest", "authoredon", true},
	} {
		sp, ok := fhir.LookupSearchParam(tc.typ, tc.code)
		if !ok {
			t.Fatalf("%s.%s unknown", tc.typ, tc.code)
		}
		if got := singleValued(tc.typ, sp); got != tc.want {
			t.Errorf("singleValued(%s.%s: %s) = %v, want %v", tc.typ, tc.code, sp.Expression, got, tc.want)
		}
	}
}
