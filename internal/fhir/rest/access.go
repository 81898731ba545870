package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/scope"
	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
)

// This file is the only place the Engine touches the store. Access control
// and audit hook in here: each method receives the request context, which
// carries the caller (auth.Identity), and the type and id of what is
// touched, and checks the access policy before anything is returned:
//
//   - the interaction on the type must be allowed (scopes, role rules): 403;
//   - a resource outside the caller's access restriction is reported as not
//     known (404), never as forbidden, so that its existence does not leak;
//   - searches run under the restriction inside the store, so matches,
//     totals, paging, chains, _has and includes only ever see allowed data;
//   - writes must stay inside the restriction before and after.
//
// Every resource handed back is recorded for the audit trail (audit.go).
// An Engine without a Policy is a trusted in-process caller.

// op classes of the store calls.
const (
	opCreate = scope.Create
	opRead   = scope.Read
	opUpdate = scope.Update
	opDelete = scope.Delete
	opSearch = scope.Search
)

// caller returns the identity of the request; nil without a Policy.
func (e *Engine) caller(ctx context.Context) (*auth.Identity, error) {
	if e.policy == nil {
		return nil, nil
	}
	id, err := auth.Caller(ctx)
	if err != nil {
		return nil, policyError(err)
	}
	return id, nil
}

// allow checks that the caller may perform op on typ at all.
func (e *Engine) allow(ctx context.Context, op scope.Perm, typ string) error {
	id, err := e.caller(ctx)
	if err != nil || id == nil {
		return err
	}
	return policyError(e.policy.Allow(id, op, typ))
}

// restriction is the access restriction of the caller (nil: none). It is
// computed once per request.
func (e *Engine) restriction(ctx context.Context) (*store.Access, error) {
	id, err := e.caller(ctx)
	if err != nil || id == nil {
		return nil, err
	}
	if rec := recorderOf(ctx); rec != nil && rec.accessDone {
		return rec.access, nil
	}
	a, err := e.policy.Access(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec := recorderOf(ctx); rec != nil {
		rec.access, rec.accessDone = a, true
	}
	return a, nil
}

// patientsOf returns the patients whose compartment r belongs to.
func (e *Engine) patientsOf(r *store.Resource) ([]string, error) {
	if r.Deleted || len(r.Body) == 0 {
		return nil, nil
	}
	if r.Type == "Patient" {
		return []string{r.ID}, nil
	}
	if len(fhir.CompartmentParams("Patient", r.Type)) == 0 {
		return nil, nil
	}
	// Stored bodies were validated on the way in; only references are
	// read here, so the plain decoder (a third of fhir.Decode's cost) does.
	var res map[string]any
	if err := json.Unmarshal(r.Body, &res); err != nil {
		return nil, fmt.Errorf("decoding stored %s/%s: %w", r.Type, r.ID, err)
	}
	return e.indexer.PatientRefs(res)
}

// shown checks that the caller may see r and records it for the audit
// trail; a resource outside the restriction is a 404.
func (e *Engine) shown(ctx context.Context, r *store.Resource) error {
	patients, err := e.patientsOf(r)
	if err != nil {
		return err
	}
	a, err := e.restriction(ctx)
	if err != nil {
		return err
	}
	if !auth.Visible(a, r.Type, r.ID, patients) {
		return hidden(r.Type, r.ID)
	}
	recorderOf(ctx).add(r.Type+"/"+r.ID, patients)
	return nil
}

// hidden is the answer for a resource the caller may not see: the same as
// for one that does not exist.
func hidden(typ, id string) error {
	return storeError(store.ErrNotFound, typ, id)
}

// inTx runs fn in one store transaction.
func (e *Engine) inTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return e.store.InTx(ctx, fn)
}

// readCurrent reads the current version of typ/id through r (the store or
// a transaction) for op: a read, or the check before an update or patch.
func (e *Engine) readCurrent(ctx context.Context, r store.Reader, op scope.Perm, typ, id string) (*store.Resource, error) {
	if err := e.allow(ctx, op, typ); err != nil {
		return nil, err
	}
	r = e.reader(r)
	res, err := r.Read(ctx, typ, id)
	if err != nil {
		if errors.Is(err, store.ErrDeleted) {
			if a, aerr := e.restriction(ctx); aerr != nil || (a != nil && !a.OpenTypes[typ]) {
				// Whose it was cannot be told from a deletion.
				return nil, hidden(typ, id)
			}
		}
		return nil, storeError(err, typ, id)
	}
	if err := e.shown(ctx, res); err != nil {
		return nil, err
	}
	return res, nil
}

