package rest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
)

// parseSearch turns search parameters into a typed query. Unknown or
// unimplemented parameters become warnings, or a 400 under
// Prefer: handling=strict; malformed ones are always a 400.
func (e *Engine) parseSearch(ctx context.Context, typ string, q url.Values, prefer Prefer) (*search.Query, []fhir.Issue, error) {
	query, unsupported, err := search.ParseQuery(typ, q, search.ParseOptions{
		DefaultCount: e.defaultPage, MaxCount: e.maxPage, BaseURL: baseURL(ctx), Ignore: []string{"_cursor"},
	})
	if err != nil {
		return nil, nil, queryError(err)
	}
	var warnings []fhir.Issue
	for _, u := range unsupported {
		if prefer.Handling == "strict" {
			return nil, nil, &Error{Status: http.StatusBadRequest, Issues: []fhir.Issue{{
				Severity: "error", Code: u.Code, Diagnostics: u.Error(),
			}}}
		}
		warnings = append(warnings, fhir.Issue{Severity: "warning", Code: u.Code, Diagnostics: u.Error() + " (ignored)"})
	}
	return query, warnings, nil
}

func queryError(err error) error {
	var qe *search.QueryError
	if errors.As(err, &qe) {
		return &Error{Status: http.StatusBadRequest, Issues: []fhir.Issue{{Severity: "error", Code: qe.Code, Diagnostics: qe.Error()}}}
	}
	return err
}

// match finds the current resources of typ that satisfy search criteria,
// for conditional interactions. It reads through r (the transaction), and
// needs at most two matches to tell none, one and several apart.
func (e *Engine) match(ctx context.Context, r store.Reader, typ string, q url.Values) ([]store.Resource, error) {
	criteria := url.Values{}
	for k, v := range q {
		if k != "_format" && k != "_pretty" {
			criteria[k] = v
		}
	}
	if len(criteria) == 0 {
		return nil, invalid("", "A conditional interaction needs search criteria")
	}
	query, unsupported, err := search.ParseQuery(typ, criteria, search.ParseOptions{DefaultCount: 2, MaxCount: 2, BaseURL: baseURL(ctx)})
	if err != nil {
		return nil, queryError(err)
	}
	if len(unsupported) > 0 {
		// Ignoring a criterion would update or delete the wrong resource.
		return nil, &Error{Status: http.StatusBadRequest, Issues: []fhir.Issue{{
			Severity: "error", Code: unsupported[0].Code, Diagnostics: unsupported[0].Error() + "; conditional interactions never ignore criteria",
		}}}
	}
	if len(query.Sort) > 0 || len(query.Include) > 0 || len(query.RevInclude) > 0 || query.Summary != "" || query.Total != "" || query.Elements != nil {
		return nil, invalid("", "Conditional criteria may only hold search parameters")
	}
	query.Count = 2
	res, err := e.runSearch(ctx, r, store.SearchRequest{Query: query})
	if err != nil {
		return nil, err
	}
	return res.Matches, nil
}

// matchCriteria parses a criteria query string (If-None-Exist, ifNoneExist).
func (e *Engine) matchCriteria(ctx context.Context, r store.Reader, typ, raw string) ([]store.Resource, error) {
	raw = strings.TrimPrefix(raw, "?")
	if i := strings.Index(raw, "?"); i >= 0 { // a full "Type?x=y" form
		if raw[:i] != typ {
			return nil, invalid("", "If-None-Exist names type %q, not %q", raw[:i], typ)
		}
		raw = raw[i+1:]
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, invalid("", "Malformed If-None-Exist: %v", err)
	}
	return e.match(ctx, r, typ, q)
}

// pageSize reads _count for history: whitespace tolerated, capped.
func (e *Engine) pageSize(q url.Values) (int, error) {
	v := strings.TrimSpace(q.Get("_count"))
	if v == "" {
		return e.defaultPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, invalid("", "_count must be a non-negative integer, not %q", v)
	}
	return min(n, e.maxPage), nil
}

// searchParams merges the query string with a form-encoded _search body.
func searchParams(req *Request) (url.Values, error) {
	q := url.Values{}
	for k, v := range req.Query {
		q[k] = append([]string(nil), v...)
	}
	if req.Method == http.MethodPost && len(req.Body) > 0 {
		form, err := url.ParseQuery(string(req.Body))
		if err != nil {
			return nil, invalid("", "Malformed form body: %v", err)
		}
		for k, vs := range form {
			q[k] = append(q[k], vs...)
		}
	}
	return q, nil
}

