package media

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// Bandwidth estimate bounds, bits per second.
const (
	bweInitial = 3_000_000
	bweMin     = 100_000
	bweMax     = 20_000_000
)

const bweSlots = 1 << 13 // sent packets remembered for feedback (~8 s at 1000 pps)

// bwe estimates the downlink capacity of one subscriber from transport-wide
// congestion control feedback (TWCC): it stamps a transport sequence number
// on every packet sent to that subscriber, remembers when and how big, and
// reads the arrival times the subscriber reports back. The controller is a
// simplified GCC: multiplicative increase while there is no loss and no
// growing queue, decrease to 85 % of the delivered rate when the queueing
// delay grows, loss-proportional decrease above 10 % loss. It is cheap on
// the send path (one atomic add and two atomic stores per packet) and runs
// the controller only when feedback arrives (~10 times a second).
type bwe struct {
	now   func() time.Time
	start time.Time
	seq   atomic.Uint32
	// sent[seq % bweSlots] packs seq (16 bits), send time in µs since start
	// (36 bits, wraps after 19 h: only differences are used) and size (12 bits).
	sent [bweSlots]atomic.Uint64
	// ext holds the 2-byte extension payload of each in-flight packet; the
	// slot is indexed by sequence number so concurrent writers never share one.
	ext [bweSlots][2]byte

	estimate atomic.Int64

	mu         sync.Mutex
	lastFb     int // last feedback packet count processed, -1 none
	minOWD     int64
	minOWDAt   time.Time
	prevQueue  int64
	overuses   int
	lossEWMA   float64
	lastUpdate time.Time
}

func newBWE(now func() time.Time) *bwe {
	b := &bwe{now: now, start: now(), lastFb: -1, minOWD: 1 << 62}
	b.estimate.Store(bweInitial)
	return b
}

// Estimate returns the current estimate in bits per second.
func (b *bwe) Estimate() int64 { return b.estimate.Load() }

// LossRate returns the smoothed loss ratio seen in feedback (0–1).
func (b *bwe) LossRate() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lossEWMA
}

func (b *bwe) sinceStartUs() int64 { return b.now().Sub(b.start).Microseconds() }

// stamp assigns the next transport sequence number to an outgoing packet.
func (b *bwe) stamp(h *rtp.Header, extID uint8, size int) {
	seq := uint16(b.seq.Add(1) - 1)
	slot := int(seq) % bweSlots
	binary.BigEndian.PutUint16(b.ext[slot][:], seq)
	_ = h.SetExtension(extID, b.ext[slot][:])
	if size > 0xfff {
		size = 0xfff
	}
	t := uint64(b.sinceStartUs()) & (1<<36 - 1)
	b.sent[slot].Store(uint64(seq)<<48 | t<<12 | uint64(size))
}

func (b *bwe) lookup(seq uint16) (sendUs int64, size int, ok bool) {
	v := b.sent[int(seq)%bweSlots].Load()
	if uint16(v>>48) != seq || v == 0 {
		return 0, 0, false
	}
	return int64(v>>12) & (1<<36 - 1), int(v & 0xfff), true
}

// onFeedback runs the controller on one TWCC feedback packet.
func (b *bwe) onFeedback(fb *rtcp.TransportLayerCC) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if int(fb.FbPktCount) == b.lastFb {
		return // the same compound packet delivered to a second stream
	}
	b.lastFb = int(fb.FbPktCount)

	var (
		total, lost      int
		bytes            int
		firstArr, lastAr int64 = -1, -1
		queueSum         int64
		queueN           int64
	)
	arrival := int64(fb.ReferenceTime) * 64000
	deltas := fb.RecvDeltas
	seq := fb.BaseSequenceNumber
	visit := func(received bool) {
		total++
		if !received {
			lost++
			seq++
			return
		}
		if len(deltas) > 0 {
			arrival += deltas[0].Delta
			deltas = deltas[1:]
		}
		if sendUs, size, ok := b.lookup(seq); ok {
			bytes += size
			if firstArr < 0 {
				firstArr = arrival
			}
			lastAr = arrival
			owd := arrival - sendUs
			if owd < b.minOWD || b.now().Sub(b.minOWDAt) > 10*time.Second {
				b.minOWD, b.minOWDAt = owd, b.now()
			}
			queueSum += owd - b.minOWD
			queueN++
		}
		seq++
	}
	remaining := int(fb.PacketStatusCount)
	for _, chunk := range fb.PacketChunks {
		switch c := chunk.(type) {
		case *rtcp.RunLengthChunk:
			for i := 0; i < int(c.RunLength) && remaining > 0; i++ {
				visit(c.PacketStatusSymbol != rtcp.TypeTCCPacketNotReceived)
				remaining--
			}
		case *rtcp.StatusVectorChunk:
			for _, s := range c.SymbolList {
				if remaining == 0 {
					break
				}
				if c.SymbolSize == rtcp.TypeTCCSymbolSizeOneBit {
					visit(s != 0)
				} else {
					visit(s != rtcp.TypeTCCPacketNotReceived)
				}
				remaining--
			}
		}
	}
	if total == 0 {
		return
	}
	loss := float64(lost) / float64(total)
	b.lossEWMA = 0.8*b.lossEWMA + 0.2*loss

	est := b.estimate.Load()
	var rate int64
	if span := lastAr - firstArr; span > 20_000 {
		rate = int64(bytes) * 8 * 1_000_000 / span
	}
	queue := int64(0)
	if queueN > 0 {
		queue = queueSum / queueN
	}
	growing := queue > 30_000 && queue > b.prevQueue
	b.prevQueue = queue
	if growing {
		b.overuses++
	} else {
		b.overuses = 0
	}
	switch {
	case b.overuses >= 2 && rate > 0:
		est = min(est, rate*85/100)
	case loss > 0.10:
		est = int64(float64(est) * (1 - 0.5*loss))
	case loss < 0.02 && !growing:
		est = est * 105 / 100
	}
	est = max(bweMin, min(bweMax, est))
	b.estimate.Store(est)
}
