package media

import (
	"context"
	"fmt"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/signal"
)

// maxTracks bounds what one participant may publish (microphone, camera,
// screen, screen audio, and some slack for replacements).
const maxTracks = 8

// handle acts on one validated client message after admission.
func (p *participant) handle(ctx context.Context, m signal.Message) error {
	switch b := m.Body.(type) {
	case *signal.SessionDescription:
		if m.Type == signal.TypeOffer {
			return p.neg.onOffer(b.SDP)
		}
		return p.neg.onAnswer(b.SDP)
	case *signal.Candidate:
		return p.neg.onCandidate(b)
	case *signal.Publish:
		return p.announce(b)
	case *signal.Unpublish:
		return p.unpublish(b.TrackID)
	case *signal.Mute:
		return p.onMute(b)
	case *signal.Subscription:
		return p.onSubscription(b)
	case *signal.Chat:
		return p.onChat(ctx, m.ID, b.Text)
	case *signal.Ping:
		p.sendRaw(signal.MustEncode(signal.TypePong, m.ID, &signal.Ping{}))
		return nil
	case *signal.Remove:
		return p.onRemove(b)
	case *signal.Leave:
		p.leave("left")
		return nil
	case *signal.Join, *signal.Resume:
		return fatalErr(signal.CodeBadRequest, "already joined", nil)
	}
	return fatalErr(signal.CodeBadRequest, fmt.Sprintf("unexpected message %q", m.Type), nil)
}

// announce records a publish message; the media follows in an offer.
func (p *participant) announce(b *signal.Publish) error {
	if !p.grant.CanPublish {
		return softErr(signal.CodeForbidden, "this participant may not publish", ErrForbidden)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pending[b.TrackID]; !ok && len(p.pending)+len(p.published) >= maxTracks {
		return softErr(signal.CodeBadRequest, "too many tracks", nil)
	}
	p.pending[b.TrackID] = *b
	return nil
}

// onTrack is pion's callback for each arriving stream (each simulcast
// layer of a track arrives separately).
func (p *participant) onTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	id := remote.ID()
	p.mu.Lock()
	if p.left || !p.grant.CanPublish {
		p.mu.Unlock()
		_ = recv.Stop()
		return
	}
	up := p.published[id]
	created := false
	if up == nil {
		if len(p.published) >= maxTracks {
			p.mu.Unlock()
			_ = recv.Stop()
			return
		}
		pub, ok := p.pending[id]
		kind := pub.Kind
		if !ok {
			// Unannounced: infer what it most likely is.
			kind = signal.KindCamera
			if remote.Kind() == webrtc.RTPCodecTypeAudio {
				kind = signal.KindMicrophone
			}
		}
		delete(p.pending, id)
		up = newUpTrack(p, id, kind, remote, recv)
		up.muted.Store(pub.Muted)
		if _, ok := p.mutedKinds[kind]; ok {
			up.muted.Store(true)
			up.serverMuted.Store(true)
		}
		p.published[id] = up
		created = true
	}
	p.mu.Unlock()
	l := up.addLayer(remote, recv)
	if l == nil {
		return
	}
	p.log.Debug("track", "id", id, "rid", remote.RID(), "codec", remote.Codec().MimeType)
	p.routeLayer(l)
	go l.readLoop()
	if created {
		p.room.publish(up)
	}
	// Start the new layer with a keyframe.
	_ = p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: l.ssrc}})
}

// trackEnded runs when every layer of a track stopped (transceiver stopped
// or the connection closed).
func (p *participant) trackEnded(up *upTrack) {
	p.mu.Lock()
	if p.published[up.id] == up {
		delete(p.published, up.id)
	}
	p.mu.Unlock()
	p.room.unpublish(up)
}

func (p *participant) unpublish(trackID string) error {
	p.mu.Lock()
	up := p.published[trackID]
	delete(p.published, trackID)
	delete(p.pending, trackID)
	p.mu.Unlock()
	if up != nil {
		p.room.unpublish(up)
	}
	return nil
}

// onMute handles a client's own mute state, or a moderator muting someone.
func (p *participant) onMute(b *signal.Mute) error {
	if b.ParticipantID != "" && b.ParticipantID != p.id {
		if !p.grant.CanModerate {
			return softErr(signal.CodeForbidden, "only moderators may mute others", ErrForbidden)
		}
		if !b.Muted {
			return softErr(signal.CodeForbidden, "only the participant can unmute", ErrForbidden)
		}
		target := p.room.get(b.ParticipantID)
		if target == nil {
			return softErr(signal.CodeNotFound, "no such participant", ErrNotFound)
		}
		kind := b.Kind
		if kind == "" {
			kind = signal.KindMicrophone
		}
		return target.moderatorMute(string(kind), p.id)
	}
	p.mu.Lock()
	var ups []*upTrack
	for _, up := range p.published {
		if up.id == b.TrackID || b.TrackID == "" && up.kind == b.Kind {
			ups = append(ups, up)
		}
	}
	if !b.Muted {
		for _, up := range ups {
			delete(p.mutedKinds, up.kind)
		}
		if b.TrackID == "" {
			delete(p.mutedKinds, b.Kind)
		}
	}
	p.mu.Unlock()
	if len(ups) == 0 {
		if pub, ok := p.pendingTrack(b.TrackID); ok {
			pub.Muted = b.Muted
			p.mu.Lock()
			p.pending[b.TrackID] = pub
			p.mu.Unlock()
			return nil
		}
		return softErr(signal.CodeNotFound, "no such track", ErrNotFound)
	}
	for _, up := range ups {
		p.setMuted(up, b.Muted, "")
	}
	return nil
}

func (p *participant) pendingTrack(id string) (signal.Publish, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pub, ok := p.pending[id]
	return pub, ok
}

