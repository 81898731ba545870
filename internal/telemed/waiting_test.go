package telemed_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/telemed"
)

// sseEvent is one event read from a stream.
type sseEvent struct {
	ID, Type string
	Data     map[string]any
	At       time.Time
}

// sse is an open event stream.
type sse struct {
	t      *testing.T
	who    string
	ch     chan sseEvent
	cancel func()
	done   chan struct{}
}

// events opens GET /v1/telemed/events as who and waits for its ready event.
func (w *world) events(who, query, lastID string) *sse {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.url+"/v1/telemed/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+w.tok[who])
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		w.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		resp.Body.Close()
		w.t.Fatalf("events as %s: %d %s", who, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sse{t: w.t, who: who, ch: make(chan sseEvent, 1024), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Type != "" {
					ev.At = time.Now()
					s.ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.Type = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.Data)
			}
		}
	}()
	w.t.Cleanup(s.close)
	if ev, _ := s.until(func(e sseEvent) bool { return true }, 5*time.Second); ev.Type != "ready" {
		w.t.Fatalf("first event of %s: %q", who, ev.Type)
	}
	return s
}

func (s *sse) close() {
	s.cancel()
	<-s.done
}

// until returns the first event that matches, and the events before it.
func (s *sse) until(match func(sseEvent) bool, timeout time.Duration) (sseEvent, []sseEvent) {
	s.t.Helper()
	var skipped []sseEvent
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-s.ch:
			if match(ev) {
				return ev, skipped
			}
			skipped = append(skipped, ev)
		case <-deadline:
			s.t.Fatalf("stream of %s: no matching event within %v (saw %v)", s.who, timeout, types(skipped))
		}
	}
}

// drain returns what arrives within d.
func (s *sse) drain(d time.Duration) []sseEvent {
	var out []sseEvent
	deadline := time.After(d)
	for {
		select {
		case ev := <-s.ch:
			out = append(out, ev)
		case <-deadline:
			return out
		}
	}
}

