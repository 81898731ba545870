package httpapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/sqlite"
)

// downStore is a store whose database does not answer (readiness failure).
type downStore struct{ store.Store }

func (downStore) Ping(context.Context) error { return errors.New("connection refused") }

func TestOperationalEndpointsAndLogs(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	h := New(Options{Store: st, Logger: logger})

	get := func(h http.Handler, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	if rec := get(h, "/healthz"); rec.Code != 200 {
		t.Fatalf("healthz %d", rec.Code)
	}
	if rec := get(h, "/readyz"); rec.Code != 200 {
		t.Fatalf("readyz %d", rec.Code)
	}
	down := New(Options{Store: downStore{st}, Logger: logger})
	if rec := get(down, "/readyz"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a dead database: %d", rec.Code)
	}
	// Without a token nothing of the FHIR API is open.
	rec := get(h, "/fhir/r4/Patient?name=Zoe%20Smith&birthdate=1970-01-01")
	if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("search without a token: %d %v: %s", rec.Code, rec.Header(), rec.Body)
	}
	// A trusted in-process engine (no policy) answers.
	open := New(Options{Store: st, Logger: logger, Engine: rest.NewEngine(rest.Options{Store: st})})
	if rec := get(open, "/fhir/r4/Patient?name=Zoe%20Smith&birthdate=1970-01-01"); rec.Code != 200 {
		t.Fatalf("search %d: %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("security headers missing: %v", rec.Header())
	}
	if l := logs.String(); strings.Contains(l, "Zoe") || strings.Contains(l, "1970") || !strings.Contains(l, "route=/fhir/r4/") {
		t.Fatalf("access log must name the route and never the query: %s", l)
	}
}
