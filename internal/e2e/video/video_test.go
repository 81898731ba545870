package video

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/housecall/housecall/internal/e2e/e2etest"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/media/turn"
	"github.com/housecall/housecall/internal/testutil"
)

const (
	chromiumPath = "/usr/bin/chromium"
	runTimeout   = 3 * time.Minute
	outage       = 5 * time.Second
)

// mediaSample is what run.mjs measures of one received stream.
type mediaSample struct {
	FramesDecoded int     `json:"framesDecoded"`
	FramesDelta   int     `json:"framesDelta"`
	FrameWidth    int     `json:"frameWidth"`
	FrameHeight   int     `json:"frameHeight"`
	AudioPackets  int     `json:"audioPackets"`
	AudioDelta    int     `json:"audioDelta"`
	RTTMs         float64 `json:"rttMs"`
	Path          string  `json:"path"`
}

// simulcast is a publisher's camera after the switch: the rids of its
// outbound-rtp entries, those that carry packets, its uplink estimate.
type simulcast struct {
	RIDs    []string `json:"rids"`
	Sending []struct {
		RID     string `json:"rid"`
		Width   int    `json:"width"`
		Packets int    `json:"packets"`
	} `json:"sending"`
	UplinkKbps int `json:"uplinkKbps"`
}

type joinedInfo struct {
	ID      string `json:"id"`
	Role    string `json:"role"`
	Profile string `json:"profile"`
}

// runReport is the JSON line tools/video-e2e/run.mjs prints.
func (r runReport) Succeeded() bool { return r.OK }

type runReport struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	MS      int64  `json:"ms"`
	Console []string
	Steps   []map[string]any `json:"steps"`
	Diag    json.RawMessage  `json:"diag"`
	Results struct {
		A, B, C  joinedInfo
		TwoParty struct {
			BAtA         mediaSample `json:"bAtA"`
			AAtB         mediaSample `json:"aAtB"`
			FirstMediaMs int64       `json:"firstMediaMs"`
		} `json:"twoParty"`
		ScreenAtB mediaSample `json:"screenAtB"`
		Outage    struct {
			ReconnectedAfterMs int64 `json:"reconnectedAfterMs"`
			Before             struct {
				BAtA mediaSample `json:"bAtA"`
			} `json:"before"`
			During struct {
				BAtA mediaSample `json:"bAtA"`
			} `json:"during"`
			BAtA            mediaSample `json:"bAtA"`
			AAtB            mediaSample `json:"aAtB"`
			SameParticipant bool        `json:"sameParticipant"`
			Reloaded        bool        `json:"reloaded"`
			RemoteAtA       []string    `json:"remoteAtA"`
			EventsB         []struct {
				Name string `json:"name"`
			} `json:"eventsB"`
		} `json:"outage"`
		Three struct {
			AAtC     mediaSample `json:"aAtC"`
			BAtC     mediaSample `json:"bAtC"`
			CAtA     mediaSample `json:"cAtA"`
			SimA     simulcast   `json:"simA"`
			SimB     simulcast   `json:"simB"`
			Profiles []string    `json:"profiles"`
		} `json:"three"`
	} `json:"results"`
}

