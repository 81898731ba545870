package storeutil

import (
	"errors"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/store"
)

func TestDecide(t *testing.T) {
	live := &Current{Version: 3}
	dead := &Current{Version: 4, Deleted: true}
	for _, c := range []struct {
		name    string
		w       store.Write
		cur     *Current
		version int64
		err     error
	}{
		{"create", store.Write{}, nil, 1, nil},
		{"update", store.Write{}, live, 4, nil},
		{"recreate", store.Write{}, dead, 5, nil},
		{"if-match ok", store.Write{IfMatch: 3}, live, 4, nil},
		{"if-match stale", store.Write{IfMatch: 2}, live, 0, store.ErrVersionConflict},
		{"if-match missing", store.Write{IfMatch: 1}, nil, 0, store.ErrVersionConflict},
		{"if-match deleted", store.Write{IfMatch: 4}, dead, 0, store.ErrVersionConflict},
		{"must-not-exist free", store.Write{MustNotExist: true}, nil, 1, nil},
		{"must-not-exist taken", store.Write{MustNotExist: true}, live, 0, store.ErrExists},
		{"must-not-exist after delete", store.Write{MustNotExist: true}, dead, 5, nil},
		{"delete", store.Write{Delete: true}, live, 4, nil},
		{"delete missing", store.Write{Delete: true}, nil, 0, store.ErrNotFound},
		{"delete deleted", store.Write{Delete: true}, dead, 0, store.ErrDeleted},
		{"conditional delete stale", store.Write{Delete: true, IfMatch: 1}, live, 0, store.ErrVersionConflict},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.w.Type, c.w.ID = "Patient", "p"
			v, err := Decide(&c.w, c.cur)
			if !errors.Is(err, c.err) || (c.err == nil && err != nil) || v != c.version {
				t.Fatalf("got (%d, %v), want (%d, %v)", v, err, c.version, c.err)
			}
		})
	}
}

func TestLastUpdated(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		now  time.Time
		cur  *Current
		want time.Time
	}{
		{t0, nil, t0},
		{t0, &Current{LastUpdated: t0.Add(-time.Second)}, t0},
		{t0, &Current{LastUpdated: t0.Add(time.Hour)}, t0.Add(time.Hour)},
		{t0, &Current{LastUpdated: t0}, t0},
	} {
		if got := LastUpdated(c.now, c.cur); !got.Equal(c.want) {
			t.Errorf("LastUpdated(%v, %+v) = %v, want %v", c.now, c.cur, got, c.want)
		}
	}
	clock := Clock(func() time.Time { return time.Date(2025, 1, 1, 1, 0, 0, 1999, time.FixedZone("X", 3600)) })()
	if want := time.Date(2025, 1, 1, 0, 0, 0, 1000, time.UTC); !clock.Equal(want) || clock.Location() != time.UTC {
		t.Fatalf("Clock() = %v, want %v UTC", clock, want)
	}
}

func TestValidateWrite(t *testing.T) {
	stamp := func(int64, time.Time) ([]byte, error) { return []byte("{}"), nil }
	for _, c := range []struct {
		w  store.Write
		ok bool
	}{
		{store.Write{Type: "T", ID: "i", Method: "PUT", Stamp: stamp}, true},
		{store.Write{Type: "T", ID: "i", Method: "POST", Stamp: stamp}, true},
		{store.Write{Type: "T", ID: "i", Method: "PATCH", Stamp: stamp}, true},
		{store.Write{Type: "T", ID: "i", Delete: true}, true},
		{store.Write{Type: "T", ID: "i", Method: "DELETE", Delete: true}, true},
		{store.Write{Type: "T", ID: "i", Method: "DELETE", Stamp: stamp}, false},
		{store.Write{Type: "T", ID: "i", Method: "PUT", Delete: true}, false},
		{store.Write{Type: "T", ID: "i", Method: "PUT"}, false},
		{store.Write{ID: "i", Method: "PUT", Stamp: stamp}, false},
		{store.Write{Type: "T", Method: "PUT", Stamp: stamp}, false},
		{store.Write{Type: "T", ID: "i", Method: "PUT", IfMatch: -1, Stamp: stamp}, false},
	} {
		err := ValidateWrite(&c.w)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("ValidateWrite(%+v) = %v, want ok=%v", c.w, err, c.ok)
		}
	}
}
