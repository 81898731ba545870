package audit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/audit"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/backend/backendtest"
)

func stores(t *testing.T) map[string]store.Store {
	return backendtest.Open(t)
}

func event(i int) audit.Event {
	return audit.Event{Time: time.Date(2026, 1, 2, 3, 4, 5, i*1000, time.UTC), Kind: audit.KindRead,
		Agent:    audit.Agent{Who: "Practitioner/dr", UserID: "u1", Role: audit.RolePractitioner, Requestor: true},
		Source:   audit.Source{IP: "192.0.2.7", UserAgent: "test"},
		Entities: []audit.Entity{{What: fmt.Sprintf("Observation/o%d", i), Role: audit.EntityRoleDomainResource}},
		Patients: []string{"Patient/p1"}}
}

func record(t *testing.T, s store.Store, from, to int) {
	t.Helper()
	w, err := audit.OpenWriter(t.Context(), audit.WriterOptions{Store: s, Site: "https://hc.example", Batch: 7})
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		w.Record(t.Context(), event(i))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// tamper runs SQL against the event with chain seq n (written n-th).
func tamper(t *testing.T, s store.Store, n int, sqls ...string) {
	t.Helper()
	ctx := context.Background()
	db := s.Ops()
	var seq int64
	err := db.QueryRow(ctx, `SELECT seq FROM resource_versions WHERE type = 'AuditEvent' ORDER BY seq LIMIT 1 OFFSET ?`, n-1).Scan(&seq)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range sqls {
		if _, err := db.Exec(ctx, q, seq); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriterChainAndTampering(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			record(t, s, 0, 20)
			record(t, s, 20, 30) // a restart continues the chain
			rep, err := audit.VerifyStore(ctx, s)
			if err != nil || rep.Checked != 30 || rep.Head.Seq != 30 {
				t.Fatalf("intact trail: %+v, %v", rep, err)
			}
			// Edited event 10.
			bodyCol := "body"
			edit := `UPDATE resource_versions SET ` + bodyCol + ` = replace(` + bodyCol + `, '192.0.2.7', '192.0.2.8') WHERE seq = ?`
			if name == "postgres" {
				edit = `UPDATE resource_versions SET body = convert_to(replace(convert_from(body, 'UTF8'), '192.0.2.7', '192.0.2.8'), 'UTF8') WHERE seq = ?`
			}
			tamper(t, s, 10, edit)
			_, err = audit.VerifyStore(ctx, s)
			if !errors.Is(err, audit.ErrBroken) {
				t.Fatalf("edited event: %v", err)
			}
			t.Log(err)
		})
	}
}

func TestWriterDetectsDeletionAndTruncation(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			record(t, s, 0, 12)
			// What someone with database access would run.
			delete := []string{`DELETE FROM idx_reference WHERE rid = ?`, `DELETE FROM resources WHERE seq = ?`, `DELETE FROM resource_versions WHERE seq = ?`}
			tamper(t, s, 12, delete...)
			if _, err := audit.VerifyStore(ctx, s); !errors.Is(err, audit.ErrTruncated) {
				t.Fatalf("truncated tail: %v", err)
			}
			tamper(t, s, 5, delete...)
			_, err := audit.VerifyStore(ctx, s)
			if !errors.Is(err, audit.ErrBroken) {
				t.Fatalf("deleted event: %v", err)
			}
			t.Log(err)
		})
	}
}

// The writer waits up to Linger for more events to share a transaction; a
// Flush ends the wait at once, and without lingering events land at once.
func TestWriterLinger(t *testing.T) {
	stored := func(t *testing.T, s store.Store) int {
		t.Helper()
		var n int
		if err := s.Ops().QueryRow(context.Background(), `SELECT count(*) FROM resource_versions WHERE type = 'AuditEvent'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			w, err := audit.OpenWriter(t.Context(), audit.WriterOptions{Store: s, Linger: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			for i := range 3 {
				w.Record(t.Context(), event(i))
			}
			time.Sleep(200 * time.Millisecond)
			if n := stored(t, s); n != 0 {
				t.Fatalf("%d events stored while the batch lingers, want 0", n)
			}
			start := time.Now()
			if err := w.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			if n := stored(t, s); n != 3 || time.Since(start) > 5*time.Second {
				t.Fatalf("after Flush: %d events stored in %v, want 3 at once", n, time.Since(start))
			}

			now, err := audit.OpenWriter(t.Context(), audit.WriterOptions{Store: s, Linger: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer now.Close()
			now.Record(t.Context(), event(9))
			deadline := time.Now().Add(5 * time.Second)
			for stored(t, s) != 4 {
				if time.Now().After(deadline) {
					t.Fatal("without lingering the event was not stored")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
