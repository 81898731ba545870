package search

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/fhirpath"
)

// idxExtractor converts the items one resource's expressions return into
// entries.
type idxExtractor struct {
	ix  *Indexer
	res map[string]any
}

// idxCanon maps a FHIR type name to the type whose indexing rules apply:
// profiles and specialisations ("Age", "SimpleQuantity", "positiveInt",
// "canonical") to the type they constrain. Unknown names walk the model's
// base types once per call; they are rare (backbone elements, resources).
func (ix *Indexer) idxCanon(t string) string {
	for depth := 0; depth < 8 && t != ""; depth++ {
		switch t {
		case "string", "markdown", "code", "id", "xhtml":
			return "string"
		case "uri", "url", "canonical", "oid", "uuid":
			return t
		case "integer", "positiveInt", "unsignedInt":
			return "integer"
		case "Quantity", "Age", "Duration", "Distance", "Count", "SimpleQuantity", "MoneyQuantity":
			return "Quantity"
		case "decimal", "boolean", "date", "dateTime", "instant", "time", "base64Binary",
			"HumanName", "Address", "Coding", "CodeableConcept", "Identifier", "ContactPoint",
			"Reference", "Money", "Range", "Period", "Timing", "Attachment", "Annotation",
			"Ratio", "SampledData", "Signature", "Element", "BackboneElement":
			return t
		}
		if fhir.IsResourceType(t) {
			return "Resource"
		}
		t = ix.model.BaseType(t)
	}
	return t
}

// add appends the entries of one item for a parameter of the given kind.
// Items whose type the kind cannot index (an Attachment in a token
// parameter, a primitive carrying only extensions) add nothing.
func (x *idxExtractor) add(dst []Entry, code string, kind Kind, it fhirpath.Item) []Entry {
	if it.Value == nil {
		return dst
	}
	if it.Type == "" {
		return x.addSystem(dst, code, kind, it.Value)
	}
	t := x.ix.idxCanon(it.Type)
	m, _ := it.Value.(map[string]any)
	switch kind {
	case KindString:
		return idxAddString(dst, code, t, it.Value, m)
	case KindToken:
		return idxAddToken(dst, code, t, it.Value, m)
	case KindReference:
		return x.addReference(dst, code, t, it.Value, m)
	case KindURI:
		if s, ok := it.Value.(string); ok && s != "" {
			dst = append(dst, Entry{Param: code, Kind: KindURI, Exact: s})
		}
		return dst
	case KindDate:
		return idxAddDate(dst, code, t, it.Value, m)
	case KindNumber:
		return idxAddNumber(dst, code, t, it.Value)
	case KindQuantity:
		return idxAddQuantity(dst, code, t, it.Value, m)
	}
	return dst
}

// addSystem indexes computed values (Type ""), e.g. the boolean of
// Patient's "deceased.exists() and deceased != false".
func (x *idxExtractor) addSystem(dst []Entry, code string, kind Kind, v any) []Entry {
	switch kind {
	case KindToken:
		switch s := v.(type) {
		case bool:
			return append(dst, Entry{Param: code, Kind: KindToken, Code: strconv.FormatBool(s)})
		case string:
			if s != "" {
				return append(dst, Entry{Param: code, Kind: KindToken, Code: s})
			}
		case int64:
			return append(dst, Entry{Param: code, Kind: KindToken, Code: strconv.FormatInt(s, 10)})
		}
	case KindString:
		if s, ok := v.(string); ok && s != "" {
			return append(dst, Entry{Param: code, Kind: KindString, Norm: idxNormalize(s), Exact: s})
		}
	case KindURI:
		if s, ok := v.(string); ok && s != "" {
			return append(dst, Entry{Param: code, Kind: KindURI, Exact: s})
		}
	case KindReference:
		if s, ok := v.(string); ok && s != "" {
			return x.addRefString(dst, code, s, "")
		}
	case KindDate:
		if d, ok := v.(fhirpath.DateTime); ok {
			if lo, hi, ok := idxDateTimeRange(d); ok {
				return append(dst, Entry{Param: code, Kind: KindDate, DateLo: lo, DateHi: hi})
			}
		}
	case KindNumber, KindQuantity:
		var d fhirpath.Decimal
		unit := ""
		switch n := v.(type) {
		case int64:
			f := float64(n)
			return append(dst, Entry{Param: code, Kind: kind, Value: f, Lo: f, Hi: f})
		case fhirpath.Decimal:
			d = n
		case fhirpath.Quantity:
			d, unit = n.Value, n.Unit
		default:
			return dst
		}
		val, lo, hi, ok := idxDecimalRange(d.String())
		if !ok {
			return dst
		}
		e := Entry{Param: code, Kind: kind, Value: val, Lo: lo, Hi: hi}
		if kind == KindQuantity && unit != "" {
			e.System, e.Code, e.Unit = "http://unitsofmeasure.org", unit, unit
		}
		return append(dst, e)
	}
	return dst
}

