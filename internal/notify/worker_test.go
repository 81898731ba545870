package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunDeliversOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		db, _ := b.open(t)
		rec := &recorder{notify: make(chan Message, 10)}
		// An hour-long poll: only the wake-up from Enqueue can deliver in time.
		o := openOutbox(t, db, newClock(), rec, Options{Poll: time.Hour})
		done := make(chan error, 1)
		go func() { done <- o.Run(ctx) }()
		var ids []int64
		for _, s := range []string{"first", "second"} {
			id, err := o.Enqueue(ctx, mail1(s))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
			select {
			case m := <-rec.notify:
				if m.Subject != s || m.ID != id || m.Text != "Hello "+s {
					t.Fatalf("delivered %+v, want %q with id %d", m, s, id)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%q not delivered", s)
			}
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run = %v, want nil after cancel", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not stop")
		}
		if n := rec.Calls(); n != 2 {
			t.Fatalf("%d sends, want 2", n)
		}
		for _, id := range ids {
			if r := getRow(t, db, id); r.status != statusSent || r.attempts != 1 || r.doneAt == 0 {
				t.Fatalf("row %d = %+v, want sent after 1 attempt", id, r)
			}
		}
	})
}

func TestRetryWithBackoff(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		c := newClock()
		db, _ := b.open(t)
		rec := &recorder{fail: func(n int, _ Message) error {
			if n <= 2 {
				return fmt.Errorf("dial: %w", errFlaky)
			}
			return nil
		}}
		var asked []int
		o := openOutbox(t, db, c, rec, Options{Backoff: func(a int) time.Duration {
			asked = append(asked, a)
			return time.Duration(a) * time.Minute
		}})
		id, err := o.Enqueue(ctx, mail1("retry"))
		if err != nil {
			t.Fatal(err)
		}
		start := c.Now().UnixMilli()
		steps := []struct {
			advance  time.Duration
			calls    int
			status   string
			attempts int
			next     time.Duration // after start
		}{
			{0, 1, statusPending, 1, time.Minute},
			{30 * time.Second, 1, statusPending, 1, time.Minute}, // not due yet
			{30 * time.Second, 2, statusPending, 2, time.Minute + 2*time.Minute},
			{time.Minute, 2, statusPending, 2, 3 * time.Minute},
			{time.Minute, 3, statusSent, 3, 3 * time.Minute},
			{time.Hour, 3, statusSent, 3, 3 * time.Minute},
		}
		for i, st := range steps {
			c.Add(st.advance)
			if err := o.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			r := getRow(t, db, id)
			if rec.Calls() != st.calls || r.status != st.status || r.attempts != st.attempts {
				t.Fatalf("step %d: calls %d, row %+v; want %d calls, %s after %d attempts", i, rec.Calls(), r, st.calls, st.status, st.attempts)
			}
			if r.status == statusPending && r.next != start+st.next.Milliseconds() {
				t.Fatalf("step %d: next attempt at +%dms, want +%v", i, r.next-start, st.next)
			}
			if r.status == statusPending && !strings.Contains(r.lastErr, "connection reset") {
				t.Fatalf("step %d: last_error %q", i, r.lastErr)
			}
		}
		if !slices.Equal(asked, []int{1, 2}) {
			t.Fatalf("Backoff asked for %v, want [1 2]", asked)
		}
		if r := getRow(t, db, id); r.lastErr != "" {
			t.Fatalf("last_error kept after success: %q", r.lastErr)
		}
	})
}

func TestPermanentAndMaxAttempts(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		tests := []struct {
			name      string
			err       error
			wantCalls int
		}{
			{"permanent", Permanent(errors.New("550 no such user")), 1},
			{"wrapped permanent", fmt.Errorf("rcpt: %w", Permanent(errors.New("550"))), 1},
			{"temporary until MaxAttempts", errFlaky, 3},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := t.Context()
				c := newClock()
				db, _ := b.open(t)
				rec := &recorder{fail: func(int, Message) error { return tt.err }}
				o := openOutbox(t, db, c, rec, Options{MaxAttempts: 3})
				id, err := o.Enqueue(ctx, mail1(tt.name))
				if err != nil {
					t.Fatal(err)
				}
				for range 10 {
					if err := o.Flush(ctx); err != nil {
						t.Fatal(err)
					}
					c.Add(time.Hour)
				}
				r := getRow(t, db, id)
				if rec.Calls() != tt.wantCalls || r.status != statusFailed || r.attempts != tt.wantCalls || r.doneAt == 0 {
					t.Fatalf("calls %d, row %+v; want %d calls then failed", rec.Calls(), r, tt.wantCalls)
				}
				if r.lastErr == "" {
					t.Fatal("no last_error recorded")
				}
			})
		}
	})
}

