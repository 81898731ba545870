package account

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/housecall/housecall/internal/auth/credential"
	"github.com/housecall/housecall/internal/auth/token"
	"github.com/housecall/housecall/internal/store/opsql"
)

// SecretLen is the length of the server key.
const SecretLen = 32

// Options configures Accounts.
type Options struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand supplies ids, secrets, codes and nonces; nil means crypto/rand.
	Rand io.Reader
	// Secret is the 32-byte server key (see SecretKey). Required.
	Secret []byte
	// Lockout is the failed-attempt schedule; zero means
	// credential.DefaultLockout.
	Lockout credential.Lockout
	// PasswordParams are the argon2id costs for new password and client
	// secret hashes; zero means credential.Default.
	PasswordParams credential.Params
	// RequireTOTP makes a second factor mandatory for admin, practitioner
	// and staff accounts.
	RequireTOTP bool
	// TOTPIssuer names the service in authenticator apps; empty means
	// "Housecall".
	TOTPIssuer string
}

// Accounts is the account and client store. It is safe for concurrent use.
type Accounts struct {
	db          *opsql.DB
	now         func() time.Time
	rand        io.Reader
	aead        cipher.AEAD
	codeKey     []byte
	macKey      []byte
	lockout     credential.Lockout
	params      credential.Params
	requireTOTP bool
	issuer      string

	keyMu      sync.Mutex
	keyVersion int64 // version of the key set row last loaded or saved
	keyOpts    token.KeySetOptions

	jtiInserts atomic.Uint64 // drives the opportunistic purge
}

// Open migrates the "account" tables and returns the store.
func Open(ctx context.Context, db *opsql.DB, opts Options) (*Accounts, error) {
	if db == nil {
		return nil, errors.New("account: Open needs a database")
	}
	if len(opts.Secret) != SecretLen {
		return nil, fmt.Errorf("account: the server secret must be %d bytes", SecretLen)
	}
	a := &Accounts{
		db: db, now: opts.Now, rand: opts.Rand, lockout: opts.Lockout, params: opts.PasswordParams,
		requireTOTP: opts.RequireTOTP, issuer: opts.TOTPIssuer,
		codeKey: derive(opts.Secret, "one-time codes"),
		macKey:  derive(opts.Secret, "mac"),
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.lockout == (credential.Lockout{}) {
		a.lockout = credential.DefaultLockout
	}
	if a.params == (credential.Params{}) {
		a.params = credential.Default
	}
	if a.issuer == "" {
		a.issuer = "Housecall"
	}
	block, err := aes.NewCipher(derive(opts.Secret, "seal"))
	if err != nil {
		return nil, fmt.Errorf("account: cipher: %w", err)
	}
	if a.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("account: cipher: %w", err)
	}
	if err := db.Migrate(ctx, component, steps); err != nil {
		return nil, fmt.Errorf("account: %w", err)
	}
	return a, nil
}

// DB returns the database, for packages that keep their own operational
// tables next to these (the OAuth server's sessions and grants).
func (a *Accounts) DB() *opsql.DB { return a.db }

// Now returns the current time of the Accounts clock.
func (a *Accounts) Now() time.Time { return a.now() }

// derive returns an independent subkey of the server secret for one use.
func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("housecall-key-v1\n" + label))
	return m.Sum(nil)
}

// MAC returns HMAC-SHA256 under a key derived from the server secret, with
// purpose as domain separation. Other packages use it for values they must
// recognise later without storing them (CSRF tokens).
func (a *Accounts) MAC(purpose string, msg []byte) []byte {
	m := hmac.New(sha256.New, a.macKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(msg)
	return m.Sum(nil)
}

// sealPrefix versions the sealed format.
const sealPrefix = "v1."

// seal encrypts plain with AES-256-GCM. purpose (a row id and column) is
// authenticated data, so a sealed value cannot be moved to another row.
func (a *Accounts) seal(purpose string, plain []byte) (string, error) {
	nonce := make([]byte, a.aead.NonceSize())
	if _, err := io.ReadFull(a.rand, nonce); err != nil {
		return "", fmt.Errorf("account: nonce: %w", err)
	}
	out := a.aead.Seal(nonce, nonce, plain, []byte(purpose))
	return sealPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// open reverses seal. A wrong key or a tampered value is an error.
func (a *Accounts) open(purpose, sealed string) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return nil, errors.New("account: unknown sealed format")
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) < a.aead.NonceSize() {
		return nil, errors.New("account: sealed value is malformed")
	}
	n := a.aead.NonceSize()
	plain, err := a.aead.Open(nil, b[:n], b[n:], []byte(purpose))
	if err != nil {
		return nil, errors.New("account: sealed value does not decrypt (wrong secret key?)")
	}
	return plain, nil
}

// RandomID returns a random URL-safe id of 22 characters (128 bits).
func (a *Accounts) RandomID() (string, error) {
	return randomString(a.rand, 16)
}

func randomString(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("account: randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
