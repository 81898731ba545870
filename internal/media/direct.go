package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/dtls/v3"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
)

// The direct path.
//
// pion hands every received RTP packet through four goroutines (UDP mux →
// ICE candidate → DTLS/SRTP demultiplexer → SRTP session → track), with a
// buffer copy and a goroutine wake-up at each step, and sends through the
// SRTP session's lock, the ICE connection and the mux. For an SFU that is
// most of the CPU a packet costs apart from the system calls.
//
// Once a participant's PeerConnection is connected (ICE and DTLS) over a UDP
// candidate pair on one of the server's own ICE sockets, its media leaves
// that pipeline:
//
//   - receiving: the socket's reader (batchConn.ReadFromAddrPort) looks the
//     sender's address up, decrypts SRTP with the session keys exported from
//     the DTLS handshake (RFC 5764 §4.2) and calls layer.handle, which
//     forwards to the subscribers, all on the reader goroutine;
//   - sending: downTrack.write encrypts with the local SRTP key and queues
//     the packet on the socket's batched writer for the pair's remote
//     address.
//
// RTCP from the peer is decrypted there too and handed to the same
// handlers pion's readers fed (feedback, NACK, PLI/FIR, reports).
//
// Everything else keeps to pion: STUN (consent, ICE restarts), DTLS, SCTP
// data channels, the RTCP the SFU sends, packets of streams not yet
// known to the SFU (pion must see them to announce the track), RTX repair
// streams, and whole connections over ICE-TCP. A packet the direct path
// cannot authenticate is handed to pion unchanged, so a mistake here costs
// speed, never media.
//
// pion does not export the DTLS connection of a DTLSTransport; it is read
// by reflection (dtlsConnOf). pion is pinned in go.mod and the media tests
// fail if the direct path stops engaging.

// directSocket is an ICE socket that can route a remote address to a peer.
type directSocket interface {
	setRoute(addr netip.AddrPort, dp *directPeer)
	dropRoute(addr netip.AddrPort, dp *directPeer)
	setLookup(func(ssrc uint32) *directPeer)
	WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error)
	LocalAddr() net.Addr
}

// srtpReplayWindow is how far back a packet index may be and still be
// accepted once (retransmissions answer NACKs for up to nackMaxAge packets).
const srtpReplayWindow = nackWindow

// maxRxFailures is how many packets in a row of one stream may fail to
// authenticate on the direct path before the stream is left to pion.
const maxRxFailures = 16

// directPeer is one participant's direct path.
type directPeer struct {
	p *participant

	rxMu   sync.Mutex
	rx     *srtp.Context // and each layer's direct field: under rxMu
	rxHdr  rtp.Header
	layers cowMap[uint32, *layer]

	txMu   sync.Mutex
	tx     *srtp.Context
	txHdr  rtp.Header
	plain  []byte
	sealed []byte
	// The socket and address media is sent to; nil while the selected pair
	// is not a UDP pair on one of our sockets.
	out atomic.Pointer[directOut]

	routeMu sync.Mutex
	routes  []directRoute // installed receive routes
	closed  bool

	rtcpHdr rtcp.Header

	rxPackets, txPackets, rxFallbacks, rtcpPackets atomic.Uint64
}

type directOut struct {
	sock   directSocket
	remote netip.AddrPort
}

type directRoute struct {
	sock directSocket
	addr netip.AddrPort
}

// isRTCP: RTCP packet types 192–223 (RFC 5761 §4).
func isRTCP(b []byte) bool {
	return len(b) >= 8 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223
}

// isRTP tells RTP from RTCP, STUN, DTLS and TURN channel data (RFC 7983,
// RFC 5761 §4).
func isRTP(b []byte) bool {
	return len(b) >= 12 && b[0]>>6 == 2 && (b[1] < 192 || b[1] > 223)
}

// dtlsConnOf returns the DTLS connection of a connected transport.
func dtlsConnOf(t *webrtc.DTLSTransport) (*dtls.Conn, error) {
	if t == nil {
		return nil, errors.New("no DTLS transport")
	}
	f := reflect.ValueOf(t).Elem().FieldByName("conn")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*dtls.Conn]() {
		return nil, errors.New("pion's DTLSTransport has no conn field of type *dtls.Conn")
	}
	c := (*dtls.Conn)(f.UnsafePointer())
	if c == nil {
		return nil, errors.New("DTLS not connected")
	}
	return c, nil
}

