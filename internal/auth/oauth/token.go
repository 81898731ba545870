package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/scope"
	"github.com/housecall/housecall/internal/store/opsql"
)

// parsePostForm reads an application/x-www-form-urlencoded body and
// refuses repeated parameters (RFC 6749 section 3.2). Parameters in the
// URL query are ignored.
func parsePostForm(r *http.Request) *oauthError {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return errInvalidRequest("the body must be application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		return errInvalidRequest("the body cannot be parsed")
	}
	for _, v := range r.PostForm {
		if len(v) > 1 {
			return errInvalidRequest("a parameter is repeated")
		}
	}
	return nil
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ev := Event{Kind: EventTokenIssued, Outcome: OutcomeFailure}
	fail := func(e *oauthError) {
		ev.Reason = e.code
		s.emit(ctx, r, ev)
		writeOAuthError(w, e)
	}
	if e := parsePostForm(r); e != nil {
		fail(e)
		return
	}
	ev.GrantType = r.PostForm.Get("grant_type")
	ev.ClientID = r.PostForm.Get("client_id")
	c, method, e := s.authenticateClient(r)
	if e != nil {
		fail(e)
		return
	}
	ev.ClientID, ev.Method = c.ID, method
	var (
		g    grant
		resp *tokenResponse
	)
	switch ev.GrantType {
	case account.GrantAuthorizationCode:
		g, resp, e = s.exchangeCode(ctx, c, r.PostForm)
	case account.GrantRefreshToken:
		g, resp, e = s.refreshGrant(ctx, c, r.PostForm)
	case account.GrantClientCredentials:
		g, resp, e = s.clientCredentials(c, r.PostForm)
	case "":
		e = errInvalidRequest("grant_type is required")
	default:
		e = &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type", desc: "supported: authorization_code, refresh_token, client_credentials"}
	}
	ev.SubjectKind, ev.Subject, ev.Role, ev.FHIRUser = g.kind, g.subject, g.role, g.fhirUser
	if e != nil {
		fail(e)
		return
	}
	ev.Outcome, ev.Patient, ev.Scope = OutcomeSuccess, g.patient, g.scopes.String()
	ev.TokenID = tokenJTI(resp)
	s.emit(ctx, r, ev)
	writeJSON(w, http.StatusOK, resp)
}

func tokenJTI(resp *tokenResponse) string {
	if resp == nil {
		return ""
	}
	return resp.jti
}

// exchangeCode is the authorization_code grant with PKCE. A code works
// once; presenting it again revokes every token issued from it.
func (s *Server) exchangeCode(ctx context.Context, c *account.Client, f url.Values) (grant, *tokenResponse, *oauthError) {
	if !c.HasGrant(account.GrantAuthorizationCode) {
		return grant{}, nil, errUnauthorizedClient("the client may not use authorization_code")
	}
	code, verifier, redirect := f.Get("code"), f.Get("code_verifier"), f.Get("redirect_uri")
	switch {
	case code == "":
		return grant{}, nil, errInvalidRequest("code is required")
	case verifier == "":
		return grant{}, nil, errInvalidRequest("code_verifier is required (PKCE)")
	case !validVerifier(verifier):
		return grant{}, nil, errInvalidRequest("code_verifier must be 43 to 128 unreserved characters")
	}
	var (
		g    grant
		resp *tokenResponse
		oerr *oauthError
	)
	err := s.db.InTx(ctx, func(tx *opsql.Tx) error {
		row, err := codeByHashTx(ctx, tx, hashSecret(code))
		if errors.Is(err, errNotFound) {
			oerr = errInvalidGrant("unknown or expired code")
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case row.used:
			oerr = errInvalidGrant("code already used; the tokens issued with it are revoked")
			return s.revokeFamilyTx(ctx, tx, row.family, revokedJTI{row.accessJTI, row.accessExp})
		case !s.now().Before(row.expires):
			oerr = errInvalidGrant("unknown or expired code")
		case row.clientID != c.ID:
			oerr = errInvalidGrant("the code was issued to another client")
		case redirect != row.redirectURI && (row.redirectURI != "" || !c.HasRedirectURI(redirect)):
			// RFC 6749 4.1.3: the same redirect_uri as in the request; when
			// the request had none, any registered one (or none).
			oerr = errInvalidGrant("redirect_uri does not match the authorization request")
		case !pkceMatches(verifier, row.challenge):
			oerr = errInvalidGrant("code_verifier does not match code_challenge")
		}
		if oerr != nil {
			return nil
		}
		u, err := s.acc.UserByID(ctx, row.userID)
		if errors.Is(err, account.ErrNotFound) || (err == nil && u.Disabled) {
			oerr = errInvalidGrant("the account is disabled")
			return nil
		}
		if err != nil {
			return err
		}
		scopes, err := parseScopes(row.scope)
		if err != nil {
			return err
		}
		g = grant{kind: auth.KindUser, subject: u.ID, role: u.Role, fhirUser: u.FHIRResource, clientID: c.ID, scopes: scopes,
			patient: row.patient, nonce: row.nonce, authTime: row.authTime, sessionID: row.sessionID}
		is, err := s.issue(ctx, tx, g)
		if err != nil {
			return err
		}
		if err := markCodeUsedTx(ctx, tx, row.hash, is.family, is.jti, is.exp); err != nil {
			return err
		}
		resp = s.response(g, is)
		return nil
	})
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: code exchange", "err", err)
		return g, nil, errServer()
	}
	return g, resp, oerr
}

