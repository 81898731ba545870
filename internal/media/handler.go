package media

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/coder/websocket"

	"github.com/housecall/housecall/internal/signal"
)

// Per-connection message rate: a burst covers the ICE candidates and
// rendered-size updates of a busy join; the sustained rate is generous.
const (
	msgBurst = 200
	msgRate  = 50 // per second
)

// Handler returns the /rtc WebSocket endpoint. The token arrives in the
// first message (join or resume), never in the URL. Cross-origin pages are
// refused unless Options.AllowedOrigins lists them.
func (s *Server) Handler(auth Authenticator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.opts.AllowedOrigins})
		if err != nil {
			return // Accept has answered the HTTP request
		}
		ws.SetReadLimit(signal.MaxMessageBytes)
		log := s.log.With("remote", r.RemoteAddr)
		c := newSigConn(ws, log)
		defer c.shutdown()
		ctx := r.Context()

		p, ref, err := s.admit(ctx, c, auth)
		if err != nil {
			ce := toClientError(err)
			if ce.code == signal.CodeUnauthorized {
				// The authenticator's reasons may quote the token: not logged.
				log.Info("connection refused", "code", ce.code)
			} else {
				log.Info("connection refused", "code", ce.code, "err", err)
			}
			c.closeWith(errorMessage(ce, ref), websocket.StatusPolicyViolation, string(ce.code))
			return
		}
		s.serve(ctx, c, p)
	})
}

func errorMessage(ce *clientError, ref string) []byte {
	return signal.MustEncode(signal.TypeError, "", &signal.Error{Code: ce.code, Message: ce.msg, Ref: ref, Fatal: ce.fatal})
}

// admit reads the first message and joins or resumes.
func (s *Server) admit(ctx context.Context, c *sigConn, auth Authenticator) (*participant, string, error) {
	// A read deadline through the context would make the library close the
	// socket before the timeout error could be sent, hence a timer.
	timeout := fatalErr(signal.CodeTimeout, "no join message in time", nil)
	timer := time.AfterFunc(s.opts.JoinTimeout, func() {
		c.closeWith(errorMessage(timeout, ""), websocket.StatusPolicyViolation, string(timeout.code))
	})
	typ, b, err := c.ws.Read(ctx)
	if !timer.Stop() {
		return nil, "", timeout
	}
	if err != nil {
		return nil, "", fatalErr(signal.CodeBadRequest, "could not read the join message", err)
	}
	if typ != websocket.MessageText {
		return nil, "", fatalErr(signal.CodeBadRequest, "messages must be text frames", nil)
	}
	m, err := signal.Decode(b)
	if err != nil {
		return nil, "", err
	}
	switch body := m.Body.(type) {
	case *signal.Join:
		g, err := s.authorize(ctx, auth, body.Token, true)
		if err != nil {
			return nil, m.ID, err
		}
		r, err := s.getRoom(g.RoomID, true)
		if err != nil {
			return nil, m.ID, err
		}
		p, err := r.join(g, c)
		return p, m.ID, err
	case *signal.Resume:
		g, err := s.authorize(ctx, auth, body.Token, false)
		if err != nil {
			return nil, m.ID, err
		}
		if g.ParticipantID != body.ParticipantID {
			return nil, m.ID, fmt.Errorf("%w: token is for another participant", ErrUnauthorized)
		}
		r, err := s.getRoom(g.RoomID, false)
		if err != nil {
			return nil, m.ID, fatalErr(signal.CodeResumeFailed, "nothing to resume, join again", err)
		}
		p, err := r.resume(g, body.ResumeSecret, c)
		return p, m.ID, err
	}
	return nil, m.ID, fatalErr(signal.CodeBadRequest, "the first message must be join or resume", nil)
}

// authorize asks the control plane about a token and checks the grant.
// Errors never carry the token.
func (s *Server) authorize(ctx context.Context, auth Authenticator, token string, checkExpiry bool) (Grant, error) {
	if auth == nil {
		return Grant{}, fmt.Errorf("%w: no authenticator", ErrUnauthorized)
	}
	g, err := auth(ctx, token)
	if err != nil {
		return Grant{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	switch {
	case !validID(g.RoomID) || !validID(g.ParticipantID):
		return Grant{}, fmt.Errorf("%w: grant without a valid room or participant id", ErrUnauthorized)
	case g.Role != RoleHost && g.Role != RoleParticipant && g.Role != RoleGuest:
		return Grant{}, fmt.Errorf("%w: grant with unknown role %q", ErrUnauthorized, g.Role)
	case g.Expires.IsZero():
		return Grant{}, fmt.Errorf("%w: grant without expiry", ErrUnauthorized)
	case checkExpiry && !s.opts.Now().Before(g.Expires):
		return Grant{}, fmt.Errorf("%w: grant expired", ErrUnauthorized)
	}
	return g, nil
}

// validID accepts the identifiers the protocol can carry.
func validID(s string) bool {
	if s == "" || len(s) > signal.MaxIDBytes {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) })
}

// serve reads messages until the connection ends.
func (s *Server) serve(ctx context.Context, c *sigConn, p *participant) {
	defer p.connLost(c)
	tokens, last := float64(msgBurst), time.Now()
	for {
		typ, b, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		now := time.Now()
		tokens = min(msgBurst, tokens+now.Sub(last).Seconds()*msgRate)
		last = now
		if tokens < 1 {
			s.fail(c, p, fatalErr(signal.CodeRateLimited, "too many messages", nil), "")
			return
		}
		tokens--
		if typ != websocket.MessageText {
			s.fail(c, p, fatalErr(signal.CodeBadRequest, "messages must be text frames", nil), "")
			return
		}
		m, err := signal.Decode(b)
		if err == nil && !signal.FromClient(m.Type) {
			err = fatalErr(signal.CodeBadRequest, fmt.Sprintf("%q is a server message", m.Type), nil)
		}
		if err == nil {
			err = p.handle(ctx, m)
		}
		if err != nil {
			ce := toClientError(err)
			if ce.fatal {
				s.fail(c, p, ce, m.ID)
				return
			}
			p.log.Debug("request failed", "type", m.Type, "code", ce.code, "err", err)
			c.send(errorMessage(ce, m.ID))
		}
	}
}

// fail ends a participant after a protocol violation: only that client is
// closed, the room carries on.
func (s *Server) fail(c *sigConn, p *participant, ce *clientError, ref string) {
	p.log.Info("closing client", "code", ce.code, "err", ce)
	if p.terminate(errorMessage(ce, ref), string(ce.code)) {
		p.room.remove(p, string(ce.code))
	}
	c.closeWith(nil, websocket.StatusPolicyViolation, string(ce.code))
}
