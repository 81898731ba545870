// Package backendtest opens the stores integration tests run against: an
// SQLite file in the test's temporary folder and a fresh PostgreSQL schema
// (pgtest: HOUSECALL_TEST_POSTGRES_URL), each closed when the test ends.
package backendtest

import (
	"path/filepath"
	"testing"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/postgres"
	"github.com/housecall/housecall/internal/store/postgres/pgtest"
	"github.com/housecall/housecall/internal/store/sqlite"
)

// Openers returns, by backend name ("sqlite", "postgres"), a function that
// opens a new, empty store for t.
func Openers() map[string]func(t testing.TB) store.Store {
	return map[string]func(t testing.TB) store.Store{
		"sqlite": func(t testing.TB) store.Store {
			t.Helper()
			st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "housecall.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(t testing.TB) store.Store {
			t.Helper()
			st, err := postgres.Open(t.Context(), pgtest.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	}
}

// Open opens a new, empty store on each backend.
func Open(t testing.TB) map[string]store.Store {
	t.Helper()
	out := map[string]store.Store{}
	for name, open := range Openers() {
		out[name] = open(t)
	}
	return out
}
