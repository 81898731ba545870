package credential

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Password length limits. The upper bound keeps hashing cost independent
// of what an attacker sends.
const (
	MinPasswordChars = 12
	MaxPasswordBytes = 1024
)

var (
	// ErrPasswordEmpty: an empty password is never hashed or accepted.
	ErrPasswordEmpty = errors.New("credential: password is empty")
	// ErrPasswordTooLong: over MaxPasswordBytes bytes.
	ErrPasswordTooLong = errors.New("credential: password is longer than 1024 bytes")
	// ErrMalformedHash: a stored PHC string is not one this package wrote
	// (wrong algorithm or version, bad encoding, parameters out of range).
	ErrMalformedHash = errors.New("credential: malformed password hash")
	// ErrParams: Hash was given parameters out of range.
	ErrParams = errors.New("credential: argon2id parameters out of range")
)

// Params are argon2id's cost parameters and sizes.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// Default is the cost new hashes use and Verify compares stored hashes
// against: RFC 9106's second recommended option lowered to t=2, 64 MiB,
// as in OWASP's guidance. Treat it as a constant; use VerifyWith for others.
var Default = Params{Memory: 64 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// limits bound what a stored hash may demand, so a tampered row cannot make
// one sign-in allocate gigabytes or run for minutes. The fuzz test lowers
// them to stay fast.
var limits = struct{ minParams, maxParams Params }{
	minParams: Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 8, KeyLen: 16},
	maxParams: Params{Memory: 256 * 1024, Time: 16, Threads: 16, SaltLen: 64, KeyLen: 64},
}

func (p Params) valid() bool {
	lo, hi := limits.minParams, limits.maxParams
	return p.Memory >= lo.Memory && p.Memory <= hi.Memory && p.Memory >= 8*uint32(p.Threads) &&
		p.Time >= lo.Time && p.Time <= hi.Time &&
		p.Threads >= lo.Threads && p.Threads <= hi.Threads &&
		p.SaltLen >= lo.SaltLen && p.SaltLen <= hi.SaltLen &&
		p.KeyLen >= lo.KeyLen && p.KeyLen <= hi.KeyLen
}

func checkLength(password string) error {
	switch {
	case password == "":
		return ErrPasswordEmpty
	case len(password) > MaxPasswordBytes:
		return ErrPasswordTooLong
	}
	return nil
}

// Hash returns the argon2id hash of password as a PHC string,
// "$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>" with unpadded standard
// base64. rand supplies the salt (nil: crypto/rand). It does not check
// strength; call CheckStrength when the user chooses a password.
func Hash(password string, p Params, rand io.Reader) (string, error) {
	if err := checkLength(password); err != nil {
		return "", err
	}
	if !p.valid() {
		return "", ErrParams
	}
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(randOrDefault(rand), salt); err != nil {
		return "", fmt.Errorf("credential: reading salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encodePHC(p, salt, key), nil
}

func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// Verify checks password against a PHC string from Hash in constant time.
// needsRehash is true when the password matched but the hash was made with
// parameters other than Default: hash it again and store the new string.
// A wrong password is (false, false, nil); an error means the password or
// the stored string is unusable.
func Verify(password, encoded string) (ok, needsRehash bool, err error) {
	return VerifyWith(password, encoded, Default)
}

// VerifyWith is Verify with current as the parameters hashes should have.
func VerifyWith(password, encoded string, current Params) (ok, needsRehash bool, err error) {
	if err := checkLength(password); err != nil {
		return false, false, err
	}
	p, salt, want, err := decodePHC(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != current, nil
}

// maxEncodedLen bounds the PHC strings decodePHC looks at: the longest valid
// one (64-byte salt and key, largest parameters) is well under it.
const maxEncodedLen = 256

func decodePHC(encoded string) (Params, []byte, []byte, error) {
	var p Params
	if len(encoded) > maxEncodedLen {
		return p, nil, nil, fmt.Errorf("%w: too long", ErrMalformedHash)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: not an argon2id PHC string", ErrMalformedHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version", ErrMalformedHash)
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, fmt.Errorf("%w: parameters must be m,t,p", ErrMalformedHash)
	}
	var nums [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		s, found := strings.CutPrefix(kv[i], name)
		n, err := strconv.ParseUint(s, 10, 32)
		if !found || err != nil || strconv.FormatUint(n, 10) != s {
			return p, nil, nil, fmt.Errorf("%w: parameters must be m,t,p in decimal", ErrMalformedHash)
		}
		nums[i] = n
	}
	salt, ok1 := decodeB64(parts[4])
	key, ok2 := decodeB64(parts[5])
	if !ok1 || !ok2 {
		return p, nil, nil, fmt.Errorf("%w: salt and hash must be unpadded base64", ErrMalformedHash)
	}
	if nums[2] > 255 {
		return p, nil, nil, fmt.Errorf("%w: parameters out of range", ErrMalformedHash)
	}
	p = Params{Memory: uint32(nums[0]), Time: uint32(nums[1]), Threads: uint8(nums[2]),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if !p.valid() {
		return p, nil, nil, fmt.Errorf("%w: parameters out of range", ErrMalformedHash)
	}
	return p, salt, key, nil
}

// decodeB64 decodes unpadded standard base64 and insists on the canonical
// text: the decoder alone skips line breaks and tolerates stray low bits.
func decodeB64(s string) ([]byte, bool) {
	b, err := base64.RawStdEncoding.DecodeString(s)
	return b, err == nil && base64.RawStdEncoding.EncodeToString(b) == s
}

var absent = sync.OnceValue(func() string {
	s, err := Hash("housecall-no-such-account", Default, nil)
	if err != nil {
		panic("credential: hashing the placeholder password: " + err.Error())
	}
	return s
})

// VerifyNoAccount does the work of Verify against a placeholder hash with
// Default parameters and always returns false. Call it when the account
// does not exist, so that the response time does not tell an attacker
// which accounts exist.
func VerifyNoAccount(password string) bool {
	if checkLength(password) != nil {
		return false
	}
	_, _, _ = Verify(password, absent())
	return false
}

func randOrDefault(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}
