package rest

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/audit"
	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/store"
)

// entryPlan is one Bundle entry turned into a Request.
type entryPlan struct {
	index   int
	fullURL string
	req     *Request
	err     error // planning failed (batch entries answer with it)
}

// processing order of a transaction (FHIR R4 3.1.0.11.2): DELETE, POST, PUT/PATCH, GET/HEAD.
func methodRank(m string) int {
	switch m {
	case http.MethodDelete:
		return 0
	case http.MethodPost:
		return 1
	case http.MethodPut, http.MethodPatch:
		return 2
	}
	return 3
}

// bundle runs a batch or transaction Bundle.
func (e *Engine) bundle(ctx context.Context, req *Request) (*Response, error) {
	if len(req.Body) == 0 {
		return nil, invalid("", "The request body is empty; a Bundle of type batch or transaction is required")
	}
	res, issues := fhir.Decode(req.Body)
	if fhir.HasErrors(issues) {
		return nil, &Error{Status: http.StatusBadRequest, Issues: issues}
	}
	if err := checkType(res, "Bundle"); err != nil {
		return nil, err
	}
	// The Bundle itself is validated without its entries' requests and
	// resources: those are checked entry by entry, so that one bad entry
	// of a batch fails alone (and a transaction names the entry).
	if issues := fhir.Validate(bundleSkeleton(res), "Bundle"); fhir.HasErrors(issues) {
		return nil, validationError(issues)
	}
	kind, _ := res["type"].(string)
	if kind != "batch" && kind != "transaction" {
		return nil, invalid("Bundle.type", "Bundle.type must be batch or transaction to be processed, not %q", kind)
	}
	rawEntries, _ := res["entry"].([]any)
	if len(rawEntries) > e.maxBundleEntries {
		return nil, errorf(http.StatusRequestEntityTooLarge, "too-costly", "Bundle.entry", "A Bundle may hold at most %d entries", e.maxBundleEntries)
	}
	plans := make([]*entryPlan, len(rawEntries))
	var planIssues []fhir.Issue
	for i, raw := range rawEntries {
		p, err := planEntry(i, raw, req.Prefer)
		if err != nil {
			if kind == "transaction" {
				planIssues = append(planIssues, asError(err).Issues...)
				continue
			}
			p = &entryPlan{index: i, err: err}
		}
		plans[i] = p
	}
	if len(planIssues) > 0 {
		return nil, &Error{Status: http.StatusBadRequest, Issues: planIssues}
	}
	order := make([]*entryPlan, 0, len(plans))
	for _, p := range plans {
		if p != nil && p.err == nil {
			order = append(order, p)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return methodRank(order[a].req.Method) < methodRank(order[b].req.Method) })

	var results []any
	var err error
	if kind == "transaction" {
		results, err = e.transaction(ctx, plans, order)
	} else {
		results = e.batch(ctx, plans, order)
	}
	if err != nil {
		return nil, err
	}
	out := map[string]any{"resourceType": "Bundle", "id": NewUUID(), "type": kind + "-response"}
	if len(results) > 0 {
		out["entry"] = results
	}
	return &Response{Status: http.StatusOK, Resource: out}, nil
}

// bundleSkeleton is a shallow copy of a Bundle whose entries lack request and resource.
func bundleSkeleton(b map[string]any) map[string]any {
	out := make(map[string]any, len(b))
	for k, v := range b {
		out[k] = v
	}
	if list, ok := b["entry"].([]any); ok {
		entries := make([]any, 0, len(list))
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				entries = append(entries, e)
				continue
			}
			c := make(map[string]any, len(m))
			for k, v := range m {
				if k != "request" && k != "resource" {
					c[k] = v
				}
			}
			if len(c) > 0 {
				entries = append(entries, c)
			}
		}
		if len(entries) == 0 {
			delete(out, "entry")
		} else {
			out["entry"] = entries
		}
	}
	return out
}

