// Package rest implements the FHIR R4 RESTful API: the interactions (read,
// vread, create, update, patch, delete, history, search, batch and
// transaction, capabilities) as an Engine that works on plain Request values,
// and a thin net/http adapter in front of it.
//
// Every access to clinical data from HTTP, from Bundle entries or from other
// packages in-process goes through Engine, and every store call the Engine
// makes goes through the small set of methods in access.go, so that one place
// sees the caller (carried in the context) for access control and audit.
package rest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/audit"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
)

// Interaction names what a Request asks for.
type Interaction int

// The interactions the Engine implements.
const (
	Capabilities Interaction = iota + 1
	Read
	VRead
	Create
	Update
	Patch
	Delete
	ConditionalUpdate
	ConditionalPatch
	ConditionalDelete
	HistoryInstance
	HistoryType
	HistorySystem
	SearchType
	Batch      // batch or transaction, decided by Bundle.type
	Everything // Patient/{id}/$everything
)

// Request is one interaction, from HTTP or from a Bundle entry.
type Request struct {
	Interaction Interaction
	Method      string // HTTP method, upper case
	Type        string
	ID          string
	VersionID   string
	// Compartment names the compartment type of a compartment search
	// (Patient/{ID}/{Type}); ID is then the compartment's id.
	Compartment string
	Query       url.Values

	IfMatch         string // raw header: W/"3"
	IfNoneMatch     string
	IfNoneExist     string // query string without '?'
	IfModifiedSince string
	Prefer          Prefer

	ContentType string // media type without parameters
	Body        []byte
	// Resource, when set, is the already decoded body (Bundle entries).
	Resource map[string]any
}

// Response is the outcome of a successful interaction.
type Response struct {
	Status       int
	Location     string
	ETag         string
	LastModified time.Time
	// Body is a stored resource as JSON, returned as is; or Resource, a
	// resource built by the engine (bundles, outcomes). At most one is set.
	Body     []byte
	Resource map[string]any
}

// Prefer holds the parts of the Prefer header the server honours.
type Prefer struct {
	Return   string // minimal | representation | OperationOutcome
	Handling string // strict | lenient
}

// ParsePrefer reads an RFC 7240 Prefer header.
func ParsePrefer(h string) Prefer {
	var p Prefer
	for _, part := range strings.Split(h, ",") {
		for _, kv := range strings.Split(part, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			v = strings.Trim(strings.TrimSpace(v), `"`)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "return":
				p.Return = v
			case "handling":
				p.Handling = v
			}
		}
	}
	return p
}

// Options configure an Engine.
type Options struct {
	Store store.Store
	// MaxPageSize caps _count on searches and history.
	MaxPageSize int
	// MaxBundleEntries caps the entries of a batch or transaction.
	MaxBundleEntries int
	// NewID makes server-assigned ids; default: random UUIDs.
	NewID func() string
	// Indexer extracts search index entries on every write; default: one
	// shared indexer for the R4 search parameters.
	Indexer *search.Indexer
	// Policy is the access policy; every interaction then needs an
	// auth.Identity in its context. nil: a trusted in-process caller.
	Policy *auth.Policy
	// Audit receives one record per interaction (each Bundle entry counts).
	Audit audit.Recorder
	// Now is the clock of audit records; default time.Now.
	Now func() time.Time
}

// Engine runs FHIR interactions against a store.
type Engine struct {
	store            store.Store
	maxPage          int
	defaultPage      int
	maxBundleEntries int
	newID            func() string
	indexer          *search.Indexer
	policy           *auth.Policy
	audit            audit.Recorder
	now              func() time.Time
}

// NewEngine returns an Engine.
func NewEngine(o Options) *Engine {
	e := &Engine{store: o.Store, maxPage: o.MaxPageSize, defaultPage: 50, maxBundleEntries: o.MaxBundleEntries, newID: o.NewID}
	if e.maxPage <= 0 {
		e.maxPage = 1000
	}
	if e.maxBundleEntries <= 0 {
		e.maxBundleEntries = 10000
	}
	if e.newID == nil {
		e.newID = NewUUID
	}
	e.indexer = o.Indexer
	e.policy, e.audit, e.now = o.Policy, o.Audit, o.Now
	if e.now == nil {
		e.now = time.Now
	}
	if e.indexer == nil {
		e.indexer = search.DefaultIndexer()
	}
	return e
}

// NewUUID returns a random (version 4) UUID, the form of server-assigned ids.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Base carries the absolute base URL of the FHIR endpoint (".../fhir/r4")
// for links in responses.
type baseKey struct{}

// WithBase returns a context that carries the FHIR base URL.
func WithBase(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseKey{}, strings.TrimRight(base, "/"))
}

func baseURL(ctx context.Context) string {
	if b, ok := ctx.Value(baseKey{}).(string); ok {
		return b
	}
	return ""
}

// Do runs one interaction and records it in the audit trail.
func (e *Engine) Do(ctx context.Context, req *Request) (*Response, error) {
	if req.Interaction == Batch {
		return e.bundle(ctx, req)
	}
	resp, ev, err := e.audited(ctx, req, func(ctx context.Context) (*Response, error) { return e.do(ctx, req) })
	e.emit(ctx, ev)
	return resp, err
}

func (e *Engine) do(ctx context.Context, req *Request) (*Response, error) {
	switch req.Interaction {
	case Capabilities, Read, VRead, HistoryInstance, HistoryType, HistorySystem, SearchType, Everything:
		return e.get(ctx, nil, req)
	case Batch:
		return e.bundle(ctx, req)
	case Create, Update, Patch, Delete, ConditionalUpdate, ConditionalPatch, ConditionalDelete:
		var resp *Response
		err := e.inTx(ctx, func(tx store.Tx) error {
			var err error
			resp, err = e.write(ctx, tx, req)
			return err
		})
		return resp, err
	}
	return nil, invalid("", "unsupported interaction")
}

