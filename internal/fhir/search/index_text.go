package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// idxNormalize folds text for string matching: lower case, accents removed
// (NFD decomposition minus combining marks: "Zoë" -> "zoe"), white space
// runs collapsed to one space and trimmed. The query side must apply the
// same function to search values, so it is the single definition.
//
// Letters that do not decompose (ø, ß, æ, ł) are only lower-cased.
func idxNormalize(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return idxNormalizeUnicode(s)
		}
	}
	return idxNormalizeASCII(s)
}

// idxNormalizeASCII handles the common case without allocating when the
// text is already folded.
func idxNormalizeASCII(s string) string {
	clean := true
	prevSpace := true // leading space must go
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			clean = false
		case idxASCIISpace(c):
			if prevSpace || c != ' ' {
				clean = false
			}
			prevSpace = true
			continue
		}
		prevSpace = false
	}
	if clean && (len(s) == 0 || s[len(s)-1] != ' ') {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if idxASCIISpace(c) {
			pendingSpace = b.Len() > 0
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func idxASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func idxNormalizeUnicode(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	pendingSpace := false
	for _, r := range d {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r):
			pendingSpace = b.Len() > 0
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	// Recompose what is left (e.g. Hangul, or marks that are not Mn) so
	// equal text always yields equal bytes.
	return norm.NFC.String(b.String())
}

// Normalize folds text the way string index entries are folded (Entry.Norm):
// lower case, accents removed, white space collapsed. Search values must be
// folded with it before they are compared with the index.
func Normalize(s string) string { return idxNormalize(s) }
