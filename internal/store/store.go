// Package store keeps every version of every FHIR resource. It knows nothing
// of FHIR semantics: callers hand it typed writes and a function that renders
// the JSON body once the version and timestamp are assigned. Two
// implementations live in sub-packages: sqlite (embedded default) and postgres.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store/opsql"
)

// Errors returned by every implementation. Callers test them with errors.Is.
var (
	// ErrNotFound: the resource (or that version of it) never existed.
	ErrNotFound = errors.New("store: not found")
	// ErrDeleted: the current version of the resource is a deletion (HTTP 410).
	ErrDeleted = errors.New("store: resource deleted")
	// ErrVersionConflict: Write.IfMatch did not equal the current version (HTTP 412).
	ErrVersionConflict = errors.New("store: version conflict")
	// ErrExists: Write.MustNotExist was set and the id is taken (HTTP 409).
	ErrExists = errors.New("store: resource exists")
	// ErrInvalid: the request itself is wrong or unsupported (bad arguments,
	// a malformed search cursor, a search feature the store cannot run);
	// the error text names the problem without data values (HTTP 400).
	ErrInvalid = errors.New("store: invalid request")
)

// Resource is one stored version of a resource.
type Resource struct {
	Type        string
	ID          string
	VersionID   int64
	LastUpdated time.Time // UTC, microsecond precision
	Deleted     bool
	// Method is the interaction that produced this version: POST, PUT, PATCH
	// or DELETE (used for history Bundles).
	Method string
	// Body is the JSON of the resource including meta.versionId and
	// meta.lastUpdated; nil when Deleted.
	Body []byte
}

// Write describes one new version.
type Write struct {
	Type   string
	ID     string
	Method string // POST, PUT, PATCH, DELETE
	// IfMatch, when > 0, requires the current version to equal it
	// (ErrVersionConflict otherwise; a missing or deleted resource is a conflict too).
	IfMatch int64
	// MustNotExist makes the write fail with ErrExists when the id already
	// has a version that is not a deletion.
	MustNotExist bool
	// Delete records a deletion. Deleting a resource that does not exist
	// returns ErrNotFound; one already deleted returns ErrDeleted; neither adds a version.
	Delete bool
	// Stamp renders the body for the version and time the store assigned.
	// It is called inside the transaction, exactly once, and not for deletes.
	Stamp func(versionID int64, lastUpdated time.Time) ([]byte, error)
	// Index holds the search index entries of the new version, computed by
	// the caller (search.Indexer). They replace the resource's previous
	// entries in the same transaction; a delete clears them. Entries for
	// _lastUpdated are the store's to write (it assigns the time): callers
	// leave them out.
	Index []search.Entry
}

// SearchRequest is one page of a typed search.
type SearchRequest struct {
	// Query is parsed and validated (search.ParseQuery): criteria, _sort,
	// _count, _total, _include, _revinclude, _summary=count.
	Query *search.Query
	// Cursor is "" for the first page, or SearchResult.Next / Prev of an
	// earlier page of the same query.
	Cursor string
	// Compartment, when set, keeps only resources that reference
	// Compartment.Type/ID through one of Compartment.Params (compartment
	// search: Patient/123/Observation).
	Compartment *Compartment
	// Access, when set, limits every resource the search reads or returns
	// (matches, chain and _has targets, includes, totals) to what the
	// caller may see. nil: unrestricted.
	Access *Access
}

// Access is the part of the access policy the store applies inside a
// search, decided by the caller: resources of types in the Patient
// compartment only when in the compartment of one of Patients (Patient
// resources: only those ids); types outside the compartment only when in
// OpenTypes (directory data such as Practitioner or Organization).
type Access struct {
	Patients  []string
	OpenTypes map[string]bool
}

// Compartment restricts a search to the resources of one compartment.
type Compartment struct {
	Type, ID string
	Params   []string // search parameter codes of the searched type, ORed
}

