package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/sqlsearch"
)

// dialect is PostgreSQL's side of sqlsearch.Dialect: $n placeholders and
// array parameters.
type dialect struct{}

func (dialect) Rebind(q string) string { return sqlsearch.RebindDollar(q) }

func (dialect) IntList(vals []int64) (string, any) { return "SELECT unnest(?::bigint[])", vals }

func (dialect) TextList(vals []string) (string, any) { return "SELECT unnest(?::text[])", vals }

func (dialect) Contains(col string) string { return "strpos(" + col + ", ?) > 0" }
func (dialect) False() string              { return "false" }

// ByRID: the planner has statistics and picks the (rid, pid) index itself.
func (dialect) ByRID(string) string { return "" }

// VersionsByType: the planner picks the index itself (an index-only scan of
// (type, seq) when the table is vacuumed).
func (dialect) VersionsByType() string { return "" }

// LiveBySeq: the planner picks the partial index itself.
func (dialect) LiveBySeq() string { return "" }

// PerRow makes the filter a scalar subquery: PostgreSQL turns an EXISTS in
// WHERE into a semi-join, and with a skewed estimate (a common code counted
// as rare) it hashes every match of the filter (thirty thousand conditions
// for a page of fifty patients) before the scan returns its first row. A
// scalar subquery is a subplan run per candidate.
func (dialect) PerRow(filter string) string { return "(SELECT " + filter + ")" }

// ProbeDrivers: PostgreSQL turns IN and EXISTS into semi-joins and orders
// them from its statistics.
func (dialect) ProbeDrivers() bool { return false }

// runner executes sqlsearch statements on the pool or a transaction.
type runner struct{ q querier }

// planned passes args to a search statement that is planned for its own
// values on every execution. pgx's default caches a named prepared
// statement, and after five executions PostgreSQL may switch it to a
// generic plan, made without the values: a generic plan estimates a code
// at three rows, so the page of the commonest code (29,680 conditions)
// hashed them all and took 150 ms instead of 1 ms. With the cached
// description and the unnamed statement, parameter types still come from
// the server and the statement still takes one round trip. Pages, counts
// and probes (Keys, Int, Estimate) take it; Resources reads rows by a list
// of seqs, whose plan does not depend on the values, and keeps the cached
// statement (planning costs a few tenths of a millisecond per statement).
func planned(args []any) []any {
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}

func (r runner) Resources(ctx context.Context, q string, args []any) ([]sqlsearch.Row, error) {
	rows, err := r.q.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlsearch.ScanResources(rows, func() (*store.Resource, int64, error) { return scanVersion(rows) })
}

func (r runner) Keys(ctx context.Context, q string, args []any, nKeys int) ([]sqlsearch.KeyRow, error) {
	rows, err := r.q.Query(ctx, q, planned(args)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlsearch.ScanKeys(rows, nKeys)
}

func (r runner) Int(ctx context.Context, q string, args []any) (int64, error) {
	var n int64
	err := r.q.QueryRow(ctx, q, planned(args)...).Scan(&n)
	return n, err
}

// Estimate reads the planner's row estimate of q.
func (r runner) Estimate(ctx context.Context, q string, args []any) (int64, bool, error) {
	var plan []byte
	if err := r.q.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q, planned(args)...).Scan(&plan); err != nil {
		return 0, false, err
	}
	var p []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &p); err != nil || len(p) == 0 {
		return 0, false, nil
	}
	return int64(p[0].Plan.Rows), true, nil
}

// Search runs one page of a search on the pool.
func (s *Store) Search(ctx context.Context, req store.SearchRequest) (*store.SearchResult, error) {
	res, err := sqlsearch.Search(ctx, dialect{}, runner{s.pool}, s.now, req)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return res, nil
}

// Search runs one page of a search inside the transaction: it sees the
// transaction's own writes.
func (t *ptx) Search(ctx context.Context, req store.SearchRequest) (*store.SearchResult, error) {
	if t.err != nil {
		return nil, fmt.Errorf("postgres: search: transaction already failed: %w", t.err)
	}
	res, err := sqlsearch.Search(ctx, dialect{}, runner{t.tx}, t.s.now, req)
	if err != nil {
		return nil, t.check(fmt.Errorf("postgres: %w", err))
	}
	return res, nil
}

// CompartmentTypes implements store.Reader on the pool.
func (s *Store) CompartmentTypes(ctx context.Context, typ, id string, params map[string][]string) (map[string]bool, error) {
	out, err := sqlsearch.CompartmentTypes(ctx, dialect{}, runner{s.pool}, typ, id, params)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return out, nil
}

// CompartmentTypes implements store.Reader inside the transaction.
func (t *ptx) CompartmentTypes(ctx context.Context, typ, id string, params map[string][]string) (map[string]bool, error) {
	if t.err != nil {
		return nil, fmt.Errorf("postgres: compartment types: transaction already failed: %w", t.err)
	}
	out, err := sqlsearch.CompartmentTypes(ctx, dialect{}, runner{t.tx}, typ, id, params)
	if err != nil {
		return nil, t.check(fmt.Errorf("postgres: %w", err))
	}
	return out, nil
}

// AfterBulkLoad vacuums and analyzes the resource and index tables after a
// large import: the statistics let searches be planned on real row counts
// at once (autovacuum would get there eventually), and vacuuming sets the
// visibility map, without which PostgreSQL cannot answer from the covering
// search indexes alone (every index entry would cost a heap visit).
func (s *Store) AfterBulkLoad(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, "VACUUM (ANALYZE) resources, resource_versions, idx_string, idx_token, idx_reference, idx_date, idx_number, idx_quantity, idx_uri"); err != nil {
		return fmt.Errorf("postgres: vacuum analyze: %w", err)
	}
	return nil
}