func types(evs []sseEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func is(typ, encounter string) func(sseEvent) bool {
	return func(e sseEvent) bool { return e.Type == typ && e.Data["encounterId"] == encounter }
}

// waitingMeeting creates the meeting of eA (Patient/pA with Dr X) with a
// waiting room.
func (w *world) waitingMeeting() {
	w.t.Helper()
	enc := w.encounter("eA")
	if code, out := w.call("drX", "POST", "/v1/telemed/v2/meeting", map[string]any{"encounter": enc, "waitingRoom": true}); code != 200 {
		w.t.Fatalf("create meeting: %d %v", code, out)
	}
	if !strings.Contains(fmt.Sprint(w.encounter("eA")["extension"]), telemed.ExtWaitingRoom) {
		w.t.Fatalf("the waiting-room flag is not on the Encounter")
	}
}

// newVisit creates a visit of patient with Dr X through the Telemed API.
func (w *world) newVisit(patient string) string {
	w.t.Helper()
	enc := map[string]any{"resourceType": "Encounter", "status": "planned",
		"class":       map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
		"subject":     map[string]any{"reference": "Patient/" + patient},
		"participant": []any{map[string]any{"individual": map[string]any{"reference": "Practitioner/drX", "display": "Dr X"}}}}
	code, out := w.call("drX", "POST", "/v1/telemed/v2/meeting", map[string]any{"encounter": enc, "waitingRoom": true})
	if code != 200 {
		w.t.Fatalf("create meeting: %d %v", code, out)
	}
	return out["encounter"].(map[string]any)["id"].(string)
}

func entries(out map[string]any) []map[string]any {
	var es []map[string]any
	for _, e := range out["entries"].([]any) {
		es = append(es, e.(map[string]any))
	}
	return es
}

func TestWaitingRoom(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			w := openWorld(t, open(t), t.TempDir(), &receiver{}, "http://127.0.0.1:9")
			w.seed()
			w.waitingMeeting()
			board := w.events("drX", "", "")
			other := w.events("drY", "", "")
			stranger := w.events("pB", "", "")
			patient := w.events("pA", "?encounter=eA", "")
			if code, _ := w.call("pB", "GET", "/v1/telemed/events?encounter=eA", nil); code != 404 {
				t.Errorf("another patient opening the visit's stream: %d", code)
			}

			// Check-in: the board hears of it, the Encounter has arrived.
			code, ws := w.call("pA", "POST", "/v1/telemed/v2/meeting/eA/check-in", nil)
			if code != 200 || ws["state"] != "waiting" || ws["position"] != 1.0 || ws["providerPresent"] != true || ws["arrivedAt"] == nil {
				t.Fatalf("check-in: %d %v", code, ws)
			}
			joined, _ := board.until(is("waiting.joined", "eA"), 5*time.Second)
			p := joined.Data["participant"].(map[string]any)
			if p["profile"] != "Patient/pA" || p["role"] != "patient" || p["name"] != "Ms A" || p["key"] == "" || joined.ID == "" {
				t.Errorf("waiting.joined: %v", joined.Data)
			}
			key := p["key"].(string)
			if e := w.encounter("eA"); e["status"] != "arrived" || !strings.Contains(fmt.Sprint(e["statusHistory"]), "planned") {
				t.Errorf("Encounter after check-in: %v %v", e["status"], e["statusHistory"])
			}
			if code, again := w.call("pA", "POST", "/v1/telemed/v2/meeting/eA/check-in", map[string]any{}); code != 200 || again["arrivedAt"] != ws["arrivedAt"] {
				t.Errorf("a second check-in: %d %v", code, again)
			}
			if code, _ := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/check-in", nil); code != 403 {
				t.Errorf("the practitioner checking in: %d", code)
			}
			if code, _ := w.call("pB", "POST", "/v1/telemed/v2/meeting/eA/check-in", nil); code != 404 {
				t.Errorf("another patient checking in: %d", code)
			}

			// Until admitted, the patient cannot join.
			code, body := w.call("pA", "GET", "/v1/telemed/v2/meeting/eA/join", nil)
			if code != 409 || body["message"] != "waiting to be admitted by the provider" || body["code"] != 409.0 {
				t.Errorf("join before admission: %d %v", code, body)
			}
			if code, _ := w.call("drX", "GET", "/v1/telemed/v2/meeting/eA/join", nil); code != 200 {
				t.Errorf("the host joining: %d", code)
			}

			// The host's and the patient's views.
			code, hv := w.call("drX", "GET", "/v1/telemed/v2/meeting/eA/waiting-room", nil)
			if code != 200 || hv["waitingRoom"] != true || len(entries(hv)) != 1 {
				t.Fatalf("host view: %d %v", code, hv)
			}
			if e := entries(hv)[0]; e["key"] != key || e["state"] != "waiting" || e["present"] != true || e["role"] != "patient" {
				t.Errorf("host view entry: %v", e)
			}
			if code, pv := w.call("pA", "GET", "/v1/telemed/v2/meeting/eA/waiting-room", nil); code != 200 || pv["state"] != "waiting" || pv["position"] != 1.0 {
				t.Errorf("patient view: %d %v", code, pv)
			}
			for who, want := range map[string]int{"drY": 403, "pB": 404} {
				if code, _ := w.call(who, "GET", "/v1/telemed/v2/meeting/eA/waiting-room", nil); code != want {
					t.Errorf("%s reading the waiting room: %d, want %d", who, code, want)
				}
				if code, _ := w.call(who, "POST", "/v1/telemed/v2/meeting/eA/admit", map[string]any{"participant": key}); code != want {
					t.Errorf("%s admitting: %d, want %d", who, code, want)
				}
				if code, _ := w.call(who, "POST", "/v1/telemed/v2/meeting/eA/wait-message", map[string]any{"message": "hi"}); code != want {
					t.Errorf("%s sending a message: %d, want %d", who, code, want)
				}
			}
			if code, out := w.call("pA", "POST", "/v1/telemed/v2/meeting/eA/admit", map[string]any{"participant": key}); code != 403 {
				t.Errorf("the patient admitting themselves: %d %v", code, out)
			}

			// The provider board lists the visit for the hosts (and, in the
			// organization policy, for other practitioners) but not for
			// another patient.
			if code, b := w.call("drX", "GET", "/v1/telemed/waiting-room", nil); code != 200 || len(entries(b)) != 1 || entries(b)[0]["encounterId"] != "eA" {
				t.Errorf("board: %d %v", code, b)
			}
			if code, b := w.call("pB", "GET", "/v1/telemed/waiting-room", nil); code != 200 || len(entries(b)) != 0 {
				t.Errorf("board of another patient: %d %v", code, b)
			}

			// Bad input changes nothing.
			for _, tc := range []struct {
				path string
				body any
				want int
			}{
				{"admit", map[string]any{"participant": "nobody"}, 404},
				{"admit", map[string]any{}, 400},
				{"admit", "{not json", 400},
				{"wait-message", map[string]any{"message": strings.Repeat("x", 501)}, 400},
				{"wait-message", map[string]any{"message": "  "}, 400},
				{"wait-message", map[string]any{"participant": "nobody", "message": "hello"}, 404},
				{"wait-message", "[", 400},
				{"check-in", "{", 400},
			} {
				who := "drX"
				if tc.path == "check-in" {
					who = "pA"
				}
				var code int
				if s, ok := tc.body.(string); ok {
					code = w.raw(who, "POST", "/v1/telemed/v2/meeting/eA/"+tc.path, s)
				} else {
					code, _ = w.call(who, "POST", "/v1/telemed/v2/meeting/eA/"+tc.path, tc.body)
				}
				if code != tc.want {
					t.Errorf("%s %v: %d, want %d", tc.path, tc.body, code, tc.want)
				}
			}
			if _, hv2 := w.call("drX", "GET", "/v1/telemed/v2/meeting/eA/waiting-room", nil); fmt.Sprint(hv2) != fmt.Sprint(hv) {
				t.Errorf("bad input changed the waiting room: %v", hv2)
			}

			// A message reaches the patient and the hosts only.
			code, sent := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/wait-message", map[string]any{"message": "Dr X is 5 minutes late."})
			if code != 200 || sent["sent"] != 1.0 {
				t.Fatalf("wait-message: %d %v", code, sent)
			}
			msg, _ := patient.until(is("waiting.message", "eA"), 5*time.Second)
			if msg.Data["message"] != "Dr X is 5 minutes late." || msg.Data["participant"].(map[string]any)["key"] != key {
				t.Errorf("waiting.message: %v", msg.Data)
			}
			board.until(is("waiting.message", "eA"), 5*time.Second)
			if _, pv := w.call("pA", "GET", "/v1/telemed/v2/meeting/eA/waiting-room", nil); pv["message"].(map[string]any)["text"] != "Dr X is 5 minutes late." {
				t.Errorf("patient view after the message: %v", pv)
			}
			code, comms := w.call("pA", "GET", "/fhir/r4/Communication?encounter=Encounter/eA", nil)
			if es, _ := comms["entry"].([]any); code != 200 || len(es) != 1 || !strings.Contains(fmt.Sprint(es[0]), "waiting-room-message") {
				t.Errorf("the message as Communication: %d %v", code, comms)
			}

			// Admission: the patient's stream hears it and join works.
			code, e := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/admit", map[string]any{"participant": key})
			if code != 200 || e["state"] != "admitted" || e["admittedAt"] == nil {
				t.Fatalf("admit: %d %v", code, e)
			}
			patient.until(is("waiting.admitted", "eA"), 5*time.Second)
			if code, jr := w.call("pA", "GET", "/v1/telemed/v2/meeting/eA/join", nil); code != 200 {
				t.Errorf("join after admission: %d %v", code, jr)
			}

			// Dr Y sees the visit's public events but not the message; the
			// other patient sees nothing of the visit.
			_, before := other.until(is("waiting.admitted", "eA"), 5*time.Second)
			if !slices.Contains(types(before), "waiting.joined") || slices.Contains(types(before), "waiting.message") {
				t.Errorf("Dr Y's stream: %v", types(before))
			}
			for _, ev := range stranger.drain(300 * time.Millisecond) {
				t.Errorf("the other patient received %s", ev.Type)
			}

			// The end empties the waiting room.
			if code, _ := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/end", nil); code != 200 {
				t.Fatalf("end: %d", code)
			}
			board.until(is("visit.ended", "eA"), 5*time.Second)
			if _, b := w.call("drX", "GET", "/v1/telemed/waiting-room", nil); len(entries(b)) != 0 {
				t.Errorf("board after the end: %v", b)
			}
			if code, _ := w.call("pA", "POST", "/v1/telemed/v2/meeting/eA/check-in", nil); code != 410 {
				t.Errorf("check-in after the end: %d", code)
			}
		})
	}
}

