package telemed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/apierr"
	"github.com/housecall/housecall/internal/audit"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/oauth"
	"github.com/housecall/housecall/internal/auth/token"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/notify"
	"github.com/housecall/housecall/internal/store/opsql"
)

// PermissionAnonymousJoin lets a machine client join a meeting without a
// profile (for guests its own app has invited).
const PermissionAnonymousJoin = "telemed:anonymous-join"

// Rooms is what the control plane needs of the media server.
type Rooms interface {
	// CloseRoom disconnects everyone in the meeting.
	CloseRoom(meetingID, reason string)
}

// Options configure a Service.
type Options struct {
	Engine   *rest.Engine
	DB       *opsql.DB
	Accounts *account.Accounts
	// Keys signs and verifies join tokens (the authorization server's keys).
	Keys func() *token.KeySet
	// Issuer is the public base URL (tokens' iss; /rtc and invite links
	// are built on it).
	Issuer string
	Rooms  Rooms
	Outbox *notify.Outbox
	// Webhooks receive visit events; EMR receives Zoom-style GET
	// notifications.
	Webhooks []Webhook
	// WebhookSource lists further endpoints (registered at run time by
	// administrators) that take events of a type; consulted per event.
	WebhookSource func(ctx context.Context, eventType string) ([]Webhook, error)
	EMR           *EMRNotify
	// ICEServers returns the STUN/TURN entries for a participant (TURN REST
	// credentials are per participant).
	ICEServers func(participantID string) []ICEServer
	Audit      audit.Recorder
	Logger     *slog.Logger
	Now        func() time.Time
	// JoinTTL is how long a join token is valid; default 4 h.
	JoinTTL time.Duration
	// InviteTTL is the default lifetime of a guest invitation; default 24 h.
	InviteTTL time.Duration
	// Invites issues the access tokens of invitation sessions (the
	// authorization server); without it POST /v1/telemed/invite/session
	// answers 503 (invitesession.go).
	Invites InviteTokens
	// InviteSessionLimit is the per-address rate of invitation exchanges;
	// zero fields: two a second, burst 20.
	InviteSessionLimit oauth.Limit
	// Policy is the FHIR engine's access policy: it decides, without an
	// audited read per event, which live events a subscriber may see
	// (nil: the Encounter is read as the subscriber).
	Policy *auth.Policy
}

// ICEServer is one STUN/TURN entry given to clients.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Service is the Telemed control plane.
type Service struct {
	o        Options
	presence presence
	live     *liveState // waiting room and live events (waiting.go, hub.go)
	// inviteLimit rate-limits invitation exchanges per address (invitesession.go).
	inviteLimit *oauth.Limiter
}

