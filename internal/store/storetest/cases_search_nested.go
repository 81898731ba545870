package storetest

import (
	"fmt"
	"slices"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/sqlsearch"
)

func init() {
	register("SearchNestedPaging", testSearchNestedPaging)
}

// testSearchNestedPaging pages through chain and _has searches with scan
// windows smaller than, equal to and larger than the data, and with nested
// sets counted as small and as large, so that pages come from the windowed
// scan, from the set-driven query and from both: every way must return the
// expected matches in seq order. Deleted and updated resources check that
// scans and nested sets see only current versions.
func testSearchNestedPaging(f *fixture) {
	even := func(p int) bool { return p%2 == 0 }
	for i := range 30 {
		name := "odd"
		if even(i) {
			name = "even"
		}
		f.index("Patient", fmt.Sprintf("p%02d", i), eStr("name", name))
		// Encounter e<i> is patient p<(i+1)%30>'s, so that chains through the
		// encounter and the subject differ.
		f.index("Encounter", fmt.Sprintf("e%02d", i), eRef("subject", "Patient", fmt.Sprintf("p%02d", (i+1)%30)))
	}
	obs := func(i int) store.Write {
		p := fmt.Sprintf("p%02d", i%30)
		return idxPut("Observation", fmt.Sprintf("o%02d", i), eRef("subject", "Patient", p), eRef("patient", "Patient", p),
			eRef("encounter", "Encounter", fmt.Sprintf("e%02d", i%30)), eTok("code", "http://loinc.org", fmt.Sprint(i%7), ""))
	}
	for i := range 90 {
		f.mustWrite(obs(i))
	}
	// Gone: patient p04 (even) and observations o03 (code 3) and o08 (of
	// p08, even). Updated: o10 and o24 (their old versions must not match
	// twice) and encounter e05, which now belongs to p04 (deleted).
	deleted := map[int]bool{3: true, 8: true}
	f.mustWrite(del("Patient", "p04"))
	for i := range deleted {
		f.mustWrite(del("Observation", fmt.Sprintf("o%02d", i)))
	}
	f.mustWrite(obs(10))
	f.mustWrite(obs(24))
	f.index("Encounter", "e05", eRef("subject", "Patient", "p04"))
	encounterPatient := func(e int) int {
		if e == 5 {
			return 4
		}
		return (e + 1) % 30
	}
	live := func(p int) bool { return p != 4 }

	// Expected ids in seq order: observations as written, o10 and o24 last.
	var obsOrder []int
	for i := range 90 {
		if !deleted[i] && i != 10 && i != 24 {
			obsOrder = append(obsOrder, i)
		}
	}
	obsOrder = append(obsOrder, 10, 24)
	observations := func(keep func(i int) bool) []string {
		var out []string
		for _, i := range obsOrder {
			if keep(i) {
				out = append(out, fmt.Sprintf("o%02d", i))
			}
		}
		return out
	}
	patients := func(keep func(p int) bool) []string {
		var out []string
		for p := range 30 {
			if live(p) && keep(p) {
				out = append(out, fmt.Sprintf("p%02d", p))
			}
		}
		return out
	}
	hasCode3 := func(p int) bool {
		for i := p; i < 90; i += 30 {
			if i%7 == 3 && !deleted[i] {
				return true
			}
		}
		return false
	}
	defer func(w, p int) { sqlsearch.ScanWindow, sqlsearch.InnerProbe = w, p }(sqlsearch.ScanWindow, sqlsearch.InnerProbe)
	for _, q := range []struct {
		typ, raw string
		want     []string
	}{
		{"Observation", "subject:Patient.name=even", observations(func(i int) bool { return live(i%30) && even(i%30) })},
		{"Observation", "subject:Patient.name=even&code=3", observations(func(i int) bool { return live(i%30) && even(i%30) && i%7 == 3 })},
		{"Observation", "encounter.subject:Patient.name=even", observations(func(i int) bool {
			p := encounterPatient(i % 30)
			return live(p) && even(p)
		})},
		{"Patient", "_has:Observation:patient:code=3", patients(hasCode3)},
		{"Patient", "_has:Observation:patient:code=3&name=odd", patients(func(p int) bool { return hasCode3(p) && !even(p) })},
	} {
		if len(q.want) == 0 {
			f.t.Fatalf("%s?%s expects nothing", q.typ, q.raw)
		}
		for _, probe := range []int{0, 1 << 20} { // nested sets always large, always small
			sqlsearch.InnerProbe = probe
			for _, window := range []int{1, 3, 7, 40, 1 << 20} {
				sqlsearch.ScanWindow = window
				for _, size := range []int{1, 4, 50} {
					raw := fmt.Sprintf("%s&_count=%d", q.raw, size)
					got, back := f.walk(q.typ, raw)
					if !slices.Equal(got, q.want) || !slices.Equal(back, q.want) {
						f.t.Errorf("%s?%s with a scan window of %d, inner probe %d: forwards %q backwards %q, want %q", q.typ, raw, window, probe, got, back, q.want)
					}
				}
			}
		}
	}
}
