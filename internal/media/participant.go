package media

import (
	"crypto/subtle"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/signal"
)

// participant is one person in a room: a PeerConnection on which it both
// publishes and subscribes, and the signalling connection currently
// attached to it (none while it reconnects).
type participant struct {
	id           string
	room         *room
	srv          *Server
	grant        Grant
	resumeSecret string
	joinedAt     time.Time
	log          *slog.Logger
	pc           *webrtc.PeerConnection
	bwe          *bwe
	speech       speechMeter
	quality      qualityState
	rtcpSSRC     uint32
	stop         chan struct{} // closed when the PeerConnection closes
	twccMu       sync.Mutex
	twccRec      *twcc.Recorder
	twccPending  int
	direct       atomic.Pointer[directPeer] // set once connected over UDP

	mu           sync.Mutex
	conn         *sigConn
	sigUp, iceUp bool
	everUp       bool
	state        string
	left         bool
	graceTimer   *time.Timer
	pending      map[string]signal.Publish // announced by "publish", not yet arrived
	published    map[string]*upTrack
	subs         map[*upTrack]*downTrack
	mutedKinds   map[signal.TrackKind]string // kind → moderator who muted it
	score        int

	neg      negotiator
	stopOnce sync.Once
}

func newParticipant(r *room, g Grant) (*participant, error) {
	s := r.srv
	p := &participant{
		id:           g.ParticipantID,
		room:         r,
		srv:          s,
		grant:        g,
		resumeSecret: s.randomID(18),
		joinedAt:     s.opts.Now(),
		log:          r.log.With("participant", g.ParticipantID),
		bwe:          newBWE(time.Now),
		state:        signal.StateActive,
		pending:      map[string]signal.Publish{},
		published:    map[string]*upTrack{},
		subs:         map[*upTrack]*downTrack{},
		mutedKinds:   map[signal.TrackKind]string{},
		score:        5,
	}
	p.neg.p = p
	p.rtcpSSRC = s.randomUint32()
	pc, err := s.eng.api.NewPeerConnection(webrtc.Configuration{
		BundlePolicy:  webrtc.BundlePolicyMaxBundle,
		RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire,
	})
	if err != nil {
		return nil, err
	}
	p.pc = pc
	pc.OnTrack(p.onTrack)
	pc.OnICECandidate(p.neg.onLocalCandidate)
	pc.OnICEConnectionStateChange(p.onICEState)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			p.setupDirect()
		}
	})
	pc.SCTP().Transport().ICETransport().OnSelectedCandidatePairChange(func(*webrtc.ICECandidatePair) {
		if p.direct.Load() != nil { // before DTLS is up, Connected sets it up
			p.setupDirect()
		}
	})
	p.stop = make(chan struct{})
	go p.rtcpLoop()
	return p, nil
}

func (p *participant) info() Participant {
	return Participant{RoomID: p.room.id, ID: p.id, Name: p.grant.Name, Role: p.grant.Role}
}

func (p *participant) iceServers() []signal.ICEServer {
	out := []signal.ICEServer{}
	if p.srv.opts.ICEServers == nil {
		return out
	}
	for _, s := range p.srv.opts.ICEServers(p.info()) {
		if len(s.URLs) == 0 {
			continue
		}
		cred, _ := s.Credential.(string)
		out = append(out, signal.ICEServer{URLs: s.URLs, Username: s.Username, Credential: cred})
	}
	return out
}

func (p *participant) checkSecret(s string) bool {
	return subtle.ConstantTimeCompare([]byte(s), []byte(p.resumeSecret)) == 1
}

// send encodes and queues a message for this participant's client.
func (p *participant) send(t signal.Type, body any) {
	b, err := signal.Encode(t, "", body)
	if err != nil {
		p.log.Error("encode", "type", t, "err", err)
		return
	}
	p.sendRaw(b)
}

