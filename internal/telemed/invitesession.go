package telemed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/apierr"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/oauth"
	"github.com/housecall/housecall/internal/store/opsql"
)

// Invitation sessions: whoever opens an invitation link exchanges it
// (POST /v1/telemed/invite/session) for an access token of kind
// auth.KindInvite minted by the authorization server. The patient's token
// reads and writes their own record within PatientInviteScopes; a guest's
// carries no FHIR scopes and serves the Telemed API only. Every bearer
// check asks InviteActive, so withdrawing or the expiry of the invitation
// ends its sessions.

// InviteTokens is what invitation sessions need of the authorization
// server (*oauth.Server).
type InviteTokens interface {
	// IssueInviteToken mints the access token of a session.
	IssueInviteToken(ctx context.Context, g oauth.InviteGrant) (token string, exp time.Time, scope string, err error)
	// ForgetInvite drops the cached status of a withdrawn invitation.
	ForgetInvite(inviteID string)
	// ClientIP is the caller's address for the rate limit.
	ClientIP(r *http.Request) string
}

var _ InviteTokens = (*oauth.Server)(nil)

// PatientInviteScopes are the FHIR scopes of the patient's invitation
// session: the visit page reads the visit, the intake questionnaire and
// the visit summary, and writes the intake answers, the consent and the
// reason for the visit.
const PatientInviteScopes = "patient/Patient.rs patient/Encounter.rus patient/QuestionnaireResponse.crus " +
	"patient/Consent.crs patient/Questionnaire.rs patient/Condition.rs patient/MedicationRequest.rs " +
	"patient/ServiceRequest.rs patient/DocumentReference.rs patient/Communication.rs"

// inviteSteps add the role and name of an invitation. They are a
// component of their own ("telemed-invites") so that they never collide
// with other steps of the telemed tables.
var inviteSteps = []opsql.Step{{Version: 1, Name: "invitation role and name",
	SQLite: `ALTER TABLE telemed_invites ADD COLUMN role TEXT NOT NULL DEFAULT '';
ALTER TABLE telemed_invites ADD COLUMN name TEXT NOT NULL DEFAULT '';`,
	Postgres: `ALTER TABLE telemed_invites ADD COLUMN role text NOT NULL DEFAULT '', ADD COLUMN name text NOT NULL DEFAULT '';`}}

// startInvites migrates the invitation columns and sets up the rate limit.
func (s *Service) startInvites(ctx context.Context) error {
	if err := s.o.DB.Migrate(ctx, "telemed-invites", inviteSteps); err != nil {
		return err
	}
	lim := s.o.InviteSessionLimit
	if lim.Every <= 0 {
		lim.Every = 500 * time.Millisecond
	}
	if lim.Burst <= 0 {
		lim.Burst = 20
	}
	s.inviteLimit = oauth.NewLimiter(lim, s.o.Now)
	return nil
}

// InviteSession is the answer of POST /v1/telemed/invite/session.
type InviteSession struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	EncounterID string `json:"encounterId"`
	MeetingID   string `json:"meetingId"`
	// Role is patient, interpreter or family.
	Role string `json:"role"`
	Name string `json:"name"`
	// Profile is "Patient/…" or "RelatedPerson/…".
	Profile string `json:"profile"`
	// Patient is the patient id, for the patient only.
	Patient     string `json:"patient,omitempty"`
	WaitingRoom bool   `json:"waitingRoom"`
	// Status is the Encounter's status.
	Status string `json:"status"`
	// Start is Encounter.period.start.
	Start         string            `json:"start,omitempty"`
	Practitioners []PractitionerRef `json:"practitioners"`
	// MediaPlacement names the media server and its STUN/TURN servers
	// (with credentials), so that the pre-call check can test the network
	// path before the person is admitted and may join.
	MediaPlacement MediaPlacement `json:"mediaPlacement"`
}

// PractitionerRef is a practitioner taking part in a visit.
type PractitionerRef struct {
	Reference string `json:"reference"`
	Display   string `json:"display,omitempty"`
}

