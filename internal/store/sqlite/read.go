package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
)

type scanner interface{ Scan(dest ...any) error }

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// scanVersion reads the columns of versionCols.
func scanVersion(sc scanner) (*store.Resource, int64, error) {
	var (
		r       store.Resource
		seq, lu int64
		deleted bool
	)
	if err := sc.Scan(&seq, &r.Type, &r.ID, &r.VersionID, &lu, &deleted, &r.Method, &r.Body); err != nil {
		return nil, 0, err
	}
	r.LastUpdated = fromMicros(lu)
	r.Deleted = deleted
	if deleted {
		r.Body = nil
	}
	return &r, seq, nil
}

func readCurrent(ctx context.Context, st *sql.Stmt, typ, id string) (*store.Resource, error) {
	r, _, err := scanVersion(st.QueryRowContext(ctx, typ, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read %s/%s: %w", typ, id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", typ, id, err)
	}
	if r.Deleted {
		return r, fmt.Errorf("read %s/%s: %w", typ, id, store.ErrDeleted)
	}
	return r, nil
}

func readVersion(ctx context.Context, st *sql.Stmt, typ, id string, version int64) (*store.Resource, error) {
	r, _, err := scanVersion(st.QueryRowContext(ctx, typ, id, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("vread %s/%s/_history/%d: %w", typ, id, version, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("vread %s/%s/_history/%d: %w", typ, id, version, err)
	}
	if r.Deleted {
		return r, fmt.Errorf("vread %s/%s/_history/%d: %w", typ, id, version, store.ErrDeleted)
	}
	return r, nil
}

func list(ctx context.Context, plain, withIDs *sql.Stmt, q store.ListQuery) (*store.ListPage, error) {
	if err := storeutil.ValidateList(&q); err != nil {
		return nil, err
	}
	var (
		rows *sql.Rows
		err  error
	)
	if len(q.IDs) > 0 {
		ids, jerr := json.Marshal(q.IDs)
		if jerr != nil {
			return nil, fmt.Errorf("list %s: %w", q.Type, jerr)
		}
		rows, err = withIDs.QueryContext(ctx, q.Type, q.After, string(ids), q.Count+1)
	} else {
		rows, err = plain.QueryContext(ctx, q.Type, q.After, q.Count+1)
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", q.Type, err)
	}
	defer rows.Close()
	page := &store.ListPage{Resources: make([]store.Resource, 0, min(q.Count, 64))}
	for rows.Next() {
		r, _, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", q.Type, err)
		}
		if len(page.Resources) == q.Count {
			page.Next = page.Resources[q.Count-1].ID
			break
		}
		page.Resources = append(page.Resources, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", q.Type, err)
	}
	return page, nil
}

// History returns a page of versions, newest first. Because seq is assigned
// by the single writer in commit order, MAX(seq) is a safe snapshot: no
// version with a smaller seq can commit later.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) (*store.HistoryPage, error) {
	if err := storeutil.ValidateHistory(&q); err != nil {
		return nil, err
	}
	asOf := q.AsOf
	if asOf == 0 {
		if err := s.rdb.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM resource_versions`).Scan(&asOf); err != nil {
			return nil, fmt.Errorf("history: snapshot: %w", err)
		}
	}
	var (
		where = []string{"v.seq <= ?"}
		args  = []any{asOf}
		order = "v.seq DESC"
	)
	if q.Before > 0 {
		where = append(where, "v.seq < ?")
		args = append(args, q.Before)
	}
	if q.Type != "" {
		where = append(where, "v.type = ?")
		args = append(args, q.Type)
	}
	if q.ID != "" {
		// Per resource, version order is seq order; ordering by version
		// lets the (type, id, version) index serve the scan without a sort.
		where = append(where, "v.id = ?")
		args = append(args, q.ID)
		order = "v.version DESC"
	}
	if !q.Since.IsZero() {
		where = append(where, "v.last_updated >= ?")
		args = append(args, micros(q.Since))
	}
	args = append(args, q.Count+1)
	query := `SELECT ` + versionCols + ` FROM resource_versions v WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` LIMIT ?`
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	page := &store.HistoryPage{AsOf: asOf, Versions: make([]store.Resource, 0, min(q.Count, 64))}
	var lastSeq int64
	for rows.Next() {
		r, seq, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		if len(page.Versions) == q.Count {
			page.Next = lastSeq
			break
		}
		page.Versions = append(page.Versions, *r)
		lastSeq = seq
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if q.ID != "" && len(page.Versions) == 0 && q.Before == 0 {
		// Distinguish "no versions in range" from "no such resource" so the
		// REST layer can answer 404 for the latter.
		var n int
		if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM resources WHERE type = ? AND id = ?`, q.Type, q.ID).Scan(&n); err != nil {
			return nil, fmt.Errorf("history %s/%s: %w", q.Type, q.ID, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("history %s/%s: %w", q.Type, q.ID, store.ErrNotFound)
		}
	}
	return page, nil
}
