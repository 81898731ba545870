package media

import (
	"errors"
	"fmt"

	"github.com/housecall/housecall/internal/signal"
)

// Sentinel errors callers branch on.
var (
	ErrClosed       = errors.New("media: server closed")
	ErrRoomNotFound = errors.New("media: room not found")
	ErrNotFound     = errors.New("media: participant not found")
	ErrRoomFull     = errors.New("media: room is full")
	ErrRoomClosed   = errors.New("media: room is closed")
	ErrUnauthorized = errors.New("media: not authorized")
	ErrForbidden    = errors.New("media: not allowed")
	ErrBadOptions   = errors.New("media: bad options")
	ErrBadKind      = errors.New("media: bad track kind")
)

// clientError is an error a client may see: a protocol code and a public
// message, with the private cause kept for logs only.
type clientError struct {
	code  signal.Code
	msg   string
	fatal bool
	cause error
}

func (e *clientError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.code, e.msg, e.cause)
	}
	return fmt.Sprintf("%s: %s", e.code, e.msg)
}

func (e *clientError) Unwrap() error { return e.cause }

func fatalErr(code signal.Code, msg string, cause error) *clientError {
	return &clientError{code: code, msg: msg, fatal: true, cause: cause}
}

func softErr(code signal.Code, msg string, cause error) *clientError {
	return &clientError{code: code, msg: msg, cause: cause}
}

// toClientError maps any error to what the client is told. Causes never
// reach the client: they may name internals, and tokens never appear in
// them anyway.
func toClientError(err error) *clientError {
	var ce *clientError
	if errors.As(err, &ce) {
		return ce
	}
	switch {
	case signal.IsProtocolError(err):
		return fatalErr(signal.CodeFor(err), publicDecodeMessage(err), err)
	case errors.Is(err, ErrUnauthorized):
		return fatalErr(signal.CodeUnauthorized, "token refused", err)
	case errors.Is(err, ErrRoomFull):
		return fatalErr(signal.CodeRoomFull, "the room is full", err)
	case errors.Is(err, ErrRoomClosed), errors.Is(err, ErrClosed):
		return fatalErr(signal.CodeRoomClosed, "the room is closed", err)
	case errors.Is(err, ErrForbidden):
		return softErr(signal.CodeForbidden, "not allowed", err)
	case errors.Is(err, ErrNotFound):
		return softErr(signal.CodeNotFound, "no such participant or track", err)
	default:
		return softErr(signal.CodeInternal, "internal error", err)
	}
}

// publicDecodeMessage is the decoder's own explanation: it describes the
// client's message shape, never server state.
func publicDecodeMessage(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}
