package media

import (
	"sort"
	"sync"
	"sync/atomic"
)

// speechMeter accumulates the RFC 6464 audio levels of one participant's
// microphone between two speaker ticks. Written from the audio read
// goroutine, read by the room loop.
type speechMeter struct {
	sum atomic.Int64 // Σ loudness, each 0..1000
	n   atomic.Int64
}

// add takes one packet's level: 0 is 0 dBov (loudest), 127 is silence.
func (m *speechMeter) add(level uint8) {
	m.sum.Add(int64(loudness(level) * 1000))
	m.n.Add(1)
}

// loudness maps a level to 0..1: -67 dBov and quieter (room noise) is 0,
// -7 dBov and louder is 1; ordinary speech lands around 0.5–0.8.
func loudness(level uint8) float64 {
	v := (127 - float64(level) - 60) / 60
	return max(0, min(1, v))
}

// take returns the mean loudness since the last call; false if no audio.
func (m *speechMeter) take() (float64, bool) {
	n := m.n.Swap(0)
	sum := m.sum.Swap(0)
	if n == 0 {
		return 0, false
	}
	return float64(sum) / float64(n) / 1000, true
}

// Dominant speaker tuning, in speaker ticks (250 ms).
const (
	speakingLevel  = 0.2  // smoothed loudness above which someone is speaking
	switchMargin   = 1.3  // a challenger must be this much louder…
	switchAbsolute = 0.05 // …plus this
	switchTicks    = 3    // …for this many consecutive ticks
	smoothing      = 0.4  // weight of the newest sample
)

// speakerDetector picks the dominant speaker from smoothed levels with
// hysteresis: the current speaker keeps the floor until someone else is
// clearly louder for most of a second, and stays dominant through pauses.
type speakerDetector struct {
	mu         sync.Mutex
	smooth     map[string]float64
	current    string
	challenger string
	ticks      int
}

func newSpeakerDetector() *speakerDetector {
	return &speakerDetector{smooth: map[string]float64{}}
}

type speakerLevel struct {
	id    string
	level float64
}

// update feeds one tick of samples (every participant present, silent ones
// as 0) and reports whether the dominant speaker changed.
func (d *speakerDetector) update(samples map[string]float64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := range d.smooth {
		if _, ok := samples[id]; !ok {
			delete(d.smooth, id)
		}
	}
	for id, v := range samples {
		d.smooth[id] = (1-smoothing)*d.smooth[id] + smoothing*v
	}
	changed := false
	if _, ok := d.smooth[d.current]; !ok && d.current != "" {
		d.current, changed = "", true // the speaker left
	}
	best, bestLevel := "", 0.0
	for id, v := range d.smooth {
		if v > bestLevel || v == bestLevel && id < best {
			best, bestLevel = id, v
		}
	}
	if best == "" || best == d.current || bestLevel < speakingLevel {
		d.challenger, d.ticks = "", 0
		return changed
	}
	cur := d.smooth[d.current]
	if d.current != "" && bestLevel < cur*switchMargin+switchAbsolute {
		d.challenger, d.ticks = "", 0
		return changed
	}
	if best != d.challenger {
		d.challenger, d.ticks = best, 0
	}
	d.ticks++
	needed := switchTicks
	if d.current == "" {
		needed = 2
	}
	if d.ticks >= needed {
		d.current, d.challenger, d.ticks = best, "", 0
		return true
	}
	return changed
}

func (d *speakerDetector) currentID() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.current
}

// levels lists audible participants, loudest first.
func (d *speakerDetector) levels() []speakerLevel {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []speakerLevel
	for id, v := range d.smooth {
		if v >= 0.05 {
			out = append(out, speakerLevel{id: id, level: min(1, v)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].level > out[j].level })
	return out
}
