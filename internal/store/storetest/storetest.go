// Package storetest is the conformance suite every store.Store backend must
// pass unchanged, plus shared benchmarks. A backend's tests call
//
//	storetest.Run(t, func(t *testing.T) store.Store { ... open a fresh, empty store ... })
//
// and must give the store the clock storetest.Now(t), so that the suite can
// control LastUpdated.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/store"
)

// Clock is a controllable time source: each reading advances it by Step,
// so consecutive versions get distinct, predictable times.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	Step time.Duration
	used bool
}

// Epoch is where every suite clock starts. Its sub-microsecond part checks
// that stores truncate.
var Epoch = time.Date(2024, 3, 1, 9, 30, 0, 123456789, time.UTC)

// Now reads the clock and advances it.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.used = true
	t := c.now
	c.now = c.now.Add(c.Step)
	return t
}

// Set moves the clock (backwards too).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Peek returns the next reading without advancing.
func (c *Clock) Peek() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

var clocks sync.Map // testing.TB -> *Clock

// Now is the clock the suite prepared for t; pass it to the store the open
// function creates. Outside the suite it is time.Now.
func Now(t testing.TB) func() time.Time {
	if c, ok := clocks.Load(t); ok {
		return c.(*Clock).Now
	}
	return time.Now
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	s     store.Store
	clock *Clock
}

// Run runs the conformance suite; open must return a fresh, empty store and
// arrange for it to be closed (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := &Clock{now: Epoch, Step: time.Millisecond}
			clocks.Store(t, clock)
			t.Cleanup(func() { clocks.Delete(t) })
			s := open(t)
			clock.mu.Lock()
			clock.used = false
			clock.mu.Unlock()
			c.fn(&fixture{t: t, ctx: t.Context(), s: s, clock: clock})
		})
	}
}

type testCase struct {
	name string
	fn   func(f *fixture)
}

// cases is filled by the case files' init functions, in file order.
var cases []testCase

func register(name string, fn func(f *fixture)) { cases = append(cases, testCase{name, fn}) }

// stampLog records the Stamp calls of writes made with put.
type stampLog struct {
	mu    sync.Mutex
	calls []stampCall
}

type stampCall struct {
	version int64
	at      time.Time
}

func (l *stampLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

// Body is the JSON a test write stores: it embeds what Stamp was given so
// the suite can check the stored body matches the assigned version.
func Body(typ, id string, version int64, at time.Time, note string) []byte {
	return fmt.Appendf(nil, `{"resourceType":%q,"id":%q,"meta":{"versionId":%q,"lastUpdated":%q},"note":%q}`,
		typ, id, strconv.FormatInt(version, 10), at.Format(time.RFC3339Nano), note)
}

func put(log *stampLog, method, typ, id, note string) store.Write {
	return store.Write{Type: typ, ID: id, Method: method, Stamp: func(v int64, at time.Time) ([]byte, error) {
		if log != nil {
			log.mu.Lock()
			log.calls = append(log.calls, stampCall{v, at})
			log.mu.Unlock()
		}
		return Body(typ, id, v, at, note), nil
	}}
}

func del(typ, id string) store.Write {
	return store.Write{Type: typ, ID: id, Method: "DELETE", Delete: true}
}

// write runs one write in its own transaction.
func (f *fixture) write(w store.Write) (*store.Resource, error) {
	var out *store.Resource
	err := f.s.InTx(f.ctx, func(tx store.Tx) error {
		r, err := tx.Write(f.ctx, w)
		out = r
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (f *fixture) mustWrite(w store.Write) *store.Resource {
	f.t.Helper()
	r, err := f.write(w)
	if err != nil {
		f.t.Fatalf("write %s %s/%s: %v", w.Method, w.Type, w.ID, err)
	}
	return r
}

func (f *fixture) mustRead(typ, id string) *store.Resource {
	f.t.Helper()
	r, err := f.s.Read(f.ctx, typ, id)
	if err != nil {
		f.t.Fatalf("read %s/%s: %v", typ, id, err)
	}
	return r
}

// wantErr checks that err matches target with errors.Is.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// key identifies a version.
type key struct {
	Type, ID string
	Version  int64
}

func keyOf(r store.Resource) key { return key{r.Type, r.ID, r.VersionID} }

func keys(rs []store.Resource) []key {
	out := make([]key, len(rs))
	for i, r := range rs {
		out[i] = keyOf(r)
	}
	return out
}

// allHistory pages through a history query to the end.
func (f *fixture) allHistory(q store.HistoryQuery) []store.Resource {
	f.t.Helper()
	var out []store.Resource
	for range 100000 {
		p, err := f.s.History(f.ctx, q)
		if err != nil {
			f.t.Fatalf("history %+v: %v", q, err)
		}
		out = append(out, p.Versions...)
		if p.Next == 0 {
			return out
		}
		if len(p.Versions) != q.Count {
			f.t.Fatalf("history page with a Next cursor has %d versions, want %d", len(p.Versions), q.Count)
		}
		q.Before, q.AsOf = p.Next, p.AsOf
	}
	f.t.Fatal("history paging does not end")
	return nil
}

// allList pages through a list query to the end.
func (f *fixture) allList(q store.ListQuery) []store.Resource {
	f.t.Helper()
	var out []store.Resource
	for range 100000 {
		p, err := f.s.List(f.ctx, q)
		if err != nil {
			f.t.Fatalf("list %+v: %v", q, err)
		}
		out = append(out, p.Resources...)
		if p.Next == "" {
			return out
		}
		q.After = p.Next
	}
	f.t.Fatal("list paging does not end")
	return nil
}

// snapshot captures everything observable about a store, to prove that a
// failed transaction left no trace.
type snapshot struct {
	reads   map[string]string
	history []key
	lists   map[string][]key
}

func (f *fixture) snapshot(types []string, ids []string) snapshot {
	f.t.Helper()
	s := snapshot{reads: map[string]string{}, lists: map[string][]key{}}
	for _, typ := range types {
		for _, id := range ids {
			r, err := f.s.Read(f.ctx, typ, id)
			desc := fmt.Sprint(err)
			if r != nil {
				desc += fmt.Sprintf(" v%d %v %s", r.VersionID, r.Deleted, r.Body)
			}
			s.reads[typ+"/"+id] = desc
		}
		s.lists[typ] = keys(f.allList(store.ListQuery{Type: typ, Count: 3}))
	}
	s.history = keys(f.allHistory(store.HistoryQuery{Count: 4}))
	return s
}

func (a snapshot) equal(b snapshot) bool {
	if len(a.reads) != len(b.reads) || !slices.Equal(a.history, b.history) {
		return false
	}
	for k, v := range a.reads {
		if b.reads[k] != v {
			return false
		}
	}
	for k, v := range a.lists {
		if !slices.Equal(b.lists[k], v) {
			return false
		}
	}
	return true
}
