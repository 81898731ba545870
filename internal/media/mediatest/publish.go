package mediatest

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/signal"
)

// publisher sends one track (one or three encodings).
type publisher struct {
	c           *Client
	id          string
	kind        signal.TrackKind
	sender      *webrtc.RTPSender
	transceiver *webrtc.RTPTransceiver
	layers      []*pubLayer
	sent        atomic.Uint64
}

type pubLayer struct {
	rid      string
	track    *webrtc.TrackLocalStaticRTP
	pool     *FramePool
	pack     Packetizer
	frameNo  int
	pid      uint16
	seq      uint16
	ts       uint32
	lastKey  time.Time
	forceKey atomic.Bool
}

const mtu = 1200

// PayloadRoom is the frame bytes carried per RTP packet (MTU minus the
// 4-byte VP8 descriptor).
const PayloadRoom = mtu - 4

// DefaultKeyframeInterval is the periodic keyframe interval.
const DefaultKeyframeInterval = 3 * time.Second

func (c *Client) publish() error {
	j := c.Joined()
	if !j.CanPublish || !c.cfg.Audio && !c.cfg.Video {
		// The protocol wants the first offer from the client; with nothing
		// to send it offers to receive.
		for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
			if _, err := c.pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				return err
			}
		}
		return nil
	}
	n := rand.Uint32()
	if c.cfg.Audio {
		id := fmt.Sprintf("mic-%08x", n)
		if err := c.Send(signal.TypePublish, &signal.Publish{TrackID: id, Kind: signal.KindMicrophone}); err != nil {
			return err
		}
		t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, id, "mediatest")
		if err != nil {
			return err
		}
		tr, err := c.pc.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			return err
		}
		p := &publisher{c: c, id: id, kind: signal.KindMicrophone, sender: tr.Sender(), transceiver: tr, layers: []*pubLayer{{track: t}}}
		c.mu.Lock()
		c.pubs = append(c.pubs, p)
		c.mu.Unlock()
		go p.readRTCP("")
		go p.pumpAudio()
	}
	if c.cfg.Video {
		simulcast := c.cfg.Simulcast == SimulcastOn || c.cfg.Simulcast == SimulcastAuto && j.Profile.Mode == signal.ModeSimulcast
		id := fmt.Sprintf("cam-%08x", n)
		if err := c.Send(signal.TypePublish, &signal.Publish{TrackID: id, Kind: signal.KindCamera, Simulcast: simulcast, Width: c.cfg.Width, Height: c.cfg.Height}); err != nil {
			return err
		}
		p := &publisher{c: c, id: id, kind: signal.KindCamera}
		vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
		if simulcast {
			for i, rid := range []string{"q", "h", "f"} {
				t, err := webrtc.NewTrackLocalStaticRTP(vp8, id, "mediatest", webrtc.WithRTPStreamID(rid))
				if err != nil {
					return err
				}
				div := []int{4, 2, 1}[i]
				rate := []int{c.cfg.Bitrate / 10, c.cfg.Bitrate / 3, c.cfg.Bitrate}[i]
				p.layers = append(p.layers, &pubLayer{rid: rid, track: t, pool: PoolFor(c.cfg.Width/div, c.cfg.Height/div, c.cfg.FPS, rate)})
			}
			s, err := c.pc.AddTrack(p.layers[0].track)
			if err != nil {
				return err
			}
			for _, l := range p.layers[1:] {
				if err := s.AddEncoding(l.track); err != nil {
					return err
				}
			}
			p.sender = s
		} else {
			t, err := webrtc.NewTrackLocalStaticRTP(vp8, id, "mediatest")
			if err != nil {
				return err
			}
			p.layers = []*pubLayer{{track: t, pool: PoolFor(c.cfg.Width, c.cfg.Height, c.cfg.FPS, c.cfg.Bitrate)}}
			tr, err := c.pc.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
			if err != nil {
				return err
			}
			p.sender = tr.Sender()
		}
		for _, tr := range c.pc.GetTransceivers() {
			if tr.Sender() == p.sender {
				p.transceiver = tr
			}
		}
		c.mu.Lock()
		c.pubs = append(c.pubs, p)
		c.mu.Unlock()
		for _, l := range p.layers {
			go p.readRTCP(l.rid)
		}
		go p.pumpVideo()
	}
	return nil
}