// readVersion reads one version of typ/id.
func (e *Engine) readVersion(ctx context.Context, r store.Reader, typ, id string, version int64) (*store.Resource, error) {
	if err := e.allow(ctx, opRead, typ); err != nil {
		return nil, err
	}
	r = e.reader(r)
	res, err := r.VRead(ctx, typ, id, version)
	if err != nil {
		return nil, storeError(err, typ, id+"/_history/"+itoa(version))
	}
	if err := e.shown(ctx, res); err != nil {
		return nil, err
	}
	return res, nil
}

// historyPage reads a page of history. Across resources it needs read
// access to everything it may list (an unrestricted caller; the types are
// filtered by scope); for one resource, the caller must see it, and
// versions that were outside the restriction are left out.
func (e *Engine) historyPage(ctx context.Context, q store.HistoryQuery) (*store.HistoryPage, error) {
	a, err := e.restriction(ctx)
	if err != nil {
		return nil, err
	}
	if q.ID == "" && a != nil {
		return nil, errorf(http.StatusForbidden, "forbidden", "", "History across resources is not available to patient-scoped access; read the history of one resource instead")
	}
	if q.Type != "" {
		if err := e.allow(ctx, opRead, q.Type); err != nil {
			return nil, err
		}
	}
	page, err := e.store.History(ctx, q)
	if err != nil {
		return nil, storeError(err, q.Type, q.ID)
	}
	kept := page.Versions[:0]
	for i := range page.Versions {
		v := &page.Versions[i]
		if q.Type == "" && e.allow(ctx, opRead, v.Type) != nil {
			continue
		}
		if err := e.shown(ctx, v); err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, err
		}
		kept = append(kept, *v)
	}
	page.Versions = kept
	return page, nil
}

// reader is r, or the store when r is nil (outside a transaction).
func (e *Engine) reader(r store.Reader) store.Reader {
	if r == nil {
		return e.store
	}
	return r
}

// compartmentTypes reports which of types have anything in the
// compartment of Patient/id, through r; types outside the compartment, and
// those the caller may not search, are left out without asking the store.
func (e *Engine) compartmentTypes(ctx context.Context, r store.Reader, id string, types []string) (map[string]bool, error) {
	params := map[string][]string{}
	for _, typ := range types {
		if ps := fhir.CompartmentParams("Patient", typ); len(ps) > 0 && e.allow(ctx, opSearch, typ) == nil {
			params[typ] = ps
		}
	}
	return e.reader(r).CompartmentTypes(ctx, "Patient", id, params)
}

// find runs a search through r (the store or a transaction) under the
// caller's restriction. The searched type needs search access, and so does
// every type a chain or _has passes through; included resources of types
// the caller may not read are left out.
func (e *Engine) find(ctx context.Context, r store.Reader, req store.SearchRequest) (*store.SearchResult, error) {
	for _, typ := range searchedTypes(req.Query) {
		if err := e.allow(ctx, opSearch, typ); err != nil {
			return nil, err
		}
	}
	a, err := e.restriction(ctx)
	if err != nil {
		return nil, err
	}
	req.Access = a
	r = e.reader(r)
	res, err := r.Search(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("searching %s: %w", req.Query.Type, err)
	}
	for i := range res.Matches {
		if err := e.record(ctx, &res.Matches[i]); err != nil {
			return nil, err
		}
	}
	kept := res.Included[:0]
	for i := range res.Included {
		inc := &res.Included[i]
		if e.allow(ctx, opRead, inc.Type) != nil {
			continue
		}
		if err := e.record(ctx, inc); err != nil {
			return nil, err
		}
		kept = append(kept, *inc)
	}
	res.Included = kept
	return res, nil
}

