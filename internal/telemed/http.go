package telemed

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/housecall/housecall/internal/apierr"
)

// maxBody caps request bodies of the Telemed API.
const maxBody = 1 << 20

// Routes returns the Telemed API routes (method patterns for
// http.ServeMux). They expect the caller's identity in the request
// context (the authorization server's middleware), except the guest join,
// which an invitation authenticates.
func (s *Service) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"POST /v1/telemed/v2/meeting":                                   s.handle(s.createMeeting),
		"POST /v1/telemed/room":                                         s.handle(s.createMeeting),
		"GET /v1/telemed/v2/meeting/{encounterId}/join":                 s.handle(s.join),
		"POST /v1/telemed/v2/meeting/{encounterId}/end":                 s.handle(s.end),
		"GET /v1/telemed/token":                                         s.handle(s.v1Token),
		"POST /v1/telemed/v2/meeting/{encounterId}/check-in":            s.handle(s.checkIn),
		"GET /v1/telemed/v2/meeting/{encounterId}/waiting-room":         s.handle(s.waitingRoom),
		"POST /v1/telemed/v2/meeting/{encounterId}/admit":               s.handle(s.admit),
		"POST /v1/telemed/v2/meeting/{encounterId}/wait-message":        s.handle(s.waitMessage),
		"GET /v1/telemed/waiting-room":                                  s.handle(s.board),
		"GET /v1/telemed/events":                                        s.eventsHandler(),
		"POST /v1/telemed/v2/meeting/{encounterId}/invite":              s.handle(s.invite),
		"DELETE /v1/telemed/v2/meeting/{encounterId}/invite/{inviteId}": s.handle(s.revoke),
		"POST /v1/telemed/guest/join":                                   s.handle(s.guestJoin),
		"POST /v1/telemed/invite/session":                               s.limitInvites(s.handle(s.inviteSession)),
	}
}

// handle turns a handler's result or error into the HTTP answer: the one
// place errors become status codes.
func (s *Service) handle(fn func(*http.Request) (int, any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, v, err := fn(r)
		if err != nil {
			ae := apierr.Public(err)
			if ae.Status >= 500 {
				s.o.Logger.ErrorContext(r.Context(), "telemed request failed", "route", r.Pattern, "err", ae.Cause)
			}
			apierr.Write(w, ae)
			return
		}
		if v == nil {
			w.WriteHeader(status)
			return
		}
		apierr.WriteJSON(w, status, v)
	})
}

// decode reads a JSON body under any content type (older SDKs send
// text/plain).
func decode(r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return apiErr(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxBody)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return apiErr(http.StatusBadRequest, "the body is not valid JSON: %v", err)
	}
	return nil
}

func (s *Service) createMeeting(r *http.Request) (int, any, error) {
	var body struct {
		Encounter   map[string]any `json:"encounter"`
		RecordAudio bool           `json:"recordAudio"`
		WaitingRoom *bool          `json:"waitingRoom"` // absent: as the Encounter says
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	if body.WaitingRoom != nil && body.Encounter != nil {
		encounter(body.Encounter).setWaitingRoom(*body.WaitingRoom)
	}
	e, err := s.CreateMeeting(r.Context(), body.Encounter, body.RecordAudio)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"encounter": e}, nil
}

func (s *Service) join(r *http.Request) (int, any, error) {
	jr, err := s.Join(r.Context(), r.PathValue("encounterId"), r.URL.Query().Get("anonymous") == "true")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, jr, nil
}

func (s *Service) end(r *http.Request) (int, any, error) {
	e, err := s.EndMeeting(r.Context(), r.PathValue("encounterId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"encounter": e}, nil
}

func (s *Service) v1Token(r *http.Request) (int, any, error) {
	id := r.URL.Query().Get("encounterId")
	if id == "" {
		return 0, nil, apiErr(http.StatusBadRequest, "encounterId is required")
	}
	tok, err := s.V1Token(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]string{"token": tok}, nil
}

func (s *Service) invite(r *http.Request) (int, any, error) {
	var body struct {
		Name       string `json:"name"`
		Role       string `json:"role"`
		Email      string `json:"email"`
		TTLMinutes int    `json:"ttlMinutes"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	inv, err := s.Invite(r.Context(), r.PathValue("encounterId"), InviteRequest{Name: body.Name, Role: body.Role,
		Email: body.Email, TTL: time.Duration(body.TTLMinutes) * time.Minute})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, inv, nil
}

func (s *Service) revoke(r *http.Request) (int, any, error) {
	if err := s.RevokeInvite(r.Context(), r.PathValue("encounterId"), r.PathValue("inviteId")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *Service) guestJoin(r *http.Request) (int, any, error) {
	var body struct {
		Invite string `json:"invite"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	jr, err := s.GuestJoin(r.Context(), body.Invite)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, jr, nil
}
