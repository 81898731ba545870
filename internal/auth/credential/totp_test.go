package credential

import (
	"encoding/base32"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// rfcSecret is RFC 6238's SHA-1 key, "12345678901234567890", in base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestTOTPRFC6238Vectors(t *testing.T) {
	tests := []struct {
		unix int64
		code string // 8 digits, RFC 6238 appendix B, SHA1
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tt := range tests {
		now := time.Unix(tt.unix, 0)
		wantStep := tt.unix / 30
		step, ok := validateTOTP(rfcSecret, tt.code, now, 0, otp.DigitsEight)
		if !ok || step != wantStep {
			t.Errorf("8 digits at %d: step %d ok %v, want step %d", tt.unix, step, ok, wantStep)
		}
		// Six digits are the low digits of the same value.
		step, ok = ValidateTOTP(rfcSecret, tt.code[2:], now, 0)
		if !ok || step != wantStep {
			t.Errorf("6 digits at %d: step %d ok %v, want step %d", tt.unix, step, ok, wantStep)
		}
	}
}

func TestValidateTOTP(t *testing.T) {
	// "287082" is the code of step 1 (seconds 30-59).
	const code = "287082"
	tests := []struct {
		name     string
		secret   string
		code     string
		unix     int64
		lastStep int64
		step     int64
		ok       bool
	}{
		{"current step", rfcSecret, code, 59, 0, 1, true},
		{"lower-case padded secret", "gezdgnbvgy3tqojqgezdgnbvgy3tqojq", code, 45, 0, 1, true},
		{"secret with spaces", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", code, 45, 0, 1, true},
		{"one step late", rfcSecret, code, 60, 0, 1, true},
		{"one step early", rfcSecret, code, 29, 0, 1, true},
		{"two steps late", rfcSecret, code, 90, 0, 0, false},
		{"replayed", rfcSecret, code, 59, 1, 0, false},
		{"older than the last used", rfcSecret, code, 61, 2, 0, false},
		{"wrong code", rfcSecret, "287083", 59, 0, 0, false},
		{"too short", rfcSecret, "28708", 59, 0, 0, false},
		{"eight digits", rfcSecret, "94287082", 59, 0, 0, false},
		{"not digits", rfcSecret, "28708a", 59, 0, 0, false},
		{"signed", rfcSecret, "+87082", 59, 0, 0, false},
		{"bad base32", "GEZDGNBV!Y3TQOJQ", code, 59, 0, 0, false},
		{"secret under 128 bits", "GEZDGNBVGY3TQOJQ", code, 59, 0, 0, false},
		{"empty secret", "", code, 59, 0, 0, false},
		{"before 1970", rfcSecret, code, -31, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := ValidateTOTP(tt.secret, tt.code, time.Unix(tt.unix, 0), tt.lastStep)
			if step != tt.step || ok != tt.ok {
				t.Errorf("ValidateTOTP = %d, %v; want %d, %v", step, ok, tt.step, tt.ok)
			}
		})
	}
}

func TestNewTOTP(t *testing.T) {
	secret, u, err := NewTOTP("Housecall", "ada@example.org", seq(0, 20))
	if err != nil {
		t.Fatal(err)
	}
	want := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(seqBytes(0, 20))
	if secret != want {
		t.Errorf("secret = %s, want %s", secret, want)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	if parsed.Scheme != "otpauth" || parsed.Host != "totp" || parsed.Path != "/Housecall:ada@example.org" ||
		q.Get("secret") != secret || q.Get("issuer") != "Housecall" || q.Get("digits") != "6" ||
		q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("otpauth URL = %s", u)
	}
	// What an authenticator app computes from it validates.
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	code, err := hotp.GenerateCodeCustom(secret, uint64(now.Unix()/30), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	if step, ok := ValidateTOTP(secret, code, now, 0); !ok || step != now.Unix()/30 {
		t.Errorf("ValidateTOTP of the app's code = %d, %v", step, ok)
	}

	for _, tc := range [][2]string{{"", "ada"}, {"Housecall", ""}} {
		if _, _, err := NewTOTP(tc[0], tc[1], nil); !errors.Is(err, ErrTOTPAccount) {
			t.Errorf("NewTOTP(%q, %q) error = %v", tc[0], tc[1], err)
		}
	}
	if s, _, err := NewTOTP("Housecall", "ada", failReader{}); err == nil || s != "" {
		t.Errorf("failing reader: %q, %v", s, err)
	}
	a, _, _ := NewTOTP("Housecall", "ada", nil)
	b, _, _ := NewTOTP("Housecall", "ada", nil)
	if a == b || len(a) != 32 {
		t.Errorf("random secrets %q and %q", a, b)
	}
}
