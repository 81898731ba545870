// Package opsql gives domain packages (accounts, OAuth, the notification
// outbox, the audit anchor) plain SQL tables in the same database as the
// resource store. FHIR resources are the clinical record and live in the
// store's own tables; operational state that is not clinical (password
// hashes, OAuth clients and tokens, sessions, outbox rows) lives here, as the
// architecture guide asks.
//
// Statements are written once with "?" placeholders and portable SQL
// (INTEGER/BIGINT, TEXT, no RETURNING differences that matter); Rebind turns
// them into PostgreSQL's $n form. Each component migrates its own tables with
// ordered steps recorded in component_migrations.
package opsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dialect names the database behind a DB.
type Dialect int

const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is a pair of handles on the store's database: W for writes and
// transactions (on SQLite the store's single writer connection, so writes of
// both kinds serialise instead of failing with SQLITE_BUSY), R for reads.
type DB struct {
	W, R    *sql.DB
	Dialect Dialect
}

// Rebind rewrites "?" placeholders for the dialect (q never contains a "?"
// inside a literal).
func (d *DB) Rebind(q string) string {
	if d.Dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Exec runs a statement on the writer.
func (d *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.W.ExecContext(ctx, d.Rebind(q), args...)
}

// Query runs a query on the readers.
func (d *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.R.QueryContext(ctx, d.Rebind(q), args...)
}

// QueryRow runs a one-row query on the readers.
func (d *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return d.R.QueryRowContext(ctx, d.Rebind(q), args...)
}

// Tx is a write transaction with rebinding helpers.
type Tx struct {
	tx *sql.Tx
	d  *DB
}

// Exec runs a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.Rebind(q), args...)
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.Rebind(q), args...)
}

// QueryRow runs a one-row query in the transaction.
func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.Rebind(q), args...)
}

// ForUpdate is the row-locking suffix of a SELECT inside a transaction
// (SQLite's write transactions already exclude each other).
func (t *Tx) ForUpdate() string {
	if t.d.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// InTx runs fn in one write transaction: committed when fn returns nil,
// rolled back otherwise.
func (d *DB) InTx(ctx context.Context, fn func(*Tx) error) (err error) {
	tx, err := d.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(&Tx{tx: tx, d: d}); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique or primary key
// constraint failure.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return coded.SQLState() == "23505"
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "PRIMARY KEY constraint failed") ||
		strings.Contains(msg, "SQLSTATE 23505")
}

// Step is one ordered schema change of a component, in both dialects.
// Steps are append-only: never edit a released one.
type Step struct {
	Version          int
	Name             string
	SQLite, Postgres string
}

// Migrate applies the steps of component that are not yet recorded, each in
// its own transaction. On PostgreSQL a transaction-level advisory lock keyed
// by the component makes concurrent starts apply each step once.
func (d *DB) Migrate(ctx context.Context, component string, steps []Step) error {
	create := `CREATE TABLE IF NOT EXISTS component_migrations (
	component  TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	name       TEXT    NOT NULL,
	applied_at TEXT    NOT NULL,
	PRIMARY KEY (component, version)
)`
	if _, err := d.W.ExecContext(ctx, create); err != nil && !IsUniqueViolation(err) {
		return fmt.Errorf("migrate %s: create component_migrations: %w", component, err)
	}
	for _, st := range steps {
		err := d.InTx(ctx, func(tx *Tx) error {
			if d.Dialect == Postgres {
				if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext(?))", "housecall:"+component); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			var n int
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM component_migrations WHERE component = ? AND version = ?", component, st.Version).Scan(&n); err != nil {
				return fmt.Errorf("check: %w", err)
			}
			if n > 0 {
				return nil
			}
			q := st.SQLite
			if d.Dialect == Postgres {
				q = st.Postgres
			}
			if _, err := tx.tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("apply: %w", err)
			}
			_, err := tx.Exec(ctx, "INSERT INTO component_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)",
				component, st.Version, st.Name, time.Now().UTC().Format(time.RFC3339Nano))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s step %d (%s): %w", component, st.Version, st.Name, err)
		}
	}
	return nil
}
