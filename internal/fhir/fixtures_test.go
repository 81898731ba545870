package fhir

import (
	"os"
	"path/filepath"
	"testing"
)

// repoRoot walks up from the package directory to the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("go.mod not found above the package directory")
		}
		dir = parent
	}
}

// missingFixture fails under HOUSECALL_REQUIRE_FIXTURES=1 (make test) and
// skips otherwise, so a bare `go test` works on a fresh checkout.
func missingFixture(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("HOUSECALL_REQUIRE_FIXTURES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// examplesDir is the installed hl7.fhir.r4.examples npm package.
func examplesDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "tools", "fhir-defs", "node_modules", "hl7.fhir.r4.examples")
	if _, err := os.Stat(filepath.Join(dir, "Bundle-types.json")); err != nil {
		missingFixture(t, "FHIR R4 definitions not installed; run: npm ci --prefix tools/fhir-defs")
	}
	return dir
}

// sharedDir is the shared test material (../shared relative to the repo root).
func sharedDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(repoRoot(t)), "shared")
	if _, err := os.Stat(filepath.Join(dir, "data")); err != nil {
		missingFixture(t, "shared test data not found at "+dir+" (expected ../shared next to the repository)")
	}
	return dir
}
