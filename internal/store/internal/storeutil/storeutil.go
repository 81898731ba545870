// Package storeutil holds the backend-neutral rules of the store contract:
// argument validation, the conditional-write decisions (IfMatch,
// MustNotExist, delete of a missing or deleted resource) and the clock rule
// for LastUpdated. Both the sqlite and postgres backends call it so that the
// two cannot drift apart on semantics; only the SQL differs between them.
package storeutil

import (
	"fmt"
	"time"

	"github.com/housecall/housecall/internal/store"
)

// ErrInvalid marks a caller error (bad arguments) as opposed to a database
// failure: it is store.ErrInvalid, so callers outside the store match it.
var ErrInvalid = store.ErrInvalid

// Current is the state of a resource's current version that write decisions
// depend on.
type Current struct {
	Version     int64
	Seq         int64
	Deleted     bool
	LastUpdated time.Time
}

// ValidateWrite rejects writes that no backend could store meaningfully.
func ValidateWrite(w *store.Write) error {
	if w.Type == "" || w.ID == "" {
		return fmt.Errorf("%w: write needs a type and an id", ErrInvalid)
	}
	if w.IfMatch < 0 {
		return fmt.Errorf("%w: negative IfMatch %d", ErrInvalid, w.IfMatch)
	}
	if w.Delete {
		if w.Method != "" && w.Method != "DELETE" {
			return fmt.Errorf("%w: delete with method %q", ErrInvalid, w.Method)
		}
		return nil
	}
	switch w.Method {
	case "POST", "PUT", "PATCH":
	default:
		return fmt.Errorf("%w: write method %q is not POST, PUT or PATCH", ErrInvalid, w.Method)
	}
	if w.Stamp == nil {
		return fmt.Errorf("%w: write of %s/%s has no Stamp function", ErrInvalid, w.Type, w.ID)
	}
	return nil
}

// Method is the method recorded for a valid write.
func Method(w *store.Write) string {
	if w.Delete {
		return "DELETE"
	}
	return w.Method
}

// Decide applies the contract's preconditions to a write given the current
// state (nil when the resource never existed) and returns the version number
// the new version gets.
func Decide(w *store.Write, cur *Current) (int64, error) {
	if w.IfMatch > 0 {
		if cur == nil || cur.Deleted {
			return 0, fmt.Errorf("%s/%s: If-Match %d but the resource is missing or deleted: %w", w.Type, w.ID, w.IfMatch, store.ErrVersionConflict)
		}
		if cur.Version != w.IfMatch {
			return 0, fmt.Errorf("%s/%s: If-Match %d but current version is %d: %w", w.Type, w.ID, w.IfMatch, cur.Version, store.ErrVersionConflict)
		}
	}
	if w.Delete {
		if cur == nil {
			return 0, fmt.Errorf("delete %s/%s: %w", w.Type, w.ID, store.ErrNotFound)
		}
		if cur.Deleted {
			return 0, fmt.Errorf("delete %s/%s: %w", w.Type, w.ID, store.ErrDeleted)
		}
	}
	if w.MustNotExist && cur != nil && !cur.Deleted {
		return 0, fmt.Errorf("create %s/%s: %w", w.Type, w.ID, store.ErrExists)
	}
	if cur == nil {
		return 1, nil
	}
	return cur.Version + 1, nil
}

// Stamp renders the body of a non-delete write, exactly once.
func Stamp(w *store.Write, version int64, lastUpdated time.Time) ([]byte, error) {
	if w.Delete {
		return nil, nil
	}
	body, err := w.Stamp(version, lastUpdated)
	if err != nil {
		return nil, fmt.Errorf("stamp %s/%s version %d: %w", w.Type, w.ID, version, err)
	}
	if body == nil {
		// A nil body is how the store marks deletions; refusing it keeps the
		// two states apart.
		return nil, fmt.Errorf("%w: Stamp of %s/%s returned no body", ErrInvalid, w.Type, w.ID)
	}
	return body, nil
}

// Clock normalises a time source to the store's resolution: UTC, truncated
// to microseconds (what both SQLite integers and PostgreSQL timestamptz keep).
func Clock(now func() time.Time) func() time.Time {
	if now == nil {
		now = time.Now
	}
	return func() time.Time { return now().UTC().Truncate(time.Microsecond) }
}

// LastUpdated is the time a new version gets: the clock, but never earlier
// than the previous version of the same resource, so that a clock step back
// cannot make a resource's history go backwards in time.
func LastUpdated(now time.Time, cur *Current) time.Time {
	if cur != nil && now.Before(cur.LastUpdated) {
		return cur.LastUpdated
	}
	return now
}

// ValidateList checks a ListQuery.
func ValidateList(q *store.ListQuery) error {
	if q.Type == "" {
		return fmt.Errorf("%w: list needs a type", ErrInvalid)
	}
	if q.Count <= 0 {
		return fmt.Errorf("%w: list count %d must be > 0", ErrInvalid, q.Count)
	}
	return nil
}

// ValidateHistory checks a HistoryQuery.
func ValidateHistory(q *store.HistoryQuery) error {
	if q.ID != "" && q.Type == "" {
		return fmt.Errorf("%w: instance history needs a type", ErrInvalid)
	}
	if q.Count <= 0 {
		return fmt.Errorf("%w: history count %d must be > 0", ErrInvalid, q.Count)
	}
	if q.Before < 0 || q.AsOf < 0 {
		return fmt.Errorf("%w: negative history cursor", ErrInvalid)
	}
	return nil
}
