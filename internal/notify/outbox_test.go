package notify

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/store/opsql"
)

func TestValidate(t *testing.T) {
	o := &Outbox{drivers: map[string]Driver{ChannelEmail: &recorder{}}}
	ok := mail1("ok")
	with := func(f func(m *Message)) Message {
		m := ok
		m.Headers = map[string]string{}
		f(&m)
		return m
	}
	tests := []struct {
		name string
		m    Message
		want error
	}{
		{"valid", with(func(m *Message) { m.Headers["Reply-To"] = "desk@clinic.test"; m.HTML = "<p>x</p>\n" }), nil},
		{"multi-line text", with(func(m *Message) { m.Text = "line 1\nline 2\r\n" }), nil},
		{"no channel", with(func(m *Message) { m.Channel = "" }), ErrInvalidMessage},
		{"unknown channel", with(func(m *Message) { m.Channel = ChannelSMS }), ErrNoDriver},
		{"no recipient", with(func(m *Message) { m.To = "  " }), ErrInvalidMessage},
		{"LF in recipient", with(func(m *Message) { m.To = "a@b.test\nBcc: c@d.test" }), ErrInvalidMessage},
		{"CR in subject", with(func(m *Message) { m.Subject = "hi\rBcc: x" }), ErrInvalidMessage},
		{"NUL in text", with(func(m *Message) { m.Text = "a\x00b" }), ErrInvalidMessage},
		{"bad UTF-8 in HTML", with(func(m *Message) { m.HTML = "\xff" }), ErrInvalidMessage},
		{"colon in header name", with(func(m *Message) { m.Headers["X:Y"] = "v" }), ErrInvalidMessage},
		{"empty header name", with(func(m *Message) { m.Headers[""] = "v" }), ErrInvalidMessage},
		{"LF in header value", with(func(m *Message) { m.Headers["X-A"] = "v\nBcc: x" }), ErrInvalidMessage},
		{"LF in dedup key", with(func(m *Message) { m.DedupKey = "a\nb" }), ErrInvalidMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := o.validate(tt.m)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("validate = %v, want %v", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), "Bcc") || strings.Contains(err.Error(), "b.test")) {
				t.Errorf("error %q quotes the message", err)
			}
		})
	}
}

func TestDedupKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db, _ := b.open(t)
		o := openOutbox(t, db, newClock(), &recorder{}, Options{})
		first := mail1("code")
		first.DedupKey = "signin:42"
		id1, err := o.Enqueue(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		second := mail1("another text")
		second.DedupKey = "signin:42"
		id2, err := o.Enqueue(ctx, second)
		if err != nil || id2 != id1 {
			t.Fatalf("second enqueue = %d, %v; want %d, nil", id2, err, id1)
		}
		// Inside a transaction the duplicate must not abort it (PostgreSQL).
		var id3, id4 int64
		err = db.InTx(ctx, func(tx *opsql.Tx) error {
			var err error
			if id3, err = o.EnqueueTx(ctx, tx, second); err != nil {
				return err
			}
			id4, err = o.EnqueueTx(ctx, tx, mail1("other"))
			return err
		})
		if err != nil || id3 != id1 || id4 == id1 {
			t.Fatalf("in tx: ids %d, %d, %v; want %d and a new one", id3, id4, err, id1)
		}
		for range 2 { // no key: never deduplicated
			if _, err := o.Enqueue(ctx, mail1("plain")); err != nil {
				t.Fatal(err)
			}
		}
		if n := countRows(t, db); n != 4 {
			t.Fatalf("%d rows, want 4", n)
		}
		if r := getRow(t, db, id1); r.text != "Hello code" {
			t.Fatalf("the duplicate replaced the body: %q", r.text)
		}
	})
}

