package mediatest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/logging"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/signal"
)

// Simulcast choices for Config.Simulcast.
const (
	SimulcastAuto = iota // follow the publish profile in "joined"
	SimulcastOn
	SimulcastOff
)

// Config describes one synthetic participant.
type Config struct {
	URL    string // ws://host:port/rtc
	Token  string
	Header http.Header // extra handshake headers (Origin)

	Audio, Video bool
	Simulcast    int
	// Top layer; defaults 1280×720, 24 fps, 1.5 Mbit/s. Simulcast layers
	// are ¼ and ½ of the size at 1/10 and 1/3 of the bitrate.
	Width, Height, FPS, Bitrate int
	KeyframeInterval            time.Duration // default 3 s
	Speaking                    bool          // audio level: speech or silence

	DropIn, DropOut float64 // injected RTP loss on this client's link
	// TCP makes the client use ICE over TCP only (active candidates to the
	// server's ICE-TCP port), as behind a firewall that blocks UDP.
	TCP    bool
	Seed   uint64
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.Width == 0 {
		c.Width, c.Height = 1280, 720
	}
	if c.FPS == 0 {
		c.FPS = 24
	}
	if c.Bitrate == 0 {
		c.Bitrate = 1_500_000
	}
	if c.KeyframeInterval == 0 {
		c.KeyframeInterval = DefaultKeyframeInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// SignalError is an error message the server sent.
type SignalError struct {
	Code    signal.Code
	Message string
}

func (e *SignalError) Error() string { return fmt.Sprintf("server error %s: %s", e.Code, e.Message) }

// Client is one connected synthetic participant.
type Client struct {
	cfg       Config
	pc        *webrtc.PeerConnection
	stop      chan struct{}
	stopped   sync.Once
	mediaStop chan struct{}
	mediaOnce sync.Once

	mu       sync.Mutex
	ws       *websocket.Conn
	joined   signal.Joined
	msgs     []signal.Message
	notify   chan struct{}
	readDone chan struct{}
	mids     map[string]signal.TrackRef
	remote   []*RemoteTrack
	pubs     []*publisher

	conn *lossyConn
	mux  ice.UDPMux

	negMu        sync.Mutex
	pendingCands []webrtc.ICECandidateInit
	needOffer    bool

	candMu    sync.Mutex
	holding   bool
	heldCands []signal.Candidate
}

// Dial joins a room: signalling, PeerConnection, publications, first offer.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	cfg.defaults()
	c := &Client{cfg: cfg, stop: make(chan struct{}), mediaStop: make(chan struct{}), notify: make(chan struct{}), mids: map[string]signal.TrackRef{}}
	if err := c.newPC(); err != nil {
		return nil, err
	}
	if err := c.connect(ctx, signal.TypeJoin, &signal.Join{Token: cfg.Token, SDK: "mediatest"}); err != nil {
		_ = c.pc.Close()
		_ = c.mux.Close()
		_ = c.conn.Close()
		return nil, err
	}
	if err := c.publish(); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.offer(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// connect opens the WebSocket, sends the first message and waits for
// "joined" (or the error that refuses it).
func (c *Client) connect(ctx context.Context, t signal.Type, body any) error {
	ws, _, err := websocket.Dial(ctx, c.cfg.URL, &websocket.DialOptions{HTTPHeader: c.cfg.Header})
	if err != nil {
		return fmt.Errorf("dial signalling: %w", err)
	}
	ws.SetReadLimit(1 << 20)
	if err := ws.Write(ctx, websocket.MessageText, signal.MustEncode(t, "1", body)); err != nil {
		ws.CloseNow()
		return fmt.Errorf("send %s: %w", t, err)
	}
	_, b, err := ws.Read(ctx)
	if err != nil {
		ws.CloseNow()
		return fmt.Errorf("read joined: %w", err)
	}
	m, err := signal.Decode(b)
	if err != nil {
		ws.CloseNow()
		return fmt.Errorf("decode joined: %w", err)
	}
	c.record(m)
	switch body := m.Body.(type) {
	case *signal.Joined:
		c.mu.Lock()
		c.ws, c.joined = ws, *body
		done := make(chan struct{})
		c.readDone = done
		c.mu.Unlock()
		go c.readLoop(ws, done)
		return nil
	case *signal.Error:
		ws.CloseNow()
		return &SignalError{Code: body.Code, Message: body.Message}
	}
	ws.CloseNow()
	return fmt.Errorf("unexpected first message %q", m.Type)
}

// Joined returns the latest joined message (updated by Resume).
func (c *Client) Joined() signal.Joined {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.joined
}

// ID is this participant's id.
// Protocol is the transport of the selected ICE candidate pair ("udp",
// "tcp"), or "" before one is selected.
func (c *Client) Protocol() string {
	pair, err := c.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local == nil {
		return ""
	}
	return pair.Local.Protocol.String()
}

func (c *Client) ID() string { return c.Joined().ParticipantID }

func (c *Client) record(m signal.Message) {
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	close(c.notify)
	c.notify = make(chan struct{})
	c.mu.Unlock()
}

func (c *Client) readLoop(ws *websocket.Conn, done chan struct{}) {
	defer close(done)
	for {
		_, b, err := ws.Read(context.Background())
		if err != nil {
			return
		}
		m, err := signal.Decode(b)
		if err != nil {
			c.cfg.Logger.Error("bad server message", "err", err)
			continue
		}
		c.record(m)
		var herr error
		switch body := m.Body.(type) {
		case *signal.SessionDescription:
			if m.Type == signal.TypeOffer {
				herr = c.onOffer(body)
			} else {
				herr = c.onAnswer(body.SDP)
			}
		case *signal.Candidate:
			herr = c.onCandidate(body)
		}
		if herr != nil {
			c.cfg.Logger.Error("signalling", "type", m.Type, "err", herr)
		}
	}
}

// Send writes one message.
func (c *Client) Send(t signal.Type, body any) error {
	b, err := signal.Encode(t, "", body)
	if err != nil {
		return err
	}
	return c.SendRaw(b)
}

// SendRaw writes arbitrary bytes as a text message (for malformed input).
func (c *Client) SendRaw(b []byte) error {
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws == nil {
		return errors.New("not connected")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return ws.Write(ctx, websocket.MessageText, b)
}

// Messages returns everything received so far.
func (c *Client) Messages() []signal.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]signal.Message(nil), c.msgs...)
}

// WaitFor blocks until a received message (past or future) satisfies match.
func (c *Client) WaitFor(ctx context.Context, match func(signal.Message) bool) (signal.Message, error) {
	seen := 0
	for {
		c.mu.Lock()
		msgs, ch := c.msgs[seen:], c.notify
		seen = len(c.msgs)
		c.mu.Unlock()
		for _, m := range msgs {
			if match(m) {
				return m, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return signal.Message{}, fmt.Errorf("waiting for a message: %w", ctx.Err())
		}
	}
}

// WaitType waits for a message of type t.
func (c *Client) WaitType(ctx context.Context, t signal.Type) (signal.Message, error) {
	return c.WaitFor(ctx, func(m signal.Message) bool { return m.Type == t })
}

// SignallingDone is closed when the current WebSocket's reader ends.
func (c *Client) SignallingDone() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readDone
}

// DropSignalling closes the WebSocket abruptly, as a lost network would.
func (c *Client) DropSignalling() {
	c.mu.Lock()
	ws := c.ws
	c.ws = nil
	c.mu.Unlock()
	if ws != nil {
		ws.CloseNow()
	}
}

// Resume reconnects the signalling with the resume secret; the server then
// restarts ICE.
func (c *Client) Resume(ctx context.Context) error {
	j := c.Joined()
	return c.connect(ctx, signal.TypeResume, &signal.Resume{Token: c.cfg.Token, ParticipantID: j.ParticipantID, ResumeSecret: j.ResumeSecret})
}

// SetRenderedSize reports how large a remote video is shown.
func (c *Client) SetRenderedSize(participantID, trackID string, w, h int) error {
	return c.Send(signal.TypeSubscription, &signal.Subscription{ParticipantID: participantID, TrackID: trackID, Width: w, Height: h})
}

// Close leaves the room and releases everything.
func (c *Client) Close() {
	c.stopped.Do(func() {
		close(c.stop)
		c.StopMedia()
		_ = c.Send(signal.TypeLeave, &signal.Leave{Reason: "done"})
		c.mu.Lock()
		ws := c.ws
		c.mu.Unlock()
		if ws != nil {
			_ = ws.Close(websocket.StatusNormalClosure, "bye")
		}
		if c.pc != nil {
			_ = c.pc.Close()
		}
		if c.mux != nil {
			_ = c.mux.Close()
			_ = c.conn.Close()
		}
	})
}

// CutNetwork makes the client's UDP socket lose everything (true) or work
// again (false), like a phone walking out of Wi-Fi coverage.
func (c *Client) CutNetwork(cut bool) { c.conn.setCut(cut) }

// Dropped returns how many RTP packets the injected loss discarded.
func (c *Client) Dropped() int { return c.conn.count() }

// PeerConnection exposes the underlying connection (for state checks).
func (c *Client) PeerConnection() *webrtc.PeerConnection { return c.pc }

func (c *Client) newPC() error {
	me := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "transport-cc"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: fb},
		PayloadType:        96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return err
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1", RTCPFeedback: []webrtc.RTCPFeedback{{Type: "transport-cc"}}},
		PayloadType: 111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return err
	}
	for _, e := range []struct {
		uri  string
		kind webrtc.RTPCodecType
	}{
		{sdp.SDESMidURI, webrtc.RTPCodecTypeAudio}, {sdp.AudioLevelURI, webrtc.RTPCodecTypeAudio}, {sdp.TransportCCURI, webrtc.RTPCodecTypeAudio},
		{sdp.SDESMidURI, webrtc.RTPCodecTypeVideo}, {sdp.SDESRTPStreamIDURI, webrtc.RTPCodecTypeVideo},
		{sdp.SDESRepairRTPStreamIDURI, webrtc.RTPCodecTypeVideo}, {sdp.TransportCCURI, webrtc.RTPCodecTypeVideo},
	} {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: e.uri}, e.kind); err != nil {
			return err
		}
	}
	// The interceptors a browser runs: TWCC (so the SFU's bandwidth
	// estimator gets feedback), NACK both ways, RTCP reports. Their logs
	// (errors on close) are dropped.
	quiet := quietLogs{}
	reg := &interceptor.Registry{}
	twccHdr, _ := twcc.NewHeaderExtensionInterceptor()
	reg.Add(twccHdr)
	twccSend, _ := twcc.NewSenderInterceptor(twcc.WithLoggerFactory(quiet))
	reg.Add(twccSend)
	resp, _ := nack.NewResponderInterceptor(nack.ResponderSize(1024), nack.WithResponderLoggerFactory(quiet))
	reg.Add(resp)
	gen, _ := nack.NewGeneratorInterceptor(nack.GeneratorInterval(20*time.Millisecond), nack.WithGeneratorLoggerFactory(quiet))
	reg.Add(gen)
	sr, _ := report.NewSenderInterceptor(report.SenderLog(quiet.NewLogger("")))
	reg.Add(sr)
	rr, _ := report.NewReceiverInterceptor(report.ReceiverLog(quiet.NewLogger("")))
	reg.Add(rr)

	se := webrtc.SettingEngine{LoggerFactory: quiet}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if c.cfg.TCP {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4})
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	_ = udp.SetReadBuffer(1 << 20)
	c.conn = &lossyConn{PacketConn: udp, in: c.cfg.DropIn, out: c.cfg.DropOut, rng: rand.New(rand.NewPCG(c.cfg.Seed, 99))}
	c.mux = ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: c.conn})
	if !c.cfg.TCP {
		se.SetICEUDPMux(c.mux)
	}
	se.SetICETimeouts(3*time.Second, 8*time.Second, time.Second)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		_ = c.mux.Close()
		return err
	}
	c.pc = pc
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand == nil {
			return
		}
		j := cand.ToJSON()
		m := signal.Candidate{Candidate: j.Candidate, SDPMid: j.SDPMid, SDPMLineIndex: j.SDPMLineIndex, UsernameFragment: j.UsernameFragment}
		c.candMu.Lock()
		if c.holding {
			c.heldCands = append(c.heldCands, m)
			c.candMu.Unlock()
			return
		}
		c.candMu.Unlock()
		_ = c.Send(signal.TypeCandidate, &m)
	})
	pc.OnTrack(c.onTrack)
	return nil
}

