package media

import (
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/housecall/housecall/internal/signal"
)

// room is one video visit: its participants and the periodic work (dominant
// speaker, layer allocation, network quality) that spans them.
type room struct {
	id      string
	srv     *Server
	log     *slog.Logger
	created time.Time

	mu         sync.Mutex
	parts      map[string]*participant
	order      []*participant // join order
	closed     bool
	mode       string
	emptyTimer *time.Timer
	stop       chan struct{}

	// Touched only by the loop goroutine.
	speakers *speakerDetector
}

func newRoom(s *Server, id string) *room {
	r := &room{
		id:       id,
		srv:      s,
		log:      s.log.With("room", id),
		created:  s.opts.Now(),
		parts:    map[string]*participant{},
		mode:     signal.ModeTwoParty,
		stop:     make(chan struct{}),
		speakers: newSpeakerDetector(),
	}
	// A room is created by its first join; if that join fails, nobody is in
	// it and the timer removes it.
	r.emptyTimer = time.AfterFunc(s.opts.EmptyRoomTimeout, r.onEmptyTimeout)
	go r.loop()
	return r
}

// profile is what clients should publish in a room of the given mode.
func profile(mode string) signal.PublishProfile {
	p := signal.PublishProfile{
		Mode:  mode,
		Video: signal.VideoProfile{Width: 1280, Height: 720, FPS: 24, MaxBitrate: 1_500_000, Codec: "video/VP8"},
	}
	if mode == signal.ModeSimulcast {
		p.Layers = []signal.Layer{
			{RID: "q", ScaleDownBy: 4, MaxBitrate: nominalBitrate[0], MaxFPS: 15},
			{RID: "h", ScaleDownBy: 2, MaxBitrate: nominalBitrate[1], MaxFPS: 24},
			{RID: "f", ScaleDownBy: 1, MaxBitrate: nominalBitrate[2], MaxFPS: 24},
		}
	}
	return p
}

func modeFor(n int) string {
	if n <= 2 {
		return signal.ModeTwoParty
	}
	return signal.ModeSimulcast
}

// join admits a participant, replacing an earlier connection of the same
// identity.
func (r *room) join(g Grant, c *sigConn) (*participant, error) {
	p, err := newParticipant(r, g)
	if err != nil {
		return nil, err
	}
	ice := p.iceServers()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		p.closePC()
		return nil, ErrRoomClosed
	}
	old := r.parts[g.ParticipantID]
	n := len(r.parts)
	if old != nil {
		n--
	}
	if n >= r.srv.opts.MaxParticipants {
		r.mu.Unlock()
		p.closePC()
		return nil, ErrRoomFull
	}
	if old != nil {
		r.removeLocked(old)
	}
	r.parts[p.id] = p
	r.order = append(r.order, p)
	r.emptyTimer.Stop()
	modeChanged := r.updateModeLocked()
	mode := r.mode
	var (
		snapshot = []signal.Participant{}
		tracks   []*upTrack
		others   []*participant
	)
	for _, o := range r.order {
		if o == p {
			continue
		}
		others = append(others, o)
		snapshot = append(snapshot, o.wire())
		tracks = append(tracks, o.announcedTracks()...)
	}
	// Queued under the room lock so that "joined" precedes any broadcast
	// that mentions the newcomer.
	p.attach(c)
	p.send(signal.TypeJoined, &signal.Joined{
		ParticipantID:    p.id,
		ResumeSecret:     p.resumeSecret,
		RoomID:           r.id,
		Name:             g.Name,
		Role:             g.Role,
		CanPublish:       g.CanPublish,
		CanModerate:      g.CanModerate,
		Participants:     snapshot,
		ICEServers:       ice,
		Profile:          profile(mode),
		ReconnectGraceMs: r.srv.opts.ReconnectGrace.Milliseconds(),
		ActiveSpeaker:    r.speakers.currentID(),
	})
	r.mu.Unlock()

	if old != nil {
		old.kick(signal.CodeReplaced, "connected again elsewhere", "replaced")
		r.announceLeft(others, old, "replaced")
	}
	r.broadcast(others, signal.TypeParticipantJoined, &signal.ParticipantJoined{Participant: p.wire()})
	r.srv.emit(Event{Type: EventJoined, RoomID: r.id, ParticipantID: p.id, Role: g.Role})
	for _, up := range tracks {
		p.subscribe(up)
	}
	if modeChanged {
		r.broadcast(others, signal.TypePublishProfile, ptr(profile(mode)))
	}
	return p, nil
}

