package signal

// TrackKind says what a published track carries.
type TrackKind string

// Track kinds.
const (
	KindCamera     TrackKind = "camera"
	KindMicrophone TrackKind = "microphone"
	KindScreen     TrackKind = "screen"
)

// Participant states.
const (
	StateActive       = "active"
	StateReconnecting = "reconnecting"
)

// Publish profile modes.
const (
	ModeTwoParty  = "two-party"
	ModeSimulcast = "simulcast"
)

// Join is the first message of a new connection. The token comes here and
// not in the URL so that it never lands in proxy or access logs.
type Join struct {
	Token string `json:"token"`
	SDK   string `json:"sdk,omitempty"` // e.g. "housecall-js/1.0", for diagnostics
}

// Resume replaces Join when a client comes back within the reconnect grace
// period after losing its WebSocket or its ICE connection.
type Resume struct {
	Token         string `json:"token"`
	ParticipantID string `json:"participantId"`
	ResumeSecret  string `json:"resumeSecret"`
}

// Publish announces a local track before the offer that carries it, so the
// server can tell a camera from a screen share. TrackID is the
// MediaStreamTrack id, which appears in the SDP's a=msid line.
type Publish struct {
	TrackID   string    `json:"trackId"`
	Kind      TrackKind `json:"kind"`
	Simulcast bool      `json:"simulcast,omitempty"`
	Muted     bool      `json:"muted,omitempty"`
	Width     int       `json:"width,omitempty"`
	Height    int       `json:"height,omitempty"`
}

// Unpublish withdraws a published track.
type Unpublish struct {
	TrackID string `json:"trackId"`
}

// Subscription reports how a subscriber renders a remote video track: its
// size in device pixels, or Paused when it is not shown at all. The server
// picks the simulcast layer from it.
type Subscription struct {
	ParticipantID string `json:"participantId"`
	TrackID       string `json:"trackId"`
	Width         int    `json:"width"`
	Height        int    `json:"height"`
	Paused        bool   `json:"paused,omitempty"`
}

// Remove asks the server to disconnect another participant (moderators only).
type Remove struct {
	ParticipantID string `json:"participantId"`
	Reason        string `json:"reason,omitempty"`
}

// Leave ends the session on purpose (no reconnect grace).
type Leave struct {
	Reason string `json:"reason,omitempty"`
}

// SessionDescription is the payload of offer and answer. In offers from the
// server, Tracks maps each media section (mid) that carries a remote track to
// its owner, so the client can attribute what it receives.
type SessionDescription struct {
	SDP        string              `json:"sdp"`
	ICERestart bool                `json:"iceRestart,omitempty"`
	Tracks     map[string]TrackRef `json:"tracks,omitempty"`
}

// TrackRef names a remote track.
type TrackRef struct {
	ParticipantID string    `json:"participantId"`
	TrackID       string    `json:"trackId"`
	Kind          TrackKind `json:"kind"`
}

// Candidate is a trickled ICE candidate (RTCIceCandidateInit). An empty
// Candidate string means end of candidates.
type Candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// Mute carries mute state. From a client: TrackID names its own track; or
// ParticipantID plus Kind names another participant's tracks to mute
// (moderators only; the server stops forwarding them and asks that client to
// mute). From the server: the new state of a track, By naming the moderator
// when it was not the owner's own doing.
type Mute struct {
	ParticipantID string    `json:"participantId,omitempty"`
	TrackID       string    `json:"trackId,omitempty"`
	Kind          TrackKind `json:"kind,omitempty"`
	Muted         bool      `json:"muted"`
	By            string    `json:"by,omitempty"`
}

// Ping asks the server for a pong carrying the same id: a client's
// keepalive for the signalling connection. Pong has the same (empty) body.
type Ping struct{}

// Chat is a text message to everyone in the room. The server fills From,
// MessageID and Time when it relays it.
type Chat struct {
	Text      string          `json:"text"`
	MessageID string          `json:"messageId,omitempty"`
	From      *ParticipantRef `json:"from,omitempty"`
	Time      int64           `json:"time,omitempty"` // Unix milliseconds
}

// ParticipantRef identifies a participant for display.
type ParticipantRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Role string `json:"role,omitempty"`
}

// ICEServer is one RTCIceServer for the client's configuration.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Track describes a published track.
type Track struct {
	ID        string    `json:"id"`
	Kind      TrackKind `json:"kind"`
	Muted     bool      `json:"muted,omitempty"`
	Simulcast bool      `json:"simulcast,omitempty"`
	Codec     string    `json:"codec,omitempty"` // MIME type, e.g. "video/VP8"
}

