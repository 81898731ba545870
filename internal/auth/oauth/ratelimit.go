package oauth

import (
	"math"
	"sync"
	"time"
)

// Limit is a token bucket: Burst requests at once, then one per Every.
type Limit struct {
	Every time.Duration
	Burst int
}

// RateLimits are the per-node request limits of the authorization server.
// Zero fields take the defaults.
type RateLimits struct {
	// Token limits POST /oauth2/token, /revoke and /introspect per client
	// IP. Default: 10 per second, burst 20.
	Token Limit
	// Web limits the browser endpoints (authorize, sign-in, consent,
	// logout) per client IP. Default: 10 per second, burst 20.
	Web Limit
	// Login limits sign-in attempts per account (e-mail address or user):
	// passwords, one-time codes and authenticator codes. Default: 5 per
	// minute, burst 5.
	Login Limit
}

func (r RateLimits) withDefaults() RateLimits {
	def := func(l *Limit, every time.Duration, burst int) {
		if l.Every <= 0 {
			l.Every = every
		}
		if l.Burst <= 0 {
			l.Burst = burst
		}
	}
	def(&r.Token, 100*time.Millisecond, 20)
	def(&r.Web, 100*time.Millisecond, 20)
	def(&r.Login, 12*time.Second, 5)
	return r
}

// maxBuckets bounds a limiter's memory; full buckets are dropped first.
const maxBuckets = 50000

type bucket struct {
	tokens float64
	last   time.Time
}

// limiter is a set of token buckets keyed by IP or account.
type limiter struct {
	mu      sync.Mutex
	lim     Limit
	now     func() time.Time
	buckets map[string]*bucket
}

func newLimiter(l Limit, now func() time.Time) *limiter {
	return &limiter{lim: l, now: now, buckets: map[string]*bucket{}}
}

// allow takes one token for key; when none is left it says how long until
// one will be.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: float64(l.lim.Burst), last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(float64(l.lim.Burst), b.tokens+float64(now.Sub(b.last))/float64(l.lim.Every))
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) * float64(l.lim.Every))
	return false, wait
}

// sweep drops buckets that have refilled; if that is not enough, all.
func (l *limiter) sweep(now time.Time) {
	full := time.Duration(l.lim.Burst) * l.lim.Every
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		l.buckets = map[string]*bucket{}
	}
}

// Limiter is the per-key token bucket the server's own endpoints use,
// for other endpoints that face the network without credentials (the
// Telemed API's invitation exchange).
type Limiter struct{ l *limiter }

// NewLimiter returns a Limiter; zero fields of l mean one request per
// 100 ms with a burst of 20, now nil means time.Now.
func NewLimiter(l Limit, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	l = RateLimits{Token: l}.withDefaults().Token
	return &Limiter{l: newLimiter(l, now)}
}

// Allow takes one request for key (a client address); when none is left
// it says, in whole seconds of at least one, when to retry.
func (l *Limiter) Allow(key string) (ok bool, retryAfter int) {
	ok, wait := l.l.allow(key)
	if ok {
		return true, 0
	}
	return false, retryAfterSeconds(wait)
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
