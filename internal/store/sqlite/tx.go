package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/sqlsearch"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
)

// wtx is a write transaction on the writer connection.
type wtx struct {
	s   *Store
	tx  *sql.Tx
	st  map[*sql.Stmt]*sql.Stmt // writer statements bound to tx, made on first use
	err error                   // first database error: the tx must not commit
	b   *sqlsearch.Batch        // reused index rows buffer
	js  []byte                  // reused JSON text of rows (rows.go)
}

var _ store.Tx = (*wtx)(nil)

func (t *wtx) stmt(ctx context.Context, s *sql.Stmt) *sql.Stmt {
	if b, ok := t.st[s]; ok {
		return b
	}
	b := t.tx.StmtContext(ctx, s)
	t.st[s] = b
	return b
}

func (t *wtx) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	return readCurrent(ctx, t.stmt(ctx, t.s.wq.read), typ, id)
}

func (t *wtx) VRead(ctx context.Context, typ, id string, version int64) (*store.Resource, error) {
	return readVersion(ctx, t.stmt(ctx, t.s.wq.vread), typ, id, version)
}

func (t *wtx) List(ctx context.Context, q store.ListQuery) (*store.ListPage, error) {
	return list(ctx, t.stmt(ctx, t.s.wq.list), t.stmt(ctx, t.s.wq.listIDs), q)
}

// Write adds one version after checking the contract's preconditions.
func (t *wtx) Write(ctx context.Context, w store.Write) (*store.Resource, error) {
	if t.err != nil {
		return nil, fmt.Errorf("write %s/%s: transaction already failed: %w", w.Type, w.ID, t.err)
	}
	if err := storeutil.ValidateWrite(&w); err != nil {
		return nil, err
	}
	cur, err := t.current(ctx, w.Type, w.ID)
	if err != nil {
		return nil, t.fail(fmt.Errorf("write %s/%s: %w", w.Type, w.ID, err))
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
	if err := t.insert(ctx, r, cur, w.Index); err != nil {
		return nil, t.fail(fmt.Errorf("write %s/%s: %w", w.Type, w.ID, err))
	}
	return r, nil
}

func (t *wtx) fail(err error) error {
	if t.err == nil {
		t.err = err
	}
	return err
}

func (t *wtx) current(ctx context.Context, typ, id string) (*storeutil.Current, error) {
	var (
		c       storeutil.Current
		lu      int64
		deleted bool
	)
	err := t.stmt(ctx, t.s.wq.current).QueryRowContext(ctx, typ, id).Scan(&c.Version, &c.Seq, &deleted, &lu)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.Deleted, c.LastUpdated = deleted, fromMicros(lu)
	return &c, nil
}

func (t *wtx) insert(ctx context.Context, r *store.Resource, prev *storeutil.Current, entries []search.Entry) error {
	lu := micros(r.LastUpdated)
	res, err := t.stmt(ctx, t.s.wq.insert).ExecContext(ctx, r.Type, r.ID, r.VersionID, lu, r.Deleted, r.Method, r.Body)
	if err != nil {
		return fmt.Errorf("insert version: %w", err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert version: %w", err)
	}
	if _, err := t.stmt(ctx, t.s.wq.upsert).ExecContext(ctx, r.Type, r.ID, r.VersionID, seq, r.Deleted, lu); err != nil {
		return fmt.Errorf("update current: %w", err)
	}
	return t.afterWrite(ctx, r, seq, prev, entries)
}

// InTx runs fn in one write transaction. SQLite serialises writers, so the
// transaction is serializable and fn runs exactly once.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) (err error) {
	select {
	case s.wsem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("sqlite: waiting for the writer: %w", ctx.Err())
	}
	defer func() { <-s.wsem }()

	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	committed := false
	defer func() {
		// Also runs when fn panics: the panic continues after the rollback.
		if !committed {
			_ = tx.Rollback()
		}
	}()
	t := &wtx{s: s, tx: tx, st: make(map[*sql.Stmt]*sql.Stmt, 8)}
	if err := fn(t); err != nil {
		return err
	}
	if t.err != nil {
		return fmt.Errorf("sqlite: not committing a transaction with a failed write: %w", t.err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	committed = true
	return nil
}