// srtpContexts derives the receive and send SRTP contexts from the DTLS
// handshake, exactly as pion does for its own session.
func srtpContexts(t *webrtc.DTLSTransport) (rx, tx *srtp.Context, err error) {
	conn, err := dtlsConnOf(t)
	if err != nil {
		return nil, nil, err
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return nil, nil, errors.New("DTLS handshake not complete")
	}
	prof, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return nil, nil, errors.New("no SRTP protection profile negotiated")
	}
	role := reflect.ValueOf(&state).Elem().FieldByName("isClient")
	if !role.IsValid() || role.Kind() != reflect.Bool {
		return nil, nil, errors.New("dtls.State has no isClient field")
	}
	cfg := srtp.Config{Profile: srtp.ProtectionProfile(prof)}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, role.Bool()); err != nil {
		return nil, nil, fmt.Errorf("export SRTP keys: %w", err)
	}
	rx, err = srtp.CreateContext(cfg.Keys.RemoteMasterKey, cfg.Keys.RemoteMasterSalt, cfg.Profile,
		srtp.SRTPReplayProtection(srtpReplayWindow))
	if err != nil {
		return nil, nil, fmt.Errorf("SRTP receive context: %w", err)
	}
	tx, err = srtp.CreateContext(cfg.Keys.LocalMasterKey, cfg.Keys.LocalMasterSalt, cfg.Profile)
	if err != nil {
		return nil, nil, fmt.Errorf("SRTP send context: %w", err)
	}
	return rx, tx, nil
}

// setupDirect runs when the PeerConnection is connected and again when
// its selected candidate pair changes.
func (p *participant) setupDirect() {
	if p.srv.opts.DisableDirectPath || len(p.srv.eng.directSocks) == 0 {
		return
	}
	dp := p.direct.Load()
	if dp == nil {
		rx, tx, err := srtpContexts(p.pc.SCTP().Transport())
		if err != nil {
			p.log.Warn("direct media path unavailable", "err", err)
			return
		}
		dp = &directPeer{p: p, rx: rx, tx: tx,
			plain: make([]byte, 1500), sealed: make([]byte, 1500+64)}
		if !p.direct.CompareAndSwap(nil, dp) {
			dp = p.direct.Load()
		} else {
			p.mu.Lock()
			for _, up := range p.published {
				up.mu.Lock()
				for _, l := range up.layers {
					if l != nil {
						dp.addLayer(l)
					}
				}
				up.mu.Unlock()
			}
			p.mu.Unlock()
		}
	}
	pair, err := p.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		dp.route(nil, netip.AddrPort{})
		return
	}
	sock, remote := p.srv.eng.directTarget(pair)
	dp.route(sock, remote)
}

// route points the peer at a new remote address (sock nil: none).
func (dp *directPeer) route(sock directSocket, remote netip.AddrPort) {
	dp.routeMu.Lock()
	defer dp.routeMu.Unlock()
	for _, r := range dp.routes {
		r.sock.dropRoute(r.addr, dp)
	}
	dp.routes = dp.routes[:0]
	if sock == nil || dp.closed {
		dp.out.Store(nil)
		return
	}
	// The peer may reach any of our sockets from that address (one per
	// local IP); the reply leaves from the one its pair uses.
	for _, s := range dp.p.srv.eng.directSocks {
		s.setRoute(remote, dp)
		dp.routes = append(dp.routes, directRoute{sock: s, addr: remote})
	}
	dp.out.Store(&directOut{sock: sock, remote: remote})
}

// close takes the peer off its sockets and moves its counters to the
// server's totals (once).
func (dp *directPeer) close() {
	dp.routeMu.Lock()
	was := dp.closed
	dp.closed = true
	dp.routeMu.Unlock()
	dp.route(nil, netip.AddrPort{})
	for _, ssrc := range dp.layers.keys() {
		dp.p.srv.eng.ssrcs.CompareAndDelete(ssrc, dp)
	}
	if !was {
		g := &dp.p.srv.gone
		g.directIn.Add(dp.rxPackets.Load())
		g.directOut.Add(dp.txPackets.Load())
		g.directFallbacks.Add(dp.rxFallbacks.Load())
		g.directRTCP.Add(dp.rtcpPackets.Load())
	}
}

