package rest

import (
	"encoding/json"
	"slices"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
)

// subsetted is the meta.tag a server puts on resources it returns in part.
var subsetted = map[string]any{
	"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
	"code":   "SUBSETTED",
}

// shapeResource applies _summary and _elements to a stored resource; the
// stored bytes are returned untouched when neither applies.
func shapeResource(r *store.Resource, q *search.Query) any {
	var keep func(key string) bool
	switch {
	case q.Summary == search.SummaryTrue:
		summary := fhir.SummaryElements(r.Type)
		keep = func(k string) bool { return slices.Contains(summary, k) }
	case q.Summary == search.SummaryText:
		keep = func(k string) bool {
			return k == "text" || k == "id" || k == "meta" || isMandatory(r.Type, k)
		}
	case q.Summary == search.SummaryData:
		keep = func(k string) bool { return k != "text" }
	case q.Elements != nil:
		keep = func(k string) bool {
			return k == "id" || k == "meta" || isMandatory(r.Type, k) || namedIn(r.Type, k, q.Elements)
		}
	default:
		return rawJSON(r.Body)
	}
	res, issues := fhir.Decode(r.Body)
	if fhir.HasErrors(issues) {
		return rawJSON(r.Body)
	}
	for k := range res {
		if k != "resourceType" && !keep(k) && !keep(trimUnderscore(k)) {
			delete(res, k)
		}
	}
	meta, _ := res["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		res["meta"] = meta
	}
	tags, _ := meta["tag"].([]any)
	meta["tag"] = append(tags, subsetted)
	out, err := fhir.Marshal(res)
	if err != nil {
		return rawJSON(r.Body)
	}
	return json.RawMessage(out)
}

func trimUnderscore(k string) string {
	if len(k) > 1 && k[0] == '_' {
		return k[1:]
	}
	return k
}

// isMandatory reports a top-level element with min > 0 (always returned).
func isMandatory(typ, key string) bool {
	def, ok := fhir.LookupElement(typ + "." + key)
	return ok && def.Min > 0
}

// namedIn reports whether a JSON key is one of the element names, a choice
// key ("valueQuantity") counting as its element ("value").
func namedIn(typ, key string, names []string) bool {
	for _, n := range names {
		if key == n {
			return true
		}
		if len(key) > len(n) && key[:len(n)] == n && key[len(n)] >= 'A' && key[len(n)] <= 'Z' {
			if _, ok := fhir.LookupElement(typ + "." + n + "[x]"); ok {
				return true
			}
		}
	}
	return false
}
