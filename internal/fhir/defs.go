package fhir

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

//go:embed r4defs.json.gz
var r4defsGz []byte

// The embedded file's schema; it mirrors gen/model.go.
type rawDefs struct {
	Version          string                         `json:"version"`
	Types            []rawType                      `json:"types"`
	ValueSets        map[string][]string            `json:"valueSets"`
	SkippedValueSets map[string]string              `json:"skippedValueSets"`
	Regex            map[string]string              `json:"regex"`
	SearchParams     []rawSearchParam               `json:"searchParams"`
	Compartments     map[string]map[string][]string `json:"compartments"`
}

type rawType struct {
	Name     string       `json:"name"`
	Kind     string       `json:"kind"`
	Base     string       `json:"base"`
	Abstract bool         `json:"abstract"`
	Elements []rawElement `json:"elements"`
}

type rawElement struct {
	Path       string   `json:"path"`
	Min        int      `json:"min"`
	Max        int      `json:"max"`
	Types      []string `json:"types"`
	ContentRef string   `json:"contentRef"`
	Strength   string   `json:"strength"`
	ValueSet   string   `json:"valueSet"`
	Summary    bool     `json:"summary"`
}

type rawSearchParam struct {
	Code       string   `json:"code"`
	URL        string   `json:"url"`
	Type       string   `json:"type"`
	Expression string   `json:"expression"`
	XPathUsage string   `json:"xpathUsage"`
	Base       []string `json:"base"`
	Target     []string `json:"target"`
	Modifier   []string `json:"modifier"`
	Comparator []string `json:"comparator"`
	Component  []struct {
		Definition string `json:"definition"`
		Expression string `json:"expression"`
	} `json:"component"`
}

// typeDef is a resource, datatype or backbone element (named by its path,
// e.g. "Patient.contact") with its children indexed by JSON key.
type typeDef struct {
	name     string
	kind     string // resource | complex-type | primitive-type | backbone
	base     string
	abstract bool
	prim     primKind // for primitive types
	elems    []*element
	keys     map[string]*keyInfo
	required []*element
}

// element is one child element definition.
type element struct {
	name       string // JSON base name: "value" for "value[x]"
	path       string
	min, max   int
	types      []string
	choice     bool
	isArray    bool
	order      int
	contentRef string
	strength   string
	valueSet   string
	summary    bool                // part of the _summary=true view
	codes      map[string]struct{} // required binding on a code element, when expandable
	codeList   string              // "a | b | c" for short lists, for diagnostics
	jsonKeys   []string            // every key that carries this element (choice variants)
	primitive  bool                // every type of the element is primitive
	owner      *typeDef
}

// keyInfo is what one JSON key on an object of a given type means.
type keyInfo struct {
	elem     *element
	typeName string   // FHIR type of the value, or backbone path
	typ      *typeDef // nil only for "Resource" children handled by resourceType
	prim     primKind // primNone for complex values
	resource bool     // the value is a resource (contained, Bundle.entry.resource, ...)
}

type defs struct {
	types         map[string]*typeDef
	resourceTypes []string
	elements      map[string]*element // by definition path
	regex         map[string]string
	skipped       map[string]string
	search        map[string][]SearchParam // by base type, sorted by code
	compartments  map[string]map[string][]string
	keyNames      map[string]string // every JSON key the definitions know, for Decode to reuse
}

var (
	loadOnce sync.Once
	loaded   *defs
)

// getDefs decodes the embedded definitions on first use. A failure is a
// build defect (the file is generated and embedded), so it panics.
func getDefs() *defs {
	loadOnce.Do(func() {
		d, err := loadDefs(r4defsGz)
		if err != nil {
			panic(fmt.Sprintf("fhir: embedded definitions: %v", err))
		}
		loaded = d
	})
	return loaded
}

