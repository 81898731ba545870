package signal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"
)

// Version is the protocol version carried in every message's "v" field.
const Version = 1

// MaxMessageBytes bounds one encoded message; servers set the WebSocket read
// limit to it. SDP offers of a six-party simulcast room stay well below.
const MaxMessageBytes = 128 << 10

// Type names a message.
type Type string

// Client → server messages.
const (
	TypeJoin         Type = "join"
	TypeResume       Type = "resume"
	TypePublish      Type = "publish"
	TypeUnpublish    Type = "unpublish"
	TypeSubscription Type = "subscription"
	TypeRemove       Type = "remove"
	TypeLeave        Type = "leave"
	TypePing         Type = "ping"
)

// Messages sent in both directions.
const (
	TypeOffer     Type = "offer"
	TypeAnswer    Type = "answer"
	TypeCandidate Type = "candidate"
	TypeMute      Type = "mute"
	TypeChat      Type = "chat"
)

// Server → client messages.
const (
	TypeJoined            Type = "joined"
	TypeParticipantJoined Type = "participant-joined"
	TypeParticipantLeft   Type = "participant-left"
	TypeParticipantState  Type = "participant-state"
	TypeTrackPublished    Type = "track-published"
	TypeTrackUnpublished  Type = "track-unpublished"
	TypeActiveSpeaker     Type = "active-speaker"
	TypeNetworkQuality    Type = "network-quality"
	TypePublishProfile    Type = "publish-profile"
	TypeLayerHint         Type = "layer-hint"
	TypeLayerChanged      Type = "layer-changed"
	TypeRoomClosed        Type = "room-closed"
	TypeError             Type = "error"
	TypePong              Type = "pong"
)

// Message is one decoded, validated message. Body is a pointer to the
// payload struct that belongs to Type (for example *Join for TypeJoin).
type Message struct {
	Type Type
	ID   string
	Body any
}

// envelope is the wire shape shared by every message.
type envelope struct {
	V    int             `json:"v"`
	Type Type            `json:"type"`
	ID   string          `json:"id,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// bodies maps each type to a constructor of its payload and whether a client
// may send it.
var bodies = map[Type]struct {
	new        func() validator
	fromClient bool
}{
	TypeJoin:              {func() validator { return new(Join) }, true},
	TypeResume:            {func() validator { return new(Resume) }, true},
	TypePublish:           {func() validator { return new(Publish) }, true},
	TypeUnpublish:         {func() validator { return new(Unpublish) }, true},
	TypeSubscription:      {func() validator { return new(Subscription) }, true},
	TypeRemove:            {func() validator { return new(Remove) }, true},
	TypeLeave:             {func() validator { return new(Leave) }, true},
	TypePing:              {func() validator { return new(Ping) }, true},
	TypeOffer:             {func() validator { return new(SessionDescription) }, true},
	TypeAnswer:            {func() validator { return new(SessionDescription) }, true},
	TypeCandidate:         {func() validator { return new(Candidate) }, true},
	TypeMute:              {func() validator { return new(Mute) }, true},
	TypeChat:              {func() validator { return new(Chat) }, true},
	TypeJoined:            {func() validator { return new(Joined) }, false},
	TypeParticipantJoined: {func() validator { return new(ParticipantJoined) }, false},
	TypeParticipantLeft:   {func() validator { return new(ParticipantLeft) }, false},
	TypeParticipantState:  {func() validator { return new(ParticipantState) }, false},
	TypeTrackPublished:    {func() validator { return new(TrackPublished) }, false},
	TypeTrackUnpublished:  {func() validator { return new(TrackUnpublished) }, false},
	TypeActiveSpeaker:     {func() validator { return new(ActiveSpeaker) }, false},
	TypeNetworkQuality:    {func() validator { return new(NetworkQuality) }, false},
	TypePublishProfile:    {func() validator { return new(PublishProfile) }, false},
	TypeLayerHint:         {func() validator { return new(LayerHint) }, false},
	TypeLayerChanged:      {func() validator { return new(LayerChanged) }, false},
	TypeRoomClosed:        {func() validator { return new(RoomClosed) }, false},
	TypeError:             {func() validator { return new(Error) }, false},
	TypePong:              {func() validator { return new(Ping) }, false},
}

type validator interface{ validate() error }

// FromClient reports whether clients may send messages of type t.
func FromClient(t Type) bool {
	b, ok := bodies[t]
	return ok && b.fromClient
}

// Decode parses and validates one message. Errors wrap ErrMalformed,
// ErrUnsupportedVersion, ErrUnknownType or ErrInvalid.
func Decode(b []byte) (Message, error) {
	if len(b) > MaxMessageBytes {
		return Message{}, fmt.Errorf("%w: message of %d bytes exceeds %d", ErrMalformed, len(b), MaxMessageBytes)
	}
	if !utf8.Valid(b) {
		return Message{}, fmt.Errorf("%w: not UTF-8", ErrMalformed)
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if env.V != Version {
		return Message{}, fmt.Errorf("%w: v=%d, this server speaks v=%d", ErrUnsupportedVersion, env.V, Version)
	}
	spec, ok := bodies[env.Type]
	if !ok {
		return Message{}, fmt.Errorf("%w: %q", ErrUnknownType, truncate(string(env.Type), 40))
	}
	if err := checkID("id", env.ID, true); err != nil {
		return Message{}, err
	}
	body := spec.new()
	data := bytes.TrimSpace(env.Data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		data = []byte("{}")
	}
	if data[0] != '{' {
		return Message{}, fmt.Errorf("%w: data of %s must be an object", ErrMalformed, env.Type)
	}
	if err := json.Unmarshal(data, body); err != nil {
		return Message{}, fmt.Errorf("%w: data of %s: %v", ErrMalformed, env.Type, err)
	}
	if err := body.validate(); err != nil {
		return Message{}, fmt.Errorf("%s: %w", env.Type, err)
	}
	return Message{Type: env.Type, ID: env.ID, Body: body}, nil
}

// Encode builds the wire form of a message. body must be the payload type
// that belongs to t (a value or a pointer); it is validated first so that a
// server never emits what its own decoder would refuse.
func Encode(t Type, id string, body any) ([]byte, error) {
	spec, ok := bodies[t]
	if !ok {
		return nil, fmt.Errorf("encode: %w: %q", ErrUnknownType, t)
	}
	v, ok := body.(validator)
	if !ok && body != nil {
		// Accept values as well as pointers.
		p := reflect.New(reflect.TypeOf(body))
		p.Elem().Set(reflect.ValueOf(body))
		v, ok = p.Interface().(validator)
	}
	if !ok || reflect.TypeOf(v) != reflect.TypeOf(spec.new()) {
		return nil, fmt.Errorf("encode %s: %w: body of type %T", t, ErrInvalid, body)
	}
	if err := v.validate(); err != nil {
		return nil, fmt.Errorf("encode %s: %w", t, err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", t, err)
	}
	out, err := json.Marshal(envelope{V: Version, Type: t, ID: id, Data: data})
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", t, err)
	}
	return out, nil
}

// MustEncode is Encode for messages built by the program itself, where a
// failure is a bug.
func MustEncode(t Type, id string, body any) []byte {
	b, err := Encode(t, id, body)
	if err != nil {
		panic(err)
	}
	return b
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// IsProtocolError reports whether err came from Decode refusing the input.
func IsProtocolError(err error) bool {
	return errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupportedVersion) ||
		errors.Is(err, ErrUnknownType) || errors.Is(err, ErrInvalid)
}
