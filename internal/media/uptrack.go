package media

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/signal"
)

// Simulcast layers, lowest first. A track without simulcast uses layer 0.
const numLayers = 3

var (
	layerRIDs = [numLayers]string{"q", "h", "f"}
	// nominalBitrate is assumed for a layer until its real rate is measured.
	nominalBitrate = [numLayers]int{150_000, 500_000, 1_500_000}
)

// keyframeInterval bounds keyframe requests per layer (PLI/FIR forwarded
// from subscribers, layer switches, new subscribers).
const keyframeInterval = 500 * time.Millisecond

var clockStart = time.Now()

// nanotime is a cheap monotonic clock for the hot path.
func nanotime() int64 { return int64(time.Since(clockStart)) }

// upTrack is a published track: one to three layers read from the
// publisher, fanned out to a copy-on-write list of downTracks.
type upTrack struct {
	id           string
	owner        *participant
	kind         signal.TrackKind
	mediaKind    webrtc.RTPCodecType
	codec        webrtc.RTPCodecParameters
	ck           codecKind
	simulcast    bool
	audioLevelID uint8
	twccID       uint8

	mu        sync.Mutex
	layers    [numLayers]*layer
	live      int
	announced bool
	closed    bool
	lastHint  string
	hintedOff uint8 // existing layers the last hint left out

	subsMu sync.Mutex
	subs   atomic.Pointer[[]*downTrack]

	muted       atomic.Bool // as the owner reports it
	serverMuted atomic.Bool // muted by a moderator: not forwarded
}

func codecKindOf(mime string) codecKind {
	switch strings.ToLower(mime) {
	case strings.ToLower(webrtc.MimeTypeOpus):
		return codecOpus
	case strings.ToLower(webrtc.MimeTypeVP8):
		return codecVP8
	case strings.ToLower(webrtc.MimeTypeVP9):
		return codecVP9
	case strings.ToLower(webrtc.MimeTypeH264):
		return codecH264
	}
	return codecOther
}

func newUpTrack(owner *participant, id string, kind signal.TrackKind, remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) *upTrack {
	up := &upTrack{
		id:        id,
		owner:     owner,
		kind:      kind,
		mediaKind: remote.Kind(),
		codec:     remote.Codec(),
		simulcast: remote.RID() != "",
	}
	up.ck = codecKindOf(up.codec.MimeType)
	for _, e := range recv.GetParameters().HeaderExtensions {
		switch e.URI {
		case uriAudioLevel:
			up.audioLevelID = uint8(e.ID)
		case uriTWCC:
			up.twccID = uint8(e.ID)
		}
	}
	empty := []*downTrack{}
	up.subs.Store(&empty)
	return up
}

// layerIndex maps a rid to a slot: q/h/f as the profile asks, anything
// else into the first free slot.
func (up *upTrack) layerIndex(rid string) int {
	if rid == "" {
		return 0
	}
	for i, r := range layerRIDs {
		if r == rid {
			return i
		}
	}
	for i, l := range up.layers {
		if l == nil {
			return i
		}
	}
	return -1
}

// addLayer registers a newly arrived layer; nil if it is a duplicate.
func (up *upTrack) addLayer(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) *layer {
	up.mu.Lock()
	defer up.mu.Unlock()
	i := up.layerIndex(remote.RID())
	if i < 0 || up.layers[i] != nil || up.closed {
		return nil
	}
	l := &layer{up: up, idx: i, rid: remote.RID(), remote: remote, receiver: recv, ssrc: uint32(remote.SSRC())}
	l.clockRate = int64(up.codec.ClockRate)
	if l.clockRate == 0 {
		l.clockRate = 90000
	}
	up.layers[i] = l
	up.live++
	return l
}

func (up *upTrack) layer(i int) *layer {
	if i < 0 || i >= numLayers {
		return nil
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	return up.layers[i]
}

func (up *upTrack) layerDone() {
	up.mu.Lock()
	up.live--
	ended := up.live == 0
	up.mu.Unlock()
	if ended {
		up.owner.trackEnded(up)
	}
}

// announce marks the track as published to the room (once).
func (up *upTrack) announce() bool {
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.announced || up.closed {
		return false
	}
	up.announced = true
	return true
}

func (up *upTrack) wasAnnounced() bool {
	up.mu.Lock()
	defer up.mu.Unlock()
	return up.announced
}

// close stops forwarding; true the first time.
func (up *upTrack) close() bool {
	up.mu.Lock()
	if up.closed {
		up.mu.Unlock()
		return false
	}
	up.closed = true
	layers := up.layers
	up.mu.Unlock()
	g := &up.owner.srv.gone
	for _, l := range layers {
		if l != nil {
			g.packetsIn.Add(l.packets.Load())
			g.bytesIn.Add(l.bytes.Load())
		}
	}
	return true
}

func (up *upTrack) addSub(d *downTrack) bool {
	up.subsMu.Lock()
	defer up.subsMu.Unlock()
	up.mu.Lock()
	closed := up.closed
	up.mu.Unlock()
	if closed {
		return false
	}
	old := *up.subs.Load()
	next := make([]*downTrack, len(old), len(old)+1)
	copy(next, old)
	next = append(next, d)
	up.subs.Store(&next)
	return true
}

func (up *upTrack) removeSub(d *downTrack) {
	up.subsMu.Lock()
	old := *up.subs.Load()
	next := make([]*downTrack, 0, len(old))
	for _, o := range old {
		if o != d {
			next = append(next, o)
		}
	}
	up.subs.Store(&next)
	up.subsMu.Unlock()
	d.retire()
}

func (up *upTrack) subscribers() []*downTrack { return *up.subs.Load() }

// requestKeyframe asks the publisher for a keyframe on one layer, at most
// once per keyframeInterval.
func (up *upTrack) requestKeyframe(i int) {
	l := up.layer(i)
	if l == nil || up.mediaKind != webrtc.RTPCodecTypeVideo {
		return
	}
	now := nanotime()
	last := l.lastPLI.Load()
	if last != 0 && now-last < int64(keyframeInterval) || !l.lastPLI.CompareAndSwap(last, now) {
		return
	}
	up.owner.srv.plis.Add(1)
	if err := up.owner.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: l.ssrc}}); err != nil {
		up.owner.log.Debug("send PLI", "err", err)
	}
}

