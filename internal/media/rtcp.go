package media

import (
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
)

// RTCP the SFU originates, per participant: transport-wide congestion
// control feedback about what the participant publishes (every 100 ms, so
// its encoder can adapt), receiver reports about its streams and sender
// reports about what it receives from the SFU (every second; the latter
// give subscribers lip-sync and the SFU round-trip times).
const (
	twccInterval   = 100 * time.Millisecond
	reportInterval = time.Second
)

func (p *participant) rtcpLoop() {
	t := time.NewTicker(twccInterval)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		if fb := p.twccFeedback(); len(fb) > 0 {
			p.writeRTCP(fb)
		}
		if n%int(reportInterval/twccInterval) == 0 {
			if pkts := p.reports(time.Now()); len(pkts) > 0 {
				p.writeRTCP(pkts)
			}
		}
	}
}

func (p *participant) writeRTCP(pkts []rtcp.Packet) {
	if err := p.pc.WriteRTCP(pkts); err != nil {
		p.log.Debug("write RTCP", "err", err)
	}
}

// recordTWCC notes the arrival of a packet carrying a transport-wide
// sequence number; called from the layers' read goroutines.
func (p *participant) recordTWCC(ssrc uint32, seq uint16, nowNanos int64) {
	p.twccMu.Lock()
	if p.twccRec == nil {
		p.twccRec = twcc.NewRecorder(p.rtcpSSRC)
	}
	p.twccRec.Record(ssrc, seq, nowNanos/1000)
	p.twccPending++
	p.twccMu.Unlock()
}

func (p *participant) twccFeedback() []rtcp.Packet {
	p.twccMu.Lock()
	defer p.twccMu.Unlock()
	if p.twccRec == nil || p.twccPending == 0 {
		return nil
	}
	p.twccPending = 0
	return p.twccRec.BuildFeedbackPacket()
}

// reports builds one receiver report (blocks for every published layer)
// and a sender report per forwarded track.
func (p *participant) reports(now time.Time) []rtcp.Packet {
	p.mu.Lock()
	ups := make([]*upTrack, 0, len(p.published))
	for _, up := range p.published {
		ups = append(ups, up)
	}
	downs := make([]*downTrack, 0, len(p.subs))
	for _, d := range p.subs {
		downs = append(downs, d)
	}
	p.mu.Unlock()

	var pkts []rtcp.Packet
	rr := &rtcp.ReceiverReport{SSRC: p.rtcpSSRC}
	for _, up := range ups {
		for i := range numLayers {
			if l := up.layer(i); l != nil && len(rr.Reports) < 31 {
				if r, ok := l.report(now); ok {
					rr.Reports = append(rr.Reports, r)
				}
			}
		}
	}
	if len(rr.Reports) > 0 {
		pkts = append(pkts, rr)
	}
	for _, d := range downs {
		if sr, ok := d.senderReport(now); ok {
			pkts = append(pkts, sr)
		}
	}
	return pkts
}

// ntpTime is the 64-bit NTP timestamp of t.
func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix()) + 2208988800
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// report builds the reception report block of one layer (RFC 3550 §6.4.1).
func (l *layer) report(now time.Time) (rtcp.ReceptionReport, bool) {
	expected, received := l.expected.Load(), l.received.Load()
	if expected == 0 {
		return rtcp.ReceptionReport{}, false
	}
	r := &l.rr
	de, dr := expected-r.expected, received-r.received
	r.expected, r.received = expected, received
	var fraction uint8
	if de > 0 && dr < de {
		fraction = uint8((de - dr) * 256 / de)
	}
	lost := uint32(0)
	if expected > received {
		lost = uint32(min(expected-received, 1<<23-1))
	}
	rep := rtcp.ReceptionReport{
		SSRC:               l.ssrc,
		FractionLost:       fraction,
		TotalLost:          lost,
		LastSequenceNumber: l.highestExt.Load(),
		Jitter:             uint32(l.jitterUs.Load() * l.clockRate / 1e6),
	}
	l.srMu.Lock()
	lsr, at := l.lsr, l.srAt
	l.srMu.Unlock()
	if lsr != 0 {
		rep.LastSenderReport = lsr
		rep.Delay = uint32(float64(nanotime()-at) / 1e9 * 65536)
	}
	return rep, true
}

// senderReport describes what this downtrack sent (RFC 3550 §6.4.1).
func (d *downTrack) senderReport(now time.Time) (*rtcp.SenderReport, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.haveLast || d.writer == nil {
		return nil, false
	}
	elapsed := nanotime() - d.lastAt
	return &rtcp.SenderReport{
		SSRC:        d.ssrc,
		NTPTime:     ntpTime(now),
		RTPTime:     d.lastTS + uint32(elapsed*d.clockRate/int64(time.Second)),
		PacketCount: uint32(d.packets.Load()),
		OctetCount:  uint32(d.octets),
	}, true
}
