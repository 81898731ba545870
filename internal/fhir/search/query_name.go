package search

import (
	"slices"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
)

// qIgnoredNames are R4 parameters Housecall does not implement; a search
// that uses them is answered as if they were absent (with a warning), or
// refused under Prefer: handling=strict.
var qIgnoredNames = map[string]string{
	"_text":    "full-text search (_text) is not supported",
	"_content": "full-text search (_content) is not supported",
	"_list":    "_list is not supported",
	"_query":   "named queries (_query) are not supported",
	"_filter":  "_filter is not supported",
	"_type":    "_type applies to whole-system search only",
}

// qModifiers lists the modifiers each parameter type accepts (besides
// :missing, which every type accepts, and :[type] on references).
var qModifiers = map[string][]Modifier{
	"string":    {ModifierExact, ModifierContains},
	"token":     {ModifierText, ModifierNot, ModifierAbove, ModifierBelow, ModifierIn, ModifierNotIn, ModifierOfType},
	"reference": {ModifierIdentifier, ModifierAbove, ModifierBelow},
	"uri":       {ModifierAbove, ModifierBelow},
}

// clause parses one occurrence of a parameter: name is what is left of the
// full name after the outer hops, typ the type it applies to.
func (p *qParser) clause(typ, full, name, raw string, depth int) (*Clause, error) {
	if depth > p.opts.MaxDepth {
		return nil, qInvalid(full, "chains and _has may nest at most "+strconv.Itoa(p.opts.MaxDepth)+" levels")
	}
	if rest, ok := strings.CutPrefix(name, "_has:"); ok {
		return p.hasClause(typ, full, rest, raw, depth)
	}
	seg, rest, chained := strings.Cut(name, ".")
	code, mod, hasMod := strings.Cut(seg, ":")
	if code == "" {
		return nil, qInvalid(full, "empty parameter name")
	}
	if msg, ok := qIgnoredNames[code]; ok {
		return nil, qIgnorable(full, msg)
	}
	sp, ok := fhir.LookupSearchParam(typ, code)
	if !ok {
		return nil, qIgnorable(full, "unknown search parameter "+code+" for "+typ)
	}
	if sp.Type == "special" {
		return nil, qIgnorable(full, "special search parameter "+code+" is not supported")
	}
	c := &Clause{Name: full, Type: typ, Param: sp}
	if hasMod {
		if err := qSetModifier(c, full, mod); err != nil {
			return nil, err
		}
	}
	if chained {
		return p.chain(c, full, rest, raw, depth)
	}
	vals, err := p.values(c, full, raw)
	if err != nil {
		return nil, err
	}
	c.Values = vals
	return c, nil
}

// qSetModifier checks mod against the parameter's type and records it.
func qSetModifier(c *Clause, full, mod string) error {
	typ := c.Param.Type
	m := Modifier(mod)
	switch {
	case m == ModifierMissing:
	case typ == "reference" && fhir.IsResourceType(mod):
		if len(c.Param.Target) > 0 && !slices.Contains(c.Param.Target, mod) {
			return qInvalid(full, c.Param.Code+" cannot refer to "+mod+" (allowed: "+strings.Join(c.Param.Target, ", ")+")")
		}
		m, c.TargetType = ModifierType, mod
	case slices.Contains(qModifiers[typ], m):
		if m == ModifierIn || m == ModifierNotIn {
			return qUnsupported(full, "the :"+mod+" modifier (value-set membership) is not supported")
		}
	default:
		return qInvalid(full, "modifier :"+mod+" is not valid for a "+typ+" parameter")
	}
	c.Modifier = m
	return nil
}

// chain resolves "ref[:Type].rest": the hop's candidate target types are the
// named type, or every target of the reference that defines the next
// parameter — which must then be all of them, so that a client never gets
// a silently narrowed search.
func (p *qParser) chain(c *Clause, full, rest, raw string, depth int) (*Clause, error) {
	if c.Param.Type != "reference" {
		return nil, qInvalid(full, "only reference parameters can be chained; "+c.Param.Code+" is a "+c.Param.Type+" parameter")
	}
	if c.Modifier != ModifierNone && c.Modifier != ModifierType {
		return nil, qInvalid(full, "a chained parameter may only carry a resource type modifier, not :"+string(c.Modifier))
	}
	if rest == "" {
		return nil, qInvalid(full, "empty parameter after '.' in a chain")
	}
	targets := c.Param.Target
	if c.TargetType != "" {
		targets = []string{c.TargetType}
	}
	if len(targets) == 0 {
		return nil, qInvalid(full, c.Param.Code+" may refer to any resource type; name one, as in "+c.Param.Code+":Patient."+rest)
	}
	next := qNextCode(rest)
	var cands []string
	var kind string
	for _, t := range targets {
		if next == "_has" {
			cands = append(cands, t)
			continue
		}
		sp, ok := fhir.LookupSearchParam(t, next)
		if !ok {
			continue
		}
		if kind != "" && sp.Type != kind {
			return nil, qInvalid(full, next+" has different types on the targets of "+c.Param.Code+"; name the target, as in "+c.Param.Code+":"+t+"."+rest)
		}
		kind = sp.Type
		cands = append(cands, t)
	}
	switch {
	case len(cands) == 0:
		return nil, qIgnorable(full, "no target of "+c.Param.Code+" ("+strings.Join(targets, ", ")+") has a search parameter "+next)
	}
	// Targets without the chained parameter cannot match and are left out:
	// subject.name on Observation searches the subjects that have a name
	// (Patient, ...), as clients expect. Only a parameter whose type differs
	// between targets is ambiguous (refused above).
	for _, t := range cands {
		nc, err := p.clause(t, full, rest, raw, depth+1)
		if err != nil {
			return nil, err
		}
		c.Chain = append(c.Chain, Chain{Type: t, Next: nc})
	}
	return c, nil
}

// qNextCode is the parameter code at the start of a chain remainder.
func qNextCode(rest string) string {
	if strings.HasPrefix(rest, "_has:") {
		return "_has"
	}
	end := strings.IndexAny(rest, ".:")
	if end < 0 {
		return rest
	}
	return rest[:end]
}

// hasClause parses "_has:Type:param:rest" (rest already stripped of
// "_has:"): resources of Type whose reference param points at typ.
func (p *qParser) hasClause(typ, full, rest, raw string, depth int) (*Clause, error) {
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return nil, qInvalid(full, "_has takes the form _has:Type:reference:parameter")
	}
	src, refCode, inner := parts[0], parts[1], parts[2]
	if !fhir.IsResourceType(src) {
		return nil, qInvalid(full, "_has names unknown resource type "+src)
	}
	ref, ok := fhir.LookupSearchParam(src, refCode)
	if !ok {
		return nil, qInvalid(full, "_has names unknown search parameter "+refCode+" of "+src)
	}
	if ref.Type != "reference" {
		return nil, qInvalid(full, "_has needs a reference parameter; "+src+"."+refCode+" is a "+ref.Type+" parameter")
	}
	if len(ref.Target) > 0 && !slices.Contains(ref.Target, typ) {
		return nil, qInvalid(full, src+"."+refCode+" cannot refer to "+typ+" (allowed: "+strings.Join(ref.Target, ", ")+")")
	}
	next, err := p.clause(src, full, inner, raw, depth+1)
	if err != nil {
		return nil, err
	}
	return &Clause{Name: full, Type: typ, Has: &Has{Type: src, Param: ref, Next: next}}, nil
}
