package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/sqlsearch"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
)

// maxRowsPerInsert bounds the JSONB argument of one statement.
const maxRowsPerInsert = 4096

// insertSQL inserts the rows of a JSONB array (see rows.go).
func insertSQL(t *sqlsearch.Table) string {
	return "INSERT INTO " + t.Name + " (" + strings.Join(t.AllCols(), ", ") + ") " +
		selectRows(len(t.AllCols()))
}

// indexStmts are the writer's prepared index statements.
type indexStmts struct {
	insert  map[*sqlsearch.Table]*sql.Stmt
	delOne  map[*sqlsearch.Table]*sql.Stmt
	delMany map[*sqlsearch.Table]*sql.Stmt
}

func prepareIndex(ctx context.Context, db *sql.DB) (*indexStmts, error) {
	s := &indexStmts{insert: map[*sqlsearch.Table]*sql.Stmt{},
		delOne: map[*sqlsearch.Table]*sql.Stmt{}, delMany: map[*sqlsearch.Table]*sql.Stmt{}}
	prep := func(q string) (*sql.Stmt, error) {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("prepare index statement: %w", err)
		}
		return st, nil
	}
	var err error
	for _, t := range sqlsearch.Tables {
		if s.insert[t], err = prep(insertSQL(t)); err != nil {
			return nil, err
		}
		if s.delOne[t], err = prep("DELETE FROM " + t.Name + " WHERE rid = ?"); err != nil {
			return nil, err
		}
		if s.delMany[t], err = prep("DELETE FROM " + t.Name + " WHERE rid IN (SELECT value FROM json_each(?))"); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *indexStmts) close() {
	for _, m := range []map[*sqlsearch.Table]*sql.Stmt{s.insert, s.delOne, s.delMany} {
		for _, st := range m {
			_ = st.Close()
		}
	}
}

// afterWrite replaces the index rows of the resource r (version seq)
// inside the write transaction: the rows of the version it replaces go, the
// entries of the new one (plus its _lastUpdated) come in.
func (t *wtx) afterWrite(ctx context.Context, r *store.Resource, seq int64, prev *storeutil.Current, entries []search.Entry) error {
	if prev != nil && !prev.Deleted {
		for _, tb := range sqlsearch.Tables {
			if _, err := t.stmt(ctx, t.s.ix.delOne[tb]).ExecContext(ctx, prev.Seq); err != nil {
				return fmt.Errorf("delete %s rows: %w", tb.Name, err)
			}
		}
	}
	if r.Deleted {
		return nil
	}
	b := t.batch()
	b.Add(r.Type, seq, entries, r.LastUpdated)
	return t.flush(ctx, b)
}

func (t *wtx) batch() *sqlsearch.Batch {
	if t.b == nil {
		t.b = sqlsearch.NewBatch()
	}
	t.b.Reset()
	return t.b
}

// deleteIndex removes the index rows of many versions at once (bulk).
func (t *wtx) deleteIndex(ctx context.Context, rids []int64) error {
	if len(rids) == 0 {
		return nil
	}
	js, err := json.Marshal(rids)
	if err != nil {
		return err
	}
	for _, tb := range sqlsearch.Tables {
		if _, err := t.stmt(ctx, t.s.ix.delMany[tb]).ExecContext(ctx, string(js)); err != nil {
			return fmt.Errorf("delete %s rows: %w", tb.Name, err)
		}
	}
	return nil
}

// flush inserts the batch, one statement per table (and per
// maxRowsPerInsert rows).
func (t *wtx) flush(ctx context.Context, b *sqlsearch.Batch) error {
	enc, err := encodeBatch(b, t.js[:0])
	if err != nil {
		return err
	}
	err = t.insertEncoded(ctx, enc)
	if len(enc) > 0 {
		t.js = enc[len(enc)-1].rows[:0] // keep the (last) buffer for the next write
	}
	return err
}

// encodedRows is one insert statement's argument: rows of a table as JSONB.
type encodedRows struct {
	table *sqlsearch.Table
	rows  []byte
}

// encodeBatch encodes the rows of b, per table and per maxRowsPerInsert
// rows; buf is reused for the first statement.
func encodeBatch(b *sqlsearch.Batch, buf []byte) ([]encodedRows, error) {
	var out []encodedRows
	for _, tb := range sqlsearch.Tables {
		vals := b.Rows[tb]
		width := len(tb.Cols) + 3
		for len(vals) > 0 {
			n := min(len(vals), maxRowsPerInsert*width)
			js, err := encodeRows(buf, vals[:n], width)
			if err != nil {
				return nil, fmt.Errorf("insert %s rows: %w", tb.Name, err)
			}
			out = append(out, encodedRows{tb, js})
			buf = nil
			vals = vals[n:]
		}
	}
	return out, nil
}

// insertEncoded runs the insert statements of encodeBatch.
func (t *wtx) insertEncoded(ctx context.Context, enc []encodedRows) error {
	for _, e := range enc {
		if _, err := t.stmt(ctx, t.s.ix.insert[e.table]).ExecContext(ctx, e.rows); err != nil {
			return fmt.Errorf("insert %s rows: %w", e.table.Name, err)
		}
	}
	return nil
}
