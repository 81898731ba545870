package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/token"
)

var (
	// ErrNoToken: the request carries no bearer token (no Authorization
	// header, or another scheme).
	ErrNoToken = errors.New("oauth: no bearer token")
	// ErrInvalidToken is wrapped by every *TokenError.
	ErrInvalidToken = errors.New("oauth: invalid token")
)

// TokenError is a refused bearer token. Description is a fixed public
// text for error_description; it never contains the token.
type TokenError struct {
	Description string
	cause       error
}

func (e *TokenError) Error() string { return "oauth: invalid token: " + e.Description }

// Unwrap exposes ErrInvalidToken and the cause (a token.Err* sentinel).
func (e *TokenError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrInvalidToken}
	}
	return []error{ErrInvalidToken, e.cause}
}

func invalidToken(desc string, cause error) error {
	return &TokenError{Description: desc, cause: cause}
}

// verifyLeeway tolerates clock skew between nodes.
const verifyLeeway = 10 * time.Second

// reloadEvery bounds key reloads triggered by unknown key ids.
const reloadEvery = 30 * time.Second

var verifyDescriptions = []struct {
	err  error
	desc string
}{
	{token.ErrExpired, "token expired"},
	{token.ErrNotYetValid, "token not yet valid"},
	{token.ErrAudience, "wrong audience"},
	{token.ErrIssuer, "wrong issuer"},
	{token.ErrType, "not an access token"},
	{token.ErrSignature, "invalid signature or unknown key"},
	{token.ErrMalformed, "malformed token"},
}

// Identify checks the request's bearer token. It returns ErrNoToken when
// there is none, a *TokenError (errors.Is ErrInvalidToken) when it is
// refused, another error when the check itself failed (database).
//
// Checks: signature by the server's keys (RS256), typ at+jwt, iss, aud
// (the FHIR base), exp and nbf with 10 s leeway; the jti is not revoked;
// the user or client exists and is enabled, and the user's role and FHIR
// resource still match the token, or the invitation of an invitation
// token is still active (all looked up through caches of a few seconds);
// the scope parses.
func (s *Server) Identify(r *http.Request) (*auth.Identity, error) {
	vals := r.Header.Values("Authorization")
	if len(vals) == 0 {
		return nil, ErrNoToken
	}
	if len(vals) > 1 {
		return nil, invalidToken("several Authorization headers", nil)
	}
	scheme, rest, _ := strings.Cut(strings.TrimLeft(vals[0], " "), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, ErrNoToken
	}
	tok := strings.Trim(rest, " ")
	if tok == "" {
		return nil, invalidToken("empty bearer token", nil)
	}
	id, _, err := s.checkAccess(r.Context(), tok)
	return id, err
}

// verify checks the JWT; when its key is unknown, it reloads the stored
// key set (at most every reloadEvery) in case another node rotated.
func (s *Server) verify(ctx context.Context, tok string) (token.Claims, error) {
	v := token.Verifier{Issuer: s.issuer, Audience: s.fhirBase, Now: s.now, Leeway: verifyLeeway}
	c, err := s.Keys().Verify(tok, v)
	if !errors.Is(err, token.ErrSignature) {
		return c, err
	}
	now := s.now().UnixNano()
	last := s.lastReload.Load()
	if now-last < int64(reloadEvery) || !s.lastReload.CompareAndSwap(last, now) {
		return c, err
	}
	fresh, lerr := s.acc.LoadKeySet(ctx)
	if lerr != nil {
		return c, err
	}
	c2, err2 := fresh.Verify(tok, v)
	if errors.Is(err2, token.ErrSignature) {
		return c, err
	}
	s.keys.Store(fresh) // the stored set knows this key, so it is newer than ours
	return c2, err2
}

type subjectStatus struct {
	ok      bool
	role    auth.Role
	fhir    string
	display string
}

// subject returns whether a user, client or invitation may still use its
// tokens.
func (s *Server) subject(ctx context.Context, kind auth.Kind, id string) (subjectStatus, error) {
	key := string(kind) + ":" + id
	if st, ok := s.subjCache.get(key); ok {
		return st, nil
	}
	var st subjectStatus
	switch kind {
	case auth.KindUser:
		u, err := s.acc.UserByID(ctx, id)
		if err != nil && !errors.Is(err, account.ErrNotFound) {
			return st, err
		}
		if err == nil {
			st = subjectStatus{ok: !u.Disabled, role: u.Role, fhir: u.FHIRResource, display: u.Email}
		}
	case auth.KindClient:
		c, err := s.acc.ClientByID(ctx, id)
		if err != nil && !errors.Is(err, account.ErrNotFound) {
			return st, err
		}
		if err == nil {
			st = subjectStatus{ok: !c.Disabled, display: c.Name}
		}
	case auth.KindInvite:
		if s.inviteActive != nil {
			display, ok, err := s.inviteActive(ctx, id)
			if err != nil {
				return st, fmt.Errorf("oauth: checking invitation: %w", err)
			}
			st = subjectStatus{ok: ok, display: display}
		}
	}
	s.subjCache.put(key, st)
	return st, nil
}

