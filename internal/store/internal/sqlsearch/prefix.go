package sqlsearch

import (
	"unicode"
	"unicode/utf8"
)

// prefixUpper returns the smallest string above every string that starts
// with p (the last rune incremented), so that a prefix match becomes the
// index range [p, upper). ok is false when there is no such string: p is
// empty or ends with the largest rune.
func prefixUpper(p string) (string, bool) {
	r, size := utf8.DecodeLastRuneInString(p)
	if size == 0 || r == unicode.MaxRune || r == utf8.RuneError && size == 1 {
		return "", false
	}
	r++
	if r >= 0xD800 && r <= 0xDFFF { // surrogates are not valid in UTF-8
		r = 0xE000
	}
	return p[:len(p)-size] + string(r), true
}
