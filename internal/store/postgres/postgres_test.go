package postgres_test

import (
	"testing"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/postgres"
	"github.com/housecall/housecall/internal/store/postgres/pgtest"
	"github.com/housecall/housecall/internal/store/storetest"
)

func open(t *testing.T) store.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), pgtest.URL(t), postgres.WithNow(storetest.Now(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := postgres.Open(b.Context(), pgtest.URL(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}

func openBench(b *testing.B) store.Store {
	s, err := postgres.Open(b.Context(), pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkImportIndexed: BulkPut with search indexing of the Synthea
// sample ×15 (107,400 resources); run with -benchtime 1x.
func BenchmarkImportIndexed(b *testing.B) { storetest.BenchImport(b, 15, openBench) }

// BenchmarkSearch: typical searches over the Synthea sample ×15, after
// ANALYZE.
func BenchmarkSearch(b *testing.B) {
	storetest.BenchSearch(b, 15, openBench, func(b *testing.B, s store.Store) {
		if err := s.(*postgres.Store).AfterBulkLoad(b.Context()); err != nil {
			b.Fatal(err)
		}
	})
}
