package mediatest

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/signal"
)

// RemoteTrack measures one received track.
type RemoteTrack struct {
	Ref  signal.TrackRef
	Kind webrtc.RTPCodecType
	c    *Client

	mu        sync.Mutex
	packets   uint64
	bytes     uint64
	frames    int
	keyframes int
	width     int
	height    int
	firstAt   time.Time // first complete frame (video) or packet (audio)
	// Sequence bookkeeping: extended numbers, a bit per packet from first.
	first, highest int64
	seen           []uint64
	cycles         int64
	lastSeq        uint16
	started        bool
	// Frame reassembly.
	frameTS    uint32
	frameNext  uint16
	frameLen   int
	frameHead  [10]byte
	headLen    int
	inFrame    bool
	pictureIDs []int
}

// TrackStats is a snapshot of a RemoteTrack.
type TrackStats struct {
	ParticipantID, TrackID string
	Kind                   signal.TrackKind
	Packets, Bytes         uint64
	Frames, Keyframes      int // complete frames (received in order)
	Width, Height          int // of the last complete keyframe
	Missing                int // sequence numbers never received
	FirstFrame             time.Time
}

func (c *Client) onTrack(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	mid := ""
	if tr := r.RTPTransceiver(); tr != nil {
		mid = tr.Mid()
	}
	c.mu.Lock()
	rt := &RemoteTrack{Ref: c.mids[mid], Kind: t.Kind(), c: c}
	c.remote = append(c.remote, rt)
	c.mu.Unlock()
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := r.Read(buf); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 1500)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		rt.packet(buf[:n], time.Now())
	}
}

func (rt *RemoteTrack) packet(b []byte, now time.Time) {
	if len(b) < 12 {
		return
	}
	seq := binary.BigEndian.Uint16(b[2:])
	ts := binary.BigEndian.Uint32(b[4:])
	marker := b[1]&0x80 != 0
	off := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 && len(b) >= off+4 {
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
	}
	end := len(b)
	if b[0]&0x20 != 0 && end > off {
		end -= int(b[end-1])
	}
	if off > end {
		return
	}
	payload := b[off:end]

	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.packets++
	rt.bytes += uint64(len(b))
	rt.markSeq(seq)
	if rt.Kind != webrtc.RTPCodecTypeVideo {
		if rt.firstAt.IsZero() {
			rt.firstAt = now
		}
		return
	}
	size, start, pid, ok := ParseVP8Descriptor(payload)
	if !ok {
		rt.inFrame = false
		return
	}
	data := payload[size:]
	if start {
		rt.inFrame, rt.frameTS, rt.frameLen, rt.headLen = true, ts, 0, 0
		rt.frameNext = seq
		if pid >= 0 {
			rt.pictureIDs = append(rt.pictureIDs, pid)
		}
	}
	if !rt.inFrame || ts != rt.frameTS || seq != rt.frameNext {
		rt.inFrame = false
		return
	}
	rt.frameNext++
	rt.frameLen += len(data)
	rt.headLen += copy(rt.frameHead[rt.headLen:], data)
	if !marker {
		return
	}
	rt.inFrame = false
	rt.frames++
	if rt.firstAt.IsZero() {
		rt.firstAt = now
	}
	if w, h, ok := KeyframeSize(rt.frameHead[:rt.headLen]); ok {
		tag := uint32(rt.frameHead[0]) | uint32(rt.frameHead[1])<<8 | uint32(rt.frameHead[2])<<16
		if int(tag>>5) <= rt.frameLen {
			rt.keyframes++
			rt.width, rt.height = w, h
		}
	}
}

func (rt *RemoteTrack) markSeq(seq uint16) {
	if !rt.started {
		rt.started = true
		rt.lastSeq = seq
		rt.first, rt.highest = int64(seq), int64(seq)
		rt.setBit(0)
		return
	}
	// Extend relative to the highest seen.
	d := int64(int16(seq - rt.lastSeq))
	ext := rt.highest + d
	if d > 0 {
		rt.highest, rt.lastSeq = ext, seq
	}
	if ext < rt.first {
		return
	}
	rt.setBit(ext - rt.first)
}

func (rt *RemoteTrack) setBit(i int64) {
	for int64(len(rt.seen))*64 <= i {
		rt.seen = append(rt.seen, 0)
	}
	rt.seen[i/64] |= 1 << (i % 64)
}

func (rt *RemoteTrack) stats() TrackStats {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	s := TrackStats{
		ParticipantID: rt.Ref.ParticipantID, TrackID: rt.Ref.TrackID, Kind: rt.Ref.Kind,
		Packets: rt.packets, Bytes: rt.bytes, Frames: rt.frames, Keyframes: rt.keyframes,
		Width: rt.width, Height: rt.height, FirstFrame: rt.firstAt,
	}
	if rt.started {
		for i := int64(0); i <= rt.highest-rt.first; i++ {
			if rt.seen[i/64]&(1<<(i%64)) == 0 {
				s.Missing++
			}
		}
	}
	return s
}

// PictureIDs returns the VP8 picture ids of frame starts, in arrival order.
func (rt *RemoteTrack) PictureIDs() []int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]int(nil), rt.pictureIDs...)
}

// Remote returns statistics of every received track.
func (c *Client) Remote() []TrackStats {
	c.mu.Lock()
	rts := append([]*RemoteTrack(nil), c.remote...)
	c.mu.Unlock()
	out := make([]TrackStats, 0, len(rts))
	for _, rt := range rts {
		out = append(out, rt.stats())
	}
	return out
}

// RemoteTracks returns the received tracks themselves.
func (c *Client) RemoteTracks() []*RemoteTrack {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*RemoteTrack(nil), c.remote...)
}

// Stats snapshots one remote track.
func (rt *RemoteTrack) Stats() TrackStats { return rt.stats() }

// MissingSeqs lists the positions (relative to the first packet) of the
// sequence numbers never received.
func (rt *RemoteTrack) MissingSeqs() []int64 {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var out []int64
	for i := int64(0); rt.started && i <= rt.highest-rt.first; i++ {
		if rt.seen[i/64]&(1<<(i%64)) == 0 {
			out = append(out, i)
		}
	}
	return out
}
