package fhir

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// maxIssues caps the report; the last slot says that more were found.
const maxIssues = 100

// Validate checks a decoded resource against the R4 definitions: known
// elements, cardinality, primitive formats, required code bindings,
// reference shapes, contained and nested resources, extensions. It does not
// evaluate FHIRPath invariants. expectedType "" accepts any resource type.
// It returns every issue found (at most 100), sorted by location.
func Validate(res map[string]any, expectedType string) []Issue {
	v := validator{d: getDefs(), path: make([]seg, 0, 16)}
	v.resource(res, expectedType, modeRoot)
	if len(v.issues) == 0 {
		return nil
	}
	slices.SortStableFunc(v.issues, func(a, b Issue) int {
		return cmp.Or(strings.Compare(a.Expression, b.Expression), strings.Compare(a.Code, b.Code),
			strings.Compare(a.Diagnostics, b.Diagnostics))
	})
	if v.truncated {
		v.issues = append(v.issues, Issue{Severity: "error", Code: "too-costly",
			Diagnostics: "too many issues: only the first " + strconv.Itoa(maxIssues-1) + " are reported"})
	}
	return v.issues
}

type resourceMode uint8

const (
	modeRoot      resourceMode = iota
	modeContained              // in a contained list: R4 restricts these
	modeNested                 // Bundle.entry.resource, Parameters.parameter.resource, ...
)

// seg is one step of the current location: a name, or an index (idx >= 0).
type seg struct {
	name string
	idx  int
}

type validator struct {
	d         *defs
	path      []seg
	issues    []Issue
	truncated bool
	// contained holds the ids of the contained resources of the resource
	// whose content is being checked, for "#id" references.
	contained map[string]bool
}

func (v *validator) push(name string) { v.path = append(v.path, seg{name: name, idx: -1}) }
func (v *validator) pushIdx(i int)    { v.path = append(v.path, seg{idx: i}) }
func (v *validator) pop()             { v.path = v.path[:len(v.path)-1] }

