package rest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/store"
)

// server is a FHIR endpoint on a real store, reached over real HTTP.
type server struct {
	t    *testing.T
	url  string // FHIR base
	st   store.Store
	http *http.Client
}

// testBodyLimit is small so that the 413 path is cheap to test.
const testBodyLimit = 64 << 10

func newServer(t *testing.T, st store.Store) *server {
	return newServerLimit(t, st, testBodyLimit)
}

func newServerLimit(t *testing.T, st store.Store, maxBody int64) *server {
	t.Helper()
	engine := rest.NewEngine(rest.Options{Store: st, MaxPageSize: 100})
	h := rest.NewHandler(engine, rest.HandlerOptions{Prefix: "/fhir/r4", MaxBodyBytes: maxBody})
	mux := http.NewServeMux()
	mux.Handle("/fhir/r4/", h)
	mux.Handle("/fhir/r4", h)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return &server{t: t, url: ts.URL + "/fhir/r4", st: st, http: ts.Client()}
}

type reply struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (s *server) do(method, path string, body any, headers ...string) *reply {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	r := &reply{status: resp.StatusCode, header: resp.Header, body: data}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &r.json); err != nil {
			s.t.Fatalf("%s %s: response is not JSON: %v\n%s", method, path, err, data)
		}
	}
	return r
}

// expect fails the test unless the status matches; it prints the body.
func (r *reply) expect(t *testing.T, status int) *reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// outcome asserts an OperationOutcome whose issues include one at the given
// expression (prefix match) and returns the issues' text.
func (r *reply) outcome(t *testing.T, expression string) string {
	t.Helper()
	if r.json["resourceType"] != "OperationOutcome" {
		t.Fatalf("want OperationOutcome, got %s", r.body)
	}
	issues, _ := r.json["issue"].([]any)
	if len(issues) == 0 {
		t.Fatalf("OperationOutcome without issues: %s", r.body)
	}
	if expression == "" {
		return string(r.body)
	}
	for _, is := range issues {
		m := is.(map[string]any)
		exprs, _ := m["expression"].([]any)
		for _, e := range exprs {
			if strings.HasPrefix(e.(string), expression) {
				return string(r.body)
			}
		}
	}
	t.Fatalf("no issue at %q in %s", expression, r.body)
	return ""
}

func str(v any, path ...string) string {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	s, _ := v.(string)
	if s == "" && v != nil {
		return fmt.Sprint(v)
	}
	return s
}

func patient(extra map[string]any) map[string]any {
	p := map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": "Test", "given": []any{"Pat"}}}, "gender": "female", "birthDate": "1980-02-03"}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func entries(b map[string]any) []map[string]any {
	list, _ := b["entry"].([]any)
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i] = e.(map[string]any)
	}
	return out
}
