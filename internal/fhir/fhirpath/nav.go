package fhirpath

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// memberNode navigates to child elements named `name` of every focus item.
type memberNode struct {
	focus node // nil: a bare identifier evaluated against the input collection
	name  string
	cache atomic.Pointer[navCache]
	mu    sync.Mutex // serialises cache growth; readers never lock
}

// navCache memoises Model lookups per parent type for one Model.
type navCache struct {
	model  Model
	byType map[string]*navInfo
}

type childKey struct {
	key, extKey, typ string
	primitive        bool
}

type navInfo struct {
	keys      []childKey // one for a plain element, one per type for a choice element
	known     bool       // the model knows the element
	choiceKey bool       // name is a concrete choice key (valueQuantity)
	// isType: the parent type is, or derives from, the type this (capitalised,
	// bare) identifier names.
	isType bool
}

func (n *memberNode) info(m Model, parentType string) *navInfo {
	if cur := n.cache.Load(); cur != nil && cur.model == m {
		if ni, ok := cur.byType[parentType]; ok {
			return ni
		}
	}
	ni := buildNavInfo(m, parentType, n.name)
	n.mu.Lock()
	defer n.mu.Unlock()
	cur := n.cache.Load()
	next := &navCache{model: m, byType: map[string]*navInfo{}}
	if cur != nil && cur.model == m {
		if len(cur.byType) > 256 { // bound the memo for pathological inputs
			return ni
		}
		for k, v := range cur.byType {
			next.byType[k] = v
		}
	}
	next.byType[parentType] = ni
	n.cache.Store(next)
	return ni
}

func buildNavInfo(m Model, parentType, name string) *navInfo {
	ni := &navInfo{}
	if c := name[0]; c >= 'A' && c <= 'Z' { // names are never empty (the lexer rejects ``)
		ni.isType = isSubtype(m, parentType, name)
	}
	if m == nil || parentType == "" {
		ni.keys = []childKey{{key: name, extKey: "_" + name}}
		return ni
	}
	if t, _, ok := m.ChildType(parentType, name); ok {
		ni.known = true
		ni.keys = []childKey{{key: name, extKey: "_" + name, typ: t, primitive: isPrimitiveType(t)}}
		// a concrete choice key such as valueQuantity: find a proper prefix that is a choice element
		for i := 1; i < len(name); i++ {
			if name[i] >= 'A' && name[i] <= 'Z' && m.ChoiceTypes(parentType, name[:i]) != nil {
				ni.choiceKey = true
				break
			}
		}
		return ni
	}
	if choices := m.ChoiceTypes(parentType, name); choices != nil {
		ni.known = true
		for _, t := range choices {
			k := name + strings.ToUpper(t[:1]) + t[1:]
			ni.keys = append(ni.keys, childKey{key: k, extKey: "_" + k, typ: t, primitive: isPrimitiveType(t)})
		}
		return ni
	}
	// unknown to the model: still look the key up, untyped
	ni.keys = []childKey{{key: name, extKey: "_" + name}}
	return ni
}

func (n *memberNode) eval(c *evalCtx, in []Item) ([]Item, error) {
	focus := in
	if n.focus != nil {
		var err error
		if focus, err = n.focus.eval(c, in); err != nil {
			return nil, err
		}
	} else if first := n.name[0]; first >= 'A' && first <= 'Z' {
		// A bare capitalised identifier names a type: it selects the context
		// items of that type (Patient.name on a Patient).
		var out []Item
		for _, it := range in {
			if it.Type != "" && n.info(c.env.model, it.Type).isType {
				out = append(out, it)
			}
		}
		if out == nil && c.env.opts.Strict && len(in) > 0 {
			return nil, fmt.Errorf("%w: the context is not a %s", ErrSemantic, n.name)
		}
		return out, nil
	}
	strict := c.env.opts.Strict && c.env.model != nil
	if strict {
		if err := n.staticCheck(c.env.model); err != nil {
			return nil, err
		}
	}
	var out []Item
	known, typed := false, 0
	for _, it := range focus {
		var ni *navInfo
		out, ni = n.navigate(c, it, out)
		if ni != nil && it.Type != typeInfoType {
			typed++
			known = known || ni.known
			if strict && ni.choiceKey {
				return nil, fmt.Errorf("%w: use %s.ofType() instead of the concrete name %s", ErrSemantic, it.Type, n.name)
			}
		}
	}
	// In strict mode an element no item's type defines is an error (a
	// mixed collection such as descendants() only needs one type that has it).
	if strict && typed > 0 && typed == len(focus) && !known {
		return nil, fmt.Errorf("%w: %s has no element %s", ErrSemantic, focus[0].Type, n.name)
	}
	return out, nil
}

