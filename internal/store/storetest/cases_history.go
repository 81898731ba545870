package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/housecall/housecall/internal/store"
)

func init() {
	register("History", testHistory)
	register("HistorySince", testHistorySince)
	register("HistoryPagingUnderConcurrentWrites", testHistoryConcurrent)
	register("ConcurrentIfMatchUpdates", testConcurrentIfMatch)
	register("ConcurrentCreateMustNotExist", testConcurrentCreate)
	register("ConcurrentDistinctCreates", testConcurrentDistinct)
}

// testConcurrentDistinctCreates: writers that do not touch the same
// resource must not fail, however the database detects conflicts.
func testConcurrentDistinct(f *fixture) {
	t := f.t
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				w := put(nil, "POST", "Patient", fmt.Sprintf("d%02d-%02d", g, i), "x")
				w.MustNotExist = true
				if _, err := f.write(w); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("independent create failed: %v", err)
	}
	if n := len(f.allList(store.ListQuery{Type: "Patient", Count: 100})); n != workers*each {
		t.Fatalf("listed %d resources, want %d", n, workers*each)
	}
}

func reversed(ks []key) []key {
	out := slices.Clone(ks)
	slices.Reverse(out)
	return out
}

func testHistory(f *fixture) {
	t := f.t
	var written []key
	w := func(wr store.Write) {
		written = append(written, keyOf(*f.mustWrite(wr)))
	}
	w(put(nil, "PUT", "Patient", "a", "a1"))
	w(put(nil, "PUT", "Observation", "o", "o1"))
	w(put(nil, "PUT", "Patient", "b", "b1"))
	w(put(nil, "PUT", "Patient", "a", "a2"))
	w(del("Patient", "b"))
	w(put(nil, "PUT", "Observation", "o", "o2"))
	w(put(nil, "PUT", "Patient", "a", "a3"))
	w(put(nil, "PUT", "Patient", "b", "b3"))
	// A multi-write transaction contributes all its versions.
	err := f.s.InTx(f.ctx, func(tx store.Tx) error {
		for _, wr := range []store.Write{put(nil, "PUT", "Patient", "c", "c1"), put(nil, "PUT", "Patient", "a", "a4")} {
			r, err := tx.Write(f.ctx, wr)
			if err != nil {
				return err
			}
			written = append(written, keyOf(*r))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	filter := func(pred func(k key) bool) []key {
		var out []key
		for _, k := range written {
			if pred(k) {
				out = append(out, k)
			}
		}
		return reversed(out)
	}
	levels := []struct {
		name string
		q    store.HistoryQuery
		want []key
	}{
		{"system", store.HistoryQuery{}, reversed(written)},
		{"type", store.HistoryQuery{Type: "Patient"}, filter(func(k key) bool { return k.Type == "Patient" })},
		{"instance", store.HistoryQuery{Type: "Patient", ID: "a"}, filter(func(k key) bool { return k.Type == "Patient" && k.ID == "a" })},
		{"instance with deletion", store.HistoryQuery{Type: "Patient", ID: "b"}, filter(func(k key) bool { return k.Type == "Patient" && k.ID == "b" })},
		{"empty type", store.HistoryQuery{Type: "Encounter"}, nil},
	}
	for _, l := range levels {
		for _, count := range []int{1, 2, 3, 100} {
			q := l.q
			q.Count = count
			got := f.allHistory(q)
			if !slices.Equal(keys(got), l.want) {
				t.Fatalf("%s history (count %d): %v, want %v", l.name, count, keys(got), l.want)
			}
			for _, r := range got {
				if r.Deleted != (r.Body == nil) || (r.Deleted && r.Method != "DELETE") {
					t.Fatalf("%s history: inconsistent version %+v", l.name, r)
				}
			}
		}
	}

	// Snapshot: a page cursor from before new writes does not see them.
	first, err := f.s.History(f.ctx, store.HistoryQuery{Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	if first.AsOf == 0 || first.Next == 0 {
		t.Fatalf("first page AsOf %d Next %d", first.AsOf, first.Next)
	}
	f.mustWrite(put(nil, "PUT", "Patient", "z", "late"))
	f.mustWrite(put(nil, "PUT", "Patient", "a", "a5"))
	rest := f.allHistory(store.HistoryQuery{Count: 3, Before: first.Next, AsOf: first.AsOf})
	got := append(keys(first.Versions), keys(rest)...)
	if !slices.Equal(got, reversed(written)) {
		t.Fatalf("snapshot paging saw %v, want %v", got, reversed(written))
	}
	// AsOf also pins a first page.
	pinned, err := f.s.History(f.ctx, store.HistoryQuery{Count: 100, AsOf: first.AsOf})
	if err != nil || !slices.Equal(keys(pinned.Versions), reversed(written)) || pinned.AsOf != first.AsOf {
		t.Fatalf("AsOf first page: %v (AsOf %d), %v", keys(pinned.Versions), pinned.AsOf, err)
	}
	now := f.allHistory(store.HistoryQuery{Type: "Patient", ID: "a", Count: 2})
	if len(now) != 5 || now[0].VersionID != 5 {
		t.Fatalf("instance history after more writes: %v", keys(now))
	}
	if _, err := f.s.History(f.ctx, store.HistoryQuery{Type: "Patient", ID: "never", Count: 2}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("history of unknown instance: %v", err)
	}
}

func testHistorySince(f *fixture) {
	t := f.t
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.clock.Step = 0
	var all []store.Resource
	for i := range 10 {
		f.clock.Set(base.Add(time.Duration(i) * time.Minute))
		id := fmt.Sprintf("p%d", i%3)
		all = append(all, *f.mustWrite(put(nil, "PUT", "Patient", id, "x")))
	}
	for _, c := range []struct {
		since time.Time
		q     store.HistoryQuery
	}{
		{base.Add(4 * time.Minute), store.HistoryQuery{}},
		{base.Add(4*time.Minute - time.Microsecond), store.HistoryQuery{}},
		{base.Add(4*time.Minute + time.Microsecond), store.HistoryQuery{Type: "Patient"}},
		{base.Add(2 * time.Minute), store.HistoryQuery{Type: "Patient", ID: "p1"}},
		{base.Add(time.Hour), store.HistoryQuery{}},
		{base.Add(-time.Hour), store.HistoryQuery{Type: "Patient"}},
	} {
		var want []key
		for _, r := range all {
			// Since is inclusive.
			if !r.LastUpdated.Before(c.since) && (c.q.ID == "" || r.ID == c.q.ID) {
				want = append(want, keyOf(r))
			}
		}
		q := c.q
		q.Since, q.Count = c.since, 2
		if got := keys(f.allHistory(q)); !slices.Equal(got, reversed(want)) {
			t.Fatalf("since %v %+v: %v, want %v", c.since, c.q, got, reversed(want))
		}
	}
}

// testHistoryConcurrent pages through system history while writers add
// versions. The pages must equal one read of the whole snapshot: nothing
// skipped (a version committing late with a small sequence) or repeated.
func testHistoryConcurrent(f *fixture) {
	t := f.t
	var seed []store.Write
	for i := range 60 {
		seed = append(seed, put(nil, "PUT", "Patient", fmt.Sprintf("s%02d", i%20), "seed"))
	}
	if _, err := f.s.BulkPut(f.ctx, seed); err != nil {
		t.Fatal(err)
	}
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		written atomic.Int64
		errs    = make(chan error, 4)
	)
	for g := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				var err error
				if i%5 == 4 {
					// Multi-write transactions make commit order and
					// sequence order differ where the database allows it.
					err = f.s.InTx(f.ctx, func(tx store.Tx) error {
						for j := range 3 {
							if _, err := tx.Write(f.ctx, put(nil, "PUT", "Observation", fmt.Sprintf("g%d-%d", g, j), "x")); err != nil {
								return err
							}
						}
						return nil
					})
				} else {
					_, err = f.write(put(nil, "PUT", "Patient", fmt.Sprintf("w%d-%d", g, i%7), "x"))
				}
				if err != nil {
					errs <- err
					return
				}
				written.Add(1)
			}
		})
	}
	deadline := time.Now().Add(3 * time.Second)
	rounds := 0
	for ; rounds < 1000 && (rounds < 5 || time.Now().Before(deadline)); rounds++ {
		for written.Load() < int64(rounds*3) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		first, err := f.s.History(f.ctx, store.HistoryQuery{Count: 7})
		if err != nil {
			t.Fatal(err)
		}
		paged := keys(first.Versions)
		q := store.HistoryQuery{Count: 7, Before: first.Next, AsOf: first.AsOf}
		for q.Before != 0 {
			time.Sleep(100 * time.Microsecond) // let writers commit between pages
			p, err := f.s.History(f.ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if p.AsOf != first.AsOf {
				t.Fatalf("page AsOf changed from %d to %d", first.AsOf, p.AsOf)
			}
			paged = append(paged, keys(p.Versions)...)
			q.Before = p.Next
		}
		whole, err := f.s.History(f.ctx, store.HistoryQuery{Count: 1 << 20, AsOf: first.AsOf})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(paged, keys(whole.Versions)) {
			t.Fatalf("round %d: paged history (%d versions) differs from the snapshot read at once (%d versions)",
				rounds, len(paged), len(whole.Versions))
		}
		seen := make(map[key]bool, len(paged))
		for _, k := range paged {
			if seen[k] {
				t.Fatalf("version %v repeated", k)
			}
			seen[k] = true
		}
		for _, w := range seed[:20] { // every seeded resource's first version is in every snapshot
			if !seen[key{w.Type, w.ID, 1}] {
				t.Fatalf("seeded version %s/%s/1 missing", w.Type, w.ID)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}
	t.Logf("%d paging rounds while %d writes committed", rounds, written.Load())
}

func testConcurrentIfMatch(f *fixture) {
	t := f.t
	f.mustWrite(put(nil, "PUT", "Patient", "hot", "v1"))
	const workers, updates = 8, 50
	var (
		wg        sync.WaitGroup
		conflicts atomic.Int64
		errs      = make(chan error, workers)
	)
	for g := range workers {
		wg.Go(func() {
			for i := 0; i < updates; {
				cur, err := f.s.Read(f.ctx, "Patient", "hot")
				if err != nil {
					errs <- err
					return
				}
				w := put(nil, "PUT", "Patient", "hot", fmt.Sprintf("g%d-%d", g, i))
				w.IfMatch = cur.VersionID
				_, err = f.write(w)
				if errors.Is(err, store.ErrVersionConflict) {
					conflicts.Add(1)
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				i++
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("updater: %v", err)
	}
	if r := f.mustRead("Patient", "hot"); r.VersionID != 1+workers*updates {
		t.Fatalf("final version %d, want %d", r.VersionID, 1+workers*updates)
	}
	h := f.allHistory(store.HistoryQuery{Type: "Patient", ID: "hot", Count: 64})
	if len(h) != 1+workers*updates {
		t.Fatalf("history has %d versions, want %d", len(h), 1+workers*updates)
	}
	bodies := map[string]bool{}
	for i, r := range h {
		if want := int64(len(h) - i); r.VersionID != want {
			t.Fatalf("history position %d has version %d, want %d", i, r.VersionID, want)
		}
		if i > 0 && r.LastUpdated.After(h[i-1].LastUpdated) {
			t.Fatalf("version %d is later than version %d", r.VersionID, h[i-1].VersionID)
		}
		bodies[string(r.Body)] = true
	}
	if len(bodies) != len(h) {
		t.Fatalf("%d distinct bodies for %d versions", len(bodies), len(h))
	}
	t.Logf("%d If-Match conflicts retried", conflicts.Load())
}

func testConcurrentCreate(f *fixture) {
	t := f.t
	for round := range 5 {
		id := fmt.Sprintf("c%d", round)
		var (
			wg      sync.WaitGroup
			won     atomic.Int64
			lost    atomic.Int64
			errs    = make(chan error, 8)
			release = make(chan struct{})
		)
		for g := range 8 {
			wg.Go(func() {
				w := put(nil, "POST", "Patient", id, fmt.Sprintf("g%d", g))
				w.MustNotExist = true
				<-release
				_, err := f.write(w)
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, store.ErrExists):
					lost.Add(1)
				default:
					errs <- err
				}
			})
		}
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("create: %v", err)
		}
		if won.Load() != 1 || lost.Load() != 7 {
			t.Fatalf("round %d: %d creates won, %d lost; want 1 and 7", round, won.Load(), lost.Load())
		}
		if r := f.mustRead("Patient", id); r.VersionID != 1 {
			t.Fatalf("winner has version %d", r.VersionID)
		}
	}
}