// available returns a bit mask of the layers that received packets in the
// last two seconds (or, before any did, of the layers that exist).
func (up *upTrack) available(now int64) (mask uint8) {
	up.mu.Lock()
	layers := up.layers
	up.mu.Unlock()
	var exist uint8
	for i, l := range layers {
		if l == nil {
			continue
		}
		exist |= 1 << i
		if at := l.lastAt.Load(); at != 0 && now-at < int64(2*time.Second) {
			mask |= 1 << i
		}
	}
	if mask == 0 {
		return exist
	}
	return mask
}

func (up *upTrack) wire() signal.Track {
	return signal.Track{ID: up.id, Kind: up.kind, Muted: up.muted.Load(), Simulcast: up.simulcast, Codec: up.codec.MimeType}
}

func (up *upTrack) info() TrackInfo {
	ti := TrackInfo{ID: up.id, Kind: string(up.kind), Codec: up.codec.MimeType, Muted: up.muted.Load(), Simulcast: up.simulcast}
	now := nanotime()
	mask := up.available(now)
	for i := range numLayers {
		if mask&(1<<i) != 0 {
			if l := up.layer(i); l != nil {
				ti.Layers = append(ti.Layers, l.rid)
			}
		}
	}
	return ti
}

func (up *upTrack) addStats(st *Stats) {
	up.mu.Lock()
	layers := up.layers
	up.mu.Unlock()
	for _, l := range layers {
		if l != nil {
			st.PacketsIn += l.packets.Load()
			st.BytesIn += l.bytes.Load()
		}
	}
}

// layer is one received RTP stream of a track (one simulcast encoding).
type layer struct {
	up        *upTrack
	idx       int
	rid       string
	remote    *webrtc.TrackRemote
	receiver  *webrtc.RTPReceiver
	ssrc      uint32
	clockRate int64

	packets, bytes atomic.Uint64
	lastAt         atomic.Int64 // nanotime of the last packet
	lastPLI        atomic.Int64
	width, height  atomic.Int32 // from the last keyframe header (VP8)
	bitrate        atomic.Int64 // bits/s, measured by the room loop

	// Reception statistics for the quality score and receiver reports.
	expected, received atomic.Uint64
	highestExt         atomic.Uint32
	jitterUs           atomic.Int64
	hmu                sync.Mutex // serialises handle
	rs                 recvState  // under hmu
	nack               nackGen    // under hmu
	info               rtpInfo    // under hmu
	vp8                vp8Desc    // under hmu

	// The owner's direct path (direct.go), under its rxMu: whether this
	// stream's rollover counter was set, failed authentications in a row.
	direct struct {
		started  bool
		failures int
	}

	srMu sync.Mutex // last sender report from the publisher
	lsr  uint32
	srAt int64

	rate rateState                           // room loop only
	rr   struct{ expected, received uint64 } // rtcp loop only
}

type recvState struct {
	init        bool
	base        uint32
	cycles      uint32
	maxSeq      uint16
	lastTransit int64
	jitter      float64
}

type rateState struct {
	bytes uint64
	at    int64
}

// readLoop reads the layer through pion's receive pipeline. Once the
// owner has a direct path (direct.go) the layer's packets arrive there
// instead, and this loop only sees the few that were already in pion's
// buffers, retransmissions on a separate RTX stream, and everything when
// the connection cannot take the direct path (ICE over TCP).
func (l *layer) readLoop() {
	defer l.up.layerDone()
	defer l.up.owner.unrouteLayer(l)
	go l.drainRTCP()
	buf := make([]byte, 1500)
	for {
		n, _, err := l.remote.Read(buf)
		if err != nil {
			return
		}
		l.handle(buf[:n], nanotime())
	}
}