// record notes a search result for the audit trail.
func (e *Engine) record(ctx context.Context, r *store.Resource) error {
	rec := recorderOf(ctx)
	if rec == nil {
		return nil
	}
	patients, err := e.patientsOf(r)
	if err != nil {
		return err
	}
	rec.add(r.Type+"/"+r.ID, patients)
	return nil
}

// searchedTypes lists the types a query reads: its own, and those of every
// chain hop and _has, recursively.
func searchedTypes(q *search.Query) []string {
	out := []string{q.Type}
	var walk func(cl *search.Clause)
	walk = func(cl *search.Clause) {
		for _, hop := range cl.Chain {
			out = append(out, hop.Type)
			walk(hop.Next)
		}
		if cl.Has != nil {
			out = append(out, cl.Has.Type)
			walk(cl.Has.Next)
		}
	}
	for _, cl := range q.Clauses {
		walk(cl)
	}
	return out
}

// put writes one version inside tx. The caller needs the interaction on the
// type; under a restriction the resource must be visible before the write
// (else 404) and stay inside the restriction after it (else 403). The
// checks run inside the transaction, so a refused write leaves no trace.
func (e *Engine) put(ctx context.Context, tx store.Tx, w store.Write) (*store.Resource, error) {
	op := opUpdate
	switch {
	case w.Delete:
		op = opDelete
	case w.MustNotExist:
		op = opCreate
	}
	if err := e.allow(ctx, op, w.Type); err != nil {
		return nil, err
	}
	a, err := e.restriction(ctx)
	if err != nil {
		return nil, err
	}
	if a != nil && !w.MustNotExist {
		cur, err := tx.Read(ctx, w.Type, w.ID)
		switch {
		case err == nil:
			if err := e.shown(ctx, cur); err != nil {
				return nil, err
			}
		case errors.Is(err, store.ErrNotFound) && !w.Delete:
			// An update that creates: the create permission applies.
			if err := e.allow(ctx, opCreate, w.Type); err != nil {
				return nil, err
			}
		case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrDeleted):
			return nil, hidden(w.Type, w.ID)
		default:
			return nil, storeError(err, w.Type, w.ID)
		}
	}
	res, err := tx.Write(ctx, w)
	if err != nil {
		return nil, storeError(err, w.Type, w.ID)
	}
	patients := patientsOfEntries(w.Type, w.ID, w.Index)
	if !w.Delete && !auth.Visible(a, w.Type, w.ID, patients) {
		return nil, errorf(http.StatusForbidden, "forbidden", "", "%s would be outside the records you may write", w.Type)
	}
	recorderOf(ctx).add(w.Type+"/"+w.ID, patients)
	return res, nil
}

// patientsOfEntries reads Patient-compartment membership from a write's
// index entries.
func patientsOfEntries(typ, id string, entries []search.Entry) []string {
	if typ == "Patient" {
		return []string{id}
	}
	params := fhir.CompartmentParams("Patient", typ)
	var out []string
	for i := range entries {
		en := &entries[i]
		if en.Kind != search.KindReference || en.RefType != "Patient" || en.RefID == "" {
			continue
		}
		for _, p := range params {
			if p == en.Param {
				out = appendNew(out, en.RefID)
				break
			}
		}
	}
	return out
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// policyError maps the access policy's errors to FHIR answers.
func policyError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, auth.ErrUnauthenticated):
		return &Error{Status: http.StatusUnauthorized, Cause: err, Issues: []fhir.Issue{{Severity: "error", Code: "login", Diagnostics: "Authentication is required: send an OAuth 2.0 access token (Authorization: Bearer …)"}}}
	case errors.Is(err, auth.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Cause: err, Issues: []fhir.Issue{{Severity: "error", Code: "forbidden", Diagnostics: publicReason(err)}}}
	}
	return err
}

// publicReason is the policy's explanation without the sentinel prefix.
func publicReason(err error) string {
	msg := err.Error()
	if p := auth.ErrForbidden.Error() + ": "; len(msg) > len(p) && msg[:len(p)] == p {
		return "Access denied: " + msg[len(p):]
	}
	return "Access denied"
}

func isNotFound(err error) bool {
	fe, ok := err.(*Error)
	return ok && fe.Status == http.StatusNotFound
}
