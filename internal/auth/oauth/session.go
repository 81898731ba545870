package oauth

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
)

func (s *Server) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge}
}

// currentSession returns the request's live session, or nil.
func (s *Server) currentSession(r *http.Request) *session {
	c, err := r.Cookie(s.sessCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil
	}
	sess, err := s.sessionByID(r.Context(), hashSecret(c.Value))
	if err != nil {
		if !errors.Is(err, errNotFound) {
			s.log.ErrorContext(r.Context(), "oauth: reading session", "err", err)
		}
		return nil
	}
	return sess
}

// startSession replaces old (if any) with a new session: a fresh id at
// every change of authentication state, so a planted id is never
// promoted.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID string, state int, method string, old *session) (*session, error) {
	if old != nil {
		if err := s.endSession(r.Context(), old.idHash); err != nil {
			return nil, err
		}
	}
	plain, sess, err := s.createSession(r.Context(), userID, state, method)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, s.cookie(s.sessCookie, plain, 0))
	return sess, nil
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie(s.sessCookie, "", -1))
}

// CSRF protection is a signed double submit: a random cookie, and in
// every form an HMAC of it under the server key. A cookie planted by a
// sibling domain is useless without the matching HMAC.
func (s *Server) csrfFor(value string) string {
	return base64.RawURLEncoding.EncodeToString(s.acc.MAC("oauth-csrf", []byte(value)))
}

// csrfToken returns the form token, setting the cookie when missing.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(s.csrfCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 100 {
		return s.csrfFor(c.Value)
	}
	v, err := newSecret(s.rand)
	if err != nil {
		return ""
	}
	http.SetCookie(w, s.cookie(s.csrfCookie, v, 0))
	// Later forms on this response's page must match the new cookie.
	r.AddCookie(&http.Cookie{Name: s.csrfCookie, Value: v})
	return s.csrfFor(v)
}

// checkCSRF verifies the form token of a POST.
func (s *Server) checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(s.csrfCookie)
	got := r.PostForm.Get("csrf")
	if err != nil || c.Value == "" || got == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(s.csrfFor(c.Value)), []byte(got)) == 1
}
