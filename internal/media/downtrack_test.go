package media

import (
	"encoding/binary"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

type captureWriter struct {
	hdrs     []rtp.Header
	payloads [][]byte
}

func (w *captureWriter) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	w.hdrs = append(w.hdrs, h.Clone())
	w.payloads = append(w.payloads, append([]byte(nil), p...))
	return len(p), nil
}

func (w *captureWriter) Write(b []byte) (int, error) { return len(b), nil }

// vp8Packet builds an RTP packet with a VP8 descriptor (15-bit picture id).
func vp8Packet(seq uint16, ts uint32, pid uint16, start, key bool) []byte {
	p := []byte{0x80, 0x80, 0, 0, 0, 0, 0}
	if start {
		p[0] |= 0x10
	}
	binary.BigEndian.PutUint16(p[2:], 0x8000|pid)
	if key {
		p[4] = 0x00
	} else {
		p[4] = 0x01
	}
	h := rtp.Header{Version: 2, PayloadType: 100, SequenceNumber: seq, Timestamp: ts, SSRC: 9}
	b, _ := (&rtp.Packet{Header: h, Payload: p}).Marshal()
	return b
}

func TestDownTrackSwitchesLayersSeamlessly(t *testing.T) {
	srv := &Server{}
	owner := &participant{id: "pub", srv: srv}
	up := &upTrack{owner: owner, mediaKind: webrtc.RTPCodecTypeVideo, ck: codecVP8, simulcast: true,
		codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{ClockRate: 90000}}}
	empty := []*downTrack{}
	up.subs.Store(&empty)
	d := newDownTrack(up, &participant{id: "sub", srv: srv})
	w := &captureWriter{}
	d.writer, d.ssrc, d.pt = w, 777, 96
	d.bound.Store(true)
	d.setTarget(0)
	low, high := &layer{idx: 0}, &layer{idx: 1}
	send := func(l *layer, seq uint16, ts uint32, pid uint16, start, key bool, now int64) {
		b := vp8Packet(seq, ts, pid, start, key)
		var info rtpInfo
		if !parseRTP(b, &info) {
			t.Fatal("bad packet")
		}
		d.forward(l, b, &info, start && key, now)
	}
	ms := int64(1e6)
	send(high, 5000, 900, 40, true, true, 0)    // not the target
	send(low, 100, 1000, 7, true, false, 0)     // not a keyframe
	send(low, 101, 4000, 8, true, true, 1*ms)   // keyframe: starts
	send(low, 102, 4000, 8, false, false, 2*ms) // rest of it
	send(low, 103, 7750, 9, true, false, 40*ms)
	d.setTarget(1)
	send(low, 104, 11500, 10, true, false, 80*ms) // still low until a high keyframe
	send(high, 5001, 900, 41, true, false, 85*ms) // high interframe: ignored
	send(high, 5002, 4650, 42, true, true, 120*ms)
	send(low, 105, 15250, 11, true, false, 121*ms) // low is over
	send(high, 5003, 4650, 42, false, false, 122*ms)
	send(high, 5001, 900, 41, false, false, 123*ms) // late retransmission from before the switch

	if len(w.hdrs) != 6 {
		t.Fatalf("forwarded %d packets, want 6", len(w.hdrs))
	}
	for i, h := range w.hdrs {
		if h.SSRC != 777 || h.PayloadType != 96 {
			t.Fatalf("packet %d: ssrc %d pt %d", i, h.SSRC, h.PayloadType)
		}
		if i > 0 {
			if h.SequenceNumber != w.hdrs[i-1].SequenceNumber+1 {
				t.Fatalf("packet %d: seq %d after %d", i, h.SequenceNumber, w.hdrs[i-1].SequenceNumber)
			}
			if int32(h.Timestamp-w.hdrs[i-1].Timestamp) < 0 {
				t.Fatalf("packet %d: timestamp went back", i)
			}
		}
	}
	if got := w.hdrs[4].Timestamp - w.hdrs[3].Timestamp; got != 40*90 {
		t.Fatalf("timestamp step across the switch = %d, want 3600 (40 ms of wall clock)", got)
	}
	var pids []uint16
	for _, p := range w.payloads {
		if p[0]&0x10 != 0 {
			pids = append(pids, binary.BigEndian.Uint16(p[2:])&0x7fff)
		}
	}
	if want := []uint16{8, 9, 10, 11}; len(pids) != 4 || pids[0] != want[0] || pids[1] != want[1] || pids[2] != want[2] || pids[3] != want[3] {
		t.Fatalf("picture ids = %v, want %v", pids, want)
	}
	if d.current.Load() != 1 {
		t.Fatalf("current layer = %d", d.current.Load())
	}
	d.setTarget(-1)
	send(high, 5004, 8400, 43, true, false, 160*ms)
	if len(w.hdrs) != 6 {
		t.Fatal("paused track still forwarded")
	}
}
