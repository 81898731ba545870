package search

import (
	"net/url"
	"slices"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
)

// This file holds the typed search query (the AST a SQL builder compiles) and
// ParseQuery, which turns url.Values into it. Name parsing (modifiers, chains,
// _has) is in query_name.go; value parsing in query_value.go, query_date.go,
// query_ref.go and query_composite.go; result parameters (_sort, _include,
// ...) in query_result.go.

// Query is a parsed, validated type-level search. Every search criterion is a
// Clause; the clauses are ANDed. Result parameters are decoded into the other
// fields. Nothing in a Query needs re-parsing: values are typed.
type Query struct {
	// Type is the searched resource type.
	Type string
	// Clauses are ANDed: one per occurrence of a search parameter (a
	// repeated parameter is two clauses), in parameter-name order.
	Clauses []*Clause
	// Sort keys in priority order; empty when _sort is absent.
	Sort []SortKey
	// Count is _count capped at ParseOptions.MaxCount, or
	// ParseOptions.DefaultCount when _count is absent (-1 when that is 0).
	Count int
	// Total is the _total request; "" when absent.
	Total Total
	// Summary is the _summary request; "" when absent.
	Summary Summary
	// Elements are the _elements names (top-level element names of Type,
	// choice elements by base name or concrete key); nil when absent.
	Elements []string
	// Include and RevInclude are the _include and _revinclude requests.
	Include    []Include
	RevInclude []Include
}

// Clause is one ANDed criterion: a parameter with an optional modifier and
// an OR list of values, or a chain / reverse chain whose innermost clause
// carries the values.
//
// Exactly one of Values, Chain or Has is set:
//   - Values: a plain criterion on Type (ORed).
//   - Chain: Param is a reference; the reference must point to a resource
//     that satisfies one of the Chain hops (ORed over candidate target
//     types).
//   - Has: a reverse chain (_has); Param is zero.
type Clause struct {
	// Name is the parameter name as it appeared in the request, including
	// modifiers and chain ("subject:Patient.name"); for messages and links.
	Name string
	// Type is the resource type the clause filters.
	Type string
	// Param is the parameter's definition on Type (zero for _has).
	Param fhir.SearchParam
	// Modifier is the modifier on Param ("" for none). ModifierType means a
	// reference restricted to TargetType ("subject:Patient").
	Modifier Modifier
	// TargetType is the resource type named by a ":[type]" modifier.
	TargetType string
	// Values are ORed. Each carries the fields of Param's type (see Value);
	// with ModifierMissing each value is a Missing flag.
	Values []Value
	// Chain is set for a chained parameter: one hop per candidate target
	// type, ORed.
	Chain []Chain
	// Has is set for a reverse chain.
	Has *Has
}

// Chain is one hop of a chained reference: the outer clause's reference must
// point to a resource of Type that satisfies Next.
type Chain struct {
	Type string
	Next *Clause
}

// Has is a reverse chain (_has:Type:param:...): some resource of Type whose
// reference parameter Param points to the outer resource satisfies Next.
type Has struct {
	Type  string
	Param fhir.SearchParam
	Next  *Clause
}

