package search

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/fhirpath"
)

// Kind is the type of a search parameter, and so of its index table.
type Kind uint8

// The kinds of index entry, one per R4 SearchParameter type that is indexed.
// "special" parameters (_text, _content, _query, Location near, ...) are not
// indexed and have no Kind.
const (
	KindString Kind = iota + 1
	KindToken
	KindReference
	KindDate
	KindNumber
	KindQuantity
	KindURI
	KindComposite
)

var idxKindNames = [...]string{
	KindString:    "string",
	KindToken:     "token",
	KindReference: "reference",
	KindDate:      "date",
	KindNumber:    "number",
	KindQuantity:  "quantity",
	KindURI:       "uri",
	KindComposite: "composite",
}

// String returns the SearchParameter.type code of the kind ("token", ...).
func (k Kind) String() string {
	if int(k) < len(idxKindNames) && idxKindNames[k] != "" {
		return idxKindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// idxKindOf maps a SearchParameter.type code to a Kind; 0 for "special"
// and anything unknown, which are not indexed.
func idxKindOf(typ string) Kind {
	for k, name := range idxKindNames {
		if name == typ && name != "" {
			return Kind(k)
		}
	}
	return 0
}

// Entry is one indexed value of one search parameter of one resource. Only
// the fields of its Kind are set; the others are zero. A resource yields one
// Entry per distinct value (a Patient with two given names has two "given"
// entries).
type Entry struct {
	// Param is the search parameter code ("birthdate", "_lastUpdated").
	// Token entries whose Param ends in ":of-type" are the Identifier type
	// encoding described on System below.
	Param string
	Kind  Kind

	// String: Norm is the value lower-cased, with accents removed (Unicode
	// NFD minus combining marks, so "Zoë" is "zoe") and runs of white space
	// collapsed to one space; Exact is the original text (for :exact).
	// HumanName gives one entry per family, given, prefix, suffix and text;
	// Address one per line, city, district, state, postalCode, country and
	// text.
	//
	// URI: the URI, verbatim, in Exact.
	Norm, Exact string

	// Token: System and Code (either may be ""), Text the normalized
	// (as Norm) display or text, for :text.
	//   - Coding: system, code, normalized display.
	//   - CodeableConcept: one entry per coding as above, plus one entry
	//     with only Text when it has a text.
	//   - Identifier: system and value, Text = normalized type.text.
	//     For :of-type, each coding of Identifier.type also gives an entry
	//     with Param "<code>:of-type" (e.g. "identifier:of-type"),
	//     System/Code = the type coding's system and code and Text = the
	//     identifier value verbatim (not normalized).
	//   - ContactPoint: Code = value (the spec gives it no system).
	//   - boolean: Code "true" or "false".
	//   - code, string, id, uri and other primitives: Code = the value and
	//     no System (the implicit system of a bound code is not filled in).
	System, Code, Text string

	// Reference:
	//   - relative "Type/id" or "Type/id/_history/v": RefType, RefID and
	//     RefVersion; absolute URLs under IndexerOptions.BaseURL are made
	//     relative first.
	//   - other absolute URLs, urn:uuid:/urn:oid: and unparseable
	//     references: RefURL, verbatim (RefType from Reference.type if given).
	//   - canonical and uri values: RefURL verbatim, including any
	//     "|version", and RefVersion = that version.
	//   - logical references by Reference.identifier (for :identifier):
	//     System/Code = the identifier's system/value, RefType from
	//     Reference.type. A Reference with both gives both entries.
	//   - "#id" references to contained resources are not indexed: they do
	//     not point at a resource another search could return.
	//   - a resource where a reference is expected (Bundle's composition and
	//     message parameters) gives RefType/RefID from its type and id.
	RefType, RefID, RefVersion, RefURL string

	// Date: the instant range the value covers, in UTC microseconds since
	// the Unix epoch, both ends inclusive: "2024" is [2024-01-01T00:00:00Z,
	// 2024-12-31T23:59:59.999999Z], a dateTime to the second covers that
	// second. Dates and dateTimes without a zone are taken as UTC. A Period
	// is [start's low, end's high] with math.MinInt64 / math.MaxInt64 for a
	// missing start / end; a Timing spans its events and repeat.boundsPeriod.
	DateLo, DateHi int64

	// Number and Quantity: Value, and the range [Lo, Hi) its written
	// precision implies (FHIR search: decimal "100" is [99.5, 100.5), "100.0"
	// is [99.95, 100.05), "1e2" is [50, 150)). Integer-typed elements are
	// exact: Lo = Hi = Value. A Quantity comparator opens the range:
	// "<"/"<=" set Lo = -math.MaxFloat64, ">"/">=" set Hi = math.MaxFloat64.
	// Range: Lo = low.value, Hi = high.value (open ends as for comparators),
	// Value = low.value if present else high.value, units from low else high.
	Value, Lo, Hi float64
	// Quantity: System and Code (above) are the coded unit (UCUM system and
	// code), Unit the human-readable unit. Money: System
	// "urn:iso:std:iso:4217", Code and Unit the currency.
	Unit string

	// Composite: one Entry per component, in the parameter's component
	// order; each component's Param is its own definition's code. A resource
	// gives one composite Entry per combination of component values found
	// on the same base item (e.g. per Observation.component).
	Components []Entry
}

// IndexerOptions configure an Indexer.
type IndexerOptions struct {
	// BaseURL is this server's FHIR base ("https://example.org/fhir");
	// absolute references under it are indexed as relative references.
	// Empty means every absolute reference is external.
	BaseURL string
}

// Indexer extracts index entries from resources. It compiles every indexed
// SearchParameter expression of every R4 resource type once; it is
// immutable afterwards and safe for concurrent use.
//
// Not indexed: parameters of type "special" (Location near) and those
// without an expression (_text, _content, _query, and the result
// parameters such as _has or _list that are not SearchParameters at all).
// "phonetic" is indexed like "name" (no phonetic encoding); matching it
// phonetically is the query side's choice. Values the spec gives no
// search meaning are skipped: SampledData, Attachment, free-text
// schedules (scheduledString), Timing without events or boundsPeriod.
// Quantities are stored in the units written; there is no UCUM
// canonicalisation, so 1 kg does not match 1000 g.
type Indexer struct {
	base   string // BaseURL without a trailing slash, plus "/"
	model  *fhir.TypeModel
	opts   *fhirpath.EvalOptions
	byType map[string][]idxParam
	// sizeHint remembers, per resource type, how many entries (before
	// de-duplication) the last resource of that type produced: Entry is
	// large, so growing the result slice by doubling was a fifth of
	// Extract's time.
	sizeHint map[string]*atomic.Int32
}

// idxParam is one indexed search parameter of one resource type.
type idxParam struct {
	code  string
	kind  Kind
	exprs []*fhirpath.Expression // the union branches that apply to this type
	comps []idxComponent         // composite parameters only
}

// idxComponent is one part of a composite parameter.
type idxComponent struct {
	code  string
	kind  Kind
	exprs []*fhirpath.Expression // union branches
	// onResource: the expression starts with %resource, which the engine
	// binds to the evaluation context, so it is evaluated over the resource
	// rather than over the composite's base item.
	onResource bool
}

// NewIndexer compiles the search parameters of every R4 resource type.
func NewIndexer(opts IndexerOptions) (*Indexer, error) {
	return idxNewIndexer(opts, true)
}

// idxNewIndexer can turn union splitting and pruning off so tests can
// prove they change no result.
func idxNewIndexer(opts IndexerOptions, split bool) (*Indexer, error) {
	ix := &Indexer{
		model:    fhir.Model(),
		byType:   make(map[string][]idxParam),
		sizeHint: make(map[string]*atomic.Int32),
	}
	if b := strings.TrimRight(opts.BaseURL, "/"); b != "" {
		ix.base = b + "/"
	}
	// One model instance shared by every evaluation: the engine caches
	// type lookups per model.
	ix.opts = &fhirpath.EvalOptions{Model: ix.model, LenientAs: true}

	types := fhir.ResourceTypes()
	// Composite components name their parameter by canonical URL.
	byURL := make(map[string]fhir.SearchParam)
	for _, rt := range types {
		for _, sp := range fhir.SearchParams(rt) {
			byURL[sp.URL] = sp
		}
	}
	c := idxCompiler{cache: make(map[string]*fhirpath.Expression), types: types, split: split}
	for _, rt := range types {
		var params []idxParam
		for _, sp := range fhir.SearchParams(rt) {
			kind := idxKindOf(sp.Type)
			if kind == 0 || sp.Expression == "" {
				continue // special parameters and those without an expression
			}
			exprs, err := c.compileBranches(sp.Expression, rt)
			if err != nil {
				return nil, fmt.Errorf("search: compiling %s.%s: %w", rt, sp.Code, err)
			}
			if len(exprs) == 0 {
				continue // every union branch is for another resource type
			}
			p := idxParam{code: sp.Code, kind: kind, exprs: exprs}
			if kind == KindComposite {
				if p.comps, err = c.components(rt, sp, byURL); err != nil {
					return nil, err
				}
			}
			params = append(params, p)
		}
		ix.byType[rt] = params
		ix.sizeHint[rt] = new(atomic.Int32)
	}
	return ix, nil
}

// idxCompiler shares compiled expressions between resource types (most
// parameters on Resource and many unions prune to the same text).
type idxCompiler struct {
	cache   map[string]*fhirpath.Expression
	types   []string
	typeSet map[string]bool
	split   bool // split unions and drop other types' branches (off only in tests)
}

func (c *idxCompiler) isType(name string) bool {
	if c.typeSet == nil {
		c.typeSet = make(map[string]bool, len(c.types)+2)
		for _, t := range c.types {
			c.typeSet[t] = true
		}
	}
	return c.typeSet[name]
}

// compileBranches compiles the union branches of src that apply to rt
// (all of src as one expression when splitting is off).
func (c *idxCompiler) compileBranches(src, rt string) ([]*fhirpath.Expression, error) {
	branches := []string{src}
	if c.split {
		branches = idxBranches(src, rt, c.isType)
	}
	out := make([]*fhirpath.Expression, 0, len(branches))
	for _, b := range branches {
		e, err := c.compile(b)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (c *idxCompiler) compile(src string) (*fhirpath.Expression, error) {
	if e, ok := c.cache[src]; ok {
		return e, nil
	}
	e, err := fhirpath.Compile(src)
	if err != nil {
		return nil, err
	}
	c.cache[src] = e
	return e, nil
}

func (c *idxCompiler) components(rt string, sp fhir.SearchParam, byURL map[string]fhir.SearchParam) ([]idxComponent, error) {
	if len(sp.Component) == 0 {
		return nil, fmt.Errorf("search: composite %s.%s has no components", rt, sp.Code)
	}
	comps := make([]idxComponent, 0, len(sp.Component))
	for _, pc := range sp.Component {
		def, ok := byURL[pc.Definition]
		if !ok {
			return nil, fmt.Errorf("search: composite %s.%s: unknown component %s", rt, sp.Code, pc.Definition)
		}
		kind := idxKindOf(def.Type)
		if kind == 0 || kind == KindComposite {
			return nil, fmt.Errorf("search: composite %s.%s: component %s has type %q", rt, sp.Code, def.Code, def.Type)
		}
		exprs, err := c.compileBranches(pc.Expression, rt)
		if err == nil && len(exprs) == 0 {
			err = fmt.Errorf("expression %q has no branch for %s", pc.Expression, rt)
		}
		if err != nil {
			return nil, fmt.Errorf("search: compiling %s.%s component %s: %w", rt, sp.Code, def.Code, err)
		}
		comps = append(comps, idxComponent{
			code:       def.Code,
			kind:       kind,
			exprs:      exprs,
			onResource: strings.HasPrefix(pc.Expression, "%resource"),
		})
	}
	return comps, nil
}
