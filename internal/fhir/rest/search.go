package rest

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/store"
)

// Parameters every interaction accepts that are not search criteria.
var resultParams = map[string]bool{"_format": true, "_pretty": true, "_count": true, "_cursor": true}

// match finds the current resources of typ that satisfy search criteria, for
// conditional interactions. Only _id is indexed so far; any other criterion
// is refused rather than ignored, because ignoring it would update or delete
// the wrong resource.
func (e *Engine) match(ctx context.Context, r store.Reader, typ string, q url.Values) ([]store.Resource, error) {
	var ids []string
	criteria := 0
	for name, values := range q {
		if resultParams[name] {
			continue
		}
		if name != "_id" {
			return nil, notSupported("Search parameter %q is not supported in conditional interactions yet (supported: _id)", name)
		}
		criteria++
		for _, v := range values {
			for _, id := range strings.Split(v, ",") {
				ids = append(ids, strings.TrimSpace(id))
			}
		}
	}
	if criteria == 0 {
		return nil, invalid("", "A conditional interaction needs search criteria")
	}
	var out []store.Resource
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || !validID(id) {
			continue
		}
		seen[id] = true
		res, err := e.readCurrent(ctx, r, typ, id)
		if err != nil {
			if isGoneOrMissing(err) {
				continue
			}
			return nil, err
		}
		out = append(out, *res)
	}
	return out, nil
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

func isGoneOrMissing(err error) bool {
	fe, ok := err.(*Error)
	return ok && (fe.Status == http.StatusNotFound || fe.Status == http.StatusGone)
}

// pageSize reads _count: whitespace tolerated, capped at the maximum page size.
func (e *Engine) pageSize(q url.Values) (int, error) {
	v := strings.TrimSpace(q.Get("_count"))
	if v == "" {
		return e.defaultPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, invalid("", "_count must be a non-negative integer, not %q", v)
	}
	if n > e.maxPage {
		n = e.maxPage
	}
	return n, nil
}

// search runs a type-level search. The store indexes only _id so far; other
// parameters are reported as ignored (or refused with Prefer: handling=strict).
func (e *Engine) search(ctx context.Context, rd store.Reader, req *Request) (*Response, error) {
	q := req.Query
	if req.Method == http.MethodPost && len(req.Body) > 0 {
		form, err := url.ParseQuery(string(req.Body))
		if err != nil {
			return nil, invalid("", "Malformed form body: %v", err)
		}
		for k, vs := range form {
			q[k] = append(q[k], vs...)
		}
	}
	count, err := e.pageSize(q)
	if err != nil {
		return nil, err
	}
	var warnings []fhir.Issue
	var ids []string
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch {
		case resultParams[name]:
		case name == "_id":
			for _, v := range q[name] {
				for _, id := range strings.Split(v, ",") {
					if id = strings.TrimSpace(id); id != "" {
						ids = append(ids, id)
					}
				}
			}
		default:
			msg := "Search parameter " + name + " is not supported and was ignored"
			if req.Prefer.Handling == "strict" {
				return nil, errorf(http.StatusBadRequest, "not-supported", "", "Search parameter %q is not supported", name)
			}
			warnings = append(warnings, fhir.Issue{Severity: "warning", Code: "not-supported", Diagnostics: msg})
		}
	}
	after := ""
	if c := q.Get("_cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil {
			return nil, invalid("", "Malformed paging cursor")
		}
		after = string(b)
	}
	var page *store.ListPage
	if count > 0 {
		page, err = e.list(ctx, rd, store.ListQuery{Type: req.Type, IDs: ids, After: after, Count: count})
		if err != nil {
			return nil, err
		}
	} else {
		page = &store.ListPage{}
	}
	base := baseURL(ctx)
	entries := make([]any, 0, len(page.Resources)+1)
	for i := range page.Resources {
		r := &page.Resources[i]
		entries = append(entries, map[string]any{
			"fullUrl":  base + "/" + r.Type + "/" + r.ID,
			"resource": rawJSON(r.Body),
			"search":   map[string]any{"mode": "match"},
		})
	}
	if len(warnings) > 0 {
		entries = append(entries, map[string]any{"resource": outcome(warnings), "search": map[string]any{"mode": "outcome"}})
	}
	self := linkQuery(q, nil)
	links := []any{map[string]any{"relation": "self", "url": base + "/" + req.Type + "?" + self}}
	if page.Next != "" {
		next := linkQuery(q, map[string]string{"_cursor": base64.RawURLEncoding.EncodeToString([]byte(page.Next))})
		links = append(links, map[string]any{"relation": "next", "url": base + "/" + req.Type + "?" + next})
	}
	bundle := map[string]any{"resourceType": "Bundle", "id": NewUUID(), "type": "searchset", "link": links}
	if len(entries) > 0 {
		bundle["entry"] = entries
	}
	return &Response{Status: http.StatusOK, Resource: bundle}, nil
}

// linkQuery re-encodes the query for a paging link, dropping output-format
// parameters and overriding the given keys.
func linkQuery(q url.Values, set map[string]string) string {
	out := url.Values{}
	for k, vs := range q {
		if k == "_format" || k == "_pretty" || k == "_cursor" {
			continue
		}
		out[k] = vs
	}
	for k, v := range set {
		out.Set(k, v)
	}
	return out.Encode()
}
