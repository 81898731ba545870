package media

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/pion/webrtc/v4"
)

// Defaults for zero Options fields.
const (
	DefaultMaxParticipants  = 6
	DefaultEmptyRoomTimeout = 5 * time.Minute
	DefaultReconnectGrace   = 30 * time.Second
	DefaultJoinTimeout      = 10 * time.Second
	DefaultQualityInterval  = 3 * time.Second
	// closedRoomTTL is how long a room closed by CloseRoom refuses joins, so
	// that tokens issued before the visit ended cannot reopen it.
	closedRoomTTL = time.Hour
)

// Roles a Grant may carry.
const (
	RoleHost        = "host"
	RoleParticipant = "participant"
	RoleGuest       = "guest"
)

// Grant is what the control plane allows one connection: which room, as
// whom, and what it may do. It comes from the Authenticator.
type Grant struct {
	RoomID string
	// ParticipantID is a stable identity (the user's id or a guest id): a
	// second connection with the same id replaces the first, and resume
	// finds the participant by it.
	ParticipantID string
	Name          string
	Role          string // RoleHost, RoleParticipant or RoleGuest
	CanPublish    bool
	CanModerate   bool
	Expires       time.Time
}

// Authenticator turns the token of a join or resume message into a Grant.
// It must refuse expired tokens and tokens not meant for this server.
type Authenticator func(ctx context.Context, token string) (Grant, error)

// Participant identifies a participant to Options.ICEServers.
type Participant struct {
	RoomID string
	ID     string
	Name   string
	Role   string
}

// Event types delivered to Options.OnEvent.
const (
	EventJoined        = "joined"
	EventLeft          = "left"
	EventReconnecting  = "reconnecting"
	EventReconnected   = "reconnected"
	EventMuted         = "muted"
	EventUnmuted       = "unmuted"
	EventRoomClosed    = "room-closed"
	EventScreenStarted = "screen-started"
	EventScreenStopped = "screen-stopped"
)

// Event tells the control plane what happened in a room. Kind is set for
// muted/unmuted ("camera", "microphone", "screen").
type Event struct {
	Type          string
	RoomID        string
	ParticipantID string
	Role          string
	Kind          string
	Time          time.Time
	Reason        string
}

// Options configures a Server.
type Options struct {
	// UDPPort carries all ICE/UDP traffic (one socket per local address,
	// shared by every PeerConnection). 0 picks an ephemeral port (tests).
	UDPPort int
	// TCPPort enables ICE-TCP on one port; 0 leaves it off.
	TCPPort int
	// PublicIPs are advertised as host candidates instead of the local
	// addresses (1:1 NAT, e.g. a cloud VM's public address).
	PublicIPs []string
	// ICEServers returns the STUN/TURN entries a client should use (TURN
	// REST credentials minted by the control plane). May be nil.
	ICEServers func(p Participant) []webrtc.ICEServer
	// AllowedOrigins are extra WebSocket Origin host patterns (path.Match
	// syntax, e.g. "app.example.org" or "*.example.org"); the request's own
	// host is always allowed.
	AllowedOrigins []string
	// MaxParticipants per room (default 6).
	MaxParticipants int
	// EmptyRoomTimeout closes a room nobody is in (default 5 min).
	EmptyRoomTimeout time.Duration
	// ReconnectGrace is how long a participant who lost its WebSocket or
	// ICE connection may resume before it leaves (default 30 s).
	ReconnectGrace time.Duration
	// JoinTimeout bounds the wait for the first message (default 10 s).
	JoinTimeout time.Duration
	// QualityInterval is the network-quality broadcast period (default 3 s).
	QualityInterval time.Duration
	// Loopback binds ICE to loopback only, includes loopback candidates and
	// disables mDNS: for tests and benchmarks on one machine.
	Loopback bool
	// DisableDirectPath keeps all media on pion's own receive and send
	// pipeline instead of the SFU's direct path (direct.go): for
	// comparison and diagnosis only; it costs about a third more CPU.
	DisableDirectPath bool
	// OnEvent receives room events in order, from one goroutine; it should
	// not block for long.
	OnEvent func(Event)
	// OnChat stores a chat message before it is relayed; an error is
	// reported to the sender and the message is not relayed.
	OnChat func(ctx context.Context, roomID string, from Grant, text string) error
	Logger *slog.Logger
	// Now and Rand replace the clock and the randomness source (resume
	// secrets, ids) in tests.
	Now  func() time.Time
	Rand io.Reader
}

func (o *Options) withDefaults() {
	if o.MaxParticipants <= 0 {
		o.MaxParticipants = DefaultMaxParticipants
	}
	if o.EmptyRoomTimeout <= 0 {
		o.EmptyRoomTimeout = DefaultEmptyRoomTimeout
	}
	if o.ReconnectGrace <= 0 {
		o.ReconnectGrace = DefaultReconnectGrace
	}
	if o.JoinTimeout <= 0 {
		o.JoinTimeout = DefaultJoinTimeout
	}
	if o.QualityInterval <= 0 {
		o.QualityInterval = DefaultQualityInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// RoomInfo summarises a room.
type RoomInfo struct {
	ID           string
	Participants int
	Created      time.Time
	Profile      string // "two-party" or "simulcast"
}

// TrackInfo describes a published track.
type TrackInfo struct {
	ID        string
	Kind      string
	Codec     string
	Muted     bool
	Simulcast bool
	Layers    []string // rids receiving packets
}

// ParticipantInfo describes a participant for the control plane and metrics.
type ParticipantInfo struct {
	Participant
	State   string // "active" or "reconnecting"
	Joined  time.Time
	Quality int // 0–5
	// BandwidthEstimate is the estimated downlink capacity in bits/s.
	BandwidthEstimate int64
	Tracks            []TrackInfo
}

// Stats are server-wide counters since New.
type Stats struct {
	Rooms        int
	Participants int
	PacketsIn    uint64 // RTP packets received from publishers
	PacketsOut   uint64 // RTP packets forwarded to subscribers
	BytesIn      uint64
	BytesOut     uint64
	NACKs        uint64 // NACK feedback received from subscribers
	PLIs         uint64 // keyframe requests sent to publishers
	// DirectIn and DirectOut count RTP packets that took the direct path
	// (decrypted on the socket's reader, encrypted straight to the socket);
	// DirectFallbacks those it handed back to pion; DirectRTCP counts the
	// compound RTCP packets it took from clients.
	DirectIn, DirectOut, DirectFallbacks, DirectRTCP uint64
	// ReadCalls and WriteCalls are the ICE sockets' batched system calls
	// (recvmmsg, sendmmsg), ReadDatagrams and WriteDatagrams what they
	// carried (Linux only).
	ReadCalls, ReadDatagrams, WriteCalls, WriteDatagrams uint64
}