// Value is one typed search value. Which fields are set depends on the type
// of the clause's parameter:
//
//	number     Prefix, Number, NumberLo, NumberHi
//	date       Prefix, DateLo, DateHi
//	string     Raw (also for token :text)
//	uri        Raw
//	token      System, SystemGiven, Code (:of-type adds IdentifierValue)
//	quantity   Prefix, Number, NumberLo, NumberHi, System, Code
//	reference  Type, ID, Version, URL (:identifier uses the token fields)
//	composite  Components, one per component parameter, each typed likewise
//
// With ModifierMissing only Missing is meaningful.
type Value struct {
	// Raw is the value's text after unescaping, without a prefix.
	Raw string
	// Prefix is the comparison for number, date and quantity values
	// (PrefixEq when none was given); "" for other types.
	Prefix Prefix
	// Missing is the :missing value (true: the element is absent).
	Missing bool

	// Number is the decimal value; [NumberLo, NumberHi) is the range its
	// written precision implies ("100" -> [99.5, 100.5), "1.0e2" -> [95, 105)).
	Number, NumberLo, NumberHi float64

	// [DateLo, DateHi] is the inclusive range, in UTC microseconds since the
	// Unix epoch, that the written precision covers ("2024" is the whole
	// year). A value without a time zone is taken as UTC.
	DateLo, DateHi int64

	// System and Code are a token's system and code, or a quantity's unit
	// system and code. For tokens, SystemGiven distinguishes "code" (any
	// system: false) from "|code" (no system: true, System ""); an empty
	// Code with SystemGiven means "system|" (any code in System). For
	// :of-type, System|Code is the identifier type and IdentifierValue the
	// identifier's value.
	System          string
	SystemGiven     bool
	Code            string
	IdentifierValue string

	// Reference: Type/ID (Type "" when only an id was given and the
	// parameter may target several types), Version for "Type/id/_history/v".
	// URL is set instead for an absolute reference outside
	// ParseOptions.BaseURL or a canonical; Version is then the canonical
	// version after "|".
	Type, ID, Version, URL string

	// Components are a composite value's parts, in component order.
	Components []Value
}

// SortKey is one _sort key.
type SortKey struct {
	Param      fhir.SearchParam
	Descending bool
}

// Include is one _include or _revinclude request.
type Include struct {
	// Source is the type holding the reference: for _include the searched
	// type (or any type with Iterate), for _revinclude the referencing type.
	Source string
	// Param is the reference parameter on Source; zero with Wildcard.
	Param fhir.SearchParam
	// Wildcard is "*" (or "Source:*"): every reference parameter of Source.
	Wildcard bool
	// TargetType restricts the referenced type ("Type:param:Target"); "".
	TargetType string
	// Iterate is the :iterate (R3 :recurse) modifier.
	Iterate bool
}

// Prefix is a comparison prefix of a number, date or quantity value.
type Prefix string

// The R4 prefixes.
const (
	PrefixEq Prefix = "eq"
	PrefixNe Prefix = "ne"
	PrefixGt Prefix = "gt"
	PrefixLt Prefix = "lt"
	PrefixGe Prefix = "ge"
	PrefixLe Prefix = "le"
	PrefixSa Prefix = "sa"
	PrefixEb Prefix = "eb"
	PrefixAp Prefix = "ap"
)

// Modifier is a search parameter modifier.
type Modifier string

// The R4 modifiers. ModifierType stands for ":[type]" (the type itself is in
// Clause.TargetType).
const (
	ModifierNone       Modifier = ""
	ModifierMissing    Modifier = "missing"
	ModifierExact      Modifier = "exact"
	ModifierContains   Modifier = "contains"
	ModifierText       Modifier = "text"
	ModifierNot        Modifier = "not"
	ModifierAbove      Modifier = "above"
	ModifierBelow      Modifier = "below"
	ModifierIn         Modifier = "in"
	ModifierNotIn      Modifier = "not-in"
	ModifierOfType     Modifier = "of-type"
	ModifierIdentifier Modifier = "identifier"
	ModifierType       Modifier = "type"
)

// Total is the _total parameter.
type Total string

// The _total values.
const (
	TotalNone     Total = "none"
	TotalEstimate Total = "estimate"
	TotalAccurate Total = "accurate"
)

// Summary is the _summary parameter.
type Summary string

// The _summary values.
const (
	SummaryTrue  Summary = "true"
	SummaryFalse Summary = "false"
	SummaryText  Summary = "text"
	SummaryData  Summary = "data"
	SummaryCount Summary = "count"
)

