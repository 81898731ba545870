package oauth

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
)

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.authorize(w, r, r.URL.Query())
}

// handleAuthorizePost accepts SMART's authorize-post by turning it into
// the GET: a cross-site POST carries no SameSite=Lax cookies, the GET
// that follows the redirect does, so a signed-in user stays signed in.
func (s *Server) handleAuthorizePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "The request cannot be read.")
		return
	}
	http.Redirect(w, r, "/oauth2/authorize?"+r.PostForm.Encode(), http.StatusSeeOther)
}

// authorize shows the step the browser is at: sign-in, second factor,
// second-factor setup, or consent.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, q url.Values) {
	ctx := r.Context()
	req, c, ok := s.authzFrom(w, r, q)
	if !ok {
		return
	}
	base := pageData{ClientName: c.Name, Hidden: req.hidden()}
	sess := s.currentSession(r)
	if sess != nil && sess.state == stateFull && req.prompt == "login" {
		sess = nil
	}
	if sess == nil {
		if req.prompt == "none" {
			s.redirectError(w, r, req, "login_required", "the user is not signed in")
			return
		}
		base.Title, base.Step = "Sign in", "signin"
		s.render(w, r, http.StatusOK, base)
		return
	}
	switch sess.state {
	case statePendingTOTP:
		base.Title, base.Step = "Two-step sign-in", "totp"
		s.render(w, r, http.StatusOK, base)
	case statePendingSetup:
		secret, u, err := s.acc.EnrollTOTP(ctx, sess.userID)
		if err != nil {
			s.log.ErrorContext(ctx, "oauth: second-factor enrolment", "err", err)
			s.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
			return
		}
		base.Title, base.Step, base.Secret, base.OTPAuthURL = "Set up two-step sign-in", "setup", secret, template.URL(u)
		s.render(w, r, http.StatusOK, base)
	default:
		s.touchSession(ctx, sess)
		s.consent(w, r, req, c, sess)
	}
}

// PermissionFirstParty marks the clinic's own apps (the web app): their
// users are not asked to approve them.
const PermissionFirstParty = "first-party"

// consent shows what the app would be granted, or, for a first-party app,
// grants it at once.
func (s *Server) consent(w http.ResponseWriter, r *http.Request, req authzRequest, c *account.Client, sess *session) {
	ctx := r.Context()
	u, ok := s.sessionUser(w, r, req, c, sess)
	if !ok {
		return
	}
	requested, _ := parseScopes(req.get("scope"))
	g, err := grantForUser(requested, c, u)
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: client scopes", "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "This app is misconfigured.")
		return
	}
	if len(g.scopes.Resources) == 0 && len(g.scopes.Other) == 0 {
		s.redirectError(w, r, req, "invalid_scope", "none of the requested scopes can be granted to this user")
		return
	}
	if c.HasPermission(PermissionFirstParty) && req.prompt != "consent" {
		// The clinic's own apps act for the user already: asking them to
		// approve their own clinic's app would only train them to click
		// through consent screens.
		s.issueCode(w, r, req, c, u, sess, g)
		return
	}
	if req.prompt == "none" {
		s.redirectError(w, r, req, "consent_required", "the user must approve this app")
		return
	}
	// The answer redirects to the app: allow that in form-action.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' "+
		redirectOrigin(req.redirect)+"; frame-ancestors 'none'; base-uri 'none'")
	s.render(w, r, http.StatusOK, pageData{Title: "Allow access?", Step: "consent", ClientName: c.Name, Hidden: req.hidden(),
		UserEmail: u.Email, Scopes: describe(g.scopes, u)})
}

