package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"version"}, 0, "housecall"},
		{nil, 2, "Usage"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"serve", "--log-level", "loud"}, 1, "log_level"},
		{[]string{"serve", "--database-url", "mysql://x"}, 1, "database_url"},
		{[]string{"serve", "--nope"}, 1, "flag provided but not defined"},
		{[]string{"import", "--data-dir", "DIR"}, 1, "name at least one"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			for i, a := range tt.args {
				tt.args[i] = strings.ReplaceAll(a, "DIR", t.TempDir())
			}
			code := run(context.Background(), tt.args, nil, &out, &out)
			if code != tt.code || !strings.Contains(out.String(), tt.out) {
				t.Fatalf("exit %d, output %q; want %d and %q", code, out.String(), tt.code, tt.out)
			}
		})
	}
}

// TestServeDev starts the real server on SQLite with demo data, talks to it
// over HTTP and shuts it down gracefully.
func TestServeDev(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan int, 1)
	dir := t.TempDir()
	go func() {
		done <- run(ctx, []string{"serve", "--dev", "--addr", "0.0.0.0:0", "--data-dir", dir, "--turn-port", "0", "--media-udp-port", "0", "--media-tcp-port", "0"}, nil, io.Discard, logs)
	}()
	addrRE := regexp.MustCompile(`housecall listening"? addr=(\S+)`)
	var addr string
	for deadline := time.Now().Add(60 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("server exited with %d: %s", code, logs.String())
		default:
		}
	}
	if addr == "" {
		t.Fatalf("server did not start: %s", logs.String())
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("--dev must bind to loopback, bound %s", addr)
	}
	get := func(path, token string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/healthz", "/readyz", "/fhir/r4/metadata", "/.well-known/jwks.json", "/fhir/r4/.well-known/smart-configuration"} {
		if code := get(path, ""); code != 200 {
			t.Errorf("GET %s: %d", path, code)
		}
	}
	// Clinical data needs a token; the admin command issues one the running
	// server accepts (the same database, the issuer it recorded).
	if code := get("/fhir/r4/Patient/demo-patient-jones", ""); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", code)
	}
	admin := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(context.Background(), append(args, "--data-dir", dir), nil, &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		return strings.TrimSpace(out.String())
	}
	dr := admin("admin", "token", "--user", "dr.rivera@housecall.test")
	for _, path := range []string{"/fhir/r4/Patient/demo-patient-jones", "/fhir/r4/Encounter/demo-visit-jones", "/fhir/r4/Patient/demo-patient-nguyen"} {
		if code := get(path, dr); code != 200 {
			t.Errorf("practitioner GET %s: %d", path, code)
		}
	}
	patient := admin("admin", "token", "--user", "jones@housecall.test")
	if code := get("/fhir/r4/Patient/demo-patient-jones", patient); code != 200 {
		t.Errorf("patient reading their record: %d", code)
	}
	if code := get("/fhir/r4/Patient/demo-patient-nguyen", patient); code != http.StatusNotFound {
		t.Errorf("patient reading another record: %d, want 404", code)
	}
	// "Who looked at my chart": the practitioner's reads above are in the
	// patient's view of the audit trail, and nothing about other patients.
	body := func(path, token string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	var log string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if log = body("/fhir/r4/AuditEvent?_count=200", patient); strings.Contains(log, "Practitioner/demo-dr-rivera") {
			break
		}
	}
	if !strings.Contains(log, "Practitioner/demo-dr-rivera") || !strings.Contains(log, "Patient/demo-patient-jones") {
		t.Errorf("the patient's access log does not show the practitioner's reads: %.400s", log)
	}
	var bundle struct {
		Entry []struct {
			Resource struct {
				Entity []struct {
					What struct{ Reference string } `json:"what"`
				} `json:"entity"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(log), &bundle); err != nil {
		t.Fatal(err)
	}
	for _, e := range bundle.Entry {
		for _, en := range e.Resource.Entity {
			if strings.Contains(en.What.Reference, "nguyen") {
				t.Errorf("the patient's access log shows another patient's data: %s", en.What.Reference)
			}
		}
	}
	if code := get("/fhir/r4/AuditEvent", dr); code != http.StatusForbidden {
		t.Errorf("practitioner reading the audit trail: %d, want 403", code)
	}
	client := admin("admin", "create-client", "--name", "sync", "--scope", "system/*.rs")
	if !strings.Contains(client, `"client_id"`) || !strings.Contains(client, `"client_secret"`) {
		t.Errorf("create-client printed %s", client)
	}
	if out := admin("audit", "verify"); !strings.Contains(out, "intact") {
		t.Errorf("audit verify: %s", out)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d: %s", code, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not shut down")
	}
	if strings.Contains(logs.String(), "Jones") || strings.Contains(logs.String(), "demo-patient-jones") {
		t.Fatalf("logs contain patient data: %s", logs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "housecall.db")); err != nil {
		t.Fatalf("SQLite database not in the data folder: %v", err)
	}
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "patients.ndjson")
	data := `{"resourceType":"Patient","id":"p1","gender":"female"}
{"resourceType":"Patient","id":"p2","gender":"male"}
{"resourceType":"Patient","id":"p3","gender":"robot"}
`
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"import", "--data-dir", filepath.Join(dir, "db"), file}, nil, &out, &errOut)
	if code != 1 {
		t.Fatalf("an import with a rejected resource should exit 1, got %d: %s %s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String()+errOut.String(), "patients.ndjson:3") {
		t.Fatalf("error should name file:line: %s %s", out.String(), errOut.String())
	}
}
