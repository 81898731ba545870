// Package pionlog adapts pion's logging to log/slog for the media server
// and the TURN server. pion's trace and debug output is dropped: it is
// per-packet noise and quotes TURN usernames ("no such user …"); pion's
// info messages (per-packet permission misses and the like) go to slog's
// debug level; warnings and errors keep their level.
package pionlog

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// Factory is a logging.LoggerFactory writing to an slog.Logger.
type Factory struct{ Log *slog.Logger }

// NewLogger returns the logger of one pion component.
func (f Factory) NewLogger(scope string) logging.LeveledLogger {
	return leveled{log: f.Log.With("component", "pion/"+scope)}
}

type leveled struct{ log *slog.Logger }

func (l leveled) emit(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
}

// emitf formats only when the level is enabled: pion logs some messages
// per packet.
func (l leveled) emitf(level slog.Level, format string, args []any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (leveled) Trace(string)                        {}
func (leveled) Tracef(string, ...any)               {}
func (leveled) Debug(string)                        {}
func (leveled) Debugf(string, ...any)               {}
func (l leveled) Info(msg string)                   { l.emit(slog.LevelDebug, msg) }
func (l leveled) Infof(format string, args ...any)  { l.emitf(slog.LevelDebug, format, args) }
func (l leveled) Warn(msg string)                   { l.emit(slog.LevelWarn, msg) }
func (l leveled) Warnf(format string, args ...any)  { l.emitf(slog.LevelWarn, format, args) }
func (l leveled) Error(msg string)                  { l.emit(slog.LevelError, msg) }
func (l leveled) Errorf(format string, args ...any) { l.emitf(slog.LevelError, format, args) }
