package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/sqlsearch"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
)

// The versions and current pointers of a batch go in with one statement
// each (see rows.go): the metadata as JSON rows, the bodies concatenated in
// one blob argument that each row cuts its body from (offset, length; a
// length of -1 is a NULL body, a deletion).
const (
	sqlBulkVersions = `INSERT INTO resource_versions (seq, type, id, version, last_updated, deleted, method, body)
SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
	CASE value ->> 8 WHEN -1 THEN NULL WHEN 0 THEN x'' ELSE substr(?2, value ->> 7, value ->> 8) END
FROM jsonb_each(?1)`
	sqlBulkCurrent = `INSERT INTO resources (type, id, version, seq, deleted, last_updated)
SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM jsonb_each(?1) WHERE true
ON CONFLICT (type, id) DO UPDATE SET version = excluded.version, seq = excluded.seq,
	deleted = excluded.deleted, last_updated = excluded.last_updated`
)

// maxBodyBytes bounds the blob of bodies of one statement (SQLite refuses
// values over its length limit, 1 GB by default).
const maxBodyBytes = 64 << 20

// BulkPut stores all writes in one transaction, in order: one query reads
// the current state of every resource, versions are decided in Go, and rows
// are written with multi-row statements.
func (s *Store) BulkPut(ctx context.Context, writes []store.Write) ([]store.Resource, error) {
	for i := range writes {
		if err := storeutil.ValidateWrite(&writes[i]); err != nil {
			return nil, fmt.Errorf("bulk put item %d: %w", i, err)
		}
	}
	if len(writes) == 0 {
		return []store.Resource{}, nil
	}
	// A bulk load checkpoints every 64 MiB of log instead of every 4 MiB:
	// index pages change in many transactions in a row, and each
	// checkpoint writes them back to the database file. Small batches (the
	// audit trail's, a few events each) are not bulk loads and skip the
	// two statements.
	if len(writes) >= bulkLoadMin {
		if _, err := s.wdb.ExecContext(ctx, "PRAGMA wal_autocheckpoint = "+strconv.Itoa(bulkCheckpointPages)); err != nil {
			return nil, fmt.Errorf("bulk put: %w", err)
		}
		defer func() {
			_, _ = s.wdb.ExecContext(context.WithoutCancel(ctx), "PRAGMA wal_autocheckpoint = "+strconv.Itoa(defaultCheckpointPages))
		}()
	}
	var out []store.Resource
	err := s.InTx(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.(*wtx).bulk(ctx, writes)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BulkBatchSize is the number of writes per BulkPut the importer uses by
// default on SQLite. Index rows of a batch are inserted in index order, so
// the larger the batch, the more rows share each index page that the
// transaction dirties and writes to the log: 5,000 imported about a fifth
// faster than 1,000.
func (s *Store) BulkBatchSize() int { return 5000 }

// WAL sizes (in pages) at which the log is copied back to the database:
// SQLite's default, and the one used during bulk loads.
const (
	defaultCheckpointPages = 1000
	bulkCheckpointPages    = 16384
)

// bulkLoadMin is the smallest BulkPut that counts as part of a bulk load.
const bulkLoadMin = 100

// AfterBulkLoad copies the write-ahead log into the database file and
// truncates it: readers find pages in the memory-mapped file instead of
// searching a log of up to 64 MiB and reading it page by page.
func (s *Store) AfterBulkLoad(ctx context.Context) error {
	if _, err := s.wdb.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	return nil
}

type resKey struct{ typ, id string }

func (t *wtx) bulk(ctx context.Context, writes []store.Write) ([]store.Resource, error) {
	cur, err := t.currentMany(ctx, writes)
	if err != nil {
		return nil, t.fail(fmt.Errorf("bulk put: read current rows: %w", err))
	}
	var base int64
	if err := t.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM resource_versions`).Scan(&base); err != nil {
		return nil, t.fail(fmt.Errorf("bulk put: %w", err))
	}
	out := make([]store.Resource, len(writes))
	prev := make([]*storeutil.Current, len(writes))
	last := make(map[resKey]int, len(writes))
	var order []resKey
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
		cur[k] = &storeutil.Current{Version: version, Seq: base + int64(i) + 1, Deleted: r.Deleted, LastUpdated: r.LastUpdated}
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = i
	}

	// The index rows are gathered, sorted and encoded on another core
	// while SQLite stores the versions: the writer's goroutine is the
	// import's bottleneck, and that Go work was a tenth of it.
	type prepared struct {
		enc []encodedRows
		err error
	}
	ready := make(chan prepared, 1)
	go func() {
		enc, err := indexRows(t.batch(), writes, out, order, last, base)
		ready <- prepared{enc, err}
	}()
	err = t.insertVersions(ctx, out, base)
	if err == nil {
		err = t.upsertCurrent(ctx, out, order, last, base)
	}
	p := <-ready
	if err != nil {
		return nil, t.fail(fmt.Errorf("bulk put: write versions: %w", err))
	}
	if p.err != nil {
		return nil, t.fail(fmt.Errorf("bulk put: %w", p.err))
	}
	if err := t.bulkIndex(ctx, out, prev, p.enc); err != nil {
		return nil, t.fail(fmt.Errorf("bulk put: %w", err))
	}
	return out, nil
}

// insertVersions inserts out[i] as version seq base+i+1, one statement per
// maxRowsPerInsert rows or maxBodyBytes of bodies.
func (t *wtx) insertVersions(ctx context.Context, out []store.Resource, base int64) error {
	vals := make([]any, 0, 9*min(len(out), maxRowsPerInsert))
	var bodies []byte
	for lo := 0; lo < len(out); {
		vals, bodies = vals[:0], bodies[:0]
		hi := lo
		for ; hi < len(out) && hi-lo < maxRowsPerInsert; hi++ {
			r := &out[hi]
			if hi > lo && len(bodies)+len(r.Body) > maxBodyBytes {
				break
			}
			n := int64(-1)
			if r.Body != nil {
				n = int64(len(r.Body))
			}
			vals = append(vals, base+int64(hi)+1, r.Type, r.ID, r.VersionID, micros(r.LastUpdated), boolInt(r.Deleted),
				r.Method, int64(len(bodies)+1), n)
			bodies = append(bodies, r.Body...)
		}
		var err error
		if t.js, err = encodeRows(t.js[:0], vals, 9); err != nil {
			return err
		}
		if bodies == nil {
			bodies = []byte{} // a NULL blob would make substr NULL; empty bodies never reach it
		}
		if _, err := t.tx.ExecContext(ctx, sqlBulkVersions, t.js, bodies); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}

// upsertCurrent points the resources rows of order at their last version
// in out.
func (t *wtx) upsertCurrent(ctx context.Context, out []store.Resource, order []resKey, last map[resKey]int, base int64) error {
	vals := make([]any, 0, 6*min(len(order), maxRowsPerInsert))
	for lo := 0; lo < len(order); lo += maxRowsPerInsert {
		vals = vals[:0]
		for _, k := range order[lo:min(lo+maxRowsPerInsert, len(order))] {
			i := last[k]
			r := &out[i]
			vals = append(vals, r.Type, r.ID, r.VersionID, base+int64(i)+1, boolInt(r.Deleted), micros(r.LastUpdated))
		}
		var err error
		if t.js, err = encodeRows(t.js[:0], vals, 6); err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(ctx, sqlBulkCurrent, t.js); err != nil {
			return err
		}
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// currentMany reads the current state of every resource the writes touch,
// with one query driven by a JSON array of [type, id] pairs.
func (t *wtx) currentMany(ctx context.Context, writes []store.Write) (map[resKey]*storeutil.Current, error) {
	pairs := make([][2]string, 0, len(writes))
	seen := make(map[resKey]bool, len(writes))
	for _, w := range writes {
		if k := (resKey{w.Type, w.ID}); !seen[k] {
			seen[k] = true
			pairs = append(pairs, [2]string{w.Type, w.ID})
		}
	}
	js, err := json.Marshal(pairs)
	if err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT r.type, r.id, r.version, r.seq, r.deleted, r.last_updated
FROM json_each(?) AS j CROSS JOIN resources AS r ON r.type = j.value ->> 0 AND r.id = j.value ->> 1`, string(js))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cur := make(map[resKey]*storeutil.Current, len(pairs))
	for rows.Next() {
		var (
			k  resKey
			c  storeutil.Current
			lu int64
		)
		if err := rows.Scan(&k.typ, &k.id, &c.Version, &c.Seq, &c.Deleted, &lu); err != nil {
			return nil, err
		}
		c.LastUpdated = fromMicros(lu)
		cur[k] = &c
	}
	return cur, rows.Err()
}

// indexRows gathers the index rows of a whole batch into b (only the last
// version of each resource is indexed), in index order, and encodes them.
// It reads only its arguments, so it runs beside the version inserts.
func indexRows(b *sqlsearch.Batch, writes []store.Write, out []store.Resource, order []resKey, last map[resKey]int, base int64) ([]encodedRows, error) {
	for _, k := range order {
		i := last[k]
		if !out[i].Deleted {
			b.Add(out[i].Type, base+int64(i)+1, writes[i].Index, out[i].LastUpdated)
		}
	}
	b.SortBySearchKey()
	return encodeBatch(b, nil)
}

// bulkIndex brings the index rows up to date for a whole batch: the rows
// of the versions current before the batch (if any) are removed and the
// encoded rows of indexRows inserted.
func (t *wtx) bulkIndex(ctx context.Context, out []store.Resource, prev []*storeutil.Current, enc []encodedRows) error {
	var stale []int64
	seenKey := make(map[resKey]bool, len(out))
	for i := range out {
		k := resKey{out[i].Type, out[i].ID}
		if seenKey[k] {
			continue
		}
		seenKey[k] = true
		if p := prev[i]; p != nil && !p.Deleted {
			stale = append(stale, p.Seq)
		}
	}
	if err := t.deleteIndex(ctx, stale); err != nil {
		return err
	}
	return t.insertEncoded(ctx, enc)
}
