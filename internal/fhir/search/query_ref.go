package search

import (
	"slices"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
)

// reference parses a reference value (escapes still in place): "id",
// "Type/id", "Type/id/_history/v", an absolute URL (made relative when it is
// under ParseOptions.BaseURL) or a canonical "url|version". target is the
// ":[type]" modifier's type, if any.
func (p *qParser) reference(sp fhir.SearchParam, target, full, part string) (Value, error) {
	pieces := qSplit(part, '|')
	if len(pieces) > 2 {
		return Value{}, qInvalid(full, "a reference takes id, Type/id, Type/id/_history/version, an absolute URL or url|version")
	}
	s := qUnescape(pieces[0])
	if len(pieces) == 2 || strings.Contains(s, ":") {
		if base := strings.TrimSuffix(p.opts.BaseURL, "/"); base != "" && len(pieces) == 1 {
			if rel, ok := strings.CutPrefix(s, base+"/"); ok {
				return qRelativeRef(sp, target, full, rel, qUnescape(part))
			}
		}
		if !strings.Contains(s, ":") {
			return Value{}, qInvalid(full, "a versioned reference (url|version) needs an absolute URL")
		}
		v := Value{Raw: qUnescape(part), URL: s}
		if len(pieces) == 2 {
			v.Version = qUnescape(pieces[1])
		}
		return v, nil
	}
	return qRelativeRef(sp, target, full, s, s)
}

// qRelativeRef parses "id", "Type/id" or "Type/id/_history/v".
func qRelativeRef(sp fhir.SearchParam, target, full, s, raw string) (Value, error) {
	segs := strings.Split(s, "/")
	v := Value{Raw: raw}
	switch {
	case len(segs) == 1:
		v.ID = segs[0]
		switch {
		case target != "":
			v.Type = target
		case len(sp.Target) == 1:
			v.Type = sp.Target[0]
		}
	case len(segs) == 2 || len(segs) == 4 && segs[2] == "_history":
		v.Type, v.ID = segs[0], segs[1]
		if len(segs) == 4 {
			v.Version = segs[3]
			if !fhir.IsValidID(v.Version) {
				return Value{}, qInvalid(full, "malformed version in a Type/id/_history/version reference")
			}
		}
		if !fhir.IsResourceType(v.Type) {
			return Value{}, qInvalid(full, "reference names an unknown resource type")
		}
		if target != "" && v.Type != target {
			return Value{}, qInvalid(full, "reference type "+v.Type+" contradicts the :"+target+" modifier")
		}
		if len(sp.Target) > 0 && !slices.Contains(sp.Target, v.Type) {
			return Value{}, qInvalid(full, sp.Code+" cannot refer to "+v.Type+" (allowed: "+strings.Join(sp.Target, ", ")+")")
		}
	default:
		return Value{}, qInvalid(full, "a reference takes id, Type/id, Type/id/_history/version, an absolute URL or url|version")
	}
	if !fhir.IsValidID(v.ID) {
		return Value{}, qInvalid(full, "malformed resource id in a reference (1-64 of A-Z a-z 0-9 - .)")
	}
	return v, nil
}