// handle is the hot path: parse, account, fan out one decrypted RTP
// packet. It runs on whichever path delivered the packet; hmu keeps the
// reception state consistent when both do.
func (l *layer) handle(pkt []byte, now int64) {
	l.hmu.Lock()
	defer l.hmu.Unlock()
	up := l.up
	video := up.mediaKind == webrtc.RTPCodecTypeVideo
	info := &l.info
	if !parseRTP(pkt, info) {
		return
	}
	size := len(pkt)
	if info.payloadEnd == info.payloadOff {
		size = 0 // probes do not count towards the layer's bitrate
	}
	fresh, ext := l.account(info, size, now)
	if up.twccID != 0 {
		if x := info.extension(pkt, up.twccID); len(x) >= 2 {
			up.owner.recordTWCC(info.ssrc, uint16(x[0])<<8|uint16(x[1]), now)
		}
	}
	if video {
		if missing := l.nack.received(ext, now); len(missing) > 0 {
			l.sendNACK(missing)
		}
	}
	if info.payloadEnd == info.payloadOff {
		// Padding only: a bandwidth probe (Chrome probes on the media SSRC
		// when RTX is not negotiated). It must be in the transport-wide
		// feedback — a probe reported lost caps the sender's estimate — and
		// its sequence number must not be NACKed, but it is not forwarded.
		return
	}
	keyframe := false
	if video && fresh { // a late (retransmitted) keyframe start cannot begin a stream: its successors are gone
		payload := pkt[info.payloadOff:info.payloadEnd]
		if up.ck == codecVP8 {
			vp8 := &l.vp8
			if parseVP8(payload, vp8) && vp8.keyframe {
				keyframe = true
				if vp8.width > 0 {
					l.width.Store(int32(vp8.width))
					l.height.Store(int32(vp8.height))
				}
			}
		} else {
			keyframe = isKeyframeStart(up.ck, payload)
		}
	} else if up.audioLevelID != 0 {
		if ext := info.extension(pkt, up.audioLevelID); len(ext) > 0 {
			up.owner.speech.add(ext[0] & 0x7f)
		}
	}
	if up.serverMuted.Load() {
		return
	}
	for _, d := range *up.subs.Load() {
		d.forward(l, pkt, info, keyframe, now)
	}
}

// account updates counters, loss and RFC 3550 jitter; it reports whether
// the packet is the newest so far (not a retransmission or reordered) and
// its extended sequence number.
func (l *layer) account(info *rtpInfo, n int, now int64) (bool, uint32) {
	l.packets.Add(1)
	l.bytes.Add(uint64(n))
	l.lastAt.Store(now)
	l.received.Add(1)
	rs := &l.rs
	fresh := false
	if !rs.init {
		fresh = true
		rs.init, rs.base, rs.maxSeq = true, uint32(info.seq), info.seq
		rs.lastTransit = now*l.clockRate/1e9 - int64(info.ts)
	} else if d := int16(info.seq - rs.maxSeq); d > 0 {
		fresh = true
		if info.seq < rs.maxSeq {
			rs.cycles += 1 << 16
		}
		rs.maxSeq = info.seq
		transit := now*l.clockRate/1e9 - int64(info.ts)
		dt := transit - rs.lastTransit
		rs.lastTransit = transit
		if dt < 0 {
			dt = -dt
		}
		if dt < l.clockRate { // ignore timestamp jumps (source restarts)
			rs.jitter += (float64(dt) - rs.jitter) / 16
			l.jitterUs.Store(int64(rs.jitter * 1e6 / float64(l.clockRate)))
		}
	}
	highest := rs.cycles + uint32(rs.maxSeq)
	l.highestExt.Store(highest)
	l.expected.Store(uint64(highest-rs.base) + 1)
	// info.seq is now at or before maxSeq: extend it backwards.
	return fresh, highest - uint32(rs.maxSeq-info.seq)
}

// drainRTCP reads the publisher's RTCP for this layer and keeps the time
// of its last sender report for our receiver reports.
func (l *layer) drainRTCP() {
	for {
		var (
			pkts []rtcp.Packet
			err  error
		)
		if l.rid != "" {
			pkts, _, err = l.receiver.ReadSimulcastRTCP(l.rid)
		} else {
			pkts, _, err = l.receiver.ReadRTCP()
		}
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			if sr, ok := pkt.(*rtcp.SenderReport); ok && sr.SSRC == l.ssrc {
				l.onSenderReport(sr)
			}
		}
	}
}

// onSenderReport keeps the time of the publisher's last sender report.
func (l *layer) onSenderReport(sr *rtcp.SenderReport) {
	l.srMu.Lock()
	l.lsr, l.srAt = uint32(sr.NTPTime>>16), nanotime()
	l.srMu.Unlock()
}

// measure updates the layer's bitrate; called from the room loop.
func (l *layer) measure(now int64) int64 {
	b := l.bytes.Load()
	if l.rate.at != 0 && now > l.rate.at {
		bps := int64(b-l.rate.bytes) * 8 * int64(time.Second) / (now - l.rate.at)
		old := l.bitrate.Load()
		if old != 0 {
			bps = (old + bps) / 2
		}
		l.bitrate.Store(bps)
	}
	l.rate.bytes, l.rate.at = b, now
	return l.bitrate.Load()
}
