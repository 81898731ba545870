package media

import (
	"strings"
	"sync"

	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/signal"
)

// negotiator runs offer/answer for one participant's PeerConnection.
//
// Roles: the client sends the first offer. Afterwards the server offers
// whenever its subscriptions change (or to restart ICE) and the client may
// offer when it publishes or unpublishes. On glare the server is the
// impolite peer: a client offer that arrives while a server offer is
// outstanding is ignored; the client rolls its own back, answers the
// server's offer and offers again.
type negotiator struct {
	p *participant

	mu           sync.Mutex
	needOffer    bool
	needRestart  bool
	gotOffer     bool
	pendingCands []webrtc.ICECandidateInit
	// deferred holds subscriptions that arrived before the client's first
	// offer: a transceiver added then could be matched to one of the
	// client's own media sections.
	deferred []*upTrack

	// Local candidates gathered while a description is being produced wait
	// until that description is queued: after an ICE restart a candidate
	// with the new ufrag must not overtake the SDP that announces it.
	candMu    sync.Mutex
	holding   bool
	heldCands []signal.Candidate
}

const maxPendingCandidates = 64

func (n *negotiator) onLocalCandidate(c *webrtc.ICECandidate) {
	if c == nil {
		return
	}
	init := c.ToJSON()
	msg := signal.Candidate{Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex, UsernameFragment: init.UsernameFragment}
	n.candMu.Lock()
	if n.holding {
		n.heldCands = append(n.heldCands, msg)
		n.candMu.Unlock()
		return
	}
	n.candMu.Unlock()
	n.p.send(signal.TypeCandidate, &msg)
}

// hold starts holding local candidates; release sends them after the
// description that precedes them.
func (n *negotiator) hold() {
	n.candMu.Lock()
	n.holding = true
	n.candMu.Unlock()
}

func (n *negotiator) release() {
	n.candMu.Lock()
	held := n.heldCands
	n.heldCands, n.holding = nil, false
	n.candMu.Unlock()
	for i := range held {
		n.p.send(signal.TypeCandidate, &held[i])
	}
}

// remoteUfrag is the ICE username fragment of the current remote description.
func (n *negotiator) remoteUfrag() string {
	rd := n.p.pc.RemoteDescription()
	if rd == nil {
		return ""
	}
	_, rest, ok := strings.Cut(rd.SDP, "a=ice-ufrag:")
	if !ok {
		return ""
	}
	ufrag, _, _ := strings.Cut(rest, "\r\n")
	return strings.TrimSpace(ufrag)
}

func (n *negotiator) onOffer(sdp string) error {
	pc := n.p.pc
	n.mu.Lock()
	if pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		n.mu.Unlock()
		n.p.log.Debug("glare: ignoring client offer")
		return nil
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		n.mu.Unlock()
		return softErr(signal.CodeNegotiation, "offer refused", err)
	}
	n.flushCandidatesLocked()
	answer, err := pc.CreateAnswer(nil)
	if err == nil {
		n.hold()
		err = pc.SetLocalDescription(answer)
	}
	if err != nil {
		n.release()
		n.mu.Unlock()
		return softErr(signal.CodeNegotiation, "cannot answer the offer", err)
	}
	n.gotOffer = true
	n.p.send(signal.TypeAnswer, &signal.SessionDescription{SDP: answer.SDP})
	n.release()
	deferred := n.deferred
	n.deferred = nil
	n.mu.Unlock()
	for _, up := range deferred {
		n.p.subscribe(up)
	}
	n.maybeOffer()
	return nil
}

func (n *negotiator) onAnswer(sdp string) error {
	pc := n.p.pc
	n.mu.Lock()
	if pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		n.mu.Unlock()
		// An answer to an offer withdrawn by an ICE restart: harmless.
		return softErr(signal.CodeNegotiation, "no offer outstanding", nil)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		n.mu.Unlock()
		return softErr(signal.CodeNegotiation, "answer refused", err)
	}
	n.flushCandidatesLocked()
	n.mu.Unlock()
	n.maybeOffer()
	return nil
}

func (n *negotiator) onCandidate(c *signal.Candidate) error {
	if c.Candidate == "" {
		return nil // end of candidates
	}
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}
	n.mu.Lock()
	defer n.mu.Unlock()
	// Keep candidates for a description not applied yet: none at all, or
	// (after an ICE restart) one with another ufrag that may be on its way.
	if n.p.pc.RemoteDescription() == nil || c.UsernameFragment != nil && *c.UsernameFragment != "" && *c.UsernameFragment != n.remoteUfrag() {
		if len(n.pendingCands) == maxPendingCandidates {
			n.pendingCands = n.pendingCands[1:] // keep the newest
		}
		n.pendingCands = append(n.pendingCands, init)
		return nil
	}
	if err := n.p.pc.AddICECandidate(init); err != nil {
		// Stale candidates from before an ICE restart land here.
		n.p.log.Debug("add candidate", "err", err)
	}
	return nil
}