// raw sends a body as is.
func (w *world) raw(who, method, path, body string) int {
	w.t.Helper()
	req, _ := http.NewRequest(method, w.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+w.tok[who])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestWaitingQueueAndPresence(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			w := openWorld(t, open(t), t.TempDir(), &receiver{}, "http://127.0.0.1:9")
			w.seed()
			w.a.Telemed.SetPresenceGrace(400 * time.Millisecond)
			w.waitingMeeting()
			eB := w.newVisit("pB")
			board := w.events("drX", "", "")
			sa := w.events("pA", "", "")
			sb := w.events("pB", "?encounter="+eB, "")

			if _, ws := w.call("pA", "POST", "/v1/telemed/v2/meeting/eA/check-in", nil); ws["position"] != 1.0 {
				t.Fatalf("first in the queue: %v", ws)
			}
			_, ws := w.call("pB", "POST", "/v1/telemed/v2/meeting/"+eB+"/check-in", map[string]any{"name": "B."})
			if ws["position"] != 2.0 {
				t.Fatalf("second in the queue: %v", ws)
			}
			joined, _ := board.until(is("waiting.joined", eB), 5*time.Second)
			last := joined.ID
			keyB := joined.Data["participant"].(map[string]any)["key"].(string)
			if joined.Data["participant"].(map[string]any)["name"] != "B." {
				t.Errorf("the typed name: %v", joined.Data["participant"])
			}
			// Positions are told to the person concerned only.
			if ev, _ := sb.until(is("waiting.position", eB), 5*time.Second); ev.Data["position"] != 2.0 {
				t.Errorf("B's position: %v", ev.Data)
			}
			keyA := entries(must(w.call("drX", "GET", "/v1/telemed/v2/meeting/eA/waiting-room", nil)))[0]["key"]
			if code, _ := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/admit", map[string]any{"participant": keyA}); code != 200 {
				t.Fatal("admit A")
			}
			if ev, _ := sb.until(is("waiting.position", eB), 5*time.Second); ev.Data["position"] != 1.0 {
				t.Errorf("B's position after A was admitted: %v", ev.Data)
			}
			for _, ev := range sa.drain(200 * time.Millisecond) {
				if ev.Data["encounterId"] == eB && (ev.Type == "waiting.position" || ev.Type == "waiting.message") {
					t.Errorf("A received B's %s", ev.Type)
				}
			}

			// Presence: within the grace period after the stream closed B is
			// still there; after it B has left; reconnecting brings B back
			// at the same place.
			hostEntry := func() map[string]any {
				return entries(must(w.call("drX", "GET", "/v1/telemed/v2/meeting/"+eB+"/waiting-room", nil)))[0]
			}
			if e := hostEntry(); e["present"] != true || e["state"] != "waiting" {
				t.Fatalf("B while connected: %v", e)
			}
			arrived := hostEntry()["arrivedAt"]
			sb.close()
			if e := hostEntry(); e["present"] != true {
				t.Errorf("B right after disconnecting: %v", e)
			}
			left, _ := board.until(is("waiting.left", eB), 5*time.Second)
			if left.Data["participant"].(map[string]any)["key"] != keyB {
				t.Errorf("waiting.left: %v", left.Data)
			}
			if e := hostEntry(); e["present"] != false || e["state"] != "left" {
				t.Errorf("B after the grace period: %v", e)
			}
			sb2 := w.events("pB", "", "")
			board.until(is("waiting.joined", eB), 5*time.Second)
			if e := hostEntry(); e["present"] != true || e["state"] != "waiting" || e["arrivedAt"] != arrived {
				t.Errorf("B after reconnecting: %v", e)
			}
			_ = sb2

			// Replay: a stream reopened with Last-Event-ID gets what it
			// missed; an unknown or too old id asks for a resync.
			board.close()
			if code, _ := w.call("drX", "POST", "/v1/telemed/v2/meeting/"+eB+"/wait-message", map[string]any{"message": "Soon."}); code != 200 {
				t.Fatal("wait-message")
			}
			again := w.events("drX", "", last)
			_, missed := again.until(is("waiting.message", eB), 5*time.Second)
			if !slices.Contains(types(missed), "waiting.left") || slices.Contains(types(missed), "ready") {
				t.Errorf("replayed: %v", types(missed))
			}
			for _, id := range []string{"1", "not-a-number"} {
				s := w.events("drX", "", id)
				if ev, _ := s.until(func(sseEvent) bool { return true }, 5*time.Second); ev.Type != "resync" {
					t.Errorf("Last-Event-ID %s: %s, want resync", id, ev.Type)
				}
			}

			// Latency: check-in POST → waiting.joined on a board stream.
			var lat []time.Duration
			for range 50 {
				id := w.newVisit("pA")
				start := time.Now()
				if code, _ := w.call("pA", "POST", "/v1/telemed/v2/meeting/"+id+"/check-in", nil); code != 200 {
					t.Fatalf("check-in: %d", code)
				}
				ev, _ := again.until(is("waiting.joined", id), 5*time.Second)
				lat = append(lat, ev.At.Sub(start))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			t.Logf("%s: check-in → waiting.joined on the board over %d runs: p50 %v, max %v", name, len(lat), lat[len(lat)/2], lat[len(lat)-1])
			if lat[len(lat)/2] > time.Second {
				t.Errorf("median arrival latency %v, target < 1 s", lat[len(lat)/2])
			}
		})
	}
}