// invite is a row of telemed_invites.
type invite struct {
	id, meetingID, encounterID string
	profile                    string // Patient/… or RelatedPerson/…
	expires                    time.Time
	revoked                    bool
	role, name                 string
}

func (inv invite) patient() bool { return strings.HasPrefix(inv.profile, "Patient/") }

var errNoInvite = errors.New("telemed: no such invitation")

func (s *Service) lookupInvite(ctx context.Context, inviteID string) (invite, error) {
	inv := invite{id: inviteID}
	var exp int64
	var revoked *int64
	err := s.o.DB.QueryRow(ctx, `SELECT meeting_id, encounter_id, related_person, expires_at, revoked_at, role, name
FROM telemed_invites WHERE id = ?`, inviteID).Scan(&inv.meetingID, &inv.encounterID, &inv.profile, &exp, &revoked, &inv.role, &inv.name)
	if errors.Is(err, sql.ErrNoRows) {
		return inv, errNoInvite
	}
	if err != nil {
		return inv, fmt.Errorf("telemed: reading invitation: %w", err)
	}
	inv.expires, inv.revoked = time.UnixMilli(exp), revoked != nil
	if inv.role == "" { // made before roles were recorded
		inv.role = RolePatient
		if !inv.patient() {
			inv.role = s.personRole(ctx, inv.profile)
		}
	}
	return inv, nil
}

// InviteActive reports whether the sessions of an invitation may go on:
// it exists, is not withdrawn, has not expired, and for a guest the visit
// has not ended (the patient may still read the visit summary). display
// is the invited person's name. It is the authorization server's
// Options.InviteActive.
func (s *Service) InviteActive(ctx context.Context, inviteID string) (display string, ok bool, err error) {
	inv, err := s.lookupInvite(ctx, inviteID)
	if errors.Is(err, errNoInvite) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	display = inv.name
	if display == "" {
		display = inv.profile
	}
	if inv.revoked || !s.o.Now().Before(inv.expires) {
		return display, false, nil
	}
	if !inv.patient() && s.meetingEnded(ctx, inv.meetingID) {
		return display, false, nil
	}
	return display, true, nil
}

// readVisit reads the Encounter of a visit for the caller. An invitation
// session is bound to its own visit (any other is not found); a guest's
// session, which has no FHIR access, reads it as Housecall itself.
func (s *Service) readVisit(ctx context.Context, encounterID string) (encounter, int64, error) {
	id, ok := auth.FromContext(ctx)
	if !ok || id.Kind != auth.KindInvite {
		return s.readEncounter(ctx, encounterID)
	}
	inv, err := s.lookupInvite(ctx, id.Subject)
	if err != nil && !errors.Is(err, errNoInvite) {
		return nil, 0, err
	}
	if err != nil || inv.encounterID != encounterID || inv.profile != id.FHIRUser {
		return nil, 0, apiErr(http.StatusNotFound, "Encounter/%s is not known", encounterID)
	}
	if inv.patient() {
		return s.readEncounter(ctx, encounterID)
	}
	return s.readEncounter(system(ctx), encounterID)
}

// errInviteRefused is the one answer for invitations that do not admit,
// whatever the reason (no oracle for guessing).
var errInviteRefused = apiErr(http.StatusForbidden, "this invitation is not valid: it may have expired or been withdrawn")

