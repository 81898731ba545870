package rest

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/jsonpatch"
	"github.com/housecall/housecall/internal/store"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// resourceResponse answers with a stored version.
func resourceResponse(ctx context.Context, status int, r *store.Resource) *Response {
	return &Response{Status: status, Body: r.Body, ETag: etag(r.VersionID), LastModified: r.LastUpdated}
}

// versionLocation is the Location of a created or updated version.
func versionLocation(ctx context.Context, r *store.Resource) string {
	return baseURL(ctx) + "/" + r.Type + "/" + r.ID + "/_history/" + itoa(r.VersionID)
}

func (e *Engine) read(ctx context.Context, rd store.Reader, req *Request) (*Response, error) {
	r, err := e.readCurrent(ctx, rd, opRead, req.Type, req.ID)
	if err != nil {
		return nil, err
	}
	if notModified(req, r) {
		return &Response{Status: http.StatusNotModified, ETag: etag(r.VersionID), LastModified: r.LastUpdated}, nil
	}
	return resourceResponse(ctx, http.StatusOK, r), nil
}

// notModified evaluates If-None-Match and If-Modified-Since for a read.
func notModified(req *Request, r *store.Resource) bool {
	if req.IfNoneMatch != "" {
		for _, tag := range strings.Split(req.IfNoneMatch, ",") {
			if strings.TrimSpace(tag) == "*" {
				return true
			}
			if v, ok := parseETag(tag); ok && v == r.VersionID {
				return true
			}
		}
		return false
	}
	if req.IfModifiedSince != "" {
		if t, err := http.ParseTime(req.IfModifiedSince); err == nil {
			return !r.LastUpdated.Truncate(time.Second).After(t)
		}
	}
	return false
}

func (e *Engine) vread(ctx context.Context, rd store.Reader, req *Request) (*Response, error) {
	v, err := strconv.ParseInt(req.VersionID, 10, 64)
	if err != nil || v < 1 {
		return nil, errorf(http.StatusNotFound, "not-found", "", "Version %q of %s/%s is not known", req.VersionID, req.Type, req.ID)
	}
	r, err := e.readVersion(ctx, rd, req.Type, req.ID, v)
	if err != nil {
		return nil, err
	}
	return resourceResponse(ctx, http.StatusOK, r), nil
}

// decodeBody parses and validates the body of a create or update.
func decodeBody(req *Request) (map[string]any, error) {
	res := req.Resource
	if res == nil {
		if len(req.Body) == 0 {
			return nil, invalid("", "The request body is empty; a %s resource is required", req.Type)
		}
		var issues []fhir.Issue
		res, issues = fhir.Decode(req.Body)
		if fhir.HasErrors(issues) {
			return nil, &Error{Status: http.StatusBadRequest, Issues: issues}
		}
	}
	if err := checkType(res, req.Type); err != nil {
		return nil, err
	}
	if issues := fhir.Validate(res, req.Type); fhir.HasErrors(issues) {
		return nil, validationError(issues)
	}
	return res, nil
}

// prepare indexes and encodes res (stored as id) before the store's
// transaction; the returned Stamp completes it with the version and time.
func (e *Engine) prepare(res map[string]any, id string) ([]search.Entry, func(int64, time.Time) ([]byte, error), error) {
	entries, p, err := e.indexer.ForWrite(res, id)
	if err != nil {
		return nil, nil, errorf(http.StatusUnprocessableEntity, "processing", "", "The resource could not be prepared for storage: %v", err)
	}
	return entries, func(v int64, t time.Time) ([]byte, error) { return p.Stamp(v, t), nil }, nil
}

// writeResponse answers a successful create, update or patch, honouring Prefer: return.
func writeResponse(ctx context.Context, req *Request, status int, r *store.Resource) *Response {
	resp := &Response{Status: status, ETag: etag(r.VersionID), LastModified: r.LastUpdated, Location: versionLocation(ctx, r)}
	switch req.Prefer.Return {
	case "minimal":
	case "OperationOutcome":
		resp.Resource = outcome([]fhir.Issue{{Severity: "information", Code: "informational",
			Diagnostics: "Stored " + r.Type + "/" + r.ID + " version " + itoa(r.VersionID)}})
	default:
		resp.Body = r.Body
	}
	return resp
}

