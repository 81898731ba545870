package audit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/opsql"
)

// WriterOptions configure a Writer.
type WriterOptions struct {
	Store   store.Store
	Indexer *search.Indexer // default search.DefaultIndexer()
	// Site and Observer fill Source.Site and Source.Observer when a
	// recorded event has none (the server's public URL and name).
	Site, Observer string
	Logger         *slog.Logger
	// Queue bounds the events waiting to be written; Record blocks when it
	// is full rather than lose one. Default 10,000.
	Queue int
	// Batch is the most events one transaction stores; default 500.
	Batch int
	// Linger is how long the writer waits after the first event of a batch
	// for more to join it (group commit): one transaction per burst of
	// requests rather than one per request. A Flush (and Close) ends the
	// wait at once. Default 25 ms; negative: write at once.
	Linger time.Duration
	// LockFile, for SQLite, is a file every process writing to the same
	// database locks (flock) while it extends the chain: the server and
	// the command-line tools may write at the same time. Empty: this
	// process is the only writer.
	LockFile string
}

// Writer stores audit events as AuditEvent resources, sealed into the hash
// chain in the order they are written. Events are queued and written in
// batches by one goroutine (group commit), so recording costs a request no
// database round trip; Flush and Close wait until everything recorded is
// stored. The chain head is also kept in the operational table audit_head,
// the anchor that `housecall audit verify` compares the chain's end with.
//
// Several processes on one database take turns — through a session advisory
// lock on PostgreSQL, a file lock beside the SQLite file — and re-read the
// head under it, so they extend one chain.
type Writer struct {
	opts  WriterOptions
	ops   *opsql.DB
	in    chan queued
	mu    sync.Mutex // guards head between batches (single writer goroutine)
	head  Head
	done  chan struct{}
	close sync.Once
}

type queued struct {
	ev    Event
	flush chan struct{} // a Flush marker: closed once everything before it is stored
}

// OpenWriter migrates the audit tables, finds the chain's head and starts
// the writing goroutine.
func OpenWriter(ctx context.Context, opts WriterOptions) (*Writer, error) {
	if opts.Indexer == nil {
		opts.Indexer = search.DefaultIndexer()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Queue <= 0 {
		opts.Queue = 10000
	}
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.Linger == 0 {
		opts.Linger = DefaultLinger
	}
	w := &Writer{opts: opts, ops: opts.Store.Ops(), in: make(chan queued, opts.Queue), done: make(chan struct{})}
	if err := w.ops.Migrate(ctx, "audit", migrations); err != nil {
		return nil, err
	}
	head, err := LastHead(ctx, opts.Store)
	if err != nil {
		return nil, err
	}
	w.head = head
	go w.run()
	return w, nil
}

var migrations = []opsql.Step{{Version: 1, Name: "chain anchor",
	SQLite: `CREATE TABLE audit_head (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	seq     INTEGER NOT NULL,
	hash    TEXT    NOT NULL,
	updated TEXT    NOT NULL
)`,
	Postgres: `CREATE TABLE audit_head (
	id      integer PRIMARY KEY CHECK (id = 1),
	seq     bigint  NOT NULL,
	hash    text    NOT NULL,
	updated text    NOT NULL
)`}}

// LastHead returns the position of the newest stored AuditEvent (the zero
// Head for an empty trail).
func LastHead(ctx context.Context, s store.Store) (Head, error) {
	page, err := s.History(ctx, store.HistoryQuery{Type: "AuditEvent", Count: 1})
	if err != nil {
		return Head{}, fmt.Errorf("audit: reading the newest event: %w", err)
	}
	if len(page.Versions) == 0 {
		return Head{Hash: GenesisHash}, nil
	}
	h, err := HeadOf(page.Versions[0].Body)
	if err != nil {
		return Head{}, fmt.Errorf("audit: newest event %s: %w", page.Versions[0].ID, err)
	}
	return h, nil
}

// Anchor returns the head stored in audit_head (zero when none).
func Anchor(ctx context.Context, db *opsql.DB) (Head, error) {
	var h Head
	err := db.QueryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Head{}, nil
	}
	if err != nil {
		return Head{}, fmt.Errorf("audit: reading the anchor: %w", err)
	}
	return h, nil
}