func loadDefs(gz []byte) (*defs, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	var raw rawDefs
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	d := &defs{
		types:        make(map[string]*typeDef, 1024),
		elements:     make(map[string]*element, 8192),
		regex:        raw.Regex,
		skipped:      raw.SkippedValueSets,
		compartments: raw.Compartments,
	}
	// Pass 1: types, backbone types and elements.
	for i := range raw.Types {
		rt := &raw.Types[i]
		td := &typeDef{name: rt.Name, kind: rt.Kind, base: rt.Base, abstract: rt.Abstract}
		if rt.Kind == "primitive-type" {
			td.prim = primKindOf(rt.Name)
		}
		d.types[rt.Name] = td
		if rt.Kind == "resource" && !rt.Abstract {
			d.resourceTypes = append(d.resourceTypes, rt.Name)
		}
		for j := range rt.Elements {
			re := &rt.Elements[j]
			dot := strings.LastIndexByte(re.Path, '.')
			parentPath, name := re.Path[:dot], re.Path[dot+1:]
			parent := d.types[parentPath]
			if parent == nil {
				return nil, fmt.Errorf("element %s before its parent", re.Path)
			}
			e := &element{
				path: re.Path, min: re.Min, max: re.Max, types: re.Types,
				contentRef: re.ContentRef, strength: re.Strength, valueSet: re.ValueSet, summary: re.Summary,
				isArray: re.Max != 1 && re.Max != 0, order: len(parent.elems), owner: parent,
			}
			if strings.HasSuffix(name, "[x]") {
				e.name, e.choice = strings.TrimSuffix(name, "[x]"), true
			} else {
				e.name = name
			}
			if e.strength == "required" && len(e.types) == 1 && e.types[0] == "code" {
				if codes, ok := raw.ValueSets[e.valueSet]; ok {
					e.codes = make(map[string]struct{}, len(codes))
					for _, c := range codes {
						e.codes[c] = struct{}{}
					}
					if len(codes) <= 12 {
						e.codeList = strings.Join(codes, " | ")
					}
				}
			}
			parent.elems = append(parent.elems, e)
			d.elements[re.Path] = e
			// An element with children is a backbone element: it becomes a
			// type named by its path, derived from its declared type.
			if re.ContentRef == "" && len(re.Types) == 1 && (re.Types[0] == "BackboneElement" || re.Types[0] == "Element") &&
				j+1 < len(rt.Elements) && strings.HasPrefix(rt.Elements[j+1].Path, re.Path+".") {
				d.types[re.Path] = &typeDef{name: re.Path, kind: "backbone", base: re.Types[0]}
			}
		}
	}
	slices.Sort(d.resourceTypes)
	// Pass 2: resolve contentReferences and index keys.
	for _, td := range d.types {
		td.keys = make(map[string]*keyInfo, len(td.elems)+4)
		for _, e := range td.elems {
			if e.contentRef != "" {
				target := d.elements[e.contentRef]
				if target == nil {
					return nil, fmt.Errorf("%s: contentReference %s not found", e.path, e.contentRef)
				}
				e.types, e.strength, e.valueSet, e.codes, e.codeList = target.types, target.strength, target.valueSet, target.codes, target.codeList
			}
			if e.min > 0 {
				td.required = append(td.required, e)
			}
			e.primitive = true
			for _, t := range e.types {
				if d.types[t] == nil || d.types[t].kind != "primitive-type" {
					e.primitive = false
				}
			}
			if len(e.types) == 0 {
				e.primitive = false
			}
			if e.choice {
				for _, t := range e.types {
					key := e.name + strings.ToUpper(t[:1]) + t[1:]
					td.keys[key] = d.keyFor(e, t, t)
					e.jsonKeys = append(e.jsonKeys, key)
				}
				continue
			}
			typeName := ""
			switch {
			case e.contentRef != "":
				typeName = e.contentRef
			case d.types[e.path] != nil:
				typeName = e.path
			case len(e.types) > 0:
				typeName = e.types[0]
			}
			td.keys[e.name] = d.keyFor(e, typeName, typeName)
			e.jsonKeys = []string{e.name}
		}
	}
	d.keyNames = map[string]string{"resourceType": "resourceType"}
	for _, td := range d.types {
		for k := range td.keys {
			d.keyNames[k] = k
			if td.keys[k].prim != primNone {
				d.keyNames["_"+k] = "_" + k
			}
		}
	}
	d.search = make(map[string][]SearchParam)
	for i := range raw.SearchParams {
		rs := &raw.SearchParams[i]
		sp := SearchParam{Code: rs.Code, URL: rs.URL, Type: rs.Type, Expression: rs.Expression, XPathUsage: rs.XPathUsage,
			Base: rs.Base, Target: rs.Target, Modifier: rs.Modifier, Comparator: rs.Comparator}
		for _, c := range rs.Component {
			sp.Component = append(sp.Component, SearchParamComponent{Definition: c.Definition, Expression: c.Expression})
		}
		for _, b := range rs.Base {
			d.search[b] = append(d.search[b], sp)
		}
	}
	for _, list := range d.search {
		slices.SortStableFunc(list, func(a, b SearchParam) int { return strings.Compare(a.Code, b.Code) })
	}
	return d, nil
}

