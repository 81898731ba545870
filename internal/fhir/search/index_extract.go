package search

import (
	"errors"
	"fmt"
	"slices"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/fhirpath"
)

// Extract returns the index entries of every indexed search parameter of
// res's type, deduplicated per parameter, in parameter-code order. Entries
// of contained resources are not included (R4's default). An error means
// the resource has no known resourceType or a search expression failed on
// it; nothing should be written then.
func (ix *Indexer) Extract(res map[string]any) ([]Entry, error) {
	rt, _ := res["resourceType"].(string)
	params, ok := ix.byType[rt]
	if !ok {
		return nil, fmt.Errorf("search: cannot index resource type %q", rt)
	}
	x := idxExtractor{ix: ix, res: res}
	peak := 0
	hint := ix.sizeHint[rt]
	out := make([]Entry, 0, int(hint.Load())+4)
	for i := range params {
		p := &params[i]
		items, err := idxEval(p.exprs, res, nil, ix.opts)
		if err != nil {
			return nil, fmt.Errorf("search: indexing %s.%s: %w", rt, p.code, err)
		}
		if len(items) == 0 {
			continue
		}
		start := len(out)
		if p.kind == KindComposite {
			out, err = x.composite(out, p, items)
			if err != nil {
				return nil, fmt.Errorf("search: indexing %s.%s: %w", rt, p.code, err)
			}
		} else {
			for _, it := range items {
				out = x.add(out, p.code, p.kind, it)
			}
		}
		peak = max(peak, len(out))
		out = idxDedup(out, start)
	}
	hint.Store(int32(min(peak, 1<<16)))
	return out, nil
}

// idxEval evaluates union branches over a resource (or, when ctx is not
// nil, over that context) and concatenates their results.
func idxEval(exprs []*fhirpath.Expression, res map[string]any, ctx []fhirpath.Item, opts *fhirpath.EvalOptions) ([]fhirpath.Item, error) {
	var out []fhirpath.Item
	for _, e := range exprs {
		var items []fhirpath.Item
		var err error
		if ctx != nil {
			items, err = e.EvaluateItems(ctx, opts)
		} else {
			items, err = e.Evaluate(res, opts)
		}
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = items
		} else {
			out = append(out[:len(out):len(out)], items...)
		}
	}
	return out, nil
}

// errIdxTooMany guards against combinatorial explosion in composites.
var errIdxTooMany = errors.New("composite parameter has too many value combinations")

// idxMaxCombos bounds composite entries per base item; real resources have
// a handful (a code with 2-3 codings times one value).
const idxMaxCombos = 256

func (x *idxExtractor) composite(dst []Entry, p *idxParam, bases []fhirpath.Item) ([]Entry, error) {
	parts := make([][]Entry, len(p.comps))
	var resParts map[int][]Entry // %resource components: same for every base item
	for _, base := range bases {
		ctx := []fhirpath.Item{base}
		total := 1
		for ci := range p.comps {
			c := &p.comps[ci]
			if c.onResource {
				if resParts == nil {
					resParts = make(map[int][]Entry)
				}
				if _, done := resParts[ci]; !done {
					items, err := idxEval(c.exprs, x.res, nil, x.ix.opts)
					if err != nil {
						return dst, err
					}
					resParts[ci] = x.convert(nil, c.code, c.kind, items)
				}
				parts[ci] = resParts[ci]
			} else {
				items, err := idxEval(c.exprs, nil, ctx, x.ix.opts)
				if err != nil {
					return dst, err
				}
				parts[ci] = x.convert(parts[ci][:0], c.code, c.kind, items)
			}
			total *= len(parts[ci])
		}
		if total == 0 {
			continue // every component must have a value
		}
		if total > idxMaxCombos {
			return dst, fmt.Errorf("%w (%d)", errIdxTooMany, total)
		}
		dst = idxCombine(dst, p.code, parts, make([]int, len(parts)), total)
	}
	return dst, nil
}

// idxCombine appends one composite entry per element of the cartesian
// product of parts (odometer order, last component fastest).
func idxCombine(dst []Entry, code string, parts [][]Entry, pos []int, total int) []Entry {
	for n := 0; n < total; n++ {
		comps := make([]Entry, len(parts))
		for i, p := range parts {
			comps[i] = p[pos[i]]
		}
		dst = append(dst, Entry{Param: code, Kind: KindComposite, Components: comps})
		for i := len(pos) - 1; i >= 0; i-- {
			pos[i]++
			if pos[i] < len(parts[i]) {
				break
			}
			pos[i] = 0
		}
	}
	return dst
}

