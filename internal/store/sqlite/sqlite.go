// Package sqlite is the embedded store.Store: one SQLite file through the
// pure-Go modernc.org/sqlite driver.
//
// Concurrency: the file is in WAL mode with synchronous=NORMAL, so readers
// never wait for the writer. There is exactly one writer connection; writes
// are serialised in Go (a one-slot semaphore that honours contexts) and each
// write transaction starts with BEGIN IMMEDIATE so that another process on
// the same file waits on busy_timeout instead of failing half way. Reads run
// on a separate pool of query_only connections.
//
// Schema: resource_versions holds every version, its rowid is the global
// sequence seq (assigned in commit order because there is one writer, so a
// history page can never skip a version that commits later). resources maps
// (type, id) to the current version's seq; a read is one primary-key lookup
// in resources followed by a rowid lookup in resource_versions, and the body
// is stored once. Migrations in migrations.go run at Open.
//
// Search: the index tables of migration 2 hold the search entries of every
// current version (layout and query compilation are shared with postgres,
// in internal/store/internal/sqlsearch). Tx.Write replaces a resource's rows
// in its transaction ((*wtx).afterWrite); BulkPut deletes the replaced
// versions' rows with one statement per table and inserts the new ones
// with one INSERT ... SELECT from a JSON array per table (rows.go). Search runs on the read pool, or on the
// write transaction inside InTx so that it sees the transaction's writes.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
	"github.com/housecall/housecall/internal/store/opsql"
)

// Option configures Open.
type Option func(*config)

type config struct {
	now     func() time.Time
	readers int
	busy    time.Duration
}

// WithNow replaces the clock used for LastUpdated (tests).
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithReaders sets the size of the read connection pool (default: max(4, 2×CPUs)).
func WithReaders(n int) Option { return func(c *config) { c.readers = n } }

// WithBusyTimeout sets how long a connection waits for a lock held by another
// process before failing with SQLITE_BUSY (default 10s).
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busy = d } }

// Store is a store.Store on one SQLite file.
type Store struct {
	wdb  *sql.DB // one connection: all writes
	rdb  *sql.DB // query_only pool: reads outside transactions
	wsem chan struct{}
	now  func() time.Time
	wq   *stmts // prepared on wdb
	rq   *stmts // prepared on rdb
	ix   *indexStmts
	ops  *opsql.DB
}

// Ops returns the writer and reader pools for operational tables: their
// writes share the single writer connection with resource writes.
func (s *Store) Ops() *opsql.DB { return s.ops }

var _ store.Store = (*Store)(nil)

const (
	versionCols = `v.seq, v.type, v.id, v.version, v.last_updated, v.deleted, v.method, v.body`

	sqlRead = `SELECT ` + versionCols + ` FROM resources c JOIN resource_versions v ON v.seq = c.seq
WHERE c.type = ? AND c.id = ?`
	sqlVRead = `SELECT ` + versionCols + ` FROM resource_versions v
WHERE v.type = ? AND v.id = ? AND v.version = ?`
	sqlList = `SELECT ` + versionCols + ` FROM resources c JOIN resource_versions v ON v.seq = c.seq
WHERE c.type = ? AND c.deleted = 0 AND c.id > ? ORDER BY c.id LIMIT ?`
	sqlListIDs = `SELECT ` + versionCols + ` FROM resources c JOIN resource_versions v ON v.seq = c.seq
WHERE c.type = ? AND c.deleted = 0 AND c.id > ? AND c.id IN (SELECT value FROM json_each(?)) ORDER BY c.id LIMIT ?`
	sqlCurrent = `SELECT version, seq, deleted, last_updated FROM resources WHERE type = ? AND id = ?`
	sqlInsert  = `INSERT INTO resource_versions (type, id, version, last_updated, deleted, method, body)
VALUES (?, ?, ?, ?, ?, ?, ?)`
	sqlUpsert = `INSERT INTO resources (type, id, version, seq, deleted, last_updated) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (type, id) DO UPDATE SET version = excluded.version, seq = excluded.seq,
	deleted = excluded.deleted, last_updated = excluded.last_updated`
)

type stmts struct {
	read, vread, list, listIDs, current, insert, upsert *sql.Stmt
}

