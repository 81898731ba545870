package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/housecall/housecall/internal/auth/account"
)

// authzParams are the authorization request parameters carried through
// the sign-in pages (prompt is used once and dropped).
var authzParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "aud",
	"code_challenge", "code_challenge_method", "nonce"}

// authzRequest is an authorization request (RFC 6749 4.1.1, PKCE, SMART).
type authzRequest struct {
	v      url.Values // the carried parameters, as sent
	prompt string
	dup    string // a repeated parameter, if any
	// redirect is the effective redirect URI: redirect_uri, or the only
	// registered one when the request has none.
	redirect string
}

func parseAuthz(q url.Values) authzRequest {
	req := authzRequest{v: url.Values{}, prompt: q.Get("prompt")}
	for _, k := range authzParams {
		vs := q[k]
		if len(vs) > 1 && req.dup == "" {
			req.dup = k
		}
		if len(vs) > 0 && vs[0] != "" {
			req.v.Set(k, vs[0])
		}
	}
	return req
}

func (a authzRequest) get(k string) string { return a.v.Get(k) }

// authorizeURL is where the browser goes back to after a sign-in step.
func (a authzRequest) authorizeURL() string { return "/oauth2/authorize?" + a.v.Encode() }

type hiddenField struct{ Name, Value string }

func (a authzRequest) hidden() []hiddenField {
	var out []hiddenField
	for _, k := range authzParams {
		if v := a.v.Get(k); v != "" {
			out = append(out, hiddenField{k, v})
		}
	}
	return out
}

// authzError is a refused authorization request: shown as a page while
// the redirect URI is not trusted, sent to the client after.
type authzError struct {
	page       bool
	code, desc string
}

func pageErr(desc string) *authzError { return &authzError{page: true, desc: desc} }

func redirectErr(code, desc string) *authzError { return &authzError{code: code, desc: desc} }

// validateAuthz checks a request in the order RFC 6749 4.1.2.1 needs:
// client and redirect URI first (errors shown as a page), everything else
// after (errors redirected to the client).
func (s *Server) validateAuthz(ctx context.Context, req *authzRequest) (*account.Client, *authzError, error) {
	if req.dup == "client_id" || req.dup == "redirect_uri" {
		return nil, pageErr("The request repeats " + req.dup + "."), nil
	}
	id := req.get("client_id")
	if id == "" {
		return nil, pageErr("The app did not say who it is (client_id is missing)."), nil
	}
	c, err := s.acc.ClientByID(ctx, id)
	if errors.Is(err, account.ErrNotFound) || (err == nil && c.Disabled) {
		return nil, pageErr("This app is not registered with this server, or it was disabled."), nil
	}
	if err != nil {
		return nil, nil, err
	}
	ru := req.get("redirect_uri")
	switch {
	case ru == "" && len(c.RedirectURIs) == 1:
		req.redirect = c.RedirectURIs[0]
	case ru == "":
		return c, pageErr("The app did not say where to return (redirect_uri is missing)."), nil
	case !c.HasRedirectURI(ru):
		return c, pageErr("The app asked to return to an address it has not registered (redirect_uri)."), nil
	default:
		req.redirect = ru
	}
	switch {
	case req.dup != "":
		return c, redirectErr("invalid_request", req.dup+" is repeated"), nil
	case req.get("response_type") != "code":
		return c, redirectErr("unsupported_response_type", "response_type must be code"), nil
	case !c.HasGrant(account.GrantAuthorizationCode):
		return c, redirectErr("unauthorized_client", "the client may not use authorization_code"), nil
	case req.get("code_challenge") == "":
		return c, redirectErr("invalid_request", "code_challenge is required (PKCE with S256)"), nil
	case req.get("code_challenge_method") != "S256":
		return c, redirectErr("invalid_request", "code_challenge_method must be S256"), nil
	case !validChallenge(req.get("code_challenge")):
		return c, redirectErr("invalid_request", "code_challenge must be a base64url SHA-256 hash"), nil
	case req.get("aud") != s.fhirBase:
		return c, redirectErr("invalid_request", "aud must be the FHIR base URL "+s.fhirBase), nil
	case req.get("scope") == "":
		return c, redirectErr("invalid_scope", "scope is required"), nil
	case req.prompt != "" && req.prompt != "none" && req.prompt != "login" && req.prompt != "consent":
		return c, redirectErr("invalid_request", "unsupported prompt value"), nil
	}
	if _, err := parseScopes(req.get("scope")); err != nil {
		return c, redirectErr("invalid_scope", "the scope cannot be parsed"), nil
	}
	return c, nil, nil
}

// authzFrom parses and validates a request, answering errors itself; ok
// is false when it did.
func (s *Server) authzFrom(w http.ResponseWriter, r *http.Request, q url.Values) (authzRequest, *account.Client, bool) {
	req := parseAuthz(q)
	c, aerr, err := s.validateAuthz(r.Context(), &req)
	if err != nil {
		s.log.ErrorContext(r.Context(), "oauth: authorization request", "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return req, nil, false
	}
	if aerr != nil {
		if aerr.page {
			s.renderError(w, r, http.StatusBadRequest, aerr.desc)
		} else {
			s.redirectError(w, r, req, aerr.code, aerr.desc)
		}
		return req, nil, false
	}
	return req, c, true
}

// redirectTo sends the browser to the client's redirect URI with params
// added to its query (RFC 6749 4.1.2, RFC 9207 iss).
func (s *Server) redirectTo(w http.ResponseWriter, r *http.Request, req authzRequest, params url.Values) {
	if st := req.get("state"); st != "" {
		params.Set("state", st)
	}
	params.Set("iss", s.issuer)
	sep := "?"
	if strings.Contains(req.redirect, "?") {
		sep = "&"
	}
	http.Redirect(w, r, req.redirect+sep+params.Encode(), http.StatusSeeOther)
}

func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, req authzRequest, code, desc string) {
	s.redirectTo(w, r, req, url.Values{"error": {code}, "error_description": {desc}})
}

// redirectOrigin is the CSP source that lets the consent form's answer
// redirect to the client: its origin, or "scheme:" for private schemes.
func redirectOrigin(ru string) string {
	u, err := url.Parse(ru)
	if err != nil {
		return ""
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + ":"
}
