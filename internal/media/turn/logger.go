package turn

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// slogFactory adapts pion's logging to slog. pion's trace and debug output
// is dropped because it quotes TURN usernames (e.g. "no such user …") and
// is per-packet noise; pion's info messages (per-packet permission misses)
// go to slog's debug level; warnings and errors keep their level.
type slogFactory struct{ log *slog.Logger }

func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return slogLeveled{log: f.log.With("component", "pion/"+scope)}
}

type slogLeveled struct{ log *slog.Logger }

func (l slogLeveled) emit(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
}

// emitf formats only when the level is enabled: pion logs some messages per
// packet.
func (l slogLeveled) emitf(level slog.Level, format string, args []any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (slogLeveled) Trace(string)          {}
func (slogLeveled) Tracef(string, ...any) {}
func (slogLeveled) Debug(string)          {}
func (slogLeveled) Debugf(string, ...any) {}

func (l slogLeveled) Info(msg string) { l.emit(slog.LevelDebug, msg) }
func (l slogLeveled) Infof(format string, args ...any) {
	l.emitf(slog.LevelDebug, format, args)
}
func (l slogLeveled) Warn(msg string) { l.emit(slog.LevelWarn, msg) }
func (l slogLeveled) Warnf(format string, args ...any) {
	l.emitf(slog.LevelWarn, format, args)
}
func (l slogLeveled) Error(msg string) { l.emit(slog.LevelError, msg) }
func (l slogLeveled) Errorf(format string, args ...any) {
	l.emitf(slog.LevelError, format, args)
}
