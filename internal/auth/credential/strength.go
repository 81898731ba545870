package credential

import (
	_ "embed"
	"errors"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

var (
	// ErrPasswordTooShort: fewer than MinPasswordChars characters.
	ErrPasswordTooShort = errors.New("credential: password is shorter than 12 characters")
	// ErrPasswordTrivial: a repetition, a run of the alphabet, digits or
	// keyboard, or too few different characters.
	ErrPasswordTrivial = errors.New("credential: password is a trivial pattern")
	// ErrPasswordCommon: a well-known password, possibly with digits or
	// symbols around it or common letter substitutions.
	ErrPasswordCommon = errors.New("credential: password is too common")
)

// minDistinct is the fewest different characters a password may have.
const minDistinct = 5

// CheckStrength applies the rules for a newly chosen password, in the
// spirit of NIST SP 800-63B: length, no trivial patterns and no common
// passwords, but no composition rules (no "one digit and one symbol").
// Length is counted in characters, not bytes. Errors never contain the
// password.
func CheckStrength(pw string) error {
	if err := checkLength(pw); err != nil {
		return err
	}
	if utf8.RuneCountInString(pw) < MinPasswordChars {
		return ErrPasswordTooShort
	}
	lower := strings.ToLower(pw)
	if trivial(lower) {
		return ErrPasswordTrivial
	}
	if common(lower) {
		return ErrPasswordCommon
	}
	return nil
}

// sequences are runs people type instead of passwords; a password that is
// a substring of one of them (repeated, or backwards) is trivial.
var sequences = []string{
	"abcdefghijklmnopqrstuvwxyz",
	"0123456789",
	"qwertyuiopasdfghjklzxcvbnm",
	"azertyuiopqsdfghjklmwxcvbn",
	"qwertzuiopasdfghjklyxcvbnm",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
	"1q2w3e4r5t6y7u8i9o0p",
	"!@#$%^&*()_+",
}

func trivial(s string) bool {
	distinct := make(map[rune]bool, minDistinct)
	for _, r := range s {
		if distinct[r] = true; len(distinct) >= minDistinct {
			break
		}
	}
	if len(distinct) < minDistinct {
		return true
	}
	// Any period up to half the length: "abcabcabcabc", "passwordpassword".
	for p := 1; p <= len(s)/2; p++ {
		if s[p:] == s[:len(s)-p] {
			return true
		}
	}
	for _, seq := range sequences {
		run := strings.Repeat(seq, len(s)/len(seq)+2)
		if strings.Contains(run, s) || strings.Contains(run, reverse(s)) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

//go:embed common-passwords.txt
var commonText string

var commonSet = sync.OnceValue(func() map[string]bool {
	set := make(map[string]bool, 256)
	for line := range strings.Lines(commonText) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			set[line] = true
		}
	}
	return set
})

// Letter substitutions, with "1" read as i and as l.
var leets = []*strings.Replacer{
	strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s", "!", "i"),
	strings.NewReplacer("0", "o", "1", "l", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s", "!", "l"),
}

func notLetter(r rune) bool { return !unicode.IsLetter(r) }

// common reports whether the lower-cased password is in the list as is,
// with digits and symbols around it removed, or after undoing letter
// substitutions ("P@ssw0rd2024!" is "password").
func common(lower string) bool {
	set := commonSet()
	right := strings.TrimRightFunc(lower, notLetter)
	core := strings.TrimLeftFunc(right, notLetter)
	cands := []string{lower, core}
	for _, l := range leets {
		cands = append(cands, l.Replace(lower), l.Replace(core), strings.TrimFunc(l.Replace(right), notLetter))
	}
	for _, c := range cands {
		if set[c] {
			return true
		}
	}
	return false
}