func ptr[T any](v T) *T { return &v }

// resume reattaches a participant within its reconnect grace.
func (r *room) resume(g Grant, secret string, c *sigConn) (*participant, error) {
	p := r.get(g.ParticipantID)
	if p == nil || !p.checkSecret(secret) {
		return nil, fatalErr(signal.CodeResumeFailed, "nothing to resume, join again", nil)
	}
	if err := p.reattach(c); err != nil {
		return nil, err
	}
	return p, nil
}

func (r *room) get(id string) *participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.parts[id]
}

func (r *room) members() []*participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*participant(nil), r.order...)
}

// removeLocked drops p from the maps; the caller holds r.mu.
func (r *room) removeLocked(p *participant) bool {
	if r.parts[p.id] != p {
		return false
	}
	delete(r.parts, p.id)
	for i, o := range r.order {
		if o == p {
			r.order = append(r.order[:i:i], r.order[i+1:]...)
			break
		}
	}
	if len(r.parts) == 0 && !r.closed {
		r.emptyTimer.Reset(r.srv.opts.EmptyRoomTimeout)
	}
	return true
}

// remove takes a departing participant out and tells the others.
func (r *room) remove(p *participant, reason string) {
	r.mu.Lock()
	if !r.removeLocked(p) {
		r.mu.Unlock()
		return
	}
	modeChanged := r.updateModeLocked()
	mode := r.mode
	others := append([]*participant(nil), r.order...)
	r.mu.Unlock()
	r.announceLeft(others, p, reason)
	if modeChanged {
		r.broadcast(others, signal.TypePublishProfile, ptr(profile(mode)))
	}
}

func (r *room) announceLeft(others []*participant, p *participant, reason string) {
	r.broadcast(others, signal.TypeParticipantLeft, &signal.ParticipantLeft{ParticipantID: p.id, Reason: reason})
	r.srv.emit(Event{Type: EventLeft, RoomID: r.id, ParticipantID: p.id, Role: p.grant.Role, Reason: reason})
}

func (r *room) updateModeLocked() bool {
	m := modeFor(len(r.parts))
	if m == r.mode {
		return false
	}
	r.mode = m
	return true
}

func (r *room) onEmptyTimeout() {
	r.mu.Lock()
	empty := len(r.parts) == 0
	r.mu.Unlock()
	if empty {
		r.shutdown("empty", false)
	}
}

// close is CloseRoom: everyone gets room-closed and later joins are refused.
func (r *room) close(reason string) { r.shutdown(reason, reason != "server-shutdown") }

func (r *room) shutdown(reason string, tombstone bool) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	parts := r.order
	r.parts, r.order = map[string]*participant{}, nil
	r.mu.Unlock()
	close(r.stop)
	r.emptyTimer.Stop()
	msg := signal.MustEncode(signal.TypeRoomClosed, "", &signal.RoomClosed{Reason: reason})
	for _, p := range parts {
		p.terminate(msg, "room-closed")
		r.srv.emit(Event{Type: EventLeft, RoomID: r.id, ParticipantID: p.id, Role: p.grant.Role, Reason: "room-closed"})
	}
	r.srv.dropRoom(r, tombstone)
	r.srv.emit(Event{Type: EventRoomClosed, RoomID: r.id, Reason: reason})
}

