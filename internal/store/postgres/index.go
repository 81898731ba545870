package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/sqlsearch"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
)

// afterWrite replaces the index rows of r (version seq) in the write
// transaction, in one round trip: the replaced version's rows are deleted
// and the new entries (plus _lastUpdated) inserted from column arrays.
func (t *ptx) afterWrite(ctx context.Context, r *store.Resource, seq int64, prev *storeutil.Current, entries []search.Entry) error {
	b := &pgx.Batch{}
	if prev != nil && !prev.Deleted {
		for _, tb := range sqlsearch.Tables {
			b.Queue("DELETE FROM "+tb.Name+" WHERE rid = $1", prev.Seq)
		}
	}
	if !r.Deleted {
		rows := sqlsearch.NewBatch()
		rows.Add(r.Type, seq, entries, r.LastUpdated)
		for _, tb := range sqlsearch.Tables {
			if q, args := unnestInsert(tb, rows.Rows[tb]); q != "" {
				b.Queue(q, args...)
			}
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("update search index: %w", err)
	}
	return nil
}

// unnestInsert is an INSERT of the flat rows vals of tb from one array
// parameter per column.
func unnestInsert(tb *sqlsearch.Table, vals []any) (string, []any) {
	cols := tb.AllCols()
	w := len(cols)
	n := len(vals) / w
	if n == 0 {
		return "", nil
	}
	args := make([]any, w)
	casts := make([]string, w)
	for j := range cols {
		switch vals[j].(type) {
		case int64:
			col := make([]int64, n)
			for i := range col {
				col[i] = vals[i*w+j].(int64)
			}
			args[j], casts[j] = col, "bigint[]"
		case float64:
			col := make([]float64, n)
			for i := range col {
				col[i] = vals[i*w+j].(float64)
			}
			args[j], casts[j] = col, "float8[]"
		default:
			col := make([]string, n)
			for i := range col {
				col[i], _ = vals[i*w+j].(string)
			}
			args[j], casts[j] = col, "text[]"
		}
		casts[j] = "$" + strconv.Itoa(j+1) + "::" + casts[j]
	}
	return "INSERT INTO " + tb.Name + " (" + strings.Join(cols, ", ") + ") SELECT * FROM unnest(" + strings.Join(casts, ", ") + ")", args
}

// bulkIndex brings the index rows up to date for a whole batch: only the
// last version of each resource is indexed (COPY), and the rows of the
// version current before the batch, if any, are deleted.
func (t *ptx) bulkIndex(ctx context.Context, writes []store.Write, out []store.Resource, prev []*storeutil.Current,
	types, ids []string, last map[resKey]int, seqs []int64) error {
	var stale []int64
	first := make(map[resKey]bool, len(types))
	for i := range out {
		k := resKey{out[i].Type, out[i].ID}
		if first[k] {
			continue
		}
		first[k] = true
		if p := prev[i]; p != nil && !p.Deleted {
			stale = append(stale, p.Seq)
		}
	}
	if len(stale) > 0 {
		b := &pgx.Batch{}
		for _, tb := range sqlsearch.Tables {
			b.Queue("DELETE FROM "+tb.Name+" WHERE rid = ANY($1)", stale)
		}
		if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("delete replaced index rows: %w", err)
		}
	}
	rows := sqlsearch.NewBatch()
	for i := range types {
		j := last[resKey{types[i], ids[i]}]
		if !out[j].Deleted {
			rows.Add(out[j].Type, seqs[j], writes[j].Index, out[j].LastUpdated)
		}
	}
	for _, tb := range sqlsearch.Tables {
		vals := rows.Rows[tb]
		w := len(tb.Cols) + 3
		n := len(vals) / w
		if n == 0 {
			continue
		}
		if n < 16 {
			// COPY costs a round trip of its own; small sets go inline.
			q, args := unnestInsert(tb, vals)
			if _, err := t.tx.Exec(ctx, q, args...); err != nil {
				return fmt.Errorf("insert %s rows: %w", tb.Name, err)
			}
			continue
		}
		_, err := t.tx.CopyFrom(ctx, pgx.Identifier{tb.Name}, tb.AllCols(),
			pgx.CopyFromSlice(n, func(i int) ([]any, error) { return vals[i*w : (i+1)*w], nil }))
		if err != nil {
			return fmt.Errorf("copy %s rows: %w", tb.Name, err)
		}
	}
	return nil
}
