package backend_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/store/backend"
	"github.com/housecall/housecall/internal/store/postgres"
	"github.com/housecall/housecall/internal/store/postgres/pgtest"
	"github.com/housecall/housecall/internal/store/sqlite"
)

func TestOpenSQLite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	s, err := backend.Open(t.Context(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*sqlite.Store); !ok {
		t.Fatalf("got %T, want *sqlite.Store", s)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Fatalf("data dir mode %o, want 700", perm)
	}
	if _, err := os.Stat(filepath.Join(dir, backend.DBFile)); err != nil {
		t.Fatalf("database file: %v", err)
	}
}

func TestOpenPostgres(t *testing.T) {
	u := pgtest.URL(t)
	for _, url := range []string{u, "postgresql://" + strings.TrimPrefix(u, "postgres://")} {
		s, err := backend.Open(t.Context(), t.TempDir(), url)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*postgres.Store); !ok {
			t.Fatalf("got %T, want *postgres.Store", s)
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	for _, c := range []struct{ dir, url, want string }{
		{t.TempDir(), "mysql://user:s3cret@db/x", `"mysql://"`},
		{t.TempDir(), "sqlite:///tmp/x.db", `"sqlite://"`},
		{t.TempDir(), "just-a-path", "unsupported"},
		{"", "", "no data directory"},
		{t.TempDir(), "postgres://user:s3cret@127.0.0.1:1/x?connect_timeout=1", "postgres"},
	} {
		s, err := backend.Open(t.Context(), c.dir, c.url)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%q, %q) succeeded", c.dir, c.url)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q, %q): %v, want mention of %s", c.dir, c.url, err, c.want)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}
