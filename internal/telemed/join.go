package telemed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/token"
	"github.com/housecall/housecall/internal/fhir/rest"
)

// Token types of the media plane.
const (
	// TypeJoinToken is the typ of the JoinToken the join call returns.
	TypeJoinToken = "hc-join+jwt"
	// TypeV1Token is the typ of ZapEHR v1 video tokens.
	TypeV1Token = "JWT"
)

// Grant is what a participant may do in a meeting: the media server's
// admission decision, made here.
type Grant struct {
	MeetingID   string
	EncounterID string
	// ParticipantID is the stable identity in the room: the profile
	// reference ("Practitioner/1"), or "guest/…" for anonymous guests.
	ParticipantID string
	Name          string
	Role          string // host | participant | guest
	CanPublish    bool
	CanModerate   bool
	Expires       time.Time
}

// JoinResponse is the answer of the join call, in the field names
// Chime-based apps read.
type JoinResponse struct {
	Meeting  Meeting  `json:"Meeting"`
	Attendee Attendee `json:"Attendee"`
}

// Meeting describes where to connect.
type Meeting struct {
	MeetingID         string         `json:"MeetingId"`
	ExternalMeetingID string         `json:"ExternalMeetingId"`
	MediaRegion       string         `json:"MediaRegion"`
	MediaPlacement    MediaPlacement `json:"MediaPlacement"`
}

// MediaPlacement carries the signalling URL and the ICE servers.
type MediaPlacement struct {
	SignalingURL     string      `json:"SignalingUrl"`
	TurnControlURL   string      `json:"TurnControlUrl"`
	AudioHostURL     string      `json:"AudioHostUrl"`
	ScreenSharingURL string      `json:"ScreenSharingUrl"`
	ICEServers       []ICEServer `json:"IceServers"`
}

// Attendee is the joining participant.
type Attendee struct {
	AttendeeID     string            `json:"AttendeeId"`
	ExternalUserID string            `json:"ExternalUserId"`
	JoinToken      string            `json:"JoinToken"`
	Capabilities   map[string]string `json:"Capabilities"`
}

// MediaRegion is what Housecall answers for Chime's region field.
const MediaRegion = "housecall"

