package media

import (
	"time"

	"github.com/pion/rtcp"
)

// NACK generation towards publishers. Each layer remembers which of the
// last nackWindow sequence numbers arrived; every nackScan it asks the
// publisher again for the missing ones, at most nackRetries times each and
// not more often than nackRetry, and gives up on packets older than the
// window (the decoder will have moved on; a PLI follows if needed).
const (
	nackWindow  = 512
	nackScan    = 20 * time.Millisecond
	nackRetry   = 60 * time.Millisecond
	nackRetries = 8
	nackMaxAge  = 300 // packets; older gaps are abandoned
)

type nackGen struct {
	seen     [nackWindow]uint32 // extended seq + 1 of the packet in each slot
	asked    [nackWindow]uint32 // extended seq + 1 last NACKed from each slot
	tries    [nackWindow]uint8
	askedAt  [nackWindow]int64
	highest  uint32 // extended seq + 1 of the newest packet, 0 before any
	lastScan int64
	missing  []uint16
}

// received records a packet (extended sequence number ext) and, at most
// every nackScan, returns the sequence numbers to NACK now (reused slice).
func (g *nackGen) received(ext uint32, now int64) []uint16 {
	e := ext + 1
	g.seen[ext%nackWindow] = e
	if e > g.highest {
		g.highest = e
	}
	if now-g.lastScan < int64(nackScan) {
		return nil
	}
	g.lastScan = now
	g.missing = g.missing[:0]
	lo := uint32(1)
	if g.highest > nackMaxAge {
		lo = g.highest - nackMaxAge
	}
	for x := lo; x < g.highest; x++ {
		i := (x - 1) % nackWindow
		if g.seen[i] == x {
			continue
		}
		if g.asked[i] != x {
			g.asked[i], g.tries[i], g.askedAt[i] = x, 0, 0
		}
		if g.tries[i] >= nackRetries || now-g.askedAt[i] < int64(nackRetry) {
			continue
		}
		g.tries[i]++
		g.askedAt[i] = now
		g.missing = append(g.missing, uint16(x-1))
	}
	return g.missing
}

// sendNACK asks the publisher for the listed packets of one layer.
func (l *layer) sendNACK(seqs []uint16) {
	p := l.up.owner
	err := p.pc.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{
		SenderSSRC: p.rtcpSSRC, MediaSSRC: l.ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers(seqs),
	}})
	if err != nil {
		p.log.Debug("send NACK", "err", err)
	}
}

// Retransmission towards subscribers: each video downtrack keeps the last
// sendRing packets it sent, by outgoing sequence number.
const sendRing = 256

type sentPacket struct {
	seq    uint16
	ts     uint32
	marker bool
	valid  bool
	buf    []byte
}

// remember stores a forwarded packet; d.mu is held.
func (d *downTrack) remember(seq uint16, ts uint32, marker bool, payload []byte) {
	if d.ring == nil {
		return
	}
	s := &d.ring[int(seq)%sendRing]
	if s.buf == nil {
		s.buf = make([]byte, 0, 1500)
	}
	s.buf = append(s.buf[:0], payload...)
	s.seq, s.ts, s.marker, s.valid = seq, ts, marker, true
}

// retransmit resends what a subscriber's NACK lists, if still remembered.
func (d *downTrack) retransmit(n *rtcp.TransportLayerNack) {
	if d.ring == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.writer == nil {
		return
	}
	for _, pair := range n.Nacks {
		for _, seq := range pair.PacketList() {
			s := &d.ring[int(seq)%sendRing]
			if !s.valid || s.seq != seq {
				continue
			}
			d.write(seq, s.ts, s.marker, s.buf)
			d.resent.Add(1)
		}
	}
}
