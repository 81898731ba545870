package credential

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// draws returns a reader yielding the given 64-bit values big-endian.
func draws(vals ...uint64) *bytes.Reader {
	var b []byte
	for _, v := range vals {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return bytes.NewReader(b)
}

func TestNewCodeRejectsBiasedDraws(t *testing.T) {
	const limit6 = 1_000_000
	bound6 := uint64(math.MaxUint64 - math.MaxUint64%limit6)
	tests := []struct {
		name   string
		digits int
		r      *bytes.Reader
		want   string
		err    error
	}{
		{"plain draw", 6, draws(123), "000123", nil},
		{"zero", 6, draws(0), "000000", nil},
		{"top of the unbiased range", 6, draws(bound6 - 1), "999999", nil},
		{"first biased value rejected", 6, draws(bound6, 5), "000005", nil},
		{"maximum rejected", 6, draws(math.MaxUint64, math.MaxUint64, 42), "000042", nil},
		{"eight digits", 8, draws(1234567890123), "90123", nil}, // checked below with padding
		{"eighteen digits", 18, draws(1), "000000000000000001", nil},
		{"source runs dry", 6, draws(math.MaxUint64), "", ErrRandom},
		{"too short", 5, draws(1), "", ErrCodeDigits},
		{"too long", 19, draws(1), "", ErrCodeDigits},
	}
	tests[5].want = "67890123"
	for _, tt := range tests {
		got, err := NewCode(tt.r, tt.digits)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("%s: NewCode = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
	if _, err := NewCode(bytes.NewReader(bytes.Repeat([]byte{0xff}, 8*200)), 6); !errors.Is(err, ErrRandom) {
		t.Errorf("constant biased source: %v", err)
	}
	if _, err := NewCode(failReader{}, 6); !errors.Is(err, ErrRandom) {
		t.Errorf("failing source: %v", err)
	}
}

// TestNewCodeUniform is a sanity check: with a fixed-seed generator, every
// digit position of 50,000 codes passes a chi-squared test.
func TestNewCodeUniform(t *testing.T) {
	src := rand.NewChaCha8([32]byte{1, 2, 3})
	const n, digits = 50_000, 6
	var counts [digits][10]int
	seen := make(map[string]bool, n)
	for range n {
		c, err := NewCode(src, digits)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != digits || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("bad code %q", c)
		}
		seen[c] = true
		for i := range digits {
			counts[i][c[i]-'0']++
		}
	}
	// 9 degrees of freedom; 27.88 is the 0.1% critical value.
	for pos, cs := range counts {
		chi := 0.0
		for _, c := range cs {
			d := float64(c) - n/10.0
			chi += d * d / (n / 10.0)
		}
		if chi > 27.88 {
			t.Errorf("position %d: chi-squared %.1f, counts %v", pos, chi, cs)
		}
	}
	// 50,000 draws from a million values: about 1,200 expected repeats.
	if dup := n - len(seen); dup < 900 || dup > 1600 {
		t.Errorf("%d repeated codes, want about 1,200", dup)
	}
	// The default source works too.
	if c, err := NewCode(nil, 8); err != nil || len(c) != 8 {
		t.Errorf("crypto/rand code %q, %v", c, err)
	}
}

func TestHashCode(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	h := HashCode("123456", key)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("housecall-code-v1\n123456"))
	if want := hex.EncodeToString(m.Sum(nil)); h != want {
		t.Errorf("HashCode = %s, want %s", h, want)
	}
	if HashCode("123457", key) == h {
		t.Error("different codes hash alike")
	}
	if HashCode("123456", []byte("another key, long enough")) == h {
		t.Error("different keys hash alike")
	}
	if strings.Contains(h, "123456") {
		t.Error("hash contains the code")
	}
	defer func() {
		if recover() == nil {
			t.Error("short key did not panic")
		}
	}()
	HashCode("123456", []byte("short"))
}

func TestEqualCode(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"123456", "123456", true},
		{"123456", "123457", false},
		{"123456", "12345", false},
		{"", "", true},
		{"", "0", false},
	}
	for _, tt := range tests {
		if got := EqualCode(tt.a, tt.b); got != tt.want {
			t.Errorf("EqualCode(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}