func (d *defs) keyFor(e *element, typeName, _ string) *keyInfo {
	ki := &keyInfo{elem: e, typeName: typeName, typ: d.types[typeName]}
	if ki.typ != nil && ki.typ.kind == "primitive-type" {
		ki.prim = ki.typ.prim
	}
	if typeName == "Resource" {
		ki.resource = true
	}
	return ki
}

// ResourceTypes returns the sorted names of all concrete R4 resource types.
func ResourceTypes() []string {
	return slices.Clone(getDefs().resourceTypes)
}

// IsResourceType reports whether name is a concrete R4 resource type.
func IsResourceType(name string) bool {
	td := getDefs().types[name]
	return td != nil && td.kind == "resource" && !td.abstract
}

// ElementDef describes one element as defined in R4.
type ElementDef struct {
	Path            string
	Min             int
	Max             int // -1 = *
	Types           []string
	BindingStrength string
	ValueSet        string
	// IsSummary: the element belongs to the _summary=true view.
	IsSummary bool
}

// LookupElement finds an element by path, walking backbone elements,
// contentReferences ("Questionnaire.item.item.linkId") and complex datatypes
// ("Patient.name.family"). Choice elements are named with "[x]"
// ("Observation.value[x]", all types) or by their JSON key
// ("Observation.valueQuantity", that type only; "Observation.valueQuantity.unit").
func LookupElement(path string) (ElementDef, bool) {
	d := getDefs()
	first, rest, ok := strings.Cut(path, ".")
	if !ok {
		return ElementDef{}, false
	}
	td := d.types[first]
	var e *element
	var concrete string // the chosen type when a choice is addressed by its JSON key
	for td != nil {
		var seg string
		seg, rest, ok = strings.Cut(rest, ".")
		e, concrete = td.child(seg), ""
		if e == nil {
			// A concrete choice key: "Observation.valueQuantity".
			if ki := td.keys[seg]; ki != nil && ki.elem.choice {
				e, concrete = ki.elem, ki.typeName
			} else {
				return ElementDef{}, false
			}
		}
		if !ok {
			break
		}
		switch {
		case concrete != "":
			td = d.types[concrete]
		case e.choice || len(e.types) == 0:
			return ElementDef{}, false
		default:
			td = d.types[td.keys[e.name].typeName]
		}
	}
	if e == nil || td == nil {
		return ElementDef{}, false
	}
	def := ElementDef{Path: path, Min: e.min, Max: e.max, Types: slices.Clone(e.types),
		BindingStrength: e.strength, ValueSet: e.valueSet, IsSummary: e.summary}
	if concrete != "" {
		def.Types = []string{concrete}
	}
	return def, true
}

// child finds a direct child by its definition name ("value[x]", "given").
func (td *typeDef) child(name string) *element {
	base, choice := strings.CutSuffix(name, "[x]")
	for _, e := range td.elems {
		if e.name == base && e.choice == choice {
			return e
		}
	}
	return nil
}

// SummaryElements returns the JSON keys of the top-level elements of a
// resource type that _summary=true keeps: those marked isSummary and the
// mandatory ones (min > 0), with every concrete key of choice elements.
func SummaryElements(resourceType string) []string {
	td := getDefs().types[resourceType]
	if td == nil {
		return nil
	}
	var keys []string
	for _, e := range td.elems {
		if e.summary || e.min > 0 {
			keys = append(keys, e.jsonKeys...)
		}
	}
	return keys
}
