package rest

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/store"
)

// history answers instance, type and system history with keyset paging on
// a snapshot, so pages stay consistent while others write.
func (e *Engine) history(ctx context.Context, req *Request) (*Response, error) {
	q := req.Query
	count, err := e.pageSize(q)
	if err != nil {
		return nil, err
	}
	hq := store.HistoryQuery{Type: req.Type, ID: req.ID, Count: count}
	if s := q.Get("_since"); s != "" {
		t, err := parseInstant(s)
		if err != nil {
			return nil, invalid("", "_since must be an instant with a time zone (e.g. 2024-01-02T03:04:05Z), not %q", s)
		}
		hq.Since = t
	}
	if q.Has("_at") || q.Has("_list") {
		return nil, notSupported("History parameters _at and _list are not supported")
	}
	if c := q.Get("_cursor"); c != "" {
		before, asOf, err := decodeHistoryCursor(c)
		if err != nil {
			return nil, invalid("", "Malformed paging cursor")
		}
		hq.Before, hq.AsOf = before, asOf
	}
	// _offset (sent by @oystehr/sdk) skips the newest versions of one
	// resource; across resources only the keyset links page correctly.
	offset := 0
	if o := strings.TrimSpace(q.Get("_offset")); o != "" {
		if offset, err = strconv.Atoi(o); err != nil || offset < 0 {
			return nil, invalid("", "_offset must be a non-negative integer, not %q", o)
		}
		if offset > 0 && req.Interaction != HistoryInstance {
			return nil, invalid("", "_offset is supported on the history of one resource only; follow the next link")
		}
		if offset+count > e.maxPage {
			return nil, invalid("", "_offset plus _count may not exceed %d", e.maxPage)
		}
	}
	total := int64(-1)
	if req.Interaction == HistoryInstance {
		// History of an unknown resource is a 404, of a deleted one still its history.
		cur, err := e.readCurrent(ctx, nil, opRead, req.Type, req.ID)
		if err != nil && !isGone(err) {
			return nil, err
		}
		// Versions are numbered 1…n, deletions included. A restricted
		// caller gets no total: it would count versions they may not see.
		if a, err := e.restriction(ctx); err == nil && a == nil && cur != nil && hq.Since.IsZero() {
			total = cur.VersionID
		}
	}
	var page *store.HistoryPage
	if count > 0 {
		hq.Count = count + offset
		if page, err = e.historyPage(ctx, hq); err != nil {
			return nil, err
		}
		page.Versions = page.Versions[min(offset, len(page.Versions)):]
	} else {
		page = &store.HistoryPage{}
	}

	base := baseURL(ctx)
	path := base + "/_history"
	switch req.Interaction {
	case HistoryType:
		path = base + "/" + req.Type + "/_history"
	case HistoryInstance:
		path = base + "/" + req.Type + "/" + req.ID + "/_history"
	}
	entries := make([]any, 0, len(page.Versions))
	for i := range page.Versions {
		entries = append(entries, historyEntry(base, &page.Versions[i]))
	}
	links := []any{map[string]any{"relation": "self", "url": withQuery(path, linkQuery(q, nil))}}
	if page.Next != 0 {
		next := linkQuery(q, map[string]string{"_cursor": encodeHistoryCursor(page.Next, page.AsOf)})
		links = append(links, map[string]any{"relation": "next", "url": withQuery(path, next)})
	}
	bundle := map[string]any{"resourceType": "Bundle", "id": NewUUID(), "type": "history", "link": links}
	if total >= 0 {
		bundle["total"] = total
	}
	if len(entries) > 0 {
		bundle["entry"] = entries
	}
	return &Response{Status: http.StatusOK, Resource: bundle}, nil
}

func withQuery(path, q string) string {
	if q == "" {
		return path
	}
	return path + "?" + q
}

func isGone(err error) bool {
	fe, ok := err.(*Error)
	return ok && fe.Status == http.StatusGone
}

// historyEntry renders one version as a history Bundle entry.
func historyEntry(base string, r *store.Resource) map[string]any {
	entry := map[string]any{"fullUrl": base + "/" + r.Type + "/" + r.ID}
	url := r.Type + "/" + r.ID
	status := "200 OK"
	switch r.Method {
	case http.MethodPost:
		url, status = r.Type, "201 Created"
	case http.MethodDelete:
		status = "204 No Content"
	}
	method := r.Method
	if method == "" {
		method = http.MethodPut
	}
	if !r.Deleted {
		entry["resource"] = rawJSON(r.Body)
	}
	entry["request"] = map[string]any{"method": method, "url": url}
	entry["response"] = map[string]any{
		"status":       status,
		"etag":         etag(r.VersionID),
		"lastModified": r.LastUpdated.UTC().Format(time.RFC3339Nano),
	}
	return entry
}

func encodeHistoryCursor(before, asOf int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(before, 10) + "." + strconv.FormatInt(asOf, 10)))
}

func decodeHistoryCursor(s string) (before, asOf int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, 0, err
	}
	l, r, ok := strings.Cut(string(b), ".")
	if !ok {
		return 0, 0, fmt.Errorf("cursor without snapshot")
	}
	if before, err = strconv.ParseInt(l, 10, 64); err != nil {
		return 0, 0, err
	}
	if asOf, err = strconv.ParseInt(r, 10, 64); err != nil {
		return 0, 0, err
	}
	return before, asOf, nil
}

// parseInstant reads a FHIR instant (a dateTime with seconds and a zone).
func parseInstant(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}
