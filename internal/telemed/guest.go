package telemed

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/fhir/rest"
)

// invitePrefix marks a guest invitation token (the sealed link parameter).
const invitePrefix = "hci1."

// Invitation is a guest's way into one meeting.
type Invitation struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Role          string    `json:"role"`
	RelatedPerson string    `json:"relatedPerson"`
	URL           string    `json:"url"`
	Token         string    `json:"token"`
	ExpiresAt     time.Time `json:"expiresAt"`
}

// InviteRequest names the guest.
type InviteRequest struct {
	Name string `json:"name"`
	// Role is interpreter or family (a family member or caregiver).
	Role string `json:"role"`
	// TTL of the invitation; default Options.InviteTTL, at most 7 days.
	TTL time.Duration `json:"-"`
}

// guestRoles maps invitation roles to RelatedPerson.relationship codes
// (v3-RoleCode).
var guestRoles = map[string]map[string]any{
	"interpreter": {"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "INTPRTER", "display": "interpreter"},
	"family":      {"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "FAMMEMB", "display": "family member"},
}

// sealed is the content of an invitation link, encrypted and
// authenticated (AES-256-GCM under a key derived from the server secret).
type sealed struct {
	ID  string `json:"i"`
	M   string `json:"m"`
	E   string `json:"e"`
	P   string `json:"p"`
	N   string `json:"n"`
	Exp int64  `json:"x"`
}

// Invite creates a RelatedPerson for a named guest, adds them to the
// Encounter's other participants and returns a join link bound to this
// meeting that expires and can be revoked. The caller must take part in
// the visit (or be a machine client or administrator).
func (s *Service) Invite(ctx context.Context, encounterID string, req InviteRequest) (*Invitation, error) {
	id, err := auth.Caller(ctx)
	if err != nil {
		return nil, apiErr(http.StatusUnauthorized, "authentication required")
	}
	name := strings.TrimSpace(req.Name)
	rel, ok := guestRoles[req.Role]
	if name == "" || len(name) > 200 || !ok {
		return nil, apiErr(http.StatusBadRequest, "an invitation needs a name (at most 200 characters) and a role: interpreter or family")
	}
	ttl := req.TTL
	if ttl <= 0 {
		ttl = s.o.InviteTTL
	}
	if ttl > 7*24*time.Hour {
		return nil, apiErr(http.StatusBadRequest, "an invitation is valid for at most 7 days")
	}
	e, version, err := s.readEncounter(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	meetingID := e.meetingID()
	if meetingID == "" || s.meetingEncounter(ctx, meetingID) != encounterID || s.meetingEnded(ctx, meetingID) {
		return nil, apiErr(http.StatusNotFound, "Encounter/%s has no open meeting", encounterID)
	}
	allowed := id.Kind == auth.KindClient || (id.Kind == auth.KindUser && id.Role == auth.RoleAdmin) ||
		(id.FHIRUser != "" && slices.Contains(e.participants(), id.FHIRUser))
	if !allowed {
		return nil, apiErr(http.StatusForbidden, "only participants of the visit can invite guests")
	}
	subject, _ := e["subject"].(map[string]any)
	patientRef, _ := subject["reference"].(string)
	if !strings.HasPrefix(patientRef, "Patient/") {
		return nil, apiErr(http.StatusConflict, "Encounter/%s has no patient to relate the guest to", encounterID)
	}
	// The RelatedPerson is written as the caller: the access policy decides.
	rp := map[string]any{"resourceType": "RelatedPerson", "active": true, "patient": map[string]any{"reference": patientRef},
		"relationship": []any{map[string]any{"coding": []any{rel}, "text": req.Role}},
		"name":         []any{map[string]any{"text": name}}}
	body, _ := json.Marshal(rp)
	resp, err := s.o.Engine.Do(ctx, &rest.Request{Interaction: rest.Create, Method: http.MethodPost, Type: "RelatedPerson",
		Body: body, ContentType: "application/fhir+json", Prefer: rest.Prefer{Return: "representation"}})
	if err != nil {
		return nil, fhirErr(err)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(resp.Body, &created); err != nil || created.ID == "" {
		return nil, fmt.Errorf("telemed: RelatedPerson without id")
	}
	ref := "RelatedPerson/" + created.ID
	e.addOther(ref, name, time.Time{})
	if _, _, err := s.writeEncounter(ctx, e, version); err != nil {
		return nil, err
	}
	inv := &Invitation{ID: rest32(), Name: name, Role: req.Role, RelatedPerson: ref, ExpiresAt: s.o.Now().Add(ttl).UTC().Truncate(time.Second)}
	if _, err := s.o.DB.Exec(ctx, `INSERT INTO telemed_invites (id, meeting_id, encounter_id, related_person, expires_at) VALUES (?, ?, ?, ?, ?)`,
		inv.ID, meetingID, encounterID, ref, inv.ExpiresAt.UnixMilli()); err != nil {
		return nil, fmt.Errorf("telemed: recording invitation: %w", err)
	}
	if inv.Token, err = s.seal(sealed{ID: inv.ID, M: meetingID, E: encounterID, P: ref, N: name, Exp: inv.ExpiresAt.Unix()}); err != nil {
		return nil, err
	}
	inv.URL = s.o.Issuer + "/visit/guest#invite=" + inv.Token
	s.event(ctx, Event{Type: "meeting.guest_invited", EncounterID: encounterID, MeetingID: meetingID, Participant: ref})
	return inv, nil
}

// RevokeInvite makes an invitation unusable (joins in progress continue;
// end the meeting or remove the guest to stop them).
func (s *Service) RevokeInvite(ctx context.Context, encounterID, inviteID string) error {
	if _, err := s.readEncounterAsParticipant(ctx, encounterID); err != nil {
		return err
	}
	res, err := s.o.DB.Exec(ctx, `UPDATE telemed_invites SET revoked_at = ? WHERE id = ? AND encounter_id = ? AND revoked_at IS NULL`,
		s.o.Now().UnixMilli(), inviteID, encounterID)
	if err != nil {
		return fmt.Errorf("telemed: revoking: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apiErr(http.StatusNotFound, "no active invitation %s on Encounter/%s", inviteID, encounterID)
	}
	return nil
}

func (s *Service) readEncounterAsParticipant(ctx context.Context, encounterID string) (encounter, error) {
	id, err := auth.Caller(ctx)
	if err != nil {
		return nil, apiErr(http.StatusUnauthorized, "authentication required")
	}
	e, _, err := s.readEncounter(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	if id.Kind == auth.KindClient || (id.Kind == auth.KindUser && id.Role == auth.RoleAdmin) || slices.Contains(e.participants(), id.FHIRUser) {
		return e, nil
	}
	return nil, apiErr(http.StatusForbidden, "only participants of the visit can manage its invitations")
}

// GuestJoin turns an invitation link into a join response; no account is
// needed.
func (s *Service) GuestJoin(ctx context.Context, invite string) (*JoinResponse, error) {
	g, err := s.authenticateInvite(ctx, invite)
	if err != nil {
		return nil, apiErr(http.StatusForbidden, "this invitation is not valid: it may have expired, been withdrawn, or the visit has ended")
	}
	return s.joinResponse(g)
}

// authenticateInvite checks an invitation: authentic, not expired, not
// revoked, meeting open.
func (s *Service) authenticateInvite(ctx context.Context, tok string) (Grant, error) {
	sl, err := s.unseal(tok)
	if err != nil {
		return Grant{}, fmt.Errorf("%w: %w", ErrJoinToken, err)
	}
	if s.o.Now().Unix() > sl.Exp {
		return Grant{}, fmt.Errorf("%w: invitation expired", ErrJoinToken)
	}
	var revoked *int64
	err = s.o.DB.QueryRow(ctx, `SELECT revoked_at FROM telemed_invites WHERE id = ? AND meeting_id = ?`, sl.ID, sl.M).Scan(&revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Grant{}, fmt.Errorf("%w: unknown invitation", ErrJoinToken)
	case err != nil:
		return Grant{}, err
	case revoked != nil:
		return Grant{}, fmt.Errorf("%w: invitation withdrawn", ErrJoinToken)
	}
	if s.meetingEnded(ctx, sl.M) {
		return Grant{}, fmt.Errorf("%w: the visit has ended", ErrJoinToken)
	}
	return Grant{MeetingID: sl.M, EncounterID: sl.E, ParticipantID: sl.P, Name: sl.N, Role: "guest", CanPublish: true,
		Expires: time.Unix(sl.Exp, 0)}, nil
}

func (s *Service) aead() (cipher.AEAD, error) {
	key := s.o.Accounts.MAC("telemed-invite-key-v1", nil)
	block, err := aes.NewCipher(key[:32])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (s *Service) seal(v sealed) (string, error) {
	a, err := s.aead()
	if err != nil {
		return "", err
	}
	plain, _ := json.Marshal(v)
	nonce := make([]byte, a.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := a.Seal(nonce, nonce, plain, []byte(invitePrefix))
	return invitePrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

func (s *Service) unseal(tok string) (sealed, error) {
	var v sealed
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, invitePrefix))
	if err != nil || !strings.HasPrefix(tok, invitePrefix) {
		return v, errors.New("malformed invitation")
	}
	a, err := s.aead()
	if err != nil {
		return v, err
	}
	if len(raw) < a.NonceSize()+a.Overhead() {
		return v, errors.New("malformed invitation")
	}
	plain, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], []byte(invitePrefix))
	if err != nil {
		return v, errors.New("invitation not authentic")
	}
	if err := json.Unmarshal(plain, &v); err != nil {
		return v, errors.New("malformed invitation")
	}
	return v, nil
}
