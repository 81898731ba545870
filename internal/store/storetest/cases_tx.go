package storetest

import (
	"errors"
	"fmt"
	"slices"

	"github.com/housecall/housecall/internal/store"
)

func init() {
	register("TxSeesOwnWrites", testTxOwnWrites)
	register("TxRollbackOnError", func(f *fixture) { testRollback(f, false) })
	register("TxRollbackOnPanic", func(f *fixture) { testRollback(f, true) })
	register("BulkPut", testBulkPut)
	register("BulkPutAllOrNothing", testBulkPutAtomic)
	register("List", testList)
}

func testTxOwnWrites(f *fixture) {
	t := f.t
	f.mustWrite(put(nil, "PUT", "Patient", "a", "a1"))
	err := f.s.InTx(f.ctx, func(tx store.Tx) error {
		n, err := tx.Write(f.ctx, put(nil, "POST", "Patient", "b", "b1"))
		if err != nil {
			return err
		}
		u, err := tx.Write(f.ctx, put(nil, "PUT", "Patient", "a", "a2"))
		if err != nil {
			return err
		}
		got, err := tx.Read(f.ctx, "Patient", "b")
		if err != nil {
			return fmt.Errorf("read own create: %w", err)
		}
		sameVersion(t, "tx read own create", got, n)
		got, err = tx.Read(f.ctx, "Patient", "a")
		if err != nil {
			return fmt.Errorf("read own update: %w", err)
		}
		sameVersion(t, "tx read own update", got, u)
		got, err = tx.VRead(f.ctx, "Patient", "a", 2)
		if err != nil {
			return fmt.Errorf("vread own update: %w", err)
		}
		sameVersion(t, "tx vread own update", got, u)
		l, err := tx.List(f.ctx, store.ListQuery{Type: "Patient", Count: 10})
		if err != nil {
			return err
		}
		if got, want := keys(l.Resources), []key{{"Patient", "a", 2}, {"Patient", "b", 1}}; !slices.Equal(got, want) {
			t.Errorf("tx list %v, want %v", got, want)
		}
		// A second write to the same resource in one transaction.
		u2, err := tx.Write(f.ctx, put(nil, "PUT", "Patient", "b", "b2"))
		if err != nil {
			return err
		}
		if u2.VersionID != 2 {
			t.Errorf("second write in tx got version %d, want 2", u2.VersionID)
		}
		// Preconditions see own writes too.
		w := put(nil, "POST", "Patient", "b", "dup")
		w.MustNotExist = true
		if _, err := tx.Write(f.ctx, w); !errors.Is(err, store.ErrExists) {
			t.Errorf("MustNotExist against own create: %v", err)
		}
		// A refused write does not spoil the transaction.
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.mustRead("Patient", "b"); r.VersionID != 2 {
		t.Fatalf("after commit b is v%d, want 2", r.VersionID)
	}
}

func testRollback(f *fixture, panics bool) {
	t := f.t
	f.mustWrite(put(nil, "PUT", "Patient", "keep", "k1"))
	f.mustWrite(put(nil, "PUT", "Patient", "gone", "g1"))
	f.mustWrite(put(nil, "PUT", "Observation", "o1", "o1"))
	types, ids := []string{"Patient", "Observation"}, []string{"keep", "gone", "new", "o1"}
	before := f.snapshot(types, ids)

	boom := errors.New("fn failed")
	run := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				if p != boom {
					panic(p)
				}
				err = boom
			}
		}()
		return f.s.InTx(f.ctx, func(tx store.Tx) error {
			for _, w := range []store.Write{
				put(nil, "POST", "Patient", "new", "n1"),
				put(nil, "PUT", "Patient", "keep", "k2"),
				del("Patient", "gone"),
				put(nil, "PUT", "Observation", "o1", "o2"),
			} {
				if _, err := tx.Write(f.ctx, w); err != nil {
					return err
				}
			}
			if panics {
				panic(boom)
			}
			return boom
		})
	}
	wantErr(t, "failing transaction", run(), boom)
	if after := f.snapshot(types, ids); !after.equal(before) {
		t.Fatalf("rolled-back transaction left a trace:\nbefore %+v\nafter  %+v", before, after)
	}
	// The store still works, and versions continue from the committed state.
	if r := f.mustWrite(put(nil, "PUT", "Patient", "keep", "k2")); r.VersionID != 2 {
		t.Fatalf("write after rollback got version %d, want 2", r.VersionID)
	}
	if _, err := f.s.Read(f.ctx, "Patient", "new"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled-back create is visible: %v", err)
	}
}