func TestSensitiveBodiesBlanked(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		c := newClock()
		db, _ := b.open(t)
		rec := &recorder{fail: func(_ int, m Message) error {
			switch m.Subject {
			case "bounced code":
				return Permanent(errors.New("rejected"))
			case "retried code":
				return errFlaky
			}
			return nil
		}}
		o := openOutbox(t, db, c, rec, Options{})
		msg := func(subject string, sensitive bool) Message {
			return Message{Channel: ChannelEmail, To: "pat@example.test", Subject: subject,
				Text: "Your code is 123456", HTML: "<p>Your code is <b>123456</b></p>", Sensitive: sensitive}
		}
		tests := []struct {
			m        Message
			status   string
			keepBody bool
		}{
			{msg("code", true), statusSent, false},
			{msg("newsletter", false), statusSent, true},
			{msg("bounced code", true), statusFailed, false},
			{msg("retried code", true), statusPending, true}, // still needed for the retry
		}
		ids := make([]int64, len(tests))
		for i, tt := range tests {
			var err error
			if ids[i], err = o.Enqueue(ctx, tt.m); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		for i, tt := range tests {
			r := getRow(t, db, ids[i])
			kept := r.text == tt.m.Text && r.html == tt.m.HTML
			blank := r.text == "" && r.html == ""
			if r.status != tt.status || (tt.keepBody && !kept) || (!tt.keepBody && !blank) {
				t.Errorf("%s: row %+v; want %s, body kept %v", tt.m.Subject, r, tt.status, tt.keepBody)
			}
		}
		for _, m := range rec.Sent() {
			if m.Text != "Your code is 123456" {
				t.Errorf("driver got text %q", m.Text)
			}
		}
	})
}

// TestConcurrentWorkers runs two nodes (separate connection pools) on one
// database and checks that no message is sent twice.
func TestConcurrentWorkers(t *testing.T) {
	const total = 200
	eachBackend(t, func(t *testing.T, b backend) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		c := newClock()
		var mu sync.Mutex
		sends := map[string]int{}
		byNode := [2]int{}
		all := make(chan struct{})
		drivers := make([]Driver, 2)
		for i := range drivers {
			rec := &recorder{delay: 200 * time.Microsecond}
			rec.fail = func(_ int, m Message) error {
				mu.Lock()
				defer mu.Unlock()
				sends[m.Subject]++
				byNode[i]++
				if byNode[0]+byNode[1] == total {
					close(all)
				}
				return nil
			}
			drivers[i] = rec
		}
		var outboxes []*Outbox
		for i := range 2 {
			db, _ := b.open(t)
			outboxes = append(outboxes, openOutbox(t, db, c, drivers[i], Options{Poll: 5 * time.Millisecond}))
		}
		for i := range total {
			if _, err := outboxes[i%2].Enqueue(ctx, mail1(fmt.Sprintf("m%03d", i))); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for _, o := range outboxes {
			for range 2 { // two workers per node, too
				wg.Go(func() { _ = o.Run(ctx) })
			}
		}
		select {
		case <-all:
		case <-time.After(60 * time.Second):
			t.Fatalf("only %d of %d sent", len(sends), total)
		}
		time.Sleep(50 * time.Millisecond) // let a wrongly re-claimed row show up
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for s, n := range sends {
			if n != 1 {
				t.Errorf("%s sent %d times", s, n)
			}
		}
		if len(sends) != total {
			t.Fatalf("%d distinct messages sent, want %d", len(sends), total)
		}
		t.Logf("node 0 sent %d, node 1 sent %d", byNode[0], byNode[1])
		if pending, failed, err := outboxes[0].Stats(t.Context()); err != nil || pending != 0 || failed != 0 {
			t.Fatalf("Stats = %d, %d, %v; want 0, 0", pending, failed, err)
		}
	})
}

// TestLeaseExpiry: a row claimed by a worker that died is taken over once
// the lease ends, and the dead worker's late outcome is not recorded.
func TestLeaseExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		c := newClock()
		db, _ := b.open(t)
		rec := &recorder{}
		o := openOutbox(t, db, c, rec, Options{SendTimeout: time.Second})
		id, err := o.Enqueue(ctx, mail1("leased"))
		if err != nil {
			t.Fatal(err)
		}
		batch, staleClaim, err := o.claim(ctx)
		if err != nil || len(batch) != 1 || batch[0].ID != id {
			t.Fatalf("claim = %+v, %v", batch, err)
		}
		if err := o.Flush(ctx); err != nil || rec.Calls() != 0 {
			t.Fatalf("claimed row sent by another worker (%d calls, %v)", rec.Calls(), err)
		}
		c.Add(claimBatch*time.Second + time.Minute + time.Millisecond)
		if err := o.Flush(ctx); err != nil || rec.Calls() != 1 {
			t.Fatalf("expired lease not taken over (%d calls, %v)", rec.Calls(), err)
		}
		ok, err := o.record(ctx, batch[0], staleClaim, 1, stateChange{status: statusFailed, doneAt: 1, lastErr: "late"})
		if err != nil || ok {
			t.Fatalf("stale claim recorded: %v, %v", ok, err)
		}
		if r := getRow(t, db, id); r.status != statusSent {
			t.Fatalf("row %+v, want sent", r)
		}
	})
}

