package storetest

import (
	"errors"
	"slices"
	"strconv"

	"github.com/housecall/housecall/internal/store"
)

func init() {
	register("SearchChain", testSearchChain)
	register("SearchHas", testSearchHas)
	register("SearchSort", testSearchSort)
	register("SearchTotal", testSearchTotal)
	register("SearchInclude", testSearchInclude)
	register("SearchCompartment", testSearchCompartment)
	register("CompartmentTypes", testCompartmentTypes)
	register("SearchCursorErrors", testSearchCursorErrors)
}

// A small clinic: organizations, patients, encounters, observations.
func (f *fixture) clinic() {
	f.index("Organization", "org1", eStr("name", "General Hospital"))
	f.index("Organization", "org2", eStr("name", "Small Clinic"), eRef("partof", "Organization", "org1"))
	f.index("Patient", "pa", eStr("name", "Alice"), eRef("organization", "Organization", "org1"), eTok("gender", "", "female", ""))
	f.index("Patient", "pb", eStr("name", "Bob"), eRef("organization", "Organization", "org2"), eTok("gender", "", "male", ""))
	f.index("Patient", "pc", eStr("name", "Carol"))
	f.index("Group", "pa", eTok("code", "", "cohort", "")) // same id, another type
	f.index("Encounter", "e1", eRef("subject", "Patient", "pa"), eRef("patient", "Patient", "pa"), eTok("status", "", "finished", ""), eDay("date", "2024-01-02"))
	f.index("Encounter", "e2", eRef("subject", "Patient", "pb"), eRef("patient", "Patient", "pb"), eTok("status", "", "planned", ""), eDay("date", "2024-01-01"))
	f.index("Observation", "o1", eRef("subject", "Patient", "pa"), eRef("patient", "Patient", "pa"), eRef("encounter", "Encounter", "e1"), eTok("code", "http://loinc.org", "1", ""))
	f.index("Observation", "o2", eRef("subject", "Patient", "pb"), eRef("patient", "Patient", "pb"), eRef("encounter", "Encounter", "e2"), eTok("code", "http://loinc.org", "2", ""))
	f.index("Observation", "o3", eRef("subject", "Group", "pa"), eTok("code", "http://loinc.org", "1", ""))
	f.index("Observation", "o4", eRef("subject", "Patient", "pc"), eRef("patient", "Patient", "pc"), eRef("has-member", "Observation", "o1"))
}

func testSearchChain(f *fixture) {
	f.clinic()
	f.expect("Observation", "subject:Patient.name=alice", "o1")
	f.expect("Observation", "patient:Patient.name=alice", "o1")
	f.expect("Observation", "subject:Group.code=cohort", "o3")
	f.expect("Observation", "patient:Patient.gender=male", "o2")
	f.expect("Observation", "patient:Patient.gender:not=male", "o1", "o4") // pc has no gender
	// Two hops, each restricted to one type.
	f.expect("Observation", "patient:Patient.organization.name=general", "o1")
	f.expect("Observation", "patient:Patient.organization.name=small", "o2")
	f.expect("Observation", "patient:Patient.organization.partof=Organization/org1", "o2")
	f.expect("Observation", "encounter.patient:Patient.name=bob", "o2")
	f.expect("Observation", "encounter.status=finished&patient:Patient.name=alice", "o1")
	f.expect("Observation", "encounter.status=finished&patient:Patient.name=bob")
	// A deleted target no longer satisfies a chain.
	f.mustWrite(del("Patient", "pb"))
	f.expect("Observation", "patient:Patient.gender=male")
}

func testSearchHas(f *fixture) {
	f.clinic()
	f.expect("Patient", "_has:Observation:patient:code=1", "pa")
	f.expect("Patient", "_has:Observation:subject:code=1", "pa")
	f.expect("Group", "_has:Observation:subject:code=1", "pa")
	f.expect("Patient", "_has:Observation:patient:code=2", "pb")
	f.expect("Patient", "_has:Encounter:patient:status=finished,planned", "pa", "pb")
	f.expect("Patient", "_has:Encounter:patient:status=finished&gender=female", "pa")
	f.expect("Patient", "_has:Encounter:patient:status=finished&gender=male")
	// Nested: patients with an encounter that an observation of code 2 points at.
	f.expect("Patient", "_has:Encounter:patient:_has:Observation:encounter:code=2", "pb")
	// _has inside a chain: observations of patients who have a finished encounter.
	f.expect("Observation", "patient:Patient._has:Encounter:patient:status=finished", "o1")
	f.expect("Organization", "_has:Patient:organization:name=bob", "org2")
}

