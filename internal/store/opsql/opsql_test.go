package opsql_test

import (
	"errors"
	"testing"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/backend/backendtest"
	"github.com/housecall/housecall/internal/store/opsql"
)

func backends(t *testing.T) map[string]store.Store {
	return backendtest.Open(t)
}

var steps = []opsql.Step{
	{1, "things", "CREATE TABLE things (k TEXT PRIMARY KEY, n INTEGER NOT NULL)", "CREATE TABLE things (k text PRIMARY KEY, n bigint NOT NULL)"},
	{2, "things index", "CREATE INDEX things_n ON things (n)", "CREATE INDEX things_n ON things (n)"},
}

func TestMigrateTxAndUnique(t *testing.T) {
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			db := s.Ops()
			for range 2 { // the second run applies nothing
				if err := db.Migrate(ctx, "test", steps); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.Exec(ctx, "INSERT INTO things (k, n) VALUES (?, ?)", "a", 1); err != nil {
				t.Fatal(err)
			}
			_, err := db.Exec(ctx, "INSERT INTO things (k, n) VALUES (?, ?)", "a", 2)
			if !opsql.IsUniqueViolation(err) {
				t.Fatalf("duplicate key: %v, want a unique violation", err)
			}
			boom := errors.New("boom")
			err = db.InTx(ctx, func(tx *opsql.Tx) error {
				if _, err := tx.Exec(ctx, "UPDATE things SET n = n + 1 WHERE k = ?", "a"); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRow(ctx, "SELECT n FROM things WHERE k = ?", "a").Scan(&n); err != nil || n != 1 {
				t.Fatalf("after rollback n = %d, %v; want 1", n, err)
			}
			var applied int
			if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM component_migrations WHERE component = ?", "test").Scan(&applied); err != nil || applied != 2 {
				t.Fatalf("applied %d, %v", applied, err)
			}
		})
	}
}

func TestRebind(t *testing.T) {
	pg := &opsql.DB{Dialect: opsql.Postgres}
	if got := pg.Rebind("a = ? AND b IN (?, ?)"); got != "a = $1 AND b IN ($2, $3)" {
		t.Fatal(got)
	}
	lite := &opsql.DB{Dialect: opsql.SQLite}
	if got := lite.Rebind("a = ?"); got != "a = ?" {
		t.Fatal(got)
	}
}
