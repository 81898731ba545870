package rest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/postgres"
	"github.com/housecall/housecall/internal/store/postgres/pgtest"
	"github.com/housecall/housecall/internal/store/sqlite"
)

// backends lists the stores every HTTP test runs against.
var backends = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"sqlite", func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "housecall.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
	{"postgres", func(t *testing.T) store.Store {
		st, err := postgres.Open(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
}

// eachBackend runs fn against a fresh server on every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, s *server)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			fn(t, newServer(t, b.open(t)))
		})
	}
}
