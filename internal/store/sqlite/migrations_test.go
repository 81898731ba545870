package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	// Two stores opening one new file at once: both succeed, each step once.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(t.Context(), path)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, newest int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &newest); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) || newest != migrations[len(migrations)-1].version {
		t.Fatalf("schema_migrations has %d rows up to %d, want %d", n, newest, len(migrations))
	}
	// Reopening is a no-op.
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	s.Close()
	// A database from a newer binary is refused.
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 'now')`); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(t.Context(), path); err == nil {
		s.Close()
		t.Fatal("opened a database with a newer schema")
	} else if !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("unclear error for a newer schema: %v", err)
	}
}

func TestMigrationsOrdered(t *testing.T) {
	for i, m := range migrations {
		if m.version != i+1 || m.name == "" || m.sql == "" {
			t.Fatalf("migration %d: version %d name %q: versions must be 1, 2, 3… with a name and SQL", i, m.version, m.name)
		}
	}
}
