package account

import (
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth/credential"
	"github.com/housecall/housecall/internal/store/backend/backendtest"
	"github.com/housecall/housecall/internal/store/opsql"
)

// backends returns a fresh operational database on each backend.
func backends(t *testing.T) map[string]*opsql.DB {
	t.Helper()
	out := map[string]*opsql.DB{}
	for name, st := range backendtest.Open(t) {
		out[name] = st.Ops()
	}
	return out
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fastParams keeps argon2id cheap in tests.
var fastParams = credential.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func open(t *testing.T, db *opsql.DB, c *clock, mod func(*Options)) *Accounts {
	t.Helper()
	o := Options{Now: c.Now, Secret: testSecret, PasswordParams: fastParams,
		Lockout: credential.Lockout{Threshold: 3, Base: time.Minute, Max: 10 * time.Minute}}
	if mod != nil {
		mod(&o)
	}
	a, err := Open(t.Context(), db, o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

const goodPassword = "correct horse battery staple"
