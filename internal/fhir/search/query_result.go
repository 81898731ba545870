package search

import (
	"slices"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
)

// resultParam decodes the parameters that shape the result rather than
// select resources. It reports whether name was one of them.
func (p *qParser) resultParam(q *Query, name string, values []string) (bool, error) {
	base, mod, hasMod := strings.Cut(name, ":")
	switch base {
	case "_include", "_revinclude":
		iterate := false
		if hasMod {
			if mod != "iterate" && mod != "recurse" {
				return true, qInvalid(name, "modifier :"+mod+" is not valid for "+base+" (allowed: :iterate)")
			}
			iterate = true
		}
		for _, v := range values {
			if v == "" {
				continue
			}
			inc, err := qInclude(q.Type, name, base == "_revinclude", iterate, v)
			if err != nil {
				if qe, ok := err.(*QueryError); ok && qe.ignorable {
					p.unsupported = append(p.unsupported, qe)
					continue
				}
				return true, err
			}
			if base == "_include" {
				q.Include = append(q.Include, inc)
			} else {
				q.RevInclude = append(q.RevInclude, inc)
			}
		}
		return true, nil
	case "_format", "_pretty", "_count", "_sort", "_total", "_summary", "_elements", "_contained", "_containedType":
	default:
		return false, nil
	}
	if hasMod {
		return true, qInvalid(name, base+" takes no modifier")
	}
	v, given, err := qSingle(name, values)
	if err != nil || !given {
		return true, err
	}
	switch base {
	case "_count":
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return true, qInvalid(name, "_count must be a non-negative integer")
		}
		if p.opts.MaxCount > 0 && n > p.opts.MaxCount {
			n = p.opts.MaxCount
		}
		q.Count = n
	case "_sort":
		return true, qSort(q, name, v)
	case "_total":
		t := Total(v)
		if t != TotalNone && t != TotalEstimate && t != TotalAccurate {
			return true, qInvalid(name, "_total takes none, estimate or accurate")
		}
		q.Total = t
	case "_summary":
		s := Summary(v)
		if s != SummaryTrue && s != SummaryFalse && s != SummaryText && s != SummaryData && s != SummaryCount {
			return true, qInvalid(name, "_summary takes true, false, text, data or count")
		}
		q.Summary = s
	case "_elements":
		return true, qElements(q, name, v)
	case "_contained":
		switch v {
		case "false":
		case "true", "both":
			p.unsupported = append(p.unsupported, qIgnorable(name, "searching contained resources is not supported"))
		default:
			return true, qInvalid(name, "_contained takes true, false or both")
		}
	case "_containedType":
		switch v {
		case "container":
		case "contained":
			p.unsupported = append(p.unsupported, qIgnorable(name, "returning contained resources is not supported"))
		default:
			return true, qInvalid(name, "_containedType takes container or contained")
		}
	}
	// _format and _pretty are handled by the HTTP layer.
	return true, nil
}

// qSingle returns the one non-empty value of a parameter that may not
// repeat.
func qSingle(name string, values []string) (string, bool, error) {
	var out string
	given := false
	for _, v := range values {
		if v == "" {
			continue
		}
		if given && v != out {
			return "", false, qInvalid(name, name+" may be given only once")
		}
		out, given = v, true
	}
	return out, given, nil
}

// qSort parses "_sort=a,-b": keys in priority order, "-" for descending.
func qSort(q *Query, name, v string) error {
	for _, key := range strings.Split(v, ",") {
		key = strings.TrimSpace(key)
		desc := strings.HasPrefix(key, "-")
		code := strings.TrimPrefix(key, "-")
		if code == "" {
			return qInvalid(name, "empty sort key")
		}
		sp, ok := fhir.LookupSearchParam(q.Type, code)
		if !ok {
			return qInvalid(name, "cannot sort by "+qShape(code)+": not a search parameter of "+q.Type)
		}
		if sp.Type == "composite" || sp.Type == "special" {
			return qInvalid(name, "cannot sort by "+code+": "+sp.Type+" parameters have no order")
		}
		for _, k := range q.Sort {
			if k.Param.Code == code {
				return qInvalid(name, "sort key "+code+" appears twice")
			}
		}
		q.Sort = append(q.Sort, SortKey{Param: sp, Descending: desc})
	}
	return nil
}

// qElements checks _elements names against the type's top-level elements.
func qElements(q *Query, name, v string) error {
	for _, el := range strings.Split(v, ",") {
		el = strings.TrimSpace(el)
		el = strings.TrimPrefix(el, q.Type+".")
		if el == "" {
			return qInvalid(name, "empty element name")
		}
		if strings.ContainsAny(el, ".[]") {
			return qInvalid(name, "_elements takes top-level element names only")
		}
		_, ok := fhir.LookupElement(q.Type + "." + el)
		if !ok {
			_, ok = fhir.LookupElement(q.Type + "." + el + "[x]")
		}
		if !ok {
			return qInvalid(name, qShape(el)+" is not an element of "+q.Type)
		}
		if !slices.Contains(q.Elements, el) {
			q.Elements = append(q.Elements, el)
		}
	}
	return nil
}

// qInclude parses "Source:param[:Target]", "Source:*" or "*".
func qInclude(typ, name string, rev, iterate bool, v string) (Include, error) {
	inc := Include{Iterate: iterate}
	if v == "*" {
		if rev {
			return inc, qIgnorable(name, "_revinclude=* is not supported")
		}
		inc.Source, inc.Wildcard = typ, true
		return inc, nil
	}
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return inc, qInvalid(name, "takes Type:parameter or Type:parameter:TargetType")
	}
	inc.Source = parts[0]
	if !fhir.IsResourceType(inc.Source) {
		return inc, qInvalid(name, "unknown resource type "+qShape(inc.Source))
	}
	if !rev && !iterate && inc.Source != typ {
		return inc, qInvalid(name, "_include starts from the searched type "+typ+", not "+inc.Source+" (use _include:iterate)")
	}
	if len(parts) == 3 {
		inc.TargetType = parts[2]
		if !fhir.IsResourceType(inc.TargetType) {
			return inc, qInvalid(name, "unknown resource type "+qShape(inc.TargetType))
		}
		if rev && !iterate && inc.TargetType != typ {
			return inc, qInvalid(name, "_revinclude target must be the searched type "+typ)
		}
	}
	if parts[1] == "*" {
		inc.Wildcard = true
		return inc, nil
	}
	sp, ok := fhir.LookupSearchParam(inc.Source, parts[1])
	if !ok {
		return inc, qInvalid(name, "unknown search parameter "+qShape(parts[1])+" of "+inc.Source)
	}
	if sp.Type != "reference" {
		return inc, qInvalid(name, inc.Source+"."+sp.Code+" is a "+sp.Type+" parameter, not a reference")
	}
	inc.Param = sp
	if inc.TargetType != "" && len(sp.Target) > 0 && !slices.Contains(sp.Target, inc.TargetType) {
		return inc, qInvalid(name, inc.Source+"."+sp.Code+" cannot refer to "+inc.TargetType)
	}
	if rev && !iterate && len(sp.Target) > 0 && !slices.Contains(sp.Target, typ) {
		return inc, qInvalid(name, inc.Source+"."+sp.Code+" cannot refer to "+typ)
	}
	return inc, nil
}
