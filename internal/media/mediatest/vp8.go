package mediatest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
)

// VP8Source generates synthetic VP8 frames at a target bitrate.
type VP8Source struct {
	Width, Height int
	FPS           int
	Bitrate       int // bits per second, on average
	rng           *rand.Rand
	pictureID     uint16
}

// NewVP8Source returns a source for the given resolution and bitrate.
func NewVP8Source(width, height, fps, bitrate int, seed uint64) *VP8Source {
	return &VP8Source{Width: width, Height: height, FPS: fps, Bitrate: bitrate, rng: rand.New(rand.NewPCG(seed, 7))}
}

// Frame returns the next frame: a keyframe (about three average frames
// large) or an interframe (slightly below average).
func (s *VP8Source) Frame(key bool) []byte {
	avg := s.Bitrate / 8 / max(1, s.FPS)
	size := avg * 9 / 10
	if key {
		size = avg * 3
	}
	size = max(size, 20)
	f := make([]byte, size)
	fill(s.rng, f)
	// Frame tag (RFC 6386 §9.1): key bit (0 = key), version 0, show_frame,
	// first partition size.
	part := uint32(size - 10)
	if !key {
		part = uint32(size - 3)
	}
	tag := part<<5 | 1<<4
	if !key {
		tag |= 1
	}
	f[0], f[1], f[2] = byte(tag), byte(tag>>8), byte(tag>>16)
	if key {
		f[3], f[4], f[5] = 0x9d, 0x01, 0x2a
		binary.LittleEndian.PutUint16(f[6:], uint16(s.Width&0x3fff))
		binary.LittleEndian.PutUint16(f[8:], uint16(s.Height&0x3fff))
	}
	return f
}

func fill(r *rand.Rand, b []byte) {
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	for i := len(b) &^ 7; i < len(b); i++ {
		b[i] = byte(r.Uint32())
	}
}

// NextPictureID returns the picture id for the next frame (15 bits).
func (s *VP8Source) NextPictureID() uint16 {
	id := s.pictureID & 0x7fff
	s.pictureID++
	return id
}

// ParseVP8Descriptor returns the descriptor length, whether the payload
// starts a frame, and the picture id (-1 if absent).
func ParseVP8Descriptor(p []byte) (size int, start bool, pictureID int, ok bool) {
	if len(p) < 1 {
		return 0, false, -1, false
	}
	i := 1
	pictureID = -1
	if p[0]&0x80 != 0 {
		if len(p) < 2 {
			return 0, false, -1, false
		}
		x := p[1]
		i = 2
		if x&0x80 != 0 {
			if len(p) < 3 {
				return 0, false, -1, false
			}
			if p[2]&0x80 != 0 {
				if len(p) < 4 {
					return 0, false, -1, false
				}
				pictureID = int(binary.BigEndian.Uint16(p[2:]) & 0x7fff)
				i += 2
			} else {
				pictureID = int(p[2])
				i++
			}
		}
		if x&0x40 != 0 {
			i++
		}
		if x&0x30 != 0 {
			i++
		}
	}
	if len(p) < i {
		return 0, false, -1, false
	}
	return i, p[0]&0x10 != 0 && p[0]&0x0f == 0, pictureID, true
}

// KeyframeSize parses the first bytes of a VP8 frame as a keyframe header;
// ok is false for interframes and anything that is not a keyframe.
func KeyframeSize(frame []byte) (w, h int, ok bool) {
	if len(frame) < 10 || frame[0]&1 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	w = int(binary.LittleEndian.Uint16(frame[6:]) & 0x3fff)
	h = int(binary.LittleEndian.Uint16(frame[8:]) & 0x3fff)
	return w, h, w > 0 && h > 0
}

// FramePool is a set of pre-generated frames, shared read-only by every
// publisher with the same parameters: generating 1.5 Mbit/s of random bytes
// per client would cost the benchmark's client process more than sending.
type FramePool struct {
	Key   [][]byte
	Inter [][]byte
}

var pools sync.Map // "w×h@fps/bitrate" → *FramePool

// PoolFor returns the shared frame pool for these parameters (two
// keyframes, a second of interframes).
func PoolFor(width, height, fps, bitrate int) *FramePool {
	k := fmt.Sprintf("%dx%d@%d/%d", width, height, fps, bitrate)
	if p, ok := pools.Load(k); ok {
		return p.(*FramePool)
	}
	src := NewVP8Source(width, height, fps, bitrate, uint64(width*31+bitrate))
	p := &FramePool{}
	for range 2 {
		p.Key = append(p.Key, src.Frame(true))
	}
	for range max(fps, 1) {
		p.Inter = append(p.Inter, src.Frame(false))
	}
	actual, _ := pools.LoadOrStore(k, p)
	return actual.(*FramePool)
}

// Packetizer splits frames into RTP payloads in reused buffers.
type Packetizer struct {
	MTU  int
	bufs [][]byte
}

// Packetize returns the payloads of one frame; they stay valid until the
// next call.
func (z *Packetizer) Packetize(frame []byte, pictureID uint16) [][]byte {
	const desc = 4
	room := z.MTU - desc
	n := 0
	for off := 0; off < len(frame); off += room {
		end := min(off+room, len(frame))
		if n == len(z.bufs) {
			z.bufs = append(z.bufs, make([]byte, z.MTU))
		}
		p := z.bufs[n][:desc+end-off]
		p[0] = 0x80
		if off == 0 {
			p[0] |= 0x10
		}
		p[1] = 0x80
		binary.BigEndian.PutUint16(p[2:], 0x8000|pictureID&0x7fff)
		copy(p[desc:], frame[off:end])
		z.bufs[n] = p
		n++
	}
	return z.bufs[:n]
}