func prepare(ctx context.Context, db *sql.DB, write bool) (*stmts, error) {
	s := &stmts{}
	type prep struct {
		dst **sql.Stmt
		sql string
	}
	todo := []prep{{&s.read, sqlRead}, {&s.vread, sqlVRead}, {&s.list, sqlList}, {&s.listIDs, sqlListIDs}}
	if write {
		todo = append(todo, prep{&s.current, sqlCurrent}, prep{&s.insert, sqlInsert}, prep{&s.upsert, sqlUpsert})
	}
	for _, p := range todo {
		st, err := db.PrepareContext(ctx, p.sql)
		if err != nil {
			return nil, fmt.Errorf("prepare %q: %w", p.sql, err)
		}
		*p.dst = st
	}
	return s, nil
}

func dsn(path string, busy time.Duration, write bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "cache_size(-65536)")
	// Reads map the database file instead of copying each page through a
	// read system call: a search that touches a thousand rows scattered
	// over the file (one patient's medication history) otherwise spends
	// most of its time in pread on a cold connection.
	q.Add("_pragma", "mmap_size(2147418112)")
	if write {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{readers: max(4, 2*runtime.NumCPU()), busy: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Store{wsem: make(chan struct{}, 1), now: storeutil.Clock(cfg.now)}
	var err error
	if s.wdb, err = sql.Open("sqlite", dsn(path, cfg.busy, true)); err != nil {
		return nil, fmt.Errorf("sqlite open %s: %w", path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	fail := func(err error) (*Store, error) {
		_ = s.Close()
		return nil, err
	}
	// Switching a new file to WAL needs an exclusive lock and SQLite reports
	// SQLITE_BUSY for it without waiting, so a second process opening the
	// same new file at the same moment retries here.
	if err := retryBusy(ctx, cfg.busy, func() error { return s.wdb.PingContext(ctx) }); err != nil {
		return fail(fmt.Errorf("sqlite open %s: %w", path, err))
	}
	if err := retryBusy(ctx, cfg.busy, func() error { return migrate(ctx, s.wdb, s.now) }); err != nil {
		return fail(fmt.Errorf("sqlite migrate %s: %w", path, err))
	}
	if s.rdb, err = sql.Open("sqlite", dsn(path, cfg.busy, false)); err != nil {
		return fail(fmt.Errorf("sqlite open readers %s: %w", path, err))
	}
	s.rdb.SetMaxOpenConns(cfg.readers)
	s.rdb.SetMaxIdleConns(cfg.readers)
	if s.wq, err = prepare(ctx, s.wdb, true); err != nil {
		return fail(fmt.Errorf("sqlite open %s: %w", path, err))
	}
	if s.rq, err = prepare(ctx, s.rdb, false); err != nil {
		return fail(fmt.Errorf("sqlite open %s: %w", path, err))
	}
	if s.ix, err = prepareIndex(ctx, s.wdb); err != nil {
		return fail(fmt.Errorf("sqlite open %s: %w", path, err))
	}
	s.ops = &opsql.DB{W: s.wdb, R: s.rdb, Dialect: opsql.SQLite}
	return s, nil
}

func retryBusy(ctx context.Context, limit time.Duration, fn func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := fn()
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("%w (after %w)", ctx.Err(), err)
		}
	}
}

// Close closes both connection pools.
func (s *Store) Close() error {
	var errs []error
	if s.ix != nil {
		s.ix.close()
	}
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	if s.wdb != nil {
		// Checkpoint so that the -wal file does not outlive a clean shutdown.
		_, _ = s.wdb.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		errs = append(errs, s.wdb.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite close: %w", err)
	}
	return nil
}

// Ping checks that a read connection answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.rdb.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlite ping: %w", err)
	}
	return nil
}

// Read returns the current version of a resource.
func (s *Store) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	return readCurrent(ctx, s.rq.read, typ, id)
}

// VRead returns one version of a resource.
func (s *Store) VRead(ctx context.Context, typ, id string, version int64) (*store.Resource, error) {
	return readVersion(ctx, s.rq.vread, typ, id, version)
}

// List pages through the current resources of a type.
func (s *Store) List(ctx context.Context, q store.ListQuery) (*store.ListPage, error) {
	return list(ctx, s.rq.list, s.rq.listIDs, q)
}
