// Package pgtest gives tests an isolated PostgreSQL schema. The server comes
// from HOUSECALL_TEST_POSTGRES_URL (default: the local trust-auth server's
// database "test"); each call creates a fresh schema, returns a URL whose
// search_path points at it, and drops it when the test ends, so test
// packages can run in parallel against one database. If the server cannot be
// reached the test fails, unless HOUSECALL_SKIP_POSTGRES=1 (then it skips).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is used when HOUSECALL_TEST_POSTGRES_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// BaseURL is the configured test server URL.
func BaseURL() string {
	if u := os.Getenv("HOUSECALL_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// URL creates a fresh schema and returns a connection URL that uses it.
func URL(t testing.TB) string {
	t.Helper()
	base := BaseURL()
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("HOUSECALL_TEST_POSTGRES_URL must be a postgres:// URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("HOUSECALL_SKIP_POSTGRES") == "1" {
			t.Skipf("PostgreSQL unreachable and HOUSECALL_SKIP_POSTGRES=1: %v", err)
		}
		t.Fatalf("PostgreSQL at %s is unreachable: %v\n(start it, point HOUSECALL_TEST_POSTGRES_URL at a server, or set HOUSECALL_SKIP_POSTGRES=1 to skip)", u.Redacted(), err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "hc_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
