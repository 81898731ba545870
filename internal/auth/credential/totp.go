package credential

import (
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP settings: those every authenticator app supports (RFC 6238 with
// SHA-1, 6 digits, 30-second steps, a 160-bit secret).
const (
	TOTPPeriod     = 30 // seconds per step
	TOTPDigits     = 6
	totpSecretSize = 20
	// minTOTPSecret is RFC 4226's minimum shared secret length (128 bits).
	minTOTPSecret = 16
)

// ErrTOTPAccount: NewTOTP needs an issuer and an account name.
var ErrTOTPAccount = errors.New("credential: TOTP needs an issuer and an account name")

// NewTOTP makes a TOTP secret for account (shown in the authenticator app
// under issuer) and the otpauth:// URL to show as a QR code. The secret is
// unpadded base32; store it encrypted or at least out of logs, and only
// after the user has proved with a first code that the app has it.
func NewTOTP(issuer, account string, rand io.Reader) (secret, otpauthURL string, err error) {
	if issuer == "" || account == "" {
		return "", "", ErrTOTPAccount
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: TOTPPeriod, SecretSize: totpSecretSize,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: randOrDefault(rand),
	})
	if err != nil {
		return "", "", fmt.Errorf("credential: generating TOTP secret: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// ValidateTOTP checks a 6-digit code against secret at now, accepting one
// step of clock skew either way. A step at or before lastStep is refused,
// so a code cannot be used twice (nor an older one after a newer): on
// success, store the returned step as the new lastStep (0 for a new
// secret). A malformed code or secret is simply not ok.
func ValidateTOTP(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	return validateTOTP(secret, code, now, lastStep, otp.DigitsSix)
}

func validateTOTP(secret, code string, now time.Time, lastStep int64, digits otp.Digits) (int64, bool) {
	if len(code) != digits.Length() || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	key, err := decodeTOTPSecret(secret)
	if err != nil || len(key) < minTOTPSecret {
		return 0, false
	}
	norm := b32.EncodeToString(key)
	unix := now.Unix()
	if unix < 0 {
		return 0, false
	}
	current := unix / TOTPPeriod
	var found int64
	matched := false
	// Every candidate is computed and compared so the time taken does not
	// depend on which one matches.
	for s := current - 1; s <= current+1; s++ {
		if s < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(norm, uint64(s), hotp.ValidateOpts{Digits: digits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && s > lastStep {
			found, matched = s, true
		}
	}
	return found, matched
}

// decodeTOTPSecret decodes base32 as authenticator apps write it: any case,
// padding optional, spaces ignored.
func decodeTOTPSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	s = strings.TrimRight(s, "=")
	return b32.DecodeString(s)
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)
