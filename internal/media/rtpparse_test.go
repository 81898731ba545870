package media

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
)

func marshal(t *testing.T, p *rtp.Packet) []byte {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRTP(t *testing.T) {
	withExt := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, PayloadType: 96, SequenceNumber: 65535,
		Timestamp: 0xdeadbeef, SSRC: 42, CSRC: []uint32{7}}, Payload: []byte{1, 2, 3}}
	_ = withExt.Header.SetExtension(1, []byte{0x80 | 30})
	_ = withExt.Header.SetExtension(3, []byte("mid"))
	twoByte := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 1, Extension: true, ExtensionProfile: 0x1000}, Payload: []byte{9}}
	_ = twoByte.Header.SetExtension(5, []byte{1, 2})
	padded := marshal(t, &rtp.Packet{Header: rtp.Header{Version: 2, Padding: true, PaddingSize: 4}, Payload: []byte{5, 6}})

	tests := []struct {
		name    string
		b       []byte
		ok      bool
		payload []byte
		extID   uint8
		ext     []byte
	}{
		{"one-byte extensions and csrc", marshal(t, withExt), true, []byte{1, 2, 3}, 3, []byte("mid")},
		{"audio level", marshal(t, withExt), true, []byte{1, 2, 3}, 1, []byte{0x80 | 30}},
		{"missing extension", marshal(t, withExt), true, []byte{1, 2, 3}, 9, nil},
		{"two-byte extension", marshal(t, twoByte), true, []byte{9}, 5, []byte{1, 2}},
		{"padding stripped", padded, true, []byte{5, 6}, 0, nil},
		{"too short", []byte{0x80, 0, 0}, false, nil, 0, nil},
		{"version 1", append([]byte{0x40}, make([]byte, 11)...), false, nil, 0, nil},
		{"padding longer than packet", append([]byte{0xa0}, append(make([]byte, 11), 200)...), false, nil, 0, nil},
		{"extension past the end", []byte{0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 9}, false, nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var info rtpInfo
			ok := parseRTP(tt.b, &info)
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			if got := tt.b[info.payloadOff:info.payloadEnd]; !bytes.Equal(got, tt.payload) {
				t.Fatalf("payload = %v, want %v", got, tt.payload)
			}
			if got := info.extension(tt.b, tt.extID); !bytes.Equal(got, tt.ext) {
				t.Fatalf("extension %d = %v, want %v", tt.extID, got, tt.ext)
			}
		})
	}
	var info rtpInfo
	parseRTP(marshal(t, withExt), &info)
	if info.seq != 65535 || info.ts != 0xdeadbeef || info.ssrc != 42 || !info.marker || info.pt != 96 {
		t.Fatalf("header fields = %+v", info)
	}
}

func TestKeyframeDetection(t *testing.T) {
	vp8Key := []byte{0x90, 0x80, 0x80, 0x05, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02}
	tests := []struct {
		name  string
		codec codecKind
		p     []byte
		key   bool
	}{
		{"vp8 keyframe", codecVP8, vp8Key, true},
		{"vp8 interframe", codecVP8, []byte{0x90, 0x80, 0x80, 0x05, 0x11, 0x02, 0x00}, false},
		{"vp8 continuation", codecVP8, []byte{0x80, 0x80, 0x80, 0x05, 0x10}, false},
		{"vp8 truncated", codecVP8, []byte{0x90, 0x80}, false},
		{"h264 idr", codecH264, []byte{0x65, 0x88}, true},
		{"h264 non-idr", codecH264, []byte{0x41, 0x9a}, false},
		{"h264 stap-a with sps", codecH264, []byte{0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce}, true},
		{"h264 fu-a idr start", codecH264, []byte{0x7c, 0x85}, true},
		{"h264 fu-a idr middle", codecH264, []byte{0x7c, 0x05}, false},
		{"vp9 keyframe start", codecVP9, []byte{0x88}, true},
		{"vp9 inter", codecVP9, []byte{0xc8}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isKeyframeStart(tt.codec, tt.p); got != tt.key {
				t.Fatalf("keyframe = %v, want %v", got, tt.key)
			}
		})
	}
	var d vp8Desc
	if !parseVP8(vp8Key, &d) || d.width != 1280 || d.height != 720 || d.picID != 5 || !d.picID16 || d.size != 4 {
		t.Fatalf("vp8 descriptor = %+v", d)
	}
}
