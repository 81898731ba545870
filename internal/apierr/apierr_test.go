package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/rest"
)

func TestPublic(t *testing.T) {
	secret := errors.New("database at 10.0.0.5 refused")
	fe := &rest.Error{Status: http.StatusNotFound, Issues: []fhir.Issue{{Severity: "error", Code: "not-found", Diagnostics: "Encounter/x is not known"}}}
	cases := []struct {
		name    string
		err     error
		status  int
		message string
	}{
		{"own answer", New(http.StatusConflict, "waiting to be admitted by %s", "the provider"), 409, "waiting to be admitted by the provider"},
		{"wrapped answer", fmt.Errorf("join: %w", New(http.StatusGone, "this visit has ended")), 410, "this visit has ended"},
		{"FHIR engine error", FromFHIR(fe), 404, "Encounter/x is not known"},
		{"FHIR error without issues", FromFHIR(&rest.Error{Status: http.StatusForbidden}), 403, "Forbidden"},
		{"anything else hides its cause", secret, 500, "internal error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ae := Public(c.err)
			if ae.Status != c.status || ae.Message != c.message {
				t.Fatalf("Public = %d %q, want %d %q", ae.Status, ae.Message, c.status, c.message)
			}
		})
	}
	if FromFHIR(secret) != secret {
		t.Error("FromFHIR changed an error that is not the engine's")
	}
}

func TestWrite(t *testing.T) {
	for _, c := range []struct {
		ae        *Error
		challenge bool
	}{{New(http.StatusUnauthorized, "authentication required"), true}, {New(http.StatusBadRequest, "bad"), false}} {
		rec := httptest.NewRecorder()
		Write(rec, c.ae)
		body := strings.TrimSpace(rec.Body.String())
		want := fmt.Sprintf(`{"code":%d,"message":%q}`, c.ae.Status, c.ae.Message)
		if rec.Code != c.ae.Status || body != want || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("Write(%d) = %d %s %q", c.ae.Status, rec.Code, body, rec.Header().Get("Content-Type"))
		}
		if got := rec.Header().Get("WWW-Authenticate") != ""; got != c.challenge {
			t.Errorf("Write(%d): challenge %v, want %v", c.ae.Status, got, c.challenge)
		}
	}
}
