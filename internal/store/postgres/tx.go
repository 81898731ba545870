package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
)

// maxAttempts bounds how often InTx runs fn when it keeps losing races.
const maxAttempts = 12

// ptx is one attempt of a write transaction.
type ptx struct {
	s      *Store
	tx     pgx.Tx
	locked bool  // holds the shared seq lock
	err    error // first database error: PostgreSQL has aborted the transaction
}

var _ store.Tx = (*ptx)(nil)

func (t *ptx) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	r, err := readCurrent(ctx, t.tx, typ, id)
	return r, t.check(err)
}

func (t *ptx) VRead(ctx context.Context, typ, id string, version int64) (*store.Resource, error) {
	r, err := readVersion(ctx, t.tx, typ, id, version)
	return r, t.check(err)
}

func (t *ptx) List(ctx context.Context, q store.ListQuery) (*store.ListPage, error) {
	p, err := list(ctx, t.tx, q)
	return p, t.check(err)
}

// check remembers database errors (not contract errors), after which
// PostgreSQL refuses further statements and the transaction must not commit.
func (t *ptx) check(err error) error {
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrDeleted) ||
		errors.Is(err, storeutil.ErrInvalid) {
		return err
	}
	if t.err == nil {
		t.err = err
	}
	return err
}

const (
	sqlLockShared = `SELECT pg_advisory_xact_lock_shared($1)`
	sqlCurrent    = `SELECT version, seq, deleted, last_updated FROM resources WHERE type = $1 AND id = $2 FOR UPDATE`
	sqlWrite      = `WITH v AS (
	INSERT INTO resource_versions (seq, type, id, version, last_updated, deleted, method, body)
	VALUES (nextval('resource_versions_seq'), $1, $2, $3, $4, $5, $6, $7)
	RETURNING seq
)
INSERT INTO resources (type, id, version, seq, deleted, last_updated)
SELECT $1, $2, $3, v.seq, $5, $4 FROM v
ON CONFLICT (type, id) DO UPDATE SET version = excluded.version, seq = excluded.seq,
	deleted = excluded.deleted, last_updated = excluded.last_updated
RETURNING seq`
)

// Write adds one version after checking the contract's preconditions.
func (t *ptx) Write(ctx context.Context, w store.Write) (*store.Resource, error) {
	if t.err != nil {
		return nil, fmt.Errorf("write %s/%s: transaction already failed: %w", w.Type, w.ID, t.err)
	}
	if err := storeutil.ValidateWrite(&w); err != nil {
		return nil, err
	}
	cur, err := t.lockCurrent(ctx, w.Type, w.ID)
	if err != nil {
		return nil, t.check(fmt.Errorf("write %s/%s: %w", w.Type, w.ID, err))
	}
	version, err := storeutil.Decide(&w, cur)
	if err != nil {
		return nil, err
	}
	r := &store.Resource{
		Type: w.Type, ID: w.ID, VersionID: version, Deleted: w.Delete, Method: storeutil.Method(&w),
		LastUpdated: storeutil.LastUpdated(t.s.now(), cur),
	}
	if r.Body, err = storeutil.Stamp(&w, version, r.LastUpdated); err != nil {
		return nil, err
	}
	var seq int64
	if err := t.tx.QueryRow(ctx, sqlWrite, r.Type, r.ID, r.VersionID, r.LastUpdated, r.Deleted, r.Method, r.Body).Scan(&seq); err != nil {
		return nil, t.check(fmt.Errorf("write %s/%s: %w", w.Type, w.ID, err))
	}
	if err := t.afterWrite(ctx, r, seq, cur, w.Index); err != nil {
		return nil, t.check(fmt.Errorf("write %s/%s: %w", w.Type, w.ID, err))
	}
	return r, nil
}

// lockCurrent takes the shared seq lock (first write only; in the same round
// trip) and locks the resource's current row.
func (t *ptx) lockCurrent(ctx context.Context, typ, id string) (*storeutil.Current, error) {
	var row pgx.Row
	var br pgx.BatchResults
	if t.locked {
		row = t.tx.QueryRow(ctx, sqlCurrent, typ, id)
	} else {
		b := &pgx.Batch{}
		b.Queue(sqlLockShared, t.s.seqLock)
		b.Queue(sqlCurrent, typ, id)
		br = t.tx.SendBatch(ctx, b)
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, fmt.Errorf("take seq lock: %w", err)
		}
		t.locked = true
		row = br.QueryRow()
	}
	var c storeutil.Current
	err := row.Scan(&c.Version, &c.Seq, &c.Deleted, &c.LastUpdated)
	if br != nil {
		if cerr := br.Close(); err == nil || errors.Is(err, pgx.ErrNoRows) {
			if cerr != nil {
				err = cerr
			}
		}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.LastUpdated = c.LastUpdated.UTC()
	return &c, nil
}

// retryable reports whether err means "lost a race, run fn again":
// serialization failure, deadlock, or a unique violation from a concurrent
// create of the same new id.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", "23505":
		return true
	}
	return false
}

// InTx runs fn in one transaction (READ COMMITTED plus row locks on every
// resource written, see the package doc), re-running it when it loses a
// race with a concurrent transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.inTx(ctx, func(t *ptx) error { return fn(t) })
}

func (s *Store) inTx(ctx context.Context, fn func(t *ptx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.attempt(ctx, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		// Jittered exponential backoff spreads out the re-runs of the losers.
		d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 7)))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return fmt.Errorf("postgres: retrying transaction: %w (after %w)", ctx.Err(), err)
		}
	}
}

func (s *Store) attempt(ctx context.Context, fn func(t *ptx) error) (err error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	committed := false
	defer func() {
		// Also runs when fn panics: the panic continues after the rollback.
		if !committed {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	t := &ptx{s: s, tx: tx}
	if err := fn(t); err != nil {
		if t.err != nil && retryable(t.err) && !retryable(err) {
			// fn replaced the database error with its own; the race still
			// decides whether to re-run.
			return fmt.Errorf("%w (transaction failed: %w)", err, t.err)
		}
		return err
	}
	if t.err != nil {
		return fmt.Errorf("postgres: not committing a transaction with a failed statement: %w", t.err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	committed = true
	return nil
}