// idxStr reads a string property of a decoded complex value.
func idxStr(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// idxStrs reads a string or array-of-strings property.
func idxStrs(m map[string]any, key string) []any {
	switch v := m[key].(type) {
	case []any:
		return v
	case string:
		return []any{v}
	}
	return nil
}

func idxAddString(dst []Entry, code, t string, v any, m map[string]any) []Entry {
	add := func(dst []Entry, s string) []Entry {
		if strings.TrimSpace(s) == "" {
			return dst
		}
		return append(dst, Entry{Param: code, Kind: KindString, Norm: idxNormalize(s), Exact: s})
	}
	addAll := func(dst []Entry, vs []any) []Entry {
		for _, x := range vs {
			if s, ok := x.(string); ok {
				dst = add(dst, s)
			}
		}
		return dst
	}
	switch t {
	case "HumanName":
		dst = add(dst, idxStr(m, "family"))
		dst = addAll(dst, idxStrs(m, "given"))
		dst = addAll(dst, idxStrs(m, "prefix"))
		dst = addAll(dst, idxStrs(m, "suffix"))
		return add(dst, idxStr(m, "text"))
	case "Address":
		dst = addAll(dst, idxStrs(m, "line"))
		for _, k := range [...]string{"city", "district", "state", "postalCode", "country", "text"} {
			dst = add(dst, idxStr(m, k))
		}
		return dst
	case "CodeableConcept":
		// R4 string parameters over concepts are rare; their text is what a
		// person would type.
		dst = add(dst, idxStr(m, "text"))
		for _, c := range idxMaps(m["coding"]) {
			dst = add(dst, idxStr(c, "display"))
		}
		return dst
	case "Coding":
		return add(dst, idxStr(m, "display"))
	case "Identifier", "ContactPoint":
		return add(dst, idxStr(m, "value"))
	case "Annotation":
		return add(dst, idxStr(m, "text"))
	case "Reference":
		return add(dst, idxStr(m, "display"))
	}
	if s, ok := v.(string); ok {
		return add(dst, s)
	}
	return dst
}

// idxMaps returns the objects of a JSON array (or a lone object).
func idxMaps(v any) []map[string]any {
	switch a := v.(type) {
	case []any:
		out := make([]map[string]any, 0, len(a))
		for _, x := range a {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	case map[string]any:
		return []map[string]any{a}
	}
	return nil
}

func idxAddToken(dst []Entry, code, t string, v any, m map[string]any) []Entry {
	switch t {
	case "Coding":
		return idxAddCoding(dst, code, m)
	case "CodeableConcept":
		if a, ok := m["coding"].([]any); ok {
			for _, c := range a {
				if cm, ok := c.(map[string]any); ok {
					dst = idxAddCoding(dst, code, cm)
				}
			}
		}
		if s := idxNormalize(idxStr(m, "text")); s != "" {
			dst = append(dst, Entry{Param: code, Kind: KindToken, Text: s})
		}
		return dst
	case "Identifier":
		val := idxStr(m, "value")
		sys := idxStr(m, "system")
		typ, _ := m["type"].(map[string]any)
		if val != "" || sys != "" {
			dst = append(dst, Entry{Param: code, Kind: KindToken, System: sys, Code: val, Text: idxNormalize(idxStr(typ, "text"))})
		}
		if val != "" && typ != nil {
			for _, c := range idxMaps(typ["coding"]) {
				tc := idxStr(c, "code")
				if tc == "" {
					continue
				}
				dst = append(dst, Entry{Param: code + ":of-type", Kind: KindToken, System: idxStr(c, "system"), Code: tc, Text: val})
			}
		}
		return dst
	case "ContactPoint":
		if s := idxStr(m, "value"); s != "" {
			dst = append(dst, Entry{Param: code, Kind: KindToken, Code: s})
		}
		return dst
	case "boolean":
		if b, ok := v.(bool); ok {
			return append(dst, Entry{Param: code, Kind: KindToken, Code: strconv.FormatBool(b)})
		}
		return dst
	case "Reference":
		// A few token parameters point at references (e.g. identifiers
		// carried in Reference.identifier).
		if id, ok := m["identifier"].(map[string]any); ok {
			return idxAddToken(dst, code, "Identifier", id, id)
		}
		return dst
	}
	switch s := v.(type) {
	case string:
		if s != "" {
			return append(dst, Entry{Param: code, Kind: KindToken, Code: s})
		}
	case json.Number:
		return append(dst, Entry{Param: code, Kind: KindToken, Code: s.String()})
	}
	return dst
}

func idxAddCoding(dst []Entry, code string, m map[string]any) []Entry {
	sys, c, text := idxStr(m, "system"), idxStr(m, "code"), idxNormalize(idxStr(m, "display"))
	if sys == "" && c == "" && text == "" {
		return dst
	}
	return append(dst, Entry{Param: code, Kind: KindToken, System: sys, Code: c, Text: text})
}

func (x *idxExtractor) addReference(dst []Entry, code, t string, v any, m map[string]any) []Entry {
	switch t {
	case "Reference":
		refType := idxStr(m, "type")
		if s := idxStr(m, "reference"); s != "" {
			dst = x.addRefString(dst, code, s, refType)
		}
		if id, ok := m["identifier"].(map[string]any); ok {
			sys, val := idxStr(id, "system"), idxStr(id, "value")
			if sys != "" || val != "" {
				dst = append(dst, Entry{Param: code, Kind: KindReference, RefType: refType, System: sys, Code: val})
			}
		}
		return dst
	case "canonical", "uri", "url", "oid", "uuid":
		s, _ := v.(string)
		if s == "" {
			return dst
		}
		e := Entry{Param: code, Kind: KindReference, RefURL: s}
		if t == "canonical" {
			if i := strings.LastIndexByte(s, '|'); i >= 0 {
				e.RefVersion = s[i+1:]
			}
		} else if !idxAbsolute(s) {
			// a uri element holding a relative reference ("Patient/1")
			return x.addRefString(dst, code, s, "")
		}
		return append(dst, e)
	case "Resource":
		// Bundle.entry[0].resource for Bundle's composition/message.
		if id := idxStr(m, "id"); id != "" {
			return append(dst, Entry{Param: code, Kind: KindReference, RefType: idxStr(m, "resourceType"), RefID: id})
		}
		return dst
	case "string":
		if s, ok := v.(string); ok && s != "" {
			return x.addRefString(dst, code, s, "")
		}
	}
	return dst
}

// addRefString indexes a Reference.reference text; refType is
// Reference.type, used when the text itself names no type.
func (x *idxExtractor) addRefString(dst []Entry, code, ref, refType string) []Entry {
	if ref[0] == '#' {
		return dst // contained resource: not a reference to another resource
	}
	if x.ix.base != "" && strings.HasPrefix(ref, x.ix.base) {
		if e, ok := idxRelative(ref[len(x.ix.base):]); ok {
			e.Param = code
			return append(dst, e)
		}
	}
	if !idxAbsolute(ref) {
		if e, ok := idxRelative(ref); ok {
			e.Param = code
			return append(dst, e)
		}
	}
	return append(dst, Entry{Param: code, Kind: KindReference, RefType: refType, RefURL: ref})
}

// idxAbsolute reports whether ref has a URI scheme ("http:", "urn:").
func idxAbsolute(ref string) bool {
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		switch {
		case c == ':':
			return i > 0
		case idxIdentPart(c) || c == '+' || c == '-' || c == '.':
		default:
			return false
		}
	}
	return false
}

// idxRelative parses "Type/id" and "Type/id/_history/version".
func idxRelative(ref string) (Entry, bool) {
	parts := strings.Split(ref, "/")
	if len(parts) != 2 && !(len(parts) == 4 && parts[2] == "_history" && parts[3] != "") {
		return Entry{}, false
	}
	if parts[1] == "" || !fhir.IsResourceType(parts[0]) || strings.ContainsAny(parts[1], "?#") {
		return Entry{}, false
	}
	e := Entry{Kind: KindReference, RefType: parts[0], RefID: parts[1]}
	if len(parts) == 4 {
		e.RefVersion = parts[3]
	}
	return e, true
}
