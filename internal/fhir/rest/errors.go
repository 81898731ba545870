package rest

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/store"
)

// Error is a failed interaction: an HTTP status and the OperationOutcome
// issues that explain it. The message of each issue is public; Cause is kept
// for logs only and never sent to the client.
type Error struct {
	Status int
	Issues []fhir.Issue
	Cause  error
}

func (e *Error) Error() string {
	msg := http.StatusText(e.Status)
	if len(e.Issues) > 0 {
		msg = e.Issues[0].Diagnostics
		if e.Issues[0].Expression != "" {
			msg = e.Issues[0].Expression + ": " + msg
		}
	}
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, msg, e.Cause)
	}
	return fmt.Sprintf("%d %s", e.Status, msg)
}

func (e *Error) Unwrap() error { return e.Cause }

// errorf builds an Error with a single issue of severity error.
func errorf(status int, code, expression, format string, args ...any) *Error {
	return &Error{Status: status, Issues: []fhir.Issue{{
		Severity: "error", Code: code, Expression: expression, Diagnostics: fmt.Sprintf(format, args...),
	}}}
}

// invalid is a 400 for malformed requests.
func invalid(expression, format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, "invalid", expression, format, args...)
}

// notSupported is a 400 naming something this server does not implement.
func notSupported(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, "not-supported", "", format, args...)
}

// validationError turns validation issues of a request body into a 400:
// the content failed the base FHIR rules (FHIR R4 http.html, "400 Bad Request").
func validationError(issues []fhir.Issue) *Error {
	return &Error{Status: http.StatusBadRequest, Issues: issues}
}

// checkType refuses a body whose resourceType differs from the one the URL names.
func checkType(res map[string]any, want string) error {
	got, _ := res["resourceType"].(string)
	if got != want {
		return invalid("resourceType", "The body is a %q resource but the URL expects %s", got, want)
	}
	return nil
}

// storeError maps store sentinel errors to FHIR answers.
func storeError(err error, typ, id string) error {
	ref := typ
	if id != "" {
		ref += "/" + id
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Cause: err, Issues: []fhir.Issue{{Severity: "error", Code: "not-found", Diagnostics: "Resource " + ref + " is not known"}}}
	case errors.Is(err, store.ErrDeleted):
		return &Error{Status: http.StatusGone, Cause: err, Issues: []fhir.Issue{{Severity: "error", Code: "deleted", Diagnostics: "Resource " + ref + " has been deleted"}}}
	case errors.Is(err, store.ErrVersionConflict):
		return &Error{Status: http.StatusPreconditionFailed, Cause: err, Issues: []fhir.Issue{{Severity: "error", Code: "conflict", Diagnostics: "Version of " + ref + " does not match If-Match"}}}
	case errors.Is(err, store.ErrExists):
		return &Error{Status: http.StatusConflict, Cause: err, Issues: []fhir.Issue{{Severity: "error", Code: "duplicate", Diagnostics: "Resource " + ref + " already exists"}}}
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%s: %w", ref, err)
}

// asError converts any error into an *Error; unknown errors become a 500
// whose public text says nothing about the cause.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Cause: err, Issues: []fhir.Issue{{
		Severity: "fatal", Code: "exception", Diagnostics: "Internal server error",
	}}}
}

// outcome renders issues as an OperationOutcome resource.
func outcome(issues []fhir.Issue) map[string]any {
	list := make([]any, 0, len(issues))
	for _, is := range issues {
		m := map[string]any{"severity": is.Severity, "code": is.Code}
		if is.Diagnostics != "" {
			m["diagnostics"] = is.Diagnostics
		}
		if is.Expression != "" {
			m["expression"] = []any{is.Expression}
		}
		list = append(list, m)
	}
	if len(list) == 0 {
		list = append(list, map[string]any{"severity": "information", "code": "informational", "diagnostics": "All OK"})
	}
	return map[string]any{"resourceType": "OperationOutcome", "issue": list}
}
