package telemed_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/telemed"
)

// withMail gives the world an e-mail channel (nothing is delivered: the
// outbox worker does not run in these tests).
func withMail(c *config.Config) { c.SMTPURL = "smtp://127.0.0.1:9" }

// put writes a resource as Housecall itself.
func (w *world) put(path, body string) {
	w.t.Helper()
	req, err := rest.ParseURL(http.MethodPut, path)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Body = []byte(body)
	if _, err := w.a.Engine.Do(auth.WithIdentity(w.t.Context(), auth.System("test")), req); err != nil {
		w.t.Fatalf("put %s: %v", path, err)
	}
}

// session exchanges an invitation (no bearer token) and keeps the access
// token under name.
func (w *world) session(name, invite string) (int, map[string]any) {
	w.t.Helper()
	code, out := w.call("", "POST", "/v1/telemed/invite/session", map[string]any{"invite": invite})
	if code == 200 {
		w.tok[name], _ = out["access_token"].(string)
	}
	return code, out
}

// auditOf returns, as JSON, the first stored AuditEvent of a subtype that
// contains the text.
func (w *world) auditOf(subtype, text string) string {
	w.t.Helper()
	if err := w.a.Audit.Flush(w.t.Context()); err != nil {
		w.t.Fatal(err)
	}
	req, err := rest.ParseURL(http.MethodGet, "AuditEvent?_count=100&subtype="+subtype)
	if err != nil {
		w.t.Fatal(err)
	}
	resp, err := w.a.Engine.Do(auth.WithIdentity(w.t.Context(), auth.System("test")), req)
	if err != nil {
		w.t.Fatal(err)
	}
	entries, _ := resp.Resource["entry"].([]any)
	for _, e := range entries {
		b, _ := json.Marshal(e.(map[string]any)["resource"])
		if strings.Contains(string(b), text) {
			return string(b)
		}
	}
	return ""
}

type mail struct {
	to, subject, text string
	sensitive         bool
}

