package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/sqlite"
	"github.com/housecall/housecall/internal/store/storetest"
)

func open(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), sqlite.WithNow(storetest.Now(t)))
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
		s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}

// TestReadsDoNotWaitForWriter holds a write transaction open and reads.
func TestReadsDoNotWaitForWriter(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	if _, err := s.BulkPut(ctx, []store.Write{{Type: "Patient", ID: "p", Method: "PUT",
		Stamp: func(int64, time.Time) ([]byte, error) { return []byte(`{"v":1}`), nil }}}); err != nil {
		t.Fatal(err)
	}
	inTx, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- s.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.Write(ctx, store.Write{Type: "Patient", ID: "p", Method: "PUT",
				Stamp: func(int64, time.Time) ([]byte, error) { return []byte(`{"v":2}`), nil }})
			close(inTx)
			<-release
			return err
		})
	}()
	<-inTx
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	r, err := s.Read(rctx, "Patient", "p")
	if err != nil || string(r.Body) != `{"v":1}` {
		t.Fatalf("read during a write transaction: %v, %v", r, err)
	}
	if _, err := s.History(rctx, store.HistoryQuery{Count: 10}); err != nil {
		t.Fatalf("history during a write transaction: %v", err)
	}
	// A second writer waits, and gives up when its context ends.
	wctx, wcancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer wcancel()
	if err := s.InTx(wctx, func(store.Tx) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second writer: %v, want deadline exceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r, err := s.Read(ctx, "Patient", "p"); err != nil || r.VersionID != 2 {
		t.Fatalf("after commit: %v, %v", r, err)
	}
}

func openBench(b *testing.B) store.Store {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkImportIndexed: BulkPut with search indexing of the Synthea
// sample ×15 (107,400 resources); run with -benchtime 1x.
func BenchmarkImportIndexed(b *testing.B) { storetest.BenchImport(b, 15, openBench) }

// BenchmarkSearch: typical searches over the Synthea sample ×15.
func BenchmarkSearch(b *testing.B) { storetest.BenchSearch(b, 15, openBench, nil) }
