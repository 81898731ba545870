package scope

import "net/url"

// Grant returns the scopes to grant to a client that is allowed the scopes
// in allowed and asks for requested. It never grants more than was asked
// for nor more than is allowed. The rules:
//
//  1. Each requested resource scope R is intersected with every allowed
//     resource scope A of the same context (patient, user and system never
//     mix). The intersection is:
//     - type: R.Type if A.Type is "*" or equal to it; A.Type if R.Type is
//     "*"; otherwise empty and nothing is granted for this pair;
//     - permissions: R.Perms & A.Perms; nothing is granted if that is empty;
//     - query: the parameters of both R and A together (a scope that is
//     restricted on either side stays restricted; parameters present in
//     both keep the values of both, which FHIR search reads as AND).
//     Example: requested patient/*.cruds, allowed patient/Observation.rs →
//     patient/Observation.rs.
//  2. The results are deduplicated and a result is dropped when another
//     result of the same context with no query, or an equal query, covers
//     its type (same type or "*") and all its permissions.
//  3. A non-resource scope (openid, launch/patient, offline_access, custom
//     scopes) is granted when it was requested and allowed contains it
//     exactly.
//
// The returned Set is normalized (sorted, deduplicated) and each Raw is the
// canonical v2 form, since the client may not have written that scope.
// Which launch context goes with the grant is the caller's decision.
func Grant(requested, allowed Set) Set {
	var res []Scope
	for _, r := range requested.Resources {
		for _, a := range allowed.Resources {
			if sc, ok := intersect(r, a); ok {
				res = append(res, sc)
			}
		}
	}
	res = dropCovered(Set{Resources: res}.normalize().Resources)
	var out Set
	for _, sc := range res {
		sc.Raw = sc.String()
		out.Resources = append(out.Resources, sc)
	}
	for _, o := range requested.Other {
		if allowed.Has(o) {
			out.Other = append(out.Other, o)
		}
	}
	return out.normalize()
}

func intersect(r, a Scope) (Scope, bool) {
	if r.Context != a.Context {
		return Scope{}, false
	}
	sc := Scope{Context: r.Context}
	switch {
	case a.Type == "*" || a.Type == r.Type:
		sc.Type = r.Type
	case r.Type == "*":
		sc.Type = a.Type
	default:
		return Scope{}, false
	}
	sc.Perms = r.Perms & a.Perms
	if sc.Perms == 0 {
		return Scope{}, false
	}
	sc.Query = mergeQuery(r.Query, a.Query)
	return sc, true
}

// mergeQuery returns a new query with the parameters of both (nil if both
// are empty). normalize sorts and deduplicates the values later.
func mergeQuery(a, b url.Values) url.Values {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := cloneQuery(a)
	if out == nil {
		out = url.Values{}
	}
	for k, v := range b {
		out[k] = append(out[k], v...)
	}
	return out
}

// dropCovered removes every scope covered by another one (rule 2). The
// input is deduplicated, so two scopes never cover each other.
func dropCovered(scs []Scope) []Scope {
	var out []Scope
	for i, x := range scs {
		covered := false
		for j, y := range scs {
			if i != j && covers(y, x) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, x)
		}
	}
	return out
}

func covers(y, x Scope) bool {
	return y.Context == x.Context &&
		(y.Type == "*" || y.Type == x.Type) &&
		x.Perms&^y.Perms == 0 &&
		(len(y.Query) == 0 || queryEqual(y.Query, x.Query))
}
