package sqlite

import (
	"context"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/sqlsearch"
)

// planRunner records the query plan of every statement it runs.
type planRunner struct {
	runner
	t     *testing.T
	plans []string
}

func (p *planRunner) explain(ctx context.Context, q string, args []any) {
	rows, err := p.q.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		p.t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			p.t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	p.plans = append(p.plans, strings.Join(plan, "\n"))
}

func (p *planRunner) Resources(ctx context.Context, q string, args []any) ([]sqlsearch.Row, error) {
	p.explain(ctx, q, args)
	return p.runner.Resources(ctx, q, args)
}

func (p *planRunner) Keys(ctx context.Context, q string, args []any, n int) ([]sqlsearch.KeyRow, error) {
	p.explain(ctx, q, args)
	return p.runner.Keys(ctx, q, args, n)
}

func (p *planRunner) Int(ctx context.Context, q string, args []any) (int64, error) {
	p.explain(ctx, q, args)
	return p.runner.Int(ctx, q, args)
}

// fullScan matches a plan step that reads a whole index table or the
// version table (scans of json_each, subquery results and of the resources
// of one type through its primary key are fine).
// A seek on the pid alone reads every row of a parameter: for a correlated
// lookup of one resource's rows that is a scan too.
var fullScan = regexp.MustCompile(`(?m)^SCAN (idx_\w+|resource_versions|[a-z]+\d+)( |$)|INDEX idx_\w+ \(pid=\?\)$`)

// TestSearchPlansUseIndexes checks that typical searches are answered
// through the index tables' indexes, never by scanning them.
func TestSearchPlansUseIndexes(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A little data so that the tables exist with statistics-free defaults.
	w := store.Write{Type: "Encounter", ID: "e1", Method: "PUT",
		Stamp: func(int64, time.Time) ([]byte, error) { return []byte(`{}`), nil },
		Index: []search.Entry{{Param: "patient", Kind: search.KindReference, RefType: "Patient", RefID: "p1"}}}
	if _, err := s.BulkPut(ctx, []store.Write{w}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ typ, raw string }{
		{"Encounter", "patient=p1&_sort=-date&_count=20"},
		{"Condition", "patient=p1&_include=Condition:encounter"},
		{"MedicationRequest", "patient=p1&status=active,stopped"},
		{"Condition", "code=http://snomed.info/sct|44054006&_total=accurate"},
		{"Encounter", "date=ge2020-01-01&date=lt2020-03-01"},
		{"Encounter", "status=finished&date=gt2020-01-01&_sort=date"},
		{"Patient", "name=smi&birthdate=1980"},
		{"Observation", "patient:Patient.name=alice"},
		{"Patient", "_has:Observation:patient:code=1234-5"},
		{"Patient", "_id=p1&_revinclude=Encounter:patient"},
		{"Observation", "value-quantity=gt5|http://unitsofmeasure.org|mg"},
		{"Observation", "code-value-quantity=http://loinc.org|1$gt5"},
	} {
		v, _ := url.ParseQuery(tc.raw)
		q, _, err := search.ParseQuery(tc.typ, v, search.ParseOptions{DefaultCount: 50})
		if err != nil {
			t.Fatalf("%s?%s: %v", tc.typ, tc.raw, err)
		}
		pr := &planRunner{runner: runner{s.rdb}, t: t}
		if _, err := sqlsearch.Search(ctx, dialect{}, pr, s.now, store.SearchRequest{Query: q}); err != nil {
			t.Fatalf("%s?%s: %v", tc.typ, tc.raw, err)
		}
		for _, plan := range pr.plans {
			if m := fullScan.FindString(plan); m != "" {
				t.Errorf("%s?%s: plan scans a table (%s):\n%s", tc.typ, tc.raw, m, plan)
			}
		}
	}
}
