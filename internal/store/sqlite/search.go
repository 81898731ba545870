package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/sqlsearch"
)

// dialect is SQLite's side of sqlsearch.Dialect: list parameters are JSON
// arrays read with json_each.
type dialect struct{}

func (dialect) Rebind(q string) string { return q }

func (dialect) IntList(vals []int64) (string, any) {
	js, _ := json.Marshal(vals)
	return "SELECT value FROM json_each(?)", string(js)
}

func (dialect) TextList(vals []string) (string, any) {
	js, _ := json.Marshal(vals)
	return "SELECT value FROM json_each(?)", string(js)
}

func (dialect) Contains(col string) string { return "instr(" + col + ", ?) > 0" }
func (dialect) False() string              { return "0" }

// ByRID names the primary key of a WITHOUT ROWID index table.
func (dialect) ByRID(table string) string { return " INDEXED BY sqlite_autoindex_" + table + "_1" }

// VersionsByType pins the (type, seq) index: SQLite prefers rowid lookups,
// which read a table page per row.
func (dialect) VersionsByType() string { return " INDEXED BY resource_versions_type_seq" }

// LiveBySeq pins the partial index of live resources: SQLite would rather
// read the primary key of the type's resources in id order.
func (dialect) LiveBySeq() string { return " INDEXED BY resources_live_seq" }

// PerRow: SQLite runs an EXISTS per row of the scan anyway.
func (dialect) PerRow(filter string) string { return filter }

// ProbeDrivers: SQLite does not reorder EXISTS subqueries, so the engine
// picks the driving clause by counting.
func (dialect) ProbeDrivers() bool { return true }

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// runner executes sqlsearch statements on the read pool or a transaction.
type runner struct{ q queryer }

func (r runner) Resources(ctx context.Context, q string, args []any) ([]sqlsearch.Row, error) {
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlsearch.ScanResources(rows, func() (*store.Resource, int64, error) { return scanVersion(rows) })
}

func (r runner) Keys(ctx context.Context, q string, args []any, nKeys int) ([]sqlsearch.KeyRow, error) {
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlsearch.ScanKeys(rows, nKeys)
}

func (r runner) Int(ctx context.Context, q string, args []any) (int64, error) {
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

// Estimate: SQLite has no row estimate worth reporting; the engine counts.
func (runner) Estimate(context.Context, string, []any) (int64, bool, error) { return 0, false, nil }

// Search runs one page of a search on the read pool.
func (s *Store) Search(ctx context.Context, req store.SearchRequest) (*store.SearchResult, error) {
	res, err := sqlsearch.Search(ctx, dialect{}, runner{s.rdb}, s.now, req)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return res, nil
}

// Search runs one page of a search inside the transaction: it sees the
// transaction's own writes.
func (t *wtx) Search(ctx context.Context, req store.SearchRequest) (*store.SearchResult, error) {
	if t.err != nil {
		return nil, fmt.Errorf("sqlite: search: transaction already failed: %w", t.err)
	}
	// A failed read leaves an SQLite transaction usable, so unlike a
	// failed write it does not poison t.
	res, err := sqlsearch.Search(ctx, dialect{}, runner{t.tx}, t.s.now, req)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return res, nil
}

// CompartmentTypes implements store.Reader on the read pool.
func (s *Store) CompartmentTypes(ctx context.Context, typ, id string, params map[string][]string) (map[string]bool, error) {
	out, err := sqlsearch.CompartmentTypes(ctx, dialect{}, runner{s.rdb}, typ, id, params)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return out, nil
}

// CompartmentTypes implements store.Reader inside the transaction.
func (t *wtx) CompartmentTypes(ctx context.Context, typ, id string, params map[string][]string) (map[string]bool, error) {
	if t.err != nil {
		return nil, fmt.Errorf("sqlite: compartment types: transaction already failed: %w", t.err)
	}
	out, err := sqlsearch.CompartmentTypes(ctx, dialect{}, runner{t.tx}, typ, id, params)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return out, nil
}