// staticCheck catches navigation after an explicit type cast to a type that
// lacks the element: (value as Period).unit.
func (n *memberNode) staticCheck(m Model) error {
	var ts typeSpec
	switch f := n.focus.(type) {
	case *typeOpNode:
		if f.op != "as" {
			return nil
		}
		ts = f.ts
	case *funcNode:
		if f.name != "as" && f.name != "ofType" {
			return nil
		}
		ts = f.ts
	default:
		return nil
	}
	if ts.ns == "System" || m.BaseType(ts.name) == "" {
		return nil
	}
	if _, _, ok := m.ChildType(ts.name, n.name); ok || m.ChoiceTypes(ts.name, n.name) != nil {
		return nil
	}
	return fmt.Errorf("%w: %s has no element %s", ErrSemantic, ts, n.name)
}

// navigate appends the children named n.name of it; the navInfo is nil when
// the item is not a typed complex value.
func (n *memberNode) navigate(c *evalCtx, it Item, out []Item) ([]Item, *navInfo) {
	m, ok := it.Value.(map[string]any)
	if !ok {
		// primitives expose only their id and extensions (from the _name sibling)
		if it.Type != "" && it.Ext != nil && (n.name == "extension" || n.name == "id") {
			t := "Extension"
			if n.name == "id" {
				t = "string"
			}
			return appendJSON(out, it.Ext[n.name], nil, t, t == "string"), nil
		}
		return out, nil
	}
	ni := n.info(c.env.model, it.Type)
	for i := range ni.keys {
		k := &ni.keys[i]
		v, has := m[k.key]
		var ext any
		if k.primitive || k.typ == "" {
			ext = m[k.extKey]
		}
		if !has && ext == nil {
			continue
		}
		out = appendJSON(out, v, ext, k.typ, k.primitive || k.typ == "")
	}
	if c.env.model == nil || it.Type == "" {
		return out, nil
	}
	return out, ni
}

// appendJSON adds the items for one JSON element value (flattening arrays)
// with the parallel primitive-extension value ext.
func appendJSON(out []Item, v, ext any, typ string, primitive bool) []Item {
	if arr, ok := v.([]any); ok {
		extArr, _ := ext.([]any)
		out = slices.Grow(out, len(arr))
		for i, e := range arr {
			var x any
			if i < len(extArr) {
				x = extArr[i]
			}
			out = appendOne(out, e, x, typ, primitive)
		}
		// extensions without any value array
		return out
	}
	if v == nil {
		if extArr, ok := ext.([]any); ok {
			for _, x := range extArr {
				out = appendOne(out, nil, x, typ, primitive)
			}
			return out
		}
	}
	return appendOne(out, v, ext, typ, primitive)
}

func appendOne(out []Item, v, ext any, typ string, primitive bool) []Item {
	var em map[string]any
	if primitive {
		em, _ = ext.(map[string]any)
	}
	if v == nil && em == nil {
		return out
	}
	if m, ok := v.(map[string]any); ok {
		if rt, ok := m["resourceType"].(string); ok {
			typ = rt
		} else if typ == "" {
			typ = "Element"
		}
		return append(out, Item{Type: typ, Value: m})
	}
	if typ == "" {
		typ = guessPrimitive(v)
	}
	return append(out, Item{Type: typ, Value: v, Ext: em})
}