func testBulkPut(f *fixture) {
	t := f.t
	f.mustWrite(put(nil, "PUT", "Patient", "old", "o1"))
	f.mustWrite(put(nil, "PUT", "Patient", "dead", "d1"))
	f.mustWrite(del("Patient", "dead"))
	var log stampLog
	ifm := put(&log, "PUT", "Patient", "old", "o3")
	ifm.IfMatch = 2
	mne := put(&log, "POST", "Patient", "dead", "d3")
	mne.MustNotExist = true
	writes := []store.Write{
		put(&log, "PUT", "Patient", "x", "x1"),
		put(&log, "PUT", "Patient", "old", "o2"),
		put(&log, "PUT", "Observation", "x", "ox1"),
		put(&log, "PUT", "Patient", "x", "x2"),
		ifm,
		mne,
		del("Patient", "x"),
	}
	for i := range 200 {
		writes = append(writes, put(&log, "PUT", "Encounter", fmt.Sprintf("e%03d", i), "e"))
	}
	out, err := f.s.BulkPut(f.ctx, writes)
	if err != nil {
		t.Fatalf("bulk put: %v", err)
	}
	want := []key{{"Patient", "x", 1}, {"Patient", "old", 2}, {"Observation", "x", 1}, {"Patient", "x", 2},
		{"Patient", "old", 3}, {"Patient", "dead", 3}, {"Patient", "x", 3}}
	if len(out) != len(writes) {
		t.Fatalf("bulk put returned %d versions for %d writes", len(out), len(writes))
	}
	if got := keys(out[:len(want)]); !slices.Equal(got, want) {
		t.Fatalf("bulk put versions %v, want %v", got, want)
	}
	if log.count() != len(writes)-1 {
		t.Fatalf("Stamp called %d times for %d non-delete writes", log.count(), len(writes)-1)
	}
	for i, r := range out {
		got, err := f.s.VRead(f.ctx, r.Type, r.ID, r.VersionID)
		if r.Deleted {
			wantErr(t, "vread bulk deletion", err, store.ErrDeleted)
		} else if err != nil {
			t.Fatalf("vread bulk item %d: %v", i, err)
		}
		sameVersion(t, "bulk item", got, &out[i])
	}
	if _, err := f.s.Read(f.ctx, "Patient", "x"); !errors.Is(err, store.ErrDeleted) {
		t.Fatalf("read after bulk delete: %v", err)
	}
	if r := f.mustRead("Patient", "old"); r.VersionID != 3 {
		t.Fatalf("old is v%d, want 3", r.VersionID)
	}
	if n := len(f.allList(store.ListQuery{Type: "Encounter", Count: 64})); n != 200 {
		t.Fatalf("listed %d encounters, want 200", n)
	}
	if out, err := f.s.BulkPut(f.ctx, nil); err != nil || len(out) != 0 {
		t.Fatalf("empty bulk put: %v, %v", out, err)
	}
}

