package notify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/store/opsql"
	"github.com/housecall/housecall/internal/store/postgres"
	"github.com/housecall/housecall/internal/store/postgres/pgtest"
	"github.com/housecall/housecall/internal/store/sqlite"
)

// backend opens stores on one test database; each open is like a process
// start (its own pools), so a test can close and reopen, or run two
// "nodes" side by side.
type backend struct {
	name string
	open func(t *testing.T) (db *opsql.DB, closeFn func())
}

// eachBackend runs fn against a fresh SQLite file and a fresh PostgreSQL
// schema.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notify.db")
		fn(t, backend{name: "sqlite", open: func(t *testing.T) (*opsql.DB, func()) {
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			var once sync.Once
			closeFn := func() { once.Do(func() { s.Close() }) }
			t.Cleanup(closeFn)
			return s.Ops(), closeFn
		}})
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		fn(t, backend{name: "postgres", open: func(t *testing.T) (*opsql.DB, func()) {
			s, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			var once sync.Once
			closeFn := func() { once.Do(func() { s.Close() }) }
			t.Cleanup(closeFn)
			return s.Ops(), closeFn
		}})
	})
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder is a Driver that records messages and fails as told.
type recorder struct {
	mu    sync.Mutex
	sent  []Message
	calls int
	// fail, if set, decides the outcome of call number n (1-based).
	fail func(n int, m Message) error
	// delay, if set, is slept before each send (concurrency tests).
	delay time.Duration
	// notify, if set, receives each delivered message.
	notify chan Message
}

func (r *recorder) Send(ctx context.Context, m Message) error {
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	r.calls++
	n := r.calls
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(n, m); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.sent = append(r.sent, m)
	r.mu.Unlock()
	if r.notify != nil {
		r.notify <- m
	}
	return nil
}

func (r *recorder) Sent() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.sent...)
}

func (r *recorder) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

var errFlaky = errors.New("connection reset")

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openOutbox opens an Outbox with a recorder on the "email" channel, a
// test clock and a fixed 1-minute backoff unless opts says otherwise.
func openOutbox(t *testing.T, db *opsql.DB, c *clock, rec Driver, opts Options) *Outbox {
	t.Helper()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	if opts.Drivers == nil {
		opts.Drivers = map[string]Driver{ChannelEmail: rec}
	}
	if opts.Backoff == nil {
		opts.Backoff = func(int) time.Duration { return time.Minute }
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	o, err := Open(t.Context(), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// outboxRow is a row as the tests inspect it.
type outboxRow struct {
	status, text, html, lastErr string
	attempts                    int
	next, doneAt                int64
}

func getRow(t *testing.T, db *opsql.DB, id int64) outboxRow {
	t.Helper()
	var r outboxRow
	err := db.QueryRow(t.Context(), `SELECT status, body_text, body_html, last_error, attempts, next_attempt, done_at
FROM notify_outbox WHERE id = ?`, id).Scan(&r.status, &r.text, &r.html, &r.lastErr, &r.attempts, &r.next, &r.doneAt)
	if err != nil {
		t.Fatalf("row %d: %v", id, err)
	}
	return r
}

func countRows(t *testing.T, db *opsql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(t.Context(), "SELECT COUNT(*) FROM notify_outbox").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mail1(subject string) Message {
	return Message{Channel: ChannelEmail, To: "pat@example.test", Subject: subject, Text: "Hello " + subject}
}
