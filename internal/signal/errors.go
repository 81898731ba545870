package signal

import "errors"

// Decode refuses input with errors that wrap one of these.
var (
	ErrMalformed          = errors.New("malformed message")
	ErrUnsupportedVersion = errors.New("unsupported protocol version")
	ErrUnknownType        = errors.New("unknown message type")
	ErrInvalid            = errors.New("invalid message")
)

// Code is the machine-readable reason in an error message.
type Code string

// Error codes. The SDK branches on them; keep them stable.
const (
	CodeBadRequest         Code = "bad-request"         // malformed or invalid message (fatal)
	CodeUnsupportedVersion Code = "unsupported-version" // "v" is not Version (fatal)
	CodeUnauthorized       Code = "unauthorized"        // token refused, expired or for another room (fatal)
	CodeForbidden          Code = "forbidden"           // the grant does not allow this action
	CodeRoomFull           Code = "room-full"           // MaxParticipants reached (fatal)
	CodeRoomClosed         Code = "room-closed"         // the room is closed or closing (fatal)
	CodeNotFound           Code = "not-found"           // unknown participant or track
	CodeResumeFailed       Code = "resume-failed"       // nothing to resume: join again (fatal)
	CodeReplaced           Code = "replaced"            // the same participant connected elsewhere (fatal)
	CodeRemoved            Code = "removed"             // a moderator or the control plane removed you (fatal)
	CodeTimeout            Code = "timeout"             // no join in time, or reconnect grace expired (fatal)
	CodeNegotiation        Code = "negotiation-failed"  // an offer, answer or candidate was refused
	CodeChatFailed         Code = "chat-failed"         // the chat message could not be stored
	CodeRateLimited        Code = "rate-limited"        // too many messages (fatal)
	CodeInternal           Code = "internal"            // server-side failure
)

// CodeFor maps a Decode error to the code a server reports for it.
func CodeFor(err error) Code {
	switch {
	case errors.Is(err, ErrUnsupportedVersion):
		return CodeUnsupportedVersion
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrUnknownType), errors.Is(err, ErrInvalid):
		return CodeBadRequest
	default:
		return CodeInternal
	}
}
