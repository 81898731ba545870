package oauth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/store/opsql"
)

// looksLikeJWT tells access tokens (JWTs) from refresh tokens (opaque).
func looksLikeJWT(t string) bool { return strings.Count(t, ".") == 2 }

// handleRevoke is RFC 7009. A client may revoke its own tokens: an access
// token (its jti is refused until it expires) or a refresh token (its
// whole family and the access tokens issued with it). Unknown, invalid or
// foreign tokens get the same empty 200, so the endpoint tells nothing.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if e := parsePostForm(r); e != nil {
		writeOAuthError(w, e)
		return
	}
	c, method, e := s.authenticateClient(r)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		writeOAuthError(w, errInvalidRequest("token is required"))
		return
	}
	ev := Event{Kind: EventTokenRevoked, Outcome: OutcomeSuccess, ClientID: c.ID, Method: method}
	if looksLikeJWT(tok) {
		claims, err := s.verify(ctx, tok)
		if err != nil || claims.ClientID != c.ID || claims.ID == "" {
			w.WriteHeader(http.StatusOK)
			return
		}
		err = s.db.InTx(ctx, func(tx *opsql.Tx) error {
			return revokeJTITx(ctx, tx, revokedJTI{claims.ID, claims.ExpiresAt})
		})
		if err != nil {
			s.log.ErrorContext(ctx, "oauth: revoking", "err", err)
			writeOAuthError(w, errServer())
			return
		}
		s.revCache.del(claims.ID)
		kind, _ := claims.Extra[auth.ClaimKind].(string)
		ev.SubjectKind, ev.Subject, ev.TokenID, ev.FHIRUser, ev.Patient = auth.Kind(kind), claims.Subject, claims.ID, claims.FHIRUser, claims.Patient
		s.emit(ctx, r, ev)
		w.WriteHeader(http.StatusOK)
		return
	}
	row, err := s.refreshByHash(ctx, hashSecret(tok))
	if errors.Is(err, errNotFound) || (err == nil && row.clientID != c.ID) {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err == nil {
		err = s.db.InTx(ctx, func(tx *opsql.Tx) error { return s.revokeFamilyTx(ctx, tx, row.family) })
	}
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: revoking", "err", err)
		writeOAuthError(w, errServer())
		return
	}
	ev.SubjectKind, ev.Subject, ev.Patient = auth.KindUser, row.userID, row.patient
	s.emit(ctx, r, ev)
	w.WriteHeader(http.StatusOK)
}

// handleIntrospect is RFC 7662 for authenticated (confidential) clients,
// typically resource servers. Anything invalid, expired, revoked or
// belonging to a disabled account is {"active": false}.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if e := parsePostForm(r); e != nil {
		writeOAuthError(w, e)
		return
	}
	_, method, e := s.authenticateClient(r)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	if method == account.AuthNone {
		writeOAuthError(w, errInvalidClient("introspection needs client authentication"))
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		writeOAuthError(w, errInvalidRequest("token is required"))
		return
	}
	inactive := map[string]any{"active": false}
	if looksLikeJWT(tok) {
		id, c, err := s.checkAccess(ctx, tok)
		if errors.Is(err, ErrInvalidToken) {
			writeJSON(w, http.StatusOK, inactive)
			return
		}
		if err != nil {
			s.log.ErrorContext(ctx, "oauth: introspection", "err", err)
			writeOAuthError(w, errServer())
			return
		}
		out := map[string]any{
			"active": true, "token_type": "Bearer", "scope": c.Scope, "client_id": c.ClientID, "sub": c.Subject,
			"iss": c.Issuer, "aud": c.Audience, "exp": c.ExpiresAt.Unix(), "iat": c.IssuedAt.Unix(), "jti": c.ID,
			"kind": string(id.Kind),
		}
		if !c.NotBefore.IsZero() {
			out["nbf"] = c.NotBefore.Unix()
		}
		if id.Role != "" {
			out["role"] = string(id.Role)
		}
		if c.FHIRUser != "" {
			out["fhirUser"] = c.FHIRUser
		}
		if c.Patient != "" {
			out["patient"] = c.Patient
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	row, err := s.refreshByHash(ctx, hashSecret(tok))
	if errors.Is(err, errNotFound) || (err == nil && (row.used || row.revoked || !s.now().Before(row.expires))) {
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: introspection", "err", err)
		writeOAuthError(w, errServer())
		return
	}
	st, err := s.subject(ctx, auth.KindUser, row.userID)
	if err == nil && st.ok {
		var cst subjectStatus
		if cst, err = s.subject(ctx, auth.KindClient, row.clientID); err == nil && !cst.ok {
			st.ok = false
		}
	}
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: introspection", "err", err)
		writeOAuthError(w, errServer())
		return
	}
	if !st.ok {
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	out := map[string]any{
		"active": true, "token_type": "refresh_token", "scope": row.scope, "client_id": row.clientID, "sub": row.userID,
		"iss": s.issuer, "exp": row.expires.Unix(), "iat": row.created.Unix(),
	}
	if row.patient != "" {
		out["patient"] = row.patient
	}
	writeJSON(w, http.StatusOK, out)
}
