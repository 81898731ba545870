package app

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/media"
	"github.com/housecall/housecall/internal/telemed"
)

// rtcHandler is the /rtc endpoint: the media server's WebSocket once
// StartMedia has run, 503 before.
type rtcHandler struct{ h atomic.Pointer[http.Handler] }

func (r *rtcHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if h := r.h.Load(); h != nil {
		(*h).ServeHTTP(w, req)
		return
	}
	http.Error(w, "the media server is not running", http.StatusServiceUnavailable)
}

// MediaOptions adjust StartMedia for tests (loopback ICE, ephemeral ports).
type MediaOptions struct {
	// Loopback binds ICE to loopback and includes loopback candidates.
	Loopback bool
}

// StartMedia starts the media server (the SFU) on media_udp_port (and
// media_tcp_port for ICE-TCP), connects it to the control plane — grants
// from the Telemed API's tokens, joins and leaves to the Encounter, chat
// to Communications, the end call to CloseRoom — and serves it at /rtc.
// The caller closes it.
func (a *App) StartMedia(mo MediaOptions) (*media.Server, error) {
	cfg := a.Config
	var public []string
	if cfg.PublicIP != "" {
		public = []string{cfg.PublicIP}
	}
	tm := a.Telemed
	m, err := media.New(media.Options{
		UDPPort: cfg.MediaUDPPort, TCPPort: cfg.MediaTCPPort, PublicIPs: public,
		Loopback: mo.Loopback || cfg.Dev, Logger: a.Logger,
		ICEServers: func(p media.Participant) []webrtc.ICEServer {
			var out []webrtc.ICEServer
			for _, s := range a.iceServers(p.ID) {
				out = append(out, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
			}
			return out
		},
		AllowedOrigins: originHosts(splitList(cfg.CORSOrigins)),
		OnEvent: func(e media.Event) {
			tm.OnMediaEvent(telemed.MediaEvent{Type: e.Type, MeetingID: e.RoomID, ParticipantID: e.ParticipantID, Time: e.Time})
		},
		OnChat: func(ctx context.Context, roomID string, from media.Grant, text string) error {
			return tm.OnChat(ctx, roomID, from.ParticipantID, from.Name, text)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("starting the media server: %w", err)
	}
	tm.SetRooms(rooms{m})
	h := m.Handler(func(ctx context.Context, token string) (media.Grant, error) {
		g, err := tm.Authenticate(ctx, token)
		if err != nil {
			return media.Grant{}, err
		}
		return media.Grant{RoomID: g.MeetingID, ParticipantID: g.ParticipantID, Name: g.Name, Role: g.Role,
			CanPublish: g.CanPublish, CanModerate: g.CanModerate, Expires: g.Expires}, nil
	})
	a.rtc.h.Store(&h)
	return m, nil
}

// rooms adapts the media server to telemed.Rooms.
type rooms struct{ m *media.Server }

func (r rooms) CloseRoom(id, reason string) { _ = r.m.CloseRoom(id, reason) }

// originHosts turns CORS origins into the host patterns the media server
// accepts as WebSocket origins.
func originHosts(origins []string) []string {
	var out []string
	for _, o := range origins {
		if i := len("https://"); len(o) > i && o[:i] == "https://" {
			out = append(out, o[i:])
		} else if i := len("http://"); len(o) > i && o[:i] == "http://" {
			out = append(out, o[i:])
		}
	}
	return out
}
