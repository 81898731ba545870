package sqlsearch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
)

// Dialect is what differs between the SQL of the two backends. Builders
// always write "?" placeholders; Rebind turns them into the backend's form.
type Dialect interface {
	// Rebind rewrites the "?" placeholders of q (q never contains a "?"
	// inside a literal).
	Rebind(q string) string
	// IntList and TextList return an argument holding vals and the SQL of a
	// subquery yielding them, for "x IN (<sql>)"; the SQL contains one "?".
	IntList(vals []int64) (sql string, arg any)
	TextList(vals []string) (sql string, arg any)
	// Contains is the SQL of "haystack contains the argument" (one "?").
	Contains(col string) string
	// False is the literal for a false boolean column value.
	False() string
	// ByRID is appended to "FROM <index table> <alias>" in correlated
	// lookups of one resource's rows (rid = outer), to pin the (rid, pid)
	// key: without statistics SQLite otherwise picks the search index and
	// scans every row of the parameter for each candidate.
	ByRID(table string) string
	// VersionsByType is appended to "FROM resource_versions v" where the
	// query knows v.type and looks up seqs: it pins the (type, seq) index.
	VersionsByType() string
	// LiveBySeq is appended to "FROM resources x" where the query reads
	// live resources of a known type by seq (x.type = ?, x.deleted false,
	// seq bounds): it pins the resources_live_seq index, which also holds
	// the ids.
	LiveBySeq() string
	// PerRow wraps a filter that a scan tests on each candidate in turn
	// (see scanPage), so that the planner runs it once per candidate and
	// the scan stops when the page is full, instead of computing the
	// filter's whole set first to join it.
	PerRow(filter string) string
	// ProbeDrivers tells the engine to choose the driving clause itself by
	// counting (capped) candidate rows, for planners that do not reorder
	// semi-joins.
	ProbeDrivers() bool
}

// Row is one result row of Runner.Resources.
type Row struct {
	Res store.Resource
	Seq int64
}

// KeyRow is one row of a page query: the resource's seq and the values of
// its sort keys (string, int64, float64 or nil).
type KeyRow struct {
	Seq  int64
	Keys []any
}

// Runner executes the engine's statements on a backend connection or
// transaction. Statements are already rebound.
type Runner interface {
	// Resources runs a query whose columns are ResourceCols.
	Resources(ctx context.Context, q string, args []any) ([]Row, error)
	// Keys runs a query whose columns are seq and nKeys sort keys.
	Keys(ctx context.Context, q string, args []any, nKeys int) ([]KeyRow, error)
	// Int runs a query returning one integer.
	Int(ctx context.Context, q string, args []any) (int64, error)
	// Estimate returns the planner's row estimate for q, or ok=false when
	// the backend has none (the engine then counts).
	Estimate(ctx context.Context, q string, args []any) (n int64, ok bool, err error)
}

// ResourceCols are the columns Runner.Resources scans, from alias v of
// resource_versions.
const ResourceCols = `v.seq, v.type, v.id, v.version, v.last_updated, v.deleted, v.method, v.body`

// ErrUnsupported marks a valid search the engine cannot run (token
// subsumption, say). It wraps storeutil.ErrInvalid: the caller's request,
// not the database, is at fault.
var ErrUnsupported = fmt.Errorf("%w: search feature not supported", storeutil.ErrInvalid)

// ErrCursor is returned for a paging cursor that is malformed or belongs
// to another search.
var ErrCursor = fmt.Errorf("%w: invalid search cursor", storeutil.ErrInvalid)

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

// IsCallerError reports whether err is the caller's fault (bad cursor,
// unsupported feature) rather than a database failure.
func IsCallerError(err error) bool { return errors.Is(err, storeutil.ErrInvalid) }

// RebindDollar turns "?" into "$1", "$2", ... (PostgreSQL).
func RebindDollar(q string) string {
	n := strings.Count(q, "?")
	if n == 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 3*n)
	i := 0
	for _, c := range []byte(q) {
		if c == '?' {
			i++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Rows is what both drivers' result sets offer for scanning.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanKeys reads (seq, id, key...) rows for Runner.Keys. Text keys that a
// driver returns as bytes become strings, so cursors compare alike.
func ScanKeys(rows Rows, nKeys int) ([]KeyRow, error) {
	var out []KeyRow
	dest := make([]any, 1+nKeys)
	for rows.Next() {
		kr := KeyRow{Keys: make([]any, nKeys)}
		dest[0] = &kr.Seq
		for i := range kr.Keys {
			dest[1+i] = &kr.Keys[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		for i, k := range kr.Keys {
			if b, ok := k.([]byte); ok {
				kr.Keys[i] = string(b)
			}
		}
		out = append(out, kr)
	}
	return out, rows.Err()
}

// ScanResources reads resource rows for Runner.Resources with the
// backend's own row decoder.
func ScanResources(rows Rows, scan func() (*store.Resource, int64, error)) ([]Row, error) {
	var out []Row
	for rows.Next() {
		res, seq, err := scan()
		if err != nil {
			return nil, err
		}
		out = append(out, Row{Res: *res, Seq: seq})
	}
	return out, rows.Err()
}