func (x *idxExtractor) convert(dst []Entry, code string, kind Kind, items []fhirpath.Item) []Entry {
	for _, it := range items {
		dst = x.add(dst, code, kind, it)
	}
	return dst
}

// idxDedup removes duplicates from dst[start:] keeping the first of each.
func idxDedup(dst []Entry, start int) []Entry {
	n := len(dst) - start
	if n < 2 {
		return dst
	}
	if n > idxDedupLinear {
		return idxDedupMap(dst, start)
	}
	w := start
	for r := start; r < len(dst); r++ {
		dup := false
		for k := start; k < w; k++ {
			if idxEqual(&dst[k], &dst[r]) {
				dup = true
				break
			}
		}
		if !dup {
			dst[w] = dst[r]
			w++
		}
	}
	for i := w; i < len(dst); i++ {
		dst[i] = Entry{} // drop references held by the removed tail
	}
	return dst[:w]
}

func idxEqual(a, b *Entry) bool {
	if a.Param != b.Param || a.Kind != b.Kind ||
		a.Norm != b.Norm || a.Exact != b.Exact ||
		a.System != b.System || a.Code != b.Code || a.Text != b.Text ||
		a.RefType != b.RefType || a.RefID != b.RefID || a.RefVersion != b.RefVersion || a.RefURL != b.RefURL ||
		a.DateLo != b.DateLo || a.DateHi != b.DateHi ||
		a.Value != b.Value || a.Lo != b.Lo || a.Hi != b.Hi || a.Unit != b.Unit ||
		len(a.Components) != len(b.Components) {
		return false
	}
	for i := range a.Components {
		if !idxEqual(&a.Components[i], &b.Components[i]) {
			return false
		}
	}
	return true
}

// idxDedupLinear is the group size up to which a quadratic scan beats
// hashing (typical parameters yield one to five entries).
const idxDedupLinear = 32

// idxKey is an Entry's scalar fields, usable as a map key.
type idxKey struct {
	param, norm, exact, system, code, text, refType, refID, refVersion, refURL, unit string
	kind                                                                             Kind
	dateLo, dateHi                                                                   int64
	value, lo, hi                                                                    float64
}

func idxKeyOf(e *Entry) idxKey {
	return idxKey{e.Param, e.Norm, e.Exact, e.System, e.Code, e.Text, e.RefType, e.RefID, e.RefVersion, e.RefURL, e.Unit,
		e.Kind, e.DateLo, e.DateHi, e.Value, e.Lo, e.Hi}
}

// idxDedupMap is idxDedup for large groups (long Bundles, big
// Questionnaires): entries are bucketed by their scalar fields and only
// compared in full (components included) within a bucket.
func idxDedupMap(dst []Entry, start int) []Entry {
	seen := make(map[idxKey][]int, len(dst)-start)
	w := start
	for r := start; r < len(dst); r++ {
		k := idxKeyOf(&dst[r])
		dup := false
		for _, i := range seen[k] {
			if idxEqual(&dst[i], &dst[r]) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		dst[w] = dst[r]
		seen[k] = append(seen[k], w)
		w++
	}
	for i := w; i < len(dst); i++ {
		dst[i] = Entry{}
	}
	return dst[:w]
}

// PatientRefs returns the ids of the patients whose compartment res belongs
// to: the Patient itself, or the patients its Patient-compartment reference
// parameters point at. Only those parameters are evaluated, so it is much
// cheaper than Extract (the access policy and the audit trail call it on
// every read).
func (ix *Indexer) PatientRefs(res map[string]any) ([]string, error) {
	rt, _ := res["resourceType"].(string)
	if rt == "Patient" {
		id, _ := res["id"].(string)
		if id == "" {
			return nil, nil
		}
		return []string{id}, nil
	}
	params, ok := ix.byType[rt]
	if !ok {
		return nil, fmt.Errorf("search: unknown resource type %q", rt)
	}
	codes := fhir.CompartmentParams("Patient", rt)
	if len(codes) == 0 {
		return nil, nil
	}
	x := idxExtractor{ix: ix, res: res}
	var ids []string
	for i := range params {
		p := &params[i]
		if p.kind != KindReference || !slices.Contains(codes, p.code) {
			continue
		}
		items, err := idxEval(p.exprs, res, nil, ix.opts)
		if err != nil {
			return nil, fmt.Errorf("search: %s.%s: %w", rt, p.code, err)
		}
		var es []Entry
		for _, it := range items {
			es = x.add(es, p.code, p.kind, it)
		}
		for _, e := range es {
			if e.RefType == "Patient" && e.RefID != "" && !slices.Contains(ids, e.RefID) {
				ids = append(ids, e.RefID)
			}
		}
	}
	return ids, nil
}