// Participant describes someone in the room.
type Participant struct {
	ID     string  `json:"id"`
	Name   string  `json:"name,omitempty"`
	Role   string  `json:"role"`
	State  string  `json:"state"`
	Tracks []Track `json:"tracks"`
}

// Joined answers join and resume.
type Joined struct {
	ParticipantID    string         `json:"participantId"`
	ResumeSecret     string         `json:"resumeSecret"`
	RoomID           string         `json:"roomId"`
	Name             string         `json:"name,omitempty"`
	Role             string         `json:"role"`
	CanPublish       bool           `json:"canPublish"`
	CanModerate      bool           `json:"canModerate"`
	Resumed          bool           `json:"resumed,omitempty"`
	Participants     []Participant  `json:"participants"`
	ICEServers       []ICEServer    `json:"iceServers"`
	Profile          PublishProfile `json:"profile"`
	ReconnectGraceMs int64          `json:"reconnectGraceMs"`
	ActiveSpeaker    string         `json:"activeSpeaker,omitempty"`
}

// ParticipantJoined announces a newcomer.
type ParticipantJoined struct {
	Participant Participant `json:"participant"`
}

// ParticipantLeft announces a departure.
type ParticipantLeft struct {
	ParticipantID string `json:"participantId"`
	Reason        string `json:"reason,omitempty"`
}

// ParticipantState announces that a participant lost its connection and is
// within its reconnect grace period ("reconnecting"), or is back ("active").
type ParticipantState struct {
	ParticipantID string `json:"participantId"`
	State         string `json:"state"`
}

// TrackPublished announces a new remote track.
type TrackPublished struct {
	ParticipantID string `json:"participantId"`
	Track         Track  `json:"track"`
}

// TrackUnpublished announces that a remote track is gone.
type TrackUnpublished struct {
	ParticipantID string `json:"participantId"`
	TrackID       string `json:"trackId"`
}

// SpeakerLevel is one participant's smoothed audio level, 0 (silent) to 1.
type SpeakerLevel struct {
	ParticipantID string  `json:"participantId"`
	Level         float64 `json:"level"`
}

// ActiveSpeaker names the dominant speaker ("" when nobody speaks) and the
// current levels of those who are audible.
type ActiveSpeaker struct {
	ParticipantID string         `json:"participantId"`
	Speakers      []SpeakerLevel `json:"speakers,omitempty"`
}

// QualityScore is a participant's network quality: 0 (lost) to 5 (excellent).
type QualityScore struct {
	ParticipantID string `json:"participantId"`
	Score         int    `json:"score"`
}

// NetworkQuality is sent to everyone every few seconds.
type NetworkQuality struct {
	Scores []QualityScore `json:"scores"`
}

// VideoProfile is what a client should capture and send for its camera.
type VideoProfile struct {
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	FPS        int    `json:"fps"`
	MaxBitrate int    `json:"maxBitrate"` // bits per second
	Codec      string `json:"codec"`
}

// Layer is one simulcast encoding (RTCRtpEncodingParameters).
type Layer struct {
	RID         string  `json:"rid"`
	ScaleDownBy float64 `json:"scaleResolutionDownBy"`
	MaxBitrate  int     `json:"maxBitrate"`
	MaxFPS      int     `json:"maxFramerate"`
}

// PublishProfile tells a client how to publish its camera: the telehealth
// two-party profile (one 720p 24 fps VP8 encoding) or simulcast (three
// layers q/h/f) in rooms of three or more.
type PublishProfile struct {
	Mode   string       `json:"mode"`
	Video  VideoProfile `json:"video"`
	Layers []Layer      `json:"layers,omitempty"`
}

// LayerHint tells a publisher which simulcast layers of a track anyone
// receives; it may pause the others to save uplink and CPU.
type LayerHint struct {
	TrackID string   `json:"trackId"`
	Active  []string `json:"active"`
}

// LayerChanged tells a subscriber which layer of a remote track it now
// receives ("" for a track without simulcast, "off" when paused).
type LayerChanged struct {
	ParticipantID string `json:"participantId"`
	TrackID       string `json:"trackId"`
	RID           string `json:"rid"`
}

// RoomClosed is sent to everyone when the room is closed; the server then
// closes the connection.
type RoomClosed struct {
	Reason string `json:"reason,omitempty"`
}

// Error reports a failure. Fatal errors are followed by the server closing
// the connection.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Ref     string `json:"ref,omitempty"`
	Fatal   bool   `json:"fatal,omitempty"`
}
