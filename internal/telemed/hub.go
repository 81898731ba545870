package telemed

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/store"
)

// Live event types (GET /v1/telemed/events).
const (
	EventVisitCreated       = "visit.created"
	EventVisitUpdated       = "visit.updated"
	EventVisitEnded         = "visit.ended"
	EventWaitingJoined      = "waiting.joined"
	EventWaitingLeft        = "waiting.left"
	EventWaitingAdmitted    = "waiting.admitted"
	EventWaitingMessage     = "waiting.message"
	EventWaitingPosition    = "waiting.position"
	EventParticipantJoined  = "participant.joined"
	EventParticipantLeft    = "participant.left"
	eventReady, eventResync = "ready", "resync"
)

// LiveEvent is one event of the live stream. It names people, so it goes
// only to subscribers who may read the visit's Encounter; targeted events
// (messages, queue positions) only to the person concerned and the hosts.
type LiveEvent struct {
	ID          string           `json:"id"`
	Type        string           `json:"type"`
	Time        time.Time        `json:"time"`
	EncounterID string           `json:"encounterId"`
	MeetingID   string           `json:"meetingId,omitempty"`
	Status      string           `json:"status,omitempty"`
	Participant *LiveParticipant `json:"participant,omitempty"`
	Message     string           `json:"message,omitempty"`
	Position    int              `json:"position,omitempty"`

	seq uint64
	// visit decides who may see the event.
	visit *visitInfo
	// target, when set, is the profile of the only person (besides the
	// hosts) the event is for.
	target string
}

// LiveParticipant is the person an event is about.
type LiveParticipant struct {
	Key     string `json:"key"`
	Profile string `json:"profile,omitempty"`
	Name    string `json:"name"`
	Role    string `json:"role"`
}

// Sizes of the hub. The ring lets a client that reconnects within a few
// minutes of normal traffic catch up instead of reloading everything.
const (
	ringSize      = 4096
	subscriberBuf = 256
)

// hub fans live events out to the open streams of this process. It is in
// memory: several nodes behind a load balancer would each need the others'
// events (PostgreSQL LISTEN/NOTIFY carrying the event, published on every
// node; the visibility decisions stay local).
type hub struct {
	mu   sync.Mutex
	next uint64 // sequence number of the next event
	ring []*LiveEvent
	head int // index of the oldest event when the ring is full
	subs map[*subscriber]struct{}
	// open counts the open streams of each profile; closedAt is when the
	// last one closed (presence has a grace period for reconnects).
	open     map[string]int
	closedAt map[string]time.Time
	closed   bool

	now   func() time.Time
	grace time.Duration
	// away is called once a profile has had no open stream for the grace
	// period.
	away func(profile string)
}

func newHub(now func() time.Time, grace time.Duration, away func(string)) *hub {
	// Sequence numbers start at the start time in microseconds, so the ids
	// of an earlier process are all older than this one's and a client
	// reconnecting after a restart is told to resync.
	return &hub{next: uint64(now().UnixMicro()), subs: map[*subscriber]struct{}{}, open: map[string]int{},
		closedAt: map[string]time.Time{}, now: now, grace: grace, away: away}
}

// subscriber is one open stream.
type subscriber struct {
	id        *auth.Identity
	encounter string // only this visit's events; "" for all
	ch        chan *LiveEvent
	// lost is set when the stream fell behind and events were dropped: it
	// must tell its client to resync.
	lost atomic.Bool
	wake chan struct{}
	done chan struct{}
	// seen caches, per Encounter, the visibility decision and the visit
	// snapshot it was made for; access is the caller's access restriction
	// and when it was computed (used by the stream's goroutine only).
	seen     map[string]decision
	access   *store.Access
	accessAt time.Time
}

type decision struct {
	visit *visitInfo
	read  bool // may read the Encounter
	host  bool
}

// publish assigns ev its sequence number and hands it to every matching
// subscriber without blocking.
func (h *hub) publish(ev *LiveEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ev.seq = h.next
	h.next++
	ev.ID = strconv.FormatUint(ev.seq, 10)
	if len(h.ring) < ringSize {
		h.ring = append(h.ring, ev)
	} else {
		h.ring[h.head] = ev
		h.head = (h.head + 1) % ringSize
	}
	for sub := range h.subs {
		if sub.encounter != "" && sub.encounter != ev.EncounterID {
			continue
		}
		select {
		case sub.ch <- ev:
		default:
			sub.lost.Store(true)
			select {
			case sub.wake <- struct{}{}:
			default:
			}
		}
	}
}

// subscribe opens a stream. With lastID (the client's Last-Event-ID) it
// returns the events after it still in the ring, or resync when they are
// not all there (or lastID is not one of this process's ids).
func (h *hub) subscribe(id *auth.Identity, encounter, lastID string) (sub *subscriber, replay []*LiveEvent, resync bool) {
	sub = &subscriber{id: id, encounter: encounter, ch: make(chan *LiveEvent, subscriberBuf),
		wake: make(chan struct{}, 1), done: make(chan struct{}), seen: map[string]decision{}}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(sub.done)
		return sub, nil, false
	}
	if lastID != "" {
		n, err := strconv.ParseUint(lastID, 10, 64)
		oldest := h.next
		if len(h.ring) > 0 {
			oldest = h.ring[h.head].seq
		}
		switch {
		case err != nil, n >= h.next, n+1 < oldest:
			resync = true
		default:
			for i := range h.ring {
				ev := h.ring[(h.head+i)%len(h.ring)]
				if ev.seq > n && (encounter == "" || ev.EncounterID == encounter) {
					replay = append(replay, ev)
				}
			}
		}
	}
	h.subs[sub] = struct{}{}
	if p := id.FHIRUser; p != "" {
		h.open[p]++
		delete(h.closedAt, p)
	}
	return sub, replay, resync
}

// unsubscribe closes a stream; a profile left without streams is present
// for the grace period, then reported away.
func (h *hub) unsubscribe(sub *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[sub]; !ok {
		return
	}
	delete(h.subs, sub)
	p := sub.id.FHIRUser
	if p == "" {
		return
	}
	if h.open[p]--; h.open[p] > 0 {
		return
	}
	delete(h.open, p)
	at := h.now()
	h.closedAt[p] = at
	if h.closed || h.away == nil {
		return
	}
	time.AfterFunc(h.grace, func() {
		h.mu.Lock()
		gone := !h.closed && h.open[p] == 0 && h.closedAt[p].Equal(at)
		if gone {
			delete(h.closedAt, p)
		}
		h.mu.Unlock()
		if gone {
			h.away(p)
		}
	})
}

// present reports whether profile has an open stream, or had one within
// the grace period.
func (h *hub) present(profile string) bool {
	if profile == "" {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open[profile] > 0 {
		return true
	}
	at, ok := h.closedAt[profile]
	return ok && h.now().Sub(at) < h.grace
}

// close ends every stream (server shutdown: open streams would otherwise
// hold a graceful shutdown until its timeout) and stops away reports.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for sub := range h.subs {
		close(sub.done)
	}
}
