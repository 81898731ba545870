package telemed_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/adminapi"
	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/backend/backendtest"
	"github.com/housecall/housecall/internal/store/sqlite"
	"github.com/housecall/housecall/internal/telemed"
)

// receiver records webhook and EHR notification deliveries.
type receiver struct {
	mu   sync.Mutex
	hook []*http.Request
	body [][]byte
	emr  []*http.Request
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if u, p, _ := r.BasicAuth(); u != "hook" || p != "pw" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/emr") {
		rc.emr = append(rc.emr, r)
	} else {
		rc.hook = append(rc.hook, r)
		rc.body = append(rc.body, b)
	}
}

// closed records CloseRoom calls (the media server's part).
type closed struct {
	mu    sync.Mutex
	rooms []string
}

func (c *closed) CloseRoom(id, _ string) { c.mu.Lock(); c.rooms = append(c.rooms, id); c.mu.Unlock() }

type world struct {
	t     *testing.T
	a     *app.App
	url   string
	rooms *closed
	rcv   *receiver
	tok   map[string]string // name -> access token
}

// openWorld assembles the app on st; configure adjusts its configuration.
func openWorld(t *testing.T, st store.Store, dir string, rcv *receiver, hookURL string, configure ...func(*config.Config)) *world {
	t.Helper()
	ctx := t.Context()
	secret := make([]byte, 32)
	copy(secret, dir) // the same folder, the same secret: a restart keeps its keys
	cfg := config.Defaults()
	cfg.DataDir, cfg.PublicURL = dir, "http://hc.test"
	cfg.SecretKey = base64.StdEncoding.EncodeToString(secret)
	cfg.WebhookSecret = "s3cret"
	cfg.WebhookURL = strings.Replace(hookURL, "http://", "http://hook:pw@", 1) + "/hook"
	cfg.EMRNotifyURL = strings.Replace(hookURL, "http://", "http://hook:pw@", 1) + "/emr"
	for _, f := range configure {
		f(&cfg)
	}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})), st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	rooms := &closed{}
	a.Telemed.SetRooms(rooms)
	ts := httptest.NewServer(a.Handler)
	t.Cleanup(ts.Close)
	return &world{t: t, a: a, url: ts.URL, rooms: rooms, rcv: rcv, tok: map[string]string{}}
}

func (w *world) seed() {
	ctx := auth.WithIdentity(w.t.Context(), auth.System("test"))
	put := func(path, body string) {
		w.t.Helper()
		req, err := rest.ParseURL(http.MethodPut, path)
		if err != nil {
			w.t.Fatal(err)
		}
		req.Body = []byte(body)
		if _, err := w.a.Engine.Do(ctx, req); err != nil {
			w.t.Fatalf("seed %s: %v", path, err)
		}
	}
	put("Practitioner/drX", `{"resourceType":"Practitioner","id":"drX"}`)
	put("Practitioner/drY", `{"resourceType":"Practitioner","id":"drY"}`)
	put("Patient/pA", `{"resourceType":"Patient","id":"pA"}`)
	put("Patient/pB", `{"resourceType":"Patient","id":"pB"}`)
	put("Encounter/eA", `{"resourceType":"Encounter","id":"eA","status":"planned",
"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"VR"},
"subject":{"reference":"Patient/pA"},
"participant":[{"individual":{"reference":"Practitioner/drX","display":"Dr X"}}],
"extension":[{"url":"https://extensions.fhir.zapehr.com/encounter-virtual-service-pre-release","extension":[{"url":"channelType","valueCoding":{"code":"chime-video-meetings"}}]},
{"url":"https://extensions.fhir.zapehr.com/encounter-other-participants","extension":[{"url":"https://extensions.fhir.zapehr.com/encounter-other-participant","extension":[{"url":"reference","valueReference":{"reference":"Patient/pA","display":"Ms A"}}]}]}]}`)
	users := map[string]account.NewUser{
		"drX": {Email: "x@t.test", Role: auth.RolePractitioner, FHIRResource: "Practitioner/drX", Password: "practitioner-x-pass"},
		"drY": {Email: "y@t.test", Role: auth.RolePractitioner, FHIRResource: "Practitioner/drY", Password: "practitioner-y-pass"},
		"pA":  {Email: "a@t.test", Role: auth.RolePatient, FHIRResource: "Patient/pA", Password: "patient-a-password"},
		"pB":  {Email: "b@t.test", Role: auth.RolePatient, FHIRResource: "Patient/pB", Password: "patient-b-password"},
	}
	for name, nu := range users {
		u, err := w.a.Accounts.CreateUser(w.t.Context(), nu)
		if err != nil {
			w.t.Fatal(err)
		}
		scopes := "user/*.cruds"
		if nu.Role == auth.RolePatient {
			scopes = "patient/*.cruds"
		}
		if w.tok[name], err = w.a.OAuth.IssueToken(w.t.Context(), u, scopes, 0); err != nil {
			w.t.Fatal(err)
		}
	}
	for name, perms := range map[string][]string{"app": {telemed.PermissionAnonymousJoin}, "other": nil} {
		c, secret, err := w.a.Accounts.CreateClient(w.t.Context(), account.NewClient{Name: name, Scopes: "system/*.rs", Permissions: perms})
		if err != nil {
			w.t.Fatal(err)
		}
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {secret}, "scope": {"system/*.rs"}}
		resp, err := http.PostForm(w.url+"/oauth2/token", form)
		if err != nil {
			w.t.Fatal(err)
		}
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		json.NewDecoder(resp.Body).Decode(&tr)
		resp.Body.Close()
		if tr.AccessToken == "" {
			w.t.Fatalf("client %s: no token (%d)", name, resp.StatusCode)
		}
		w.tok[name] = tr.AccessToken
	}
}

