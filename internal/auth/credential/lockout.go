package credential

import (
	"math"
	"time"
)

// Lockout is the schedule that slows down password guessing for one
// account: no delay for the first Threshold-1 consecutive failures, then
// Base, doubling with each further failure, never more than Max. A delay
// rather than a permanent lock keeps an attacker from locking real users
// out for good.
type Lockout struct {
	Threshold int
	Base, Max time.Duration // Max <= 0: no cap
}

// DefaultLockout: 5 failures, then 30 s, 1 min, 2 min ... up to 15 min.
var DefaultLockout = Lockout{Threshold: 5, Base: 30 * time.Second, Max: 15 * time.Minute}

// Delay is how long to refuse sign-in attempts after the given number of
// consecutive failures: 0 below Threshold, Base at Threshold, then
// doubling per failure, capped at Max.
func (l Lockout) Delay(failures int) time.Duration {
	threshold := max(l.Threshold, 1)
	if failures < threshold || l.Base <= 0 {
		return 0
	}
	d := l.Base
	for range failures - threshold {
		if (l.Max > 0 && d >= l.Max) || d > math.MaxInt64/2 {
			break
		}
		d *= 2
	}
	if l.Max > 0 && d > l.Max {
		d = l.Max
	}
	return d
}

// LockedUntil is when sign-in may be tried again after failures
// consecutive failures, the last at lastFailure; the zero time when there
// is no delay. Refuse attempts while now.Before(LockedUntil(...)).
func (l Lockout) LockedUntil(failures int, lastFailure time.Time) time.Time {
	d := l.Delay(failures)
	if d == 0 {
		return time.Time{}
	}
	return lastFailure.Add(d)
}
