package media

import "encoding/binary"

// rtpInfo is the part of an RTP header the forwarder needs, parsed in place
// without allocating.
type rtpInfo struct {
	marker     bool
	pt         uint8
	seq        uint16
	ts         uint32
	ssrc       uint32
	payloadOff int // start of the payload
	payloadEnd int // end of the payload, padding excluded
	extOff     int // start of the one-byte/two-byte extension elements, 0 if none
	extEnd     int
	extProfile uint16
}

// parseRTP fills info from a raw RTP packet and reports whether it is well formed.
func parseRTP(b []byte, info *rtpInfo) bool {
	if len(b) < 12 || b[0]>>6 != 2 {
		return false
	}
	cc := int(b[0] & 0x0f)
	info.marker = b[1]&0x80 != 0
	info.pt = b[1] & 0x7f
	info.seq = binary.BigEndian.Uint16(b[2:])
	info.ts = binary.BigEndian.Uint32(b[4:])
	info.ssrc = binary.BigEndian.Uint32(b[8:])
	off := 12 + 4*cc
	info.extOff, info.extEnd, info.extProfile = 0, 0, 0
	if b[0]&0x10 != 0 {
		if len(b) < off+4 {
			return false
		}
		info.extProfile = binary.BigEndian.Uint16(b[off:])
		n := int(binary.BigEndian.Uint16(b[off+2:])) * 4
		info.extOff = off + 4
		off += 4 + n
		info.extEnd = off
	}
	if len(b) < off {
		return false
	}
	end := len(b)
	if b[0]&0x20 != 0 {
		if end == off {
			return false
		}
		pad := int(b[end-1])
		if pad == 0 || end-pad < off {
			return false
		}
		end -= pad
	}
	info.payloadOff, info.payloadEnd = off, end
	return true
}

// extension returns the payload of header extension id (RFC 8285 one-byte
// or two-byte form), or nil.
func (info *rtpInfo) extension(b []byte, id uint8) []byte {
	if info.extOff == 0 || id == 0 {
		return nil
	}
	ext := b[info.extOff:info.extEnd]
	switch {
	case info.extProfile == 0xBEDE:
		for i := 0; i < len(ext); {
			if ext[i] == 0 { // padding
				i++
				continue
			}
			eid := ext[i] >> 4
			l := int(ext[i]&0x0f) + 1
			if eid == 15 || i+1+l > len(ext) {
				return nil
			}
			if eid == id {
				return ext[i+1 : i+1+l]
			}
			i += 1 + l
		}
	case info.extProfile&0xfff0 == 0x1000:
		for i := 0; i+1 < len(ext); {
			if ext[i] == 0 {
				i++
				continue
			}
			eid, l := ext[i], int(ext[i+1])
			if i+2+l > len(ext) {
				return nil
			}
			if eid == id {
				return ext[i+2 : i+2+l]
			}
			i += 2 + l
		}
	}
	return nil
}

// vp8Desc is a parsed VP8 payload descriptor (RFC 7741).
type vp8Desc struct {
	start    bool // S bit with partition 0: first packet of a frame
	keyframe bool
	picIDOff int // offset of the picture id in the payload, 0 if absent
	picID16  bool
	picID    uint16
	tl0Off   int // offset of TL0PICIDX, 0 if absent
	size     int // descriptor length
	width    int // from a keyframe header, else 0
	height   int
}

func parseVP8(p []byte, d *vp8Desc) bool {
	*d = vp8Desc{}
	if len(p) < 1 {
		return false
	}
	i := 1
	if p[0]&0x80 != 0 { // X
		if len(p) < 2 {
			return false
		}
		x := p[1]
		i = 2
		if x&0x80 != 0 { // I
			if len(p) < i+1 {
				return false
			}
			d.picIDOff = i
			if p[i]&0x80 != 0 {
				if len(p) < i+2 {
					return false
				}
				d.picID16 = true
				d.picID = binary.BigEndian.Uint16(p[i:]) & 0x7fff
				i += 2
			} else {
				d.picID = uint16(p[i])
				i++
			}
		}
		if x&0x40 != 0 { // L
			d.tl0Off = i
			i++
		}
		if x&0x30 != 0 { // T or K
			i++
		}
	}
	if len(p) < i {
		return false
	}
	d.size = i
	d.start = p[0]&0x10 != 0 && p[0]&0x0f == 0
	if d.start && len(p) > i {
		d.keyframe = p[i]&0x01 == 0
		if d.keyframe && len(p) >= i+10 && p[i+3] == 0x9d && p[i+4] == 0x01 && p[i+5] == 0x2a {
			d.width = int(binary.LittleEndian.Uint16(p[i+6:]) & 0x3fff)
			d.height = int(binary.LittleEndian.Uint16(p[i+8:]) & 0x3fff)
		}
	}
	return true
}

// isKeyframeStart reports whether an RTP payload begins a keyframe.
func isKeyframeStart(codec codecKind, p []byte) bool {
	switch codec {
	case codecVP8:
		var d vp8Desc
		return parseVP8(p, &d) && d.keyframe
	case codecVP9:
		// I|P|L|F|B|E|V|Z: a frame start (B) that is not inter-predicted (P).
		return len(p) > 0 && p[0]&0x40 == 0 && p[0]&0x08 != 0
	case codecH264:
		return h264Keyframe(p)
	}
	return false
}

func h264Keyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	switch nal := p[0] & 0x1f; nal {
	case 5, 7:
		return true
	case 24: // STAP-A
		for i := 1; i+2 < len(p); {
			n := int(binary.BigEndian.Uint16(p[i:]))
			i += 2
			if i >= len(p) {
				return false
			}
			if t := p[i] & 0x1f; t == 5 || t == 7 {
				return true
			}
			i += n
		}
	case 28: // FU-A
		return len(p) > 1 && p[1]&0x80 != 0 && p[1]&0x1f == 5
	}
	return false
}

type codecKind uint8

const (
	codecOther codecKind = iota
	codecOpus
	codecVP8
	codecVP9
	codecH264
)