// planEntry reads entry.request and entry.resource into a Request.
func planEntry(i int, raw any, prefer Prefer) (*entryPlan, error) {
	loc := "Bundle.entry[" + strconv.Itoa(i) + "]"
	entry, _ := raw.(map[string]any)
	request, _ := entry["request"].(map[string]any)
	if request == nil {
		return nil, invalid(loc+".request", "Every entry of a batch or transaction needs a request")
	}
	// Validate the request element on its own (the Bundle was validated without it).
	probe := map[string]any{"resourceType": "Bundle", "type": "batch", "entry": []any{map[string]any{"request": request}}}
	if issues := fhir.Validate(probe, "Bundle"); fhir.HasErrors(issues) {
		for j := range issues {
			issues[j].Expression = strings.Replace(issues[j].Expression, "Bundle.entry[0]", loc, 1)
		}
		return nil, validationError(issues)
	}
	method, _ := request["method"].(string)
	rawURL, _ := request["url"].(string)
	sub, err := ParseURL(method, rawURL)
	if err != nil {
		fe := asError(err)
		for j := range fe.Issues {
			fe.Issues[j].Expression = loc + ".request.url"
		}
		return nil, fe
	}
	switch sub.Interaction {
	case Batch, Capabilities:
		return nil, invalid(loc+".request", "%s %s is not allowed inside a Bundle", method, rawURL)
	}
	sub.IfMatch, _ = request["ifMatch"].(string)
	sub.IfNoneMatch, _ = request["ifNoneMatch"].(string)
	sub.IfNoneExist, _ = request["ifNoneExist"].(string)
	sub.IfModifiedSince, _ = request["ifModifiedSince"].(string)
	sub.Prefer = prefer
	resource, _ := entry["resource"].(map[string]any)
	switch sub.Method {
	case http.MethodPost, http.MethodPut:
		if sub.Interaction == SearchType { // POST Type/_search
			break
		}
		if resource == nil {
			return nil, invalid(loc+".resource", "A %s entry needs a resource", sub.Method)
		}
		if rt, _ := resource["resourceType"].(string); rt != sub.Type {
			return nil, invalid(loc+".resource.resourceType", "Resource type %q does not match the request URL type %q", rt, sub.Type)
		}
		sub.Resource = resource
	case http.MethodPatch:
		if resource == nil {
			return nil, invalid(loc+".resource", "A PATCH entry needs a Binary resource holding the JSON Patch")
		}
		sub.Resource = resource
	}
	full, _ := entry["fullUrl"].(string)
	return &entryPlan{index: i, fullURL: full, req: sub}, nil
}