// OpenInviteSession exchanges an invitation link for an access token and
// what the visit page shows. Refused: invalid, withdrawn or expired
// invitations, a guest whose place in the visit was removed (403); a
// guest's visit that has ended (410). The patient may open an ended visit.
func (s *Service) OpenInviteSession(ctx context.Context, tok string) (*InviteSession, error) {
	if s.o.Invites == nil {
		return nil, apiErr(http.StatusServiceUnavailable, "invitation sessions are not available")
	}
	sl, err := s.unseal(strings.TrimSpace(tok))
	if err != nil || !s.o.Now().Before(time.Unix(sl.Exp, 0)) {
		return nil, errInviteRefused
	}
	inv, err := s.lookupInvite(ctx, sl.ID)
	switch {
	case errors.Is(err, errNoInvite):
		return nil, errInviteRefused
	case err != nil:
		return nil, err
	case inv.revoked || !s.o.Now().Before(inv.expires) || inv.meetingID != sl.M || inv.profile != sl.P:
		return nil, errInviteRefused
	}
	e, _, err := s.readEncounter(system(ctx), inv.encounterID)
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) && ae.Status < 500 {
			return nil, errInviteRefused // the Encounter is gone
		}
		return nil, err
	}
	if e.meetingID() != inv.meetingID {
		return nil, errInviteRefused
	}
	if !inv.patient() && (s.meetingEnded(ctx, inv.meetingID) || e.status() == "finished" || e.status() == "cancelled") {
		return nil, apiErr(http.StatusGone, "this visit has ended")
	}
	subject, _ := e["subject"].(map[string]any)
	if (inv.patient() && subject["reference"] != inv.profile) || !slices.Contains(e.participants(), inv.profile) {
		return nil, errInviteRefused // no longer this person's visit
	}
	g := oauth.InviteGrant{InviteID: inv.id, FHIRUser: inv.profile, Expires: inv.expires, Display: inv.name}
	if inv.patient() {
		g.Patient, g.Scopes = strings.TrimPrefix(inv.profile, "Patient/"), PatientInviteScopes
	}
	access, exp, scope, err := s.o.Invites.IssueInviteToken(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("telemed: issuing the invitation session token: %w", err)
	}
	out := &InviteSession{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(exp.Sub(s.o.Now()).Round(time.Second).Seconds()),
		Scope: scope, EncounterID: inv.encounterID, MeetingID: inv.meetingID, Role: inv.role, Name: inv.name,
		Profile: inv.profile, Patient: g.Patient, WaitingRoom: e.waitingRoom(), Status: e.status(),
		Practitioners: s.visitPractitioners(ctx, e), MediaPlacement: s.placement(inv.profile)}
	if p, _ := e["period"].(map[string]any); p != nil {
		out.Start, _ = p["start"].(string)
	}
	return out, nil
}

// limitInvites answers 429 to addresses over the invitation exchange rate
// (the links are long random values; this only bounds the work an address
// can cause).
func (s *Service) limitInvites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			ip = r.RemoteAddr
		}
		if s.o.Invites != nil {
			ip = s.o.Invites.ClientIP(r) // knows about trusted proxies
		}
		if ok, retry := s.inviteLimit.Allow(ip); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			apierr.Write(w, apierr.New(http.StatusTooManyRequests, "too many requests, retry later"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Service) inviteSession(r *http.Request) (int, any, error) {
	var body struct {
		Invite string `json:"invite"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	out, err := s.OpenInviteSession(r.Context(), body.Invite)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// visitPractitioners lists the practitioners of a visit with their names:
// the participant's display, else the name on their Practitioner resource
// (read as Housecall itself: a name from the directory).
func (s *Service) visitPractitioners(ctx context.Context, e encounter) []PractitionerRef {
	out := []PractitionerRef{}
	parts, _ := e["participant"].([]any)
	for _, p := range parts {
		pm, _ := p.(map[string]any)
		ind, _ := pm["individual"].(map[string]any)
		ref, _ := ind["reference"].(string)
		if !strings.HasPrefix(ref, "Practitioner/") && !strings.HasPrefix(ref, "PractitionerRole/") {
			continue
		}
		if slices.ContainsFunc(out, func(x PractitionerRef) bool { return x.Reference == ref }) {
			continue
		}
		pr := PractitionerRef{Reference: ref}
		pr.Display, _ = ind["display"].(string)
		if pr.Display == "" && strings.HasPrefix(ref, "Practitioner/") {
			pr.Display = s.resourceName(system(ctx), ref)
		}
		out = append(out, pr)
	}
	return out
}
