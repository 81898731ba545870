package media

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/media/mediatest"
	"github.com/housecall/housecall/internal/signal"
)

func dialErr(h *harness, token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := mediatest.Dial(ctx, mediatest.Config{URL: h.url, Token: token, Audio: true})
	if err == nil {
		c.Close()
	}
	return err
}

func wantCode(t *testing.T, err error, code signal.Code) {
	t.Helper()
	var se *mediatest.SignalError
	if !errors.As(err, &se) || se.Code != code {
		t.Fatalf("err = %v, want server error %s", err, code)
	}
}

func TestTokensRefused(t *testing.T) {
	h := newHarness(t, nil)
	h.roster = map[string]bool{"visit-a/Practitioner/1": true}
	good := testClaims{Aud: testAudience, Room: "visit-a", Sub: "Practitioner/1", Role: RoleHost, CanPublish: true,
		Exp: time.Now().Add(time.Hour).Unix()}
	tests := []struct {
		name  string
		token func() string
	}{
		{"non-participant", func() string { c := good; c.Sub = "Patient/99"; return signToken(h.key, c) }},
		{"expired", func() string { c := good; c.Exp = time.Now().Add(-time.Minute).Unix(); return signToken(h.key, c) }},
		{"foreign signature", func() string { return signToken([]byte("someone-else's-key"), good) }},
		{"other audience", func() string { c := good; c.Aud = "another-service"; return signToken(h.key, c) }},
		{"garbage", func() string { return "not-a-token" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, dialErr(h, tt.token()), signal.CodeUnauthorized)
		})
	}
	if err := dialErr(h, signToken(h.key, good)); err != nil {
		t.Fatalf("the valid token was refused: %v", err)
	}
	if n := len(h.srv.Participants("visit-a")); n > 1 {
		t.Fatalf("refused tokens left %d participants behind", n)
	}
}

func TestResumeKeepsIdentity(t *testing.T) {
	testResumeKeepsIdentity(t, newHarness(t, nil))
}

