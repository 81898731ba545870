package media

import (
	"time"

	"github.com/housecall/housecall/internal/signal"
)

// qualityState remembers the counters at the previous quality tick so that
// each score describes the last interval only. Room loop only.
type qualityState struct {
	expected, received uint64
}

// qualityScore maps network measurements to 0–5, as the SDK shows it
// (bars): loss dominates, then round-trip time, then jitter.
//
//	5 excellent: < 1 % loss, RTT < 150 ms, jitter < 20 ms
//	4 good, 3 fair, 2 poor, 1 bad (media barely usable)
//	0 disconnected (reconnecting)
func qualityScore(loss float64, rtt, jitter time.Duration, connected bool) int {
	if !connected {
		return 0
	}
	score := 5
	switch {
	case loss >= 0.15:
		score -= 4
	case loss >= 0.08:
		score -= 3
	case loss >= 0.03:
		score -= 2
	case loss >= 0.01:
		score--
	}
	switch {
	case rtt >= 600*time.Millisecond:
		score -= 2
	case rtt >= 300*time.Millisecond:
		score--
	}
	switch {
	case jitter >= 100*time.Millisecond:
		score -= 2
	case jitter >= 30*time.Millisecond:
		score--
	}
	return max(1, score)
}

// updateQuality computes the participant's score from its uplink (what the
// SFU receives from it) and downlink (receiver reports and TWCC loss about
// what the SFU sends it).
func (p *participant) updateQuality() int {
	p.mu.Lock()
	connected := p.state == signal.StateActive && !p.left
	ups := make([]*upTrack, 0, len(p.published))
	for _, up := range p.published {
		ups = append(ups, up)
	}
	downs := make([]*downTrack, 0, len(p.subs))
	for _, d := range p.subs {
		downs = append(downs, d)
	}
	p.mu.Unlock()

	var expected, received uint64
	var jitter, rtt time.Duration
	for _, up := range ups {
		for i := range numLayers {
			if l := up.layer(i); l != nil {
				expected += l.expected.Load()
				received += l.received.Load()
				jitter = max(jitter, time.Duration(l.jitterUs.Load())*time.Microsecond)
			}
		}
	}
	q := &p.quality
	uplinkLoss := 0.0
	if de := expected - q.expected; expected > q.expected && received >= q.received {
		dr := received - q.received
		if dr < de {
			uplinkLoss = float64(de-dr) / float64(de)
		}
	}
	q.expected, q.received = expected, received

	downlinkLoss := p.bwe.LossRate()
	for _, d := range downs {
		downlinkLoss = max(downlinkLoss, float64(d.lossFrac.Load())/256)
		jitter = max(jitter, time.Duration(d.jitterUs.Load())*time.Microsecond)
		rtt = max(rtt, time.Duration(d.rttUs.Load())*time.Microsecond)
	}
	score := qualityScore(max(uplinkLoss, downlinkLoss), rtt, jitter, connected)
	p.mu.Lock()
	p.score = score
	p.mu.Unlock()
	return score
}