func testBulkPutAtomic(f *fixture) {
	t := f.t
	f.mustWrite(put(nil, "PUT", "Patient", "taken", "t1"))
	types, ids := []string{"Patient"}, []string{"taken", "a", "b"}
	before := f.snapshot(types, ids)
	for _, c := range []struct {
		name   string
		last   store.Write
		target error
	}{
		{"MustNotExist", func() store.Write { w := put(nil, "POST", "Patient", "taken", "x"); w.MustNotExist = true; return w }(), store.ErrExists},
		{"IfMatch", func() store.Write { w := put(nil, "PUT", "Patient", "taken", "x"); w.IfMatch = 7; return w }(), store.ErrVersionConflict},
		{"DeleteMissing", del("Patient", "zzz"), store.ErrNotFound},
	} {
		writes := []store.Write{
			put(nil, "PUT", "Patient", "a", "a1"),
			put(nil, "PUT", "Patient", "taken", "t2"),
			put(nil, "PUT", "Patient", "b", "b1"),
			c.last,
		}
		out, err := f.s.BulkPut(f.ctx, writes)
		wantErr(t, c.name, err, c.target)
		if out != nil {
			t.Fatalf("%s: failed bulk put returned versions", c.name)
		}
		if after := f.snapshot(types, ids); !after.equal(before) {
			t.Fatalf("%s: failed bulk put left a trace:\nbefore %+v\nafter  %+v", c.name, before, after)
		}
	}
}

func testList(f *fixture) {
	t := f.t
	// Byte order: digits < upper case < lower case; '-' < '.' < digits.
	ids := []string{"b", "a", "B", "10", "9", "a-1", "a.1", "c", "d", "e"}
	for _, id := range ids {
		f.mustWrite(put(nil, "PUT", "Patient", id, "v1"))
	}
	f.mustWrite(put(nil, "PUT", "Patient", "c", "v2"))
	f.mustWrite(del("Patient", "d"))
	f.mustWrite(put(nil, "PUT", "Observation", "a", "other type"))
	want := []key{{"Patient", "10", 1}, {"Patient", "9", 1}, {"Patient", "B", 1}, {"Patient", "a", 1},
		{"Patient", "a-1", 1}, {"Patient", "a.1", 1}, {"Patient", "b", 1}, {"Patient", "c", 2}, {"Patient", "e", 1}}
	for _, count := range []int{1, 2, 3, 8, 9, 10, 100} {
		got := f.allList(store.ListQuery{Type: "Patient", Count: count})
		if !slices.Equal(keys(got), want) {
			t.Fatalf("count %d: listed %v, want %v", count, keys(got), want)
		}
		for _, r := range got {
			if len(r.Body) == 0 || r.Deleted {
				t.Fatalf("listed resource without body: %+v", r)
			}
		}
	}
	p, err := f.s.List(f.ctx, store.ListQuery{Type: "Patient", Count: 9})
	if err != nil || p.Next != "" || len(p.Resources) != 9 {
		t.Fatalf("exact-size page: %d resources, next %q, %v", len(p.Resources), p.Next, err)
	}
	p, err = f.s.List(f.ctx, store.ListQuery{Type: "Patient", Count: 4})
	if err != nil || p.Next != "a" {
		t.Fatalf("first page of 4: next %q, %v", p.Next, err)
	}
	p, err = f.s.List(f.ctx, store.ListQuery{Type: "Patient", Count: 4, After: "a-0"})
	if err != nil || len(p.Resources) == 0 || p.Resources[0].ID != "a-1" {
		t.Fatalf("after a cursor that is not an id: %+v, %v", p, err)
	}

	filter := store.ListQuery{Type: "Patient", IDs: []string{"e", "d", "missing", "a", "c", "B"}, Count: 2}
	wantF := []key{{"Patient", "B", 1}, {"Patient", "a", 1}, {"Patient", "c", 2}, {"Patient", "e", 1}}
	if got := keys(f.allList(filter)); !slices.Equal(got, wantF) {
		t.Fatalf("IDs filter listed %v, want %v", got, wantF)
	}
	if got := f.allList(store.ListQuery{Type: "Patient", IDs: []string{"d"}, Count: 5}); len(got) != 0 {
		t.Fatalf("IDs filter returned a deleted resource: %v", keys(got))
	}
	if got := keys(f.allList(store.ListQuery{Type: "Observation", Count: 5})); !slices.Equal(got, []key{{"Observation", "a", 1}}) {
		t.Fatalf("other type listed %v", got)
	}
	if got := f.allList(store.ListQuery{Type: "Encounter", Count: 5}); len(got) != 0 {
		t.Fatalf("empty type listed %v", keys(got))
	}
}