// setMuted records a track's mute state and tells the room.
func (p *participant) setMuted(up *upTrack, muted bool, by string) {
	changed := up.muted.Swap(muted) != muted
	if by != "" {
		up.serverMuted.Store(true)
	} else if !muted {
		up.serverMuted.Store(false)
		if up.mediaKind == webrtc.RTPCodecTypeVideo {
			for _, d := range up.subscribers() {
				d.keyframeRequested()
			}
		}
	}
	if !changed && by == "" {
		return
	}
	msg := &signal.Mute{ParticipantID: p.id, TrackID: up.id, Kind: up.kind, Muted: muted, By: by}
	p.room.broadcast(p.room.members(), signal.TypeMute, msg)
	if by == "" { // moderatorMute emits its own event
		p.emitMute(muted, up.kind, "")
	}
}

func (p *participant) emitMute(muted bool, kind signal.TrackKind, by string) {
	ev := EventUnmuted
	if muted {
		ev = EventMuted
	}
	p.srv.emit(Event{Type: ev, RoomID: p.room.id, ParticipantID: p.id, Role: p.grant.Role, Kind: string(kind), Reason: by})
}

// moderatorMute stops forwarding the participant's tracks of one kind.
func (p *participant) moderatorMute(kind, by string) error {
	k := signal.TrackKind(kind)
	switch k {
	case signal.KindCamera, signal.KindMicrophone, signal.KindScreen:
	default:
		return fmt.Errorf("%w: unknown track kind %q", ErrBadKind, kind)
	}
	if by == "" {
		by = "server"
	}
	p.mu.Lock()
	p.mutedKinds[k] = by
	var ups []*upTrack
	for _, up := range p.published {
		if up.kind == k {
			ups = append(ups, up)
		}
	}
	p.mu.Unlock()
	p.emitMute(true, k, by)
	for _, up := range ups {
		p.setMuted(up, true, by)
	}
	if len(ups) == 0 {
		// Nothing published yet: still ask the client to keep it muted.
		p.send(signal.TypeMute, &signal.Mute{ParticipantID: p.id, Kind: k, Muted: true, By: by})
	}
	return nil
}

func (p *participant) onSubscription(b *signal.Subscription) error {
	p.mu.Lock()
	var d *downTrack
	for up, dt := range p.subs {
		if up.owner.id == b.ParticipantID && up.id == b.TrackID {
			d = dt
			break
		}
	}
	p.mu.Unlock()
	if d == nil {
		return softErr(signal.CodeNotFound, "not subscribed to that track", ErrNotFound)
	}
	d.renderW.Store(int32(b.Width))
	d.renderH.Store(int32(b.Height))
	d.paused.Store(b.Paused)
	d.sized.Store(b.Width > 0 && b.Height > 0)
	p.room.allocate(p, nanotime())
	return nil
}

// onChat stores and relays a chat message. The sender's copy carries the
// id of its chat message, which acknowledges it.
func (p *participant) onChat(ctx context.Context, id, text string) error {
	if fn := p.srv.opts.OnChat; fn != nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := fn(cctx, p.room.id, p.grant, text)
		cancel()
		if err != nil {
			return softErr(signal.CodeChatFailed, "the message could not be stored", err)
		}
	}
	msg := &signal.Chat{
		Text:      text,
		MessageID: p.srv.randomID(9),
		From:      &signal.ParticipantRef{ID: p.id, Name: p.grant.Name, Role: p.grant.Role},
		Time:      p.srv.opts.Now().UnixMilli(),
	}
	p.room.broadcast(p.room.membersExcept(p), signal.TypeChat, msg)
	p.sendRaw(signal.MustEncode(signal.TypeChat, id, msg))
	return nil
}

func (p *participant) onRemove(b *signal.Remove) error {
	if !p.grant.CanModerate {
		return softErr(signal.CodeForbidden, "only moderators may remove participants", ErrForbidden)
	}
	target := p.room.get(b.ParticipantID)
	if target == nil {
		return softErr(signal.CodeNotFound, "no such participant", ErrNotFound)
	}
	if target == p {
		return softErr(signal.CodeBadRequest, "use leave to leave", nil)
	}
	reason := b.Reason
	if reason == "" {
		reason = "removed"
	}
	target.kick(signal.CodeRemoved, "removed from the room", reason)
	return nil
}

// onRTCPFor acts on RTCP the participant sent about downtrack d. A
// compound packet is delivered to every sender it names, so each sender
// only takes the parts addressed to its own SSRC: nothing is handled twice.
func (p *participant) onRTCPFor(d *downTrack, pkts []rtcp.Packet) {
	ssrc := d.ssrcA.Load()
	now := time.Now()
	for _, pkt := range pkts {
		switch x := pkt.(type) {
		case *rtcp.TransportLayerCC:
			if x.MediaSSRC == ssrc {
				p.bwe.onFeedback(x)
			}
		case *rtcp.PictureLossIndication:
			if x.MediaSSRC == ssrc {
				d.keyframeRequested()
			}
		case *rtcp.FullIntraRequest:
			for _, e := range x.FIR {
				if e.SSRC == ssrc {
					d.keyframeRequested()
				}
			}
		case *rtcp.TransportLayerNack:
			if x.MediaSSRC == ssrc {
				p.srv.nacks.Add(1)
				d.retransmit(x)
			}
		case *rtcp.ReceiverReport:
			p.onReports(d, ssrc, x.Reports, now)
		case *rtcp.SenderReport:
			p.onReports(d, ssrc, x.Reports, now)
		}
	}
}

func (p *participant) onReports(d *downTrack, ssrc uint32, rs []rtcp.ReceptionReport, now time.Time) {
	for _, r := range rs {
		if r.SSRC == ssrc {
			d.onReport(r, now)
		}
	}
}