func (w *world) mails() []mail {
	w.t.Helper()
	rows, err := w.a.Store.Ops().Query(w.t.Context(), `SELECT recipient, subject, body_text, sensitive FROM notify_outbox WHERE channel = 'email' ORDER BY id`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	var out []mail
	for rows.Next() {
		var m mail
		var sens int
		if err := rows.Scan(&m.to, &m.subject, &m.text, &sens); err != nil {
			w.t.Fatal(err)
		}
		m.sensitive = sens != 0
		out = append(out, m)
	}
	return out
}

func TestInviteSessions(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			w := openWorld(t, open(t), t.TempDir(), &receiver{}, "http://127.0.0.1:9", withMail)
			var skew atomic.Int64 // the Telemed clock runs ahead by this much
			w.a.Telemed.SetClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) })
			w.seed()
			w.put("Patient/pA", `{"resourceType":"Patient","id":"pA","name":[{"given":["Alice"],"family":"Able"}]}`)
			w.put("Condition/cA", `{"resourceType":"Condition","id":"cA","subject":{"reference":"Patient/pA"},"code":{"text":"Type 2 diabetes"}}`)
			enc := w.encounter("eA")
			enc["reasonCode"] = []any{map[string]any{"text": "crushing chest pain"}}
			enc["period"] = map[string]any{"start": "2030-06-03T14:30:00Z"}
			code, out := w.call("drX", "POST", "/v1/telemed/v2/meeting", map[string]any{"encounter": enc})
			if code != 200 {
				t.Fatalf("create meeting: %d %v", code, out)
			}
			meeting := meetingOf(out["encounter"].(map[string]any))

			// Bad invitations create nothing.
			for _, body := range []map[string]any{
				{"role": "doctor", "name": "X"},
				{"role": "family"},
				{"role": "patient", "email": "Alice <alice@example.org>"},
				{"role": "patient", "email": "not an address"},
			} {
				if code, out := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/invite", body); code != 400 {
					t.Errorf("invite %v: %d %v", body, code, out)
				}
			}

			// The patient: no RelatedPerson, their own name, the visit page link, e-mailed.
			code, pinv := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/invite", map[string]any{"role": "patient", "email": "alice@example.org"})
			if code != 201 || pinv["name"] != "Alice Able" || pinv["profile"] != "Patient/pA" || pinv["relatedPerson"] != nil ||
				pinv["emailed"] != true || pinv["url"] != "http://hc.test/visit#invite="+pinv["token"].(string) {
				t.Fatalf("patient invitation: %d %v", code, pinv)
			}
			ms := w.mails()
			if len(ms) != 1 {
				t.Fatalf("mails: %+v", ms)
			}
			m := ms[0]
			if m.to != "alice@example.org" || m.subject != "Your video visit with Dr X" || !m.sensitive ||
				!strings.Contains(m.text, pinv["url"].(string)) || !strings.Contains(m.text, "Hello Alice Able") ||
				!strings.Contains(m.text, "Monday 3 June 2030, 14:30 UTC") || !strings.Contains(m.text, "To prepare") {
				t.Errorf("patient mail: %+v", m)
			}
			for _, clinical := range []string{"chest", "pain", "diabetes", "eA", "pA"} {
				if strings.Contains(m.subject+"\n"+strings.ReplaceAll(m.text, pinv["url"].(string), ""), clinical) {
					t.Errorf("the mail tells %q", clinical)
				}
			}

			// Exchange: an access token for the patient's own record.
			code, ps := w.session("invP", pinv["token"].(string))
			if code != 200 || ps["role"] != "patient" || ps["profile"] != "Patient/pA" || ps["patient"] != "pA" ||
				ps["encounterId"] != "eA" || ps["meetingId"] != meeting || ps["name"] != "Alice Able" || ps["status"] != "planned" ||
				ps["token_type"] != "Bearer" || ps["waitingRoom"] != false || ps["start"] != "2030-06-03T14:30:00Z" ||
				!strings.Contains(ps["scope"].(string), "patient/Encounter.rus") {
				t.Fatalf("patient session: %d %v", code, ps)
			}
			if exp := ps["expires_in"].(float64); exp < 11.9*3600 || exp > 12*3600 {
				t.Errorf("expires_in %v, want 12 h (the invitation lasts 24 h)", exp)
			}
			if rec := w.auditOf("token-issued", `"housecall-invite"`); !strings.Contains(rec, `"Patient/pA"`) || !strings.Contains(rec, `"127.0.0.1"`) {
				t.Errorf("the session token's audit record: %s", rec)
			}
			for _, sc := range strings.Fields(telemed.PatientInviteScopes) {
				if !strings.Contains(" "+ps["scope"].(string)+" ", " "+sc+" ") {
					t.Errorf("session scope %q lacks %s", ps["scope"], sc)
				}
			}
			if pr, _ := json.Marshal(ps["practitioners"]); string(pr) != `[{"display":"Dr X","reference":"Practitioner/drX"}]` {
				t.Errorf("practitioners %s", pr)
			}
			if mp, _ := ps["mediaPlacement"].(map[string]any); mp["SignalingUrl"] != "ws://hc.test/rtc" {
				t.Errorf("mediaPlacement for the pre-call check: %v", ps["mediaPlacement"])
			}
			for path, want := range map[string]int{
				"/fhir/r4/Patient/pA": 200, "/fhir/r4/Patient/pB": 404, "/fhir/r4/Encounter/eA": 200,
				"/fhir/r4/Condition/cA": 200, "/fhir/r4/Observation?subject=Patient/pA": 403,
			} {
				if code, out := w.call("invP", "GET", path, nil); code != want {
					t.Errorf("patient session GET %s: %d %v, want %d", path, code, out, want)
				}
			}
			cur := w.encounter("eA")
			cur["reasonCode"] = []any{map[string]any{"text": "follow-up"}}
			if code, out := w.call("invP", "PUT", "/fhir/r4/Encounter/eA", cur); code != 200 {
				t.Errorf("patient session updating the visit: %d %v", code, out)
			}
			code, jr := w.call("invP", "GET", "/v1/telemed/v2/meeting/eA/join", nil)
			if code != 200 || jr["Attendee"].(map[string]any)["ExternalUserId"] != "Patient/pA" {
				t.Fatalf("patient session joining: %d %v", code, jr)
			}
			if g, err := w.a.Telemed.Authenticate(t.Context(), jr["Attendee"].(map[string]any)["JoinToken"].(string)); err != nil || g.Role != "participant" {
				t.Errorf("patient's join token: %+v %v", g, err)
			}
			if code, _ := w.call("invP", "POST", "/v1/telemed/v2/meeting/eA/invite", map[string]any{"role": "patient"}); code != 403 {
				t.Errorf("an invitation session inviting: %d", code)
			}

			// A guest: no FHIR access, the Telemed API of this visit only.
			code, ginv := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/invite", map[string]any{"role": "interpreter", "name": "Ana Interpreter", "email": "ana@example.org"})
			if code != 201 || ginv["emailed"] != true || !strings.HasPrefix(ginv["url"].(string), "http://hc.test/visit/guest#invite=") ||
				ginv["profile"] != ginv["relatedPerson"] {
				t.Fatalf("guest invitation: %d %v", code, ginv)
			}
			if ms := w.mails(); len(ms) != 2 || !strings.Contains(ms[1].text, ginv["url"].(string)) || !strings.Contains(ms[1].text, "interpret") {
				t.Errorf("guest mail: %+v", ms)
			}
			code, gs := w.session("invG", ginv["token"].(string))
			if code != 200 || gs["role"] != "interpreter" || gs["profile"] != ginv["relatedPerson"] || gs["patient"] != nil || gs["scope"] != "" {
				t.Fatalf("guest session: %d %v", code, gs)
			}
			for _, path := range []string{"/fhir/r4/Patient/pA", "/fhir/r4/Encounter/eA", "/fhir/r4/RelatedPerson/" + strings.TrimPrefix(ginv["profile"].(string), "RelatedPerson/")} {
				if code, _ := w.call("invG", "GET", path, nil); code != 403 {
					t.Errorf("guest session GET %s: %d", path, code)
				}
			}
			code, gj := w.call("invG", "GET", "/v1/telemed/v2/meeting/eA/join", nil)
			if code != 200 || gj["Attendee"].(map[string]any)["ExternalUserId"] != ginv["relatedPerson"] {
				t.Fatalf("guest session joining: %d %v", code, gj)
			}
			if g, _ := w.a.Telemed.Authenticate(t.Context(), gj["Attendee"].(map[string]any)["JoinToken"].(string)); g.Role != "guest" || g.Name != "Ana Interpreter" {
				t.Errorf("guest's join token: %+v", g)
			}
			other := w.newVisit("pA") // the same patient's other visit
			for _, who := range []string{"invG", "invP"} {
				if code, _ := w.call(who, "GET", "/v1/telemed/v2/meeting/"+other+"/join", nil); code != 404 {
					t.Errorf("%s joining another visit: %d", who, code)
				}
			}

			// Withdrawn: the session ends at once on this node; the link is refused.
			if code, _ := w.call("drX", "DELETE", "/v1/telemed/v2/meeting/eA/invite/"+ginv["id"].(string), nil); code != 204 {
				t.Fatalf("withdraw: %d", code)
			}
			if code, _ := w.call("invG", "GET", "/v1/telemed/v2/meeting/eA/join", nil); code != 401 {
				t.Errorf("withdrawn guest session: %d", code)
			}
			if code, _ := w.session("x", ginv["token"].(string)); code != 403 {
				t.Errorf("withdrawn invitation exchanged: %d", code)
			}

			// Links that are not invitations.
			for _, bad := range []string{"", "junk", pinv["token"].(string)[:len(pinv["token"].(string))-3] + "AAA"} {
				if code, _ := w.session("x", bad); code != 403 {
					t.Errorf("invitation %q: %d", bad, code)
				}
			}
			resp, err := http.Post(w.url+"/v1/telemed/invite/session", "application/json", bytes.NewReader([]byte(`{"invite":`)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 {
				t.Errorf("malformed body: %d", resp.StatusCode)
			}

			// The visit ends: a guest's link is gone (410) and its unused
			// session refused; the patient may still open theirs.
			code, g2 := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/invite", map[string]any{"role": "family", "name": "Bob Able"})
			if code != 201 {
				t.Fatalf("second guest: %d %v", code, g2)
			}
			if code, _ := w.session("invG2", g2["token"].(string)); code != 200 {
				t.Fatalf("second guest session: %d", code)
			}
			if code, _ := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/end", nil); code != 200 {
				t.Fatalf("end: %d", code)
			}
			if code, _ := w.session("x", g2["token"].(string)); code != 410 {
				t.Errorf("guest link after the end: %d", code)
			}
			if code, _ := w.call("invG2", "GET", "/v1/telemed/v2/meeting/eA/join", nil); code != 401 {
				t.Errorf("guest session after the end: %d", code)
			}
			if code, ps := w.session("invP", pinv["token"].(string)); code != 200 || ps["status"] != "finished" {
				t.Errorf("patient link after the end: %d %v", code, ps)
			}
			if code, _ := w.call("invP", "GET", "/fhir/r4/Encounter/eA", nil); code != 200 {
				t.Errorf("patient reading the finished visit: %d", code)
			}

			// Expired (the Telemed clock jumps a day ahead): the link is
			// refused, and the session once the cached status is gone.
			skew.Store(int64(25 * time.Hour))
			if code, _ := w.session("x", pinv["token"].(string)); code != 403 {
				t.Errorf("expired invitation exchanged: %d", code)
			}
			w.a.OAuth.ForgetInvite(pinv["id"].(string)) // as the status cache's 10 s would
			if code, _ := w.call("invP", "GET", "/fhir/r4/Patient/pA", nil); code != 401 {
				t.Errorf("session of an expired invitation: %d", code)
			}

			// Rate limit per address.
			limited := false
			for range 50 {
				resp, err := http.Post(w.url+"/v1/telemed/invite/session", "application/json", strings.NewReader(`{"invite":"junk"}`))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "" {
					limited = true
					break
				}
			}
			if !limited {
				t.Errorf("no rate limit")
			}
		})
	}
}

