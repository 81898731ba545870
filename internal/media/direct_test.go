package media

import (
	"bytes"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
)

var (
	testKey  = bytes.Repeat([]byte{0x42}, 16)
	testSalt = bytes.Repeat([]byte{0x17}, 12)
)

func srtpContext(t *testing.T, opts ...srtp.ContextOption) *srtp.Context {
	t.Helper()
	c, err := srtp.CreateContext(testKey, testSalt, srtp.ProtectionProfileAeadAes128Gcm, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sealRTP(t *testing.T, c *srtp.Context, ssrc uint32, seq uint16, payload []byte) []byte {
	t.Helper()
	plain, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq, Timestamp: uint32(seq) * 960, SSRC: ssrc}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.EncryptRTP(nil, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fakeSocket records what the direct path sends.
type fakeSocket struct {
	mu   sync.Mutex
	sent [][]byte
}

func (s *fakeSocket) setRoute(netip.AddrPort, *directPeer)  {}
func (s *fakeSocket) dropRoute(netip.AddrPort, *directPeer) {}
func (s *fakeSocket) setLookup(func(uint32) *directPeer)    {}
func (s *fakeSocket) LocalAddr() net.Addr                   { return &net.UDPAddr{} }
func (s *fakeSocket) WriteToAddrPort(p []byte, _ netip.AddrPort) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, append([]byte(nil), p...))
	return len(p), nil
}

// sealingWriter stands for pion's SRTP writer: it encrypts with its own
// context, as pion's session does, and records the result in wire order.
type sealingWriter struct {
	t    *testing.T
	ctx  *srtp.Context
	wire *[][]byte
}

func (w *sealingWriter) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	plain, err := (&rtp.Packet{Header: *h, Payload: p}).Marshal()
	if err != nil {
		return 0, err
	}
	out, err := w.ctx.EncryptRTP(nil, plain, nil)
	if err != nil {
		return 0, err
	}
	*w.wire = append(*w.wire, out)
	return len(p), nil
}

func (w *sealingWriter) Write(b []byte) (int, error) { return len(b), nil }