// publish announces a new track to the room and subscribes everyone else.
func (r *room) publish(up *upTrack) {
	r.mu.Lock()
	if r.closed || r.parts[up.owner.id] != up.owner || !up.announce() {
		r.mu.Unlock()
		return
	}
	var others []*participant
	for _, o := range r.order {
		if o != up.owner {
			others = append(others, o)
		}
	}
	r.mu.Unlock()
	r.broadcast(others, signal.TypeTrackPublished, &signal.TrackPublished{ParticipantID: up.owner.id, Track: up.wire()})
	if up.kind == signal.KindScreen {
		r.srv.emit(Event{Type: EventScreenStarted, RoomID: r.id, ParticipantID: up.owner.id, Role: up.owner.grant.Role})
	}
	for _, o := range others {
		o.subscribe(up)
	}
}

// unpublish withdraws a track from every subscriber.
func (r *room) unpublish(up *upTrack) {
	if !up.close() {
		return
	}
	for _, d := range up.subscribers() {
		d.sub.unsubscribe(up)
	}
	if !up.wasAnnounced() {
		return
	}
	r.broadcast(r.membersExcept(up.owner), signal.TypeTrackUnpublished,
		&signal.TrackUnpublished{ParticipantID: up.owner.id, TrackID: up.id})
	if up.kind == signal.KindScreen {
		r.srv.emit(Event{Type: EventScreenStopped, RoomID: r.id, ParticipantID: up.owner.id, Role: up.owner.grant.Role})
	}
}

func (r *room) membersExcept(p *participant) []*participant {
	all := r.members()
	out := all[:0]
	for _, o := range all {
		if o != p {
			out = append(out, o)
		}
	}
	return out
}

// broadcast encodes once and queues the message for each recipient.
func (r *room) broadcast(to []*participant, t signal.Type, body any) {
	if len(to) == 0 {
		return
	}
	b, err := signal.Encode(t, "", body)
	if err != nil {
		r.log.Error("encode broadcast", "type", t, "err", err)
		return
	}
	for _, p := range to {
		p.sendRaw(b)
	}
}

func (r *room) info() RoomInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return RoomInfo{ID: r.id, Participants: len(r.parts), Created: r.created, Profile: r.mode}
}

func (r *room) participantInfos() []ParticipantInfo {
	ps := r.members()
	out := make([]ParticipantInfo, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.infoSnapshot())
	}
	return out
}

// Periods of the room loop.
const (
	speakerTick = 250 * time.Millisecond
	allocEvery  = 2 // speaker ticks between layer allocations
)

func (r *room) loop() {
	t := time.NewTicker(speakerTick)
	defer t.Stop()
	lastQuality := time.Now()
	for n := 0; ; n++ {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		ps := r.members()
		r.tickSpeakers(ps)
		if n%allocEvery == 0 {
			r.allocateAll(ps)
		}
		if time.Since(lastQuality) >= r.srv.opts.QualityInterval {
			lastQuality = time.Now()
			r.tickQuality(ps)
		}
	}
}

func (r *room) tickSpeakers(ps []*participant) {
	samples := make(map[string]float64, len(ps))
	for _, p := range ps {
		if v, ok := p.speech.take(); ok {
			samples[p.id] = v
		} else {
			samples[p.id] = 0
		}
	}
	if !r.speakers.update(samples) {
		return
	}
	msg := signal.ActiveSpeaker{ParticipantID: r.speakers.currentID()}
	for _, l := range r.speakers.levels() {
		msg.Speakers = append(msg.Speakers, signal.SpeakerLevel{ParticipantID: l.id, Level: l.level})
	}
	r.broadcast(ps, signal.TypeActiveSpeaker, &msg)
}

func (r *room) tickQuality(ps []*participant) {
	if len(ps) == 0 {
		return
	}
	msg := signal.NetworkQuality{Scores: make([]signal.QualityScore, 0, len(ps))}
	for _, p := range ps {
		msg.Scores = append(msg.Scores, signal.QualityScore{ParticipantID: p.id, Score: p.updateQuality()})
	}
	sort.Slice(msg.Scores, func(i, j int) bool { return msg.Scores[i].ParticipantID < msg.Scores[j].ParticipantID })
	r.broadcast(ps, signal.TypeNetworkQuality, &msg)
}
