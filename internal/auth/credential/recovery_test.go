package credential

import (
	"bytes"
	"errors"
	"regexp"
	"testing"
)

var recoveryFormat = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)

func TestNewRecoveryCodes(t *testing.T) {
	plain, hashed, err := NewRecoveryCodes(10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) != 10 || len(hashed) != 10 {
		t.Fatalf("got %d codes and %d hashes", len(plain), len(hashed))
	}
	seen := map[string]bool{}
	for i, c := range plain {
		if !recoveryFormat.MatchString(c) {
			t.Errorf("code %d has the wrong format", i)
		}
		if seen[c] || seen[hashed[i]] {
			t.Errorf("code %d repeated", i)
		}
		seen[c], seen[hashed[i]] = true, true
		if len(hashed[i]) != 64 || hashed[i] == c {
			t.Errorf("hash %d is not a SHA-256 hex digest", i)
		}
		if got := MatchRecoveryCode(c, hashed); got != i {
			t.Errorf("MatchRecoveryCode(code %d) = %d", i, got)
		}
	}
	for _, n := range []int{0, -1, MaxRecoveryCodes + 1} {
		if _, _, err := NewRecoveryCodes(n, nil); !errors.Is(err, ErrRecoveryCount) {
			t.Errorf("NewRecoveryCodes(%d) error = %v", n, err)
		}
	}
	if p, _, err := NewRecoveryCodes(2, failReader{}); err == nil || p != nil {
		t.Errorf("failing reader: %v, %v", p, err)
	}
}

func TestMatchRecoveryCode(t *testing.T) {
	// Bytes 0..15 and 32..47 pick symbols 0..15 twice (only the low 5 bits count).
	r := bytes.NewReader(append(seqBytes(0, 16), seqBytes(32, 16)...))
	plain, hashed, err := NewRecoveryCodes(2, r)
	if err != nil {
		t.Fatal(err)
	}
	if plain[0] != "0123-4567-89AB-CDEF" || plain[1] != plain[0] {
		t.Fatalf("codes = %v", plain)
	}
	hashed[1] = "" // the second copy was used
	tests := []struct {
		typed string
		want  int
	}{
		{"0123-4567-89AB-CDEF", 0},
		{"0123456789abcdef", 0},
		{" 0123 4567 89ab cdef ", 0},
		{"OI23-4567-89AB-CDEF", 0},
		{"ol23-4567-89ab-cdef", 0},
		{"0123-4567-89AB-CDEE", -1},
		{"0123-4567-89AB-CDE", -1},
		{"0123-4567-89AB-CDEF0", -1},
		{"0123-4567-89AB-CDEU", -1},
		{"0123-4567-89AB-CDÉF", -1},
		{"", -1},
	}
	for _, tt := range tests {
		if got := MatchRecoveryCode(tt.typed, hashed); got != tt.want {
			t.Errorf("MatchRecoveryCode(%q) = %d, want %d", tt.typed, got, tt.want)
		}
	}
	if got := MatchRecoveryCode("0123-4567-89AB-CDEF", []string{"", ""}); got != -1 {
		t.Errorf("all used: %d", got)
	}
}
