package token

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// rsaBits is the size of the server's signing keys.
const rsaBits = 2048

// Defaults for zero KeySetOptions durations.
const (
	DefaultRotateEvery = 30 * 24 * time.Hour
	DefaultRetain      = 7 * 24 * time.Hour
)

// KeySetOptions configures a KeySet.
type KeySetOptions struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is passed to rsa.GenerateKey; nil means crypto/rand.Reader.
	// Since Go 1.26 the standard library ignores it and always uses a
	// secure source (tests wanting determinism use
	// testing/cryptotest.SetGlobalRandom).
	Rand io.Reader
	// RotateEvery is the age at which MaybeRotate replaces the current
	// key; zero means DefaultRotateEvery.
	RotateEvery time.Duration
	// Retain is how long a key keeps verifying (and stays in JWKS) after
	// it stopped being current. It must exceed the longest lifetime of
	// any token signed, plus verifiers' leeway; zero means DefaultRetain.
	Retain time.Duration
}

func (o KeySetOptions) withDefaults() (KeySetOptions, error) {
	if o.RotateEvery < 0 || o.Retain < 0 {
		return o, errors.New("token: RotateEvery and Retain must not be negative")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.RotateEvery == 0 {
		o.RotateEvery = DefaultRotateEvery
	}
	if o.Retain == 0 {
		o.Retain = DefaultRetain
	}
	return o, nil
}

// signingKey is one RSA key of a KeySet. Its fields never change after
// the key is installed, except retired, which is written under the lock.
type signingKey struct {
	kid     string
	priv    *rsa.PrivateKey
	created time.Time
	retired time.Time // zero while current
}

// KeySet holds the server's RS256 signing keys: one current key that
// signs, and retired keys that still verify until Retain after they were
// retired. Create one with NewKeySet or ImportKeySet (the zero value is not
// usable). It is safe for concurrent use.
type KeySet struct {
	opts KeySetOptions

	mu   sync.RWMutex
	keys []*signingKey // oldest first; the last one is current
}

// NewKeySet returns a KeySet with one freshly generated current key.
func NewKeySet(opts KeySetOptions) (*KeySet, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	ks := &KeySet{opts: opts}
	k, err := ks.generate()
	if err != nil {
		return nil, err
	}
	ks.keys = []*signingKey{k}
	return ks, nil
}

// generate creates a key; it runs without the lock (RSA generation is slow).
func (ks *KeySet) generate() (*signingKey, error) {
	priv, err := rsa.GenerateKey(ks.opts.Rand, rsaBits)
	if err != nil {
		return nil, fmt.Errorf("token: generating RSA key: %w", err)
	}
	kid, err := thumbprint(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &signingKey{kid: kid, priv: priv, created: ks.opts.Now()}, nil
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of pub, base64url.
func thumbprint(pub *rsa.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("token: key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// Rotate makes a new key current. The previous current key is retired now
// and keeps verifying for Retain.
func (ks *KeySet) Rotate() error {
	k, err := ks.generate()
	if err != nil {
		return err
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.install(k)
	return nil
}

// install appends k as the current key; ks.mu must be held.
func (ks *KeySet) install(k *signingKey) {
	ks.keys[len(ks.keys)-1].retired = k.created
	ks.keys = append(ks.keys, k)
}

// MaybeRotate rotates when the current key is at least RotateEvery old and
// reports whether it did. Concurrent calls rotate at most once.
func (ks *KeySet) MaybeRotate() (bool, error) {
	if !ks.due() {
		return false, nil
	}
	k, err := ks.generate()
	if err != nil {
		return false, err
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if !ks.dueLocked() { // another caller rotated while we generated
		return false, nil
	}
	ks.install(k)
	return true, nil
}

func (ks *KeySet) due() bool {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.dueLocked()
}

func (ks *KeySet) dueLocked() bool {
	cur := ks.keys[len(ks.keys)-1]
	return ks.opts.Now().Sub(cur.created) >= ks.opts.RotateEvery
}

// Prune drops the retired keys whose Retain period is over and returns how
// many it dropped. Such keys already fail verification; Prune removes them
// from memory and from the next Export.
func (ks *KeySet) Prune() int {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	now := ks.opts.Now()
	kept := ks.keys[:0]
	for _, k := range ks.keys {
		if ks.usable(k, now) {
			kept = append(kept, k)
		}
	}
	n := len(ks.keys) - len(kept)
	for i := len(kept); i < len(ks.keys); i++ {
		ks.keys[i] = nil
	}
	ks.keys = kept
	return n
}

// usable reports whether k may verify at now; ks.mu must be held.
func (ks *KeySet) usable(k *signingKey, now time.Time) bool {
	return k.retired.IsZero() || now.Before(k.retired.Add(ks.opts.Retain))
}

// CurrentKeyID returns the kid of the key that signs.
func (ks *KeySet) CurrentKeyID() string {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.keys[len(ks.keys)-1].kid
}

// current returns the signing key.
func (ks *KeySet) current() *signingKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.keys[len(ks.keys)-1]
}

// lookup returns the public key with this kid if it may verify now.
func (ks *KeySet) lookup(kid string) (*rsa.PublicKey, bool) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	now := ks.opts.Now()
	for _, k := range ks.keys {
		if k.kid == kid && ks.usable(k, now) {
			return &k.priv.PublicKey, true
		}
	}
	return nil, false
}

// JWKS returns the public keys that currently verify, as the JSON document
// served at the jwks_uri: {"keys":[{"kty":"RSA","kid":...,"alg":"RS256",
// "use":"sig","n":...,"e":...}]}, current key first.
func (ks *KeySet) JWKS() ([]byte, error) {
	ks.mu.RLock()
	now := ks.opts.Now()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for i := len(ks.keys) - 1; i >= 0; i-- {
		k := ks.keys[i]
		if ks.usable(k, now) {
			set.Keys = append(set.Keys, jose.JSONWebKey{
				Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: string(jose.RS256), Use: "sig",
			})
		}
	}
	ks.mu.RUnlock()
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("token: encoding JWKS: %w", err)
	}
	return b, nil
}
