package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/store"
)

func init() {
	register("CreateReadVRead", testCreateReadVRead)
	register("UpdateAddsVersions", testUpdate)
	register("IfMatch", testIfMatch)
	register("MustNotExist", testMustNotExist)
	register("Delete", testDelete)
	register("LastUpdatedClock", testClock)
	register("StampError", testStampError)
	register("InvalidArguments", testInvalid)
	register("Ping", func(f *fixture) {
		if err := f.s.Ping(f.ctx); err != nil {
			f.t.Fatalf("ping: %v", err)
		}
	})
}

func checkResource(t *testing.T, r *store.Resource, typ, id string, version int64, method string, deleted bool) {
	t.Helper()
	if r == nil {
		t.Fatalf("%s/%s: nil resource", typ, id)
	}
	if r.Type != typ || r.ID != id || r.VersionID != version || r.Method != method || r.Deleted != deleted {
		t.Fatalf("got %s/%s v%d %s deleted=%v, want %s/%s v%d %s deleted=%v",
			r.Type, r.ID, r.VersionID, r.Method, r.Deleted, typ, id, version, method, deleted)
	}
	if r.LastUpdated.Location() != time.UTC {
		t.Fatalf("LastUpdated %v is not UTC", r.LastUpdated)
	}
	if r.LastUpdated.Nanosecond()%1000 != 0 {
		t.Fatalf("LastUpdated %v has sub-microsecond precision", r.LastUpdated)
	}
	if deleted && r.Body != nil {
		t.Fatalf("deleted version has a body %q", r.Body)
	}
	if !deleted && len(r.Body) == 0 {
		t.Fatal("version has no body")
	}
}

func sameVersion(t *testing.T, what string, got, want *store.Resource) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	if keyOf(*got) != keyOf(*want) || !got.LastUpdated.Equal(want.LastUpdated) || got.Deleted != want.Deleted ||
		got.Method != want.Method || !bytes.Equal(got.Body, want.Body) {
		t.Fatalf("%s: got %+v, want %+v", what, *got, *want)
	}
}

func testCreateReadVRead(f *fixture) {
	t := f.t
	var log stampLog
	w := put(&log, "POST", "Patient", "p1", "first")
	w.MustNotExist = true
	created := f.mustWrite(w)
	checkResource(t, created, "Patient", "p1", 1, "POST", false)
	if log.count() != 1 {
		t.Fatalf("Stamp called %d times, want 1", log.count())
	}
	if c := log.calls[0]; c.version != 1 || !c.at.Equal(created.LastUpdated) {
		t.Fatalf("Stamp got (%d, %v), want (1, %v)", c.version, c.at, created.LastUpdated)
	}
	if want := Body("Patient", "p1", 1, created.LastUpdated, "first"); !bytes.Equal(created.Body, want) {
		t.Fatalf("body %s, want %s", created.Body, want)
	}
	if want := Epoch.Truncate(time.Microsecond); created.LastUpdated.Before(want) || created.LastUpdated.After(want.Add(time.Second)) {
		t.Fatalf("LastUpdated %v does not come from the store clock (starts %v)", created.LastUpdated, want)
	}
	sameVersion(t, "read", f.mustRead("Patient", "p1"), created)
	v, err := f.s.VRead(f.ctx, "Patient", "p1", 1)
	if err != nil {
		t.Fatalf("vread: %v", err)
	}
	sameVersion(t, "vread", v, created)

	for _, c := range []struct{ typ, id string }{{"Patient", "nope"}, {"Observation", "p1"}, {"Patient", "P1"}} {
		r, err := f.s.Read(f.ctx, c.typ, c.id)
		wantErr(t, "read "+c.typ+"/"+c.id, err, store.ErrNotFound)
		if r != nil {
			t.Fatalf("read of missing %s/%s returned %+v", c.typ, c.id, r)
		}
	}
	for _, ver := range []int64{0, 2, 99} {
		_, err := f.s.VRead(f.ctx, "Patient", "p1", ver)
		wantErr(t, "vread missing version", err, store.ErrNotFound)
	}
	_, err = f.s.VRead(f.ctx, "Patient", "nope", 1)
	wantErr(t, "vread missing resource", err, store.ErrNotFound)
}