// add records an issue at the current location plus an optional child name.
// Locations are only rendered to strings here, so valid input pays nothing.
func (v *validator) add(code, diag, child string) {
	if len(v.issues) >= maxIssues-1 {
		v.truncated = true
		return
	}
	var b strings.Builder
	for i, s := range v.path {
		if s.idx >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	if child != "" {
		if len(v.path) > 0 {
			b.WriteByte('.')
		}
		b.WriteString(child)
	}
	v.issues = append(v.issues, Issue{Severity: "error", Code: code, Diagnostics: diag, Expression: b.String()})
}

func (v *validator) resource(obj map[string]any, expected string, mode resourceMode) {
	rtv, has := obj["resourceType"]
	rt, _ := rtv.(string)
	switch {
	case !has:
		v.add("required", "resourceType is missing", rootName(v, "resourceType"))
		return
	case !IsResourceType(rt):
		v.add("invalid", "resourceType is not a known R4 resource type", rootName(v, "resourceType"))
		return
	case expected != "" && rt != expected:
		v.add("invalid", "resourceType "+rt+" does not match the expected type "+expected, rootName(v, "resourceType"))
	}
	if mode == modeRoot {
		v.push(rt)
		defer v.pop()
	}
	td := v.d.types[rt]
	if mode == modeContained {
		v.containedRules(obj)
	} else {
		saved := v.contained
		v.contained = containedIDs(obj)
		defer func() { v.contained = saved }()
	}
	v.object(obj, td, true)
}

// rootName gives the location of a resource-level problem: the child name at
// the root (there is no type to prefix), the resource's own location when nested.
func rootName(v *validator, child string) string {
	if len(v.path) == 0 {
		return child
	}
	return ""
}

func containedIDs(obj map[string]any) map[string]bool {
	list, _ := obj["contained"].([]any)
	if len(list) == 0 {
		return nil
	}
	ids := make(map[string]bool, len(list))
	for _, c := range list {
		if m, ok := c.(map[string]any); ok {
			if id, ok := m["id"].(string); ok {
				ids[id] = true
			}
		}
	}
	return ids
}

// containedRules applies R4's restrictions on contained resources (dom-2,
// dom-4 and the requirement that they carry an id).
func (v *validator) containedRules(obj map[string]any) {
	if _, ok := obj["id"]; !ok {
		v.add("required", "a contained resource must have an id", "id")
	}
	if _, ok := obj["contained"]; ok {
		v.add("invalid", "a contained resource must not contain resources", "contained")
	}
	if meta, ok := obj["meta"].(map[string]any); ok {
		if _, ok := meta["versionId"]; ok {
			v.add("invalid", "a contained resource must not have meta.versionId", "meta.versionId")
		}
		if _, ok := meta["lastUpdated"]; ok {
			v.add("invalid", "a contained resource must not have meta.lastUpdated", "meta.lastUpdated")
		}
	}
}

// object checks every key of obj against td and the required elements.
func (v *validator) object(obj map[string]any, td *typeDef, isResource bool) {
	var choiceBuf [4]*element
	choices := choiceBuf[:0]
	for k, val := range obj {
		if isResource && k == "resourceType" {
			continue
		}
		ki := td.keys[k]
		if ki == nil {
			if len(k) > 1 && k[0] == '_' {
				if bki := td.keys[k[1:]]; bki != nil && bki.prim != primNone {
					v.primitiveExt(obj, k, val, bki)
					continue
				}
			}
			v.add("structure", "unknown element for "+td.name, k)
			continue
		}
		if ki.elem.choice {
			if slices.Contains(choices, ki.elem) {
				v.add("structure", "only one "+ki.elem.name+"[x] variant is allowed", ki.elem.name)
			} else {
				choices = append(choices, ki.elem)
			}
		}
		v.push(k)
		v.elementValue(obj, val, ki)
		v.pop()
	}
	for _, e := range td.required {
		if !present(obj, e) {
			name := e.name
			if e.choice {
				name += "[x]"
			}
			v.add("required", "missing required element (min "+strconv.Itoa(e.min)+")", name)
		}
	}
	switch td.name {
	case "Extension":
		v.extensionRule(obj)
	case "Reference":
		if ref, ok := obj["reference"].(string); ok && ref != "" {
			if diag := v.referenceShape(ref); diag != "" {
				v.add("value", diag, "reference")
			}
		}
	}
}

// present: a primitive counts as present with only its extension ("_x").
func present(obj map[string]any, e *element) bool {
	for _, k := range e.jsonKeys {
		if _, ok := obj[k]; ok {
			return true
		}
		if e.primitive {
			if _, ok := obj["_"+k]; ok {
				return true
			}
		}
	}
	return false
}

func (v *validator) elementValue(obj map[string]any, val any, ki *keyInfo) {
	e := ki.elem
	if !e.isArray {
		switch val.(type) {
		case []any:
			v.add("structure", "must be a single value, not an array (max 1)", "")
		case nil:
			v.add("structure", "null is not allowed; omit the element instead", "")
		default:
			v.single(val, ki)
		}
		return
	}
	arr, ok := val.([]any)
	if !ok {
		v.add("structure", "must be an array (max "+maxString(e.max)+")", "")
		return
	}
	if len(arr) == 0 {
		v.add("structure", "empty arrays are not allowed; omit the element instead", "")
		return
	}
	if e.max > 1 && len(arr) > e.max {
		v.add("structure", "too many values (max "+strconv.Itoa(e.max)+")", "")
	}
	var ext []any
	if ki.prim != primNone {
		ext, _ = obj["_"+e.name].([]any)
	}
	for i, item := range arr {
		v.pushIdx(i)
		if item == nil {
			// null keeps primitive arrays aligned with their "_x" extensions.
			if i >= len(ext) || ext[i] == nil {
				v.add("structure", "null is only allowed where the matching primitive extension is present", "")
			}
		} else {
			v.single(item, ki)
		}
		v.pop()
	}
}

func maxString(m int) string {
	if m < 0 {
		return "*"
	}
	return strconv.Itoa(m)
}

func (v *validator) single(val any, ki *keyInfo) {
	if ki.prim != primNone {
		if diag, code := checkPrimitive(val, ki.prim); diag != "" {
			v.add(code, diag, "")
			return
		}
		if ki.elem.codes != nil && ki.prim == primCode {
			if _, ok := ki.elem.codes[val.(string)]; !ok {
				diag := "code is not in the required value set " + ki.elem.valueSet
				if ki.elem.codeList != "" {
					diag += " (allowed: " + ki.elem.codeList + ")"
				}
				v.add("code-invalid", diag, "")
			}
		}
		return
	}
	obj, ok := val.(map[string]any)
	if !ok {
		v.add("structure", "expected a JSON object, got "+jsonKind(val), "")
		return
	}
	if ki.resource {
		mode := modeNested
		if ki.elem.name == "contained" && ki.elem.owner.kind == "resource" {
			mode = modeContained
		}
		v.resource(obj, "", mode)
		return
	}
	if len(obj) == 0 {
		v.add("structure", "empty objects are not allowed; omit the element instead", "")
		return
	}
	if ki.typ == nil {
		return
	}
	v.object(obj, ki.typ, false)
}

// primitiveExt checks "_x": {id?, extension?} or, for repeating elements, an
// array aligned with the value array.
func (v *validator) primitiveExt(obj map[string]any, key string, val any, bki *keyInfo) {
	v.push(key)
	defer v.pop()
	elem := v.d.types["Element"]
	if !bki.elem.isArray {
		v.elementExt(val, elem)
		return
	}
	arr, ok := val.([]any)
	if !ok {
		v.add("structure", "must be an array aligned with "+key[1:], "")
		return
	}
	if values, ok := obj[key[1:]].([]any); ok && len(values) != len(arr) {
		v.add("structure", "must have as many items as "+key[1:], "")
	}
	allNull := true
	for i, item := range arr {
		if item == nil {
			continue
		}
		allNull = false
		v.pushIdx(i)
		v.elementExt(item, elem)
		v.pop()
	}
	if allNull {
		v.add("structure", "primitive extension array must not be all null", "")
	}
}

func (v *validator) elementExt(val any, elem *typeDef) {
	m, ok := val.(map[string]any)
	if !ok {
		v.add("structure", "a primitive extension must be an object with id and/or extension, got "+jsonKind(val), "")
		return
	}
	if len(m) == 0 {
		v.add("structure", "empty objects are not allowed; omit the element instead", "")
		return
	}
	v.object(m, elem, false)
}

// extensionRule: ext-1, an extension has a value[x] or nested extensions, not both.
func (v *validator) extensionRule(obj map[string]any) {
	hasValue := false
	for k := range obj {
		// "_valueString" alone is a value that carries only extensions.
		if strings.HasPrefix(k, "value") || strings.HasPrefix(k, "_value") {
			hasValue = true
			break
		}
	}
	_, hasExt := obj["extension"]
	switch {
	case hasValue && hasExt:
		v.add("invalid", "an extension must have either a value[x] or nested extensions, not both", "")
	case !hasValue && !hasExt:
		v.add("invalid", "an extension must have either a value[x] or nested extensions", "")
	}
}

// referenceShape checks Reference.reference: Type/id, Type/id/_history/vid,
// Type?query (conditional, resolved at write time), an absolute URL,
// urn:uuid:, urn:oid:, or #id of a contained resource.
func (v *validator) referenceShape(ref string) string {
	switch {
	case ref[0] == '#':
		if id := ref[1:]; id != "" && !v.contained[id] {
			return "local reference does not match the id of a contained resource"
		}
		return ""
	case strings.HasPrefix(ref, "urn:uuid:"):
		if !uuidRe.MatchString(ref) {
			return "urn:uuid reference must be a lower-case UUID"
		}
		return ""
	case strings.HasPrefix(ref, "urn:oid:"):
		if !oidRe.MatchString(ref) {
			return "urn:oid reference must be a dotted OID"
		}
		return ""
	}
	// Relative references start with a resource type; test them first since
	// a conditional query may itself contain "://".
	if i := strings.IndexAny(ref, "/?:"); i > 0 && ref[i] != ':' && IsResourceType(ref[:i]) {
		return relativeReference(ref, i)
	}
	if i := strings.Index(ref, "://"); i >= 0 {
		if !validScheme(ref[:i]) {
			return "absolute reference has an invalid URL scheme"
		}
		return ""
	}
	return "reference must be Type/id with a known resource type, an absolute URL, urn:uuid:, urn:oid: or #id"
}

func relativeReference(ref string, i int) string {
	if ref[i] == '?' {
		if i+1 == len(ref) {
			return "conditional reference has an empty query"
		}
		return ""
	}
	parts := strings.Split(ref[i+1:], "/")
	switch {
	case len(parts) == 1 && IsValidID(parts[0]):
		return ""
	case len(parts) == 3 && IsValidID(parts[0]) && parts[1] == "_history" && IsValidID(parts[2]):
		return ""
	}
	return "reference must be Type/id or Type/id/_history/vid with valid ids"
}

func validScheme(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
