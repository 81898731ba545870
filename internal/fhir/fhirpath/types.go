package fhirpath

import (
	"errors"
	"fmt"
)

var systemTypes = map[string]bool{
	"Boolean": true, "String": true, "Integer": true, "Decimal": true, "Date": true,
	"DateTime": true, "Time": true, "Quantity": true, "Any": true,
}

// isSubtype reports whether FHIR type t is name or derives from it.
func isSubtype(m Model, t, name string) bool {
	for i := 0; t != "" && i < 32; i++ {
		if t == name {
			return true
		}
		if m == nil {
			return false
		}
		t = m.BaseType(t)
	}
	return false
}

// knownType reports whether a type name can be checked; unknown names are errors.
func knownType(m Model, ts typeSpec) bool {
	switch ts.ns {
	case "System":
		return true // System.X for an unknown X simply never matches
	case "", "FHIR":
		if ts.ns == "" && systemTypes[ts.name] {
			return true
		}
		if m == nil || isPrimitiveType(ts.name) {
			return true
		}
		switch ts.name {
		case "Resource", "Element", "Base", "BackboneElement", "DomainResource":
			return true
		}
		return m.BaseType(ts.name) != ""
	}
	return false
}

// matchesType implements the type test behind is/as/ofType. With exact, FHIR
// primitives must match their own type name (the suite: gender.is(string)
// is true but gender.as(string) and ofType(string) are empty).
func matchesType(m Model, it Item, ts typeSpec, exact bool) bool {
	if it.Type == "" {
		if ts.ns == "FHIR" {
			return false
		}
		return systemTypeName(it.Value) == ts.name
	}
	if ts.ns == "System" {
		return false
	}
	if exact && isPrimitiveType(it.Type) {
		// FHIR primitives match exactly: a code is not "as(string)"
		return it.Type == ts.name
	}
	if isSubtype(m, it.Type, ts.name) {
		return true
	}
	// a resource or Element always is a Base/Resource/Element in the FHIR namespace
	switch ts.name {
	case "Base":
		return true
	case "Element":
		return !isResourceItem(it)
	case "Resource":
		return isResourceItem(it)
	}
	return false
}

func isResourceItem(it Item) bool {
	m, ok := it.Value.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m["resourceType"].(string)
	return ok
}

func checkType(c *evalCtx, ts typeSpec) error {
	if !knownType(c.env.model, ts) {
		return fmt.Errorf("unknown type %s", ts)
	}
	return nil
}

func isOp(c *evalCtx, xs []Item, ts typeSpec) ([]Item, error) {
	if err := checkType(c, ts); err != nil {
		return nil, err
	}
	switch len(xs) {
	case 0:
		return nil, nil
	case 1:
		return boolResult(matchesType(c.env.model, xs[0], ts, false)), nil
	}
	return nil, errors.New("'is' on a collection of more than one item")
}

func asOp(c *evalCtx, xs []Item, ts typeSpec) ([]Item, error) {
	if err := checkType(c, ts); err != nil {
		return nil, err
	}
	if len(xs) > 1 && !c.env.opts.LenientAs {
		return nil, errors.New("'as' on a collection of more than one item")
	}
	return ofType(c, xs, ts), nil
}

func ofType(c *evalCtx, xs []Item, ts typeSpec) []Item {
	var out []Item
	for _, it := range xs {
		if matchesType(c.env.model, it, ts, true) {
			out = append(out, it)
		}
	}
	return out
}
