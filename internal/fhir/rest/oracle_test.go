package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/importer"
	"github.com/housecall/housecall/internal/testutil"
)

// The search oracle (tools/search-oracle) computes the expected answer of a
// few hundred generated searches over the Synthea sample, independently of
// the Go search code: it evaluates the official SearchParameter expressions
// with fhirpath.js and applies the R4 matching rules itself. This test asks
// the server the same questions on every backend and requires the same ids.

// oracleKnownDeviations lists queries ("Type?query") whose mismatch is
// accepted, with the reason. Keep it empty unless the oracle and the server
// both follow the specification and still differ.
var oracleKnownDeviations = map[string]string{}

// oracleQuery is one expectation from oracle.mjs.
type oracleQuery struct {
	Category string   `json:"category"`
	Type     string   `json:"type"`
	Query    string   `json:"query"`
	Matches  []string `json:"matches"`  // sorted ids
	Includes []string `json:"includes"` // sorted "Type/id"
}

type oracleOutput struct {
	Seed    *int64        `json:"seed"`
	Count   int           `json:"count"`
	Dropped int           `json:"dropped"`
	Queries []oracleQuery `json:"queries"`
}

const oracleHint = "run: npm ci --prefix tools/search-oracle (needs node)"

// runOracle runs node once and returns its expectations.
func runOracle(t *testing.T, dataDir string) oracleOutput {
	t.Helper()
	root := testutil.RepoRoot(t)
	defs := testutil.FHIRExamples(t)
	script := filepath.Join(root, "tools", "search-oracle", "oracle.mjs")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(root, "tools", "search-oracle", "node_modules", "fhirpath", "package.json"))
	}
	if err != nil {
		if os.Getenv("HOUSECALL_REQUIRE_FIXTURES") == "1" {
			t.Fatalf("search oracle unavailable (%v); %s", err, oracleHint)
		}
		t.Skipf("search oracle unavailable (%v); %s", err, oracleHint)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, "--data", dataDir, "--defs", filepath.Join(defs, "Bundle-searchParams.json"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("oracle.mjs: %v\n%s", err, stderr.Bytes())
	}
	var out oracleOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("oracle.mjs output: %v", err)
	}
	if len(out.Queries) < 300 {
		t.Fatalf("oracle generated %d queries, want at least 300", len(out.Queries))
	}
	t.Logf("search-oracle: node computed %d expectations in %v (%d ambiguous candidates dropped)", len(out.Queries), time.Since(start).Round(time.Millisecond), out.Dropped)
	return out
}

func TestSearchOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the Synthea sample twice; skipped with -short")
	}
	dir := testutil.Fixture(t, "../shared/data/synthea-bulk-10", "the shared Synthea sample (../shared/data/synthea-bulk-10) is required")
	expected := runOracle(t, dir)
	queries := oracleSubset(t, expected.Queries)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			start := time.Now()
			// A hung store must fail this test, not the whole package's timeout.
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			sum, err := importer.Run(ctx, []string{dir}, importer.Options{Store: st})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if sum.ErrorCount() != 0 {
				t.Fatalf("import reported errors:\n%s", sum)
			}
			t.Logf("imported %d resources in %v", sum.Resources, time.Since(start).Round(time.Millisecond))
			s := newServer(t, st)
			start = time.Now()
			checkOracle(t, s, queries)
			t.Logf("queries took %v", time.Since(start).Round(time.Millisecond))
		})
	}
}

// oracleSubset returns every query, except under the race detector, where
// the pure-Go SQLite runs an order of magnitude slower: then the first two
// queries of each category (about a third), unless HOUSECALL_ORACLE_FULL=1.
func oracleSubset(t *testing.T, all []oracleQuery) []oracleQuery {
	if !raceEnabled() || os.Getenv("HOUSECALL_ORACLE_FULL") == "1" {
		return all
	}
	perCategory := map[string]int{}
	var out []oracleQuery
	for _, q := range all {
		if perCategory[q.Category] < 2 {
			perCategory[q.Category]++
			out = append(out, q)
		}
	}
	t.Logf("race detector on: checking %d of %d queries (two per category; HOUSECALL_ORACLE_FULL=1 for all)", len(out), len(all))
	return out
}

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// oracleResult is what the server answered to one query.
type oracleResult struct {
	matches, includes []string
	err               error
}