// call makes an API request as who ("" = no token) and decodes the JSON answer.
func (w *world) call(who, method, path string, body any) (int, map[string]any) {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.url+path, rd)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+w.tok[who])
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func backends(t *testing.T) map[string]func(testing.TB) store.Store {
	return backendtest.Openers()
}

func meetingOf(e map[string]any) string {
	for _, x := range e["extension"].([]any) {
		xm := x.(map[string]any)
		if xm["url"] != telemed.ExtVirtualService {
			continue
		}
		for _, y := range xm["extension"].([]any) {
			ym := y.(map[string]any)
			if ym["url"] == "addressString" {
				return ym["valueString"].(string)
			}
		}
	}
	return ""
}

func TestMeetingLifecycle(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			rcv := &receiver{}
			hooks := httptest.NewServer(rcv)
			defer hooks.Close()
			w := openWorld(t, open(t), t.TempDir(), rcv, hooks.URL)
			w.seed()
			ctx := t.Context()

			// Create: the pre-created Encounter is updated, not duplicated.
			enc := map[string]any{"resourceType": "Encounter", "id": "eA", "status": "planned",
				"class":   map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
				"subject": map[string]any{"reference": "Patient/pA"}, "participant": []any{map[string]any{"individual": map[string]any{"reference": "Practitioner/drX"}}},
				"extension": []any{map[string]any{"url": telemed.ExtOtherParticipants, "extension": []any{map[string]any{"url": telemed.ExtOtherParticipant,
					"extension": []any{map[string]any{"url": "reference", "valueReference": map[string]any{"reference": "Patient/pA"}}}}}}}}
			if code, _ := w.call("", "POST", "/v1/telemed/v2/meeting", map[string]any{"encounter": enc}); code != http.StatusUnauthorized {
				t.Fatalf("create without a token: %d", code)
			}
			code, out := w.call("drX", "POST", "/v1/telemed/v2/meeting", map[string]any{"encounter": enc, "recordAudio": true})
			if code != 200 {
				t.Fatalf("create meeting: %d %v", code, out)
			}
			e := out["encounter"].(map[string]any)
			meeting := meetingOf(e)
			if e["id"] != "eA" || meeting == "" {
				t.Fatalf("create meeting: %v", e)
			}
			if _, out2 := w.call("drX", "POST", "/v1/telemed/room", map[string]any{"encounter": enc}); meetingOf(out2["encounter"].(map[string]any)) != meeting {
				t.Errorf("a second create changed the meeting")
			}

			// Join: participants only.
			code, jr := w.call("drX", "GET", "/v1/telemed/v2/meeting/eA/join", nil)
			if code != 200 {
				t.Fatalf("join: %d %v", code, jr)
			}
			m, att := jr["Meeting"].(map[string]any), jr["Attendee"].(map[string]any)
			if m["MeetingId"] != meeting || att["ExternalUserId"] != "Practitioner/drX" || m["MediaPlacement"].(map[string]any)["SignalingUrl"] != "ws://hc.test/rtc" {
				t.Fatalf("join answer: %v", jr)
			}
			// TURN entries with REST credentials for this participant.
			ice, _ := json.Marshal(m["MediaPlacement"].(map[string]any)["IceServers"])
			if !strings.Contains(string(ice), "turn:hc.test:3478?transport=udp") || !strings.Contains(string(ice), `"credential"`) {
				t.Errorf("ICE servers: %s", ice)
			}
			g, err := w.a.Telemed.Authenticate(ctx, att["JoinToken"].(string))
			if err != nil || g.Role != "host" || !g.CanModerate || g.MeetingID != meeting || g.ParticipantID != "Practitioner/drX" {
				t.Fatalf("join token: %+v %v", g, err)
			}
			if code, _ := w.call("pA", "GET", "/v1/telemed/v2/meeting/eA/join", nil); code != 200 {
				t.Errorf("the patient of the visit joining: %d", code)
			}
			for who, want := range map[string]int{"pB": 404, "drY": 403, "other": 403} {
				q := ""
				if who == "other" {
					q = "?anonymous=true"
				}
				if code, body := w.call(who, "GET", "/v1/telemed/v2/meeting/eA/join"+q, nil); code != want {
					t.Errorf("%s joining: %d %v, want %d", who, code, body, want)
				}
			}
			if code, body := w.call("app", "GET", "/v1/telemed/v2/meeting/eA/join?anonymous=true", nil); code != 200 ||
				!strings.HasPrefix(body["Attendee"].(map[string]any)["ExternalUserId"].(string), "guest/") {
				t.Errorf("anonymous join by a permitted client: %d %v", code, body)
			}
			if _, err := w.a.Telemed.Authenticate(ctx, att["JoinToken"].(string)+"x"); err == nil {
				t.Errorf("a tampered join token was accepted")
			}

			// v1 token.
			code, vt := w.call("drX", "GET", "/v1/telemed/token?encounterId=eA", nil)
			if code != 200 {
				t.Fatalf("v1 token: %d %v", code, vt)
			}
			if g, err := w.a.Telemed.Authenticate(ctx, vt["token"].(string)); err != nil || g.MeetingID != meeting || g.ParticipantID != "Practitioner/drX" {
				t.Errorf("v1 token: %+v %v", g, err)
			}
			parts := strings.Split(vt["token"].(string), ".")
			payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
			var claims struct {
				Grants struct {
					Identity string
					Video    struct{ Room string }
				}
			}
			json.Unmarshal(payload, &claims)
			if claims.Grants.Video.Room != meeting || claims.Grants.Identity == "" {
				t.Errorf("v1 grants: %s", payload)
			}

			// Guests.
			code, inv := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/invite", map[string]any{"name": "Ana Interpreter", "role": "interpreter"})
			if code != 201 {
				t.Fatalf("invite: %d %v", code, inv)
			}
			link := inv["token"].(string)
			if code, gj := w.call("", "POST", "/v1/telemed/guest/join", map[string]any{"invite": link}); code != 200 ||
				gj["Attendee"].(map[string]any)["ExternalUserId"] != inv["relatedPerson"] {
				t.Errorf("guest join: %d %v", code, gj)
			}
			if code, _ := w.call("", "POST", "/v1/telemed/guest/join", map[string]any{"invite": link[:len(link)-2] + "AA"}); code != 403 {
				t.Errorf("tampered invitation: %d", code)
			}
			if code, _ := w.call("pB", "POST", "/v1/telemed/v2/meeting/eA/invite", map[string]any{"name": "X", "role": "family"}); code != 404 {
				t.Errorf("a stranger inviting: %d", code)
			}
			if code, _ := w.call("drX", "DELETE", "/v1/telemed/v2/meeting/eA/invite/"+inv["id"].(string), nil); code != 204 {
				t.Errorf("revoke: %d", code)
			}
			if code, _ := w.call("", "POST", "/v1/telemed/guest/join", map[string]any{"invite": link}); code != 403 {
				t.Errorf("revoked invitation: %d", code)
			}

			// Joins and leaves are written to the Encounter.
			t0 := time.Now()
			w.a.Telemed.OnMediaEvent(telemed.MediaEvent{Type: "joined", MeetingID: meeting, ParticipantID: "Patient/pA", Time: t0})
			w.a.Telemed.OnMediaEvent(telemed.MediaEvent{Type: "joined", MeetingID: meeting, ParticipantID: "Practitioner/drX", Time: t0.Add(time.Minute)})
			cur := w.encounter("eA")
			if cur["status"] != "in-progress" {
				t.Errorf("after both joined: status %v", cur["status"])
			}
			w.a.Telemed.OnMediaEvent(telemed.MediaEvent{Type: "left", MeetingID: meeting, ParticipantID: "Patient/pA", Time: t0.Add(10 * time.Minute)})

			// Chat is kept on the visit as Communication.
			if err := w.a.Telemed.OnChat(ctx, meeting, "Practitioner/drX", "Dr X", "Please hold the thermometer under your tongue."); err != nil {
				t.Fatalf("chat: %v", err)
			}
			if err := w.a.Telemed.OnChat(ctx, meeting, "Practitioner/drX", "Dr X", "   "); err == nil {
				t.Errorf("an empty chat message was stored")
			}
			code, chats := w.call("pA", "GET", "/fhir/r4/Communication?encounter=Encounter/eA", nil)
			if entries, _ := chats["entry"].([]any); code != 200 || len(entries) != 1 ||
				!strings.Contains(fmt.Sprint(entries[0]), "thermometer") || !strings.Contains(fmt.Sprint(entries[0]), "Practitioner/drX") {
				t.Errorf("the patient reading the visit's chat: %d %v", code, chats)
			}

			// End: only a practitioner of the visit.
			if code, _ := w.call("pA", "POST", "/v1/telemed/v2/meeting/eA/end", nil); code != 403 {
				t.Errorf("the patient ending the visit: %d", code)
			}
			code, ended := w.call("drX", "POST", "/v1/telemed/v2/meeting/eA/end", nil)
			if code != 200 {
				t.Fatalf("end: %d %v", code, ended)
			}
			fin := ended["encounter"].(map[string]any)
			hist, _ := json.Marshal(fin["statusHistory"])
			if fin["status"] != "finished" || fin["period"].(map[string]any)["end"] == nil ||
				!strings.Contains(string(hist), `"arrived"`) || !strings.Contains(string(hist), `"in-progress"`) {
				t.Errorf("finished Encounter: %v", fin)
			}
			pp, _ := json.Marshal(fin["participant"])
			if !strings.Contains(string(pp), `"start"`) || !strings.Contains(string(pp), `"end"`) {
				t.Errorf("participant period not recorded: %s", pp)
			}
			if !slices.Equal(w.rooms.rooms, []string{meeting}) {
				t.Errorf("rooms closed: %v", w.rooms.rooms)
			}
			if code, _ := w.call("drX", "GET", "/v1/telemed/v2/meeting/eA/join", nil); code != http.StatusGone {
				t.Errorf("join after the end: %d", code)
			}
			if _, err := w.a.Telemed.Authenticate(ctx, att["JoinToken"].(string)); err == nil {
				t.Errorf("a join token still admits after the end")
			}

			// Webhooks and the EHR notification, from the outbox.
			if err := w.a.Outbox.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			var types []string
			for i, r := range rcv.hook {
				var ev telemed.Event
				json.Unmarshal(rcv.body[i], &ev)
				types = append(types, ev.Type)
				sig := r.Header.Get("Housecall-Signature")
				ts, mac, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",v1=")
				if mac != telemed.Sign([]byte("s3cret"), ts, rcv.body[i]) {
					t.Errorf("webhook %s: bad signature %q", ev.Type, sig)
				}
			}
			for _, want := range []string{"meeting.created", "meeting.guest_invited", "meeting.participant_joined", "meeting.participant_left", "meeting.ended"} {
				if !slices.Contains(types, want) {
					t.Errorf("webhook events %v lack %s", types, want)
				}
			}
			if len(rcv.emr) != 3 {
				t.Fatalf("EHR notifications: %d, want 3", len(rcv.emr))
			}
			q := rcv.emr[0].URL.Query()
			if q.Get("ConferenceID") != meeting || q.Get("ExternalIDType") != "Patient" || q.Get("ExternalID") != "pA" || q.Get("ConnectionStatus") != "Connected" || q.Get("VendorName") != "Housecall" {
				t.Errorf("EHR notification: %v", q)
			}
		})
	}
}

