package telemed

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestHubReplay(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	h := newHub(clk.now, time.Hour, nil)
	id := &auth.Identity{Kind: auth.KindUser, FHIRUser: "Practitioner/1"}
	var ids []string
	for i := range 10 {
		ev := &LiveEvent{Type: EventVisitUpdated, EncounterID: "e" + strconv.Itoa(i%2)}
		h.publish(ev)
		ids = append(ids, ev.ID)
	}
	first, _ := strconv.ParseUint(ids[0], 10, 64)
	if first != uint64(clk.t.UnixMicro()) {
		t.Errorf("the first id %s does not start at the start time", ids[0])
	}
	for _, tc := range []struct {
		name, last, encounter string
		want                  int
		resync                bool
	}{
		{"no Last-Event-ID", "", "", 0, false},
		{"up to date", ids[9], "", 0, false},
		{"three behind", ids[6], "", 3, false},
		{"the whole ring", strconv.FormatUint(first-1, 10), "", 10, false},
		{"one visit only", ids[5], "e1", 2, false},
		{"older than the ring", strconv.FormatUint(first-2, 10), "", 0, true},
		{"from the future (another process)", strconv.FormatUint(first+100, 10), "", 0, true},
		{"not a number", "abc", "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub, replay, resync := h.subscribe(id, tc.encounter, tc.last)
			defer h.unsubscribe(sub)
			if len(replay) != tc.want || resync != tc.resync {
				t.Fatalf("replay %d resync %v, want %d %v", len(replay), resync, tc.want, tc.resync)
			}
			for i := 1; i < len(replay); i++ {
				if replay[i].seq <= replay[i-1].seq {
					t.Fatalf("replay out of order")
				}
			}
		})
	}
}

func TestHubRingWraps(t *testing.T) {
	h := newHub(time.Now, time.Hour, nil)
	for range ringSize + 5 {
		h.publish(&LiveEvent{Type: EventVisitUpdated, EncounterID: "e"})
	}
	id := &auth.Identity{Kind: auth.KindClient}
	oldest := h.ring[h.head].seq
	if _, _, resync := h.subscribe(id, "", strconv.FormatUint(oldest-2, 10)); !resync {
		t.Errorf("an id overwritten in the ring did not ask for a resync")
	}
	_, replay, resync := h.subscribe(id, "", strconv.FormatUint(oldest-1, 10))
	if resync || len(replay) != ringSize || replay[0].seq != oldest {
		t.Errorf("replay of the full ring: %d events, resync %v", len(replay), resync)
	}
}

func TestHubSlowSubscriberResyncs(t *testing.T) {
	h := newHub(time.Now, time.Hour, nil)
	sub, _, _ := h.subscribe(&auth.Identity{Kind: auth.KindClient}, "", "")
	for range subscriberBuf + 3 {
		h.publish(&LiveEvent{Type: EventVisitUpdated, EncounterID: "e"})
	}
	if !sub.lost.Load() || len(sub.ch) != subscriberBuf || len(sub.wake) != 1 {
		t.Fatalf("lost %v, queued %d, woken %d", sub.lost.Load(), len(sub.ch), len(sub.wake))
	}
	other, _, _ := h.subscribe(&auth.Identity{Kind: auth.KindClient}, "x", "")
	h.publish(&LiveEvent{Type: EventVisitUpdated, EncounterID: "e"})
	if len(other.ch) != 0 {
		t.Errorf("an event of another visit reached a filtered stream")
	}
	h.close()
	select {
	case <-sub.done:
	default:
		t.Errorf("close did not end the streams")
	}
}

func TestHubPresence(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	away := make(chan string, 4)
	h := newHub(clk.now, 50*time.Millisecond, func(p string) { away <- p })
	id := &auth.Identity{Kind: auth.KindUser, FHIRUser: "Patient/1"}
	if h.present("Patient/1") {
		t.Fatal("present before any stream")
	}
	a, _, _ := h.subscribe(id, "", "")
	b, _, _ := h.subscribe(id, "e", "")
	h.unsubscribe(a)
	if !h.present("Patient/1") {
		t.Fatal("not present with one stream still open")
	}
	h.unsubscribe(b)
	clk.add(40 * time.Millisecond)
	if !h.present("Patient/1") {
		t.Fatal("not present within the grace period")
	}
	clk.add(20 * time.Millisecond)
	if h.present("Patient/1") {
		t.Fatal("present after the grace period")
	}
	select {
	case p := <-away:
		if p != "Patient/1" {
			t.Fatalf("away: %s", p)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no away report after the grace period")
	}
	// A reconnect within the grace period cancels the away report.
	c, _, _ := h.subscribe(id, "", "")
	h.unsubscribe(c)
	d, _, _ := h.subscribe(id, "", "")
	defer h.unsubscribe(d)
	select {
	case p := <-away:
		t.Fatalf("reported away while connected: %s", p)
	case <-time.After(150 * time.Millisecond):
	}
}