// New migrates the telemed tables and returns the service.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Engine == nil || o.DB == nil || o.Accounts == nil || o.Keys == nil || o.Issuer == "" {
		return nil, errors.New("telemed: Engine, DB, Accounts, Keys and Issuer are required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.JoinTTL <= 0 {
		o.JoinTTL = 4 * time.Hour
	}
	if o.InviteTTL <= 0 {
		o.InviteTTL = 24 * time.Hour
	}
	if err := o.DB.Migrate(ctx, "telemed", migrations); err != nil {
		return nil, err
	}
	s := &Service{o: o}
	if err := s.startLive(ctx); err != nil {
		return nil, err
	}
	if err := s.startInvites(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// SetRooms connects the media server (it is created after the service,
// which authenticates its clients).
func (s *Service) SetRooms(r Rooms) { s.o.Rooms = r }

var migrations = []opsql.Step{{Version: 1, Name: "meetings and invitations",
	SQLite: `CREATE TABLE telemed_meetings (
	meeting_id   TEXT PRIMARY KEY,
	encounter_id TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	ended_at     INTEGER
);
CREATE INDEX telemed_meetings_encounter ON telemed_meetings (encounter_id);
CREATE TABLE telemed_invites (
	id             TEXT PRIMARY KEY,
	meeting_id     TEXT NOT NULL,
	encounter_id   TEXT NOT NULL,
	related_person TEXT NOT NULL,
	expires_at     INTEGER NOT NULL,
	revoked_at     INTEGER
);`,
	Postgres: `CREATE TABLE telemed_meetings (
	meeting_id   text PRIMARY KEY,
	encounter_id text NOT NULL,
	created_at   bigint NOT NULL,
	ended_at     bigint
);
CREATE INDEX telemed_meetings_encounter ON telemed_meetings (encounter_id);
CREATE TABLE telemed_invites (
	id             text PRIMARY KEY,
	meeting_id     text NOT NULL,
	encounter_id   text NOT NULL,
	related_person text NOT NULL,
	expires_at     bigint NOT NULL,
	revoked_at     bigint
);`}, {Version: 2, Name: "waiting-room flag kept by the server",
	// The Encounter's extension mirrors it, but patients may write their
	// own Encounter: the admission gate reads this column only.
	SQLite:   `ALTER TABLE telemed_meetings ADD COLUMN waiting_room INTEGER NOT NULL DEFAULT 0`,
	Postgres: `ALTER TABLE telemed_meetings ADD COLUMN waiting_room integer NOT NULL DEFAULT 0`}}

// Error is an API error with a public message.
type Error = apierr.Error

var (
	apiErr  = apierr.New
	fhirErr = apierr.FromFHIR // a FHIR engine error with its status and first message
)

// readEncounter reads an Encounter as the caller (the access policy
// applies: an Encounter the caller may not see is a 404).
func (s *Service) readEncounter(ctx context.Context, id string) (encounter, int64, error) {
	resp, err := s.o.Engine.Do(ctx, &rest.Request{Interaction: rest.Read, Method: http.MethodGet, Type: "Encounter", ID: id})
	if err != nil {
		return nil, 0, fhirErr(err)
	}
	var e encounter
	if err := json.Unmarshal(resp.Body, &e); err != nil {
		return nil, 0, fmt.Errorf("telemed: decoding Encounter/%s: %w", id, err)
	}
	s.noteVisit(e, false)
	v, _ := strconv.ParseInt(strings.Trim(strings.TrimPrefix(resp.ETag, "W/"), `"`), 10, 64)
	return e, v, nil
}

// writeEncounter creates (no id) or updates the Encounter as the caller;
// version > 0 makes the update conditional on it.
func (s *Service) writeEncounter(ctx context.Context, e encounter, version int64) (encounter, int64, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return nil, 0, err
	}
	req := &rest.Request{Interaction: rest.Create, Method: http.MethodPost, Type: "Encounter", Body: body,
		ContentType: "application/fhir+json", Prefer: rest.Prefer{Return: "representation"}}
	if id := e.id(); id != "" {
		req.Interaction, req.Method, req.ID = rest.Update, http.MethodPut, id
		if version > 0 {
			req.IfMatch = `W/"` + strconv.FormatInt(version, 10) + `"`
		}
	}
	resp, err := s.o.Engine.Do(ctx, req)
	if err != nil {
		return nil, 0, fhirErr(err)
	}
	var out encounter
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return nil, 0, fmt.Errorf("telemed: decoding the stored Encounter: %w", err)
	}
	s.noteVisit(out, true)
	v, _ := strconv.ParseInt(strings.Trim(strings.TrimPrefix(resp.ETag, "W/"), `"`), 10, 64)
	return out, v, nil
}

// CreateMeeting creates or updates the Encounter (an Encounter with an id
// is updated: apps pre-create it at booking) and records a new meeting on
// it; an Encounter that already has a Housecall meeting keeps it.
func (s *Service) CreateMeeting(ctx context.Context, e encounter, recordAudio bool) (encounter, error) {
	if e == nil || e["resourceType"] != "Encounter" {
		return nil, apiErr(http.StatusBadRequest, "the body must be {\"encounter\": <Encounter>}")
	}
	caller, err := auth.Caller(ctx)
	if err != nil {
		return nil, apiErr(http.StatusUnauthorized, "authentication required")
	}
	meetingID := ""
	if id := e.id(); id != "" {
		// The server's record, not the Encounter's extension (a mirror that
		// apps and patients can write), says which meeting the visit has.
		if meetingID, err = s.meetingOf(ctx, id); err != nil {
			return nil, err
		}
	}
	if meetingID == "" {
		meetingID = rest.NewUUID()
	} else if !hostOf(caller, e.participants()) {
		// Only a host turns the waiting room of an existing meeting on or off.
		on, err := s.waitingRoomOf(ctx, meetingID)
		if err != nil {
			return nil, err
		}
		e.setWaitingRoom(on)
	}
	if _, ok := e["status"]; !ok {
		e["status"] = "planned"
	}
	if _, ok := e["class"]; !ok {
		e["class"] = map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR", "display": "virtual"}
	}
	e.setMeeting(meetingID, recordAudio)
	out, _, err := s.writeEncounter(ctx, e, 0)
	if err != nil {
		return nil, err
	}
	wr := 0
	if out.waitingRoom() {
		wr = 1
	}
	_, err = s.o.DB.Exec(ctx, `INSERT INTO telemed_meetings (meeting_id, encounter_id, created_at, waiting_room) VALUES (?, ?, ?, ?)
ON CONFLICT (meeting_id) DO UPDATE SET waiting_room = excluded.waiting_room`, meetingID, out.id(), s.o.Now().UnixMilli(), wr)
	if err != nil {
		return nil, fmt.Errorf("telemed: recording meeting: %w", err)
	}
	s.event(ctx, Event{Type: "meeting.created", EncounterID: out.id(), MeetingID: meetingID})
	return out, nil
}

