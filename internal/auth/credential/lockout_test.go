package credential

import (
	"math"
	"testing"
	"time"
)

func TestLockoutDelay(t *testing.T) {
	l := Lockout{Threshold: 3, Base: time.Minute, Max: 10 * time.Minute}
	noCap := Lockout{Threshold: 1, Base: time.Second}
	tests := []struct {
		name     string
		l        Lockout
		failures int
		want     time.Duration
	}{
		{"none", l, 0, 0},
		{"below threshold", l, 2, 0},
		{"at threshold", l, 3, time.Minute},
		{"one more", l, 4, 2 * time.Minute},
		{"two more", l, 5, 4 * time.Minute},
		{"three more", l, 6, 8 * time.Minute},
		{"capped", l, 7, 10 * time.Minute},
		{"far past the cap", l, 1000, 10 * time.Minute},
		{"max int failures", l, math.MaxInt, 10 * time.Minute},
		{"negative", l, -5, 0},
		{"no cap", noCap, 11, 1024 * time.Second},
		{"no cap saturates", noCap, 200, 0}, // checked below
		{"threshold 0 acts as 1", Lockout{Base: time.Second, Max: time.Hour}, 1, time.Second},
		{"threshold 0, no failures", Lockout{Base: time.Second, Max: time.Hour}, 0, 0},
		{"no base", Lockout{Threshold: 1, Max: time.Hour}, 5, 0},
		{"default at 5", DefaultLockout, 5, 30 * time.Second},
		{"default at 4", DefaultLockout, 4, 0},
		{"default capped", DefaultLockout, 10, 15 * time.Minute},
	}
	for _, tt := range tests {
		got := tt.l.Delay(tt.failures)
		if tt.name == "no cap saturates" {
			if got <= 0 || got < time.Duration(math.MaxInt64/4) {
				t.Errorf("%s: Delay = %v, want a huge positive delay", tt.name, got)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("%s: Delay(%d) = %v, want %v", tt.name, tt.failures, got, tt.want)
		}
	}
}

func TestLockedUntil(t *testing.T) {
	l := Lockout{Threshold: 3, Base: time.Minute, Max: 10 * time.Minute}
	last := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := l.LockedUntil(2, last); !got.IsZero() {
		t.Errorf("below threshold: %v", got)
	}
	if got := l.LockedUntil(4, last); !got.Equal(last.Add(2 * time.Minute)) {
		t.Errorf("4 failures: %v", got)
	}
	now := last.Add(90 * time.Second)
	if !now.Before(l.LockedUntil(4, last)) || now.Before(l.LockedUntil(3, last)) {
		t.Error("lock window comparisons are wrong")
	}
}