// readRTCP serves the NACK responder and turns PLI/FIR into keyframes.
func (p *publisher) readRTCP(rid string) {
	for {
		var (
			pkts []rtcp.Packet
			err  error
		)
		if rid == "" {
			pkts, _, err = p.sender.ReadRTCP()
		} else {
			pkts, _, err = p.sender.ReadSimulcastRTCP(rid)
		}
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				for _, l := range p.layers {
					if l.rid == rid {
						l.forceKey.Store(true)
					}
				}
			}
		}
	}
}

// extIDs returns the negotiated mid, rid and audio-level extension ids.
func (p *publisher) extIDs() (mid, rid, level uint8) {
	for _, e := range p.sender.GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			mid = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			rid = uint8(e.ID)
		case sdp.AudioLevelURI:
			level = uint8(e.ID)
		}
	}
	return
}

// Sent returns the RTP packets this track sent.
func (p *publisher) Sent() uint64 { return p.sent.Load() }

func (p *publisher) pumpAudio() {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	l := p.layers[0]
	l.seq = uint16(rand.Uint32())
	payload := make([]byte, 80)
	payload[0] = 0x78 // Opus TOC: SILK WB 20 ms, mono
	var midID, levelID uint8
	level := byte(127)
	if p.c.cfg.Speaking {
		level = 25
	}
	for {
		select {
		case <-p.c.mediaStop:
			return
		case <-t.C:
		}
		if midID == 0 {
			midID, _, levelID = p.extIDs()
		}
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: l.seq, Timestamp: l.ts}, Payload: payload}
		if levelID != 0 {
			_ = pkt.Header.SetExtension(levelID, []byte{0x80 | level})
		}
		l.seq++
		l.ts += 960
		if err := l.track.WriteRTP(pkt); err == nil {
			p.sent.Add(1)
		}
	}
}

func (p *publisher) pumpVideo() {
	fps := p.c.cfg.FPS
	t := time.NewTicker(time.Second / time.Duration(fps))
	defer t.Stop()
	for _, l := range p.layers {
		l.seq = uint16(rand.Uint32())
		l.ts = rand.Uint32()
		l.pid = uint16(rand.Uint32())
		l.pack.MTU = mtu
	}
	var (
		midID, ridID uint8
		mid          []byte
		pkt          rtp.Packet
		exts         [2]rtp.Extension
	)
	for {
		select {
		case <-p.c.mediaStop:
			return
		case <-t.C:
		}
		if midID == 0 || mid == nil {
			midID, ridID, _ = p.extIDs()
			if p.transceiver != nil && p.transceiver.Mid() != "" {
				mid = []byte(p.transceiver.Mid())
			}
		}
		now := time.Now()
		for _, l := range p.layers {
			key := l.forceKey.Swap(false) || now.Sub(l.lastKey) >= p.c.cfg.KeyframeInterval
			var frame []byte
			if key {
				l.lastKey = now
				frame = l.pool.Key[l.frameNo%len(l.pool.Key)]
			} else {
				frame = l.pool.Inter[l.frameNo%len(l.pool.Inter)]
			}
			l.frameNo++
			payloads := l.pack.Packetize(frame, l.pid)
			l.pid++
			for i, pl := range payloads {
				pkt.Header = rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: l.seq, Timestamp: l.ts, Marker: i == len(payloads)-1}
				if l.rid != "" && midID != 0 && ridID != 0 && mid != nil {
					// Simulcast streams are identified by the mid and rid extensions.
					pkt.Header.Extensions = exts[:0]
					_ = pkt.Header.SetExtension(midID, mid)
					_ = pkt.Header.SetExtension(ridID, []byte(l.rid))
				}
				pkt.Payload = pl
				l.seq++
				if err := l.track.WriteRTP(&pkt); err == nil {
					p.sent.Add(1)
				}
			}
			l.ts += uint32(90000 / fps)
		}
	}
}

// Published describes one of this client's own tracks.
type Published struct {
	ID   string
	Kind signal.TrackKind
	Sent uint64
}

// Publications lists this client's tracks.
func (c *Client) Publications() []Published {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Published, 0, len(c.pubs))
	for _, p := range c.pubs {
		out = append(out, Published{ID: p.id, Kind: p.kind, Sent: p.Sent()})
	}
	return out
}

// StopMedia stops sending (receiving continues).
func (c *Client) StopMedia() { c.mediaOnce.Do(func() { close(c.mediaStop) }) }
