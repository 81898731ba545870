package credential

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Recovery codes are 16 symbols of Crockford's base32 (80 bits), written
// "XXXX-XXXX-XXXX-XXXX". With that much entropy a plain SHA-256 is enough
// to keep them out of the database: nobody can search 2^80 inputs, so no
// slow hash (which would cost one argon2 run per stored code per attempt)
// is needed.
const (
	recoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	recoveryLen      = 16
	recoveryDomain   = "housecall-recovery-v1\n"
	// MaxRecoveryCodes bounds one NewRecoveryCodes call.
	MaxRecoveryCodes = 100
)

// ErrRecoveryCount: NewRecoveryCodes needs 1 to MaxRecoveryCodes codes.
var ErrRecoveryCount = errors.New("credential: recovery code count out of range")

// NewRecoveryCodes returns n codes to show the user once, and their hashes
// to store in the same order. rand nil means crypto/rand.
func NewRecoveryCodes(n int, rand io.Reader) (plain, hashed []string, err error) {
	if n < 1 || n > MaxRecoveryCodes {
		return nil, nil, ErrRecoveryCount
	}
	buf := make([]byte, recoveryLen*n)
	if _, err := io.ReadFull(randOrDefault(rand), buf); err != nil {
		return nil, nil, fmt.Errorf("credential: reading randomness: %w", err)
	}
	for i := range n {
		var b strings.Builder
		for j, c := range buf[i*recoveryLen : (i+1)*recoveryLen] {
			if j > 0 && j%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[c&31]) // 256 is a multiple of 32: no bias
		}
		code := b.String()
		plain = append(plain, code)
		h, _ := hashRecovery(code)
		hashed = append(hashed, h)
	}
	return plain, hashed, nil
}

// MatchRecoveryCode returns the index in hashed of the code the user typed,
// or -1. Case, spaces and dashes do not matter, and O, I and L are read as
// 0, 1 and 1 as Crockford's base32 says. Every entry is compared; empty
// entries (codes already used, which the caller should blank or delete)
// never match.
func MatchRecoveryCode(code string, hashed []string) (index int) {
	h, ok := hashRecovery(code)
	if !ok {
		return -1
	}
	index = -1
	for i, stored := range hashed {
		if stored != "" && subtle.ConstantTimeCompare([]byte(stored), []byte(h)) == 1 {
			index = i
		}
	}
	return index
}

// hashRecovery normalizes a typed code and hashes it; false when it cannot
// be a recovery code.
func hashRecovery(code string) (string, bool) {
	if len(code) > 4*recoveryLen {
		return "", false
	}
	norm := make([]byte, 0, recoveryLen)
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		switch c {
		case '-', ' ':
			continue
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		if strings.IndexByte(recoveryAlphabet, c) < 0 || len(norm) == recoveryLen {
			return "", false
		}
		norm = append(norm, c)
	}
	if len(norm) != recoveryLen {
		return "", false
	}
	sum := sha256.Sum256(append([]byte(recoveryDomain), norm...))
	return hex.EncodeToString(sum[:]), true
}
