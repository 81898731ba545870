package scope

import (
	"net/url"
	"sort"
	"strings"
)

// Context is the first part of a SMART resource scope: whose data the scope
// is about.
type Context string

// The three SMART scope contexts.
const (
	// Patient scopes cover the data of the patient in context.
	Patient Context = "patient"
	// User scopes cover whatever the signed-in user may see.
	User Context = "user"
	// System scopes are for backend services without a user.
	System Context = "system"
)

func (c Context) valid() bool {
	return c == Patient || c == User || c == System
}

// Perm is a set of SMART v2 permissions as bit flags.
type Perm uint8

// The SMART v2 permissions, in their canonical order c r u d s.
const (
	Create Perm = 1 << iota
	Read
	Update
	Delete
	Search

	// AllPerms is c+r+u+d+s, the v2 meaning of v1 "*".
	AllPerms = Create | Read | Update | Delete | Search
)

// permLetters lists the permissions in the order SMART v2 requires.
var permLetters = [...]struct {
	p Perm
	c byte
}{{Create, 'c'}, {Read, 'r'}, {Update, 'u'}, {Delete, 'd'}, {Search, 's'}}

// String returns the v2 letters of p in canonical order, e.g. "rs".
func (p Perm) String() string {
	var b strings.Builder
	for _, l := range permLetters {
		if p&l.p != 0 {
			b.WriteByte(l.c)
		}
	}
	return b.String()
}

// Scope is one SMART resource scope such as patient/Observation.rs.
type Scope struct {
	Context
	// Type is a FHIR resource type name or "*".
	Type string
	// Perms is never zero in a parsed scope.
	Perms Perm
	// Query holds the v2 "?param=value&..." restriction, nil when absent.
	// Parse sorts and deduplicates the values of each parameter. Several
	// values of one parameter mean AND, as repeated FHIR search parameters do.
	Query url.Values
	// Raw is the token as the client wrote it (v1 or v2). It is informative
	// only and is ignored by Equal and String.
	Raw string
}

// String returns the canonical v2 form of s: context/Type.perms, followed
// by the query (names sorted, values sorted and deduplicated) when there is
// one.
func (s Scope) String() string {
	out := string(s.Context) + "/" + s.Type + "." + s.Perms.String()
	if len(s.Query) > 0 {
		out += "?" + encodeQuery(s.Query)
	}
	return out
}

// Equal reports whether s and o mean the same scope (Raw is ignored).
func (s Scope) Equal(o Scope) bool {
	return s.Context == o.Context && s.Type == o.Type && s.Perms == o.Perms && queryEqual(s.Query, o.Query)
}

// queryEqual compares two queries; nil and empty are equal.
func queryEqual(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if av[i] != bv[i] {
				return false
			}
		}
	}
	return true
}

// cloneQuery returns a deep copy of q (nil stays nil).
func cloneQuery(q url.Values) url.Values {
	if q == nil {
		return nil
	}
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// normalizeQuery sorts and deduplicates the values of every parameter in
// place, so that equal restrictions compare and print equal.
func normalizeQuery(q url.Values) {
	for k, v := range q {
		sort.Strings(v)
		out := v[:0]
		for i, s := range v {
			if i == 0 || s != v[i-1] {
				out = append(out, s)
			}
		}
		q[k] = out
	}
}

// encodeQuery prints q with sorted names, escaping only what would change
// the meaning on re-parsing (or is not allowed in an OAuth scope token), so
// that the common case stays readable:
// category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory.
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := sortedUnique(append([]string(nil), q[k]...))
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			escapeTo(&b, k)
			b.WriteByte('=')
			escapeTo(&b, v)
		}
	}
	return b.String()
}

const hexDigits = "0123456789ABCDEF"

func escapeTo(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if tokenChar(c) && !strings.ContainsRune("%&=+#;?", rune(c)) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
}

// tokenChar reports whether c may appear in an OAuth scope token
// (RFC 6749 section 3.3: %x21 / %x23-5B / %x5D-7E).
func tokenChar(c byte) bool {
	return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\'
}
