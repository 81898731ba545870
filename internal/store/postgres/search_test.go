package postgres

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/postgres/pgtest"
)

// TestSearchStatementsPlannedPerExecution checks that the statements whose
// plan depends on the searched values are not named prepared statements,
// which PostgreSQL switches to a generic plan after five executions (see
// planned), while reads by seq still are.
func TestSearchStatementsPlannedPerExecution(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, pgtest.URL(t), WithMaxConns(1)) // one session: its statements are visible
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var writes []store.Write
	for _, id := range []string{"o1", "o2", "o3"} {
		writes = append(writes, store.Write{Type: "Observation", ID: id, Method: "PUT",
			Stamp: func(int64, time.Time) ([]byte, error) { return []byte(`{}`), nil },
			Index: []search.Entry{{Param: "code", Kind: search.KindToken, Code: "a"}}})
	}
	if _, err := s.BulkPut(ctx, writes); err != nil {
		t.Fatal(err)
	}
	v, _ := url.ParseQuery("code=a&_total=accurate&_count=2")
	q, _, err := search.ParseQuery("Observation", v, search.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 8 {
		res, err := s.Search(ctx, store.SearchRequest{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 3 || len(res.Matches) != 2 {
			t.Fatalf("total %d with %d matches, want 3 with 2", res.Total, len(res.Matches))
		}
	}
	rows, err := s.pool.Query(ctx, "SELECT statement FROM pg_prepared_statements")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	fetch := false
	for rows.Next() {
		var st string
		if err := rows.Scan(&st); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(st, "idx_token") && !strings.HasPrefix(st, "INSERT") && !strings.HasPrefix(st, "DELETE") {
			t.Errorf("search statement prepared by name, open to a generic plan: %s", st)
		}
		fetch = fetch || strings.Contains(st, "FROM resource_versions v WHERE v.seq IN")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !fetch {
		t.Error("the read by seqs is not among the session's prepared statements: the check looks at the wrong session")
	}
}