func (dp *directPeer) isClosed() bool {
	dp.routeMu.Lock()
	defer dp.routeMu.Unlock()
	return dp.closed
}

func (dp *directPeer) addLayer(l *layer) {
	dp.layers.set(l.ssrc, l)
	dp.p.srv.eng.ssrcs.LoadOrStore(l.ssrc, dp) // a clash stays on address routes
}

func (dp *directPeer) removeLayer(l *layer) {
	if dp.layers.deleteIf(l.ssrc, l) {
		dp.p.srv.eng.ssrcs.CompareAndDelete(l.ssrc, dp)
	}
}

// routeLayer puts a newly arrived layer on the direct path, if there is one.
func (p *participant) routeLayer(l *layer) {
	if dp := p.direct.Load(); dp != nil {
		dp.addLayer(l)
	}
}

func (p *participant) unrouteLayer(l *layer) {
	if dp := p.direct.Load(); dp != nil {
		dp.removeLayer(l)
	}
}

// directBySSRC finds the peer a stream on the direct path belongs to.
func (e *engine) directBySSRC(ssrc uint32) *directPeer {
	if v, ok := e.ssrcs.Load(ssrc); ok {
		return v.(*directPeer)
	}
	return nil
}

// learnRoute adds a source address the peer was proven (by SRTP
// authentication) to send from.
func (dp *directPeer) learnRoute(s directSocket, addr netip.AddrPort) {
	dp.routeMu.Lock()
	defer dp.routeMu.Unlock()
	if dp.closed || len(dp.routes) >= len(dp.p.srv.eng.directSocks)+maxLearnedRoutes {
		return
	}
	s.setRoute(addr, dp)
	dp.routes = append(dp.routes, directRoute{sock: s, addr: addr})
}

// maxLearnedRoutes bounds the addresses one peer may be known by.
const maxLearnedRoutes = 8

// receive handles one datagram on a socket's reader goroutine; plain is
// that reader's scratch buffer. bySSRC tells that the peer was found by
// the packet's SSRC rather than its address: such a packet may be anyone's,
// so its failures do not count against the stream. False hands the
// datagram, untouched, back to pion.
func (dp *directPeer) receive(pkt, plain []byte, bySSRC bool) bool {
	ssrc := binary.BigEndian.Uint32(pkt[8:12])
	l := dp.layers.get(ssrc)
	if l == nil {
		return false // not (yet) a stream the SFU forwards
	}
	seq := binary.BigEndian.Uint16(pkt[2:4])
	dp.rxMu.Lock()
	if !l.direct.started {
		// The stream's first packet on the direct path: continue the
		// rollover counter from what pion delivered to the layer.
		dp.rx.SetROC(ssrc, l.rocFor(seq))
		l.direct.started = true
	}
	out, err := dp.rx.DecryptRTP(plain, pkt, &dp.rxHdr)
	if err != nil && !isReplay(err) {
		// Perhaps the stream wrapped while packets were still in pion's
		// pipeline: resynchronise from the layer and try once more.
		dp.rx.SetROC(ssrc, l.rocFor(seq))
		out, err = dp.rx.DecryptRTP(plain, pkt, &dp.rxHdr)
	}
	if err != nil {
		if isReplay(err) {
			dp.rxMu.Unlock()
			return true // a duplicate: dropped, as pion would
		}
		if bySSRC {
			dp.rxMu.Unlock()
			return false
		}
		l.direct.failures++
		giveUp := l.direct.failures >= maxRxFailures
		dp.rxMu.Unlock()
		dp.rxFallbacks.Add(1)
		if giveUp {
			dp.removeLayer(l)
			dp.p.log.Warn("direct media path: stream left to pion after repeated authentication failures", "ssrc", ssrc)
		}
		return false
	}
	l.direct.failures = 0
	dp.rxMu.Unlock()
	dp.rxPackets.Add(1)
	l.handle(out, nanotime())
	return true
}