func TestEnqueueTx(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db, _ := b.open(t)
		rec := &recorder{}
		o := openOutbox(t, db, newClock(), rec, Options{})
		boom := errors.New("caller's write failed")
		err := db.InTx(ctx, func(tx *opsql.Tx) error {
			if _, err := o.EnqueueTx(ctx, tx, mail1("rolled back")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n := countRows(t, db); n != 0 {
			t.Fatalf("rolled back transaction left %d rows", n)
		}
		err = db.InTx(ctx, func(tx *opsql.Tx) error {
			_, err := o.EnqueueTx(ctx, tx, mail1("committed"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.EnqueueTx(ctx, nil, mail1("x")); err == nil {
			t.Fatal("nil transaction accepted")
		}
		if err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if s := rec.Sent(); len(s) != 1 || s[0].Subject != "committed" {
			t.Fatalf("sent %+v, want only the committed message", s)
		}
	})
}

func TestRestartKeepsPending(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		c := newClock()
		db, closeDB := b.open(t)
		failing := &recorder{fail: func(int, Message) error { return errFlaky }}
		o := openOutbox(t, db, c, failing, Options{})
		for _, s := range []string{"a", "b", "c"} {
			if _, err := o.Enqueue(ctx, mail1(s)); err != nil {
				t.Fatal(err)
			}
		}
		// One attempt each fails: the rows wait for their retry.
		if err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if failing.Calls() != 3 {
			t.Fatalf("%d calls before restart, want 3", failing.Calls())
		}
		closeDB()

		db2, _ := b.open(t)
		rec := &recorder{}
		o2 := openOutbox(t, db2, c, rec, Options{})
		if pending, failed, err := o2.Stats(ctx); err != nil || pending != 3 || failed != 0 {
			t.Fatalf("after restart Stats = %d, %d, %v; want 3, 0", pending, failed, err)
		}
		c.Add(time.Minute)
		if err := o2.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, m := range rec.Sent() {
			got[m.Subject] = true
		}
		if len(rec.Sent()) != 3 || !got["a"] || !got["b"] || !got["c"] {
			t.Fatalf("after restart sent %+v, want a, b, c once each", rec.Sent())
		}
	})
}

func TestStatsAndPrune(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		c := newClock()
		db, _ := b.open(t)
		rec := &recorder{fail: func(_ int, m Message) error {
			switch m.Subject {
			case "bounce":
				return Permanent(errors.New("no such user"))
			case "later":
				return errFlaky
			}
			return nil
		}}
		o := openOutbox(t, db, c, rec, Options{Retain: 24 * time.Hour})
		for _, s := range []string{"ok", "bounce", "later"} {
			if _, err := o.Enqueue(ctx, mail1(s)); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if pending, failed, err := o.Stats(ctx); err != nil || pending != 1 || failed != 1 {
			t.Fatalf("Stats = %d, %d, %v; want 1, 1", pending, failed, err)
		}
		c.Add(23 * time.Hour)
		if n, err := o.prune(ctx); err != nil || n != 0 {
			t.Fatalf("prune within Retain = %d, %v; want 0", n, err)
		}
		c.Add(2 * time.Hour)
		if n, err := o.prune(ctx); err != nil || n != 2 {
			t.Fatalf("prune after Retain = %d, %v; want 2", n, err)
		}
		if pending, failed, err := o.Stats(ctx); err != nil || pending != 1 || failed != 0 {
			t.Fatalf("Stats after prune = %d, %d, %v; want 1, 0", pending, failed, err)
		}
	})
}

func TestOpenDefaults(t *testing.T) {
	if _, err := Open(t.Context(), nil, Options{}); err == nil {
		t.Fatal("Open(nil) succeeded")
	}
	eachBackend(t, func(t *testing.T, b backend) {
		db, _ := b.open(t)
		o, err := Open(t.Context(), db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if o.maxAttempts != DefaultMaxAttempts || o.poll != DefaultPoll || o.retain != DefaultRetain ||
			o.sendTimeout != DefaultSendTimeout || o.now == nil || o.backoff == nil || o.log == nil {
			t.Fatalf("defaults not applied: %+v", o)
		}
		// A second Open (another node, a restart) migrates nothing twice.
		if _, err := Open(t.Context(), db, Options{}); err != nil {
			t.Fatal(err)
		}
	})
}