// SearchResult is one page of matches plus what _include/_revinclude add.
type SearchResult struct {
	Matches []Resource
	// Included are the resources added by _include and _revinclude
	// (deduplicated, never also in Matches), at most MaxIncluded.
	Included []Resource
	// Total is the number of matches of the whole search when the query
	// asked for it (_total=accurate or estimate, _summary=count); -1 otherwise.
	Total int64
	// Next and Prev are opaque cursors for the neighbouring pages, "" at the ends.
	Next, Prev string
}

// MaxIncluded caps the resources _include and _revinclude add to one page.
const MaxIncluded = 1000

// HistoryQuery selects versions for a history interaction. Type and ID are
// optional (system, type or instance level). Results are newest first.
type HistoryQuery struct {
	Type  string
	ID    string
	Since time.Time // zero: no lower bound (inclusive bound on LastUpdated)
	// Before is an exclusive cursor from a previous page (HistoryPage.Next); 0 = first page.
	Before int64
	// AsOf pins a snapshot: only versions with sequence <= AsOf are seen
	// (HistoryPage.AsOf of the first page); 0 = now.
	AsOf  int64
	Count int // page size, > 0
}

// HistoryPage is one page of history.
type HistoryPage struct {
	Versions []Resource
	// Next is the cursor for the following page, 0 when there is none.
	Next int64
	// AsOf is the snapshot sequence the page was read at; pass it back with Next.
	AsOf int64
}

// ListQuery pages through the current, non-deleted resources of one type in id order.
type ListQuery struct {
	Type  string
	IDs   []string // optional filter (_id)
	After string   // exclusive id cursor; "" = from the start
	Count int      // page size, > 0
}

// ListPage is one page of a ListQuery.
type ListPage struct {
	Resources []Resource
	// Next is the id cursor for the following page, "" when there is none.
	Next string
}

// Reader is what both the store and a transaction can read.
type Reader interface {
	// Read returns the current version: ErrNotFound if it never existed,
	// ErrDeleted (with the deletion version in the returned Resource) if deleted.
	Read(ctx context.Context, typ, id string) (*Resource, error)
	// VRead returns one version: ErrNotFound if it never existed, ErrDeleted
	// (with the Resource) if that version is a deletion.
	VRead(ctx context.Context, typ, id string, version int64) (*Resource, error)
	// List pages through current resources of a type.
	List(ctx context.Context, q ListQuery) (*ListPage, error)
	// Search runs a typed search over current resources.
	Search(ctx context.Context, req SearchRequest) (*SearchResult, error)
	// CompartmentTypes reports which of the types in params (each with the
	// reference parameters that put a resource of it in the compartment)
	// have at least one current resource in the compartment of typ/id. It
	// applies no access restriction: it tells a caller such as
	// Patient/$everything which types it need not search at all.
	CompartmentTypes(ctx context.Context, typ, id string, params map[string][]string) (map[string]bool, error)
}

// Tx is a read-write transaction. Reads see the transaction's own writes.
type Tx interface {
	Reader
	// Write adds a version and returns it (for deletes, the deletion version).
	Write(ctx context.Context, w Write) (*Resource, error)
}

// Store is a resource store.
type Store interface {
	Reader
	// History returns a page of versions.
	History(ctx context.Context, q HistoryQuery) (*HistoryPage, error)
	// InTx runs fn in one serializable, all-or-nothing transaction. If fn
	// returns an error nothing it wrote is kept. Implementations may retry fn
	// on serialization failures, so fn must not have side effects outside tx.
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// BulkPut stores many versions in one transaction (import): each write
	// creates the resource or adds a version to it. It is optimised for
	// throughput; IfMatch and MustNotExist are honoured.
	BulkPut(ctx context.Context, writes []Write) ([]Resource, error)
	// Ping reports whether the backing database answers (readiness).
	Ping(ctx context.Context) error
	// Ops gives domain packages plain SQL tables in the same database for
	// operational state that is not clinical (accounts, tokens, outbox).
	Ops() *opsql.DB
	Close() error
}
