package media

import (
	"testing"
	"time"

	"github.com/housecall/housecall/internal/media/mediatest"
)

func TestNACKRepairsInjectedLoss(t *testing.T) {
	tests := []struct {
		name     string
		pub, sub func(*mediatest.Config)
		dropper  string
	}{
		{"uplink: publisher to SFU", func(c *mediatest.Config) { c.DropOut = 0.05 }, nil, "pub"},
		{"downlink: SFU to subscriber", nil, func(c *mediatest.Config) { c.DropIn = 0.05 }, "sub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			pub := h.dial("visit-n", "Practitioner/1", RoleHost, func(c *mediatest.Config) {
				c.Audio, c.Bitrate, c.Seed = false, 900_000, 7
				if tt.pub != nil {
					tt.pub(c)
				}
			})
			sub := h.dial("visit-n", "Patient/2", RoleParticipant, func(c *mediatest.Config) {
				c.Audio, c.Video, c.Seed = false, false, 11
				if tt.sub != nil {
					tt.sub(c)
				}
			})
			eventually(t, 10*time.Second, "video at the subscriber", func() bool {
				s, ok := from(sub, pub.ID(), "camera")
				return ok && s.Packets > 300
			})
			pub.StopMedia()
			time.Sleep(800 * time.Millisecond) // let the last repairs arrive
			s, _ := from(sub, pub.ID(), "camera")
			dropped := pub.Dropped()
			if tt.dropper == "sub" {
				dropped = sub.Dropped()
			}
			if dropped < 10 {
				t.Fatalf("loss injection dropped only %d packets", dropped)
			}
			if limit := int(s.Packets) / 200; s.Missing > limit {
				t.Fatalf("%d of %d packets missing after NACK (injected %d drops), want <= %d", s.Missing, s.Packets, dropped, limit)
			}
			if tt.dropper == "sub" && h.srv.Stats().NACKs == 0 {
				t.Fatalf("the SFU saw no NACK from the lossy subscriber")
			}
			t.Logf("%d packets, %d dropped on the wire, %d missing at the end", s.Packets, dropped, s.Missing)
		})
	}
}
