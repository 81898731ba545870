package storetest

import (
	"fmt"
	"slices"

	"github.com/housecall/housecall/internal/store/internal/sqlsearch"
)

func init() {
	register("SearchNestedPaging", testSearchNestedPaging)
}

// testSearchNestedPaging pages through chain and _has searches with scan
// windows smaller than, equal to and larger than the data, so that pages
// come from the windowed scan, from the set-driven fallback and from both:
// every way must return the same matches in the same order.
func testSearchNestedPaging(f *fixture) {
	for i := range 30 {
		name := "odd"
		if i%2 == 0 {
			name = "even"
		}
		f.index("Patient", fmt.Sprintf("p%02d", i), eStr("name", name))
	}
	for i := range 90 {
		p := fmt.Sprintf("p%02d", i%30)
		f.index("Observation", fmt.Sprintf("o%02d", i), eRef("subject", "Patient", p), eRef("patient", "Patient", p),
			eTok("code", "http://loinc.org", fmt.Sprint(i%7), ""))
	}
	defer func(w, p int) { sqlsearch.ScanWindow, sqlsearch.HasInnerProbe = w, p }(sqlsearch.ScanWindow, sqlsearch.HasInnerProbe)
	for _, q := range []struct{ typ, raw string }{
		{"Observation", "subject:Patient.name=even"},
		{"Observation", "subject:Patient.name=even&code=3"},
		{"Patient", "_has:Observation:patient:code=3"},
		{"Patient", "_has:Observation:patient:code=3&name=odd"},
	} {
		sqlsearch.ScanWindow = 1 << 20
		want := f.ids(q.typ, q.raw)
		if len(want) == 0 {
			f.t.Fatalf("%s?%s matches nothing", q.typ, q.raw)
		}
		for _, probe := range []int{0, 1 << 20} { // a _has scans always, never
			sqlsearch.HasInnerProbe = probe
			for _, window := range []int{1, 3, 7, 40, 1 << 20} {
				sqlsearch.ScanWindow = window
				for _, size := range []int{1, 4, 50} {
					raw := fmt.Sprintf("%s&_count=%d", q.raw, size)
					got, back := f.walk(q.typ, raw)
					if !slices.Equal(got, want) || !slices.Equal(back, want) {
						f.t.Errorf("%s?%s with a scan window of %d, inner probe %d: forwards %q backwards %q, want %q", q.typ, raw, window, probe, got, back, want)
					}
				}
			}
		}
	}
}
