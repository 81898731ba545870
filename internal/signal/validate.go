package signal

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits enforced by validation.
const (
	MaxTokenBytes     = 8 << 10
	MaxSDPBytes       = 100 << 10
	MaxCandidateBytes = 1 << 10
	MaxChatBytes      = 4 << 10
	MaxIDBytes        = 128
	MaxReasonBytes    = 256
	MaxDimension      = 16384
	MaxListItems      = 64
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// checkID accepts printable identifiers without spaces or control characters.
func checkID(field, s string, optional bool) error {
	if s == "" {
		if optional {
			return nil
		}
		return invalid("%s is required", field)
	}
	if len(s) > MaxIDBytes {
		return invalid("%s longer than %d bytes", field, MaxIDBytes)
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return invalid("%s contains a forbidden character", field)
		}
	}
	return nil
}

// checkText accepts free text without control characters other than
// newlines and tabs.
func checkText(field, s string, limit int) error {
	if len(s) > limit {
		return invalid("%s longer than %d bytes", field, limit)
	}
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r') {
			return invalid("%s contains a control character", field)
		}
	}
	return nil
}

func checkToken(s string) error {
	if s == "" {
		return invalid("token is required")
	}
	if len(s) > MaxTokenBytes {
		return invalid("token longer than %d bytes", MaxTokenBytes)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return invalid("token must be printable ASCII")
		}
	}
	return nil
}

func checkKind(k TrackKind, optional bool) error {
	switch k {
	case KindCamera, KindMicrophone, KindScreen:
		return nil
	case "":
		if optional {
			return nil
		}
	}
	return invalid("kind must be camera, microphone or screen")
}

func checkDim(field string, v int) error {
	if v < 0 || v > MaxDimension {
		return invalid("%s out of range", field)
	}
	return nil
}

func checkState(s string) error {
	if s != StateActive && s != StateReconnecting {
		return invalid("state must be %q or %q", StateActive, StateReconnecting)
	}
	return nil
}

func checkRID(s string) error {
	if len(s) > 16 {
		return invalid("rid too long")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return invalid("rid must be alphanumeric")
		}
	}
	return nil
}

func (m *Join) validate() error {
	if err := checkToken(m.Token); err != nil {
		return err
	}
	return checkText("sdk", m.SDK, MaxIDBytes)
}

func (m *Resume) validate() error {
	if err := checkToken(m.Token); err != nil {
		return err
	}
	if err := checkID("participantId", m.ParticipantID, false); err != nil {
		return err
	}
	return checkID("resumeSecret", m.ResumeSecret, false)
}

func (m *Publish) validate() error {
	if err := checkID("trackId", m.TrackID, false); err != nil {
		return err
	}
	if err := checkKind(m.Kind, false); err != nil {
		return err
	}
	if m.Simulcast && m.Kind == KindMicrophone {
		return invalid("audio cannot be simulcast")
	}
	if err := checkDim("width", m.Width); err != nil {
		return err
	}
	return checkDim("height", m.Height)
}

func (m *Unpublish) validate() error { return checkID("trackId", m.TrackID, false) }

func (m *Subscription) validate() error {
	if err := checkID("participantId", m.ParticipantID, false); err != nil {
		return err
	}
	if err := checkID("trackId", m.TrackID, false); err != nil {
		return err
	}
	if err := checkDim("width", m.Width); err != nil {
		return err
	}
	return checkDim("height", m.Height)
}

func (m *Remove) validate() error {
	if err := checkID("participantId", m.ParticipantID, false); err != nil {
		return err
	}
	return checkText("reason", m.Reason, MaxReasonBytes)
}

func (m *Leave) validate() error { return checkText("reason", m.Reason, MaxReasonBytes) }