// TestVideoVisitInChromium is issue 5's browser test: a practitioner and a
// patient join one meeting through the Telemed API and the SDK in headless
// Chromium (fake camera and microphone, loopback only) and see and hear
// each other; the practitioner shares a screen; the patient loses its
// network for five seconds and media resumes without a page reload; a
// guest joins and the publishers switch to simulcast.
func TestVideoVisitInChromium(t *testing.T) {
	root := testutil.RepoRoot(t)
	sdk := filepath.Join(root, "sdk", "js", "dist", "housecall.mjs")
	playwright := filepath.Join(root, "tools", "smart-e2e", "node_modules", "playwright-core")
	tool := filepath.Join(root, "tools", "video-e2e")
	e2etest.RequireFixture(t, chromiumPath, "install Debian's chromium (apt-get install -y chromium)")
	e2etest.RequireFixture(t, filepath.Join(playwright, "package.json"), "run: make deps (npm ci --prefix tools/smart-e2e)")
	e2etest.RequireFixture(t, sdk, "run: make sdk (builds sdk/js/dist)")
	node := e2etest.NodePath(t)

	// The TURN relay the join answers name; the patient reaches it only
	// through a UDP relay the test can cut (netem_test.go).
	secret := randomHex(t, 16)
	ts, err := turn.New(turn.Options{Realm: "housecall", Secret: []byte(secret), UDPAddr: "127.0.0.1:0", AllowLoopbackPeers: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ts.Close() })
	patientLink := &link{}
	controlled := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		patientLink.fail(outage)
		w.WriteHeader(http.StatusNoContent)
	})
	srv := startServer(t, serverOptions{TURNPort: ts.UDPAddr().Port, TURNSecret: secret, SDKFile: sdk,
		PageDir: filepath.Join(tool, "page"), Extra: map[string]http.Handler{"POST /video-e2e-control/outage": controlled}})
	udp := newUDPRelay(t, ts.UDPAddr(), patientLink)
	ws := newWSRelay(t, srv.URL, patientLink)

	patientID := srv.Seed(t, map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": "Okafor", "given": []string{"Ada"}}}})
	drID := srv.Seed(t, map[string]any{"resourceType": "Practitioner", "name": []any{map[string]any{"family": "Visit", "given": []string{"Dana"}}}})
	drTok := srv.user(t, "dana.visit@example.org", auth.RolePractitioner, "Practitioner/"+drID, "user/*.cruds")
	ptTok := srv.user(t, "ada.okafor@example.org", auth.RolePatient, "Patient/"+patientID, "patient/*.cruds")

	var created struct {
		Encounter struct {
			ID string `json:"id"`
		} `json:"encounter"`
	}
	srv.call(t, drTok, http.MethodPost, "/v1/telemed/v2/meeting", map[string]any{"encounter": map[string]any{
		"resourceType": "Encounter", "status": "planned",
		"class":       map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
		"subject":     map[string]any{"reference": "Patient/" + patientID, "display": "Ada Okafor"},
		"participant": []any{map[string]any{"individual": map[string]any{"reference": "Practitioner/" + drID, "display": "Dr Dana Visit"}}},
	}}, &created)
	encID := created.Encounter.ID
	var joinA, joinB, joinC map[string]any
	srv.call(t, drTok, http.MethodGet, "/v1/telemed/v2/meeting/"+encID+"/join", nil, &joinA)
	srv.call(t, ptTok, http.MethodGet, "/v1/telemed/v2/meeting/"+encID+"/join", nil, &joinB)
	var invite struct {
		Token string `json:"token"`
	}
	srv.call(t, drTok, http.MethodPost, "/v1/telemed/v2/meeting/"+encID+"/invite", map[string]any{"name": "Ines Interpreter", "role": "interpreter"}, &invite)
	srv.call(t, "", http.MethodPost, "/v1/telemed/guest/join", map[string]any{"invite": invite.Token}, &joinC)
	throughRelays(t, joinB, ws.URL(), udp.port())

	dir := t.TempDir()
	joins := filepath.Join(dir, "joins.json")
	b, err := json.Marshal(map[string]any{"a": joinA, "b": joinB, "c": joinC})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(joins, b, 0o600); err != nil {
		t.Fatal(err)
	}
	shots := e2etest.ArtifactDir(t)
	rep := e2etest.RunNode[runReport](t, node, tool, "run.mjs", runTimeout, map[string]string{
		"BASE": srv.URL, "JOINS": joins, "CONTROL": srv.URL + "/video-e2e-control/outage", "PLAYWRIGHT": playwright,
		"SCREENSHOTS": shots, "OUTAGE_MS": fmt.Sprint(outage.Milliseconds()),
	})
	t.Logf("browser run: %d ms, screenshots in %s", rep.MS, shots)
	for _, s := range rep.Steps {
		t.Logf("step %v at %v ms", s["step"], s["ms"])
	}
	if !rep.OK {
		t.Fatalf("the browser run failed: %s\n(patient link: %d datagrams dropped, %d stalls)\nbrowser console:\n  %s\npages: %s",
			rep.Error, patientLink.dropped.Load(), patientLink.stalled.Load(), strings.Join(rep.Console, "\n  "), rep.Diag)
	}
	res := rep.Results
	tp := res.TwoParty
	t.Logf("two-party: B at A %+v; A at B %+v; first media after %d ms", tp.BAtA, tp.AAtB, tp.FirstMediaMs)
	o := res.Outage
	t.Logf("outage: %d datagrams dropped, %d stalls; reconnected %d ms after the cut; B at A before %d frames, during %d, after %+v",
		patientLink.dropped.Load(), patientLink.stalled.Load(), o.ReconnectedAfterMs, o.Before.BAtA.FramesDecoded, o.During.BAtA.FramesDecoded, o.BAtA)
	t.Logf("three: simulcast A %+v, B %+v; C receives A %+v, B %+v", res.Three.SimA, res.Three.SimB, res.Three.AAtC, res.Three.BAtC)
	st := srv.Media.Stats()
	t.Logf("SFU: RTP in %d (direct path %d), out %d (direct path %d), RTCP in on the direct path %d, handed back to pion %d",
		st.PacketsIn, st.DirectIn, st.PacketsOut, st.DirectOut, st.DirectRTCP, st.DirectFallbacks)

	checks := []struct {
		name string
		ok   bool
		got  any
	}{
		{"A joined as host", res.A.Role == "host" && res.A.ID == "Practitioner/"+drID, res.A},
		{"B joined as the patient", res.B.ID == "Patient/"+patientID, res.B},
		{"two-party profile", res.A.Profile == "two-party", res.A.Profile},
		{"A decodes B's video at >= 640 px", tp.BAtA.FrameWidth >= 640 && tp.BAtA.FramesDelta > 0, tp.BAtA},
		{"B decodes A's video at >= 640 px", tp.AAtB.FrameWidth >= 640 && tp.AAtB.FramesDelta > 0, tp.AAtB},
		{"audio both ways", tp.BAtA.AudioDelta > 0 && tp.AAtB.AudioDelta > 0, [2]int{tp.BAtA.AudioDelta, tp.AAtB.AudioDelta}},
		{"B's media is relayed by TURN", strings.HasPrefix(tp.AAtB.Path, "relay"), tp.AAtB.Path},
		{"screen share decoded at B", res.ScreenAtB.FramesDelta > 0, res.ScreenAtB},
		{"the outage cut B's media", o.During.BAtA.FramesDecoded-o.Before.BAtA.FramesDecoded < 48 && patientLink.dropped.Load() > 0,
			[2]int{o.Before.BAtA.FramesDecoded, o.During.BAtA.FramesDecoded}},
		{"B reported reconnecting then reconnected", eventNames(o.EventsB) == "reconnecting,reconnected", eventNames(o.EventsB)},
		{"B resumed as the same participant, without a reload", o.SameParticipant && !o.Reloaded, [2]bool{o.SameParticipant, o.Reloaded}},
		{"no duplicate of B at A", strings.Join(o.RemoteAtA, ",") == res.B.ID, o.RemoteAtA},
		{"video at >= 640 px after the outage", o.BAtA.FrameWidth >= 640 && o.AAtB.FrameWidth >= 640, [2]int{o.BAtA.FrameWidth, o.AAtB.FrameWidth}},
		{"everyone on the simulcast profile", strings.Join(res.Three.Profiles, ",") == "simulcast,simulcast,simulcast", res.Three.Profiles},
		{"A's camera has simulcast outbound-rtp (rids)", strings.Join(res.Three.SimA.RIDs, ",") == "f,h,q" && len(res.Three.SimA.Sending) > 0, res.Three.SimA},
		{"B's camera has simulcast outbound-rtp (rids)", strings.Join(res.Three.SimB.RIDs, ",") == "f,h,q" && len(res.Three.SimB.Sending) > 0, res.Three.SimB},
		{"C receives A, B; A receives C", res.Three.AAtC.FramesDelta > 0 && res.Three.BAtC.FramesDelta > 0 && res.Three.CAtA.FramesDelta > 0, res.Three},
		{"Chrome's media took the SFU's direct path (SRTP keys from DTLS)", st.DirectIn > st.PacketsIn/2 && st.DirectOut > st.PacketsOut/2 && st.DirectRTCP > 0,
			[3]uint64{st.DirectIn, st.DirectOut, st.DirectRTCP}},
		{"the chat message is stored on the visit", srv.countChat(t, encID) == 1, srv.countChat(t, encID)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: got %+v", c.name, c.got)
		}
	}
	// Chrome's uplink estimate must let it send more than the lowest layer:
	// it stayed near 100 kbit/s for both publishers while the SFU left its
	// padding probes out of the transport-wide feedback. B has just come
	// back from the outage and ramps up again, more slowly on a busy
	// machine, so one publisher above the lowest layer is required.
	ramped := 0
	for name, sim := range map[string]simulcast{"A": res.Three.SimA, "B": res.Three.SimB} {
		if len(sim.Sending) >= 2 && sim.UplinkKbps >= 300 {
			ramped++
		} else {
			t.Logf("note: %s sends %d simulcast layer(s) at an uplink estimate of %d kbit/s", name, len(sim.Sending), sim.UplinkKbps)
		}
	}
	if ramped == 0 {
		t.Errorf("no publisher's uplink estimate got past the lowest simulcast layer: A %+v, B %+v", res.Three.SimA, res.Three.SimB)
	}
	for i := 1; i <= 5; i++ {
		matches, _ := filepath.Glob(filepath.Join(shots, fmt.Sprintf("%d-*.png", i)))
		if len(matches) == 0 {
			t.Errorf("no screenshot %d-*.png in %s", i, shots)
		}
	}
}