// flushCandidatesLocked applies the candidates that match the remote
// description just set and keeps those that may belong to a later one.
func (n *negotiator) flushCandidatesLocked() {
	ufrag := n.remoteUfrag()
	keep := n.pendingCands[:0]
	for _, c := range n.pendingCands {
		if c.UsernameFragment != nil && *c.UsernameFragment != "" && *c.UsernameFragment != ufrag {
			keep = append(keep, c)
			continue
		}
		if err := n.p.pc.AddICECandidate(c); err != nil {
			n.p.log.Debug("add candidate", "err", err)
		}
	}
	n.pendingCands = keep
}

// changed marks that the set of forwarded tracks changed.
func (n *negotiator) changed() {
	n.mu.Lock()
	n.needOffer = true
	n.mu.Unlock()
	n.maybeOffer()
}

// restartICE withdraws an outstanding offer (it may have gone to a dead
// connection) and offers again with new ICE credentials.
func (n *negotiator) restartICE() {
	n.mu.Lock()
	n.needRestart = true
	if n.p.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		if err := n.p.pc.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback}); err != nil {
			n.p.log.Debug("rollback", "err", err)
		}
		n.needOffer = true
	}
	n.mu.Unlock()
	n.maybeOffer()
}

// maybeOffer sends a server offer if one is needed and allowed now.
func (n *negotiator) maybeOffer() {
	p := n.p
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.needOffer && !n.needRestart || !n.gotOffer {
		return
	}
	p.mu.Lock()
	attached := p.conn != nil && !p.left
	p.mu.Unlock()
	if !attached || p.pc.SignalingState() != webrtc.SignalingStateStable {
		return
	}
	restart := n.needRestart
	n.hold()
	defer n.release()
	offer, err := p.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err == nil {
		err = p.pc.SetLocalDescription(offer)
	}
	if err != nil {
		p.log.Warn("create offer", "err", err)
		return
	}
	n.needOffer, n.needRestart = false, false
	p.send(signal.TypeOffer, &signal.SessionDescription{SDP: offer.SDP, ICERestart: restart, Tracks: p.midMap()})
}

// midMap attributes each media section that carries a remote track.
func (p *participant) midMap() map[string]signal.TrackRef {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string]signal.TrackRef, len(p.subs))
	for up, d := range p.subs {
		if d.transceiver == nil {
			continue
		}
		if mid := d.transceiver.Mid(); mid != "" {
			m[mid] = signal.TrackRef{ParticipantID: up.owner.id, TrackID: up.id, Kind: up.kind}
		}
	}
	return m
}

// subscribe starts forwarding up to p.
func (p *participant) subscribe(up *upTrack) {
	if up.owner == p {
		return
	}
	d := newDownTrack(up, p)
	p.mu.Lock()
	if p.left || p.subs[up] != nil {
		p.mu.Unlock()
		return
	}
	p.subs[up] = d
	p.mu.Unlock()

	n := &p.neg
	n.mu.Lock()
	if !n.gotOffer {
		n.deferred = append(n.deferred, up)
		n.mu.Unlock()
		p.mu.Lock()
		delete(p.subs, up)
		p.mu.Unlock()
		return
	}
	tr, err := p.pc.AddTransceiverFromTrack(d, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		n.mu.Unlock()
		p.log.Debug("add transceiver", "err", err)
		p.mu.Lock()
		delete(p.subs, up)
		p.mu.Unlock()
		return
	}
	if pref, ok := d.codecPreference(); ok {
		_ = tr.SetCodecPreferences([]webrtc.RTPCodecParameters{pref})
	}
	p.mu.Lock()
	d.transceiver, d.sender = tr, tr.Sender()
	gone := p.subs[up] != d
	p.mu.Unlock()
	if gone { // unsubscribed meanwhile
		_ = p.pc.RemoveTrack(tr.Sender())
		n.mu.Unlock()
		return
	}
	n.needOffer = true
	n.mu.Unlock()
	go d.drainRTCP(tr.Sender())
	if !up.addSub(d) {
		p.unsubscribe(up)
		return
	}
	n.maybeOffer()
}

// unsubscribe stops forwarding up to p.
func (p *participant) unsubscribe(up *upTrack) {
	p.mu.Lock()
	d := p.subs[up]
	delete(p.subs, up)
	left := p.left
	p.mu.Unlock()
	if d == nil {
		return
	}
	up.removeSub(d)
	if left {
		return
	}
	n := &p.neg
	n.mu.Lock()
	if d.sender != nil {
		if err := p.pc.RemoveTrack(d.sender); err != nil {
			p.log.Debug("remove track", "err", err)
		}
	}
	n.needOffer = true
	n.mu.Unlock()
	n.maybeOffer()
}
