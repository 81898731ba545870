package media

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/signal"
)

func TestSpeakerDetectorHysteresis(t *testing.T) {
	d := newSpeakerDetector()
	tick := func(a, b float64) bool { return d.update(map[string]float64{"a": a, "b": b}) }
	// a starts speaking: dominant after two ticks.
	if tick(0.7, 0) {
		t.Fatal("switched after one tick")
	}
	if !tick(0.7, 0) || d.currentID() != "a" {
		t.Fatalf("dominant = %q, want a", d.currentID())
	}
	// b coughs once: no switch.
	tick(0.7, 0.9)
	tick(0.7, 0)
	if d.currentID() != "a" {
		t.Fatal("a cough took the floor")
	}
	// a pauses: still the dominant speaker.
	for range 10 {
		tick(0, 0)
	}
	if d.currentID() != "a" {
		t.Fatal("dominant speaker dropped during silence")
	}
	// b talks for a while: takes over.
	changed := false
	for range 6 {
		changed = tick(0, 0.8) || changed
	}
	if !changed || d.currentID() != "b" {
		t.Fatalf("dominant = %q, want b", d.currentID())
	}
	// b leaves.
	if !d.update(map[string]float64{"a": 0}) || d.currentID() != "" {
		t.Fatalf("dominant after leaving = %q", d.currentID())
	}
}

func TestSpeechMeter(t *testing.T) {
	var m speechMeter
	if _, ok := m.take(); ok {
		t.Fatal("empty meter reported audio")
	}
	m.add(127)
	m.add(7)
	v, ok := m.take()
	if !ok || v != 0.5 {
		t.Fatalf("take = %v %v, want 0.5", v, ok)
	}
}

func TestQualityScore(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		loss        float64
		rtt, jitter time.Duration
		connected   bool
		want        int
	}{
		{0, 20 * ms, 5 * ms, true, 5},
		{0.02, 20 * ms, 5 * ms, true, 4},
		{0.05, 350 * ms, 5 * ms, true, 2},
		{0.10, 20 * ms, 40 * ms, true, 1},
		{0.30, 900 * ms, 200 * ms, true, 1},
		{0, 0, 0, false, 0},
	}
	for _, tt := range tests {
		if got := qualityScore(tt.loss, tt.rtt, tt.jitter, tt.connected); got != tt.want {
			t.Errorf("qualityScore(%v, %v, %v, %v) = %d, want %d", tt.loss, tt.rtt, tt.jitter, tt.connected, got, tt.want)
		}
	}
}

// feedback reports packets [base, base+n) with arrival spacing step µs;
// lost[i] marks packets never received.
func feedback(count uint8, base uint16, n int, step int64, lost func(int) bool) *rtcp.TransportLayerCC {
	fb := &rtcp.TransportLayerCC{BaseSequenceNumber: base, PacketStatusCount: uint16(n), FbPktCount: count}
	for i := range n {
		sym := uint16(rtcp.TypeTCCPacketReceivedSmallDelta)
		if lost(i) {
			sym = rtcp.TypeTCCPacketNotReceived
		} else {
			fb.RecvDeltas = append(fb.RecvDeltas, &rtcp.RecvDelta{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: step})
		}
		fb.PacketChunks = append(fb.PacketChunks, &rtcp.RunLengthChunk{PacketStatusSymbol: sym, RunLength: 1})
	}
	return fb
}

func TestBWEFollowsFeedback(t *testing.T) {
	now := time.Unix(1000, 0)
	b := newBWE(func() time.Time { return now })
	var seq uint16
	sendBatch := func(n int) uint16 {
		base := seq
		for range n {
			h := rtp.Header{}
			b.stamp(&h, 3, 1200)
			if len(h.Extensions) != 1 || h.GetExtension(3) == nil {
				t.Fatal("transport sequence number not stamped")
			}
			seq++
			now = now.Add(time.Millisecond)
		}
		return base
	}
	start := b.Estimate()
	for i := range 10 {
		base := sendBatch(100)
		b.onFeedback(feedback(uint8(i), base, 100, 1000, func(int) bool { return false }))
	}
	grown := b.Estimate()
	if grown <= start {
		t.Fatalf("no loss: estimate %d did not grow from %d", grown, start)
	}
	// The same feedback delivered twice (compound packet on two streams) counts once.
	base := sendBatch(100)
	lossy := feedback(42, base, 100, 1000, func(i int) bool { return i%4 == 0 })
	b.onFeedback(lossy)
	after := b.Estimate()
	b.onFeedback(lossy)
	if b.Estimate() != after {
		t.Fatal("duplicate feedback processed twice")
	}
	if after >= grown {
		t.Fatalf("25%% loss: estimate %d did not drop from %d", after, grown)
	}
	if b.LossRate() <= 0 {
		t.Fatal("loss rate not tracked")
	}
}

