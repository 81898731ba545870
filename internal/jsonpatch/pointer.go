package jsonpatch

import (
	"errors"
	"strings"
)

// parsePointer splits an RFC 6901 JSON pointer into unescaped reference
// tokens. The empty pointer designates the whole document (no tokens).
func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, errors.New("pointer must be empty or start with '/'")
	}
	parts := strings.Split(p[1:], "/")
	for i, part := range parts {
		if !strings.Contains(part, "~") {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(part); j++ {
			c := part[j]
			if c != '~' {
				b.WriteByte(c)
				continue
			}
			// Only ~0 and ~1 are escapes; decoding them in one left-to-right
			// pass gives "~01" -> "~1" as RFC 6901 section 4 requires.
			if j+1 >= len(part) || (part[j+1] != '0' && part[j+1] != '1') {
				return nil, errors.New("pointer has '~' not followed by '0' or '1'")
			}
			if part[j+1] == '0' {
				b.WriteByte('~')
			} else {
				b.WriteByte('/')
			}
			j++
		}
		parts[i] = b.String()
	}
	return parts, nil
}

// arrayIndex interprets a reference token against an array of length n.
// allowEnd permits index n and "-" (positions after the last element, valid
// only as an "add" target).
func arrayIndex(tok string, n int, allowEnd bool) (int, bool) {
	if tok == "-" {
		return n, allowEnd
	}
	if tok == "" || len(tok) > 10 || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	i := 0
	for k := 0; k < len(tok); k++ {
		c := tok[k]
		if c < '0' || c > '9' {
			return 0, false
		}
		i = i*10 + int(c-'0')
	}
	if i < n || (allowEnd && i == n) {
		return i, true
	}
	return 0, false
}

// isPrefix reports whether pointer a designates a proper ancestor of b.
func isProperPrefix(a, b []string) bool {
	if len(a) >= len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
