package postgres

import (
	"context"
	"fmt"
	"github.com/housecall/housecall/internal/store/internal/sqlsearch"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migration is one ordered schema step. Steps are append-only: never edit a
// released one, add a new one instead.
type migration struct {
	version int
	name    string
	sql     string
}

var migrations = []migration{
	{1, "resource versions and current pointers", `
CREATE SEQUENCE resource_versions_seq AS bigint;

CREATE TABLE resource_versions (
	seq          bigint      PRIMARY KEY,
	type         text        COLLATE "C" NOT NULL,
	id           text        COLLATE "C" NOT NULL,
	version      bigint      NOT NULL,
	last_updated timestamptz NOT NULL,
	deleted      boolean     NOT NULL,
	method       text        NOT NULL,
	-- The exact bytes Stamp rendered (jsonb would reorder keys). lz4 is
	-- several times cheaper than the default pglz on write.
	body         bytea       COMPRESSION lz4
);
-- VRead, and instance history (version order equals seq order per resource).
CREATE UNIQUE INDEX resource_versions_instance ON resource_versions (type, id, version);
-- Type-level history by seq; system level uses the primary key.
CREATE INDEX resource_versions_type_seq ON resource_versions (type, seq);

-- One row per resource ever written; reads join resource_versions on seq so
-- the body is stored once. No foreign key to resource_versions: the store
-- writes both rows in one statement, and the per-row RI trigger would cost
-- bulk imports for no protection the code does not already give.
CREATE TABLE resources (
	type         text        COLLATE "C" NOT NULL,
	id           text        COLLATE "C" NOT NULL,
	version      bigint      NOT NULL,
	seq          bigint      NOT NULL,
	deleted      boolean     NOT NULL,
	last_updated timestamptz NOT NULL,
	PRIMARY KEY (type, id)
);
`},
	{2, "search index tables", `
-- One table per search parameter type; rows belong to the current version
-- of a resource (rid = its seq) and are replaced on every write. pid is the
-- hash of (resource type, parameter code), ord numbers the resource's
-- entries. (rid, pid) serves deletes and correlated sort keys; the search
-- indexes INCLUDE rid so that typical lookups are index-only. Text columns
-- are COLLATE "C": prefix ranges and sort order are bytewise, as in SQLite.
CREATE TABLE idx_string (
	rid bigint NOT NULL, pid integer NOT NULL, ord integer NOT NULL,
	norm  text COLLATE "C" NOT NULL,
	exact text COLLATE "C" NOT NULL
);
CREATE INDEX idx_string_rid ON idx_string (rid, pid);
CREATE INDEX idx_string_norm ON idx_string (pid, norm) INCLUDE (rid);

CREATE TABLE idx_token (
	rid bigint NOT NULL, pid integer NOT NULL, ord integer NOT NULL,
	system text COLLATE "C" NOT NULL, code text COLLATE "C" NOT NULL, text text COLLATE "C" NOT NULL
);
CREATE INDEX idx_token_rid ON idx_token (rid, pid);
CREATE INDEX idx_token_code ON idx_token (pid, code, system) INCLUDE (rid);

CREATE TABLE idx_reference (
	rid bigint NOT NULL, pid integer NOT NULL, ord integer NOT NULL,
	ref_type text COLLATE "C" NOT NULL, ref_id text COLLATE "C" NOT NULL, ref_version text COLLATE "C" NOT NULL,
	ref_url text COLLATE "C" NOT NULL, system text COLLATE "C" NOT NULL, code text COLLATE "C" NOT NULL
);
CREATE INDEX idx_reference_rid ON idx_reference (rid, pid);
CREATE INDEX idx_reference_target ON idx_reference (pid, ref_id, ref_type) INCLUDE (rid);
CREATE INDEX idx_reference_url ON idx_reference (pid, ref_url) INCLUDE (rid) WHERE ref_url <> '';
CREATE INDEX idx_reference_ident ON idx_reference (pid, code, system) INCLUDE (rid) WHERE code <> '';

CREATE TABLE idx_date (
	rid bigint NOT NULL, pid integer NOT NULL, ord integer NOT NULL,
	lo bigint NOT NULL, hi bigint NOT NULL -- inclusive, UTC microseconds
);
CREATE INDEX idx_date_rid ON idx_date (rid, pid);
CREATE INDEX idx_date_lo ON idx_date (pid, lo, hi) INCLUDE (rid);
CREATE INDEX idx_date_hi ON idx_date (pid, hi, lo) INCLUDE (rid);

CREATE TABLE idx_number (
	rid bigint NOT NULL, pid integer NOT NULL, ord integer NOT NULL,
	value double precision NOT NULL, lo double precision NOT NULL, hi double precision NOT NULL
);
CREATE INDEX idx_number_rid ON idx_number (rid, pid);
CREATE INDEX idx_number_value ON idx_number (pid, value) INCLUDE (rid);

CREATE TABLE idx_quantity (
	rid bigint NOT NULL, pid integer NOT NULL, ord integer NOT NULL,
	value double precision NOT NULL, lo double precision NOT NULL, hi double precision NOT NULL,
	system text COLLATE "C" NOT NULL, code text COLLATE "C" NOT NULL, unit text COLLATE "C" NOT NULL
);
CREATE INDEX idx_quantity_rid ON idx_quantity (rid, pid);
CREATE INDEX idx_quantity_value ON idx_quantity (pid, value) INCLUDE (rid);

CREATE TABLE idx_uri (
	rid bigint NOT NULL, pid integer NOT NULL, ord integer NOT NULL,
	uri text COLLATE "C" NOT NULL
);
CREATE INDEX idx_uri_rid ON idx_uri (rid, pid);
CREATE INDEX idx_uri_uri ON idx_uri (pid, uri) INCLUDE (rid);
`},
	{3, "date span buckets", `
-- span classes hi - lo (0: a day or less, 1: 31 days, 2: 366 days, 3: longer
-- or open): a bound on one end of a row's range then bounds the other, so
-- every date predicate is a range scan of one index.
ALTER TABLE idx_date ADD COLUMN span integer NOT NULL DEFAULT 3;
` + sqlsearch.SpanMigrationSQL() + `;
DROP INDEX idx_date_lo;
DROP INDEX idx_date_hi;
CREATE INDEX idx_date_span ON idx_date (pid, span, lo, hi) INCLUDE (rid);
`},
	{4, "live resources by seq", `
-- The live resources of a type in seq order, with their ids: a search walks
-- candidates and turns a nested set's seqs into ids by index-only scans
-- instead of a versions-table page, holding a body or two, per row.
CREATE INDEX resources_live_seq ON resources (type, seq) INCLUDE (id) WHERE NOT deleted;
`},
	{5, "token statistics by parameter", `
-- How often a code occurs depends on the parameter: "finished" is half the
-- Encounter.status rows and no Condition.code row. Per-column statistics
-- multiply the two frequencies, which made a Condition code held by ten
-- thousand resources look like a hundred and chose plans that read all of
-- them for a page of ten. A multivariate list of the commonest (pid, code)
-- pairs, sampled widely, keeps such codes in view. ANALYZE fills it now;
-- autovacuum keeps it current.
CREATE STATISTICS idx_token_pid_code (mcv) ON pid, code FROM idx_token;
ALTER STATISTICS idx_token_pid_code SET STATISTICS 1000;
ANALYZE idx_token;
`},
}

// migrate brings the schema up to date under a session advisory lock, so two
// servers starting at once apply each step once. Each step runs in its own
// transaction together with its schema_migrations row.
func migrate(ctx context.Context, pool *pgxpool.Pool, lockKey int64) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		// A context cancelled mid-migration must not leave the lock held
		// on a pooled connection.
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockKey); uerr != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
			if err == nil {
				err = fmt.Errorf("release migration lock: %w", uerr)
			}
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer     PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var newest int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if known := migrations[len(migrations)-1].version; newest > known {
		return fmt.Errorf("database schema is at migration %d but this binary only knows up to %d: upgrade housecall before opening this database", newest, known)
	}
	for _, m := range migrations {
		if m.version <= newest {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return fmt.Errorf("migration %d: record: %w", m.version, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