// receiveRTCP decrypts an SRTCP compound packet from the peer and hands it
// to the handlers: feedback about what the peer receives goes to its
// downTracks, sender reports about what it publishes to its layers. False
// hands the datagram, untouched, back to pion.
func (dp *directPeer) receiveRTCP(pkt, plain []byte) bool {
	dp.rxMu.Lock()
	out, err := dp.rx.DecryptRTCP(plain, pkt, &dp.rtcpHdr)
	dp.rxMu.Unlock()
	if err != nil {
		if isReplay(err) {
			return true
		}
		dp.rxFallbacks.Add(1)
		return false
	}
	pkts, err := rtcp.Unmarshal(out)
	if err != nil {
		return true // authenticated but malformed: dropped, as pion would
	}
	p := dp.p
	var buf [16]*downTrack
	downs := buf[:0]
	p.mu.Lock()
	for _, d := range p.subs {
		downs = append(downs, d)
	}
	p.mu.Unlock()
	for _, d := range downs {
		p.onRTCPFor(d, pkts)
	}
	for _, pkt := range pkts {
		if sr, ok := pkt.(*rtcp.SenderReport); ok {
			if l := dp.layers.get(sr.SSRC); l != nil {
				l.onSenderReport(sr)
			}
		}
	}
	dp.rtcpPackets.Add(1)
	return true
}

// isReplay recognises the SRTP replay check's error (its type and
// sentinel are unexported).
// rocFor is the SRTP rollover counter of sequence number seq: the one of
// the extended sequence number nearest the newest the layer has seen.
func (l *layer) rocFor(seq uint16) uint32 {
	h := l.highestExt.Load()
	if l.received.Load() == 0 {
		return 0
	}
	return (h + uint32(int32(int16(seq-uint16(h))))) >> 16
}

func isReplay(err error) bool {
	return strings.Contains(err.Error(), "duplicated packet")
}

// send encrypts and queues one RTP packet for the peer; false if the
// direct path cannot send now (the caller uses pion's writer). d.mu is
// held by the caller.
func (dp *directPeer) send(d *downTrack, h *rtp.Header, payload []byte) bool {
	o := dp.out.Load()
	if o == nil {
		return false
	}
	dp.txMu.Lock()
	defer dp.txMu.Unlock()
	if !d.directTx {
		// First packet of this stream on the direct path: continue the
		// rollover counter pion's writer used for the packets before.
		dp.tx.SetROC(h.SSRC, d.roc)
		d.directTx = true
	}
	n, err := h.MarshalTo(dp.plain)
	if err != nil || n+len(payload) > len(dp.plain) {
		return false
	}
	n += copy(dp.plain[n:], payload)
	sealed, err := dp.tx.EncryptRTP(dp.sealed[:0], dp.plain[:n], &dp.txHdr)
	if err != nil {
		return false
	}
	dp.sealed = sealed[:0]
	if _, err := o.sock.WriteToAddrPort(sealed, o.remote); err != nil {
		return false
	}
	dp.txPackets.Add(1)
	return true
}

// directTarget picks the socket and remote address for a selected pair, or
// nil when the pair does not run over one of our UDP sockets.
func (e *engine) directTarget(pair *webrtc.ICECandidatePair) (directSocket, netip.AddrPort) {
	if pair.Local == nil || pair.Remote == nil ||
		pair.Local.Protocol != webrtc.ICEProtocolUDP || pair.Remote.Protocol != webrtc.ICEProtocolUDP ||
		pair.Local.Typ == webrtc.ICECandidateTypeRelay {
		return nil, netip.AddrPort{}
	}
	ip, err := netip.ParseAddr(pair.Remote.Address)
	if err != nil {
		return nil, netip.AddrPort{} // an unresolved mDNS name
	}
	remote := netip.AddrPortFrom(ip.Unmap(), pair.Remote.Port)
	if len(e.directSocks) == 1 {
		return e.directSocks[0], remote
	}
	local, err := netip.ParseAddr(pair.Local.Address)
	if err != nil {
		return nil, netip.AddrPort{}
	}
	for _, s := range e.directSocks {
		if ua, ok := s.LocalAddr().(*net.UDPAddr); ok && ua.AddrPort().Addr().Unmap() == local.Unmap() && ua.AddrPort().Port() == pair.Local.Port {
			return s, remote
		}
	}
	return nil, netip.AddrPort{}
}
