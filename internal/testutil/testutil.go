// Package testutil holds helpers shared by integration tests: locating the
// repository, the official FHIR examples and the ../shared fixtures.
// (Per-test PostgreSQL schemas: internal/store/postgres/pgtest.)
package testutil

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RepoRoot returns the folder holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
}

// Fixture returns the path of a fixture relative to the repository root
// (e.g. "../shared/data/synthea-bulk-10"). When it is missing the test fails
// if HOUSECALL_REQUIRE_FIXTURES=1 (as under make test) and is skipped otherwise.
func Fixture(t testing.TB, rel, hint string) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("HOUSECALL_REQUIRE_FIXTURES") == "1" {
			t.Fatalf("fixture %s is missing (%v); %s", rel, err, hint)
		}
		t.Skipf("fixture %s is missing; %s", rel, hint)
	}
	return p
}

// FHIRExamples is the folder of the official R4 examples package.
func FHIRExamples(t testing.TB) string {
	return Fixture(t, "tools/fhir-defs/node_modules/hl7.fhir.r4.examples", "run: npm ci --prefix tools/fhir-defs")
}

// InvalidExamples reads internal/fhir/testdata/invalid-examples.txt: the
// official examples that are genuinely invalid, as filename -> reason.
func InvalidExamples(t testing.TB) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(RepoRoot(t), "internal", "fhir", "testdata", "invalid-examples.txt"))
	if err != nil {
		t.Fatalf("open invalid-examples.txt: %v", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, ok := strings.Cut(line, "\t")
		if !ok || strings.TrimSpace(reason) == "" {
			t.Fatalf("invalid-examples.txt: line %q is not filename<TAB>reason", line)
		}
		out[name] = reason
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read invalid-examples.txt: %v", err)
	}
	return out
}
