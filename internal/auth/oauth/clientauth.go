package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/token"
)

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLeeway tolerates client clock skew on assertions.
const assertionLeeway = 30 * time.Second

// authenticateClient identifies the client of a token, revocation or
// introspection request by exactly one method: HTTP Basic, client_secret
// in the form, a private_key_jwt assertion, or (public clients only) a
// bare client_id. It returns the client and the method name.
func (s *Server) authenticateClient(r *http.Request) (*account.Client, string, *oauthError) {
	ctx := r.Context()
	f := r.PostForm
	user, pass, hasBasic := r.BasicAuth()
	formID, secret, assertion := f.Get("client_id"), f.Get("client_secret"), f.Get("client_assertion")
	n := 0
	for _, b := range []bool{hasBasic, secret != "", assertion != ""} {
		if b {
			n++
		}
	}
	if n > 1 {
		return nil, "", errInvalidRequest("use exactly one client authentication method")
	}
	bad := func(desc string) *oauthError {
		e := errInvalidClient(desc)
		e.basic = hasBasic
		return e
	}
	secretAuth := func(id, secret, method string) (*account.Client, string, *oauthError) {
		c, err := s.acc.AuthenticateClient(ctx, id, secret)
		switch {
		case errors.Is(err, account.ErrBadClient), errors.Is(err, account.ErrDisabled):
			return nil, "", bad("client authentication failed")
		case err != nil:
			s.log.ErrorContext(ctx, "oauth: client authentication", "err", err)
			return nil, "", errServer()
		}
		return c, method, nil
	}
	switch {
	case hasBasic:
		id, err1 := url.QueryUnescape(user)
		sec, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil || (formID != "" && formID != id) {
			return nil, "", bad("client authentication failed")
		}
		return secretAuth(id, sec, "client_secret_basic")
	case secret != "":
		if formID == "" {
			return nil, "", bad("client_id is required with client_secret")
		}
		return secretAuth(formID, secret, "client_secret_post")
	case assertion != "":
		return s.assertionAuth(r, formID, assertion)
	}
	if formID == "" {
		return nil, "", bad("client authentication is required")
	}
	c, err := s.acc.ClientByID(ctx, formID)
	if errors.Is(err, account.ErrNotFound) {
		return nil, "", bad("client authentication failed")
	}
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: client lookup", "err", err)
		return nil, "", errServer()
	}
	if !c.Public || c.Disabled {
		return nil, "", bad("client authentication failed")
	}
	return c, account.AuthNone, nil
}

// assertionDescriptions are the public reasons for refused assertions.
var assertionDescriptions = []struct {
	err  error
	desc string
}{
	{token.ErrAudience, "client assertion audience must be the token endpoint URL"},
	{token.ErrExpired, "client assertion expired"},
	{token.ErrLifetime, "client assertion lifetime is over 5 minutes"},
	{token.ErrNotYetValid, "client assertion not yet valid"},
	{token.ErrIssuer, "client assertion iss and sub must be the client id"},
	{token.ErrSignature, "client assertion signature does not verify with a registered key"},
	{token.ErrClientKeys, "the client's registered keys cannot be read"},
}

func (s *Server) assertionAuth(r *http.Request, formID, assertion string) (*account.Client, string, *oauthError) {
	ctx := r.Context()
	if r.PostForm.Get("client_assertion_type") != assertionType {
		return nil, "", errInvalidClient("client_assertion_type must be " + assertionType)
	}
	id, err := token.PeekClientID(assertion)
	if err != nil || (formID != "" && formID != id) {
		return nil, "", errInvalidClient("malformed client assertion")
	}
	c, err := s.acc.ClientByID(ctx, id)
	if errors.Is(err, account.ErrNotFound) {
		return nil, "", errInvalidClient("client authentication failed")
	}
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: client lookup", "err", err)
		return nil, "", errServer()
	}
	if c.AuthMethod() != account.AuthPrivateKeyJWT || c.Disabled {
		return nil, "", errInvalidClient("client authentication failed")
	}
	claims, err := token.VerifyClientAssertion(assertion, c.JWKS, token.AssertionVerifier{
		ClientID: id, TokenURL: s.tokenURL, Now: s.now, Leeway: assertionLeeway,
	})
	if err != nil {
		desc := "malformed client assertion"
		for _, d := range assertionDescriptions {
			if errors.Is(err, d.err) {
				desc = d.desc
				break
			}
		}
		return nil, "", errInvalidClient(desc)
	}
	err = s.acc.RecordJTI(ctx, id, claims.ID, claims.ExpiresAt.Add(assertionLeeway))
	switch {
	case errors.Is(err, account.ErrReplay):
		return nil, "", errInvalidClient("client assertion jti was already used")
	case errors.Is(err, account.ErrInvalid):
		return nil, "", errInvalidClient("client assertion jti is too long")
	case err != nil:
		s.log.ErrorContext(ctx, "oauth: recording assertion jti", "err", err)
		return nil, "", errServer()
	}
	return c, account.AuthPrivateKeyJWT, nil
}
