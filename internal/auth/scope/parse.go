package scope

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrInvalid is wrapped by every Parse error. The OAuth layer answers it
// with "invalid_scope".
var ErrInvalid = errors.New("invalid scope")

// Parse parses a space-separated OAuth scope string. Resource types are
// checked syntactically only ([A-Z][A-Za-z]+ or "*"); use ParseWith to check
// them against the server's list of resource types.
func Parse(s string) (Set, error) {
	return ParseWith(s, nil)
}

// ParseWith parses a space-separated OAuth scope string, accepting a
// resource type when isType reports true for it ("*" is always accepted).
// A nil isType means the syntactic check of Parse.
//
// Rules:
//   - Tokens are separated by one or more spaces; an empty string is an
//     empty Set. Every byte must be a space or allowed in an OAuth scope
//     token (RFC 6749 section 3.3: printable ASCII except '"' and '\'), so
//     control characters, tabs and non-ASCII bytes are errors.
//   - A token starting with "patient/", "user/" or "system/" is a resource
//     scope and must be well formed: Type.perms where perms is a non-empty
//     subset of c r u d s in that order (v2) or "read", "write", "*" (v1,
//     read = rs, write = cud, * = cruds). A v2 scope may end with
//     "?param=value&..." (both non-empty, percent-escapes allowed, ';'
//     not); v1 scopes may not.
//   - Every other token is kept verbatim in Set.Other (openid, fhirUser,
//     launch/patient, custom scopes, ...).
//
// The returned Set is normalized: resource scopes are sorted and
// deduplicated by canonical form (Raw keeps the first spelling), Other is
// sorted and deduplicated. Errors wrap ErrInvalid and name the bad token,
// with any query part elided because it may carry identifiers.
func ParseWith(s string, isType func(string) bool) (Set, error) {
	if isType == nil {
		isType = syntacticType
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && !tokenChar(c) {
			return Set{}, fmt.Errorf("%w: byte 0x%02x at offset %d is not allowed in a scope", ErrInvalid, c, i)
		}
	}
	var set Set
	for _, tok := range strings.Split(s, " ") {
		if tok == "" {
			continue
		}
		if !hasContextPrefix(tok) {
			set.Other = append(set.Other, tok)
			continue
		}
		sc, err := parseResource(tok, isType)
		if err != nil {
			return Set{}, fmt.Errorf("%w %q: %s", ErrInvalid, redact(tok), err)
		}
		set.Resources = append(set.Resources, sc)
	}
	return set.normalize(), nil
}

func hasContextPrefix(tok string) bool {
	ctx, _, ok := strings.Cut(tok, "/")
	return ok && Context(ctx).valid()
}

// redact drops the query of a scope token for error messages.
func redact(tok string) string {
	if i := strings.IndexByte(tok, '?'); i >= 0 {
		return tok[:i] + "?..."
	}
	return tok
}

// syntacticType accepts [A-Z][A-Za-z]+, the shape of FHIR resource type names.
func syntacticType(t string) bool {
	if len(t) < 2 || t[0] < 'A' || t[0] > 'Z' {
		return false
	}
	for i := 1; i < len(t); i++ {
		c := t[i]
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// parseResource parses a token known to start with a context prefix. Its
// errors are plain reasons; ParseWith adds the token and ErrInvalid.
func parseResource(tok string, isType func(string) bool) (Scope, error) {
	ctx, rest, _ := strings.Cut(tok, "/")
	sc := Scope{Context: Context(ctx), Raw: tok}
	rest, query, hasQuery := strings.Cut(rest, "?")
	typ, perms, ok := strings.Cut(rest, ".")
	if !ok {
		return Scope{}, errors.New(`missing ".permissions"`)
	}
	if typ != "*" && !isType(typ) {
		return Scope{}, errors.New("unknown resource type")
	}
	sc.Type = typ
	switch perms {
	case "read":
		sc.Perms = Read | Search
	case "write":
		sc.Perms = Create | Update | Delete
	case "*":
		sc.Perms = AllPerms
	default:
		p, err := parsePerms(perms)
		if err != nil {
			return Scope{}, err
		}
		sc.Perms = p
		if hasQuery {
			q, err := parseQuery(query)
			if err != nil {
				return Scope{}, fmt.Errorf("query: %s", err)
			}
			sc.Query = q
		}
		return sc, nil
	}
	if hasQuery {
		return Scope{}, errors.New("a query is only allowed with v2 permissions")
	}
	return sc, nil
}

// parsePerms parses v2 permissions: a non-empty subset of c r u d s in
// that order, no repetitions.
func parsePerms(s string) (Perm, error) {
	if s == "" {
		return 0, errors.New("empty permissions")
	}
	var p Perm
	next := 0 // index in permLetters of the first letter still allowed
	for i := 0; i < len(s); i++ {
		j := next
		for j < len(permLetters) && permLetters[j].c != s[i] {
			j++
		}
		if j == len(permLetters) {
			return 0, errors.New(`permissions must be a subset of "cruds" in that order, or read, write, *`)
		}
		p |= permLetters[j].p
		next = j + 1
	}
	return p, nil
}

// parseQuery parses a v2 scope restriction. Names and values must be
// non-empty after unescaping.
func parseQuery(s string) (url.Values, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	q, err := url.ParseQuery(s)
	if err != nil {
		return nil, errors.New("malformed parameters")
	}
	if len(q) == 0 {
		return nil, errors.New("no parameters")
	}
	for k, vs := range q {
		if k == "" {
			return nil, errors.New("empty parameter name")
		}
		for _, v := range vs {
			if v == "" {
				return nil, errors.New("empty parameter value")
			}
		}
	}
	normalizeQuery(q)
	return q, nil
}