// throughRelays points a join answer's signalling and TURN at the relays
// that can cut this participant off.
func throughRelays(t *testing.T, join map[string]any, wsURL string, udpPort int) {
	t.Helper()
	mp, _ := join["Meeting"].(map[string]any)["MediaPlacement"].(map[string]any)
	if mp == nil {
		t.Fatalf("join answer without MediaPlacement: %v", join)
	}
	mp["SignalingUrl"] = wsURL
	var relayed []any
	for _, s := range mp["IceServers"].([]any) {
		e := s.(map[string]any)
		if e["username"] == nil {
			continue // STUN
		}
		relayed = append(relayed, map[string]any{"urls": []string{fmt.Sprintf("turn:127.0.0.1:%d?transport=udp", udpPort)},
			"username": e["username"], "credential": e["credential"]})
	}
	if len(relayed) == 0 {
		t.Fatalf("the join answer names no TURN server: %v", mp["IceServers"])
	}
	mp["IceServers"] = relayed
}

func eventNames(evs []struct {
	Name string `json:"name"`
}) string {
	var names []string
	for _, e := range evs {
		names = append(names, e.Name)
	}
	return strings.Join(names, ",")
}

// countChat counts the Communication resources whose encounter is Encounter/<id>, as the system.
func (s *server) countChat(t *testing.T, id string) int {
	return s.Count(t, "Communication", url.Values{"encounter": {"Encounter/" + id}})
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
