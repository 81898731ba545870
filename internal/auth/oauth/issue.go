package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/scope"
	"github.com/housecall/housecall/internal/auth/token"
	"github.com/housecall/housecall/internal/store/opsql"
)

// grant is what one token response carries.
type grant struct {
	kind     auth.Kind
	subject  string // user id or client id
	role     auth.Role
	fhirUser string // relative, "Practitioner/1"
	clientID string
	scopes   scope.Set // of the access token
	// keep is the scope of the refresh token (the original grant), when
	// a refresh narrowed the access token's scopes; zero means scopes.
	keep      scope.Set
	patient   string
	nonce     string
	authTime  time.Time
	sessionID string // binds online_access refresh tokens
	family    string // refresh token family to continue
}

// issued is the result of issue.
type issued struct {
	access, jti     string
	exp             time.Time
	refresh, family string
	idToken         string
}

// tokenResponse is the RFC 6749 section 5.1 answer with SMART's fields.
type tokenResponse struct {
	AccessToken       string `json:"access_token"`
	TokenType         string `json:"token_type"`
	ExpiresIn         int64  `json:"expires_in"`
	Scope             string `json:"scope"`
	RefreshToken      string `json:"refresh_token,omitempty"`
	IDToken           string `json:"id_token,omitempty"`
	Patient           string `json:"patient,omitempty"`
	NeedPatientBanner *bool  `json:"need_patient_banner,omitempty"`

	jti string // of the access token, for audit
}

func (s *Server) newID() (string, error) {
	return s.acc.RandomID()
}

// mintAccess signs an access token.
func (s *Server) mintAccess(g grant, ttl time.Duration) (tok, jti string, exp time.Time, err error) {
	if jti, err = s.newID(); err != nil {
		return "", "", time.Time{}, err
	}
	now := s.now()
	exp = now.Add(ttl)
	extra := map[string]any{auth.ClaimKind: string(g.kind)}
	if g.role != "" {
		extra[auth.ClaimRole] = string(g.role)
	}
	tok, err = s.Keys().Sign(token.Claims{
		Issuer: s.issuer, Subject: g.subject, Audience: []string{s.fhirBase},
		ExpiresAt: exp, IssuedAt: now, NotBefore: now, ID: jti,
		Scope: g.scopes.String(), ClientID: g.clientID, FHIRUser: g.fhirUser, Patient: g.patient, Extra: extra,
	})
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("oauth: signing access token: %w", err)
	}
	return tok, jti, exp, nil
}

// mintIDToken signs an OpenID Connect id token for the client.
func (s *Server) mintIDToken(g grant) (string, error) {
	now := s.now()
	c := token.Claims{
		Type: token.TypeIDToken, Issuer: s.issuer, Subject: g.subject, Audience: []string{g.clientID},
		ExpiresAt: now.Add(s.accessTTL), IssuedAt: now, Nonce: g.nonce,
	}
	if g.scopes.Has(scopeFHIRUser) && g.fhirUser != "" {
		c.FHIRUser = s.fhirBase + "/" + g.fhirUser
	}
	if !g.authTime.IsZero() {
		c.Extra = map[string]any{"auth_time": g.authTime.Unix()}
	}
	tok, err := s.Keys().Sign(c)
	if err != nil {
		return "", fmt.Errorf("oauth: signing id token: %w", err)
	}
	return tok, nil
}

// issue mints the tokens of a user grant inside tx: an access token, a
// refresh token when offline_access or online_access is granted (stored
// in tx), an id token when openid is granted.
func (s *Server) issue(ctx context.Context, tx *opsql.Tx, g grant) (*issued, error) {
	var out issued
	var err error
	if out.access, out.jti, out.exp, err = s.mintAccess(g, s.accessTTL); err != nil {
		return nil, err
	}
	keep := g.keep
	if len(keep.Resources) == 0 && len(keep.Other) == 0 {
		keep = g.scopes
	}
	if wantsRefresh(keep) {
		if out.family = g.family; out.family == "" {
			if out.family, err = s.newID(); err != nil {
				return nil, err
			}
		}
		if out.refresh, err = newSecret(s.rand); err != nil {
			return nil, err
		}
		sid := ""
		if !keep.Has(scopeOffline) {
			sid = g.sessionID // online_access ends with the session
		}
		now := s.now()
		err = insertRefreshTx(ctx, tx, refreshRow{
			hash: hashSecret(out.refresh), family: out.family, clientID: g.clientID, userID: g.subject, sessionID: sid,
			scope: keep.String(), patient: g.patient, authTime: g.authTime, created: now, expires: now.Add(s.refreshTTL),
			accessJTI: out.jti, accessExp: out.exp,
		})
		if err != nil {
			return nil, err
		}
	}
	if g.scopes.Has(scopeOpenID) {
		if out.idToken, err = s.mintIDToken(g); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

func (s *Server) response(g grant, is *issued) *tokenResponse {
	resp := &tokenResponse{
		AccessToken: is.access, TokenType: "Bearer", ExpiresIn: int64(is.exp.Sub(s.now()).Round(time.Second).Seconds()),
		Scope: g.scopes.String(), RefreshToken: is.refresh, IDToken: is.idToken, Patient: g.patient, jti: is.jti,
	}
	if g.patient != "" {
		banner := true // a standalone app shows which patient it is about
		resp.NeedPatientBanner = &banner
	}
	return resp
}

// ErrScope: IssueToken was asked for nothing the user's role allows.
var ErrScope = errors.New("oauth: none of the requested scopes is allowed for this user")

// IssueToken makes an access token for a user without a sign-in, for
// `housecall admin token`: scopes are narrowed to what the user's role
// allows (as for any client), a patient user gets their own Patient as
// context, client_id is AdminClientID. ttl zero means AccessTTL; at most
// MaxIssueTTL.
func (s *Server) IssueToken(ctx context.Context, user *account.User, scopes string, ttl time.Duration) (string, error) {
	if user == nil {
		return "", errors.New("oauth: IssueToken needs a user")
	}
	if user.Disabled {
		return "", account.ErrDisabled
	}
	if ttl <= 0 {
		ttl = s.accessTTL
	}
	if ttl > MaxIssueTTL {
		return "", fmt.Errorf("oauth: token lifetime over %s", MaxIssueTTL)
	}
	req, err := parseScopes(scopes)
	if err != nil {
		return "", fmt.Errorf("oauth: %w", err)
	}
	g := scope.Grant(req, roleAllowed(user))
	if len(g.Resources) == 0 {
		return "", ErrScope
	}
	gr := grant{kind: auth.KindUser, subject: user.ID, role: user.Role, fhirUser: user.FHIRResource, clientID: AdminClientID, scopes: g}
	if user.Role == auth.RolePatient {
		gr.patient = user.PatientID()
	}
	tok, jti, _, err := s.mintAccess(gr, ttl)
	if err != nil {
		return "", err
	}
	s.emit(ctx, nil, Event{Kind: EventTokenIssued, Outcome: OutcomeSuccess, SubjectKind: auth.KindUser, Subject: user.ID,
		Role: user.Role, FHIRUser: user.FHIRResource, Patient: gr.patient, ClientID: AdminClientID, TokenID: jti,
		Scope: g.String(), GrantType: "admin"})
	return tok, nil
}
