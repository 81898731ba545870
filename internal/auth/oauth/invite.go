package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/scope"
)

// Invitation sessions: someone who opened a video-visit invitation link
// (package telemed checks the link) gets an access token of kind
// auth.KindInvite. The token is only as good as the invitation: every
// bearer check asks Options.InviteActive (through the short subject cache,
// like the disabled flag of users), so a withdrawn or expired invitation
// stops working within seconds on every node.
const (
	// InviteClientID is the client_id of invitation session tokens. No
	// client row exists for it, so no client can refresh, revoke or
	// introspect them as its own.
	InviteClientID = "housecall-invite"
	// MaxInviteTTL bounds an invitation session token: the link is opened
	// again for a new one.
	MaxInviteTTL = 12 * time.Hour
)

// ErrInvitesDisabled: IssueInviteToken was called on a server without
// Options.InviteActive, which would refuse the token anyway.
var ErrInvitesDisabled = errors.New("oauth: invitation sessions need Options.InviteActive")

// InviteGrant is what an invitation session token carries.
type InviteGrant struct {
	// InviteID is the invitation (the token's sub, and what InviteActive
	// is asked about).
	InviteID string
	// FHIRUser is the person invited: "Patient/1" (the patient of the
	// visit) or "RelatedPerson/9" (interpreter, family member).
	FHIRUser string
	// Patient is the patient in context, for the patient only: the id of
	// FHIRUser.
	Patient string
	// Scopes are patient/ scopes (empty for guests, who use the Telemed
	// API only).
	Scopes string
	// Expires is the invitation's expiry; the token ends earlier when that
	// is more than MaxInviteTTL away.
	Expires time.Time
	// Display names the person in audit records.
	Display string
}

// validInviteProfile checks the fhirUser and patient of an invitation:
// the patient themself (patient = the Patient's id) or a RelatedPerson
// without a patient in context.
func validInviteProfile(fhirUser, patient string) bool {
	typ, id, ok := auth.SplitRef(fhirUser)
	switch {
	case !ok:
		return false
	case typ == "Patient":
		return patient == id
	case typ == "RelatedPerson":
		return patient == ""
	}
	return false
}

// inviteScopes parses the scopes of an invitation token: patient/ resource
// scopes only, and only with a patient in context.
func inviteScopes(s, patient string) (scope.Set, error) {
	set, err := parseScopes(s)
	if err != nil {
		return set, err
	}
	if len(set.Other) > 0 {
		return set, errors.New("only resource scopes")
	}
	for _, c := range set.Contexts() {
		if c != scope.Patient {
			return set, errors.New("only patient/ scopes")
		}
	}
	if len(set.Resources) > 0 && patient == "" {
		return set, errors.New("patient/ scopes without a patient")
	}
	return set, nil
}

// IssueInviteToken mints the access token of an invitation session:
// kind invite, sub = g.InviteID, fhirUser and patient from g, client_id
// InviteClientID, exp = min(g.Expires, now + MaxInviteTTL). The caller
// (package telemed) has checked the invitation; this checks the shape of
// the grant and records a token-issued event. It returns the token, its
// expiry and its canonical scope string.
func (s *Server) IssueInviteToken(ctx context.Context, g InviteGrant) (tok string, exp time.Time, scopes string, err error) {
	if s.inviteActive == nil {
		return "", time.Time{}, "", ErrInvitesDisabled
	}
	if g.InviteID == "" || strings.ContainsAny(g.InviteID, " /") || !validInviteProfile(g.FHIRUser, g.Patient) {
		return "", time.Time{}, "", errors.New("oauth: an invitation token needs an invitation id and a Patient (with patient = its id) or RelatedPerson")
	}
	set, err := inviteScopes(g.Scopes, g.Patient)
	if err != nil {
		return "", time.Time{}, "", fmt.Errorf("oauth: invitation scopes: %w", err)
	}
	now := s.now()
	ttl := min(g.Expires.Sub(now), MaxInviteTTL)
	if ttl <= 0 {
		return "", time.Time{}, "", errors.New("oauth: the invitation has expired")
	}
	gr := grant{kind: auth.KindInvite, subject: g.InviteID, fhirUser: g.FHIRUser, patient: g.Patient,
		clientID: InviteClientID, scopes: set}
	tok, jti, exp, err := s.mintAccess(gr, ttl)
	if err != nil {
		return "", time.Time{}, "", err
	}
	s.emit(ctx, nil, Event{Kind: EventTokenIssued, Outcome: OutcomeSuccess, SubjectKind: auth.KindInvite, Subject: g.InviteID,
		FHIRUser: g.FHIRUser, Patient: g.Patient, ClientID: InviteClientID, TokenID: jti, Scope: set.String(),
		GrantType: "invitation", Method: "invitation-link"})
	return tok, exp, set.String(), nil
}

// ForgetInvite drops the cached status of an invitation, so that its
// withdrawal takes effect at once on this node (other nodes follow within
// the cache time).
func (s *Server) ForgetInvite(inviteID string) {
	s.subjCache.del(string(auth.KindInvite) + ":" + inviteID)
}

// ClientIP is the caller's address as the server sees it for its rate
// limits and audit records (Options.ClientIP).
func (s *Server) ClientIP(r *http.Request) string { return s.clientIP(r) }