func testResumeKeepsIdentity(t *testing.T, h *harness) {
	a := h.dial("visit-r", "Patient/1", RoleParticipant, nil)
	b := h.dial("visit-r", "Practitioner/2", RoleHost, nil)
	h.waitMedia(b, a.ID(), 1, 10, 20)
	h.waitMedia(a, b.ID(), 1, 10, 20)

	a.DropSignalling()
	eventually(t, 5*time.Second, "reconnecting event", func() bool { return slices.Contains(h.eventsFor(a.ID()), EventReconnecting) })
	ctx := waitCtx(t)
	if _, err := b.WaitFor(ctx, func(m signal.Message) bool {
		s, ok := m.Body.(*signal.ParticipantState)
		return ok && s.ParticipantID == a.ID() && s.State == signal.StateReconnecting
	}); err != nil {
		t.Fatalf("B not told that A is reconnecting: %v", err)
	}
	if err := a.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if !a.Joined().Resumed || a.Joined().ParticipantID != "Patient/1" {
		t.Fatalf("joined after resume = %+v", a.Joined())
	}
	if _, err := a.WaitFor(ctx, func(m signal.Message) bool {
		sd, ok := m.Body.(*signal.SessionDescription)
		return ok && m.Type == signal.TypeOffer && sd.ICERestart
	}); err != nil {
		t.Fatalf("no ICE restart offer: %v", err)
	}
	// Media keeps flowing both ways after the ICE restart.
	before := func(rx, tx *mediatest.Client) uint64 { s, _ := from(rx, tx.ID(), "camera"); return s.Packets }
	ab, ba := before(b, a), before(a, b)
	deadline := time.Now().Add(8 * time.Second)
	for before(b, a) <= ab+100 || before(a, b) <= ba+100 {
		if time.Now().After(deadline) {
			t.Logf("A: pc %s/%s, receives %+v", a.PeerConnection().ConnectionState(), a.PeerConnection().SignalingState(), a.Remote())
			t.Logf("B: pc %s/%s, receives %+v", b.PeerConnection().ConnectionState(), b.PeerConnection().SignalingState(), b.Remote())
			dumpServer(t, h.srv)
			t.Fatalf("media did not resume: B got %d→%d from A, A got %d→%d from B", ab, before(b, a), ba, before(a, b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	ps := h.srv.Participants("visit-r")
	if len(ps) != 2 {
		t.Fatalf("Participants = %+v, want 2", ps)
	}
	for _, p := range ps {
		if p.State != signal.StateActive {
			t.Errorf("%s state %s after resume", p.ID, p.State)
		}
	}
	got := h.eventsFor(a.ID())
	if want := []string{EventJoined, EventReconnecting, EventReconnected}; !slices.Equal(got, want) {
		t.Fatalf("events for A = %v, want %v", got, want)
	}
	for _, m := range b.Messages() {
		switch x := m.Body.(type) {
		case *signal.ParticipantLeft:
			t.Fatalf("B saw A leave: %+v", x)
		case *signal.ParticipantJoined:
			if x.Participant.ID == a.ID() {
				t.Fatalf("B saw A join again")
			}
		}
	}
}

func TestReconnectGraceExpires(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ReconnectGrace = 300 * time.Millisecond })
	a := h.dial("visit-g", "Patient/1", RoleParticipant, func(c *mediatest.Config) { c.Video = false })
	b := h.dial("visit-g", "Practitioner/2", RoleHost, func(c *mediatest.Config) { c.Video = false })
	a.DropSignalling()
	ctx := waitCtx(t)
	m, err := b.WaitType(ctx, signal.TypeParticipantLeft)
	if err != nil {
		t.Fatal(err)
	}
	if l := m.Body.(*signal.ParticipantLeft); l.ParticipantID != a.ID() || l.Reason != "timeout" {
		t.Fatalf("participant-left = %+v", l)
	}
	wantCode(t, a.Resume(ctx), signal.CodeResumeFailed)
	if n := len(h.srv.Participants("visit-g")); n != 1 {
		t.Fatalf("%d participants left, want 1", n)
	}
}

func TestCloseRoomDisconnectsEveryone(t *testing.T) {
	h := newHarness(t, nil)
	a := h.dial("visit-c", "Practitioner/1", RoleHost, nil)
	b := h.dial("visit-c", "Patient/2", RoleParticipant, nil)
	h.waitMedia(a, b.ID(), 1, 5, 10)
	if err := h.srv.CloseRoom("visit-c", "visit ended"); err != nil {
		t.Fatal(err)
	}
	ctx := waitCtx(t)
	for _, c := range []*mediatest.Client{a, b} {
		m, err := c.WaitType(ctx, signal.TypeRoomClosed)
		if err != nil {
			t.Fatalf("%s: %v", c.ID(), err)
		}
		if r := m.Body.(*signal.RoomClosed).Reason; r != "visit ended" {
			t.Errorf("reason %q", r)
		}
		select {
		case <-c.SignallingDone():
		case <-ctx.Done():
			t.Fatalf("%s still connected", c.ID())
		}
	}
	if ps := h.srv.Participants("visit-c"); ps != nil || len(h.srv.Rooms()) != 0 {
		t.Fatalf("room still there: %+v %+v", ps, h.srv.Rooms())
	}
	eventually(t, time.Second, "room-closed event", func() bool { return slices.Contains(h.eventsFor(""), EventRoomClosed) })
	wantCode(t, dialErr(h, h.token("visit-c", "Patient/2", RoleParticipant)), signal.CodeRoomClosed)
	if err := h.srv.CloseRoom("visit-c", "again"); !errors.Is(err, ErrRoomNotFound) {
		t.Fatalf("second CloseRoom: %v", err)
	}
}

func TestMalformedMessageClosesOnlyThatClient(t *testing.T) {
	h := newHarness(t, nil)
	a := h.dial("visit-m", "Practitioner/1", RoleHost, nil)
	b := h.dial("visit-m", "Patient/2", RoleParticipant, nil)
	h.waitMedia(a, b.ID(), 1, 5, 10)
	tests := []struct {
		name string
		raw  string
		code signal.Code
	}{
		{"not json", "{{{", signal.CodeBadRequest},
		{"future version", `{"v":9,"type":"leave"}`, signal.CodeUnsupportedVersion},
		{"unknown type", `{"v":1,"type":"teleport"}`, signal.CodeBadRequest},
		{"server-only type", `{"v":1,"type":"room-closed","data":{}}`, signal.CodeBadRequest},
		{"invalid field", `{"v":1,"type":"publish","data":{"trackId":"t","kind":"smell"}}`, signal.CodeBadRequest},
		{"join twice", `{"v":1,"type":"join","data":{"token":"x"}}`, signal.CodeBadRequest},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := h.dial("visit-m", "RelatedPerson/"+string(rune('a'+i)), RoleGuest, func(c *mediatest.Config) { c.Video = false })
			if err := x.SendRaw([]byte(tt.raw)); err != nil {
				t.Fatal(err)
			}
			ctx := waitCtx(t)
			m, err := x.WaitType(ctx, signal.TypeError)
			if err != nil {
				t.Fatal(err)
			}
			if e := m.Body.(*signal.Error); e.Code != tt.code || !e.Fatal {
				t.Fatalf("error = %+v, want fatal %s", e, tt.code)
			}
			select {
			case <-x.SignallingDone():
			case <-ctx.Done():
				t.Fatal("connection not closed")
			}
			eventually(t, 2*time.Second, "x gone", func() bool { return len(h.srv.Participants("visit-m")) == 2 })
		})
	}
	// The room and the others carried on.
	s0, _ := from(a, b.ID(), "camera")
	eventually(t, 5*time.Second, "media still flowing", func() bool {
		s, _ := from(a, b.ID(), "camera")
		return s.Packets > s0.Packets+50
	})
}

