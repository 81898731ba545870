package storetest

import (
	"slices"

	"github.com/housecall/housecall/internal/store"
)

func init() {
	register("SearchAccess", testSearchAccess)
}

// testSearchAccess checks that an access restriction holds on every path a
// search can take to data: matches, totals, chains, _has, includes and
// revincludes, and that open types stay visible.
func testSearchAccess(f *fixture) {
	f.index("Patient", "p1", eStr("name", "Alice"))
	f.index("Patient", "p2", eStr("name", "Bob"))
	f.index("Practitioner", "dr", eStr("name", "Doctor"))
	f.index("Encounter", "e1", eRef("patient", "Patient", "p1"), eRef("subject", "Patient", "p1"), eRef("participant", "Practitioner", "dr"))
	f.index("Encounter", "e2", eRef("patient", "Patient", "p2"), eRef("subject", "Patient", "p2"), eRef("participant", "Practitioner", "dr"))
	f.index("Observation", "o1", eRef("subject", "Patient", "p1"), eRef("patient", "Patient", "p1"), eTok("code", "http://loinc.org", "1-1", ""))
	f.index("Observation", "o2", eRef("subject", "Patient", "p2"), eRef("patient", "Patient", "p2"), eTok("code", "http://loinc.org", "2-2", ""),
		eRef("encounter", "Encounter", "e2"))
	// c1 belongs to p1 but points at p2's encounter (a data-entry slip):
	// following it must not reveal e2.
	f.index("Condition", "c1", eRef("subject", "Patient", "p1"), eRef("patient", "Patient", "p1"), eRef("encounter", "Encounter", "e2"))
	f.index("Binary", "b1")

	p1 := &store.Access{Patients: []string{"p1"}, OpenTypes: map[string]bool{"Practitioner": true}}
	for _, tc := range []struct {
		typ, raw string
		access   *store.Access
		matches  []string
		included []string
		total    int64
	}{
		{"Observation", "_total=accurate", p1, []string{"o1"}, nil, 1},
		{"Observation", "_total=accurate", nil, []string{"o1", "o2"}, nil, 2},
		{"Patient", "_total=accurate", p1, []string{"p1"}, nil, 1},
		{"Patient", "name=bob", p1, nil, nil, -1},
		{"Observation", "subject:Patient.name=bob", p1, nil, nil, -1},
		{"Observation", "subject:Patient.name=alice", p1, []string{"o1"}, nil, -1},
		{"Observation", "encounter.participant:Practitioner.name=doctor", p1, nil, nil, -1},
		{"Patient", "_has:Observation:patient:code=2-2", p1, nil, nil, -1},
		{"Patient", "_has:Observation:patient:code=2-2", nil, []string{"p2"}, nil, -1},
		{"Patient", "_has:Observation:patient:code=1-1", p1, []string{"p1"}, nil, -1},
		{"Encounter", "_has:Observation:encounter:code=2-2", p1, nil, nil, -1},
		{"Condition", "_include=Condition:encounter", p1, []string{"c1"}, nil, -1},
		{"Condition", "_include=Condition:encounter", nil, []string{"c1"}, []string{"Encounter/e2"}, -1},
		{"Practitioner", "_revinclude=Encounter:participant", p1, []string{"dr"}, []string{"Encounter/e1"}, -1},
		{"Patient", "_revinclude=Observation:subject", p1, []string{"p1"}, []string{"Observation/o1"}, -1},
		{"Encounter", "_include=Encounter:participant", p1, []string{"e1"}, []string{"Practitioner/dr"}, -1},
		{"Binary", "", p1, nil, nil, -1},
		{"Observation", "", &store.Access{}, nil, nil, -1},
		{"Practitioner", "", &store.Access{}, nil, nil, -1},
	} {
		q := f.query(tc.typ, tc.raw)
		res, err := f.s.Search(f.ctx, store.SearchRequest{Query: q, Access: tc.access})
		if err != nil {
			f.t.Fatalf("%s?%s: %v", tc.typ, tc.raw, err)
		}
		got := idsOf(res.Matches)
		slices.Sort(got)
		want := tc.matches
		if want == nil {
			want = []string{}
		}
		inc := refs(res.Included)
		wantInc := tc.included
		if wantInc == nil {
			wantInc = []string{}
		}
		restricted := tc.access != nil
		if !slices.Equal(got, want) || !slices.Equal(inc, wantInc) || (tc.total >= 0 && res.Total != tc.total) {
			f.t.Errorf("%s?%s (restricted %v): matches %q included %q total %d; want %q, %q, %d",
				tc.typ, tc.raw, restricted, got, inc, res.Total, want, wantInc, tc.total)
		}
	}
	// Compartment search inside the restriction: p1 asking for p2's data.
	q := f.query("Observation", "")
	res, err := f.s.Search(f.ctx, store.SearchRequest{Query: q, Access: p1,
		Compartment: &store.Compartment{Type: "Patient", ID: "p2", Params: []string{"subject", "patient"}}})
	if err != nil || len(res.Matches) != 0 {
		f.t.Errorf("p1 searching p2's compartment: %v, %v", idsOf(res.Matches), err)
	}
}