func (m *SessionDescription) validate() error {
	if strings.TrimSpace(m.SDP) == "" {
		return invalid("sdp is required")
	}
	if len(m.SDP) > MaxSDPBytes {
		return invalid("sdp longer than %d bytes", MaxSDPBytes)
	}
	if !strings.HasPrefix(m.SDP, "v=0") {
		return invalid("sdp must start with v=0")
	}
	if len(m.Tracks) > 4*MaxListItems {
		return invalid("too many tracks")
	}
	for mid, ref := range m.Tracks {
		if err := checkID("tracks key", mid, false); err != nil {
			return err
		}
		if err := ref.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (m *TrackRef) validate() error {
	if err := checkID("participantId", m.ParticipantID, false); err != nil {
		return err
	}
	if err := checkID("trackId", m.TrackID, false); err != nil {
		return err
	}
	return checkKind(m.Kind, false)
}

func (m *Candidate) validate() error {
	if len(m.Candidate) > MaxCandidateBytes {
		return invalid("candidate longer than %d bytes", MaxCandidateBytes)
	}
	if m.Candidate != "" && !strings.HasPrefix(m.Candidate, "candidate:") {
		return invalid("candidate must start with candidate:")
	}
	if err := checkText("candidate", m.Candidate, MaxCandidateBytes); err != nil {
		return err
	}
	if m.SDPMid != nil {
		if err := checkID("sdpMid", *m.SDPMid, true); err != nil {
			return err
		}
	}
	if m.UsernameFragment != nil {
		if err := checkID("usernameFragment", *m.UsernameFragment, true); err != nil {
			return err
		}
	}
	return nil
}

func (m *Mute) validate() error {
	if err := checkID("participantId", m.ParticipantID, true); err != nil {
		return err
	}
	if err := checkID("trackId", m.TrackID, true); err != nil {
		return err
	}
	if err := checkKind(m.Kind, true); err != nil {
		return err
	}
	if m.TrackID == "" && m.Kind == "" {
		return invalid("trackId or kind is required")
	}
	return checkID("by", m.By, true)
}

func (m *Ping) validate() error { return nil }

func (m *Chat) validate() error {
	if strings.TrimSpace(m.Text) == "" {
		return invalid("text is required")
	}
	if err := checkText("text", m.Text, MaxChatBytes); err != nil {
		return err
	}
	if err := checkID("messageId", m.MessageID, true); err != nil {
		return err
	}
	if m.From != nil {
		return m.From.validate()
	}
	return nil
}

func (m *ParticipantRef) validate() error {
	if err := checkID("id", m.ID, false); err != nil {
		return err
	}
	if err := checkText("name", m.Name, MaxReasonBytes); err != nil {
		return err
	}
	return checkID("role", m.Role, true)
}

func (m *Track) validate() error {
	if err := checkID("track id", m.ID, false); err != nil {
		return err
	}
	if err := checkKind(m.Kind, false); err != nil {
		return err
	}
	return checkID("codec", m.Codec, true)
}

func (m *Participant) validate() error {
	ref := ParticipantRef{ID: m.ID, Name: m.Name, Role: m.Role}
	if err := ref.validate(); err != nil {
		return err
	}
	if err := checkState(m.State); err != nil {
		return err
	}
	if len(m.Tracks) > MaxListItems {
		return invalid("too many tracks")
	}
	for i := range m.Tracks {
		if err := m.Tracks[i].validate(); err != nil {
			return err
		}
	}
	return nil
}

func (m *Joined) validate() error {
	if err := checkID("participantId", m.ParticipantID, false); err != nil {
		return err
	}
	if err := checkID("resumeSecret", m.ResumeSecret, false); err != nil {
		return err
	}
	if err := checkID("roomId", m.RoomID, false); err != nil {
		return err
	}
	if err := checkText("name", m.Name, MaxReasonBytes); err != nil {
		return err
	}
	if len(m.Participants) > MaxListItems || len(m.ICEServers) > MaxListItems {
		return invalid("list too long")
	}
	for i := range m.Participants {
		if err := m.Participants[i].validate(); err != nil {
			return err
		}
	}
	for _, s := range m.ICEServers {
		if len(s.URLs) == 0 {
			return invalid("ice server without urls")
		}
	}
	if m.ReconnectGraceMs < 0 {
		return invalid("reconnectGraceMs negative")
	}
	if err := checkID("activeSpeaker", m.ActiveSpeaker, true); err != nil {
		return err
	}
	return m.Profile.validate()
}

func (m *ParticipantJoined) validate() error { return m.Participant.validate() }

func (m *ParticipantLeft) validate() error {
	if err := checkID("participantId", m.ParticipantID, false); err != nil {
		return err
	}
	return checkText("reason", m.Reason, MaxReasonBytes)
}

func (m *ParticipantState) validate() error {
	if err := checkID("participantId", m.ParticipantID, false); err != nil {
		return err
	}
	return checkState(m.State)
}

func (m *TrackPublished) validate() error {
	if err := checkID("participantId", m.ParticipantID, false); err != nil {
		return err
	}
	return m.Track.validate()
}

func (m *TrackUnpublished) validate() error {
	if err := checkID("participantId", m.ParticipantID, false); err != nil {
		return err
	}
	return checkID("trackId", m.TrackID, false)
}

func (m *ActiveSpeaker) validate() error {
	if err := checkID("participantId", m.ParticipantID, true); err != nil {
		return err
	}
	if len(m.Speakers) > MaxListItems {
		return invalid("too many speakers")
	}
	for _, s := range m.Speakers {
		if err := checkID("participantId", s.ParticipantID, false); err != nil {
			return err
		}
		if !(s.Level >= 0 && s.Level <= 1) {
			return invalid("level out of range")
		}
	}
	return nil
}

func (m *NetworkQuality) validate() error {
	if len(m.Scores) > MaxListItems {
		return invalid("too many scores")
	}
	for _, s := range m.Scores {
		if err := checkID("participantId", s.ParticipantID, false); err != nil {
			return err
		}
		if s.Score < 0 || s.Score > 5 {
			return invalid("score out of range")
		}
	}
	return nil
}

func (m *PublishProfile) validate() error {
	if m.Mode != ModeTwoParty && m.Mode != ModeSimulcast {
		return invalid("mode must be %q or %q", ModeTwoParty, ModeSimulcast)
	}
	if err := checkDim("width", m.Video.Width); err != nil {
		return err
	}
	if err := checkDim("height", m.Video.Height); err != nil {
		return err
	}
	if m.Video.FPS < 0 || m.Video.FPS > 240 || m.Video.MaxBitrate < 0 {
		return invalid("video profile out of range")
	}
	if err := checkID("codec", m.Video.Codec, true); err != nil {
		return err
	}
	if len(m.Layers) > 4 {
		return invalid("too many layers")
	}
	for _, l := range m.Layers {
		if err := checkRID(l.RID); err != nil {
			return err
		}
		if l.RID == "" || !(l.ScaleDownBy >= 1 && l.ScaleDownBy <= 64) || l.MaxBitrate < 0 || l.MaxFPS < 0 {
			return invalid("layer out of range")
		}
	}
	return nil
}

func (m *LayerHint) validate() error {
	if err := checkID("trackId", m.TrackID, false); err != nil {
		return err
	}
	if len(m.Active) > 4 {
		return invalid("too many layers")
	}
	for _, r := range m.Active {
		if err := checkRID(r); err != nil {
			return err
		}
	}
	return nil
}

func (m *LayerChanged) validate() error {
	if err := checkID("participantId", m.ParticipantID, false); err != nil {
		return err
	}
	if err := checkID("trackId", m.TrackID, false); err != nil {
		return err
	}
	return checkRID(m.RID)
}

func (m *RoomClosed) validate() error { return checkText("reason", m.Reason, MaxReasonBytes) }

func (m *Error) validate() error {
	if err := checkID("code", string(m.Code), false); err != nil {
		return err
	}
	if err := checkText("message", m.Message, 1024); err != nil {
		return err
	}
	return checkID("ref", m.Ref, true)
}
