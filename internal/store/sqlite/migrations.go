package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/housecall/housecall/internal/store/internal/sqlsearch"
	"time"
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
CREATE TABLE resource_versions (
	-- seq is the rowid: assigned in commit order because there is one writer.
	seq          INTEGER PRIMARY KEY,
	type         TEXT    NOT NULL,
	id           TEXT    NOT NULL,
	version      INTEGER NOT NULL,
	last_updated INTEGER NOT NULL, -- microseconds since the Unix epoch, UTC
	deleted      INTEGER NOT NULL,
	method       TEXT    NOT NULL,
	body         BLOB
);
-- VRead, and instance history (version order equals seq order per resource).
CREATE UNIQUE INDEX resource_versions_instance ON resource_versions (type, id, version);
-- Type-level history by seq; system level uses the rowid itself.
CREATE INDEX resource_versions_type_seq ON resource_versions (type, seq);

-- One row per resource ever written. The body is not copied here: reads join
-- resource_versions on its rowid, so each write stores the body once.
CREATE TABLE resources (
	type         TEXT    NOT NULL,
	id           TEXT    NOT NULL,
	version      INTEGER NOT NULL,
	seq          INTEGER NOT NULL REFERENCES resource_versions (seq),
	deleted      INTEGER NOT NULL,
	last_updated INTEGER NOT NULL,
	PRIMARY KEY (type, id)
) WITHOUT ROWID;
`},
	{2, "search index tables", `
-- One table per search parameter type; rows belong to the current version
-- of a resource (rid = its seq) and are replaced on every write. pid is the
-- hash of (resource type, parameter code), ord numbers the resource's
-- entries. The primary key clusters a resource's rows (delete on update,
-- correlated sort keys); the second index serves the searches.
CREATE TABLE idx_string (
	rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
	norm  TEXT NOT NULL, -- lower-cased, accents removed: prefix ranges
	exact TEXT NOT NULL,
	PRIMARY KEY (rid, pid, ord)
) WITHOUT ROWID;
CREATE INDEX idx_string_norm ON idx_string (pid, norm);

CREATE TABLE idx_token (
	rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
	system TEXT NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL,
	PRIMARY KEY (rid, pid, ord)
) WITHOUT ROWID;
CREATE INDEX idx_token_code ON idx_token (pid, code, system);

CREATE TABLE idx_reference (
	rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
	ref_type TEXT NOT NULL, ref_id TEXT NOT NULL, ref_version TEXT NOT NULL,
	ref_url TEXT NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL,
	PRIMARY KEY (rid, pid, ord)
) WITHOUT ROWID;
-- Forward searches (subject=Patient/1), reverse lookups (_revinclude,
-- _has, compartments: the pid is always known) and chains.
CREATE INDEX idx_reference_target ON idx_reference (pid, ref_id, ref_type);
CREATE INDEX idx_reference_url ON idx_reference (pid, ref_url) WHERE ref_url <> '';
CREATE INDEX idx_reference_ident ON idx_reference (pid, code, system) WHERE code <> '';

CREATE TABLE idx_date (
	rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
	lo INTEGER NOT NULL, hi INTEGER NOT NULL, -- inclusive, UTC microseconds
	PRIMARY KEY (rid, pid, ord)
) WITHOUT ROWID;
CREATE INDEX idx_date_lo ON idx_date (pid, lo, hi);
CREATE INDEX idx_date_hi ON idx_date (pid, hi, lo);

CREATE TABLE idx_number (
	rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
	value REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL,
	PRIMARY KEY (rid, pid, ord)
) WITHOUT ROWID;
CREATE INDEX idx_number_value ON idx_number (pid, value);

CREATE TABLE idx_quantity (
	rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
	value REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL,
	system TEXT NOT NULL, code TEXT NOT NULL, unit TEXT NOT NULL,
	PRIMARY KEY (rid, pid, ord)
) WITHOUT ROWID;
CREATE INDEX idx_quantity_value ON idx_quantity (pid, value);

CREATE TABLE idx_uri (
	rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
	uri TEXT NOT NULL,
	PRIMARY KEY (rid, pid, ord)
) WITHOUT ROWID;
CREATE INDEX idx_uri_uri ON idx_uri (pid, uri);
`},
	{3, "date span buckets", `
-- span classes hi - lo (0: a day or less, 1: 31 days, 2: 366 days, 3: longer
-- or open): a bound on one end of a row's range then bounds the other, so
-- every date predicate is a range scan of one index.
ALTER TABLE idx_date ADD COLUMN span INTEGER NOT NULL DEFAULT 3;
` + sqlsearch.SpanMigrationSQL() + `;
DROP INDEX idx_date_lo;
DROP INDEX idx_date_hi;
CREATE INDEX idx_date_span ON idx_date (pid, span, lo, hi);
`},
	{4, "live resources by seq", `
-- The live resources of a type in seq order, with their ids (the primary
-- key rides along in every index of a WITHOUT ROWID table): a search walks
-- candidates and turns a nested set's seqs into ids through dense index
-- pages instead of a versions-table page, holding a body or two, per row.
CREATE INDEX resources_live_seq ON resources (type, seq) WHERE deleted = 0;
`},
}

// migrate brings the schema up to date. Each step runs in its own
// BEGIN IMMEDIATE transaction, so two processes opening the same file at once
// serialise on SQLite's write lock and the loser sees the step as applied.
func migrate(ctx context.Context, db *sql.DB, now func() time.Time) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at TEXT    NOT NULL
)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var newest int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if known := migrations[len(migrations)-1].version; newest > known {
		return fmt.Errorf("database schema is at migration %d but this binary only knows up to %d: upgrade housecall before opening this database", newest, known)
	}
	for _, m := range migrations {
		if err := applyOne(ctx, db, m, now); err != nil {
			return err
		}
	}
	return nil
}

func applyOne(ctx context.Context, db *sql.DB, m migration, now func() time.Time) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: begin: %w", m.version, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return fmt.Errorf("migration %d: check: %w", m.version, err)
	}
	if n > 0 {
		return tx.Rollback()
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("migration %d: record: %w", m.version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d: commit: %w", m.version, err)
	}
	return nil
}
