package media

import (
	"fmt"
	"github.com/housecall/housecall/internal/media/pionlog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// RTP header extension URIs the SFU negotiates.
const (
	uriAudioLevel = sdp.AudioLevelURI
	uriTWCC       = sdp.TransportCCURI
)

// engine holds what every PeerConnection shares: codecs, the ICE sockets
// and settings.
type engine struct {
	media    *webrtc.MediaEngine
	settings webrtc.SettingEngine
	udpMux   ice.UDPMux
	tcpMux   ice.TCPMux
	udpConns []net.PacketConn
	tcpLn    net.Listener
	udpAddrs []net.Addr
	api      *webrtc.API
	// directSocks are the ICE sockets that can carry the direct path.
	directSocks []directSocket
	ssrcs       sync.Map // uint32 → *directPeer: streams on the direct path
	counts      []*socketCounts
}

// socketCounts are a batched ICE socket's system calls and datagrams.
type socketCounts struct {
	readCalls, readDatagrams, writeCalls, writeDatagrams atomic.Uint64
}

// videoFeedback is what subscribers and publishers may ask of a video stream.
var videoFeedback = []webrtc.RTCPFeedback{
	{Type: webrtc.TypeRTCPFBTransportCC},
	{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
	{Type: webrtc.TypeRTCPFBNACK},
	{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
}

// codecs lists what the SFU can forward. VP8 comes first so that it is
// preferred; H.264 and VP9 are accepted from clients that prefer them. No
// RTX: retransmissions travel on the media SSRC, which keeps forwarding a
// single stream per track.
func codecs() []webrtc.RTPCodecParameters {
	v := func(pt webrtc.PayloadType, mime, fmtp string) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtp, RTCPFeedback: videoFeedback},
			PayloadType:        pt,
		}
	}
	return []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1", RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}}},
			PayloadType: 111},
		v(96, webrtc.MimeTypeVP8, ""),
		v(98, webrtc.MimeTypeVP9, "profile-id=0"),
		v(102, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"),
		v(104, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"),
		v(106, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"),
		v(108, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032"),
	}
}

func newMediaEngine() (*webrtc.MediaEngine, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range codecs() {
		kind := webrtc.RTPCodecTypeVideo
		if c.MimeType == webrtc.MimeTypeOpus {
			kind = webrtc.RTPCodecTypeAudio
		}
		if err := m.RegisterCodec(c, kind); err != nil {
			return nil, fmt.Errorf("register codec %s: %w", c.MimeType, err)
		}
	}
	exts := []struct {
		uri  string
		kind webrtc.RTPCodecType
	}{
		{sdp.SDESMidURI, webrtc.RTPCodecTypeAudio},
		{uriAudioLevel, webrtc.RTPCodecTypeAudio},
		{uriTWCC, webrtc.RTPCodecTypeAudio},
		{sdp.SDESMidURI, webrtc.RTPCodecTypeVideo},
		{sdp.SDESRTPStreamIDURI, webrtc.RTPCodecTypeVideo},
		{sdp.SDESRepairRTPStreamIDURI, webrtc.RTPCodecTypeVideo},
		{uriTWCC, webrtc.RTPCodecTypeVideo},
	}
	for _, e := range exts {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: e.uri}, e.kind); err != nil {
			return nil, fmt.Errorf("register extension %s: %w", e.uri, err)
		}
	}
	return m, nil
}