// transaction runs every entry in one store transaction: all or nothing.
func (e *Engine) transaction(ctx context.Context, plans []*entryPlan, order []*entryPlan) ([]any, error) {
	// Server ids for creates are chosen before the transaction so that
	// retries of the transaction function produce the same result.
	newIDs := map[int]string{}
	targets := map[string]int{}
	for _, p := range order {
		if p.req.Interaction == Create {
			newIDs[p.index] = e.newID()
		}
		if p.req.ID != "" && isWrite(p.req.Interaction) {
			key := p.req.Type + "/" + p.req.ID
			if prev, dup := targets[key]; dup {
				return nil, invalid(fmt.Sprintf("Bundle.entry[%d]", p.index), "Entries %d and %d both act on %s", prev, p.index, key)
			}
			targets[key] = p.index
		}
	}
	results := make([]any, len(plans))
	// Audit records of the entries are kept until the transaction ends (a
	// retried attempt starts over) and then carry its outcome.
	var evs []*audit.Event
	defer func() { e.emit(ctx, evs...) }()
	err := e.inTx(ctx, func(tx store.Tx) error {
		evs = evs[:0]
		// Map fullUrls to the ids resources will have: new ids for creates,
		// matches for conditional creates and updates, URL ids for updates.
		ids := map[string]string{}
		reqs := make(map[int]*Request, len(order))
		for _, p := range order {
			sub := *p.req
			if sub.Resource != nil {
				sub.Resource = deepCopy(sub.Resource).(map[string]any)
			}
			reqs[p.index] = &sub
			if p.fullURL == "" {
				continue
			}
			switch sub.Interaction {
			case Create:
				sub.ID = newIDs[p.index]
				if sub.IfNoneExist != "" {
					m, err := e.matchCriteria(ctx, tx, sub.Type, sub.IfNoneExist)
					if err != nil {
						return entryError(p.index, err)
					}
					if len(m) == 1 {
						sub.ID = m[0].ID
					}
				}
				ids[p.fullURL] = sub.Type + "/" + sub.ID
			case Update:
				ids[p.fullURL] = sub.Type + "/" + sub.ID
			case ConditionalUpdate:
				m, err := e.match(ctx, tx, sub.Type, sub.Query)
				if err != nil {
					return entryError(p.index, err)
				}
				if len(m) == 1 {
					ids[p.fullURL] = sub.Type + "/" + m[0].ID
				} else if len(m) == 0 {
					id, _ := sub.Resource["id"].(string)
					if id == "" {
						id = newIDs[p.index]
						if id == "" {
							id = e.newID()
							newIDs[p.index] = id
						}
						sub.Resource["id"] = id
					}
					ids[p.fullURL] = sub.Type + "/" + id
				}
			}
		}
		for _, p := range order {
			sub := reqs[p.index]
			if sub.Interaction == Create && sub.ID == "" {
				sub.ID = newIDs[p.index]
			}
			if sub.Resource != nil {
				if err := e.rewriteReferences(ctx, tx, sub.Resource, ids); err != nil {
					return entryError(p.index, err)
				}
			}
		}
		for _, p := range order {
			sub := reqs[p.index]
			if !isWrite(sub.Interaction) {
				// Reads change nothing: a failed read is reported in its
				// entry and does not undo the transaction's writes.
				resp, ev, err := e.audited(ctx, sub, func(ctx context.Context) (*Response, error) { return e.get(ctx, tx, sub) })
				evs = append(evs, ev)
				if err != nil {
					results[p.index] = entryFailure(err)
				} else {
					results[p.index] = entryResponse(ctx, resp)
				}
				continue
			}
			resp, ev, err := e.audited(ctx, sub, func(ctx context.Context) (*Response, error) { return e.write(ctx, tx, sub) })
			evs = append(evs, ev)
			if err != nil {
				return entryError(p.index, err)
			}
			results[p.index] = entryResponse(ctx, resp)
		}
		return nil
	})
	if err != nil {
		for _, ev := range evs {
			if ev != nil && ev.Outcome == audit.OutcomeSuccess {
				ev.Outcome, ev.OutcomeDesc = audit.OutcomeMinorFailure, "rolled back with the transaction"
			}
		}
		return nil, err
	}
	return results, nil
}

// batch runs each entry on its own; a failed entry answers with its outcome.
func (e *Engine) batch(ctx context.Context, plans []*entryPlan, order []*entryPlan) []any {
	results := make([]any, len(plans))
	for _, p := range plans {
		if p.err != nil {
			results[p.index] = entryFailure(p.err)
		}
	}
	for _, p := range order {
		resp, ev, err := e.audited(ctx, p.req, func(ctx context.Context) (*Response, error) {
			if !isWrite(p.req.Interaction) {
				return e.get(ctx, nil, p.req)
			}
			var resp *Response
			err := e.inTx(ctx, func(tx store.Tx) error {
				sub := *p.req
				if sub.Resource != nil {
					sub.Resource = deepCopy(sub.Resource).(map[string]any)
				}
				var werr error
				resp, werr = e.write(ctx, tx, &sub)
				return werr
			})
			return resp, err
		})
		e.emit(ctx, ev)
		if err != nil {
			results[p.index] = entryFailure(err)
			continue
		}
		results[p.index] = entryResponse(ctx, resp)
	}
	return results
}

func isWrite(i Interaction) bool {
	switch i {
	case Create, Update, Patch, Delete, ConditionalUpdate, ConditionalPatch, ConditionalDelete:
		return true
	}
	return false
}