// sessionUser loads the signed-in user, ending the session of a disabled
// or removed account.
func (s *Server) sessionUser(w http.ResponseWriter, r *http.Request, req authzRequest, c *account.Client, sess *session) (*account.User, bool) {
	ctx := r.Context()
	u, err := s.acc.UserByID(ctx, sess.userID)
	if err != nil && !errors.Is(err, account.ErrNotFound) {
		s.log.ErrorContext(ctx, "oauth: reading user", "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return nil, false
	}
	if err != nil || u.Disabled {
		_ = s.endSession(ctx, sess.idHash)
		s.clearSessionCookie(w)
		s.render(w, r, http.StatusForbidden, pageData{Title: "Sign in", Step: "signin", ClientName: c.Name, Hidden: req.hidden(),
			Error: "This account is not available. Contact your clinic."})
		return nil, false
	}
	return u, true
}

// formStart parses a POSTed page form, checks its CSRF token and the
// authorization request it carries.
func (s *Server) formStart(w http.ResponseWriter, r *http.Request) (authzRequest, *account.Client, bool) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "The form cannot be read.")
		return authzRequest{}, nil, false
	}
	if !s.checkCSRF(r) {
		s.renderError(w, r, http.StatusForbidden, "This page has expired. Go back to the app and start signing in again.")
		return authzRequest{}, nil, false
	}
	return s.authzFrom(w, r, r.PostForm)
}

// limitLogin applies the per-account sign-in limit; it answers and
// returns false when the limit is reached.
func (s *Server) limitLogin(w http.ResponseWriter, r *http.Request, key string, d pageData) bool {
	ok, wait := s.loginLimit.allow(hashSecret(key))
	if ok {
		return true
	}
	s.emit(r.Context(), r, Event{Kind: EventLoginFailed, Outcome: OutcomeFailure, Reason: "rate-limited"})
	w.Header().Set("Retry-After", fmt.Sprint(retryAfterSeconds(wait)))
	d.Error = "Too many attempts. Wait a minute, then try again."
	s.render(w, r, http.StatusTooManyRequests, d)
	return false
}

func emailKey(email string) string { return "email:" + strings.ToLower(strings.TrimSpace(email)) }

func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	req, c, ok := s.formStart(w, r)
	if !ok {
		return
	}
	email := r.PostForm.Get("email")
	d := pageData{Title: "Sign in", Step: "signin", ClientName: c.Name, Hidden: req.hidden(), Email: email}
	if !s.limitLogin(w, r, emailKey(email), d) {
		return
	}
	u, err := s.acc.Authenticate(r.Context(), email, r.PostForm.Get("password"), "")
	d.Error = "The e-mail address or password is not right."
	s.firstFactorDone(w, r, req, d, u, err, "password")
}

func (s *Server) handleCodeStart(w http.ResponseWriter, r *http.Request) {
	req, c, ok := s.formStart(w, r)
	if !ok {
		return
	}
	if s.sender == nil {
		s.renderError(w, r, http.StatusNotFound, "Sign-in by e-mail code is not available on this server.")
		return
	}
	ctx := r.Context()
	email := r.PostForm.Get("email")
	d := pageData{Title: "Check your e-mail", Step: "code", ClientName: c.Name, Hidden: req.hidden(), Email: email}
	if !s.limitLogin(w, r, emailKey(email), d) {
		return
	}
	code, u, err := s.acc.StartCodeLogin(ctx, email)
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: starting code sign-in", "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	if u != nil {
		if err := s.sender.SendLoginCode(ctx, u.Email, code); err != nil {
			s.log.ErrorContext(ctx, "oauth: sending a sign-in code failed", "err", err)
		}
	}
	s.render(w, r, http.StatusOK, d)
}

func (s *Server) handleCodeVerify(w http.ResponseWriter, r *http.Request) {
	req, c, ok := s.formStart(w, r)
	if !ok {
		return
	}
	email := r.PostForm.Get("email")
	d := pageData{Title: "Check your e-mail", Step: "code", ClientName: c.Name, Hidden: req.hidden(), Email: email}
	if !s.limitLogin(w, r, emailKey(email), d) {
		return
	}
	u, err := s.acc.FinishCodeLogin(r.Context(), email, r.PostForm.Get("code"))
	d.Error = "That code is not right or has expired. Use the latest e-mail, or go back and ask for a new code."
	s.firstFactorDone(w, r, req, d, u, err, "email-code")
}