type panicDriver struct{}

func (panicDriver) Send(context.Context, Message) error { panic("driver bug") }

func TestDriverPanicAndMissingDriver(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		c := newClock()
		db, _ := b.open(t)
		o := openOutbox(t, db, c, panicDriver{}, Options{Drivers: map[string]Driver{
			ChannelEmail: panicDriver{}, ChannelSMS: &recorder{},
		}})
		id1, err := o.Enqueue(ctx, mail1("panics"))
		if err != nil {
			t.Fatal(err)
		}
		sms := Message{Channel: ChannelSMS, To: "+15550100", Text: "hi"}
		id2, err := o.Enqueue(ctx, sms)
		if err != nil {
			t.Fatal(err)
		}
		// A node without an SMS driver leaves SMS for retry, not failure.
		o2 := openOutbox(t, db, c, panicDriver{}, Options{})
		if err := o2.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		r1, r2 := getRow(t, db, id1), getRow(t, db, id2)
		if r1.status != statusPending || !strings.Contains(r1.lastErr, "panicked") {
			t.Fatalf("panicking driver: row %+v", r1)
		}
		if r2.status != statusPending || !strings.Contains(r2.lastErr, "no driver") {
			t.Fatalf("missing driver: row %+v", r2)
		}
	})
}

func TestDefaultBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		base    time.Duration
	}{
		{0, 10 * time.Second}, {1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second},
		{5, 160 * time.Second}, {9, 2560 * time.Second}, {10, time.Hour}, {12, time.Hour}, {1000, time.Hour},
	}
	for _, tt := range tests {
		lo, hi := time.Duration(float64(tt.base)*0.8), time.Duration(float64(tt.base)*1.2)
		seen := map[time.Duration]bool{}
		for range 50 {
			d := DefaultBackoff(tt.attempt)
			if d < lo || d > hi {
				t.Fatalf("DefaultBackoff(%d) = %v, want within [%v, %v]", tt.attempt, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Fatalf("DefaultBackoff(%d) barely jitters: %d distinct values", tt.attempt, len(seen))
		}
	}
}

type classedErr struct{}

func (classedErr) Error() string      { return "x" }
func (classedErr) ErrorClass() string { return "webhook 410" }

func TestErrorClass(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{errors.New("boom"), "error"},
		{Permanent(errors.New("boom")), "permanent error"},
		{fmt.Errorf("x: %w", ErrNoDriver), "no driver"},
		{Permanent(fmt.Errorf("%w: bad address", ErrInvalidMessage)), "permanent invalid message"},
		{context.DeadlineExceeded, "timeout"},
		{&net.OpError{Op: "dial", Err: os.ErrPermission}, "network"},
		{&smtpError{"rcpt", &textprotoErr550}, "smtp rcpt 550"},
		{Permanent(&smtpError{"rcpt", &textprotoErr550}), "permanent smtp rcpt 550"},
		{&smtpError{"auth", ErrInsecureAuth}, "smtp auth insecure auth"},
		{classedErr{}, "webhook 410"},
	}
	for _, tt := range tests {
		if got := ErrorClass(tt.err); got != tt.want {
			t.Errorf("ErrorClass(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestShutdownReleasesClaims: rows claimed but not yet sent when the
// worker stops are released at once, not after the lease.
func TestShutdownReleasesClaims(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		c := newClock()
		db, _ := b.open(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		rec := &recorder{}
		rec.fail = func(n int, _ Message) error {
			if n == 1 {
				cancel() // shutdown begins during the first send
			}
			return nil
		}
		o := openOutbox(t, db, c, rec, Options{})
		for i := range 5 {
			if _, err := o.Enqueue(t.Context(), mail1(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.Flush(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Flush = %v, want canceled", err)
		}
		if rec.Calls() != 1 || len(rec.Sent()) != 1 {
			t.Fatalf("%d sends during shutdown, want the one in progress", rec.Calls())
		}
		// Without advancing the clock past any lease, another worker
		// delivers the rest.
		if err := o.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		if len(rec.Sent()) != 5 {
			t.Fatalf("%d sent after restart, want 5", len(rec.Sent()))
		}
	})
}