// quietLogs discards pion's logging.
type quietLogs struct{}

func (quietLogs) NewLogger(string) logging.LeveledLogger { return quietLogger{} }

type quietLogger struct{}

func (quietLogger) Trace(string)          {}
func (quietLogger) Tracef(string, ...any) {}
func (quietLogger) Debug(string)          {}
func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Info(string)           {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warn(string)           {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Error(string)          {}
func (quietLogger) Errorf(string, ...any) {}

// hold keeps local candidates back until release, which follows the send
// of the description that introduces them (after an ICE restart a new
// candidate must not overtake the SDP with its ufrag).
func (c *Client) hold() {
	c.candMu.Lock()
	c.holding = true
	c.candMu.Unlock()
}

func (c *Client) release() {
	c.candMu.Lock()
	held := c.heldCands
	c.heldCands, c.holding = nil, false
	c.candMu.Unlock()
	for i := range held {
		_ = c.Send(signal.TypeCandidate, &held[i])
	}
}

// offer sends a client offer if the connection is stable (perfect
// negotiation, polite side), else remembers to do it later.
func (c *Client) offer() error {
	c.negMu.Lock()
	defer c.negMu.Unlock()
	return c.offerLocked()
}

func (c *Client) offerLocked() error {
	if c.pc.SignalingState() != webrtc.SignalingStateStable {
		c.needOffer = true
		return nil
	}
	c.needOffer = false
	o, err := c.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	c.hold()
	defer c.release()
	if err := c.pc.SetLocalDescription(o); err != nil {
		return err
	}
	return c.Send(signal.TypeOffer, &signal.SessionDescription{SDP: o.SDP})
}

func (c *Client) onOffer(sd *signal.SessionDescription) error {
	c.negMu.Lock()
	defer c.negMu.Unlock()
	if c.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		// Glare: we are the polite peer.
		if err := c.pc.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback}); err != nil {
			return fmt.Errorf("rollback: %w", err)
		}
		c.needOffer = true
	}
	c.mu.Lock()
	for mid, ref := range sd.Tracks {
		c.mids[mid] = ref
	}
	c.mu.Unlock()
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sd.SDP}); err != nil {
		return err
	}
	c.flushCandidates()
	a, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	c.hold()
	if err := c.pc.SetLocalDescription(a); err != nil {
		c.release()
		return err
	}
	err = c.Send(signal.TypeAnswer, &signal.SessionDescription{SDP: a.SDP})
	c.release()
	if err != nil {
		return err
	}
	if c.needOffer {
		return c.offerLocked()
	}
	return nil
}

func (c *Client) onAnswer(s string) error {
	c.negMu.Lock()
	defer c.negMu.Unlock()
	if c.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		return nil // answer to an offer we rolled back
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: s}); err != nil {
		return err
	}
	c.flushCandidates()
	if c.needOffer {
		return c.offerLocked()
	}
	return nil
}

func (c *Client) onCandidate(cand *signal.Candidate) error {
	if cand.Candidate == "" {
		return nil
	}
	init := webrtc.ICECandidateInit{Candidate: cand.Candidate, SDPMid: cand.SDPMid, SDPMLineIndex: cand.SDPMLineIndex, UsernameFragment: cand.UsernameFragment}
	c.negMu.Lock()
	defer c.negMu.Unlock()
	if c.pc.RemoteDescription() == nil {
		c.pendingCands = append(c.pendingCands, init)
		return nil
	}
	return c.pc.AddICECandidate(init)
}

func (c *Client) flushCandidates() {
	for _, init := range c.pendingCands {
		_ = c.pc.AddICECandidate(init)
	}
	c.pendingCands = nil
}