func (w *world) encounter(id string) map[string]any {
	w.t.Helper()
	ctx := auth.WithIdentity(w.t.Context(), auth.System("test"))
	resp, err := w.a.Engine.Do(ctx, &rest.Request{Interaction: rest.Read, Method: "GET", Type: "Encounter", ID: id})
	if err != nil {
		w.t.Fatal(err)
	}
	var e map[string]any
	json.Unmarshal(resp.Body, &e)
	return e
}

// TestWebhookSurvivesRestart: an event queued before a restart is delivered
// after it.
func TestWebhookSurvivesRestart(t *testing.T) {
	rcv := &receiver{}
	hooks := httptest.NewServer(rcv)
	defer hooks.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "h.db")
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	w := openWorld(t, st, dir, rcv, hooks.URL)
	w.seed()
	enc := w.encounter("eA")
	if code, out := w.call("drX", "POST", "/v1/telemed/v2/meeting", map[string]any{"encounter": enc}); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	w.a.Close()
	st.Close()

	st2, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	// A cleanup, not a defer: cleanups run after the test's defers, last
	// registered first, so the app (and its audit writer) that openWorld
	// registers closes before the store it writes to.
	t.Cleanup(func() { st2.Close() })
	w2 := openWorld(t, st2, dir, rcv, hooks.URL)
	if err := w2.a.Outbox.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.hook) != 1 || !bytes.Contains(rcv.body[0], []byte(`"meeting.created"`)) {
		t.Fatalf("deliveries after the restart: %d", len(rcv.hook))
	}
}

