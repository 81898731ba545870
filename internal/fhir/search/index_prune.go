package search

import "strings"

// idxBranches splits a search expression into its top-level union
// branches and keeps those that can apply to resource type rt.
//
// Shared parameters are written as unions over every type they serve
// ("Patient.address | Person.address | Practitioner.address |
// RelatedPerson.address"); evaluating the branches of other types only
// costs time, and the indexer runs on every write. Evaluating the kept
// branches separately also skips the engine's union de-duplication, which
// compares every pair of items (seconds for a ValueSet with thousands of
// codes); Extract de-duplicates entries itself.
//
// A branch is dropped only when it is rooted exclusively at other resource
// types; branches with no resource-type root (Resource.id, %resource...,
// value.as(Quantity)) are kept. It returns nil when nothing is left, and
// the whole expression as one branch when it cannot be split.
func idxBranches(expr, rt string, isType func(string) bool) []string {
	branches := idxSplitUnion(expr)
	if len(branches) == 0 {
		return []string{expr}
	}
	var kept []string
	for _, b := range branches {
		b = strings.TrimSpace(b)
		roots := idxRoots(b, isType)
		if len(roots) == 0 {
			kept = append(kept, b)
			continue
		}
		for _, r := range roots {
			if r == rt {
				kept = append(kept, b)
				break
			}
		}
	}
	return kept
}

// idxSplitUnion splits expr at '|' operators outside parentheses,
// brackets, braces, string literals and delimited identifiers. It returns
// nil when the text is unbalanced, so the caller keeps it whole and the
// compiler reports the real error.
func idxSplitUnion(expr string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; c {
		case '\'', '`':
			j := idxSkipQuoted(expr, i)
			if j < 0 {
				return nil
			}
			i = j
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth < 0 {
				return nil
			}
		case '|':
			if depth == 0 {
				out = append(out, expr[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil
	}
	return append(out, expr[start:])
}

// idxSkipQuoted returns the index of the quote closing the literal that
// opens at i, honouring backslash escapes, or -1.
func idxSkipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j
		}
	}
	return -1
}

// idxRoots returns the resource type names that start a path in branch:
// an identifier that is a resource type, directly followed by '.', and not
// itself preceded by '.' (which would make it an element name).
func idxRoots(branch string, isType func(string) bool) []string {
	var roots []string
	for i := 0; i < len(branch); i++ {
		c := branch[i]
		if c == '\'' || c == '`' {
			j := idxSkipQuoted(branch, i)
			if j < 0 {
				return roots
			}
			i = j
			continue
		}
		if !idxIdentStart(c) {
			continue
		}
		j := i + 1
		for j < len(branch) && idxIdentPart(branch[j]) {
			j++
		}
		word := branch[i:j]
		prev := idxPrevNonSpace(branch, i)
		if j < len(branch) && branch[j] == '.' && prev != '.' && prev != '%' && isType(word) {
			roots = append(roots, word)
		}
		i = j - 1
	}
	return roots
}

func idxPrevNonSpace(s string, i int) byte {
	for i--; i >= 0; i-- {
		if s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' {
			return s[i]
		}
	}
	return 0
}

func idxIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func idxIdentPart(c byte) bool { return idxIdentStart(c) || (c >= '0' && c <= '9') }