// TestInviteSessionWaitingRoom: invitation sessions check in and wait like
// signed-in patients.
func TestInviteSessionWaitingRoom(t *testing.T) {
	w := openWorld(t, backends(t)["sqlite"](t), t.TempDir(), &receiver{}, "http://127.0.0.1:9")
	w.seed()
	visit := w.newVisit("pA")
	for _, body := range []map[string]any{{"role": "patient"}, {"role": "family", "name": "Bob Able"}} {
		code, inv := w.call("drX", "POST", "/v1/telemed/v2/meeting/"+visit+"/invite", body)
		if code != 201 || inv["emailed"] != false {
			t.Fatalf("invite: %d %v", code, inv)
		}
		who := "inv-" + inv["role"].(string)
		code, s := w.session(who, inv["token"].(string))
		if code != 200 || s["waitingRoom"] != true {
			t.Fatalf("session: %d %v", code, s)
		}
		if code, out := w.call(who, "GET", "/v1/telemed/v2/meeting/"+visit+"/join", nil); code != 409 {
			t.Errorf("%s joining before admission: %d %v", who, code, out)
		}
		if who == "inv-patient" {
			// The patient may write their Encounter, but turning the waiting
			// room off there, or through the meeting call, admits nobody.
			code, enc := w.call(who, "GET", "/fhir/r4/Encounter/"+visit, nil)
			if code != 200 {
				t.Fatalf("patient reading the visit: %d %v", code, enc)
			}
			delete(enc, "extension")
			if code, out := w.call(who, "PUT", "/fhir/r4/Encounter/"+visit, enc); code != 200 {
				t.Fatalf("patient updating the visit: %d %v", code, out)
			}
			if code, out := w.call(who, "POST", "/v1/telemed/v2/meeting", map[string]any{"encounter": enc, "waitingRoom": false}); code != 200 {
				t.Fatalf("patient re-creating the meeting: %d %v", code, out)
			}
			if code, out := w.call(who, "GET", "/v1/telemed/v2/meeting/"+visit+"/join", nil); code != 409 {
				t.Errorf("the patient skipped the waiting room by editing the Encounter: %d %v", code, out)
			}
		}
		code, st := w.call(who, "POST", "/v1/telemed/v2/meeting/"+visit+"/check-in", map[string]any{})
		if code != 200 || st["state"] != "waiting" {
			t.Fatalf("%s checking in: %d %v", who, code, st)
		}
		code, room := w.call("drX", "GET", "/v1/telemed/v2/meeting/"+visit+"/waiting-room", nil)
		if code != 200 {
			t.Fatalf("waiting room: %d %v", code, room)
		}
		key := ""
		for _, e := range entries(room) {
			if e["profile"] == inv["profile"] {
				key, _ = e["key"].(string)
			}
		}
		if code, out := w.call("drX", "POST", "/v1/telemed/v2/meeting/"+visit+"/admit", map[string]any{"participant": key}); code != 200 {
			t.Fatalf("admit %s: %d %v", who, code, out)
		}
		if code, out := w.call(who, "GET", "/v1/telemed/v2/meeting/"+visit+"/join", nil); code != 200 {
			t.Errorf("%s joining after admission: %d %v", who, code, out)
		}
	}
}