// search runs a type-level or compartment search and renders the searchset.
func (e *Engine) search(ctx context.Context, rd store.Reader, req *Request) (*Response, error) {
	q, err := searchParams(req)
	if err != nil {
		return nil, err
	}
	query, warnings, err := e.parseSearch(ctx, req.Type, q, req.Prefer)
	if err != nil {
		return nil, err
	}
	sreq := store.SearchRequest{Query: query, Cursor: q.Get("_cursor")}
	path := baseURL(ctx) + "/" + req.Type
	if req.Compartment != "" {
		params := fhir.CompartmentParams(req.Compartment, req.Type)
		if len(params) == 0 {
			return nil, errorf(http.StatusNotFound, "not-supported", "", "%s resources are not in the %s compartment", req.Type, req.Compartment)
		}
		if _, err := e.readCurrent(ctx, rd, opRead, req.Compartment, req.ID); err != nil {
			return nil, err
		}
		sreq.Compartment = &store.Compartment{Type: req.Compartment, ID: req.ID, Params: params}
		path = baseURL(ctx) + "/" + req.Compartment + "/" + req.ID + "/" + req.Type
	}
	res, err := e.runSearch(ctx, rd, sreq)
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusOK, Resource: searchBundle(ctx, path, q, query, res, warnings)}, nil
}

// runSearch is the store call of a search (see access.go).
func (e *Engine) runSearch(ctx context.Context, rd store.Reader, req store.SearchRequest) (*store.SearchResult, error) {
	res, err := e.find(ctx, rd, req)
	if errors.Is(err, store.ErrInvalid) {
		msg := err.Error()
		if i := strings.Index(msg, store.ErrInvalid.Error()+": "); i >= 0 {
			msg = msg[i+len(store.ErrInvalid.Error())+2:]
		}
		code := "invalid"
		if strings.Contains(msg, "not supported") {
			code = "not-supported"
		}
		return nil, &Error{Status: http.StatusBadRequest, Cause: err, Issues: []fhir.Issue{{Severity: "error", Code: code, Diagnostics: msg}}}
	}
	return res, err
}

// searchBundle renders a searchset Bundle.
func searchBundle(ctx context.Context, path string, q url.Values, query *search.Query, res *store.SearchResult, warnings []fhir.Issue) map[string]any {
	base := baseURL(ctx)
	entries := make([]any, 0, len(res.Matches)+len(res.Included)+1)
	add := func(r *store.Resource, mode string) {
		entries = append(entries, map[string]any{
			"fullUrl":  base + "/" + r.Type + "/" + r.ID,
			"resource": shapeResource(r, query),
			"search":   map[string]any{"mode": mode},
		})
	}
	for i := range res.Matches {
		add(&res.Matches[i], "match")
	}
	for i := range res.Included {
		add(&res.Included[i], "include")
	}
	if len(warnings) > 0 {
		entries = append(entries, map[string]any{"resource": outcome(warnings), "search": map[string]any{"mode": "outcome"}})
	}
	links := []any{map[string]any{"relation": "self", "url": withQuery(path, linkQuery(q, nil))}}
	if res.Next != "" {
		links = append(links, map[string]any{"relation": "next", "url": withQuery(path, linkQuery(q, map[string]string{"_cursor": res.Next}))})
	}
	if res.Prev != "" {
		links = append(links, map[string]any{"relation": "previous", "url": withQuery(path, linkQuery(q, map[string]string{"_cursor": res.Prev}))})
	}
	bundle := map[string]any{"resourceType": "Bundle", "id": NewUUID(), "type": "searchset", "link": links}
	if res.Total >= 0 {
		bundle["total"] = res.Total
	}
	if len(entries) > 0 {
		bundle["entry"] = entries
	}
	return bundle
}

// linkQuery re-encodes the query for a paging link, dropping output-format
// parameters and overriding the given keys.
func linkQuery(q url.Values, set map[string]string) string {
	out := url.Values{}
	for k, vs := range q {
		if k == "_format" || k == "_pretty" || k == "_cursor" || k == "_offset" {
			continue
		}
		out[k] = vs
	}
	for k, v := range set {
		out.Set(k, v)
	}
	return out.Encode()
}
