// Package testutil holds helpers shared by integration tests: locating the
// repository and ../shared fixtures, and giving each test its own schema in
// the real PostgreSQL server.
package testutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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

// Postgres returns a URL for a fresh, empty schema on the test server
// (HOUSECALL_TEST_POSTGRES_URL); the schema is dropped when the test ends.
// Without a reachable server the test fails, unless HOUSECALL_SKIP_POSTGRES=1.
func Postgres(t testing.TB) string {
	t.Helper()
	if os.Getenv("HOUSECALL_SKIP_POSTGRES") == "1" {
		t.Skip("HOUSECALL_SKIP_POSTGRES=1")
	}
	base := os.Getenv("HOUSECALL_TEST_POSTGRES_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable at %s: %v (start it, or set HOUSECALL_SKIP_POSTGRES=1)", redact(base), err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
