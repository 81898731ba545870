package oauth

import (
	"context"
	"net/http"
	"time"

	"github.com/housecall/housecall/internal/auth"
)

// EventKind says what happened.
type EventKind string

// The events the server reports.
const (
	EventLogin        EventKind = "login"
	EventLogout       EventKind = "logout"
	EventLoginFailed  EventKind = "login-failed"
	EventTokenIssued  EventKind = "token-issued"
	EventTokenRevoked EventKind = "token-revoked"
)

// Outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// Event is one security event for the audit trail. It never carries a
// token, code, password, secret or e-mail address.
type Event struct {
	Kind    EventKind
	Time    time.Time
	Outcome string // OutcomeSuccess or OutcomeFailure
	// Reason is a short fixed word for failures: "bad-credentials",
	// "locked", "disabled", "bad-totp", "rate-limited", or an OAuth error
	// code such as "invalid_grant".
	Reason string
	// Who: a user (SubjectKind user, Subject the user id), a client
	// (SubjectKind client, Subject the client id) or an invitation
	// (SubjectKind invite, Subject the invitation id). Empty when unknown,
	// as for a failed sign-in with an unknown address.
	SubjectKind auth.Kind
	Subject     string
	Role        auth.Role
	FHIRUser    string // "Practitioner/1"
	Patient     string // patient in context of an issued token
	ClientID    string
	// TokenID is the jti of the access token issued or revoked.
	TokenID string
	Scope   string
	// GrantType of a token request; "admin" for IssueToken, "invitation"
	// for IssueInviteToken.
	GrantType string
	// Method is how the subject authenticated: "password",
	// "password+totp", "email-code", "email-code+totp",
	// "client_secret", "private_key_jwt", "none", "invitation-link".
	Method    string
	SourceIP  string
	UserAgent string
}

func (s *Server) emit(ctx context.Context, r *http.Request, e Event) {
	if s.audit == nil {
		return
	}
	e.Time = s.now()
	if r != nil {
		e.SourceIP = s.clientIP(r)
		e.UserAgent = r.UserAgent()
	}
	s.audit(ctx, e)
}