// firstFactorDone acts on a password or e-mail code check. d is the page
// to show again on failure, with its error line for wrong credentials.
func (s *Server) firstFactorDone(w http.ResponseWriter, r *http.Request, req authzRequest, d pageData, u *account.User, err error, method string) {
	ctx := r.Context()
	fail := func(status int, reason, msg string) {
		s.emit(ctx, r, Event{Kind: EventLoginFailed, Outcome: OutcomeFailure, Reason: reason, Method: method})
		if msg != "" {
			d.Error = msg
		}
		s.render(w, r, status, d)
	}
	var locked *account.LockedError
	switch {
	case err == nil:
		if s.signedIn(w, r, req, u, method, nil) {
			http.Redirect(w, r, req.authorizeURL(), http.StatusSeeOther)
		}
	case errors.Is(err, account.ErrTOTPRequired):
		s.pending(w, r, req, u, statePendingTOTP, method)
	case errors.Is(err, account.ErrTOTPSetupRequired):
		s.pending(w, r, req, u, statePendingSetup, method)
	case errors.Is(err, account.ErrBadCredentials):
		fail(http.StatusBadRequest, "bad-credentials", "")
	case errors.As(err, &locked):
		w.Header().Set("Retry-After", fmt.Sprint(retryAfterSeconds(locked.Until.Sub(s.now()))))
		fail(http.StatusTooManyRequests, "locked", "Too many failed attempts. Try again later.")
	case errors.Is(err, account.ErrDisabled):
		fail(http.StatusForbidden, "disabled", "This account is disabled. Contact your clinic.")
	default:
		s.log.ErrorContext(ctx, "oauth: sign-in", "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
	}
}

// pending starts a half-signed-in session and goes back to authorize,
// which shows the second-factor step.
func (s *Server) pending(w http.ResponseWriter, r *http.Request, req authzRequest, u *account.User, state int, method string) {
	if _, err := s.startSession(w, r, u.ID, state, method, s.currentSession(r)); err != nil {
		s.log.ErrorContext(r.Context(), "oauth: session", "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	http.Redirect(w, r, req.authorizeURL(), http.StatusSeeOther)
}

// signedIn replaces old (or the current session) with a full session and
// records the login. On false it has answered the request with an error.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, req authzRequest, u *account.User, method string, old *session) bool {
	if old == nil {
		old = s.currentSession(r)
	}
	if _, err := s.startSession(w, r, u.ID, stateFull, method, old); err != nil {
		s.log.ErrorContext(r.Context(), "oauth: session", "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return false
	}
	s.emit(r.Context(), r, Event{Kind: EventLogin, Outcome: OutcomeSuccess, SubjectKind: auth.KindUser, Subject: u.ID,
		Role: u.Role, FHIRUser: u.FHIRResource, ClientID: req.get("client_id"), Method: method})
	return true
}

func (s *Server) handleTOTP(w http.ResponseWriter, r *http.Request) {
	req, c, ok := s.formStart(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	sess := s.currentSession(r)
	if sess == nil || sess.state == stateFull {
		http.Redirect(w, r, req.authorizeURL(), http.StatusSeeOther)
		return
	}
	d := pageData{Title: "Two-step sign-in", Step: "totp", ClientName: c.Name, Hidden: req.hidden()}
	if sess.state == statePendingSetup {
		secret, u, err := s.acc.EnrollTOTP(ctx, sess.userID)
		if err != nil {
			s.log.ErrorContext(ctx, "oauth: second-factor enrolment", "err", err)
			s.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
			return
		}
		d.Title, d.Step, d.Secret, d.OTPAuthURL = "Set up two-step sign-in", "setup", secret, template.URL(u)
	}
	if !s.limitLogin(w, r, "user:"+sess.userID, d) {
		return
	}
	method := sess.method + "+totp"
	var (
		u     *account.User
		codes []string
		err   error
	)
	if sess.state == statePendingSetup {
		u, codes, err = s.acc.ConfirmTOTP(ctx, sess.userID, r.PostForm.Get("code"))
	} else {
		u, err = s.acc.VerifyTOTP(ctx, sess.userID, r.PostForm.Get("code"))
	}
	var locked *account.LockedError
	switch {
	case err == nil:
		if !s.signedIn(w, r, req, u, method, sess) {
			return
		}
		if codes != nil {
			s.render(w, r, http.StatusOK, pageData{Title: "Save your recovery codes", Step: "recovery", ClientName: c.Name,
				RecoveryCodes: codes, ContinueURL: req.authorizeURL()})
			return
		}
		http.Redirect(w, r, req.authorizeURL(), http.StatusSeeOther)
		return
	case errors.Is(err, account.ErrBadTOTP):
		d.Error = "That code is not right. Codes change every 30 seconds; use the current one."
		s.emit(ctx, r, Event{Kind: EventLoginFailed, Outcome: OutcomeFailure, Reason: "bad-totp", SubjectKind: auth.KindUser, Subject: sess.userID, Method: method})
		s.render(w, r, http.StatusBadRequest, d)
		return
	case errors.As(err, &locked):
		w.Header().Set("Retry-After", fmt.Sprint(retryAfterSeconds(locked.Until.Sub(s.now()))))
		d.Error = "Too many failed attempts. Try again later."
		s.emit(ctx, r, Event{Kind: EventLoginFailed, Outcome: OutcomeFailure, Reason: "locked", SubjectKind: auth.KindUser, Subject: sess.userID, Method: method})
		s.render(w, r, http.StatusTooManyRequests, d)
		return
	}
	s.log.ErrorContext(ctx, "oauth: second factor", "err", err)
	_ = s.endSession(ctx, sess.idHash)
	s.clearSessionCookie(w)
	s.renderError(w, r, http.StatusForbidden, "Sign-in cannot continue. Go back to the app and start again.")
}

func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	req, c, ok := s.formStart(w, r)
	if !ok {
		return
	}
	sess := s.currentSession(r)
	if sess == nil || sess.state != stateFull {
		http.Redirect(w, r, req.authorizeURL(), http.StatusSeeOther)
		return
	}
	u, ok := s.sessionUser(w, r, req, c, sess)
	if !ok {
		return
	}
	if r.PostForm.Get("decision") != "allow" {
		s.redirectError(w, r, req, "access_denied", "the user denied access")
		return
	}
	requested, _ := parseScopes(req.get("scope"))
	g, err := grantForUser(requested, c, u)
	if err != nil || (len(g.scopes.Resources) == 0 && len(g.scopes.Other) == 0) {
		s.redirectError(w, r, req, "invalid_scope", "none of the requested scopes can be granted to this user")
		return
	}
	s.issueCode(w, r, req, c, u, sess, g)
}

// issueCode redirects to the app with an authorization code for what the
// user approved (or a first-party app was granted without asking).
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, req authzRequest, c *account.Client, u *account.User, sess *session, g userGrant) {
	ctx := r.Context()
	code, err := newSecret(s.rand)
	if err == nil {
		err = s.insertCode(ctx, codeRow{
			hash: hashSecret(code), clientID: c.ID, userID: u.ID, sessionID: sess.idHash, redirectURI: req.get("redirect_uri"),
			scope: g.scopes.String(), challenge: req.get("code_challenge"), nonce: req.get("nonce"), patient: g.patient,
			method: sess.method, authTime: sess.created, expires: s.now().Add(s.codeTTL),
		})
	}
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: issuing code", "err", err)
		s.redirectError(w, r, req, "server_error", "the code could not be issued")
		return
	}
	s.redirectTo(w, r, req, url.Values{"code": {code}})
}

func (s *Server) handleLogoutPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, pageData{Title: "Sign out", Step: "logout", SignedIn: s.currentSession(r) != nil})
}

// handleLogout ends the session (and its online_access tokens). With an
// authorization request in the form it goes back to the sign-in page.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "The form cannot be read.")
		return
	}
	if !s.checkCSRF(r) {
		s.renderError(w, r, http.StatusForbidden, "This page has expired. Reload it and try again.")
		return
	}
	ctx := r.Context()
	if sess := s.currentSession(r); sess != nil {
		if err := s.endSession(ctx, sess.idHash); err != nil {
			s.log.ErrorContext(ctx, "oauth: ending session", "err", err)
			s.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
			return
		}
		s.emit(ctx, r, Event{Kind: EventLogout, Outcome: OutcomeSuccess, SubjectKind: auth.KindUser, Subject: sess.userID, Method: sess.method})
	}
	s.clearSessionCookie(w)
	if r.PostForm.Get("client_id") != "" {
		req := parseAuthz(r.PostForm)
		if _, aerr, err := s.validateAuthz(ctx, &req); err == nil && aerr == nil {
			http.Redirect(w, r, req.authorizeURL(), http.StatusSeeOther)
			return
		}
	}
	s.render(w, r, http.StatusOK, pageData{Title: "Signed out", Step: "logout"})
}
