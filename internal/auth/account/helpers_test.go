package account

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth/credential"
	"github.com/housecall/housecall/internal/store/opsql"
	"github.com/housecall/housecall/internal/store/postgres"
	"github.com/housecall/housecall/internal/store/postgres/pgtest"
	"github.com/housecall/housecall/internal/store/sqlite"
)

// backends returns a fresh operational database on each backend.
func backends(t *testing.T) map[string]*opsql.DB {
	t.Helper()
	lite, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "acct.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	pg, err := postgres.Open(t.Context(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	return map[string]*opsql.DB{"sqlite": lite.Ops(), "postgres": pg.Ops()}
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