func testSearchSort(f *fixture) {
	// Dates with ties and a missing value; names with one missing.
	data := []struct {
		id, day, name string
	}{
		{"s1", "2024-01-03", "delta"}, {"s2", "2024-01-01", "alpha"}, {"s3", "", "charlie"},
		{"s4", "2024-01-02", ""}, {"s5", "2024-01-01", "bravo"}, {"s6", "2024-01-05", "echo"},
	}
	for _, d := range data {
		w := idxPut("Encounter", d.id, eTok("status", "", "finished", ""))
		if d.day != "" {
			w.Index = append(w.Index, eDay("date", d.day))
		}
		if d.name != "" {
			w.Index = append(w.Index, eRef("subject", "Patient", d.name))
		}
		f.mustWrite(w)
	}
	f.expect("Encounter", "_sort=date", "s2", "s5", "s4", "s1", "s6", "s3")
	f.expect("Encounter", "_sort=-date", "s6", "s1", "s4", "s2", "s5", "s3")
	f.expect("Encounter", "_sort=subject", "s2", "s5", "s3", "s1", "s6", "s4")
	f.expect("Encounter", "_sort=-subject", "s6", "s1", "s3", "s5", "s2", "s4")
	f.expect("Encounter", "_sort=date,-subject", "s5", "s2", "s4", "s1", "s6", "s3")
	f.expect("Encounter", "_sort=-_id", "s6", "s5", "s4", "s3", "s2", "s1")
	f.expect("Encounter", "_sort=_lastUpdated", "s1", "s2", "s3", "s4", "s5", "s6")
	f.expect("Encounter", "_sort=-_lastUpdated&status=finished", "s6", "s5", "s4", "s3", "s2", "s1")

	// Paging forwards and backwards through every order, at every page size.
	for _, sort := range []string{"", "_sort=date", "_sort=-date", "_sort=subject,-date", "_sort=-subject"} {
		all := f.ids("Encounter", sort)
		for size := 1; size <= 4; size++ {
			raw := sort + "&_count=" + strconv.Itoa(size)
			got, back := f.walk("Encounter", raw)
			if !slices.Equal(got, all) {
				f.t.Errorf("%s: pages forwards %q, want %q", raw, got, all)
			}
			if !slices.Equal(back, all) {
				f.t.Errorf("%s: pages backwards %q, want %q", raw, back, all)
			}
		}
	}

	// Concurrent inserts before and after the cursor: the next page starts
	// where the last one ended, with no gaps. Ties on the sort key are in
	// the order of last change, so rows written since the first page come
	// after the cursor within their tie, and an update of a seen row shows
	// its new version again there.
	raw := "_sort=date&_count=2"
	p1 := f.search(f.s, "Encounter", raw, "")
	if want := []string{"s2", "s5"}; !slices.Equal(idsOf(p1.Matches), want) {
		f.t.Fatalf("first page %q, want %q", idsOf(p1.Matches), want)
	}
	f.index("Encounter", "s0", eDay("date", "2023-12-01"))             // before the cursor
	f.index("Encounter", "s7", eDay("date", "2024-01-04"))             // after it
	f.index("Encounter", "s45", eDay("date", "2024-01-01"))            // tie on the key, written after the cursor's row
	f.index("Encounter", "s55", eDay("date", "2024-01-01"))            // likewise
	f.mustWrite(idxPut("Encounter", "s2", eDay("date", "2024-01-01"))) // update of a seen row: its new version comes again
	var rest []string
	for cur := p1.Next; cur != ""; {
		p := f.search(f.s, "Encounter", raw, cur)
		rest = append(rest, idsOf(p.Matches)...)
		cur = p.Next
	}
	if want := []string{"s45", "s55", "s2", "s4", "s1", "s7", "s6", "s3"}; !slices.Equal(rest, want) {
		f.t.Errorf("pages after concurrent writes: %q, want %q", rest, want)
	}
}

// walk pages through typ?raw forwards to the end, then backwards from the
// last page to the first, returning both sequences in query order.
func (f *fixture) walk(typ, raw string) (fwd, back []string) {
	f.t.Helper()
	var pages [][]string
	p := f.search(f.s, typ, raw, "")
	if p.Prev != "" {
		f.t.Errorf("%s?%s: first page has a previous link", typ, raw)
	}
	for {
		pages = append(pages, idsOf(p.Matches))
		fwd = append(fwd, idsOf(p.Matches)...)
		if p.Next == "" || len(pages) > 100 {
			break
		}
		p = f.search(f.s, typ, raw, p.Next)
	}
	back = idsOf(p.Matches)
	for n := 0; p.Prev != "" && n < 100; n++ {
		p = f.search(f.s, typ, raw, p.Prev)
		back = append(idsOf(p.Matches), back...)
	}
	return fwd, back
}

