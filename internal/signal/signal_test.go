package signal

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Message
	}{
		{"join", `{"v":1,"type":"join","id":"1","data":{"token":"abc.def","sdk":"housecall-js/1.0"}}`,
			Message{Type: TypeJoin, ID: "1", Body: &Join{Token: "abc.def", SDK: "housecall-js/1.0"}}},
		{"resume", `{"v":1,"type":"resume","data":{"token":"t","participantId":"Practitioner/1","resumeSecret":"s3"}}`,
			Message{Type: TypeResume, Body: &Resume{Token: "t", ParticipantID: "Practitioner/1", ResumeSecret: "s3"}}},
		{"offer", `{"v":1,"type":"offer","data":{"sdp":"v=0\r\n"}}`,
			Message{Type: TypeOffer, Body: &SessionDescription{SDP: "v=0\r\n"}}},
		{"end of candidates", `{"v":1,"type":"candidate","data":{"candidate":""}}`,
			Message{Type: TypeCandidate, Body: &Candidate{}}},
		{"publish", `{"v":1,"type":"publish","data":{"trackId":"t1","kind":"camera","simulcast":true,"width":1280,"height":720}}`,
			Message{Type: TypePublish, Body: &Publish{TrackID: "t1", Kind: KindCamera, Simulcast: true, Width: 1280, Height: 720}}},
		{"unknown fields ignored", `{"v":1,"type":"leave","data":{"reason":"bye","future":42}}`,
			Message{Type: TypeLeave, Body: &Leave{Reason: "bye"}}},
		{"no data", `{"v":1,"type":"leave"}`, Message{Type: TypeLeave, Body: &Leave{}}},
		{"ping", `{"v":1,"type":"ping","id":"k9"}`, Message{Type: TypePing, ID: "k9", Body: &Ping{}}},
		{"moderator mute", `{"v":1,"type":"mute","data":{"participantId":"p2","kind":"microphone","muted":true}}`,
			Message{Type: TypeMute, Body: &Mute{ParticipantID: "p2", Kind: KindMicrophone, Muted: true}}},
		{"chat", `{"v":1,"type":"chat","data":{"text":"hello\nthere"}}`,
			Message{Type: TypeChat, Body: &Chat{Text: "hello\nthere"}}},
		{"subscription paused", `{"v":1,"type":"subscription","data":{"participantId":"p","trackId":"t","width":0,"height":0,"paused":true}}`,
			Message{Type: TypeSubscription, Body: &Subscription{ParticipantID: "p", TrackID: "t", Paused: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"not json", `hello`, ErrMalformed},
		{"array", `[1]`, ErrMalformed},
		{"no version", `{"type":"leave"}`, ErrUnsupportedVersion},
		{"future version", `{"v":2,"type":"leave"}`, ErrUnsupportedVersion},
		{"unknown type", `{"v":1,"type":"dance"}`, ErrUnknownType},
		{"data not object", `{"v":1,"type":"join","data":"x"}`, ErrMalformed},
		{"wrong field type", `{"v":1,"type":"join","data":{"token":5}}`, ErrMalformed},
		{"missing token", `{"v":1,"type":"join","data":{}}`, ErrInvalid},
		{"token with space", `{"v":1,"type":"join","data":{"token":"a b"}}`, ErrInvalid},
		{"bad kind", `{"v":1,"type":"publish","data":{"trackId":"t","kind":"hologram"}}`, ErrInvalid},
		{"simulcast audio", `{"v":1,"type":"publish","data":{"trackId":"t","kind":"microphone","simulcast":true}}`, ErrInvalid},
		{"sdp not sdp", `{"v":1,"type":"answer","data":{"sdp":"hello"}}`, ErrInvalid},
		{"candidate garbage", `{"v":1,"type":"candidate","data":{"candidate":"evil"}}`, ErrInvalid},
		{"empty chat", `{"v":1,"type":"chat","data":{"text":"   "}}`, ErrInvalid},
		{"chat control char", `{"v":1,"type":"chat","data":{"text":"a\u0000b"}}`, ErrInvalid},
		{"id with space", `{"v":1,"type":"leave","id":"a b"}`, ErrInvalid},
		{"mute without target", `{"v":1,"type":"mute","data":{"muted":true}}`, ErrInvalid},
		{"huge dimension", `{"v":1,"type":"subscription","data":{"participantId":"p","trackId":"t","width":99999,"height":1}}`, ErrInvalid},
		{"score out of range", `{"v":1,"type":"network-quality","data":{"scores":[{"participantId":"p","score":9}]}}`, ErrInvalid},
		{"invalid utf8", "{\"v\":1,\"type\":\"chat\",\"data\":{\"text\":\"\xff\"}}", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !IsProtocolError(err) {
				t.Fatalf("IsProtocolError(%v) = false", err)
			}
		})
	}
}

func TestDecodeTooLarge(t *testing.T) {
	big := `{"v":1,"type":"chat","data":{"text":"` + strings.Repeat("a", MaxMessageBytes) + `"}}`
	if _, err := Decode([]byte(big)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	tests := []struct {
		t    Type
		body any
	}{
		{TypeJoined, &Joined{ParticipantID: "p1", ResumeSecret: "s", RoomID: "r", Role: "host",
			Participants: []Participant{{ID: "p2", Role: "guest", State: StateActive, Tracks: []Track{{ID: "t", Kind: KindCamera}}}},
			ICEServers:   []ICEServer{{URLs: []string{"turn:example.org:3478"}, Username: "u", Credential: "c"}},
			Profile:      PublishProfile{Mode: ModeTwoParty, Video: VideoProfile{Width: 1280, Height: 720, FPS: 24, MaxBitrate: 1500000, Codec: "video/VP8"}}}},
		{TypeNetworkQuality, NetworkQuality{Scores: []QualityScore{{ParticipantID: "p", Score: 4}}}},
		{TypeError, Error{Code: CodeRoomFull, Message: "room is full", Fatal: true}},
		{TypeOffer, SessionDescription{SDP: "v=0\r\n", Tracks: map[string]TrackRef{"1": {ParticipantID: "p", TrackID: "t", Kind: KindMicrophone}}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.t), func(t *testing.T) {
			b, err := Encode(tt.t, "x1", tt.body)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			m, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode(%s): %v", b, err)
			}
			want := tt.body
			if v := reflect.ValueOf(want); v.Kind() != reflect.Pointer {
				p := reflect.New(v.Type())
				p.Elem().Set(v)
				want = p.Interface()
			}
			if m.Type != tt.t || m.ID != "x1" || !reflect.DeepEqual(m.Body, want) {
				t.Fatalf("round trip: got %#v", m)
			}
		})
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	if _, err := Encode(TypeChat, "", Chat{Text: ""}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty chat: err = %v", err)
	}
	if _, err := Encode(TypeChat, "", Leave{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("wrong body type: err = %v", err)
	}
	if _, err := Encode("nope", "", Leave{}); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("unknown type: err = %v", err)
	}
}

func TestFromClientAndCodes(t *testing.T) {
	if !FromClient(TypeJoin) || FromClient(TypeJoined) || FromClient("nope") {
		t.Fatal("FromClient wrong")
	}
	_, err := Decode([]byte(`{"v":3,"type":"join"}`))
	if got := CodeFor(err); got != CodeUnsupportedVersion {
		t.Fatalf("CodeFor = %q", got)
	}
	_, err = Decode([]byte(`{`))
	if got := CodeFor(err); got != CodeBadRequest {
		t.Fatalf("CodeFor = %q", got)
	}
}