func (e *Engine) create(ctx context.Context, tx store.Tx, req *Request) (*Response, error) {
	res, err := decodeBody(req)
	if err != nil {
		return nil, err
	}
	if req.IfNoneExist != "" {
		matches, err := e.matchCriteria(ctx, tx, req.Type, req.IfNoneExist)
		if err != nil {
			return nil, err
		}
		switch len(matches) {
		case 0:
		case 1:
			m := matches[0]
			resp := writeResponse(ctx, req, http.StatusOK, &m)
			resp.Location = baseURL(ctx) + "/" + m.Type + "/" + m.ID + "/_history/" + itoa(m.VersionID)
			return resp, nil
		default:
			return nil, errorf(http.StatusPreconditionFailed, "multiple-matches", "", "If-None-Exist matched %d resources", len(matches))
		}
	}
	id := req.ID // set when a transaction assigned the id for a urn:uuid fullUrl
	if id == "" {
		id = e.newID()
	}
	index, stamp, err := e.prepare(res, id)
	if err != nil {
		return nil, err
	}
	r, err := e.put(ctx, tx, store.Write{Type: req.Type, ID: id, Method: http.MethodPost, MustNotExist: true, Stamp: stamp, Index: index})
	if err != nil {
		return nil, err
	}
	return writeResponse(ctx, req, http.StatusCreated, r), nil
}

// ifMatch reads the If-Match header; 0 means none.
func ifMatch(req *Request) (int64, error) {
	if req.IfMatch == "" {
		return 0, nil
	}
	v, ok := parseETag(req.IfMatch)
	if !ok {
		return 0, invalid("", "If-Match must be a version ETag like W/\"3\"")
	}
	return v, nil
}

func (e *Engine) update(ctx context.Context, tx store.Tx, req *Request) (*Response, error) {
	res, err := decodeBody(req)
	if err != nil {
		return nil, err
	}
	bodyID, _ := res["id"].(string)
	switch {
	case bodyID == "":
		return nil, invalid(req.Type+".id", "The resource must carry its id (%q) on update", req.ID)
	case bodyID != req.ID:
		return nil, invalid(req.Type+".id", "The id in the body (%q) does not match the id in the URL (%q)", bodyID, req.ID)
	}
	return e.updateResource(ctx, tx, req, res, req.ID)
}

// updateResource stores res as a new version of typ/id (creating it when absent).
func (e *Engine) updateResource(ctx context.Context, tx store.Tx, req *Request, res map[string]any, id string) (*Response, error) {
	want, err := ifMatch(req)
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if _, err := e.readCurrent(ctx, tx, opUpdate, req.Type, id); err != nil {
		var fe *Error
		if !errors.As(err, &fe) || (fe.Status != http.StatusNotFound && fe.Status != http.StatusGone) {
			return nil, err
		}
		status = http.StatusCreated
	}
	index, stamp, err := e.prepare(res, id)
	if err != nil {
		return nil, err
	}
	r, err := e.put(ctx, tx, store.Write{Type: req.Type, ID: id, Method: http.MethodPut, IfMatch: want, Stamp: stamp, Index: index})
	if err != nil {
		return nil, err
	}
	return writeResponse(ctx, req, status, r), nil
}

func (e *Engine) delete(ctx context.Context, tx store.Tx, req *Request) (*Response, error) {
	want, err := ifMatch(req)
	if err != nil {
		return nil, err
	}
	r, err := e.put(ctx, tx, store.Write{Type: req.Type, ID: req.ID, Method: http.MethodDelete, Delete: true, IfMatch: want})
	var fe *Error
	if errors.As(err, &fe) && fe.Status == http.StatusGone {
		return deletedResponse(req, nil), nil // deleting twice is idempotent
	}
	if err != nil {
		return nil, err
	}
	return deletedResponse(req, r), nil
}

func deletedResponse(req *Request, r *store.Resource) *Response {
	resp := &Response{Status: http.StatusNoContent}
	if r != nil {
		resp.ETag = etag(r.VersionID)
	}
	if req.Prefer.Return == "OperationOutcome" {
		resp.Status = http.StatusOK
		resp.Resource = outcome([]fhir.Issue{{Severity: "information", Code: "informational", Diagnostics: "Deleted " + req.Type + "/" + req.ID}})
	}
	return resp
}