// Record queues ev. It never drops an event: when the queue is full it
// waits (back-pressure on the requests producing events).
func (w *Writer) Record(ctx context.Context, ev Event) {
	if ev.Source.Site == "" {
		ev.Source.Site = w.opts.Site
	}
	if ev.Source.Observer == "" {
		ev.Source.Observer = w.opts.Observer
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	select {
	case w.in <- queued{ev: ev}:
	case <-w.done:
		w.opts.Logger.Error("audit event recorded after the writer closed", "kind", string(ev.Kind))
	}
}

// Flush waits until every event recorded before it is stored.
func (w *Writer) Flush(ctx context.Context) error {
	f := make(chan struct{})
	select {
	case w.in <- queued{flush: f}:
	case <-w.done:
		return errors.New("audit: writer closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-f:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stores what is queued and stops the writer.
func (w *Writer) Close() error {
	var err error
	w.close.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = w.Flush(ctx)
		close(w.done)
	})
	return err
}

// DefaultLinger is WriterOptions.Linger's default.
const DefaultLinger = 25 * time.Millisecond

func (w *Writer) run() {
	batch := make([]Event, 0, w.opts.Batch)
	var flushes []chan struct{}
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		var q queued
		select {
		case q = <-w.in:
		case <-w.done:
			return
		}
		lingering := false
	gather:
		for {
			if q.flush != nil {
				flushes = append(flushes, q.flush)
			} else {
				batch = append(batch, q.ev)
			}
			if len(batch) >= w.opts.Batch || len(flushes) > 0 {
				break
			}
			select {
			case q = <-w.in:
				continue
			default:
			}
			if w.opts.Linger <= 0 || len(batch) == 0 {
				break
			}
			// Nothing else queued yet: give the requests in flight a
			// moment to add their events to this transaction.
			if !lingering {
				lingering = true
				linger.Reset(w.opts.Linger)
			}
			select {
			case q = <-w.in:
				continue
			case <-linger.C:
				lingering = false
				break gather
			case <-w.done:
				break gather
			}
		}
		if lingering {
			linger.Stop() // since Go 1.23 no stale tick can follow
		}
		if len(batch) > 0 {
			w.writeWithRetry(batch)
			batch = batch[:0]
		}
		for _, f := range flushes {
			close(f)
		}
		flushes = flushes[:0]
	}
}

// writeWithRetry stores a batch, retrying with backoff while the database
// is unavailable: audit events are never dropped.
func (w *Writer) writeWithRetry(batch []Event) {
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := w.write(context.Background(), batch)
		if err == nil {
			return
		}
		w.opts.Logger.Error("storing audit events failed; retrying", "events", len(batch), "attempt", attempt, "err", err)
		time.Sleep(delay)
		delay = min(delay*2, 10*time.Second)
	}
}

func (w *Writer) write(ctx context.Context, batch []Event) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.opts.LockFile != "" {
		unlock, err := lockFile(w.opts.LockFile)
		if err != nil {
			return fmt.Errorf("audit lock: %w", err)
		}
		defer unlock()
		if w.head, err = LastHead(ctx, w.opts.Store); err != nil {
			return err
		}
	}
	if w.ops.Dialect == opsql.Postgres {
		conn, err := w.ops.W.Conn(ctx)
		if err != nil {
			return fmt.Errorf("audit lock: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext('housecall:audit-chain'))"); err != nil {
			return fmt.Errorf("audit lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('housecall:audit-chain'))")
		// Another node may have extended the chain since this one wrote.
		if w.head, err = LastHead(ctx, w.opts.Store); err != nil {
			return err
		}
	}
	head := w.head
	writes := make([]store.Write, 0, len(batch))
	for _, ev := range batch {
		res, err := ev.Resource()
		if err != nil {
			// A malformed event is a bug in its producer; keep its trace.
			w.opts.Logger.Error("dropping an invalid audit event", "kind", string(ev.Kind), "err", err)
			continue
		}
		hash, err := Chain{}.Seal(res, head.Seq+1, head.Hash)
		if err != nil {
			return fmt.Errorf("audit: sealing: %w", err)
		}
		id := newID()
		entries, prep, err := w.opts.Indexer.ForWrite(res, id)
		if err != nil {
			return fmt.Errorf("audit: preparing event: %w", err)
		}
		writes = append(writes, store.Write{Type: "AuditEvent", ID: id, Method: http.MethodPost, MustNotExist: true,
			Index: entries, Stamp: func(v int64, t time.Time) ([]byte, error) { return prep.Stamp(v, t), nil }})
		head = Head{Seq: head.Seq + 1, Hash: hash}
	}
	if len(writes) == 0 {
		return nil
	}
	if _, err := w.opts.Store.BulkPut(ctx, writes); err != nil {
		return fmt.Errorf("audit: storing %d events: %w", len(writes), err)
	}
	w.head = head
	_, err := w.ops.Exec(ctx, `INSERT INTO audit_head (id, seq, hash, updated) VALUES (1, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, updated = excluded.updated`,
		head.Seq, head.Hash, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		// The events are stored; the anchor lags until the next batch.
		w.opts.Logger.Error("updating the audit anchor failed", "err", err)
	}
	return nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
