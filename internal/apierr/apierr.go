// Package apierr is how Housecall's JSON APIs outside FHIR (Telemed, admin)
// answer: handlers return errors, an *Error carries the status and a public
// message (its Cause goes to the log only), and one writer turns them into
// {"code": <status>, "message": "…"}.
package apierr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/housecall/housecall/internal/fhir/rest"
)

// Error is an answer other than success.
type Error struct {
	Status  int
	Message string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Cause)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns an answer with a formatted public message.
func New(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// FromFHIR passes a FHIR engine error on with its status and first
// message; other errors are returned unchanged.
func FromFHIR(err error) error {
	var fe *rest.Error
	if errors.As(err, &fe) {
		msg := http.StatusText(fe.Status)
		if len(fe.Issues) > 0 {
			msg = fe.Issues[0].Diagnostics
		}
		return &Error{Status: fe.Status, Message: msg, Cause: err}
	}
	return err
}

// Public is the answer for err: its *Error, or a 500 whose message says
// nothing of the cause.
func Public(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return &Error{Status: http.StatusInternalServerError, Message: "internal error", Cause: err}
}

// Write sends ae as {"code", "message"}, with the bearer challenge on 401.
func Write(w http.ResponseWriter, ae *Error) {
	if ae.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="housecall"`)
	}
	WriteJSON(w, ae.Status, map[string]any{"code": ae.Status, "message": ae.Message})
}

// WriteJSON sends v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