func must(code int, out map[string]any) map[string]any {
	if code != 200 {
		panic(fmt.Sprintf("status %d: %v", code, out))
	}
	return out
}

func TestIntakeQuestionnaire(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			st, dir := open(t), t.TempDir()
			w := openWorld(t, st, dir, &receiver{}, "http://127.0.0.1:9")
			ctx := auth.WithIdentity(t.Context(), auth.System("test"))
			search := func() []any {
				t.Helper()
				req, err := rest.ParseURL("GET", "Questionnaire?url="+telemed.IntakeQuestionnaireURL)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := w.a.Engine.Do(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := json.Marshal(resp.Resource)
				var b struct{ Entry []any }
				json.Unmarshal(raw, &b)
				return b.Entry
			}
			es := search()
			if len(es) != 1 {
				t.Fatalf("intake questionnaires: %d", len(es))
			}
			q := es[0].(map[string]any)["resource"].(map[string]any)
			var links []string
			for _, it := range q["item"].([]any) {
				im := it.(map[string]any)
				links = append(links, im["linkId"].(string)+":"+im["type"].(string))
			}
			want := []string{"symptom-start:choice", "severity:integer", "medications:text", "allergies:text", "private-place:boolean", "callback-phone:string"}
			if !slices.Equal(links, want) {
				t.Errorf("items %v, want %v", links, want)
			}
			// A clinic's edit is kept at the next start.
			q["title"] = "Our own intake"
			body, _ := json.Marshal(q)
			if _, err := w.a.Engine.Do(ctx, &rest.Request{Interaction: rest.Update, Method: "PUT", Type: "Questionnaire", ID: q["id"].(string), Body: body}); err != nil {
				t.Fatal(err)
			}
			if err := w.a.Telemed.EnsureIntakeQuestionnaire(t.Context()); err != nil {
				t.Fatal(err)
			}
			if es := search(); len(es) != 1 || es[0].(map[string]any)["resource"].(map[string]any)["title"] != "Our own intake" {
				t.Errorf("after a second start: %v", es)
			}
		})
	}
}