func (p *participant) sendRaw(b []byte) {
	p.mu.Lock()
	c := p.conn
	p.mu.Unlock()
	if c != nil {
		c.send(b)
	}
}

// attach binds the first signalling connection.
func (p *participant) attach(c *sigConn) {
	p.mu.Lock()
	p.conn, p.sigUp = c, true
	p.mu.Unlock()
}

// reattach binds a new connection after a resume and restarts ICE.
func (p *participant) reattach(c *sigConn) error {
	r := p.room
	r.mu.Lock()
	p.mu.Lock()
	if p.left || r.parts[p.id] != p {
		p.mu.Unlock()
		r.mu.Unlock()
		return fatalErr(signal.CodeResumeFailed, "nothing to resume, join again", nil)
	}
	old := p.conn
	p.conn, p.sigUp = c, true
	p.mu.Unlock()
	snapshot := []signal.Participant{}
	for _, o := range r.order {
		if o != p {
			snapshot = append(snapshot, o.wire())
		}
	}
	mode := r.mode
	p.send(signal.TypeJoined, &signal.Joined{
		ParticipantID:    p.id,
		ResumeSecret:     p.resumeSecret,
		RoomID:           r.id,
		Name:             p.grant.Name,
		Role:             p.grant.Role,
		CanPublish:       p.grant.CanPublish,
		CanModerate:      p.grant.CanModerate,
		Resumed:          true,
		Participants:     snapshot,
		ICEServers:       p.iceServers(),
		Profile:          profile(mode),
		ReconnectGraceMs: p.srv.opts.ReconnectGrace.Milliseconds(),
		ActiveSpeaker:    r.speakers.currentID(),
	})
	r.mu.Unlock()
	if old != nil && old != c {
		old.closeWith(nil, websocket.StatusGoingAway, "resumed elsewhere")
	}
	p.updateState()
	p.neg.restartICE()
	return nil
}

// connLost is called when a signalling connection's reader ends.
func (p *participant) connLost(c *sigConn) {
	p.mu.Lock()
	if p.conn != c || p.left {
		p.mu.Unlock()
		return
	}
	p.conn, p.sigUp = nil, false
	p.mu.Unlock()
	p.updateState()
}

func (p *participant) onICEState(s webrtc.ICEConnectionState) {
	p.log.Debug("ice state", "state", s.String())
	switch s {
	case webrtc.ICEConnectionStateConnected, webrtc.ICEConnectionStateCompleted:
		p.mu.Lock()
		p.iceUp, p.everUp = true, true
		p.mu.Unlock()
	case webrtc.ICEConnectionStateDisconnected:
		p.mu.Lock()
		p.iceUp = false
		p.mu.Unlock()
	case webrtc.ICEConnectionStateFailed:
		p.mu.Lock()
		p.iceUp = false
		p.mu.Unlock()
		p.neg.restartICE()
	default:
		return
	}
	p.updateState()
}

// updateState derives active/reconnecting from the signalling and ICE
// links and runs the reconnect grace timer.
func (p *participant) updateState() {
	p.mu.Lock()
	if p.left {
		p.mu.Unlock()
		return
	}
	next := signal.StateActive
	if !p.sigUp || (p.everUp && !p.iceUp) {
		next = signal.StateReconnecting
	}
	if next == p.state {
		p.mu.Unlock()
		return
	}
	p.state = next
	if next == signal.StateReconnecting {
		p.graceTimer = time.AfterFunc(p.srv.opts.ReconnectGrace, func() {
			p.mu.Lock()
			expired := !p.left && p.state == signal.StateReconnecting
			p.mu.Unlock()
			if expired {
				p.log.Info("reconnect grace expired")
				p.leave("timeout")
			}
		})
	} else if p.graceTimer != nil {
		p.graceTimer.Stop()
		p.graceTimer = nil
	}
	p.mu.Unlock()

	ev := EventReconnected
	if next == signal.StateReconnecting {
		ev = EventReconnecting
	}
	p.srv.emit(Event{Type: ev, RoomID: p.room.id, ParticipantID: p.id, Role: p.grant.Role})
	p.room.broadcast(p.room.membersExcept(p), signal.TypeParticipantState,
		&signal.ParticipantState{ParticipantID: p.id, State: next})
	if next == signal.StateActive {
		p.neg.maybeOffer()
	}
}

