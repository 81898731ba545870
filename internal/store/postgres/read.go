package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
)

const (
	versionCols = `v.seq, v.type, v.id, v.version, v.last_updated, v.deleted, v.method, v.body`

	sqlRead = `SELECT ` + versionCols + ` FROM resources c JOIN resource_versions v ON v.seq = c.seq
WHERE c.type = $1 AND c.id = $2`
	sqlVRead = `SELECT ` + versionCols + ` FROM resource_versions v
WHERE v.type = $1 AND v.id = $2 AND v.version = $3`
	sqlList = `SELECT ` + versionCols + ` FROM resources c JOIN resource_versions v ON v.seq = c.seq
WHERE c.type = $1 AND NOT c.deleted AND c.id > $2 ORDER BY c.id LIMIT $3`
	sqlListIDs = `SELECT ` + versionCols + ` FROM resources c JOIN resource_versions v ON v.seq = c.seq
WHERE c.type = $1 AND NOT c.deleted AND c.id > $2 AND c.id = ANY($4::text[]) ORDER BY c.id LIMIT $3`
)

func scanVersion(row pgx.Row) (*store.Resource, int64, error) {
	var (
		r   store.Resource
		seq int64
		lu  time.Time
	)
	if err := row.Scan(&seq, &r.Type, &r.ID, &r.VersionID, &lu, &r.Deleted, &r.Method, &r.Body); err != nil {
		return nil, 0, err
	}
	r.LastUpdated = lu.UTC()
	if r.Deleted {
		r.Body = nil
	}
	return &r, seq, nil
}

func readCurrent(ctx context.Context, q querier, typ, id string) (*store.Resource, error) {
	r, _, err := scanVersion(q.QueryRow(ctx, sqlRead, typ, id))
	if errors.Is(err, pgx.ErrNoRows) {
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

func readVersion(ctx context.Context, q querier, typ, id string, version int64) (*store.Resource, error) {
	r, _, err := scanVersion(q.QueryRow(ctx, sqlVRead, typ, id, version))
	if errors.Is(err, pgx.ErrNoRows) {
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

func list(ctx context.Context, qr querier, q store.ListQuery) (*store.ListPage, error) {
	if err := storeutil.ValidateList(&q); err != nil {
		return nil, err
	}
	var (
		rows pgx.Rows
		err  error
	)
	if len(q.IDs) > 0 {
		rows, err = qr.Query(ctx, sqlListIDs, q.Type, q.After, q.Count+1, q.IDs)
	} else {
		rows, err = qr.Query(ctx, sqlList, q.Type, q.After, q.Count+1)
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
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", q.Type, err)
	}
	return page, nil
}

// snapshot returns a seq below which every version is final (see the
// package doc): it waits, in its own transaction, for the exclusive side of
// the writers' advisory lock and reads the sequence while holding it.
func (s *Store) snapshot(ctx context.Context) (int64, error) {
	// One batch is one implicit transaction: the lock is held for the
	// sequence read and released at its end, in a single round trip.
	var asOf int64
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, s.seqLock)
	b.Queue(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM resource_versions_seq`)
	br := s.pool.SendBatch(ctx, b)
	_, err := br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(&asOf)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("history snapshot: %w", err)
	}
	return asOf, nil
}

// History returns a page of versions, newest first.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) (*store.HistoryPage, error) {
	if err := storeutil.ValidateHistory(&q); err != nil {
		return nil, err
	}
	asOf := q.AsOf
	if asOf == 0 {
		var err error
		if asOf, err = s.snapshot(ctx); err != nil {
			return nil, err
		}
	}
	var (
		where = []string{"v.seq <= $1"}
		args  = []any{asOf}
		order = "v.seq DESC"
	)
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if q.Before > 0 {
		arg("v.seq < ?", q.Before)
	}
	if q.Type != "" {
		arg("v.type = ?", q.Type)
	}
	if q.ID != "" {
		// Per resource, version order is seq order; ordering by version
		// lets the (type, id, version) index serve the scan without a sort.
		arg("v.id = ?", q.ID)
		order = "v.version DESC"
	}
	if !q.Since.IsZero() {
		arg("v.last_updated >= ?", q.Since)
	}
	args = append(args, q.Count+1)
	query := `SELECT ` + versionCols + ` FROM resource_versions v WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.pool.Query(ctx, query, args...)
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
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if q.ID != "" && len(page.Versions) == 0 && q.Before == 0 {
		// Distinguish "no versions in range" from "no such resource" so the
		// REST layer can answer 404 for the latter.
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM resources WHERE type = $1 AND id = $2)`, q.Type, q.ID).Scan(&exists); err != nil {
			return nil, fmt.Errorf("history %s/%s: %w", q.Type, q.ID, err)
		}
		if !exists {
			return nil, fmt.Errorf("history %s/%s: %w", q.Type, q.ID, store.ErrNotFound)
		}
	}
	return page, nil
}