// TestGuestEvents: an interpreter's invitation session (no FHIR access)
// follows its own visit and nothing else.
func TestGuestEvents(t *testing.T) {
	// One backend: the storage paths are those of TestWaitingRoom.
	for name, open := range map[string]func(testing.TB) store.Store{"sqlite": backends(t)["sqlite"]} {
		t.Run(name, func(t *testing.T) {
			w := openWorld(t, open(t), t.TempDir(), &receiver{}, "http://127.0.0.1:9")
			w.seed()
			visit := w.newVisit("pA")
			code, inv := w.call("drX", "POST", "/v1/telemed/v2/meeting/"+visit+"/invite", map[string]any{"role": "interpreter", "name": "Ana Interpreter"})
			if code != 201 {
				t.Fatalf("invite: %d %v", code, inv)
			}
			if code, s := w.session("guest", inv["token"].(string)); code != 200 {
				t.Fatalf("session: %d %v", code, s)
			}
			one := w.events("guest", "?encounter="+visit, "")
			all := w.events("guest", "", "")
			other := w.newVisit("pB")
			if code, _ := w.call("guest", "GET", "/v1/telemed/events?encounter="+other, nil); code != 403 && code != 404 {
				t.Errorf("a guest opening another visit's stream: %d", code)
			}
			if code, _ := w.call("guest", "POST", "/v1/telemed/v2/meeting/"+other+"/check-in", nil); code != 403 && code != 404 {
				t.Errorf("a guest checking in to another visit: %d", code)
			}
			code, ws := w.call("guest", "POST", "/v1/telemed/v2/meeting/"+visit+"/check-in", map[string]any{"name": "Ana (interpreter)"})
			if code != 200 || ws["state"] != "waiting" {
				t.Fatalf("guest check-in: %d %v", code, ws)
			}
			joined, _ := one.until(is("waiting.joined", visit), 5*time.Second)
			p := joined.Data["participant"].(map[string]any)
			if p["role"] != "interpreter" || p["name"] != "Ana (interpreter)" || p["profile"] != inv["relatedPerson"] && p["profile"] != inv["profile"] {
				t.Errorf("the guest's waiting.joined: %v", p)
			}
			if code, _ := w.call("drX", "POST", "/v1/telemed/v2/meeting/"+visit+"/wait-message", map[string]any{"participant": p["key"], "message": "One moment."}); code != 200 {
				t.Fatal("wait-message")
			}
			if ev, _ := one.until(is("waiting.message", visit), 5*time.Second); ev.Data["message"] != "One moment." {
				t.Errorf("waiting.message: %v", ev.Data)
			}
			if code, _ := w.call("drX", "POST", "/v1/telemed/v2/meeting/"+visit+"/admit", map[string]any{"participant": p["key"]}); code != 200 {
				t.Fatal("admit")
			}
			_, before := all.until(is("waiting.admitted", visit), 5*time.Second)
			for _, ev := range append(before, all.drain(200*time.Millisecond)...) {
				if ev.Data["encounterId"] != visit {
					t.Errorf("the guest received %s of %v", ev.Type, ev.Data["encounterId"])
				}
			}
			if code, b := w.call("guest", "GET", "/v1/telemed/waiting-room", nil); code != 200 || len(entries(b)) != 1 || entries(b)[0]["encounterId"] != visit {
				t.Errorf("the guest's board: %d %v", code, b)
			}
		})
	}
}