func testSearchTotal(f *fixture) {
	for i := range 7 {
		code := "a"
		if i%2 == 1 {
			code = "b"
		}
		f.index("Observation", "o"+strconv.Itoa(i), eTok("code", "", code, ""))
	}
	// Several index rows of one resource match: it counts once.
	f.index("Observation", "o7", eTok("code", "s1", "a", ""), eTok("code", "s2", "a", ""))
	f.index("Observation", "o8", eTok("code", "", "a", ""), eTok("code", "", "b", ""))
	check := func(raw string, total int64, matches int) {
		f.t.Helper()
		res := f.search(f.s, "Observation", raw, "")
		if res.Total != total || len(res.Matches) != matches {
			f.t.Errorf("%s: total %d with %d matches, want %d with %d", raw, res.Total, len(res.Matches), total, matches)
		}
	}
	check("code=a", -1, 6)
	check("code=a&_total=none", -1, 6)
	check("code=a&_total=accurate&_count=1", 6, 1)
	check("code=b&_total=accurate", 4, 4)
	check("code=a,b&_total=accurate", 9, 9)
	check("_total=accurate&_count=2", 9, 2)
	check("code=a&_summary=count", 6, 0)
	check("code=c&_total=accurate", 0, 0)
	check("code=a&_count=0&_total=accurate", 6, 0)
	res := f.search(f.s, "Observation", "code=a&_total=estimate", "")
	if res.Total < 0 {
		f.t.Errorf("_total=estimate gave no total")
	}
}

func testSearchInclude(f *fixture) {
	f.clinic()
	res := f.search(f.s, "Observation", "code=1&_include=Observation:patient", "")
	if got, want := refs(res.Matches), []string{"Observation/o1", "Observation/o3"}; !slices.Equal(got, want) {
		f.t.Errorf("matches %q, want %q", got, want)
	}
	if got, want := refs(res.Included), []string{"Patient/pa"}; !slices.Equal(got, want) {
		f.t.Errorf("_include: %q, want %q", got, want)
	}
	res = f.search(f.s, "Observation", "code=1&_include=Observation:subject:Group", "")
	if got, want := refs(res.Included), []string{"Group/pa"}; !slices.Equal(got, want) {
		f.t.Errorf("_include with target: %q, want %q", got, want)
	}
	res = f.search(f.s, "Observation", "_id=o1&_include=*", "")
	if got, want := refs(res.Included), []string{"Encounter/e1", "Patient/pa"}; !slices.Equal(got, want) {
		f.t.Errorf("_include=*: %q, want %q", got, want)
	}
	// Iterate: observation -> patient -> organization -> parent organization.
	res = f.search(f.s, "Observation", "_id=o2&_include=Observation:patient&_include:iterate=Patient:organization&_include:iterate=Organization:partof", "")
	if got, want := refs(res.Included), []string{"Organization/org1", "Organization/org2", "Patient/pb"}; !slices.Equal(got, want) {
		f.t.Errorf("_include:iterate: %q, want %q", got, want)
	}
	// Without :iterate the second hop is not followed.
	res = f.search(f.s, "Observation", "_id=o2&_include=Observation:patient&_include=Observation:encounter", "")
	if got, want := refs(res.Included), []string{"Encounter/e2", "Patient/pb"}; !slices.Equal(got, want) {
		f.t.Errorf("_include twice: %q, want %q", got, want)
	}
	res = f.search(f.s, "Patient", "_id=pa&_revinclude=Observation:patient&_revinclude=Encounter:subject", "")
	if got, want := refs(res.Included), []string{"Encounter/e1", "Observation/o1"}; !slices.Equal(got, want) {
		f.t.Errorf("_revinclude: %q, want %q", got, want)
	}
	// A match that is also referenced is not repeated in Included.
	res = f.search(f.s, "Observation", "_id=o1,o4&_revinclude=Observation:has-member", "")
	if len(res.Included) != 0 {
		f.t.Errorf("_revinclude of a match: included %q", refs(res.Included))
	}
	res = f.search(f.s, "Patient", "_id=pa&_revinclude=Observation:patient&_include:iterate=Observation:encounter", "")
	if got, want := refs(res.Included), []string{"Encounter/e1", "Observation/o1"}; !slices.Equal(got, want) {
		f.t.Errorf("_revinclude then _include:iterate: %q, want %q", got, want)
	}
	// Deleted targets are not included.
	f.mustWrite(del("Patient", "pa"))
	res = f.search(f.s, "Observation", "code=1&_include=Observation:patient", "")
	if len(res.Included) != 0 {
		f.t.Errorf("included a deleted resource: %q", refs(res.Included))
	}
}

