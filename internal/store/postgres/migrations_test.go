package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/internal/store/postgres/pgtest"
)

func TestMigrations(t *testing.T) {
	url := pgtest.URL(t)
	// Several servers starting at once on an empty schema: all succeed
	// (the advisory lock serialises them) and each step is applied once.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(t.Context(), url)
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
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n, newest int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &newest); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) || newest != migrations[len(migrations)-1].version {
		t.Fatalf("schema_migrations has %d rows up to %d, want %d", n, newest, len(migrations))
	}
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')`); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(t.Context(), url); err == nil {
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

func TestOpenMissingSchema(t *testing.T) {
	pgtest.URL(t) // fails or skips clearly when the server is down
	url := pgtest.BaseURL()
	if strings.Contains(url, "?") {
		url += "&search_path=hc_no_such_schema"
	} else {
		url += "?search_path=hc_no_such_schema"
	}
	s, err := Open(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatal("opened a store in a schema that does not exist")
	}
	if !strings.Contains(err.Error(), "hc_no_such_schema") {
		t.Fatalf("unclear error: %v", err)
	}
}
