package search

import (
	"strconv"
	"sync"

	"github.com/housecall/housecall/internal/fhir"
)

// Composite parameters name their components by SearchParameter URL; the
// fhir package looks parameters up by type and code only, so this index
// maps every definition's URL to it.
var (
	qURLOnce  sync.Once
	qURLIndex map[string]fhir.SearchParam
)

// qParamByURL finds a search parameter definition by its canonical URL.
func qParamByURL(url string) (fhir.SearchParam, bool) {
	qURLOnce.Do(func() {
		qURLIndex = make(map[string]fhir.SearchParam, 2048)
		for _, t := range fhir.ResourceTypes() {
			for _, sp := range fhir.SearchParams(t) {
				qURLIndex[sp.URL] = sp
			}
		}
	})
	sp, ok := qURLIndex[url]
	return sp, ok
}

// qComponents resolves the component parameters of a composite parameter.
func qComponents(sp fhir.SearchParam, full string) ([]fhir.SearchParam, error) {
	if len(sp.Component) == 0 {
		return nil, qIgnorable(full, "composite parameter "+sp.Code+" has no components defined")
	}
	out := make([]fhir.SearchParam, len(sp.Component))
	for i, c := range sp.Component {
		cp, ok := qParamByURL(c.Definition)
		if !ok || cp.Type == "composite" || cp.Type == "special" {
			return nil, qIgnorable(full, "component "+strconv.Itoa(i+1)+" of "+sp.Code+" cannot be resolved")
		}
		out[i] = cp
	}
	return out, nil
}

// composite parses "a$b[$c]": each part with its component's type.
func (p *qParser) composite(sp fhir.SearchParam, full, part string) (Value, error) {
	comps, err := qComponents(sp, full)
	if err != nil {
		return Value{}, err
	}
	pieces := qSplit(part, '$')
	if len(pieces) != len(comps) {
		return Value{}, qInvalid(full, sp.Code+" takes "+strconv.Itoa(len(comps))+" '$'-separated parts, not "+strconv.Itoa(len(pieces)))
	}
	v := Value{Raw: qUnescape(part), Components: make([]Value, len(comps))}
	for i, cp := range comps {
		if pieces[i] == "" {
			return Value{}, qInvalid(full, "part "+strconv.Itoa(i+1)+" of "+sp.Code+" is empty")
		}
		cv, err := p.value(cp, ModifierNone, "", full, pieces[i])
		if err != nil {
			return Value{}, err
		}
		v.Components[i] = cv
	}
	return v, nil
}