// waitingRoomOf reports whether patients and guests enter the meeting only
// once a host admitted them (the server's record, never the Encounter's
// extension, which patients can write).
func (s *Service) waitingRoomOf(ctx context.Context, meetingID string) (bool, error) {
	var on int
	err := s.o.DB.QueryRow(ctx, `SELECT waiting_room FROM telemed_meetings WHERE meeting_id = ?`, meetingID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("telemed: reading the meeting's waiting room: %w", err)
	}
	return on != 0, nil
}

// meetingOf returns the meeting of an Encounter ("" when it has none)
// from the server's own record: the Encounter's extension only mirrors it.
func (s *Service) meetingOf(ctx context.Context, encounterID string) (string, error) {
	var id string
	err := s.o.DB.QueryRow(ctx, `SELECT meeting_id FROM telemed_meetings WHERE encounter_id = ? ORDER BY created_at DESC LIMIT 1`,
		encounterID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("telemed: reading the visit's meeting: %w", err)
	}
	return id, nil
}

// meetingEncounter returns the Encounter id of a meeting, "" if unknown.
func (s *Service) meetingEncounter(ctx context.Context, meetingID string) string {
	var id string
	_ = s.o.DB.QueryRow(ctx, `SELECT encounter_id FROM telemed_meetings WHERE meeting_id = ?`, meetingID).Scan(&id)
	return id
}

// meetingEnded reports whether the meeting was ended.
func (s *Service) meetingEnded(ctx context.Context, meetingID string) bool {
	var ended *int64
	err := s.o.DB.QueryRow(ctx, `SELECT ended_at FROM telemed_meetings WHERE meeting_id = ?`, meetingID).Scan(&ended)
	return err == nil && ended != nil
}

// EndMeeting disconnects everyone, closes the room and finishes the
// Encounter (status finished, period.end). The caller must be a
// practitioner taking part in the visit, an administrator, or a machine
// client allowed to update Encounters.
func (s *Service) EndMeeting(ctx context.Context, encounterID string) (encounter, error) {
	id, err := auth.Caller(ctx)
	if err != nil {
		return nil, apiErr(http.StatusUnauthorized, "authentication required")
	}
	e, _, err := s.readEncounter(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	meetingID, err := s.meetingOf(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	if meetingID == "" {
		return nil, apiErr(http.StatusNotFound, "Encounter/%s has no meeting", encounterID)
	}
	host := id.Kind == auth.KindClient || (id.Kind == auth.KindUser && id.Role == auth.RoleAdmin) ||
		(strings.HasPrefix(id.FHIRUser, "Practitioner/") && slices.Contains(e.participants(), id.FHIRUser))
	if !host {
		return nil, apiErr(http.StatusForbidden, "only a practitioner of the visit can end it")
	}
	now := s.o.Now()
	if _, err := s.o.DB.Exec(ctx, `UPDATE telemed_meetings SET ended_at = ? WHERE meeting_id = ? AND ended_at IS NULL`, now.UnixMilli(), meetingID); err != nil {
		return nil, fmt.Errorf("telemed: ending meeting: %w", err)
	}
	if s.o.Rooms != nil {
		s.o.Rooms.CloseRoom(meetingID, "the visit has ended")
	}
	// Closing the room makes the media server report everyone leaving,
	// and those reports update the Encounter too: updateEncounter re-reads
	// on a conflict.
	out, err := s.updateEncounter(ctx, encounterID, func(e encounter) {
		for _, ref := range e.participants() {
			e.markPeriodIfOpen(ref, now)
		}
		e.setStatus("finished", now)
	})
	if err != nil {
		return nil, err
	}
	s.event(ctx, Event{Type: "meeting.ended", EncounterID: encounterID, MeetingID: meetingID})
	return out, nil
}

// markPeriodIfOpen closes the period of a participant who was in the call.
func (e encounter) markPeriodIfOpen(ref string, t time.Time) {
	parts, _ := e["participant"].([]any)
	for _, p := range parts {
		pm, _ := p.(map[string]any)
		ind, _ := pm["individual"].(map[string]any)
		if r, _ := ind["reference"].(string); r == ref {
			if pp, _ := pm["period"].(map[string]any); pp != nil && pp["start"] != nil && pp["end"] == nil {
				pp["end"] = fhirTime(t)
			}
			return
		}
	}
	for _, op := range e.others() {
		if otherRef(op) != ref {
			continue
		}
		if px := findExt(op, "period"); px != nil {
			if vp, _ := px["valuePeriod"].(map[string]any); vp != nil && vp["start"] != nil && vp["end"] == nil {
				vp["end"] = fhirTime(t)
			}
		}
	}
}

// system is the context for Housecall's own bookkeeping writes.
func system(ctx context.Context) context.Context {
	return auth.WithIdentity(context.WithoutCancel(ctx), auth.System("telemed"))
}
