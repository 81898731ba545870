// Command benchfhir is `make bench-fhir`: it measures Housecall's FHIR server
// on SQLite and PostgreSQL — bulk import of the Synthea data multiplied to
// over 100,000 resources, transaction-bundle ingest, and read and create
// latency over HTTP — and prints a table with the machine description.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	copies := flag.Int("copies", 140, "how many times to multiply the Synthea data set (about 7,160 resources each; 140 gives about 1,000,000)")
	synthea := flag.String("synthea", "", "Synthea NDJSON folder (default ../shared/data/synthea-bulk-10 next to the repository)")
	pgURL := flag.String("postgres", envOr("HOUSECALL_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL server for the benchmark (a temporary schema is used)")
	backends := flag.String("backends", "sqlite,postgres", "comma-separated backends to measure")
	reads := flag.Int("reads", 5000, "number of timed reads")
	creates := flag.Int("creates", 2000, "number of timed creates")
	bundles := flag.Int("bundles", 100, "number of transaction bundles (100 entries each)")
	searches := flag.Int("searches", 200, "runs of each search query shape (0 skips the search phase)")
	batch := flag.Int("batch", 0, "resources per import transaction (0: the importer's default)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the import phase (of the last backend) to this file")
	searchprofile := flag.String("searchprofile", "", "write a CPU profile of the search phase (of the last backend) to this file")
	only := flag.String("only", "", "measure only the search query shapes whose name contains one of these |-separated parts (e.g. \"chain|_has\")")
	warmup := flag.Bool("warmup", false, "run each search query shape's queries once, unmeasured, before measuring them: the steady state of a running server instead of the first queries after its start")
	keep := flag.String("keep", "", "keep the data set and databases in this folder (PostgreSQL: schema bench_keep) and reuse them on the next run instead of importing again; for iterating on search latency")
	flag.Parse()

	if *synthea == "" {
		root, err := repoRoot()
		if err != nil {
			fail(err)
		}
		*synthea = filepath.Join(root, "..", "shared", "data", "synthea-bulk-10")
	}
	ctx := context.Background()
	b := &bench{copies: *copies, synthea: *synthea, pgURL: *pgURL, reads: *reads, creates: *creates, bundles: *bundles, searches: *searches, cpuprofile: *cpuprofile, searchprofile: *searchprofile, batch: *batch, keep: *keep, only: *only, warmup: *warmup}
	if err := b.run(ctx, splitComma(*backends)); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench-fhir:", err)
	os.Exit(1)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found; run from the repository")
		}
		dir = parent
	}
}

// stopwatch measures a phase.
type stopwatch struct{ start time.Time }

func startWatch() stopwatch                { return stopwatch{time.Now()} }
func (s stopwatch) elapsed() time.Duration { return time.Since(s.start) }
