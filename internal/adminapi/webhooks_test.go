package adminapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/adminapi"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/notify"
	"github.com/housecall/housecall/internal/telemed"
)

// receiver records webhook deliveries.
type receiver struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.reqs, rc.body = append(rc.reqs, r), append(rc.body, b)
}

// wait returns the n-th delivery (1-based) once it arrived.
func (rc *receiver) wait(t *testing.T, n int) (*http.Request, []byte) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		if len(rc.reqs) >= n {
			r, b := rc.reqs[n-1], rc.body[n-1]
			rc.mu.Unlock()
			return r, b
		}
		rc.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("delivery %d did not arrive", n)
	return nil, nil
}

func TestWebhooks(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			rcv := &receiver{}
			hooks := httptest.NewServer(rcv)
			defer hooks.Close()
			st := open(t)
			w := openWorld(t, st)
			ctx := t.Context()
			w.user("admin", account.NewUser{Email: "admin@t.test", Role: auth.RoleAdmin, Password: adminPassword}, "user/*.cruds")
			w.user("pat", account.NewUser{Email: "p@t.test", Role: auth.RolePatient, FHIRResource: "Patient/p1"}, "patient/*.cruds")

			target := strings.Replace(hooks.URL, "http://", "http://ehr:pa55word@", 1) + "/visits"
			st2, out := w.call("admin", "POST", "/v1/admin/webhooks", map[string]any{"url": target, "secret": "whsec-123",
				"events": []string{"meeting.*", "waiting.joined"}, "description": "EHR bridge"})
			id, _ := out["id"].(string)
			if st2 != http.StatusCreated || id == "" || out["url"] != strings.Replace(target, "pa55word", "xxxxx", 1) ||
				out["hasSecret"] != true || out["description"] != "EHR bridge" || len(out["events"].([]any)) != 2 || out["secret"] != nil {
				t.Fatalf("create: %d %v", st2, out)
			}
			if st2, out = w.call("admin", "POST", "/v1/admin/webhooks", map[string]any{"url": hooks.URL + "/all"}); st2 != http.StatusCreated ||
				out["hasSecret"] != false || len(out["events"].([]any)) != 0 {
				t.Fatalf("create without secret: %d %v", st2, out)
			}
			plainID, _ := out["id"].(string)
			for _, tc := range []struct {
				name   string
				body   any
				status int
			}{
				{"not http", map[string]any{"url": "ftp://x.example/h"}, 400},
				{"relative", map[string]any{"url": "/hook"}, 400},
				{"bad event", map[string]any{"url": "https://x.example/h", "events": []string{"Meeting Created"}}, 400},
				{"same URL", map[string]any{"url": hooks.URL + "/visits"}, 409},
				{"control characters", map[string]any{"url": "https://x.example/h", "description": "a\nb"}, 400},
			} {
				if st2, out := w.call("admin", "POST", "/v1/admin/webhooks", tc.body); st2 != tc.status {
					t.Errorf("%s: %d %v", tc.name, st2, out)
				}
			}
			if st2, _ := w.call("pat", "GET", "/v1/admin/webhooks", nil); st2 != http.StatusForbidden {
				t.Fatalf("a patient listed webhooks: %d", st2)
			}
			st2, raw := w.raw("admin", "GET", "/v1/admin/webhooks", nil)
			if st2 != 200 || !strings.Contains(string(raw), `"id":"`+id+`"`) || strings.Contains(string(raw), "whsec") || strings.Contains(string(raw), "pa55word") {
				t.Fatalf("list: %d %s", st2, raw)
			}
			// Secrets are sealed at rest.
			var sealed string
			if err := st.Ops().QueryRow(ctx, `SELECT secret || password FROM webhooks WHERE id = ?`, id).Scan(&sealed); err != nil ||
				strings.Contains(sealed, "whsec") || strings.Contains(sealed, "pa55word") {
				t.Fatalf("stored secret %q, %v", sealed, err)
			}

			// What telemed will consult when it queues an event.
			for typ, want := range map[string]int{"meeting.created": 2, "waiting.joined": 2, "visit.updated": 1, "": 2} {
				got, err := w.a.Webhooks.ForEvent(ctx, typ)
				if err != nil || len(got) != want {
					t.Fatalf("ForEvent(%q) = %d hooks, %v; want %d", typ, len(got), err, want)
				}
			}
			list, err := w.a.Webhooks.List(ctx)
			if err != nil || len(list) != 2 || list[0].URL != hooks.URL+"/visits" || string(list[0].Secret) != "whsec-123" ||
				list[0].Username != "ehr" || list[0].Password != "pa55word" || list[1].Secret != nil {
				t.Fatalf("List = %+v, %v", list, err)
			}

			// A test delivery goes through the outbox, signed.
			if st2, out = w.call("admin", "POST", "/v1/admin/webhooks/"+id+"/test", nil); st2 != http.StatusAccepted {
				t.Fatalf("test: %d %v", st2, out)
			}
			req, body := rcv.wait(t, 1)
			var ping adminapi.Ping
			user, pass, _ := req.BasicAuth()
			sig := req.Header.Get("Housecall-Signature")
			ts, mac, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",v1=")
			if json.Unmarshal(body, &ping) != nil || ping.Type != "ping" || ping.WebhookID != id || req.URL.Path != "/visits" ||
				req.Header.Get("Housecall-Event") != "ping" || user != "ehr" || pass != "pa55word" || mac != telemed.Sign([]byte("whsec-123"), ts, body) {
				t.Fatalf("delivery %s %v %s", req.URL, req.Header, body)
			}

			// Deleted: gone from the list, and queued deliveries fail for good.
			if st2, _ := w.call("admin", "DELETE", "/v1/admin/webhooks/"+id, nil); st2 != http.StatusNoContent {
				t.Fatalf("delete: %d", st2)
			}
			if st2, _ := w.call("admin", "DELETE", "/v1/admin/webhooks/"+id, nil); st2 != http.StatusNotFound {
				t.Fatalf("delete again: %d", st2)
			}
			if st2, _ := w.call("admin", "POST", "/v1/admin/webhooks/"+id+"/test", nil); st2 != http.StatusNotFound {
				t.Fatalf("test a deleted webhook: %d", st2)
			}
			err = w.a.Webhooks.Driver().Send(ctx, notify.Message{Channel: telemed.ChannelWebhook, To: hooks.URL + "/visits", Subject: "x", Text: "{}"})
			if !notify.IsPermanent(err) {
				t.Fatalf("delivery to a deleted webhook: %v", err)
			}
			if got, _ := w.a.Webhooks.List(ctx); len(got) != 1 || got[0].URL != hooks.URL+"/all" {
				t.Fatalf("after delete: %+v", got)
			}
			if st2, _ := w.call("admin", "POST", "/v1/admin/webhooks/"+plainID+"/test", nil); st2 != http.StatusAccepted {
				t.Fatal("second test")
			}
			if req, _ := rcv.wait(t, 2); req.URL.Path != "/all" || req.Header.Get("Housecall-Signature") != "" {
				t.Fatalf("unsigned delivery %s %v", req.URL, req.Header)
			}
			if events := w.adminEvents(); len(events) < 10 {
				t.Fatalf("%d admin audit events", len(events))
			}
		})
	}
}