// entryError prefixes the location of a failing transaction entry.
func entryError(i int, err error) error {
	fe := asError(err)
	out := &Error{Status: fe.Status, Cause: fe.Cause}
	loc := "Bundle.entry[" + strconv.Itoa(i) + "]"
	for _, is := range fe.Issues {
		if is.Expression == "" {
			is.Expression = loc
		} else if !strings.HasPrefix(is.Expression, "Bundle.entry[") {
			is.Expression = loc + ".resource." + strings.TrimPrefix(is.Expression, firstSegment(is.Expression)+".")
		}
		out.Issues = append(out.Issues, is)
	}
	return out
}

func firstSegment(expr string) string {
	if i := strings.IndexAny(expr, ".["); i >= 0 {
		return expr[:i]
	}
	return expr
}

// entryResponse renders a successful entry of a batch/transaction response.
func entryResponse(ctx context.Context, resp *Response) map[string]any {
	r := map[string]any{"status": strconv.Itoa(resp.Status) + " " + http.StatusText(resp.Status)}
	if resp.Location != "" {
		r["location"] = resp.Location
	}
	if resp.ETag != "" {
		r["etag"] = resp.ETag
	}
	if !resp.LastModified.IsZero() {
		r["lastModified"] = resp.LastModified.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
	}
	entry := map[string]any{}
	switch {
	case resp.Body != nil:
		entry["resource"] = rawJSON(resp.Body)
	case resp.Resource != nil && resp.Resource["resourceType"] == "OperationOutcome":
		r["outcome"] = resp.Resource
	case resp.Resource != nil:
		entry["resource"] = resp.Resource
	}
	entry["response"] = r
	return entry
}

// entryFailure renders a failed batch entry.
func entryFailure(err error) map[string]any {
	fe := asError(err)
	return map[string]any{"response": map[string]any{
		"status":  strconv.Itoa(fe.Status) + " " + http.StatusText(fe.Status),
		"outcome": outcome(fe.Issues),
	}}
}

// rewriteReferences replaces every string equal to a fullUrl of the Bundle by
// the resolved Type/id, and resolves conditional references ("Patient?x=y").
func (e *Engine) rewriteReferences(ctx context.Context, tx store.Tx, v any, ids map[string]string) error {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if s, ok := c.(string); ok {
				if id, ok := ids[s]; ok {
					x[k] = id
					continue
				}
				if k == "reference" && strings.Contains(s, "?") && !strings.Contains(s, "/") {
					resolved, err := e.resolveConditionalReference(ctx, tx, s)
					if err != nil {
						return err
					}
					x[k] = resolved
				}
				continue
			}
			if err := e.rewriteReferences(ctx, tx, c, ids); err != nil {
				return err
			}
		}
	case []any:
		for i, c := range x {
			if s, ok := c.(string); ok {
				if id, ok := ids[s]; ok {
					x[i] = id
				}
				continue
			}
			if err := e.rewriteReferences(ctx, tx, c, ids); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *Engine) resolveConditionalReference(ctx context.Context, tx store.Tx, ref string) (string, error) {
	typ, query, _ := strings.Cut(ref, "?")
	if !fhir.IsResourceType(typ) {
		return "", invalid("", "Conditional reference %q names an unknown type", ref)
	}
	m, err := e.matchCriteria(ctx, tx, typ, query)
	if err != nil {
		return "", err
	}
	if len(m) != 1 {
		return "", errorf(http.StatusPreconditionFailed, "multiple-matches", "", "Conditional reference %q matched %d resources; it must match exactly one", ref, len(m))
	}
	return typ + "/" + m[0].ID, nil
}

// deepCopy copies decoded JSON.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, c := range x {
			m[k] = deepCopy(c)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, c := range x {
			s[i] = deepCopy(c)
		}
		return s
	}
	return v
}

func decodeBase64(v any) ([]byte, error) {
	s, _ := v.(string)
	if s == "" {
		return nil, fmt.Errorf("no data")
	}
	return base64.StdEncoding.DecodeString(s)
}