// ParseOptions tune ParseQuery.
type ParseOptions struct {
	// DefaultCount is Query.Count when _count is absent.
	DefaultCount int
	// MaxCount caps _count (0: no cap).
	MaxCount int
	// BaseURL is the server's FHIR base ("https://example.org/fhir/r4");
	// absolute references under it are parsed as relative ones.
	BaseURL string
	// MaxDepth bounds chain and _has nesting (hops); 0 means 4.
	MaxDepth int
	// Ignore names extra parameters the caller handles itself (a paging
	// cursor, say); they are skipped silently like _format and _pretty.
	Ignore []string
}

// QueryError is a search parameter the server cannot use. Code is the
// OperationOutcome issue type: "invalid" for a malformed parameter,
// "not-supported" for one that is valid FHIR but that Housecall does not
// implement or does not know. Messages name the parameter but never echo
// free-text values, which may be patient data.
type QueryError struct {
	Param string
	Code  string
	Msg   string

	// ignorable marks an unknown or unimplemented parameter that the
	// server may skip (lenient handling), as opposed to a malformed one or
	// a modifier it cannot honour, which always fail.
	ignorable bool
}

func (e *QueryError) Error() string {
	return "search parameter " + e.Param + ": " + e.Msg
}

// Issue codes of QueryError.
const (
	qCodeInvalid      = "invalid"
	qCodeNotSupported = "not-supported"
)

// ParseQuery parses the search parameters of a type-level search on
// resourceType.
//
// Parameters the server does not know or does not implement (unknown names,
// _text, _filter, special parameters, _contained=true ...) are returned in
// unsupported, sorted by name: FHIR servers ignore them with a warning
// unless the client sent "Prefer: handling=strict", in which case the
// caller answers 400 naming them. A malformed parameter (bad date, prefix,
// number, modifier, chain ...) is always an error, a *QueryError naming the
// parameter; q is then nil. Parameters with an empty value are ignored, as
// the specification asks.
func ParseQuery(resourceType string, params url.Values, opts ParseOptions) (q *Query, unsupported []*QueryError, err error) {
	if !fhir.IsResourceType(resourceType) {
		return nil, nil, &QueryError{Code: qCodeInvalid, Msg: "unknown resource type " + resourceType}
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 4
	}
	p := &qParser{opts: opts}
	q = &Query{Type: resourceType, Count: opts.DefaultCount}
	if opts.DefaultCount <= 0 {
		q.Count = -1
	}
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if slices.Contains(opts.Ignore, name) {
			continue
		}
		values := params[name]
		handled, err := p.resultParam(q, name, values)
		if err != nil {
			return nil, nil, err
		}
		if handled {
			continue
		}
		for _, raw := range values {
			if raw == "" {
				continue
			}
			c, err := p.clause(resourceType, name, name, raw, 0)
			if err != nil {
				if qe, ok := err.(*QueryError); ok && qe.ignorable {
					unsupported = append(unsupported, qe)
					break // one report per parameter name is enough
				}
				return nil, nil, err
			}
			q.Clauses = append(q.Clauses, c)
		}
	}
	unsupported = append(unsupported, p.unsupported...)
	slices.SortStableFunc(unsupported, func(a, b *QueryError) int { return strings.Compare(a.Param, b.Param) })
	return q, unsupported, nil
}

// qParser carries the options and the unsupported result parameters found
// while parsing.
type qParser struct {
	opts        ParseOptions
	unsupported []*QueryError
}

func qInvalid(param, msg string) *QueryError {
	return &QueryError{Param: param, Code: qCodeInvalid, Msg: msg}
}

// qUnsupported is a feature Housecall does not implement; the request fails.
func qUnsupported(param, msg string) *QueryError {
	return &QueryError{Param: param, Code: qCodeNotSupported, Msg: msg}
}

// qIgnorable is an unknown or unimplemented parameter the server may skip.
func qIgnorable(param, msg string) *QueryError {
	return &QueryError{Param: param, Code: qCodeNotSupported, Msg: msg, ignorable: true}
}