// patchDocument extracts a JSON Patch from the request: the body with
// content type application/json-patch+json, or (in Bundles) a Binary
// resource carrying the patch in base64.
func patchDocument(req *Request) (jsonpatch.Patch, error) {
	body := req.Body
	if req.Resource != nil {
		if req.Resource["resourceType"] != "Binary" {
			return nil, errorf(http.StatusUnsupportedMediaType, "not-supported", "", "PATCH entries must carry a JSON Patch as a Binary resource")
		}
		ct, _ := req.Resource["contentType"].(string)
		if mediaType(ct) != "application/json-patch+json" {
			return nil, errorf(http.StatusUnsupportedMediaType, "not-supported", "Binary.contentType", "Binary patch content type must be application/json-patch+json, not %q", ct)
		}
		data, err := decodeBase64(req.Resource["data"])
		if err != nil {
			return nil, invalid("Binary.data", "Binary data is not valid base64: %v", err)
		}
		body = data
	} else if req.ContentType != "application/json-patch+json" {
		return nil, errorf(http.StatusUnsupportedMediaType, "not-supported", "", "PATCH needs Content-Type application/json-patch+json (FHIRPath Patch is not supported)")
	}
	p, err := jsonpatch.Decode(body)
	if err != nil {
		return nil, invalid("", "Malformed JSON Patch: %v", err)
	}
	return p, nil
}

func (e *Engine) patch(ctx context.Context, tx store.Tx, req *Request) (*Response, error) {
	return e.patchResource(ctx, tx, req, req.ID)
}

func (e *Engine) patchResource(ctx context.Context, tx store.Tx, req *Request, id string) (*Response, error) {
	p, err := patchDocument(req)
	if err != nil {
		return nil, err
	}
	want, err := ifMatch(req)
	if err != nil {
		return nil, err
	}
	cur, err := e.readCurrent(ctx, tx, opUpdate, req.Type, id)
	if err != nil {
		return nil, err
	}
	if want != 0 && want != cur.VersionID {
		return nil, storeError(store.ErrVersionConflict, req.Type, id)
	}
	doc, issues := fhir.Decode(cur.Body)
	if fhir.HasErrors(issues) {
		return nil, &Error{Status: http.StatusInternalServerError, Issues: []fhir.Issue{{Severity: "fatal", Code: "exception", Diagnostics: "stored resource is unreadable"}}}
	}
	patched, err := jsonpatch.Apply(doc, p)
	if err != nil {
		var pe *jsonpatch.Error
		if errors.As(err, &pe) {
			return nil, errorf(http.StatusUnprocessableEntity, "processing", "", "JSON Patch failed: %v", err)
		}
		return nil, err
	}
	res, ok := patched.(map[string]any)
	if !ok {
		return nil, errorf(http.StatusUnprocessableEntity, "processing", "", "JSON Patch must leave a resource object")
	}
	if res["resourceType"] != req.Type || res["id"] != id {
		return nil, errorf(http.StatusUnprocessableEntity, "processing", "", "JSON Patch must not change resourceType or id")
	}
	if issues := fhir.Validate(res, req.Type); fhir.HasErrors(issues) {
		return nil, &Error{Status: http.StatusUnprocessableEntity, Issues: issues}
	}
	index, stamp, err := e.prepare(res, id)
	if err != nil {
		return nil, err
	}
	r, err := e.put(ctx, tx, store.Write{Type: req.Type, ID: id, Method: http.MethodPatch, IfMatch: cur.VersionID, Stamp: stamp, Index: index})
	if err != nil {
		return nil, err
	}
	return writeResponse(ctx, req, http.StatusOK, r), nil
}

// conditional runs conditional update, patch and delete: the query string
// selects the target.
func (e *Engine) conditional(ctx context.Context, tx store.Tx, req *Request) (*Response, error) {
	matches, err := e.match(ctx, tx, req.Type, req.Query)
	if err != nil {
		return nil, err
	}
	if len(matches) > 1 {
		return nil, errorf(http.StatusPreconditionFailed, "multiple-matches", "", "The criteria matched %d resources; they must match at most one", len(matches))
	}
	switch req.Interaction {
	case ConditionalDelete:
		if len(matches) == 0 {
			return &Response{Status: http.StatusNoContent}, nil
		}
		sub := *req
		sub.ID = matches[0].ID
		return e.delete(ctx, tx, &sub)
	case ConditionalPatch:
		if len(matches) == 0 {
			return nil, errorf(http.StatusNotFound, "not-found", "", "No %s matches the criteria", req.Type)
		}
		return e.patchResource(ctx, tx, req, matches[0].ID)
	}
	res, err := decodeBody(req)
	if err != nil {
		return nil, err
	}
	bodyID, _ := res["id"].(string)
	id := bodyID
	if len(matches) == 1 {
		if bodyID != "" && bodyID != matches[0].ID {
			return nil, invalid(req.Type+".id", "The id in the body (%q) differs from the matched resource", bodyID)
		}
		id = matches[0].ID
	} else if id == "" {
		id = e.newID()
	}
	return e.updateResource(ctx, tx, req, res, id)
}