// leave ends the participant's session and tells the room.
func (p *participant) leave(reason string) {
	if p.terminate(nil, reason) {
		p.room.remove(p, reason)
	}
}

// kick ends the session with an error message to the client.
func (p *participant) kick(code signal.Code, msg, reason string) {
	b := signal.MustEncode(signal.TypeError, "", &signal.Error{Code: code, Message: msg, Fatal: true})
	if p.terminate(b, reason) {
		p.room.remove(p, reason)
	}
}

// terminate closes the connection (after a last message), the tracks and
// the PeerConnection; it reports false if the participant had already left.
func (p *participant) terminate(last []byte, reason string) bool {
	p.mu.Lock()
	if p.left {
		p.mu.Unlock()
		return false
	}
	p.left = true
	if p.graceTimer != nil {
		p.graceTimer.Stop()
	}
	c := p.conn
	p.conn = nil
	ups := make([]*upTrack, 0, len(p.published))
	for _, up := range p.published {
		ups = append(ups, up)
	}
	p.published = map[string]*upTrack{}
	downs := make([]*downTrack, 0, len(p.subs))
	for _, d := range p.subs {
		downs = append(downs, d)
	}
	p.subs = map[*upTrack]*downTrack{}
	p.mu.Unlock()

	if c != nil {
		c.closeWith(last, websocket.StatusNormalClosure, reason)
	}
	for _, up := range ups {
		p.room.unpublish(up)
	}
	for _, d := range downs {
		d.up.removeSub(d)
	}
	p.closePC()
	return true
}

func (p *participant) closePC() {
	p.stopOnce.Do(func() { close(p.stop) })
	if dp := p.direct.Load(); dp != nil {
		dp.close()
	}
	if err := p.pc.Close(); err != nil {
		p.log.Debug("close peer connection", "err", err)
	}
}

// wire describes the participant for other clients.
func (p *participant) wire() signal.Participant {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := signal.Participant{ID: p.id, Name: p.grant.Name, Role: p.grant.Role, State: p.state, Tracks: []signal.Track{}}
	for _, up := range p.published {
		if up.wasAnnounced() {
			w.Tracks = append(w.Tracks, up.wire())
		}
	}
	return w
}

func (p *participant) announcedTracks() []*upTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*upTrack
	for _, up := range p.published {
		if up.wasAnnounced() {
			out = append(out, up)
		}
	}
	return out
}

func (p *participant) infoSnapshot() ParticipantInfo {
	p.mu.Lock()
	info := ParticipantInfo{
		Participant:       p.info(),
		State:             p.state,
		Joined:            p.joinedAt,
		Quality:           p.score,
		BandwidthEstimate: p.bwe.Estimate(),
	}
	ups := make([]*upTrack, 0, len(p.published))
	for _, up := range p.published {
		ups = append(ups, up)
	}
	p.mu.Unlock()
	for _, up := range ups {
		info.Tracks = append(info.Tracks, up.info())
	}
	return info
}

func (p *participant) addStats(st *Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, up := range p.published {
		up.addStats(st)
	}
	for _, d := range p.subs {
		st.PacketsOut += d.packets.Load()
		st.BytesOut += d.bytes.Load()
	}
	if dp := p.direct.Load(); dp != nil && !dp.isClosed() {
		st.DirectIn += dp.rxPackets.Load()
		st.DirectOut += dp.txPackets.Load()
		st.DirectFallbacks += dp.rxFallbacks.Load()
		st.DirectRTCP += dp.rtcpPackets.Load()
	}
}