// TestRuntimeWebhooks: an endpoint an administrator registers while the
// server runs receives the visit events its filter asks for (and only
// those), signed with its own secret.
func TestRuntimeWebhooks(t *testing.T) {
	rcv := &receiver{}
	hooks := httptest.NewServer(rcv)
	defer hooks.Close()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() }) // after the app's cleanup (see TestWebhookSurvivesRestart)
	w := openWorld(t, st, dir, rcv, hooks.URL)
	w.seed()
	base := strings.Replace(hooks.URL, "http://", "http://hook:pw@", 1)
	for _, nw := range []adminapi.NewWebhook{
		{URL: base + "/all", Secret: "runtime-secret-0123456789"},
		{URL: base + "/ended-only", Events: []string{"meeting.ended"}},
	} {
		if _, err := w.a.Webhooks.Create(t.Context(), nw); err != nil {
			t.Fatal(err)
		}
	}
	if code, out := w.call("drX", "POST", "/v1/telemed/v2/meeting", map[string]any{"encounter": w.encounter("eA")}); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	if err := w.a.Outbox.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	got := map[string]int{}
	for i, r := range rcv.hook {
		if !bytes.Contains(rcv.body[i], []byte(`"meeting.created"`)) {
			continue
		}
		got[r.URL.Path]++
		if r.URL.Path == "/all" && !strings.Contains(r.Header.Get("Housecall-Signature"), "v1=") {
			t.Errorf("the run-time endpoint's delivery is not signed: %q", r.Header.Get("Housecall-Signature"))
		}
	}
	if got["/hook"] != 1 || got["/all"] != 1 || got["/ended-only"] != 0 {
		t.Fatalf("meeting.created deliveries per endpoint: %v", got)
	}
}
