package credential

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// One-time sign-in code lengths. Below 6 digits a code is guessable within
// any sensible attempt limit; above 18 it does not fit the arithmetic.
const (
	MinCodeDigits = 6
	MaxCodeDigits = 18
	// MinCodeKey is the shortest server secret HashCode accepts.
	MinCodeKey = 16
	codeDomain = "housecall-code-v1\n"
	// maxCodeDraws bounds rejection sampling. An honest source's draw is
	// rejected with probability under 10^digits / 2^64 (at most 1 in 18, for
	// 18 digits), so 64 rejections in a row mean a broken source.
	maxCodeDraws = 64
)

var (
	// ErrCodeDigits: NewCode needs MinCodeDigits to MaxCodeDigits digits.
	ErrCodeDigits = errors.New("credential: one-time code length out of range")
	// ErrRandom: the randomness source failed or is not random.
	ErrRandom = errors.New("credential: randomness source failed")
)

// NewCode returns a decimal code of the given number of digits (leading
// zeros kept), uniformly distributed: draws that would bias the result
// toward low values are rejected rather than reduced modulo 10^digits.
// rand nil means crypto/rand.
func NewCode(rand io.Reader, digits int) (string, error) {
	if digits < MinCodeDigits || digits > MaxCodeDigits {
		return "", ErrCodeDigits
	}
	r := randOrDefault(rand)
	limit := uint64(1)
	for range digits {
		limit *= 10
	}
	// The largest multiple of limit that fits: values at or above it would
	// make the low residues more likely.
	bound := math.MaxUint64 - math.MaxUint64%limit
	var b [8]byte
	for range maxCodeDraws {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("%w: %w", ErrRandom, err)
		}
		if v := binary.BigEndian.Uint64(b[:]); v < bound {
			s := strconv.FormatUint(v%limit, 10)
			return strings.Repeat("0", digits-len(s)) + s, nil
		}
	}
	return "", ErrRandom
}

// HashCode returns the hex HMAC-SHA256 of code under key, a server secret
// of at least MinCodeKey bytes, so the database holds no usable codes.
// Store HashCode(code, key); to check a typed code, compare
// HashCode(typed, key) to the stored value with EqualCode. A shorter key
// is a configuration error and panics.
func HashCode(code string, key []byte) string {
	if len(key) < MinCodeKey {
		panic("credential: HashCode key is shorter than MinCodeKey bytes")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(codeDomain))
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// EqualCode compares two codes or code hashes in time that depends only on
// their lengths.
func EqualCode(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
