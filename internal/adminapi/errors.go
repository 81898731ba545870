package adminapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/housecall/housecall/internal/apierr"
	"github.com/housecall/housecall/internal/auth/account"
)

// Error is an answer other than success: Message is public, Cause is for
// the log only.
type Error = apierr.Error

var errf = apierr.New

// ErrNotFound is the answer for an unknown user, client or webhook id.
var ErrNotFound = errors.New("adminapi: not found")

// publicError turns store and engine errors into answers; messages of the
// account package are safe to show (they never quote an address or a
// secret).
func publicError(err error, what string) error {
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
	}
	return apierr.FromFHIR(err)
}
