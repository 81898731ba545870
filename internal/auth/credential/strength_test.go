package credential

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckStrength(t *testing.T) {
	tests := []struct {
		pw   string
		want error
	}{
		{"", ErrPasswordEmpty},
		{strings.Repeat("ab1", 342), ErrPasswordTooLong},
		{"Sh0rt!pw", ErrPasswordTooShort},
		{"éàüöçñßøåæœ", ErrPasswordTooShort}, // 11 characters, 22 bytes
		{"aaaaaaaaaaaa", ErrPasswordTrivial},
		{"AAAAaaaaAAAA", ErrPasswordTrivial},
		{"abababababab", ErrPasswordTrivial},
		{"abcabcabcabc", ErrPasswordTrivial},
		{"xyz1!xyz1!xyz1!", ErrPasswordTrivial},
		{"Tr0ub4dor&3Tr0ub4dor&3", ErrPasswordTrivial},
		{"abcdefghijkl", ErrPasswordTrivial},
		{"lkjihgfedcba", ErrPasswordTrivial},
		{"xyzabcdefghi", ErrPasswordTrivial},
		{"123456789012", ErrPasswordTrivial},
		{"098765432109", ErrPasswordTrivial},
		{"QwertyUiopAS", ErrPasswordTrivial},
		{"1q2w3e4r5t6y", ErrPasswordTrivial},
		{"1qaz2wsx3edc", ErrPasswordTrivial},
		{"!@#$%^&*()_+", ErrPasswordTrivial},
		{"password2024!", ErrPasswordCommon},
		{"P@ssw0rd2024!", ErrPasswordCommon},
		{"1loveyou2024", ErrPasswordCommon},
		{"Iloveyou!!!!", ErrPasswordCommon},
		{"!!dragon2024!!", ErrPasswordCommon},
		{"1etmein12345", ErrPasswordCommon},
		{"Welcome123456", ErrPasswordCommon},
		{"housecall123!", ErrPasswordCommon},
		{"Telehealth2025", ErrPasswordCommon},
		{"correct horse battery staple", nil},
		{"gT7#kq9!Lm2$", nil},
		{"847261950384", nil},
		{"my cat eats tulips", nil},
		{"ñandú-çöğüşıé", nil},
		{"password manager says hi", nil},
		{strings.Repeat("x", 500) + "different at the end", nil},
	}
	for _, tt := range tests {
		err := CheckStrength(tt.pw)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("CheckStrength(%.30q) = %v, want %v", tt.pw, err, tt.want)
		}
		if err != nil && tt.pw != "" && strings.Contains(err.Error(), tt.pw) {
			t.Errorf("error %q contains the password", err)
		}
	}
}

func TestCommonListLoaded(t *testing.T) {
	set := commonSet()
	if n := len(set); n < 190 {
		t.Errorf("common password list has %d entries, want about 200", n)
	}
	for _, pw := range []string{"123456", "password", "qwerty", "iloveyou", "housecall"} {
		if !set[pw] {
			t.Errorf("%q missing from the list", pw)
		}
	}
	for pw := range set {
		if pw != strings.ToLower(pw) || strings.HasPrefix(pw, "#") {
			t.Errorf("list entry %q is not a lower-case password", pw)
		}
	}
}
