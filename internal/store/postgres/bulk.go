package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
)

// BulkPut stores all writes in one transaction, in order. Instead of one
// round trip per statement it locks all current rows with one query,
// decides every version in Go, draws all sequence numbers at once, COPYs the
// versions and upserts the current rows with one statement.
func (s *Store) BulkPut(ctx context.Context, writes []store.Write) ([]store.Resource, error) {
	for i := range writes {
		if err := storeutil.ValidateWrite(&writes[i]); err != nil {
			return nil, fmt.Errorf("bulk put item %d: %w", i, err)
		}
	}
	if len(writes) == 0 {
		return []store.Resource{}, nil
	}
	var out []store.Resource
	err := s.inTx(ctx, func(t *ptx) error {
		var err error
		out, err = t.bulk(ctx, writes)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type resKey struct{ typ, id string }

func (t *ptx) bulk(ctx context.Context, writes []store.Write) ([]store.Resource, error) {
	// Distinct keys in a fixed order, so concurrent bulk loads lock rows in
	// the same order and rarely deadlock.
	seen := make(map[resKey]bool, len(writes))
	var types, ids []string
	for _, w := range writes {
		k := resKey{w.Type, w.ID}
		if !seen[k] {
			seen[k] = true
			types, ids = append(types, w.Type), append(ids, w.ID)
		}
	}
	cur, err := t.lockMany(ctx, types, ids)
	if err != nil {
		return nil, t.check(fmt.Errorf("bulk put: lock current rows: %w", err))
	}

	out := make([]store.Resource, len(writes))
	prev := make([]*storeutil.Current, len(writes))
	now := t.s.now()
	for i := range writes {
		w := &writes[i]
		k := resKey{w.Type, w.ID}
		c := cur[k]
		version, err := storeutil.Decide(w, c)
		if err != nil {
			return nil, fmt.Errorf("bulk put item %d: %w", i, err)
		}
		r := store.Resource{
			Type: w.Type, ID: w.ID, VersionID: version, Deleted: w.Delete, Method: storeutil.Method(w),
			LastUpdated: storeutil.LastUpdated(now, c),
		}
		if r.Body, err = storeutil.Stamp(w, version, r.LastUpdated); err != nil {
			return nil, fmt.Errorf("bulk put item %d: %w", i, err)
		}
		out[i], prev[i] = r, c
		cur[k] = &storeutil.Current{Version: version, Deleted: r.Deleted, LastUpdated: r.LastUpdated}
	}

	seqs, err := t.drawSeqs(ctx, len(writes))
	if err != nil {
		return nil, t.check(fmt.Errorf("bulk put: %w", err))
	}
	_, err = t.tx.CopyFrom(ctx, pgx.Identifier{"resource_versions"},
		[]string{"seq", "type", "id", "version", "last_updated", "deleted", "method", "body"},
		pgx.CopyFromSlice(len(out), func(i int) ([]any, error) {
			r := &out[i]
			return []any{seqs[i], r.Type, r.ID, r.VersionID, r.LastUpdated, r.Deleted, r.Method, r.Body}, nil
		}))
	if err != nil {
		return nil, t.check(fmt.Errorf("bulk put: copy versions: %w", err))
	}

	// The current table gets the last version of each resource.
	last := make(map[resKey]int, len(types))
	for i := range out {
		last[resKey{out[i].Type, out[i].ID}] = i
	}
	n := len(last)
	var (
		cTypes, cIDs = make([]string, 0, n), make([]string, 0, n)
		cVers, cSeqs = make([]int64, 0, n), make([]int64, 0, n)
		cDel         = make([]bool, 0, n)
		cLU          = make([]time.Time, 0, n)
	)
	for i := range types {
		j := last[resKey{types[i], ids[i]}]
		r := &out[j]
		cTypes, cIDs = append(cTypes, r.Type), append(cIDs, r.ID)
		cVers, cSeqs = append(cVers, r.VersionID), append(cSeqs, seqs[j])
		cDel, cLU = append(cDel, r.Deleted), append(cLU, r.LastUpdated)
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO resources (type, id, version, seq, deleted, last_updated)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::boolean[], $6::timestamptz[])
ON CONFLICT (type, id) DO UPDATE SET version = excluded.version, seq = excluded.seq,
	deleted = excluded.deleted, last_updated = excluded.last_updated`,
		cTypes, cIDs, cVers, cSeqs, cDel, cLU)
	if err != nil {
		return nil, t.check(fmt.Errorf("bulk put: update current rows: %w", err))
	}
	if err := t.bulkIndex(ctx, writes, out, prev, types, ids, last, seqs); err != nil {
		return nil, t.check(fmt.Errorf("bulk put: %w", err))
	}
	return out, nil
}

// lockMany takes the shared seq lock and locks the current rows of the given
// resources, returning their states.
func (t *ptx) lockMany(ctx context.Context, types, ids []string) (map[resKey]*storeutil.Current, error) {
	b := &pgx.Batch{}
	if !t.locked {
		b.Queue(sqlLockShared, t.s.seqLock)
	}
	b.Queue(`SELECT r.type, r.id, r.version, r.seq, r.deleted, r.last_updated
FROM resources r JOIN unnest($1::text[], $2::text[]) AS k(type, id) ON r.type = k.type AND r.id = k.id
ORDER BY r.type, r.id FOR UPDATE OF r`, types, ids)
	br := t.tx.SendBatch(ctx, b)
	defer br.Close()
	if !t.locked {
		if _, err := br.Exec(); err != nil {
			return nil, err
		}
		t.locked = true
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	cur := make(map[resKey]*storeutil.Current, len(types))
	for rows.Next() {
		var (
			k resKey
			c storeutil.Current
		)
		if err := rows.Scan(&k.typ, &k.id, &c.Version, &c.Seq, &c.Deleted, &c.LastUpdated); err != nil {
			rows.Close()
			return nil, err
		}
		c.LastUpdated = c.LastUpdated.UTC()
		cur[k] = &c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return cur, br.Close()
}

// drawSeqs allocates n sequence numbers in ascending order. The caller
// holds the shared seq lock (taken by lockMany).
func (t *ptx) drawSeqs(ctx context.Context, n int) ([]int64, error) {
	rows, err := t.tx.Query(ctx, `SELECT nextval('resource_versions_seq') FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("draw sequence numbers: %w", err)
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("draw sequence numbers: %w", err)
	}
	slices.Sort(seqs)
	return seqs, nil
}
