package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
)

// Driver sends one message on one channel. Send returns nil once the
// message is handed over (to the mail server, webhook receiver, SMS
// gateway); an error wrapped with Permanent stops retries at once, any
// other error is retried with backoff. Errors must not contain message
// contents: the outbox stores them (last_error), though it logs only their
// class.
type Driver interface {
	Send(ctx context.Context, m Message) error
}

// PermanentError marks a failure that retrying cannot fix (the server
// rejected the recipient, the message is malformed).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so the outbox marks the message failed without
// retrying. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or an error it wraps, came from
// Permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// ErrorClass names the kind of a delivery error in a form safe to log
// (no addresses, no server text): "permanent", "timeout", "canceled",
// "network", "tls", "smtp 550", "no driver", "invalid message", "insecure
// auth" or "error". Drivers can supply their own class with an
// ErrorClass() string method on their error.
func ErrorClass(err error) string {
	class := "error"
	var (
		classed interface{ ErrorClass() string }
		proto   *textproto.Error
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		recErr  tls.RecordHeaderError
		alert   tls.AlertError
	)
	switch {
	case errors.As(err, &classed):
		class = classed.ErrorClass()
	case errors.Is(err, ErrNoDriver):
		class = "no driver"
	case errors.Is(err, ErrInvalidMessage):
		class = "invalid message"
	case errors.Is(err, ErrInsecureAuth):
		class = "insecure auth"
	case errors.Is(err, context.DeadlineExceeded):
		class = "timeout"
	case errors.Is(err, context.Canceled):
		class = "canceled"
	case errors.As(err, &proto):
		class = fmt.Sprintf("smtp %d", proto.Code)
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &alert):
		class = "tls"
	case errors.As(err, &netErr):
		if netErr.Timeout() {
			class = "timeout"
		} else {
			class = "network"
		}
	}
	if IsPermanent(err) {
		return "permanent " + class
	}
	return class
}

// LogDriver "sends" a message by logging all of it at info level: the
// recipient, subject, text and HTML. It exists for --dev, where a
// developer reads sign-in codes from the log (and from DevHandler).
//
// NEVER use it in production: it writes one-time codes and patient data to
// the log.
type LogDriver struct {
	// Logger receives the messages; nil means slog.Default().
	Logger *slog.Logger
}

// Send logs m.
func (d *LogDriver) Send(ctx context.Context, m Message) error {
	l := d.Logger
	if l == nil {
		l = slog.Default()
	}
	l.InfoContext(ctx, "notify: DEV message (LogDriver, never in production)",
		"id", m.ID, "channel", m.Channel, "to", m.To, "subject", m.Subject, "text", m.Text, "html", m.HTML)
	return nil
}