func testUpdate(f *fixture) {
	t := f.t
	var log stampLog
	v1 := f.mustWrite(put(&log, "PUT", "Patient", "p1", "one"))
	v2 := f.mustWrite(put(&log, "PUT", "Patient", "p1", "two"))
	v3 := f.mustWrite(put(&log, "PATCH", "Patient", "p1", "three"))
	checkResource(t, v1, "Patient", "p1", 1, "PUT", false)
	checkResource(t, v2, "Patient", "p1", 2, "PUT", false)
	checkResource(t, v3, "Patient", "p1", 3, "PATCH", false)
	if log.count() != 3 {
		t.Fatalf("Stamp called %d times for 3 writes", log.count())
	}
	for i, c := range log.calls {
		if c.version != int64(i+1) {
			t.Fatalf("Stamp call %d got version %d", i, c.version)
		}
	}
	if !v2.LastUpdated.After(v1.LastUpdated) || !v3.LastUpdated.After(v2.LastUpdated) {
		t.Fatalf("LastUpdated not increasing: %v %v %v", v1.LastUpdated, v2.LastUpdated, v3.LastUpdated)
	}
	sameVersion(t, "read", f.mustRead("Patient", "p1"), v3)
	for _, want := range []*store.Resource{v1, v2, v3} {
		got, err := f.s.VRead(f.ctx, "Patient", "p1", want.VersionID)
		if err != nil {
			t.Fatalf("vread %d: %v", want.VersionID, err)
		}
		sameVersion(t, "vread", got, want)
	}
	// Same id, other type: independent version counter.
	checkResource(t, f.mustWrite(put(nil, "PUT", "Observation", "p1", "x")), "Observation", "p1", 1, "PUT", false)
}

func testIfMatch(f *fixture) {
	t := f.t
	var log stampLog
	f.mustWrite(put(nil, "PUT", "Patient", "p1", "one"))
	w := put(&log, "PUT", "Patient", "p1", "two")
	w.IfMatch = 1
	checkResource(t, f.mustWrite(w), "Patient", "p1", 2, "PUT", false)

	w = put(&log, "PUT", "Patient", "p1", "stale")
	w.IfMatch = 1
	_, err := f.write(w)
	wantErr(t, "stale If-Match", err, store.ErrVersionConflict)
	w.IfMatch = 3
	_, err = f.write(w)
	wantErr(t, "future If-Match", err, store.ErrVersionConflict)
	if log.count() != 1 {
		t.Fatalf("Stamp called %d times, want 1 (not for conflicting writes)", log.count())
	}
	if r := f.mustRead("Patient", "p1"); r.VersionID != 2 {
		t.Fatalf("conflicting write changed the resource to v%d", r.VersionID)
	}

	w = put(nil, "PUT", "Patient", "missing", "x")
	w.IfMatch = 1
	_, err = f.write(w)
	wantErr(t, "If-Match on missing resource", err, store.ErrVersionConflict)

	f.mustWrite(del("Patient", "p1"))
	w = put(nil, "PUT", "Patient", "p1", "after delete")
	w.IfMatch = 3
	_, err = f.write(w)
	wantErr(t, "If-Match on deleted resource", err, store.ErrVersionConflict)

	// Conditional delete.
	f.mustWrite(put(nil, "PUT", "Patient", "p2", "x"))
	d := del("Patient", "p2")
	d.IfMatch = 2
	_, err = f.write(d)
	wantErr(t, "delete with stale If-Match", err, store.ErrVersionConflict)
	d.IfMatch = 1
	checkResource(t, f.mustWrite(d), "Patient", "p2", 2, "DELETE", true)
}

