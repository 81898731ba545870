package notify

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDevHandler(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db, _ := b.open(t)
		rec := &recorder{fail: func(_ int, m Message) error {
			if m.Subject == "bounce" {
				return Permanent(errors.New("rejected"))
			}
			return nil
		}}
		o := openOutbox(t, db, newClock(), rec, Options{Drivers: map[string]Driver{ChannelEmail: rec, ChannelSMS: rec}})
		msgs := []Message{
			{Channel: ChannelEmail, To: "zoe@example.test", Subject: "Code <b>", Text: "code 111111", Sensitive: true},
			{Channel: ChannelEmail, To: "bob@example.test", Subject: "Welcome", Text: "Hello <script>alert(1)</script>"},
			{Channel: ChannelEmail, To: "eve@example.test", Subject: "bounce", Text: "x"},
			{Channel: ChannelSMS, To: "+15550100", Text: "sms body"},
		}
		for _, m := range msgs {
			if _, err := o.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		pending := Message{Channel: ChannelEmail, To: "new@example.test", Subject: "Pending code", Text: "code 222222", Sensitive: true}
		if _, err := o.Enqueue(ctx, pending); err != nil {
			t.Fatal(err)
		}

		w := httptest.NewRecorder()
		o.DevHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/dev/outbox", nil))
		body := w.Body.String()
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/html; charset=utf-8" ||
			w.Header().Get("Cache-Control") != "no-store" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("status %d, headers %v", w.Code, w.Header())
		}
		want := []string{"zoe@example.test", "Code &lt;b&gt;", "sensitive body removed", "bob@example.test",
			"Hello &lt;script&gt;", "failed", "permanent: rejected", "code 222222", "pending"}
		for _, s := range want {
			if !strings.Contains(body, s) {
				t.Errorf("page lacks %q", s)
			}
		}
		for _, s := range []string{"code 111111", "<script>", "sms body", "+15550100"} {
			if strings.Contains(body, s) {
				t.Errorf("page shows %q", s)
			}
		}
		if strings.Index(body, "new@example.test") > strings.Index(body, "zoe@example.test") {
			t.Error("newest message not first")
		}

		w = httptest.NewRecorder()
		o.DevHandler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/dev/outbox", nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Fatalf("POST: %d", w.Code)
		}
	})
}

func TestLogDriver(t *testing.T) {
	var buf bytes.Buffer
	d := &LogDriver{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	err := d.Send(t.Context(), Message{ID: 3, Channel: ChannelEmail, To: "zoe@example.test", Subject: "Code", Text: "code 123456"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"level=INFO", "id=3", "to=zoe@example.test", `text="code 123456"`, "never in production"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("log lacks %q: %s", s, buf.String())
		}
	}
}

// TestWorkerLogsNoContents: the outbox's own logs carry ids and classes
// only.
func TestWorkerLogsNoContents(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		c := newClock()
		db, _ := b.open(t)
		var buf bytes.Buffer
		rec := &recorder{fail: func(n int, m Message) error {
			if n == 1 {
				return errors.New("550 <zoe@example.test> unknown")
			}
			return nil
		}}
		o := openOutbox(t, db, c, rec, Options{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		m := Message{Channel: ChannelEmail, To: "zoe@example.test", Subject: "Secret subject", Text: "code 123456", Sensitive: true}
		if _, err := o.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := o.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			c.Add(time.Hour)
		}
		logs := buf.String()
		for _, s := range []string{"zoe@", "Secret", "123456"} {
			if strings.Contains(logs, s) {
				t.Errorf("log contains %q:\n%s", s, logs)
			}
		}
		for _, s := range []string{"will retry", "class=error", "message sent", "attempt=2"} {
			if !strings.Contains(logs, s) {
				t.Errorf("log lacks %q:\n%s", s, logs)
			}
		}
	})
}