func newEngine(o *Options) (*engine, error) {
	media, err := newMediaEngine()
	if err != nil {
		return nil, err
	}
	e := &engine{media: media}
	logs := pionlog.Factory{Log: o.Logger}
	s := webrtc.SettingEngine{LoggerFactory: logs}
	// Fast failure detection: a phone that walks out of Wi-Fi should be
	// reported as reconnecting within seconds, not half a minute.
	s.SetICETimeouts(4*time.Second, 12*time.Second, 2*time.Second)
	s.SetReceiveMTU(1500)
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}

	if o.Loopback {
		s.SetIncludeLoopbackCandidate(true)
		s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		networks = []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	}
	ips, err := localIPs(o.Loopback)
	if err != nil {
		return nil, err
	}
	var muxes []ice.UDPMux
	for _, ip := range ips {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: o.UDPPort})
		if err != nil {
			e.close()
			return nil, fmt.Errorf("listen ICE UDP on %s port %d: %w", ip, o.UDPPort, err)
		}
		setSocketBuffers(conn)
		bc, err := newBatchConn(conn)
		if err != nil {
			_ = conn.Close()
			e.close()
			return nil, fmt.Errorf("ICE UDP socket: %w", err)
		}
		e.udpConns = append(e.udpConns, bc)
		if ds, ok := bc.(directSocket); ok {
			ds.setLookup(e.directBySSRC)
			e.directSocks = append(e.directSocks, ds)
		}
		if c, ok := bc.(interface{ socketCounts() *socketCounts }); ok {
			e.counts = append(e.counts, c.socketCounts())
		}
		e.udpAddrs = append(e.udpAddrs, conn.LocalAddr())
		muxes = append(muxes, ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: bc, Logger: logs.NewLogger("ice-udp-mux")}))
	}
	if len(muxes) == 1 {
		e.udpMux = muxes[0]
	} else {
		e.udpMux = ice.NewMultiUDPMuxDefault(muxes...)
	}
	s.SetICEUDPMux(e.udpMux)

	if o.TCPPort > 0 {
		host := ""
		if o.Loopback {
			host = "127.0.0.1"
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, fmt.Sprint(o.TCPPort)))
		if err != nil {
			e.close()
			return nil, fmt.Errorf("listen ICE TCP on port %d: %w", o.TCPPort, err)
		}
		e.tcpLn = ln
		e.tcpMux = webrtc.NewICETCPMux(logs.NewLogger("ice-tcp-mux"), ln, 32)
		s.SetICETCPMux(e.tcpMux)
		networks = append(networks, webrtc.NetworkTypeTCP4)
		if !o.Loopback {
			networks = append(networks, webrtc.NetworkTypeTCP6)
		}
	}
	s.SetNetworkTypes(networks)
	if len(o.PublicIPs) > 0 {
		if err := s.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: o.PublicIPs, AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace,
		}); err != nil {
			e.close()
			return nil, fmt.Errorf("public IPs: %w", err)
		}
	}
	e.settings = s
	e.api = e.newAPI()
	return e, nil
}

// localIPs lists the addresses ICE listens on: loopback only in Loopback
// mode, else every global unicast address of every interface that is up
// (one socket each, so replies leave from the address the client used).
func localIPs(loopback bool) ([]net.IP, error) {
	if loopback {
		return []net.IP{net.IPv4(127, 0, 0, 1)}, nil
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var ips []net.IP
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.IsGlobalUnicast() {
				ips = append(ips, n.IP)
			}
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%w: no usable network address for ICE", ErrBadOptions)
	}
	return ips, nil
}

// socketBuffer is the kernel buffer size requested for the ICE socket: a
// six-party simulcast room bursts a few hundred kilobytes per keyframe.
const socketBuffer = 4 << 20

func setSocketBuffers(c *net.UDPConn) {
	_ = c.SetReadBuffer(socketBuffer)
	_ = c.SetWriteBuffer(socketBuffer)
}

// newAPI builds the pion API shared by every PeerConnection. It has no
// interceptors: NACK, TWCC feedback and RTCP reports are done in the
// forwarding path itself (rtcp.go, nack.go), from state the SFU keeps
// anyway, which saves several locks, a header parse and two allocations
// per packet compared with pion's interceptors.
func (e *engine) newAPI() *webrtc.API {
	return webrtc.NewAPI(webrtc.WithMediaEngine(e.media), webrtc.WithSettingEngine(e.settings),
		webrtc.WithInterceptorRegistry(&interceptor.Registry{}))
}

func (e *engine) close() {
	if e.udpMux != nil {
		_ = e.udpMux.Close()
	}
	for _, c := range e.udpConns {
		_ = c.Close()
	}
	if e.tcpMux != nil {
		_ = e.tcpMux.Close()
	}
	if e.tcpLn != nil {
		_ = e.tcpLn.Close()
	}
}