// get runs a read-only interaction through rd (nil: the store).
func (e *Engine) get(ctx context.Context, rd store.Reader, req *Request) (*Response, error) {
	switch req.Interaction {
	case Capabilities:
		return &Response{Status: http.StatusOK, Resource: capabilityStatement(baseURL(ctx))}, nil
	case Read:
		return e.read(ctx, rd, req)
	case VRead:
		return e.vread(ctx, rd, req)
	case HistoryInstance, HistoryType, HistorySystem:
		return e.history(ctx, req)
	case SearchType:
		return e.search(ctx, rd, req)
	case Everything:
		return e.everything(ctx, rd, req)
	}
	return nil, invalid("", "not a read interaction")
}

// write runs a write interaction inside tx (a single request or a transaction entry).
func (e *Engine) write(ctx context.Context, tx store.Tx, req *Request) (*Response, error) {
	switch req.Interaction {
	case Create:
		return e.create(ctx, tx, req)
	case Update:
		return e.update(ctx, tx, req)
	case Patch:
		return e.patch(ctx, tx, req)
	case Delete:
		return e.delete(ctx, tx, req)
	case ConditionalUpdate, ConditionalPatch, ConditionalDelete:
		return e.conditional(ctx, tx, req)
	}
	return nil, invalid("", "not a write interaction")
}

// ParseURL turns a method and a URL relative to the FHIR base ("Patient/1",
// "Patient?name=x", "_history") into a Request. It is the one router for
// HTTP requests and for Bundle entries.
func ParseURL(method, rawURL string) (*Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, invalid("", "malformed URL: %v", err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, invalid("", "malformed query string: %v", err)
	}
	req := &Request{Method: strings.ToUpper(method), Query: q}
	path := strings.Trim(u.Path, "/")
	var seg []string
	if path != "" {
		seg = strings.Split(path, "/")
	}
	notAllowed := func() (*Request, error) {
		return nil, errorf(http.StatusMethodNotAllowed, "not-supported", "", "%s is not allowed on %s", req.Method, "/"+path)
	}
	get := req.Method == http.MethodGet || req.Method == http.MethodHead
	switch len(seg) {
	case 0:
		if req.Method == http.MethodPost {
			req.Interaction = Batch
			return req, nil
		}
		return notAllowed()
	case 1:
		switch seg[0] {
		case "metadata":
			if !get {
				return notAllowed()
			}
			req.Interaction = Capabilities
			return req, nil
		case "_history":
			if !get {
				return notAllowed()
			}
			req.Interaction = HistorySystem
			return req, nil
		}
	}
	if len(seg) > 0 {
		if !fhir.IsResourceType(seg[0]) {
			return nil, errorf(http.StatusNotFound, "not-supported", "", "Unknown resource type %q", seg[0])
		}
		req.Type = seg[0]
	}
	switch len(seg) {
	case 1:
		switch req.Method {
		case http.MethodGet, http.MethodHead:
			req.Interaction = SearchType
		case http.MethodPost:
			req.Interaction = Create
		case http.MethodPut:
			req.Interaction = ConditionalUpdate
		case http.MethodPatch:
			req.Interaction = ConditionalPatch
		case http.MethodDelete:
			req.Interaction = ConditionalDelete
		default:
			return notAllowed()
		}
		return req, nil
	case 2:
		switch seg[1] {
		case "_history":
			if !get {
				return notAllowed()
			}
			req.Interaction = HistoryType
			return req, nil
		case "_search":
			if req.Method != http.MethodPost {
				return notAllowed()
			}
			req.Interaction = SearchType
			return req, nil
		}
		if strings.HasPrefix(seg[1], "$") {
			return nil, notSupported("Operation %s is not supported", seg[1])
		}
		req.ID = seg[1]
		if !fhir.IsValidID(req.ID) {
			return nil, errorf(http.StatusBadRequest, "invalid", "", "Invalid resource id %q", req.ID)
		}
		switch req.Method {
		case http.MethodGet, http.MethodHead:
			req.Interaction = Read
		case http.MethodPut:
			req.Interaction = Update
		case http.MethodPatch:
			req.Interaction = Patch
		case http.MethodDelete:
			req.Interaction = Delete
		default:
			return notAllowed()
		}
		return req, nil
	case 3, 4:
		req.ID = seg[1]
		if !fhir.IsValidID(req.ID) {
			break
		}
		if len(seg) == 3 && seg[2] == "$everything" && req.Type == "Patient" {
			if !get && req.Method != http.MethodPost {
				return notAllowed()
			}
			req.Interaction = Everything
			return req, nil
		}
		if len(seg) == 3 && fhir.IsResourceType(seg[2]) {
			if !get {
				return notAllowed()
			}
			req.Compartment, req.Type = req.Type, seg[2]
			req.Interaction = SearchType
			return req, nil
		}
		if seg[2] != "_history" {
			break
		}
		if !get {
			return notAllowed()
		}
		if len(seg) == 3 {
			req.Interaction = HistoryInstance
			return req, nil
		}
		req.VersionID = seg[3]
		req.Interaction = VRead
		return req, nil
	}
	return nil, errorf(http.StatusNotFound, "not-supported", "", "No FHIR interaction at %q", "/"+path)
}

// etag renders a weak ETag for a version.
func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// parseETag reads W/"3", "3" or 3; ok is false when the value is not a version.
func parseETag(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "W/")
	s = strings.Trim(s, `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}