// checkAccess verifies an access token and builds the identity.
func (s *Server) checkAccess(ctx context.Context, tok string) (*auth.Identity, token.Claims, error) {
	c, err := s.verify(ctx, tok)
	if err != nil {
		desc := "invalid token"
		for _, d := range verifyDescriptions {
			if errors.Is(err, d.err) {
				desc = d.desc
				break
			}
		}
		return nil, c, invalidToken(desc, err)
	}
	if c.ID == "" || c.Subject == "" {
		return nil, c, invalidToken("malformed token", nil)
	}
	revoked, err := s.isRevoked(ctx, c.ID)
	if err != nil {
		return nil, c, err
	}
	if revoked {
		return nil, c, invalidToken("token revoked", nil)
	}
	kind, _ := c.Extra[auth.ClaimKind].(string)
	role, _ := c.Extra[auth.ClaimRole].(string)
	var st subjectStatus
	switch auth.Kind(kind) {
	case auth.KindUser:
		if st, err = s.subject(ctx, auth.KindUser, c.Subject); err != nil {
			return nil, c, err
		}
		if !st.ok {
			return nil, c, invalidToken("account disabled or removed", nil)
		}
		if string(st.role) != role || st.fhir != c.FHIRUser {
			return nil, c, invalidToken("the account changed since the token was issued", nil)
		}
		if c.ClientID != AdminClientID {
			cst, err := s.subject(ctx, auth.KindClient, c.ClientID)
			if err != nil {
				return nil, c, err
			}
			if !cst.ok {
				return nil, c, invalidToken("client disabled or removed", nil)
			}
		}
	case auth.KindClient:
		if c.ClientID != c.Subject || role != "" {
			return nil, c, invalidToken("malformed token", nil)
		}
		if st, err = s.subject(ctx, auth.KindClient, c.Subject); err != nil {
			return nil, c, err
		}
		if !st.ok {
			return nil, c, invalidToken("client disabled or removed", nil)
		}
	case auth.KindInvite:
		if c.ClientID != InviteClientID || role != "" || !validInviteProfile(c.FHIRUser, c.Patient) {
			return nil, c, invalidToken("malformed token", nil)
		}
		if _, err := inviteScopes(c.Scope, c.Patient); err != nil {
			return nil, c, invalidToken("malformed token", err)
		}
		if st, err = s.subject(ctx, auth.KindInvite, c.Subject); err != nil {
			return nil, c, err
		}
		if !st.ok {
			return nil, c, invalidToken("invitation withdrawn or expired", nil)
		}
	default:
		return nil, c, invalidToken("malformed token", nil)
	}
	scopes, err := parseScopes(c.Scope)
	if err != nil {
		return nil, c, invalidToken("token scope cannot be parsed", err)
	}
	return &auth.Identity{
		Kind: auth.Kind(kind), Subject: c.Subject, Role: auth.Role(role), FHIRUser: c.FHIRUser, Patient: c.Patient,
		ClientID: c.ClientID, Scopes: scopes, TokenID: c.ID, Display: st.display,
	}, c, nil
}

// BodyFormat chooses the body of Challenge answers.
type BodyFormat int

const (
	// JSONBody: {"error": ..., "error_description": ...}.
	JSONBody BodyFormat = iota
	// OperationOutcomeBody: a FHIR OperationOutcome.
	OperationOutcomeBody
)

// Middleware identifies requests that carry a bearer token and puts the
// identity in their context (auth.FromContext). Requests without one pass
// through unchanged: the route decides whether it needs an identity.
// Refused tokens get 401 (Challenge), with an OperationOutcome under the
// FHIR base path and JSON elsewhere.
func (s *Server) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := s.Identify(r)
		switch {
		case errors.Is(err, ErrNoToken):
			next.ServeHTTP(w, r)
		case errors.Is(err, ErrInvalidToken):
			Challenge(w, err, s.formatFor(r))
		case err != nil:
			s.log.ErrorContext(r.Context(), "oauth: checking a bearer token", "err", err)
			writeBody(w, http.StatusServiceUnavailable, s.formatFor(r), "temporarily_unavailable", "the token cannot be checked now", "transient")
		default:
			next.ServeHTTP(w, r.WithContext(auth.WithIdentity(r.Context(), id)))
		}
	})
}

func (s *Server) formatFor(r *http.Request) BodyFormat {
	if r.URL.Path == s.fhirPath || strings.HasPrefix(r.URL.Path, s.fhirPath+"/") {
		return OperationOutcomeBody
	}
	return JSONBody
}

// Challenge answers 401 for a missing (err nil or ErrNoToken) or refused
// token, with WWW-Authenticate per RFC 6750: Bearer realm="housecall",
// plus error="invalid_token" and the public description when refused.
func Challenge(w http.ResponseWriter, err error, format BodyFormat) {
	var te *TokenError
	if err != nil && errors.As(err, &te) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="housecall", error="invalid_token", error_description="`+te.Description+`"`)
		writeBody(w, http.StatusUnauthorized, format, "invalid_token", te.Description, "login")
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="housecall"`)
	writeBody(w, http.StatusUnauthorized, format, "unauthorized", "this request needs a bearer access token", "login")
}

// InsufficientScope answers 403 when the token is valid but its scopes do
// not allow the request (RFC 6750 insufficient_scope).
func InsufficientScope(w http.ResponseWriter, format BodyFormat) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="housecall", error="insufficient_scope"`)
	writeBody(w, http.StatusForbidden, format, "insufficient_scope", "the token's scopes do not allow this request", "forbidden")
}

func writeBody(w http.ResponseWriter, status int, format BodyFormat, code, desc, issueType string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	var body any
	if format == OperationOutcomeBody {
		h.Set("Content-Type", "application/fhir+json")
		body = map[string]any{"resourceType": "OperationOutcome", "issue": []map[string]string{
			{"severity": "error", "code": issueType, "diagnostics": desc},
		}}
	} else {
		h.Set("Content-Type", "application/json")
		body = map[string]string{"error": code, "error_description": desc}
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
