// Package postgres is the store.Store for PostgreSQL, through a pgx pool.
//
// Connection URL: any libpq-style URL pgx accepts. Query parameters that are
// not connection settings are sent as run-time parameters, so
// "postgres://host/db?search_path=tenant1" keeps every table (and the
// advisory-lock keys, which are derived from the schema name) inside schema
// tenant1. The schema must exist; tests use this to isolate each test.
//
// Schema: resource_versions holds every version with a global sequence seq;
// resources maps (type, id) to the current version's seq, and reads join the
// two by primary keys. Migrations (migrations.go) run at Open under a session
// advisory lock.
//
// Isolation: transactions run at READ COMMITTED, and every write first
// locks the resource's current row (SELECT … FOR UPDATE, which returns the
// latest committed row once the lock is granted). So IfMatch, MustNotExist
// and version numbering are decided on the newest state and hold exactly
// under any number of concurrent writers; two creates of the same new id
// collide on a unique index and the loser's fn is re-run (InTx retries on
// unique violations, serialization failures and deadlocks, at most
// maxAttempts times, with jittered backoff) and then sees the winner.
// Why not SERIALIZABLE: measured with the conformance suite, SSI aborts
// concurrent creates of unrelated ids (page-level predicate locks on the
// primary key) and, like REPEATABLE READ, fails every waiter on a hot row
// after the holder commits, so retry budgets ran out under 8-way contention.
// What this gives up: a resource that fn only reads (never writes) is read
// per statement, not from one snapshot, so fn logic of the form "if A looks
// like X, write B" can interleave with a concurrent writer of A. Callers that
// need that (conditional create by search) must serialise on a key of their
// own, e.g. a transaction advisory lock.
//
// History snapshot guarantee: sequence numbers are handed out before commit,
// so without care a transaction holding seq 10 could commit after one
// holding seq 11 has been paged past. Every write transaction therefore holds
// a transaction-level SHARED advisory lock from before it draws its first
// seq until it ends, and a history first page takes the same lock EXCLUSIVE
// (briefly, in its own transaction) before reading the sequence's last value
// as AsOf. Holding it exclusively means no transaction that drew a seq is
// still running, so every seq <= AsOf is final: committed or gone. Pages with
// the same AsOf therefore see the same set of versions, and keyset paging on
// seq neither skips nor repeats. The cost is that a first history page waits
// for in-flight write transactions, and writes arriving meanwhile wait for it
// (PostgreSQL queues lock requests fairly); writers never wait for each other
// on this lock.
//
// Search: the index tables of migration 2 hold the search entries of every
// current version (layout and query compilation are shared with sqlite, in
// internal/store/internal/sqlsearch). Tx.Write replaces a resource's rows
// in its transaction with one pipelined batch ((*ptx).afterWrite); BulkPut
// deletes the replaced versions' rows with one statement per table and
// COPYs the new ones. Search runs on the pool, or on the transaction inside
// InTx so that it sees the transaction's writes. _total=estimate uses the
// planner's row estimate.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
	"github.com/housecall/housecall/internal/store/opsql"
)

// Option configures Open.
type Option func(*config)

type config struct {
	now      func() time.Time
	maxConns int32
}

// WithNow replaces the clock used for LastUpdated (tests).
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithMaxConns sets the pool size (default: pgxpool's, or pool_max_conns in the URL).
func WithMaxConns(n int32) Option { return func(c *config) { c.maxConns = n } }

// Store is a store.Store on PostgreSQL.
type Store struct {
	pool    *pgxpool.Pool
	now     func() time.Time
	schema  string
	seqLock int64 // advisory key: shared by writers, exclusive for history snapshots
	ops     *opsql.DB
}

// Ops returns database/sql handles on the pool for operational tables.
func (s *Store) Ops() *opsql.DB {
	return s.ops
}

var _ store.Store = (*Store)(nil)

// lockKey derives an advisory-lock key that is distinct per schema, so that
// stores in different schemas of one database do not contend.
func lockKey(purpose, schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("housecall\x00" + purpose + "\x00" + schema))
	return int64(h.Sum64())
}

// Open connects, checks the schema named by search_path exists, and migrates it.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The URL may hold a password: do not echo it.
		return nil, fmt.Errorf("postgres: parse database URL: %w", redact(err))
	}
	if cfg.maxConns > 0 {
		pcfg.MaxConns = cfg.maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{pool: pool, now: storeutil.Clock(cfg.now)}
	fail := func(err error) (*Store, error) {
		pool.Close()
		return nil, err
	}
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fail(fmt.Errorf("postgres: connect to %s:%d: %w", pcfg.ConnConfig.Host, pcfg.ConnConfig.Port, err))
	}
	if schema == nil {
		return fail(fmt.Errorf("postgres: no schema in search_path %q exists", pcfg.ConnConfig.RuntimeParams["search_path"]))
	}
	s.schema = *schema
	s.seqLock = lockKey("seq", s.schema)
	if err := migrate(ctx, pool, lockKey("migrate", s.schema)); err != nil {
		return fail(fmt.Errorf("postgres: migrate schema %s: %w", s.schema, err))
	}
	s.ops = &opsql.DB{W: stdlib.OpenDBFromPool(pool), Dialect: opsql.Postgres}
	s.ops.R = s.ops.W
	return s, nil
}

// redact drops the detail of URL parse errors, which quote the URL.
func redact(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string")
	}
	return err
}

// Close closes the pool.
func (s *Store) Close() error {
	if s.ops != nil {
		_ = s.ops.W.Close()
	}
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres ping: %w", err)
	}
	return nil
}

// querier is what reads need: the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Read returns the current version of a resource.
func (s *Store) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	return readCurrent(ctx, s.pool, typ, id)
}

// VRead returns one version of a resource.
func (s *Store) VRead(ctx context.Context, typ, id string, version int64) (*store.Resource, error) {
	return readVersion(ctx, s.pool, typ, id, version)
}

// List pages through the current resources of a type.
func (s *Store) List(ctx context.Context, q store.ListQuery) (*store.ListPage, error) {
	return list(ctx, s.pool, q)
}