func TestChooseLayer(t *testing.T) {
	now := int64(10e9)
	up := &upTrack{mediaKind: webrtc.RTPCodecTypeVideo, simulcast: true}
	for i, hgt := range []int32{180, 360, 720} {
		l := &layer{idx: i, rid: layerRIDs[i]}
		l.width.Store(hgt * 16 / 9)
		l.height.Store(hgt)
		l.lastAt.Store(now)
		l.bitrate.Store(int64(nominalBitrate[i]))
		up.layers[i] = l
	}
	sized := func(w, h int32) *downTrack {
		d := &downTrack{}
		d.current.Store(-1)
		d.renderW.Store(w)
		d.renderH.Store(h)
		d.sized.Store(true)
		return d
	}
	unsized := &downTrack{}
	unsized.current.Store(-1)
	tests := []struct {
		name     string
		d        *downTrack
		favoured bool
		budget   int64
		want     int
	}{
		{"thumbnail", sized(160, 90), false, 10e6, 0},
		{"half screen", sized(640, 360), false, 10e6, 1},
		{"full screen", sized(1280, 720), false, 10e6, 2},
		{"full screen, poor link", sized(1280, 720), false, 600_000, 1},
		{"nothing fits", sized(1280, 720), false, 10_000, 0},
		{"unknown size", unsized, false, 10e6, 1},
		{"unknown size, dominant speaker", unsized, true, 10e6, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chooseLayer(up, tt.d, tt.favoured, tt.budget, now); got != tt.want {
				t.Fatalf("layer = %d, want %d", got, tt.want)
			}
		})
	}
	// A layer the publisher stopped sending is not chosen.
	up.layers[2].lastAt.Store(now - int64(5*time.Second))
	if got := chooseLayer(up, sized(1280, 720), false, 10e6, now); got != 1 {
		t.Fatalf("with f stopped: layer = %d, want 1", got)
	}
	// Unless the SFU itself asked for the pause (nobody watched full size):
	// then a subscriber going full screen brings it back.
	up.hintedOff = 1 << 2
	if got := chooseLayer(up, sized(1280, 720), false, 10e6, now); got != 2 {
		t.Fatalf("with f paused by a hint: layer = %d, want 2", got)
	}
}

// sendHint remembers which existing layers it left out.
func TestHintRemembersPausedLayers(t *testing.T) {
	up := &upTrack{id: "cam", mediaKind: webrtc.RTPCodecTypeVideo, simulcast: true, owner: &participant{log: slog.New(slog.DiscardHandler)}}
	for i := range numLayers {
		up.layers[i] = &layer{idx: i, rid: layerRIDs[i]}
	}
	d := &downTrack{}
	d.current.Store(1)
	d.target.Store(1)
	subs := []*downTrack{d}
	up.subs.Store(&subs)
	up.sendHint()
	if got := up.pausedByHint(); got != 1<<2 {
		t.Fatalf("paused by hint = %03b, want 100 (q kept as fallback, h in use)", got)
	}
	d.target.Store(2)
	up.sendHint()
	if got := up.pausedByHint(); got != 0 {
		t.Fatalf("paused by hint = %03b after f was chosen, want none", got)
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		err   error
		code  signal.Code
		fatal bool
	}{
		{ErrUnauthorized, signal.CodeUnauthorized, true},
		{ErrRoomFull, signal.CodeRoomFull, true},
		{ErrRoomClosed, signal.CodeRoomClosed, true},
		{ErrForbidden, signal.CodeForbidden, false},
		{errors.New("boom"), signal.CodeInternal, false},
		{signal.ErrUnsupportedVersion, signal.CodeUnsupportedVersion, true},
		{softErr(signal.CodeChatFailed, "x", nil), signal.CodeChatFailed, false},
	}
	for _, tt := range tests {
		ce := toClientError(tt.err)
		if ce.code != tt.code || ce.fatal != tt.fatal {
			t.Errorf("%v -> %s fatal=%v, want %s fatal=%v", tt.err, ce.code, ce.fatal, tt.code, tt.fatal)
		}
	}
	if got := toClientError(errors.New("secret-token-abc")).msg; got != "internal error" {
		t.Errorf("internal cause leaked to the client: %q", got)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{UDPPort: -1}, {TCPPort: 70000}, {MaxParticipants: 1000}} {
		if _, err := New(o); !errors.Is(err, ErrBadOptions) {
			t.Errorf("New(%+v) = %v, want ErrBadOptions", o, err)
		}
	}
}
