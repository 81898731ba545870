package media

import (
	"testing"
	"time"

	"github.com/housecall/housecall/internal/media/mediatest"
	"github.com/housecall/housecall/internal/signal"
)

// waitMedia waits until rx receives src's camera and microphone.
func (h *harness) waitMedia(rx *mediatest.Client, src string, keyframes, frames int, audio uint64) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, okv := from(rx, src, "camera")
		au, oka := from(rx, src, "microphone")
		if okv && oka && v.Keyframes >= keyframes && v.Frames >= frames && au.Packets >= audio {
			return
		}
		if time.Now().After(deadline) {
			h.t.Logf("%s receives %+v", rx.ID(), rx.Remote())
			dumpServer(h.t, h.srv)
			h.t.Fatalf("%s: timed out waiting for media from %s", rx.ID(), src)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTwoParticipantsExchangeAudioAndVideo(t *testing.T) {
	for _, tt := range []struct {
		name   string
		direct bool
	}{
		{"direct path", true},
		{"pion's pipeline only", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(o *Options) { o.DisableDirectPath = !tt.direct })
			a := h.dial("visit-1", "Practitioner/1", RoleHost, nil)
			b := h.dial("visit-1", "Patient/2", RoleParticipant, nil)
			if got := b.Joined().Profile.Mode; got != signal.ModeTwoParty {
				t.Fatalf("profile = %q, want two-party", got)
			}
			for _, c := range []struct{ rx, tx *mediatest.Client }{{a, b}, {b, a}} {
				h.waitMedia(c.rx, c.tx.ID(), 2, 24, 50)
				v, _ := from(c.rx, c.tx.ID(), "camera")
				if v.Width != 1280 || v.Height != 720 {
					t.Errorf("%s sees %s's keyframes at %dx%d, want 1280x720", c.rx.ID(), c.tx.ID(), v.Width, v.Height)
				}
			}
			if ps := h.srv.Participants("visit-1"); len(ps) != 2 {
				t.Fatalf("Participants = %d, want 2", len(ps))
			}
			st := h.srv.Stats()
			if st.PacketsOut == 0 || st.PacketsIn == 0 || st.Rooms != 1 || st.Participants != 2 {
				t.Fatalf("Stats = %+v", st)
			}
			t.Logf("in %d (direct %d), out %d (direct %d), handed back to pion %d",
				st.PacketsIn, st.DirectIn, st.PacketsOut, st.DirectOut, st.DirectFallbacks)
			if !tt.direct {
				if st.DirectIn+st.DirectOut != 0 {
					t.Fatalf("direct path used while disabled: %+v", st)
				}
				return
			}
			// All but the first packets of each stream (before DTLS was up
			// and the tracks known) take the direct path both ways.
			if st.DirectIn < st.PacketsIn*8/10 || st.DirectOut < st.PacketsOut*8/10 || st.DirectFallbacks != 0 || st.DirectRTCP == 0 {
				t.Fatalf("direct path carried %d of %d packets in and %d of %d out and %d RTCP, %d fallbacks",
					st.DirectIn, st.PacketsIn, st.DirectOut, st.PacketsOut, st.DirectRTCP, st.DirectFallbacks)
			}
		})
	}
}

// A client whose UDP is blocked reaches the SFU over ICE-TCP; its media
// stays on pion's pipeline (the direct path is UDP only) and still flows
// both ways with a UDP client in the same room.
func TestICETCPClient(t *testing.T) {
	port := freeTCPPort(t)
	h := newHarness(t, func(o *Options) { o.TCPPort = port })
	a := h.dial("visit-tcp", "Practitioner/1", RoleHost, nil)
	b := h.dial("visit-tcp", "Patient/2", RoleParticipant, func(c *mediatest.Config) { c.TCP = true })
	h.waitMedia(a, b.ID(), 2, 24, 50)
	h.waitMedia(b, a.ID(), 2, 24, 50)
	if a.Protocol() != "udp" || b.Protocol() != "tcp" {
		t.Fatalf("selected pairs: %q and %q, want udp and tcp", a.Protocol(), b.Protocol())
	}
	st := h.srv.Stats()
	// Only the UDP client's half can be direct.
	if st.DirectIn == 0 || st.DirectIn >= st.PacketsIn || st.DirectFallbacks != 0 {
		t.Fatalf("direct in %d of %d (fallbacks %d): want the UDP client's packets only", st.DirectIn, st.PacketsIn, st.DirectFallbacks)
	}
	t.Logf("in %d (direct %d), out %d (direct %d)", st.PacketsIn, st.DirectIn, st.PacketsOut, st.DirectOut)
}
