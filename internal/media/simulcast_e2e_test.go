package media

import (
	"testing"
	"time"

	"github.com/housecall/housecall/internal/media/mediatest"
	"github.com/housecall/housecall/internal/signal"
)

func TestFourParticipantsSimulcastFollowsRenderedSize(t *testing.T) {
	h := newHarness(t, nil)
	small := func(c *mediatest.Config) { c.Bitrate = 300_000 }
	forced := func(c *mediatest.Config) { small(c); c.Simulcast = mediatest.SimulcastOn }
	a := h.dial("visit-4", "Practitioner/1", RoleHost, forced)
	b := h.dial("visit-4", "Patient/2", RoleParticipant, forced)
	c := h.dial("visit-4", "RelatedPerson/3", RoleGuest, small)
	d := h.dial("visit-4", "RelatedPerson/4", RoleGuest, small)
	if got := c.Joined().Profile; got.Mode != signal.ModeSimulcast || len(got.Layers) != 3 {
		t.Fatalf("third participant's profile = %+v, want simulcast with 3 layers", got)
	}
	ctx := waitCtx(t)
	if _, err := a.WaitFor(ctx, func(m signal.Message) bool {
		p, ok := m.Body.(*signal.PublishProfile)
		return ok && p.Mode == signal.ModeSimulcast
	}); err != nil {
		t.Fatalf("first participant never told to switch to simulcast: %v", err)
	}
	all := []*mediatest.Client{a, b, c, d}
	for _, rx := range all {
		for _, tx := range all {
			if rx != tx {
				h.waitMedia(rx, tx.ID(), 1, 10, 20)
			}
		}
	}
	for _, p := range h.srv.Participants("visit-4") {
		for _, tr := range p.Tracks {
			if tr.Kind == "camera" && (!tr.Simulcast || len(tr.Layers) != 3) {
				t.Errorf("%s camera: simulcast=%v layers=%v, want 3 layers", p.ID, tr.Simulcast, tr.Layers)
			}
		}
	}

	cam := func(c *mediatest.Client) string {
		for _, p := range c.Publications() {
			if p.Kind == signal.KindCamera {
				return p.ID
			}
		}
		t.Fatalf("%s has no camera", c.ID())
		return ""
	}
	if err := a.SetRenderedSize(b.ID(), cam(b), 160, 90); err != nil {
		t.Fatal(err)
	}
	if err := a.SetRenderedSize(c.ID(), cam(c), 1280, 720); err != nil {
		t.Fatal(err)
	}
	sizeIs := func(src *mediatest.Client, w, hgt int) func() bool {
		return func() bool {
			s, ok := from(a, src.ID(), "camera")
			return ok && s.Width == w && s.Height == hgt
		}
	}
	eventually(t, 8*time.Second, "low layer of B for a small tile", sizeIs(b, 320, 180))
	eventually(t, 8*time.Second, "high layer of C for a large tile", sizeIs(c, 1280, 720))
	if _, err := a.WaitFor(ctx, func(m signal.Message) bool {
		l, ok := m.Body.(*signal.LayerChanged)
		return ok && l.ParticipantID == b.ID() && l.RID == "q"
	}); err != nil {
		t.Errorf("no layer-changed q for B: %v", err)
	}
	// The switch must be invisible in the stream: contiguous sequence
	// numbers and picture ids.
	time.Sleep(300 * time.Millisecond)
	for _, rt := range a.RemoteTracks() {
		st := rt.Stats()
		if st.Kind != signal.KindCamera {
			continue
		}
		if st.Missing > 0 {
			t.Errorf("%s camera at A: %d sequence numbers missing", st.ParticipantID, st.Missing)
		}
		ids := rt.PictureIDs()
		for i := 1; i < len(ids); i++ {
			if (ids[i]-ids[i-1])&0x7fff != 1 {
				t.Errorf("%s camera at A: picture id %d follows %d", st.ParticipantID, ids[i], ids[i-1])
				break
			}
		}
	}
}