func testMustNotExist(f *fixture) {
	t := f.t
	var log stampLog
	f.mustWrite(put(nil, "POST", "Patient", "p1", "one"))
	w := put(&log, "POST", "Patient", "p1", "again")
	w.MustNotExist = true
	_, err := f.write(w)
	wantErr(t, "create of existing id", err, store.ErrExists)
	if log.count() != 0 {
		t.Fatal("Stamp called for a refused create")
	}
	f.mustWrite(del("Patient", "p1"))
	r := f.mustWrite(w)
	checkResource(t, r, "Patient", "p1", 3, "POST", false)
}

func testDelete(f *fixture) {
	t := f.t
	_, err := f.write(del("Patient", "missing"))
	wantErr(t, "delete of missing", err, store.ErrNotFound)
	if _, err := f.s.History(f.ctx, store.HistoryQuery{Type: "Patient", ID: "missing", Count: 10}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("history of never-existing resource: %v, want ErrNotFound", err)
	}

	v1 := f.mustWrite(put(nil, "PUT", "Patient", "p1", "one"))
	d := f.mustWrite(del("Patient", "p1"))
	checkResource(t, d, "Patient", "p1", 2, "DELETE", true)
	if d.LastUpdated.Before(v1.LastUpdated) {
		t.Fatal("deletion earlier than the version it deletes")
	}

	r, err := f.s.Read(f.ctx, "Patient", "p1")
	wantErr(t, "read deleted", err, store.ErrDeleted)
	checkResource(t, r, "Patient", "p1", 2, "DELETE", true)
	r, err = f.s.VRead(f.ctx, "Patient", "p1", 2)
	wantErr(t, "vread deletion version", err, store.ErrDeleted)
	sameVersion(t, "vread deletion", r, d)
	old, err := f.s.VRead(f.ctx, "Patient", "p1", 1)
	if err != nil {
		t.Fatalf("vread version before deletion: %v", err)
	}
	sameVersion(t, "vread v1", old, v1)

	_, err = f.write(del("Patient", "p1"))
	wantErr(t, "double delete", err, store.ErrDeleted)
	h := f.allHistory(store.HistoryQuery{Type: "Patient", ID: "p1", Count: 10})
	if len(h) != 2 {
		t.Fatalf("history after double delete has %d versions, want 2", len(h))
	}

	var log stampLog
	re := f.mustWrite(put(&log, "PUT", "Patient", "p1", "back"))
	checkResource(t, re, "Patient", "p1", 3, "PUT", false)
	if log.count() != 1 || log.calls[0].version != 3 {
		t.Fatalf("re-create Stamp calls %+v", log.calls)
	}
	sameVersion(t, "read re-created", f.mustRead("Patient", "p1"), re)

	// A deletion inside a transaction with its own later read.
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		if _, err := tx.Write(f.ctx, del("Patient", "p1")); err != nil {
			return err
		}
		_, err := tx.Read(f.ctx, "Patient", "p1")
		if !errors.Is(err, store.ErrDeleted) {
			t.Errorf("read of own deletion in tx: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testClock(f *fixture) {
	t := f.t
	at := time.Date(2025, 1, 2, 3, 4, 5, 678901234, time.FixedZone("X", 3*3600))
	f.clock.Set(at)
	v1 := f.mustWrite(put(nil, "PUT", "Patient", "p1", "one"))
	f.clock.mu.Lock()
	used := f.clock.used
	f.clock.mu.Unlock()
	if !used {
		t.Fatal("the store does not use the suite clock: open must pass storetest.Now(t) to the store")
	}
	if want := at.UTC().Truncate(time.Microsecond); !v1.LastUpdated.Equal(want) || v1.LastUpdated.Location() != time.UTC {
		t.Fatalf("LastUpdated %v, want %v (UTC, truncated to µs)", v1.LastUpdated, want)
	}
	// Clock steps back an hour: the resource's time must not go backwards.
	f.clock.Set(at.Add(-time.Hour))
	v2 := f.mustWrite(put(nil, "PUT", "Patient", "p1", "two"))
	if v2.LastUpdated.Before(v1.LastUpdated) {
		t.Fatalf("v2 LastUpdated %v earlier than v1 %v", v2.LastUpdated, v1.LastUpdated)
	}
	d := f.mustWrite(del("Patient", "p1"))
	if d.LastUpdated.Before(v2.LastUpdated) {
		t.Fatalf("deletion LastUpdated %v earlier than v2 %v", d.LastUpdated, v2.LastUpdated)
	}
	// Another resource is not held back by p1's times.
	other := f.mustWrite(put(nil, "PUT", "Patient", "p2", "x"))
	if !other.LastUpdated.Before(v1.LastUpdated) {
		t.Fatalf("new resource LastUpdated %v should follow the clock (before %v)", other.LastUpdated, v1.LastUpdated)
	}
	// Stored values round-trip exactly.
	r, err := f.s.VRead(f.ctx, "Patient", "p1", 1)
	if err != nil || !r.LastUpdated.Equal(v1.LastUpdated) {
		t.Fatalf("vread LastUpdated %v (%v), want %v", r, err, v1.LastUpdated)
	}
}

func testStampError(f *fixture) {
	t := f.t
	boom := errors.New("render failed")
	calls := 0
	w := store.Write{Type: "Patient", ID: "p1", Method: "PUT", Stamp: func(int64, time.Time) ([]byte, error) {
		calls++
		return nil, boom
	}}
	_, err := f.write(w)
	wantErr(t, "stamp failure", err, boom)
	if calls != 1 {
		t.Fatalf("Stamp called %d times", calls)
	}
	_, err = f.s.Read(f.ctx, "Patient", "p1")
	wantErr(t, "read after failed stamp", err, store.ErrNotFound)
	// BulkPut too.
	_, err = f.s.BulkPut(f.ctx, []store.Write{put(nil, "PUT", "Patient", "p2", "ok"), w})
	wantErr(t, "bulk stamp failure", err, boom)
	_, err = f.s.Read(f.ctx, "Patient", "p2")
	wantErr(t, "bulk rolled back", err, store.ErrNotFound)
}

func testInvalid(f *fixture) {
	t := f.t
	stamp := func(int64, time.Time) ([]byte, error) { return []byte(`{}`), nil }
	bad := []store.Write{
		{ID: "x", Method: "PUT", Stamp: stamp},
		{Type: "Patient", Method: "PUT", Stamp: stamp},
		{Type: "Patient", ID: "x", Method: "PUT"},
		{Type: "Patient", ID: "x", Method: "GET", Stamp: stamp},
		{Type: "Patient", ID: "x", Method: "PUT", Delete: true},
		{Type: "Patient", ID: "x", Method: "PUT", IfMatch: -1, Stamp: stamp},
	}
	for i, w := range bad {
		_, err := f.write(w)
		if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExists) {
			t.Fatalf("invalid write %d (%+v): got %v, want an argument error", i, w, err)
		}
	}
	if _, err := f.s.List(f.ctx, store.ListQuery{Type: "Patient"}); err == nil {
		t.Fatal("list with Count 0 accepted")
	}
	if _, err := f.s.List(f.ctx, store.ListQuery{Count: 5}); err == nil {
		t.Fatal("list without type accepted")
	}
	if _, err := f.s.History(f.ctx, store.HistoryQuery{}); err == nil {
		t.Fatal("history with Count 0 accepted")
	}
	if _, err := f.s.History(f.ctx, store.HistoryQuery{ID: "x", Count: 1}); err == nil {
		t.Fatal("instance history without type accepted")
	}
	if h, err := f.s.History(f.ctx, store.HistoryQuery{Count: 5}); err != nil || len(h.Versions) != 0 || h.Next != 0 {
		t.Fatalf("history of empty store: %+v, %v", h, err)
	}
	if l, err := f.s.List(f.ctx, store.ListQuery{Type: "Patient", Count: 5}); err != nil || len(l.Resources) != 0 || l.Next != "" {
		t.Fatalf("list of empty store: %+v, %v", l, err)
	}
}