func TestRoomLimitsAndModeration(t *testing.T) {
	var chats []string
	h := newHarness(t, func(o *Options) {
		o.MaxParticipants = 3
		o.OnChat = func(_ context.Context, room string, from Grant, text string) error {
			if text == "fail" {
				return errors.New("store down")
			}
			chats = append(chats, room+"|"+from.ParticipantID+"|"+text)
			return nil
		}
	})
	audio := func(c *mediatest.Config) { c.Video = false }
	host := h.dial("visit-l", "Practitioner/1", RoleHost, audio)
	pat := h.dial("visit-l", "Patient/2", RoleParticipant, audio)
	guest := h.dial("visit-l", "RelatedPerson/3", RoleGuest, audio)
	wantCode(t, dialErr(h, h.token("visit-l", "RelatedPerson/4", RoleGuest)), signal.CodeRoomFull)
	ctx := waitCtx(t)

	t.Run("only moderators mute others", func(t *testing.T) {
		if err := guest.Send(signal.TypeMute, &signal.Mute{ParticipantID: pat.ID(), Kind: signal.KindMicrophone, Muted: true}); err != nil {
			t.Fatal(err)
		}
		m, err := guest.WaitType(ctx, signal.TypeError)
		if err != nil || m.Body.(*signal.Error).Code != signal.CodeForbidden || m.Body.(*signal.Error).Fatal {
			t.Fatalf("guest mute: %+v %v", m.Body, err)
		}
		if err := host.Send(signal.TypeMute, &signal.Mute{ParticipantID: pat.ID(), Kind: signal.KindMicrophone, Muted: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := pat.WaitFor(ctx, func(m signal.Message) bool {
			x, ok := m.Body.(*signal.Mute)
			return ok && x.ParticipantID == pat.ID() && x.Muted && x.By == host.ID()
		}); err != nil {
			t.Fatalf("patient not told: %v", err)
		}
		eventually(t, 2*time.Second, "muted event", func() bool { return slices.Contains(h.eventsFor(pat.ID()), EventMuted) })
		// Forwarding stopped: the host's count of the patient's audio stalls.
		time.Sleep(200 * time.Millisecond)
		s1, _ := from(host, pat.ID(), "microphone")
		time.Sleep(400 * time.Millisecond)
		if s2, _ := from(host, pat.ID(), "microphone"); s2.Packets > s1.Packets+2 {
			t.Fatalf("muted audio still forwarded: %d -> %d", s1.Packets, s2.Packets)
		}
	})
	t.Run("ping is answered with a pong of the same id", func(t *testing.T) {
		if err := pat.SendRaw(signal.MustEncode(signal.TypePing, "k9", &signal.Ping{})); err != nil {
			t.Fatal(err)
		}
		if _, err := pat.WaitFor(ctx, func(m signal.Message) bool { return m.Type == signal.TypePong && m.ID == "k9" }); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("chat is stored then relayed", func(t *testing.T) {
		if err := pat.SendRaw(signal.MustEncode(signal.TypeChat, "c1", &signal.Chat{Text: "hello doctor"})); err != nil {
			t.Fatal(err)
		}
		m, err := host.WaitType(ctx, signal.TypeChat)
		if err != nil {
			t.Fatal(err)
		}
		if c := m.Body.(*signal.Chat); c.Text != "hello doctor" || c.From == nil || c.From.ID != pat.ID() || m.ID != "" {
			t.Fatalf("chat = %+v (id %q)", c, m.ID)
		}
		// The sender's copy acknowledges its message by id.
		ack, err := pat.WaitType(ctx, signal.TypeChat)
		if err != nil {
			t.Fatal(err)
		}
		if c := ack.Body.(*signal.Chat); ack.ID != "c1" || c.MessageID != m.Body.(*signal.Chat).MessageID {
			t.Fatalf("sender's copy = %+v (id %q)", c, ack.ID)
		}
		if len(chats) != 1 || chats[0] != "visit-l|Patient/2|hello doctor" {
			t.Fatalf("stored chats = %v", chats)
		}
		if err := pat.Send(signal.TypeChat, &signal.Chat{Text: "fail"}); err != nil {
			t.Fatal(err)
		}
		if _, err := pat.WaitFor(ctx, func(m signal.Message) bool {
			e, ok := m.Body.(*signal.Error)
			return ok && e.Code == signal.CodeChatFailed
		}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("moderator removes a guest", func(t *testing.T) {
		if err := host.Send(signal.TypeRemove, &signal.Remove{ParticipantID: guest.ID(), Reason: "wrong visit"}); err != nil {
			t.Fatal(err)
		}
		m, err := guest.WaitType(ctx, signal.TypeError)
		for err == nil && m.Body.(*signal.Error).Code != signal.CodeRemoved {
			m, err = guest.WaitFor(ctx, func(m signal.Message) bool {
				e, ok := m.Body.(*signal.Error)
				return ok && e.Code == signal.CodeRemoved
			})
		}
		if err != nil {
			t.Fatal(err)
		}
		l, err := pat.WaitType(ctx, signal.TypeParticipantLeft)
		if err != nil || l.Body.(*signal.ParticipantLeft).Reason != "wrong visit" {
			t.Fatalf("participant-left = %+v, %v", l.Body, err)
		}
	})
}

func TestOriginAndJoinTimeout(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.AllowedOrigins = []string{"app.example.org"}
		o.JoinTimeout = 200 * time.Millisecond
	})
	ctx := waitCtx(t)
	tests := []struct {
		origin string
		ok     bool
	}{{"https://evil.example.com", false}, {"https://app.example.org", true}, {"", true}}
	for _, tt := range tests {
		hdr := http.Header{}
		if tt.origin != "" {
			hdr.Set("Origin", tt.origin)
		}
		ws, _, err := websocket.Dial(ctx, h.url, &websocket.DialOptions{HTTPHeader: hdr})
		if (err == nil) != tt.ok {
			t.Fatalf("origin %q: err = %v, want ok=%v", tt.origin, err, tt.ok)
		}
		if err != nil {
			continue
		}
		// Say nothing: the server gives up after JoinTimeout.
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("origin %q: no timeout message: %v", tt.origin, err)
		}
		m, err := signal.Decode(b)
		if err != nil || m.Body.(*signal.Error).Code != signal.CodeTimeout {
			t.Fatalf("got %s, %v", b, err)
		}
		ws.CloseNow()
	}
}

func TestResumeAfterNetworkLoss(t *testing.T) {
	h := newHarness(t, nil)
	a := h.dial("visit-w", "Patient/1", RoleParticipant, nil)
	b := h.dial("visit-w", "Practitioner/2", RoleHost, nil)
	h.waitMedia(b, a.ID(), 1, 10, 20)
	// The phone loses the network: media and signalling both stop.
	a.CutNetwork(true)
	a.DropSignalling()
	ctx := waitCtx(t)
	if _, err := b.WaitFor(ctx, func(m signal.Message) bool {
		s, ok := m.Body.(*signal.ParticipantState)
		return ok && s.ParticipantID == a.ID() && s.State == signal.StateReconnecting
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 8*time.Second, "the SFU to notice the ICE loss", func() bool {
		ps := h.srv.Participants("visit-w")
		return len(ps) == 2 && a.PeerConnection().ICEConnectionState() != webrtc.ICEConnectionStateConnected
	})
	a.CutNetwork(false)
	if err := a.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	before, _ := from(b, a.ID(), "camera")
	eventually(t, 8*time.Second, "media after the ICE restart", func() bool {
		s, _ := from(b, a.ID(), "camera")
		return s.Packets > before.Packets+100
	})
	if got := h.eventsFor(a.ID()); slices.Contains(got, EventLeft) || len(h.srv.Participants("visit-w")) != 2 {
		t.Fatalf("events %v, participants %+v", got, h.srv.Participants("visit-w"))
	}
}