// checkOracle runs every query (a few at a time: the server is in-process
// and the machine has two cores) and compares the id sets.
func checkOracle(t *testing.T, s *server, queries []oracleQuery) {
	t.Helper()
	results := make([]oracleResult, len(queries))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 3 {
		wg.Go(func() {
			for i := range next {
				results[i] = searchAll(t.Context(), s, queries[i].Type, queries[i].Query)
			}
		})
	}
	for i := range queries {
		next <- i
	}
	close(next)
	wg.Wait()

	passed, failed, deviated := 0, 0, 0
	failedBy := map[string]int{}
	for i, q := range queries {
		r := results[i]
		var problems []string
		if r.err != nil {
			problems = append(problems, r.err.Error())
		} else {
			if d := idDiff(q.Matches, r.matches); d != "" {
				problems = append(problems, "matches (- expected only, + server only):\n"+d)
			}
			if d := idDiff(q.Includes, r.includes); d != "" {
				problems = append(problems, "includes (- expected only, + server only):\n"+d)
			}
		}
		key := q.Type + "?" + q.Query
		switch {
		case len(problems) == 0:
			passed++
		case oracleKnownDeviations[key] != "":
			deviated++
			t.Logf("known deviation %s: %s", key, oracleKnownDeviations[key])
		default:
			failed++
			failedBy[q.Category]++
			t.Errorf("GET %s [%s]: expected %d matches and %d includes\n%s", key, q.Category, len(q.Matches), len(q.Includes), strings.Join(problems, "\n"))
		}
	}
	if failed > 0 {
		cats := make([]string, 0, len(failedBy))
		for c, n := range failedBy {
			cats = append(cats, fmt.Sprintf("%s: %d", c, n))
		}
		sort.Strings(cats)
		t.Logf("failures by category: %s", strings.Join(cats, ", "))
	}
	t.Logf("search-oracle: %d queries, %d passed, %d failed, %d known deviations", len(queries), passed, failed, deviated)
}

// searchAll runs one search and follows the next links, collecting match
// ids and included "Type/id"s.
func searchAll(ctx context.Context, s *server, typ, query string) oracleResult {
	var res oracleResult
	seen := map[string]bool{}
	inc := map[string]bool{}
	url := s.url + "/" + typ + "?" + query + "&_count=1000"
	for page := 0; url != ""; page++ {
		if page > 100 {
			res.err = fmt.Errorf("more than 100 pages")
			return res
		}
		bundle, err := getJSON(ctx, s.http, url)
		if err != nil {
			res.err = err
			return res
		}
		url = ""
		for _, e := range entries(bundle) {
			rt, id := str(e, "resource", "resourceType"), str(e, "resource", "id")
			switch mode := str(e, "search", "mode"); {
			case mode == "include":
				inc[rt+"/"+id] = true
			case mode == "outcome":
				// warnings (e.g. an ignored parameter) explain a mismatch
				if b, err := json.Marshal(e["resource"]); err == nil {
					res.err = fmt.Errorf("server returned an OperationOutcome entry: %s", truncate(string(b), 600))
					return res
				}
			case rt != typ:
				res.err = fmt.Errorf("match entry of type %s/%s in a %s search", rt, id, typ)
				return res
			default:
				if seen[id] {
					res.err = fmt.Errorf("match %s repeated across pages", id)
					return res
				}
				seen[id] = true
				res.matches = append(res.matches, id)
			}
		}
		links, _ := bundle["link"].([]any)
		for _, l := range links {
			if str(l, "relation") == "next" {
				url = str(l, "url")
			}
		}
	}
	slices.Sort(res.matches)
	for k := range inc {
		res.includes = append(res.includes, k)
	}
	slices.Sort(res.includes)
	return res
}

func getJSON(ctx context.Context, c *http.Client, url string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, truncate(string(body), 600))
	}
	var b map[string]any
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("decode bundle: %w", err)
	}
	return b, nil
}

// idDiff lists, at most 20 lines, the ids only in want (-) or only in got (+).
func idDiff(want, got []string) string {
	w := map[string]bool{}
	for _, id := range want {
		w[id] = true
	}
	g := map[string]bool{}
	for _, id := range got {
		g[id] = true
	}
	var minus, plus []string
	for _, id := range want {
		if !g[id] {
			minus = append(minus, "  - "+id)
		}
	}
	for _, id := range got {
		if !w[id] {
			plus = append(plus, "  + "+id)
		}
	}
	if len(minus)+len(plus) == 0 {
		return ""
	}
	// Show both sides even when one is long.
	lines := []string{fmt.Sprintf("  %d expected only, %d server only", len(minus), len(plus))}
	lines = append(lines, minus[:min(len(minus), 10)]...)
	lines = append(lines, plus[:min(len(plus), 20-len(lines))]...)
	return strings.Join(lines, "\n")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