// A subscriber's stream that starts on pion's writer and moves to the direct
// path across a sequence-number wrap must keep the SRTP rollover counter:
// the receiver decrypts every packet, in order, without a gap.
func TestDirectSendContinuesPionsRolloverCounter(t *testing.T) {
	var wire [][]byte
	sock := &fakeSocket{}
	sub := &participant{}
	dp := &directPeer{p: sub, tx: srtpContext(t), plain: make([]byte, 1500), sealed: make([]byte, 1564)}
	dp.out.Store(&directOut{sock: sock, remote: netip.MustParseAddrPort("127.0.0.1:9")})
	d := &downTrack{sub: sub, ssrc: 77, pt: 111, writer: &sealingWriter{t: t, ctx: srtpContext(t), wire: &wire}}
	d.hdr.Extensions = make([]rtp.Extension, 0, 4)

	send := func(seq uint16) {
		t.Helper()
		n := len(sock.sent)
		if !d.write(seq, uint32(seq)*960, false, []byte{byte(seq), byte(seq >> 8), 1, 2, 3}) {
			t.Fatalf("write %d failed", seq)
		}
		if len(sock.sent) > n {
			wire = append(wire, sock.sent[len(sock.sent)-1])
		}
	}
	for _, seq := range []uint16{65533, 65534, 65535, 0} { // wraps on pion's writer
		send(seq)
	}
	pionPackets := len(wire)
	sub.direct.Store(dp)
	send(65535) // a retransmission is not where a stream changes writer
	if len(sock.sent) != 0 {
		t.Fatal("a retransmission moved the stream to the direct path")
	}
	for _, seq := range []uint16{2, 3, 1, 4} { // 1: late (reordered), now direct too
		send(seq)
	}
	if len(sock.sent) != 4 || len(wire) != pionPackets+5 {
		t.Fatalf("direct path sent %d packets, pion %d; want 4 and %d", len(sock.sent), len(wire)-len(sock.sent), pionPackets+1)
	}

	rx := srtpContext(t, srtp.SRTPReplayProtection(512))
	var hdr rtp.Header
	for i, pkt := range wire {
		plain, err := rx.DecryptRTP(nil, pkt, &hdr)
		if i == pionPackets { // the duplicate 65535: refused as a replay, nothing else
			if err == nil || !isReplay(err) {
				t.Fatalf("packet %d (a duplicate): err = %v, want a replay error", i, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("packet %d (seq %d) does not decrypt: %v", i, hdr.SequenceNumber, err)
		}
		if plain[12] != byte(hdr.SequenceNumber) {
			t.Fatalf("packet %d: payload %x for seq %d", i, plain[12:], hdr.SequenceNumber)
		}
	}
}

// testLayer is an audio layer with no subscribers, enough for handle.
func testLayer(ssrc uint32) *layer {
	up := &upTrack{mediaKind: webrtc.RTPCodecTypeAudio}
	empty := []*downTrack{}
	up.subs.Store(&empty)
	return &layer{up: up, ssrc: ssrc, clockRate: 48000}
}

func TestDirectReceive(t *testing.T) {
	const ssrc = 5
	tx := srtpContext(t)
	var pkts [][]byte
	seqs := []uint16{65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3}
	for _, s := range seqs {
		pkts = append(pkts, sealRTP(t, tx, ssrc, s, []byte{byte(s), 9, 9}))
	}
	newPeer := func() (*directPeer, *layer) {
		p := &participant{log: slog.New(slog.DiscardHandler), srv: &Server{eng: &engine{}}}
		dp := &directPeer{p: p, rx: srtpContext(t, srtp.SRTPReplayProtection(srtpReplayWindow))}
		return dp, testLayer(ssrc)
	}
	scratch := make([]byte, 1500)

	t.Run("stream that wrapped before it reached the direct path", func(t *testing.T) {
		dp, l := newPeer()
		// pion delivered the first six (decrypted by its own context).
		pion := srtpContext(t)
		for _, pkt := range pkts[:6] {
			plain, err := pion.DecryptRTP(nil, pkt, nil)
			if err != nil {
				t.Fatal(err)
			}
			l.handle(plain, nanotime())
		}
		// Packets of unknown streams go to pion untouched.
		if dp.receive(pkts[6], scratch, false) {
			t.Fatal("a packet of an unrouted stream was taken")
		}
		dp.addLayer(l)
		for _, pkt := range pkts[6:] {
			if !dp.receive(pkt, scratch, false) {
				t.Fatalf("packet refused: %d fallbacks", dp.rxFallbacks.Load())
			}
		}
		if got := l.packets.Load(); got != uint64(len(pkts)) {
			t.Fatalf("layer saw %d packets, want %d", got, len(pkts))
		}
		if dp.rxPackets.Load() != 4 || dp.rxFallbacks.Load() != 0 {
			t.Fatalf("direct %d, fallbacks %d", dp.rxPackets.Load(), dp.rxFallbacks.Load())
		}
		// A duplicate is dropped, not handled twice nor handed to pion.
		if !dp.receive(pkts[9], scratch, false) || l.packets.Load() != uint64(len(pkts)) {
			t.Fatal("duplicate not dropped")
		}
	})

	t.Run("packets that fail authentication go back to pion unchanged", func(t *testing.T) {
		dp, l := newPeer()
		dp.addLayer(l)
		for i := range maxRxFailures {
			bad := append([]byte(nil), pkts[i%len(pkts)]...)
			bad[len(bad)-1] ^= 0xff
			orig := append([]byte(nil), bad...)
			if dp.receive(bad, scratch, false) {
				t.Fatal("a forged packet was accepted")
			}
			if !bytes.Equal(bad, orig) {
				t.Fatal("a refused packet was modified")
			}
		}
		// After maxRxFailures in a row the stream is left to pion.
		if dp.receive(pkts[0], scratch, false) || l.packets.Load() != 0 {
			t.Fatal("the stream stayed on the direct path after repeated failures")
		}
	})

	t.Run("forged packets found by SSRC do not take the stream off the direct path", func(t *testing.T) {
		dp, l := newPeer()
		dp.addLayer(l)
		for range 2 * maxRxFailures {
			bad := append([]byte(nil), pkts[0]...)
			bad[len(bad)-1] ^= 0xff
			if dp.receive(bad, scratch, true) {
				t.Fatal("a forged packet was accepted")
			}
		}
		if dp.p.srv.eng.directBySSRC(ssrc) != dp || !dp.receive(pkts[0], scratch, true) {
			t.Fatal("the stream left the direct path because of someone else's packets")
		}
	})
}
