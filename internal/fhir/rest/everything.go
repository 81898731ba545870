package rest

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
)

// everything answers Patient/{id}/$everything: the patient and every
// resource of its compartment (R4 Patient CompartmentDefinition), optionally
// limited by _type and _since, paged with _count (default and cap as for
// searches). The cursor names the resource type reached and the store's
// cursor within it, so pages stay correct while others write.
func (e *Engine) everything(ctx context.Context, rd store.Reader, req *Request) (*Response, error) {
	q, err := searchParams(req)
	if err != nil {
		return nil, err
	}
	count, err := e.pageSize(q)
	if err != nil {
		return nil, err
	}
	patient, err := e.readCurrent(ctx, rd, opRead, "Patient", req.ID)
	if err != nil {
		return nil, err
	}
	types, err := everythingTypes(q.Get("_type"))
	if err != nil {
		return nil, err
	}
	criteria := url.Values{}
	if s := q.Get("_since"); s != "" {
		if _, err := parseInstant(s); err != nil {
			return nil, invalid("", "_since must be an instant with a time zone, not %q", s)
		}
		criteria.Set("_lastUpdated", "ge"+s)
	}
	start, inner, err := decodeEverythingCursor(q.Get("_cursor"))
	if err != nil {
		return nil, err
	}
	// One query finds the types the patient has anything of; the walk
	// searches only those (a patient has resources of a handful of the
	// compartment's sixty-odd types, and an empty search still costs a
	// statement).
	present, err := e.compartmentTypes(ctx, rd, req.ID, types[start:])
	if err != nil {
		return nil, err
	}

	base := baseURL(ctx)
	entries := []any{}
	add := func(r *store.Resource) {
		entries = append(entries, map[string]any{
			"fullUrl": base + "/" + r.Type + "/" + r.ID, "resource": rawJSON(r.Body), "search": map[string]any{"mode": "match"},
		})
	}
	next := ""
	for i := start; i < len(types) && next == ""; i++ {
		typ := types[i]
		if typ == selfStep {
			add(patient)
			if len(entries) >= count && i+1 < len(types) {
				next = encodeEverythingCursor(i+1, "")
			}
			continue
		}
		if !present[typ] {
			// Nothing of the type, or nothing the caller may search
			// ($everything returns what the caller may see).
			continue
		}
		query, _, err := search.ParseQuery(typ, criteria, search.ParseOptions{BaseURL: base})
		if err != nil {
			return nil, queryError(err)
		}
		cursor := inner
		inner = ""
		for {
			query.Count = count - len(entries)
			if query.Count <= 0 {
				next = encodeEverythingCursor(i, cursor)
				break
			}
			res, err := e.runSearch(ctx, rd, store.SearchRequest{Query: query, Cursor: cursor,
				Compartment: &store.Compartment{Type: "Patient", ID: req.ID, Params: fhir.CompartmentParams("Patient", typ)}})
			if err != nil {
				return nil, err
			}
			for j := range res.Matches {
				if m := &res.Matches[j]; !(m.Type == "Patient" && m.ID == req.ID) {
					add(m)
				}
			}
			if res.Next == "" {
				break
			}
			cursor = res.Next
		}
		if next == "" && len(entries) >= count && i+1 < len(types) {
			next = encodeEverythingCursor(i+1, "")
		}
	}
	path := base + "/Patient/" + req.ID + "/$everything"
	links := []any{map[string]any{"relation": "self", "url": withQuery(path, linkQuery(q, nil))}}
	if next != "" {
		links = append(links, map[string]any{"relation": "next", "url": withQuery(path, linkQuery(q, map[string]string{"_cursor": next}))})
	}
	bundle := map[string]any{"resourceType": "Bundle", "id": NewUUID(), "type": "searchset", "link": links}
	if len(entries) > 0 {
		bundle["entry"] = entries
	}
	return &Response{Status: http.StatusOK, Resource: bundle}, nil
}

// selfStep is the first step of $everything: the patient itself.
const selfStep = ""

// everythingTypes lists the steps $everything walks, in a fixed order: the
// patient itself, then the Patient compartment's types (Patient again for
// linked patients), or only those named by _type.
func everythingTypes(only string) ([]string, error) {
	var types []string
	want := map[string]bool{}
	for _, t := range strings.Split(only, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !fhir.IsResourceType(t) {
			return nil, invalid("", "_type names an unknown resource type %q", t)
		}
		want[t] = true
	}
	if len(want) == 0 || want["Patient"] {
		types = append(types, selfStep)
	}
	for _, t := range fhir.ResourceTypes() {
		if len(fhir.CompartmentParams("Patient", t)) > 0 && (len(want) == 0 || want[t]) {
			types = append(types, t)
		}
	}
	return types, nil
}

func encodeEverythingCursor(typeIndex int, inner string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(typeIndex) + ":" + inner))
}

func decodeEverythingCursor(c string) (int, string, error) {
	if c == "" {
		return 0, "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if i, inner, ok := strings.Cut(string(b), ":"); ok {
			if n, err := strconv.Atoi(i); err == nil && n >= 0 {
				return n, inner, nil
			}
		}
	}
	return 0, "", invalid("", "Malformed paging cursor")
}