func testSearchCompartment(f *fixture) {
	f.clinic()
	params := []string{"subject", "performer"}
	for _, tc := range []struct {
		typ, id, raw string
		want         []string
	}{
		{"Patient", "pa", "", []string{"o1"}},
		{"Patient", "pa", "code=2", nil},
		{"Patient", "pb", "_sort=-_id", []string{"o2"}},
		{"Group", "pa", "", []string{"o3"}},
		{"Patient", "nobody", "", nil},
	} {
		res, err := f.s.Search(f.ctx, store.SearchRequest{Query: f.query("Observation", tc.raw),
			Compartment: &store.Compartment{Type: tc.typ, ID: tc.id, Params: params}})
		if err != nil {
			f.t.Fatalf("compartment %s/%s: %v", tc.typ, tc.id, err)
		}
		if got := idsOf(res.Matches); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			f.t.Errorf("compartment %s/%s Observation?%s: %q, want %q", tc.typ, tc.id, tc.raw, got, tc.want)
		}
	}
}

func testCompartmentTypes(f *fixture) {
	f.clinic()
	f.mustWrite(del("Observation", "o2"))
	params := map[string][]string{
		"Encounter":   {"patient", "subject"},
		"Observation": {"subject", "performer", "{def}"},
		"Condition":   {"patient"},
		"Patient":     {"link"},
	}
	for _, tc := range []struct {
		typ, id string
		want    []string
	}{
		{"Patient", "pa", []string{"Encounter", "Observation"}},
		{"Patient", "pb", []string{"Encounter"}}, // o2 is deleted
		{"Group", "pa", []string{"Observation"}},
		{"Patient", "nobody", nil},
	} {
		got, err := f.s.CompartmentTypes(f.ctx, tc.typ, tc.id, params)
		if err != nil {
			f.t.Fatalf("compartment types of %s/%s: %v", tc.typ, tc.id, err)
		}
		var types []string
		for t, ok := range got {
			if ok {
				types = append(types, t)
			}
		}
		slices.Sort(types)
		if !slices.Equal(types, tc.want) {
			f.t.Errorf("compartment types of %s/%s: %q, want %q", tc.typ, tc.id, types, tc.want)
		}
	}
	// Inside a transaction, its own writes count.
	err := f.s.InTx(f.ctx, func(tx store.Tx) error {
		if _, err := tx.Write(f.ctx, idxPut("Condition", "c1", eRef("patient", "Patient", "pc"))); err != nil {
			return err
		}
		got, err := tx.CompartmentTypes(f.ctx, "Patient", "pc", params)
		if err != nil {
			return err
		}
		if !got["Condition"] || !got["Observation"] || got["Encounter"] {
			f.t.Errorf("compartment types of Patient/pc in a transaction: %v", got)
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

func testSearchCursorErrors(f *fixture) {
	for i := range 3 {
		f.index("Patient", "p"+strconv.Itoa(i), eStr("name", "n"+strconv.Itoa(i)))
	}
	p := f.search(f.s, "Patient", "_sort=name&_count=1", "")
	if p.Next == "" {
		f.t.Fatal("no next page")
	}
	for _, tc := range []struct{ raw, cursor string }{
		{"_sort=name&_count=1", "!!!"},
		{"_sort=name&_count=1", "e30"},        // {}
		{"_sort=-name&_count=1", p.Next},      // another order
		{"_count=1", p.Next},                  // no order
		{"_sort=name&_count=1", p.Next + "x"}, // damaged
	} {
		_, err := f.s.Search(f.ctx, store.SearchRequest{Query: f.query("Patient", tc.raw), Cursor: tc.cursor})
		if err == nil {
			f.t.Errorf("%s with cursor %q: no error", tc.raw, tc.cursor)
		} else if errors.Is(err, store.ErrNotFound) {
			f.t.Errorf("%s: cursor error %v is a not-found", tc.raw, err)
		}
	}
}