// Join admits the caller to the meeting of an Encounter: their profile
// must take part in it (Encounter.participant.individual, the
// other-participants extension, or its subject). With anonymous, a machine
// client holding PermissionAnonymousJoin gets a guest attendee without a
// profile.
func (s *Service) Join(ctx context.Context, encounterID string, anonymous bool) (*JoinResponse, error) {
	id, err := auth.Caller(ctx)
	if err != nil {
		return nil, apiErr(http.StatusUnauthorized, "authentication required")
	}
	e, _, err := s.readVisit(ctx, encounterID) // invitation sessions: bound to their visit (invitesession.go)
	if err != nil {
		return nil, err
	}
	meetingID, err := s.meetingOf(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	if meetingID == "" {
		return nil, apiErr(http.StatusNotFound, "Encounter/%s has no meeting; create one first", encounterID)
	}
	if s.meetingEnded(ctx, meetingID) || e.status() == "finished" || e.status() == "cancelled" {
		return nil, apiErr(http.StatusGone, "this visit has ended")
	}
	var g Grant
	switch {
	case anonymous:
		if id.Kind != auth.KindClient {
			return nil, apiErr(http.StatusForbidden, "anonymous joins are for machine clients with the %s permission", PermissionAnonymousJoin)
		}
		c, err := s.o.Accounts.ClientByID(ctx, id.Subject)
		if err != nil || !c.HasPermission(PermissionAnonymousJoin) {
			return nil, apiErr(http.StatusForbidden, "this client lacks the %s permission", PermissionAnonymousJoin)
		}
		g = Grant{ParticipantID: "guest/" + rest32(), Name: "Guest", Role: "guest", CanPublish: true}
	case id.FHIRUser == "":
		return nil, apiErr(http.StatusForbidden, "the caller has no FHIR profile to join as")
	case !slices.Contains(e.participants(), id.FHIRUser):
		return nil, apiErr(http.StatusForbidden, "%s is not a participant of Encounter/%s", id.FHIRUser, encounterID)
	default:
		g = Grant{ParticipantID: id.FHIRUser, Name: displayOf(e, id.FHIRUser), Role: roleOf(id.FHIRUser), CanPublish: true}
		g.CanModerate = g.Role == "host"
		if g.Name == "" && id.Kind == auth.KindInvite {
			g.Name = id.Display // the invited person's name (a user's Display is an e-mail address)
		}
	}
	if err := s.admissionGate(ctx, e, id, anonymous); err != nil {
		return nil, err
	}
	g.MeetingID, g.EncounterID = meetingID, encounterID
	return s.joinResponse(g)
}

// joinResponse signs a join token for g and builds the answer.
func (s *Service) joinResponse(g Grant) (*JoinResponse, error) {
	now := s.o.Now()
	g.Expires = now.Add(s.o.JoinTTL)
	tok, err := s.o.Keys().Sign(token.Claims{
		Type: TypeJoinToken, Issuer: s.o.Issuer, Audience: []string{s.rtcAudience()}, Subject: g.ParticipantID,
		IssuedAt: now, NotBefore: now.Add(-time.Minute), ExpiresAt: g.Expires, ID: rest32(), Encounter: g.EncounterID,
		Extra: map[string]any{"room": g.MeetingID, "name": g.Name, "role": g.Role,
			"pub": g.CanPublish, "mod": g.CanModerate},
	})
	if err != nil {
		return nil, fmt.Errorf("telemed: signing the join token: %w", err)
	}
	mp := s.placement(g.ParticipantID)
	caps := map[string]string{"Audio": "SendReceive", "Video": "SendReceive", "Content": "SendReceive"}
	if !g.CanPublish {
		caps = map[string]string{"Audio": "Receive", "Video": "Receive", "Content": "Receive"}
	}
	return &JoinResponse{
		Meeting: Meeting{MeetingID: g.MeetingID, ExternalMeetingID: g.EncounterID, MediaRegion: MediaRegion,
			MediaPlacement: mp},
		Attendee: Attendee{AttendeeID: attendeeID(g.MeetingID, g.ParticipantID), ExternalUserID: g.ParticipantID,
			JoinToken: tok, Capabilities: caps},
	}, nil
}

// placement is where the media server is and how to reach it (STUN and
// TURN with credentials for participant).
func (s *Service) placement(participant string) MediaPlacement {
	ws := "ws" + strings.TrimPrefix(s.o.Issuer, "http") + "/rtc"
	var ice []ICEServer
	if s.o.ICEServers != nil {
		ice = s.o.ICEServers(participant)
	}
	return MediaPlacement{SignalingURL: ws, AudioHostURL: ws, ScreenSharingURL: ws, ICEServers: ice}
}

func (s *Service) rtcAudience() string { return s.o.Issuer + "/rtc" }

// V1Token is the ZapEHR v1 video token: a JWT whose grants name the
// caller's user id and the meeting.
func (s *Service) V1Token(ctx context.Context, encounterID string) (string, error) {
	id, err := auth.Caller(ctx)
	if err != nil {
		return "", apiErr(http.StatusUnauthorized, "authentication required")
	}
	jr, err := s.Join(ctx, encounterID, false)
	if err != nil {
		return "", err
	}
	now := s.o.Now()
	return s.o.Keys().Sign(token.Claims{
		Type: TypeV1Token, Issuer: s.o.Issuer, Audience: []string{s.rtcAudience()}, Subject: id.Subject,
		IssuedAt: now, NotBefore: now.Add(-time.Minute), ExpiresAt: now.Add(s.o.JoinTTL), ID: rest32(), Encounter: encounterID,
		Extra: map[string]any{"grants": map[string]any{"identity": id.Subject, "video": map[string]any{"room": jr.Meeting.MeetingID}},
			"profile": jr.Attendee.ExternalUserID, "role": roleOf(jr.Attendee.ExternalUserID)},
	})
}

// ErrJoinToken is returned by Authenticate for tokens that do not admit.
var ErrJoinToken = errors.New("telemed: join token refused")

// Authenticate checks a token presented to the media server: a JoinToken,
// a v1 token or a guest invitation; the meeting must exist and not have
// ended. It is the media server's Authenticator.
func (s *Service) Authenticate(ctx context.Context, tok string) (Grant, error) {
	if strings.HasPrefix(tok, invitePrefix) {
		return s.authenticateInvite(ctx, tok)
	}
	ks := s.o.Keys()
	var g Grant
	c, err := ks.Verify(tok, token.Verifier{Issuer: s.o.Issuer, Audience: s.rtcAudience(), Now: s.o.Now, Leeway: time.Minute, Type: TypeJoinToken})
	if err == nil {
		g = Grant{ParticipantID: c.Subject, Name: str(c.Extra["name"]), Role: str(c.Extra["role"]),
			MeetingID: str(c.Extra["room"]), EncounterID: c.Encounter,
			CanPublish: c.Extra["pub"] == true, CanModerate: c.Extra["mod"] == true, Expires: c.ExpiresAt}
	} else if c, err2 := ks.Verify(tok, token.Verifier{Issuer: s.o.Issuer, Audience: s.rtcAudience(), Now: s.o.Now, Leeway: time.Minute, Type: TypeV1Token}); err2 == nil {
		grants, _ := c.Extra["grants"].(map[string]any)
		video, _ := grants["video"].(map[string]any)
		profile := str(c.Extra["profile"])
		g = Grant{ParticipantID: profile, Name: profile, Role: str(c.Extra["role"]), MeetingID: str(video["room"]),
			EncounterID: c.Encounter, CanPublish: true, Expires: c.ExpiresAt}
		g.CanModerate = g.Role == "host"
	} else {
		return Grant{}, fmt.Errorf("%w: %w", ErrJoinToken, err)
	}
	if g.MeetingID == "" || g.ParticipantID == "" {
		return Grant{}, fmt.Errorf("%w: no meeting or identity", ErrJoinToken)
	}
	if s.meetingEnded(ctx, g.MeetingID) {
		return Grant{}, fmt.Errorf("%w: the visit has ended", ErrJoinToken)
	}
	return g, nil
}

// roleOf maps a profile to its role in the room.
func roleOf(ref string) string {
	switch {
	case strings.HasPrefix(ref, "Practitioner/"), strings.HasPrefix(ref, "PractitionerRole/"):
		return "host"
	case strings.HasPrefix(ref, "RelatedPerson/"), strings.HasPrefix(ref, "guest/"):
		return "guest"
	}
	return "participant"
}

// displayOf finds the display name the Encounter gives a participant.
func displayOf(e encounter, ref string) string {
	parts, _ := e["participant"].([]any)
	for _, p := range parts {
		pm, _ := p.(map[string]any)
		ind, _ := pm["individual"].(map[string]any)
		if ind["reference"] == ref {
			if d, _ := ind["display"].(string); d != "" {
				return d
			}
		}
	}
	for _, op := range e.others() {
		if otherRef(op) == ref {
			r := findExt(op, "reference")
			vr, _ := r["valueReference"].(map[string]any)
			if d, _ := vr["display"].(string); d != "" {
				return d
			}
		}
	}
	if s, _ := e["subject"].(map[string]any); s != nil && s["reference"] == ref {
		if d, _ := s["display"].(string); d != "" {
			return d
		}
	}
	return ""
}

// attendeeID is stable per meeting and participant, so a rejoin keeps it.
func attendeeID(meetingID, participant string) string {
	h := sha256.Sum256([]byte(meetingID + "\x00" + participant))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func str(v any) string { s, _ := v.(string); return s }

// rest32 is a random id.
func rest32() string { return strings.ReplaceAll(rest.NewUUID(), "-", "") }
