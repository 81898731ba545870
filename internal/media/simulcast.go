package media

import (
	"sort"
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/signal"
)

// audioReserve is the downlink budget set aside per audio track before
// video layers are allocated.
const audioReserve = 50_000

// allocateAll runs every half second: it measures layer bitrates, picks a
// layer for every subscription, tells subscribers which layer they now get
// and publishers which layers anyone uses.
func (r *room) allocateAll(ps []*participant) {
	now := nanotime()
	for _, p := range ps {
		for _, up := range p.announcedTracks() {
			for i := range numLayers {
				if l := up.layer(i); l != nil {
					l.measure(now)
				}
			}
		}
	}
	speaker := r.speakers.currentID()
	for _, p := range ps {
		r.allocateFor(p, speaker, now)
		p.reportLayers()
	}
	for _, p := range ps {
		for _, up := range p.announcedTracks() {
			up.sendHint()
		}
	}
}

// allocate re-runs the choice for one subscriber (after a rendered-size update).
func (r *room) allocate(p *participant, now int64) { r.allocateFor(p, r.speakers.currentID(), now) }

// allocateFor chooses a layer for each of p's video subscriptions: the
// smallest layer that covers the rendered size (the top one for the
// dominant speaker and screen shares when the size is unknown), lowered
// until it fits the subscriber's estimated bandwidth. Screen shares are
// served first, then the dominant speaker, then the rest.
func (r *room) allocateFor(p *participant, speaker string, now int64) {
	p.mu.Lock()
	downs := make([]*downTrack, 0, len(p.subs))
	audio := 0
	for _, d := range p.subs {
		if d.video {
			downs = append(downs, d)
		} else {
			audio++
		}
	}
	p.mu.Unlock()
	prio := func(d *downTrack) int {
		switch {
		case d.up.kind == signal.KindScreen:
			return 0
		case d.up.owner.id == speaker:
			return 1
		}
		return 2
	}
	sort.Slice(downs, func(i, j int) bool {
		pi, pj := prio(downs[i]), prio(downs[j])
		if pi != pj {
			return pi < pj
		}
		return downs[i].up.owner.id+downs[i].up.id < downs[j].up.owner.id+downs[j].up.id
	})
	budget := p.bwe.Estimate() - int64(audio*audioReserve)
	for _, d := range downs {
		up := d.up
		if d.paused.Load() || up.serverMuted.Load() {
			d.setTarget(-1)
			continue
		}
		chosen := 0
		if up.simulcast {
			chosen = chooseLayer(up, d, prio(d) < 2, budget, now)
		}
		d.setTarget(int32(chosen))
		budget -= layerRate(up, chosen)
		if d.current.Load() != int32(chosen) {
			// Still waiting for a keyframe: the request may have been lost.
			up.requestKeyframe(chosen)
		}
	}
}

// chooseLayer returns the layer index for one simulcast subscription.
//
// Layers the SFU itself asked the publisher to pause (sendHint) count as
// available: choosing one puts it back into the next hint, and the
// subscriber switches when its keyframe arrives. Layers the publisher
// stopped on its own (its uplink estimate) do not.
func chooseLayer(up *upTrack, d *downTrack, favoured bool, budget int64, now int64) int {
	mask := up.available(now) | up.pausedByHint()
	want := numLayers - 1
	if d.sized.Load() {
		w, h := int(d.renderW.Load()), int(d.renderH.Load())
		want = numLayers - 1
		for i := range numLayers {
			lw, lh := layerSize(up, i)
			if lw*10 >= w*9 && lh*10 >= h*9 {
				want = i
				break
			}
		}
	} else if !favoured {
		want = 1
	}
	cur := int(d.current.Load())
	for i := want; i >= 0; i-- {
		if mask&(1<<i) == 0 {
			continue
		}
		need := layerRate(up, i)
		if cur >= 0 && i > cur {
			need = need * 11 / 10 // headroom before switching up
		}
		if need <= budget {
			return i
		}
	}
	// Nothing fits (or nothing that small exists): the lowest layer there is.
	for i := range numLayers {
		if mask&(1<<i) != 0 {
			return i
		}
	}
	return 0
}

// layerSize is a layer's resolution: measured from keyframes when known,
// else derived from the top layer, else the profile's nominal size.
func layerSize(up *upTrack, i int) (int, int) {
	if l := up.layer(i); l != nil && l.height.Load() > 0 {
		return int(l.width.Load()), int(l.height.Load())
	}
	if f := up.layer(numLayers - 1); f != nil && f.height.Load() > 0 {
		shift := numLayers - 1 - i
		return int(f.width.Load()) >> shift, int(f.height.Load()) >> shift
	}
	return 1280 >> (numLayers - 1 - i), 720 >> (numLayers - 1 - i)
}

func layerRate(up *upTrack, i int) int64 {
	if l := up.layer(i); l != nil {
		if bps := l.bitrate.Load(); bps > 0 {
			return bps
		}
	}
	if !up.simulcast {
		if up.mediaKind == webrtc.RTPCodecTypeAudio {
			return audioReserve
		}
		return int64(nominalBitrate[numLayers-1])
	}
	return int64(nominalBitrate[i])
}

// pausedByHint is the mask of existing layers the last hint left out.
func (up *upTrack) pausedByHint() uint8 {
	up.mu.Lock()
	defer up.mu.Unlock()
	return up.hintedOff
}

// reportLayers tells the subscriber about layer changes since last time.
func (p *participant) reportLayers() {
	p.mu.Lock()
	downs := make([]*downTrack, 0, len(p.subs))
	for _, d := range p.subs {
		if d.video {
			downs = append(downs, d)
		}
	}
	p.mu.Unlock()
	for _, d := range downs {
		cur := d.current.Load()
		if cur == d.reported {
			continue
		}
		d.reported = cur
		rid := "off"
		if cur >= 0 {
			rid = ""
			if l := d.up.layer(int(cur)); l != nil {
				rid = l.rid
			}
		}
		p.send(signal.TypeLayerChanged, &signal.LayerChanged{ParticipantID: d.up.owner.id, TrackID: d.up.id, RID: rid})
	}
}

// sendHint tells the publisher which simulcast layers are in use (the
// lowest is always kept as a fallback).
func (up *upTrack) sendHint() {
	if !up.simulcast {
		return
	}
	used := uint8(1)
	for _, d := range up.subscribers() {
		if t := d.target.Load(); t >= 0 {
			used |= 1 << t
		}
		if c := d.current.Load(); c >= 0 {
			used |= 1 << c
		}
	}
	var active []string
	for i := range numLayers {
		if used&(1<<i) != 0 {
			if l := up.layer(i); l != nil {
				active = append(active, l.rid)
			}
		}
	}
	key := strings.Join(active, ",")
	up.mu.Lock()
	same := key == up.lastHint
	up.lastHint = key
	up.hintedOff = 0
	for i, l := range up.layers {
		if l != nil && used&(1<<i) == 0 {
			up.hintedOff |= 1 << i
		}
	}
	up.mu.Unlock()
	if same || len(active) == 0 {
		return
	}
	up.owner.send(signal.TypeLayerHint, &signal.LayerHint{TrackID: up.id, Active: active})
}