func guessPrimitive(v any) string {
	switch x := v.(type) {
	case bool:
		return "boolean"
	case json.Number:
		if strings.ContainsAny(string(x), ".eE") {
			return "decimal"
		}
		return "integer"
	case float64:
		return "decimal"
	}
	return "string"
}

// primitiveBase maps every R4 primitive type to the System type it carries.
var primitiveBase = map[string]string{
	"boolean": "Boolean", "integer": "Integer", "positiveInt": "Integer", "unsignedInt": "Integer", "integer64": "Integer",
	"decimal": "Decimal", "date": "Date", "dateTime": "DateTime", "instant": "DateTime", "time": "Time",
	"string": "String", "code": "String", "id": "String", "uri": "String", "url": "String", "canonical": "String",
	"oid": "String", "uuid": "String", "markdown": "String", "base64Binary": "String", "xhtml": "String",
}

func isPrimitiveType(t string) bool { _, ok := primitiveBase[t]; return ok }

var quantityTypes = map[string]bool{
	"Quantity": true, "Age": true, "Duration": true, "Distance": true, "Count": true,
	"SimpleQuantity": true, "MoneyQuantity": true,
}

// sysValue converts an item to its System value: bool, int64, string,
// Decimal, DateTime or Quantity. ok is false for complex values and for
// primitives that carry only extensions.
func sysValue(it Item) (any, bool) {
	if it.Type == "" {
		return it.Value, it.Value != nil
	}
	switch v := it.Value.(type) {
	case string:
		switch primitiveBase[it.Type] {
		case "Date":
			if d, ok := ParseDate(v, KindDate); ok {
				return d, true
			}
			if d, ok := ParseDate(v, KindDateTime); ok {
				return d, true
			}
			return v, true
		case "DateTime":
			if d, ok := ParseDate(v, KindDateTime); ok {
				return d, true
			}
			return v, true
		case "Time":
			if d, ok := ParseDate(v, KindTime); ok {
				return d, true
			}
			return v, true
		case "Integer":
			if d, ok := ParseDecimal(v); ok && d.rat().IsInt() {
				return d.rat().Num().Int64(), true
			}
		case "Decimal":
			if d, ok := ParseDecimal(v); ok {
				return d, true
			}
		}
		return v, true
	case bool:
		return v, true
	case json.Number:
		if primitiveBase[it.Type] == "Integer" {
			if i, err := v.Int64(); err == nil {
				return i, true
			}
		}
		if d, ok := ParseDecimal(string(v)); ok {
			if primitiveBase[it.Type] == "Integer" && d.rat().IsInt() {
				return d.rat().Num().Int64(), true
			}
			return d, true
		}
		return nil, false
	case float64:
		return decimalFromFloat(v, 0), true
	case map[string]any:
		if q, ok := fhirQuantity(it); ok {
			return q, true
		}
	}
	return nil, false
}

// fhirQuantity reads a FHIR Quantity (or subtype) node as a System Quantity,
// preferring the UCUM code over the display unit.
func fhirQuantity(it Item) (Quantity, bool) {
	m, ok := it.Value.(map[string]any)
	if !ok || !quantityTypes[it.Type] {
		return Quantity{}, false
	}
	var d Decimal
	switch v := m["value"].(type) {
	case json.Number:
		if d, ok = ParseDecimal(string(v)); !ok {
			return Quantity{}, false
		}
	case float64:
		d = decimalFromFloat(v, 0)
	default:
		return Quantity{}, false
	}
	unit, _ := m["code"].(string)
	if sys, _ := m["system"].(string); unit != "" && sys != "" && sys != "http://unitsofmeasure.org" {
		unit = ""
	}
	if unit == "" {
		unit, _ = m["unit"].(string)
	}
	if unit == "" {
		unit = "1"
	}
	return Quantity{Value: d, Unit: unit}, true
}