// TestWebhookFilter is the event filter's rule.
func TestWebhookFilter(t *testing.T) {
	for _, tc := range []struct {
		filter []string
		typ    string
		want   bool
	}{
		{nil, "meeting.created", true},
		{[]string{"meeting.created"}, "meeting.created", true},
		{[]string{"meeting.created"}, "meeting.ended", false},
		{[]string{"meeting.*"}, "meeting.ended", true},
		{[]string{"meeting.*"}, "meetings.x", false},
		{[]string{"waiting.joined", "visit.*"}, "visit.updated", true},
	} {
		if got := adminapi.Wants(tc.filter, tc.typ); got != tc.want {
			t.Errorf("Wants(%v, %q) = %v", tc.filter, tc.typ, got)
		}
	}
}

// TestConfiguredWebhookStays: the configuration's webhook_url cannot be
// registered again, and the driver still delivers to it.
func TestConfiguredWebhookStays(t *testing.T) {
	rcv := &receiver{}
	hooks := httptest.NewServer(rcv)
	defer hooks.Close()
	w := openWorld(t, backends()["sqlite"](t))
	wh, err := adminapi.OpenWebhooks(t.Context(), w.a.Store.Ops(), w.a.Accounts, []telemed.Webhook{{URL: hooks.URL + "/cfg", Secret: []byte("c")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wh.Create(t.Context(), adminapi.NewWebhook{URL: hooks.URL + "/cfg"}); err == nil {
		t.Fatal("the configured URL was registered again")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := wh.Driver().Send(ctx, notify.Message{Channel: telemed.ChannelWebhook, To: hooks.URL + "/cfg", Subject: "meeting.created", Text: "{}"}); err != nil {
		t.Fatal(err)
	}
	if req, _ := rcv.wait(t, 1); req.Header.Get("Housecall-Signature") == "" {
		t.Fatal("configured webhook delivered unsigned")
	}
}