// refreshGrant rotates a refresh token: the presented one is spent and a
// new one of the same family returned. Presenting a spent one again means
// it was copied: the whole family and its access tokens are revoked.
func (s *Server) refreshGrant(ctx context.Context, c *account.Client, f url.Values) (grant, *tokenResponse, *oauthError) {
	if !c.HasGrant(account.GrantRefreshToken) {
		return grant{}, nil, errUnauthorizedClient("the client may not use refresh_token")
	}
	rt := f.Get("refresh_token")
	if rt == "" {
		return grant{}, nil, errInvalidRequest("refresh_token is required")
	}
	var (
		g    grant
		resp *tokenResponse
		oerr *oauthError
	)
	err := s.db.InTx(ctx, func(tx *opsql.Tx) error {
		row, err := refreshByHashTx(ctx, tx, hashSecret(rt))
		if errors.Is(err, errNotFound) {
			oerr = errInvalidGrant("unknown refresh token")
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case row.clientID != c.ID:
			oerr = errInvalidGrant("the refresh token was issued to another client")
		case row.revoked:
			oerr = errInvalidGrant("the refresh token was revoked")
		case row.used:
			oerr = errInvalidGrant("refresh token reused; every token of this grant is revoked")
			return s.revokeFamilyTx(ctx, tx, row.family)
		case !s.now().Before(row.expires):
			oerr = errInvalidGrant("the refresh token expired")
		}
		if oerr != nil {
			return nil
		}
		if row.sessionID != "" {
			sess, err := s.sessionByID(ctx, row.sessionID)
			if errors.Is(err, errNotFound) || (err == nil && sess.state != stateFull) {
				oerr = errInvalidGrant("the sign-in session of this online_access token ended")
				return nil
			}
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE oauth_sessions SET last_seen = ? WHERE id_hash = ?`, ms(s.now()), sess.idHash); err != nil {
				return err
			}
		}
		u, err := s.acc.UserByID(ctx, row.userID)
		if errors.Is(err, account.ErrNotFound) || (err == nil && u.Disabled) {
			oerr = errInvalidGrant("the account is disabled")
			return nil
		}
		if err != nil {
			return err
		}
		orig, err := parseScopes(row.scope)
		if err != nil {
			return err
		}
		scopes := orig
		if req := f.Get("scope"); req != "" {
			rs, err := parseScopes(req)
			if err != nil {
				oerr = errInvalidScope("the scope cannot be parsed")
				return nil
			}
			if scopes = scope.Grant(rs, orig); len(scopes.Resources) == 0 && len(scopes.Other) == 0 {
				oerr = errInvalidScope("the requested scope is not part of the original grant")
				return nil
			}
		}
		res, err := tx.Exec(ctx, `UPDATE oauth_refresh_tokens SET used = 1 WHERE token_hash = ? AND used = 0`, row.hash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			oerr = errInvalidGrant("refresh token already used")
			return nil
		}
		g = grant{kind: auth.KindUser, subject: u.ID, role: u.Role, fhirUser: u.FHIRResource, clientID: c.ID, scopes: scopes,
			keep: orig, patient: row.patient, authTime: row.authTime, sessionID: row.sessionID, family: row.family}
		is, err := s.issue(ctx, tx, g)
		if err != nil {
			return err
		}
		resp = s.response(g, is)
		return nil
	})
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: refresh", "err", err)
		return g, nil, errServer()
	}
	return g, resp, oerr
}

// clientCredentials grants a confidential client system/ scopes: the
// requested ones narrowed to what it is registered for (all of them when
// it asks for none). Nothing else is granted and there is no refresh
// token.
func (s *Server) clientCredentials(c *account.Client, f url.Values) (grant, *tokenResponse, *oauthError) {
	g := grant{kind: auth.KindClient, subject: c.ID, clientID: c.ID}
	if c.Public || !c.HasGrant(account.GrantClientCredentials) {
		return g, nil, errUnauthorizedClient("the client may not use client_credentials")
	}
	reg, err := parseScopes(c.Scopes)
	if err != nil {
		return g, nil, errServer()
	}
	allowed := systemOnly(reg)
	granted := allowed
	if req := f.Get("scope"); req != "" {
		rs, err := parseScopes(req)
		if err != nil {
			return g, nil, errInvalidScope("the scope cannot be parsed")
		}
		granted = scope.Grant(rs, allowed)
	}
	if len(granted.Resources) == 0 {
		return g, nil, errInvalidScope("none of the requested scopes is allowed for this client")
	}
	g.scopes = granted
	tok, jti, exp, err := s.mintAccess(g, s.accessTTL)
	if err != nil {
		s.log.Error("oauth: client credentials", "err", err)
		return g, nil, errServer()
	}
	return g, s.response(g, &issued{access: tok, jti: jti, exp: exp}), nil
}

// validVerifier checks RFC 7636's code_verifier syntax.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// validChallenge checks an S256 code_challenge: 32 bytes in base64url.
func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}
