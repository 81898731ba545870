package adminapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/fhir/rest"
)

// Error is an answer other than success: Message is public, Cause is for
// the log only.
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

func errf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is the answer for an unknown user, client or webhook id.
var ErrNotFound = errors.New("adminapi: not found")

// publicError turns store and engine errors into answers; messages of the
// account package are safe to show (they never quote an address or a
// secret).
func publicError(err error, what string) error {
	var fe *rest.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, account.ErrNotFound), errors.Is(err, ErrNotFound):
		return &Error{Status: http.StatusNotFound, Message: "no such " + what, Cause: err}
	case errors.Is(err, account.ErrExists):
		return &Error{Status: http.StatusConflict, Message: "an account with this e-mail address exists", Cause: err}
	case errors.Is(err, account.ErrInvalid):
		msg := strings.TrimPrefix(err.Error(), account.ErrInvalid.Error()+": ")
		return &Error{Status: http.StatusBadRequest, Message: strings.TrimPrefix(msg, "credential: "), Cause: err}
	case errors.As(err, &fe):
		msg := http.StatusText(fe.Status)
		if len(fe.Issues) > 0 {
			msg = fe.Issues[0].Diagnostics
		}
		return &Error{Status: fe.Status, Message: msg, Cause: err}
	}
	return err
}
