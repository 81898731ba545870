package media

import (
	"encoding/binary"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// downTrack forwards one upTrack to one subscriber. It is a pion TrackLocal
// of its own: pion hands it the negotiated SSRC, payload type and the
// interceptor-wrapped writer at Bind, and forward writes each packet there
// with a header rewritten so that the subscriber sees one continuous stream
// whatever layer it comes from.
type downTrack struct {
	up        *upTrack
	sub       *participant
	streamID  string
	trackID   string
	video     bool
	clockRate int64

	// Set under sub.mu by subscribe.
	transceiver *webrtc.RTPTransceiver
	sender      *webrtc.RTPSender

	bound   atomic.Bool
	ssrcA   atomic.Uint32
	twccID  uint8        // set at Bind, before bound
	current atomic.Int32 // layer being forwarded, -1 none
	target  atomic.Int32 // layer wanted, -1 paused

	// Subscriber preferences (subscription messages).
	renderW, renderH atomic.Int32
	sized, paused    atomic.Bool
	reported         int32 // last layer announced to the subscriber; room loop only

	mu          sync.Mutex // serialises forward
	writer      webrtc.TrackLocalWriter
	ssrc        uint32
	pt          uint8
	hdr         rtp.Header
	started     bool
	haveLast    bool
	seqOff      uint16
	tsOff       uint32
	lastSeq     uint16
	lastTS      uint32
	lastAt      int64
	switchSeq   uint16
	sinceSwitch int
	trackPic    bool // VP8 simulcast: remember picture ids for a future switch
	munge       bool
	picOff      uint16
	tl0Off      uint8
	lastPic     uint16
	lastTL0     uint8
	scratch     []byte
	ring        []sentPacket // video only: for retransmissions
	octets      uint64       // payload octets, for sender reports
	// SRTP rollover counter of the highest sequence number sent, so that
	// the direct path continues where pion's writer left off.
	roc      uint32
	hiSeq    uint16
	sentAny  bool
	directTx bool // this stream is encrypted by the direct path

	packets, bytes atomic.Uint64
	resent         atomic.Uint64
	lossFrac       atomic.Uint32 // fraction lost × 256 from the last receiver report
	jitterUs       atomic.Int64
	rttUs          atomic.Int64
	retired        sync.Once
}

// msidSafe keeps the characters an SDP msid token may carry.
func msidSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

func newDownTrack(up *upTrack, sub *participant) *downTrack {
	d := &downTrack{
		up:        up,
		sub:       sub,
		streamID:  msidSafe(up.owner.id),
		trackID:   msidSafe(up.id),
		video:     up.mediaKind == webrtc.RTPCodecTypeVideo,
		clockRate: int64(up.codec.ClockRate),
		reported:  -2,
	}
	if d.clockRate == 0 {
		d.clockRate = 90000
	}
	d.hdr.Extensions = make([]rtp.Extension, 0, 4)
	d.sinceSwitch = switchWindow // no switch yet: nothing to filter
	d.current.Store(-1)
	d.target.Store(0)
	if !d.video {
		d.current.Store(0)
		d.started = true
	} else {
		d.ring = make([]sentPacket, sendRing)
	}
	if d.video && up.simulcast {
		d.trackPic = up.ck == codecVP8
		d.scratch = make([]byte, 1500)
		// Until the first allocation: the medium layer if present.
		if up.available(nanotime())&(1<<1) != 0 {
			d.target.Store(1)
		}
	}
	return d
}

// TrackLocal implementation.

func (d *downTrack) ID() string                { return d.trackID }
func (d *downTrack) RID() string               { return "" }
func (d *downTrack) StreamID() string          { return d.streamID }
func (d *downTrack) Kind() webrtc.RTPCodecType { return d.up.mediaKind }
func (d *downTrack) Unbind(webrtc.TrackLocalContext) error {
	d.bound.Store(false)
	return nil
}

func (d *downTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codec, ok := matchCodec(ctx.CodecParameters(), d.up.codec)
	if !ok {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	d.mu.Lock()
	for _, e := range ctx.HeaderExtensions() {
		if e.URI == uriTWCC {
			d.twccID = uint8(e.ID)
		}
	}
	d.writer = ctx.WriteStream()
	d.ssrc = uint32(ctx.SSRC())
	d.pt = uint8(codec.PayloadType)
	d.mu.Unlock()
	d.ssrcA.Store(uint32(ctx.SSRC()))
	d.bound.Store(true)
	if d.video {
		go d.keyframeRequested()
	}
	return codec, nil
}

// matchCodec picks the subscriber's codec that carries what the publisher
// sends: the same MIME type and, for H.264, the same profile.
func matchCodec(offered []webrtc.RTPCodecParameters, want webrtc.RTPCodecParameters) (webrtc.RTPCodecParameters, bool) {
	var fallback *webrtc.RTPCodecParameters
	for i, c := range offered {
		if !strings.EqualFold(c.MimeType, want.MimeType) {
			continue
		}
		if !strings.EqualFold(c.MimeType, webrtc.MimeTypeH264) || h264Profile(c.SDPFmtpLine) == h264Profile(want.SDPFmtpLine) {
			return c, true
		}
		if fallback == nil {
			fallback = &offered[i]
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return webrtc.RTPCodecParameters{}, false
}

func h264Profile(fmtp string) string {
	for _, kv := range strings.Split(fmtp, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "profile-level-id" && len(v) >= 4 {
			return strings.ToLower(v[:4])
		}
	}
	return ""
}

// codecPreference is the SFU's own codec entry for what the publisher sends,
// offered alone to the subscriber.
func (d *downTrack) codecPreference() (webrtc.RTPCodecParameters, bool) {
	return matchCodec(codecs(), d.up.codec)
}

// forward writes one packet of layer l if this subscriber wants it. Called
// from the layer's read goroutine.
func (d *downTrack) forward(l *layer, pkt []byte, info *rtpInfo, keyframe bool, now int64) {
	if !d.bound.Load() {
		return
	}
	idx := int32(l.idx)
	if idx != d.current.Load() && (!keyframe || idx != d.target.Load()) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.writer == nil {
		return
	}
	if idx != d.current.Load() {
		if !keyframe || idx != d.target.Load() {
			return
		}
		d.switchTo(idx, info, pkt[info.payloadOff:info.payloadEnd], now)
	} else if d.sinceSwitch < switchWindow {
		if int16(info.seq-d.switchSeq) < 0 {
			return // a retransmission from before the switch
		}
		d.sinceSwitch++
	}
	payload := pkt[info.payloadOff:info.payloadEnd]
	if d.munge {
		payload = d.mungeVP8(payload)
	} else if d.trackPic {
		d.notePic(payload)
	}
	outSeq := info.seq + d.seqOff
	outTS := info.ts + d.tsOff
	if !d.write(outSeq, outTS, info.marker, payload) {
		return
	}
	d.remember(outSeq, outTS, info.marker, payload)
	if !d.haveLast || int16(outSeq-d.lastSeq) > 0 {
		d.haveLast = true
		d.lastSeq, d.lastTS, d.lastAt = outSeq, outTS, now
	}
	d.octets += uint64(len(payload))
	d.packets.Add(1)
	d.bytes.Add(uint64(len(payload) + 12))
}

// write sends one packet with this subscriber's SSRC and payload type and
// a transport-wide sequence number; d.mu is held.
func (d *downTrack) write(seq uint16, ts uint32, marker bool, payload []byte) bool {
	h := &d.hdr
	h.Version, h.Padding, h.PaddingSize = 2, false, 0
	h.Marker = marker
	h.PayloadType = d.pt
	h.SequenceNumber = seq
	h.Timestamp = ts
	h.SSRC = d.ssrc
	h.CSRC = nil
	h.Extension = false
	h.Extensions = h.Extensions[:0]
	if d.twccID != 0 {
		d.sub.bwe.stamp(h, d.twccID, 12+8+len(payload))
	}
	newest := !d.sentAny || int16(seq-d.hiSeq) > 0
	if newest {
		if d.sentAny && seq < d.hiSeq {
			d.roc++
		}
		d.sentAny, d.hiSeq = true, seq
	}
	// A stream moves to the direct path on its newest packet only, so that
	// the rollover counter handed over is the one of that packet.
	if dp := d.sub.direct.Load(); dp != nil && (d.directTx || newest) && dp.send(d, h, payload) {
		return true
	}
	_, err := d.writer.WriteRTP(h, payload)
	return err == nil
}

// switchWindow is how many packets after a layer switch are checked for
// being older than the switch point (late retransmissions of the new layer).
const switchWindow = 1 << 13

// switchTo starts forwarding layer idx at a keyframe: the new layer's
// sequence numbers and timestamps are offset to continue the old ones.
func (d *downTrack) switchTo(idx int32, info *rtpInfo, payload []byte, now int64) {
	if d.started && d.haveLast {
		d.seqOff = d.lastSeq + 1 - info.seq
		delta := uint32((now - d.lastAt) * d.clockRate / int64(time.Second))
		if delta == 0 {
			delta = 1
		}
		d.tsOff = d.lastTS + delta - info.ts
		if d.trackPic {
			var v vp8Desc
			if parseVP8(payload, &v) {
				if v.picIDOff > 0 {
					d.picOff = d.lastPic + 1 - v.picID
				}
				if v.tl0Off > 0 {
					d.tl0Off = d.lastTL0 + 1 - payload[v.tl0Off]
				}
				d.munge = true
			}
		}
	}
	d.started = true
	d.switchSeq = info.seq
	d.sinceSwitch = 0
	d.current.Store(idx)
}

func (d *downTrack) notePic(payload []byte) {
	var v vp8Desc
	if parseVP8(payload, &v) {
		if v.picIDOff > 0 {
			d.lastPic = v.picID
		}
		if v.tl0Off > 0 {
			d.lastTL0 = payload[v.tl0Off]
		}
	}
}

// mungeVP8 rewrites picture id and TL0PICIDX in a copy of the payload.
func (d *downTrack) mungeVP8(payload []byte) []byte {
	n := copy(d.scratch, payload)
	p := d.scratch[:n]
	var v vp8Desc
	if !parseVP8(p, &v) {
		return payload
	}
	if v.picIDOff > 0 {
		if v.picID16 {
			pid := (v.picID + d.picOff) & 0x7fff
			binary.BigEndian.PutUint16(p[v.picIDOff:], 0x8000|pid)
			d.lastPic = pid
		} else {
			pid := (v.picID + d.picOff) & 0x7f
			p[v.picIDOff] = byte(pid)
			d.lastPic = pid
		}
	}
	if v.tl0Off > 0 {
		p[v.tl0Off] += d.tl0Off
		d.lastTL0 = p[v.tl0Off]
	}
	return p
}

// setTarget chooses the layer to forward; -1 pauses the track.
func (d *downTrack) setTarget(idx int32) {
	if d.target.Swap(idx) == idx {
		return
	}
	if idx < 0 {
		d.current.Store(-1)
		return
	}
	if idx != d.current.Load() {
		d.up.requestKeyframe(int(idx))
	}
}

// keyframeRequested handles PLI/FIR from the subscriber, or a new binding.
func (d *downTrack) keyframeRequested() {
	idx := d.target.Load()
	if idx < 0 {
		return
	}
	d.up.requestKeyframe(int(idx))
}

// onReport takes a receiver report block about this track.
func (d *downTrack) onReport(r rtcp.ReceptionReport, now time.Time) {
	d.lossFrac.Store(uint32(r.FractionLost))
	d.jitterUs.Store(int64(r.Jitter) * 1e6 / d.clockRate)
	if r.LastSenderReport != 0 {
		rtt := ntpMiddle(now) - r.LastSenderReport - r.Delay
		if rtt < 1<<30 {
			d.rttUs.Store(int64(rtt) * 1e6 / 65536)
		}
	}
}

// ntpMiddle returns the middle 32 bits of the NTP timestamp of t.
func ntpMiddle(t time.Time) uint32 {
	secs := uint64(t.Unix()) + 2208988800
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return uint32((secs<<32 | frac) >> 16)
}

// drainRTCP reads the subscriber's RTCP about this track.
func (d *downTrack) drainRTCP(s *webrtc.RTPSender) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		d.sub.onRTCPFor(d, pkts)
	}
}

// retire folds the counters into the server totals once the track is gone.
func (d *downTrack) retire() {
	d.retired.Do(func() {
		d.bound.Store(false)
		g := &d.sub.srv.gone
		g.packetsOut.Add(d.packets.Load())
		g.bytesOut.Add(d.bytes.Load())
	})
}
