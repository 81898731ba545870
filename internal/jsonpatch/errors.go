package jsonpatch

import (
	"fmt"
	"net/http"
)

// Kind classifies an Error so that the REST layer can pick the HTTP status
// without parsing messages.
type Kind int

const (
	// Malformed: the patch document itself is invalid (HTTP 400).
	Malformed Kind = iota
	// TestFailed: a "test" operation found a different value (HTTP 422).
	TestFailed
	// NotFound: a path or from location does not exist in the document,
	// including array indexes out of bounds (HTTP 422).
	NotFound
	// Conflict: the operation is well formed but cannot apply to this
	// document, e.g. moving a value into its own child or removing the root (HTTP 422).
	Conflict
)

func (k Kind) String() string {
	switch k {
	case Malformed:
		return "malformed"
	case TestFailed:
		return "test failed"
	case NotFound:
		return "not found"
	case Conflict:
		return "conflict"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error describes why a patch was rejected. Messages never contain document
// values: only operation names, pointers and reasons, because documents are
// usually patient records.
type Error struct {
	// Index is the 0-based operation index, or -1 when the whole document is at fault.
	Index int
	// Op is the operation name ("add", "test", ...), "" when unknown.
	Op string
	// Path is the offending JSON pointer (the "from" pointer when that one failed).
	Path   string
	Kind   Kind
	Reason string
}

func (e *Error) Error() string {
	if e.Index < 0 {
		return "json patch: " + e.Reason
	}
	if e.Op == "" {
		return fmt.Sprintf("json patch: operation %d: %s", e.Index, e.Reason)
	}
	return fmt.Sprintf("json patch: operation %d (%s %q): %s", e.Index, e.Op, e.Path, e.Reason)
}

// Status is the HTTP status the error maps to: 400 for a malformed patch,
// 422 when a valid patch cannot be applied to the document.
func (e *Error) Status() int {
	if e.Kind == Malformed {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// IssueCode is the OperationOutcome issue-type code for the error.
func (e *Error) IssueCode() string {
	switch e.Kind {
	case Malformed:
		return "invalid"
	case NotFound:
		return "not-found"
	}
	return "processing" // test failed, conflict: a valid request that cannot be carried out
}
