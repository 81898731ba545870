package audit

import "context"

type sourceKey struct{}

// WithSource returns ctx carrying where the request came from (the HTTP
// layer sets it; every audit record of the request names it).
func WithSource(ctx context.Context, s Source) context.Context {
	return context.WithValue(ctx, sourceKey{}, s)
}

// SourceFrom returns the Source in ctx (zero when none).
func SourceFrom(ctx context.Context) Source {
	s, _ := ctx.Value(sourceKey{}).(Source)
	return s
}

// Recorder receives audit events. Record must not block for long and must
// not lose events (the Writer queues them durably in order).
type Recorder interface {
	Record(ctx context.Context, ev Event)
}
