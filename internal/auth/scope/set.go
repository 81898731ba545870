package scope

import (
	"net/url"
	"sort"
	"strings"
)

// Set is a parsed scope string: resource scopes and everything else.
type Set struct {
	Resources []Scope
	// Other holds non-resource scopes verbatim: openid, fhirUser, profile,
	// launch, launch/patient, launch/encounter, offline_access,
	// online_access and any custom scope.
	Other []string
}

// Allows reports whether the unrestricted resource scopes of context ctx
// grant every permission in p on resource type typ. Scopes for typ and for
// "*" count, and their permissions add up: patient/Observation.r plus
// patient/*.s allows Read|Search on Observation. Scopes with a query are
// ignored here; see Filters. A zero p is never allowed.
func (s Set) Allows(ctx Context, typ string, p Perm) bool {
	if p == 0 {
		return false
	}
	var have Perm
	for _, sc := range s.Resources {
		if len(sc.Query) == 0 && sc.matches(ctx, typ) {
			have |= sc.Perms
		}
	}
	return p&^have == 0
}

// Filters tells the access policy how to apply query-restricted scopes
// (SMART v2 "patient/Observation.rs?category=...").
//
// If unrestricted is true, Allows(ctx, typ, p) holds and filters is nil:
// no restriction applies. Otherwise filters lists, as copies, the queries of
// every restricted scope of context ctx that covers typ (or "*") and all of
// p by itself. Access is then allowed only to resources that match at least
// one filter (the filters are alternatives; the parameters inside one filter
// all apply, like a FHIR search). No filters means no access.
//
// Permissions are not added up across restricted scopes, so check one
// permission at a time for the most precise answer.
func (s Set) Filters(ctx Context, typ string, p Perm) (unrestricted bool, filters []url.Values) {
	if s.Allows(ctx, typ, p) {
		return true, nil
	}
	if p == 0 {
		return false, nil
	}
	for _, sc := range s.Resources {
		if len(sc.Query) > 0 && sc.matches(ctx, typ) && p&^sc.Perms == 0 {
			filters = append(filters, cloneQuery(sc.Query))
		}
	}
	return false, filters
}

func (sc Scope) matches(ctx Context, typ string) bool {
	return sc.Context == ctx && (sc.Type == "*" || sc.Type == typ)
}

// Has reports whether other is one of the non-resource scopes, compared
// exactly (Has("launch/patient"), Has("openid")).
func (s Set) Has(other string) bool {
	for _, o := range s.Other {
		if o == other {
			return true
		}
	}
	return false
}

// String returns the canonical scope string: every resource scope in its v2
// form and every other scope, deduplicated, sorted and joined by spaces.
// It parses back to an equal Set.
func (s Set) String() string {
	s = s.normalize()
	toks := make([]string, 0, len(s.Resources)+len(s.Other))
	for _, sc := range s.Resources {
		toks = append(toks, sc.String())
	}
	toks = append(toks, s.Other...)
	return strings.Join(sortedUnique(toks), " ")
}

// Contexts returns the distinct contexts of the resource scopes, sorted.
// The token endpoint uses it to decide which launch context it must supply
// (a patient scope needs a patient).
func (s Set) Contexts() []Context {
	seen := map[Context]bool{}
	var out []Context
	for _, sc := range s.Resources {
		if !seen[sc.Context] {
			seen[sc.Context] = true
			out = append(out, sc.Context)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Equal reports whether s and o hold the same scopes, ignoring order,
// duplicates and Raw.
func (s Set) Equal(o Set) bool {
	a, b := s.normalize(), o.normalize()
	if len(a.Resources) != len(b.Resources) || len(a.Other) != len(b.Other) {
		return false
	}
	for i := range a.Resources {
		if !a.Resources[i].Equal(b.Resources[i]) {
			return false
		}
	}
	for i := range a.Other {
		if a.Other[i] != b.Other[i] {
			return false
		}
	}
	return true
}

// normalize returns a copy of s with resource scopes sorted and
// deduplicated by canonical form (the first Raw wins) and Other sorted and
// deduplicated. Queries are copied and their values normalized.
func (s Set) normalize() Set {
	var out Set
	if len(s.Resources) > 0 {
		type keyed struct {
			key string
			sc  Scope
		}
		ks := make([]keyed, 0, len(s.Resources))
		seen := make(map[string]bool, len(s.Resources))
		for _, sc := range s.Resources {
			sc.Query = cloneQuery(sc.Query)
			normalizeQuery(sc.Query)
			if len(sc.Query) == 0 {
				sc.Query = nil
			}
			k := sc.String()
			if seen[k] {
				continue
			}
			seen[k] = true
			ks = append(ks, keyed{k, sc})
		}
		sort.Slice(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
		out.Resources = make([]Scope, len(ks))
		for i, k := range ks {
			out.Resources[i] = k.sc
		}
	}
	if len(s.Other) > 0 {
		out.Other = sortedUnique(append([]string(nil), s.Other...))
	}
	return out
}

// sortedUnique sorts toks in place and drops duplicates.
func sortedUnique(toks []string) []string {
	sort.Strings(toks)
	out := toks[:0]
	for i, t := range toks {
		if i == 0 || t != toks[i-1] {
			out = append(out, t)
		}
	}
	return out
}
