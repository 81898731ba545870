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

// invitePrefix marks an invitation token (the sealed link parameter).
const invitePrefix = "hci1."

// RolePatient is the invitation role of the visit's own patient (the
// other roles are those of guestRoles).
const RolePatient = "patient"

// Invitation is a person's way into one meeting: the visit's patient, or a
// guest (interpreter, family member).
type Invitation struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
	// Profile is who is invited: the Encounter's subject for the patient,
	// the RelatedPerson created for a guest.
	Profile string `json:"profile"`
	// RelatedPerson is Profile for guests (kept for older clients).
	RelatedPerson string    `json:"relatedPerson,omitempty"`
	URL           string    `json:"url"`
	Token         string    `json:"token"`
	ExpiresAt     time.Time `json:"expiresAt"`
	// Emailed: the link was queued for e-mail delivery.
	Emailed bool `json:"emailed"`
}

// InviteRequest names the person invited.
type InviteRequest struct {
	// Name is required for guests; for the patient it defaults to the
	// patient's name.
	Name string `json:"name"`
	// Role is patient, interpreter or family (a family member or
	// caregiver).
	Role string `json:"role"`
	// Email, when set, receives the link (through the outbox).
	Email string `json:"email"`
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

// Invite invites the visit's patient (role patient: the Encounter's
// subject, nothing is created) or a named guest (a RelatedPerson is created
// and added to the Encounter's other participants) and returns a link
// bound to this meeting that expires and can be withdrawn; with an e-mail
// address the link is also e-mailed. The caller must take part in the
// visit (or be a machine client or administrator), and not through an
// invitation.
func (s *Service) Invite(ctx context.Context, encounterID string, req InviteRequest) (*Invitation, error) {
	id, err := auth.Caller(ctx)
	if err != nil {
		return nil, apiErr(http.StatusUnauthorized, "authentication required")
	}
	if id.Kind == auth.KindInvite {
		return nil, apiErr(http.StatusForbidden, "an invitation cannot be used to invite others")
	}
	name := strings.TrimSpace(req.Name)
	rel, guest := guestRoles[req.Role]
	if (!guest && req.Role != RolePatient) || len(name) > 200 || (guest && name == "") {
		return nil, apiErr(http.StatusBadRequest, "an invitation needs a role (patient, interpreter or family) and, for guests, a name (at most 200 characters)")
	}
	email, err := inviteEmail(req.Email)
	if err != nil {
		return nil, err
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
	meetingID, err := s.meetingOf(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	if meetingID == "" || s.meetingEnded(ctx, meetingID) {
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
		return nil, apiErr(http.StatusConflict, "Encounter/%s has no patient to invite or relate the guest to", encounterID)
	}
	profile := patientRef
	if guest {
		if profile, err = s.addGuest(ctx, e, version, patientRef, name, req.Role, rel); err != nil {
			return nil, err
		}
	} else if name == "" {
		name = s.patientName(ctx, e, patientRef)
	}
	inv := &Invitation{ID: rest32(), Name: name, Role: req.Role, Profile: profile, ExpiresAt: s.o.Now().Add(ttl).UTC().Truncate(time.Second)}
	if guest {
		inv.RelatedPerson = profile
	}
	if _, err := s.o.DB.Exec(ctx, `INSERT INTO telemed_invites (id, meeting_id, encounter_id, related_person, expires_at, role, name) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		inv.ID, meetingID, encounterID, profile, inv.ExpiresAt.UnixMilli(), inv.Role, name); err != nil {
		return nil, fmt.Errorf("telemed: recording invitation: %w", err)
	}
	if inv.Token, err = s.seal(sealed{ID: inv.ID, M: meetingID, E: encounterID, P: profile, N: name, Exp: inv.ExpiresAt.Unix()}); err != nil {
		return nil, err
	}
	inv.URL = s.o.Issuer + "/visit/guest#invite=" + inv.Token
	evType := "meeting.guest_invited"
	if !guest {
		// The patient's link opens the visit page, which signs them in
		// through POST /v1/telemed/invite/session.
		inv.URL, evType = s.o.Issuer+"/visit#invite="+inv.Token, "meeting.patient_invited"
	}
	s.event(ctx, Event{Type: evType, EncounterID: encounterID, MeetingID: meetingID, Participant: profile})
	if email != "" {
		inv.Emailed = s.mailInvitation(ctx, e, inv, email)
	}
	return inv, nil
}

// addGuest creates the RelatedPerson of a guest and adds it to the
// Encounter's other participants.
func (s *Service) addGuest(ctx context.Context, e encounter, version int64, patientRef, name, role string, rel map[string]any) (string, error) {
	// The RelatedPerson is written as the caller: the access policy decides.
	rp := map[string]any{"resourceType": "RelatedPerson", "active": true, "patient": map[string]any{"reference": patientRef},
		"relationship": []any{map[string]any{"coding": []any{rel}, "text": role}},
		"name":         []any{map[string]any{"text": name}}}
	body, _ := json.Marshal(rp)
	resp, err := s.o.Engine.Do(ctx, &rest.Request{Interaction: rest.Create, Method: http.MethodPost, Type: "RelatedPerson",
		Body: body, ContentType: "application/fhir+json", Prefer: rest.Prefer{Return: "representation"}})
	if err != nil {
		return "", fhirErr(err)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(resp.Body, &created); err != nil || created.ID == "" {
		return "", fmt.Errorf("telemed: RelatedPerson without id")
	}
	ref := "RelatedPerson/" + created.ID
	e.addOther(ref, name, time.Time{})
	if _, _, err := s.writeEncounter(ctx, e, version); err != nil {
		return "", err
	}
	return ref, nil
}

// RevokeInvite makes an invitation unusable: its link and the access
// tokens of its sessions (media connections in progress continue; end the
// meeting or remove the guest to stop them).
func (s *Service) RevokeInvite(ctx context.Context, encounterID, inviteID string) error {
	if id, ok := auth.FromContext(ctx); ok && id.Kind == auth.KindInvite {
		return apiErr(http.StatusForbidden, "an invitation cannot withdraw invitations")
	}
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
	if s.o.Invites != nil {
		s.o.Invites.ForgetInvite(inviteID)
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
	if ae := (*Error)(nil); errors.As(err, &ae) && ae.Status == http.StatusConflict {
		return nil, ae // valid, but waiting to be admitted
	}
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
	// A raw invitation (the v1 guest join, or the link given straight to
	// /rtc) passes the waiting room only once a host admitted the guest.
	on, err := s.waitingRoomOf(ctx, sl.M)
	if err != nil {
		return Grant{}, err
	}
	if on && !isPractitioner(sl.P) {
		if err := s.admitted(ctx, sl.E, sl.P); err != nil {
			return Grant{}, fmt.Errorf("%w: %w", ErrJoinToken, err)
		}
	}
	return Grant{MeetingID: sl.M, EncounterID: sl.E, ParticipantID: sl.P, Name: sl.N, Role: roleOf(sl.P), CanPublish: true,
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
