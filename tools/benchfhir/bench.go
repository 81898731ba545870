package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/httpapi"
	"github.com/housecall/housecall/internal/importer"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/postgres"
	"github.com/housecall/housecall/internal/store/sqlite"
	"github.com/housecall/housecall/internal/synthea"
)

type bench struct {
	copies                  int
	synthea, pgURL          string
	reads, creates, bundles int

	dataDir  string
	total    int
	sample   []string // "Type/id" of imported resources, for reads
	patients [][]byte // Patient bodies without id, for creates
	txBodies [][]byte // transaction Bundles of 100 entries
	values   searchValues
	searches int    // iterations per search query shape
	only     string // |-separated parts of the names of the query shapes to measure ("": all)
	warmup   bool   // run each shape's queries once unmeasured first

	cpuprofile    string // if set, the CPU profile of the import is written here
	searchprofile string // and that of the search phase here
	batch         int    // importer.Options.BatchSize
	keep          string // if set, data and databases persist here between runs
}

type result struct {
	backend     string
	imported    int
	importDur   time.Duration
	txEntries   int
	txDur       time.Duration
	read        []time.Duration
	create      []time.Duration
	importError int
	reused      bool // the import was skipped: the kept database already held the data
	search      []searchResult
}

func (b *bench) run(ctx context.Context, backends []string) error {
	dir := b.keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "housecall-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b.dataDir = filepath.Join(dir, "ndjson")
	fmt.Fprintf(os.Stderr, "preparing %d copies of %s ...\n", b.copies, b.synthea)
	if err := b.prepare(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "prepared %d resources, %d transaction bundles\n", b.total, len(b.txBodies))
	var results []result
	for _, name := range backends {
		st, cleanup, err := b.open(ctx, name, dir)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r, err := b.measure(ctx, name, st, dir)
		st.Close()
		cleanup()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		results = append(results, r)
	}
	printReport(os.Stdout, b, results)
	return nil
}

// prepare writes the multiplied data set as NDJSON (one file per type) and
// builds the request bodies for the HTTP phases.
func (b *bench) prepare() error {
	if err := os.MkdirAll(b.dataDir, 0o755); err != nil {
		return err
	}
	files := map[string]*bufio.Writer{}
	var closers []*os.File
	rng := rand.New(rand.NewPCG(1, 2))
	var txEntries []any
	err := synthea.Multiply(b.synthea, b.copies, func(res map[string]any) error {
		typ, _ := res["resourceType"].(string)
		id, _ := res["id"].(string)
		w, ok := files[typ]
		if !ok {
			f, err := os.Create(filepath.Join(b.dataDir, typ+".ndjson"))
			if err != nil {
				return err
			}
			closers = append(closers, f)
			w = bufio.NewWriterSize(f, 1<<20)
			files[typ] = w
		}
		line, err := json.Marshal(res)
		if err != nil {
			return err
		}
		w.Write(line)
		w.WriteByte('\n')
		b.total++
		b.values.observe(res, rng)
		// Reservoir sample of ids to read back.
		if len(b.sample) < 20000 {
			b.sample = append(b.sample, typ+"/"+id)
		} else if j := rng.IntN(b.total); j < len(b.sample) {
			b.sample[j] = typ + "/" + id
		}
		if typ == "Patient" && len(b.patients) < b.creates {
			p := cloneMap(res)
			delete(p, "id")
			body, _ := json.Marshal(p)
			b.patients = append(b.patients, body)
		}
		if len(b.txBodies) < b.bundles && typ != "Patient" {
			// Transaction entries: the same resources under fresh ids.
			c := cloneMap(res)
			c["id"] = id + "-tx"
			txEntries = append(txEntries, map[string]any{"resource": c, "request": map[string]any{"method": "PUT", "url": typ + "/" + id + "-tx"}})
			if len(txEntries) == 100 {
				body, _ := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": txEntries})
				b.txBodies = append(b.txBodies, body)
				txEntries = nil
			}
		}
		return nil
	})
	for _, w := range files {
		if ferr := w.Flush(); ferr != nil && err == nil {
			err = ferr
		}
	}
	for _, f := range closers {
		f.Close()
	}
	for len(b.patients) > 0 && len(b.patients) < b.creates {
		b.patients = append(b.patients, b.patients[len(b.patients)%len(b.patients)])
	}
	return err
}

func cloneMap(m map[string]any) map[string]any {
	data, _ := json.Marshal(m)
	out, _ := fhir.Decode(data)
	return out
}

func (b *bench) open(ctx context.Context, name, dir string) (store.Store, func(), error) {
	switch name {
	case "sqlite":
		path := filepath.Join(dir, "bench.db")
		st, err := sqlite.Open(ctx, path)
		if b.keep != "" {
			return st, func() {}, err
		}
		return st, func() { os.Remove(path) }, err
	case "postgres":
		conn, err := pgx.Connect(ctx, b.pgURL)
		if err != nil {
			return nil, nil, fmt.Errorf("connecting: %w", err)
		}
		schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
		if b.keep != "" {
			schema = "bench_keep"
		}
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
			conn.Close(ctx)
			return nil, nil, err
		}
		sep := "?"
		if strings.Contains(b.pgURL, "?") {
			sep = "&"
		}
		st, err := postgres.Open(ctx, b.pgURL+sep+"search_path="+schema)
		cleanup := func() {
			if b.keep == "" {
				conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			}
			conn.Close(context.Background())
		}
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		return st, cleanup, nil
	}
	return nil, nil, fmt.Errorf("unknown backend %q", name)
}

func (b *bench) measure(ctx context.Context, name string, st store.Store, dir string) (result, error) {
	r := result{backend: name}
	marker := filepath.Join(dir, name+".imported")
	if _, err := os.Stat(marker); b.keep != "" && err == nil {
		fmt.Fprintf(os.Stderr, "[%s] reusing the kept database (%s)\n", name, marker)
		r.reused = true
	} else if err := b.importAll(ctx, name, st, &r); err != nil {
		return r, err
	} else if b.keep != "" {
		if err := os.WriteFile(marker, nil, 0o644); err != nil {
			return r, err
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return r, err
	}
	// The whole server as deployed: bearer tokens, the access policy and
	// the audit trail (one AuditEvent per request) are part of every figure.
	cfg := config.Defaults()
	cfg.Addr, cfg.DataDir = ln.Addr().String(), b.dataDir
	a, err := app.Open(ctx, cfg, discardLogger(), st, app.Serving())
	if err != nil {
		return r, err
	}
	defer a.Close()
	u, err := a.Accounts.CreateUser(ctx, account.NewUser{Email: fmt.Sprintf("bench-%s-%d@housecall.test", name, time.Now().UnixNano()), Role: auth.RolePractitioner,
		FHIRResource: "Practitioner/bench", Password: "benchmark-password-" + name})
	if err != nil {
		return r, err
	}
	tok, err := a.OAuth.IssueToken(ctx, u, "user/*.cruds", 0)
	if err != nil {
		return r, err
	}
	srv := &http.Server{Handler: a.Handler}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + httpapi.FHIRPrefix
	client := &http.Client{Transport: bearer{&http.Transport{MaxIdleConnsPerHost: 4}, "Bearer " + tok}}

	fmt.Fprintf(os.Stderr, "[%s] transaction bundles ...\n", name)
	sw := startWatch()
	for _, body := range b.txBodies {
		if _, err := call(client, "POST", base, body, http.StatusOK); err != nil {
			return r, fmt.Errorf("transaction: %w", err)
		}
		r.txEntries += 100
	}
	r.txDur = sw.elapsed()

	fmt.Fprintf(os.Stderr, "[%s] reads ...\n", name)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < b.reads; i++ {
		ref := b.sample[rng.IntN(len(b.sample))]
		d, err := call(client, "GET", base+"/"+ref, nil, http.StatusOK)
		if err != nil {
			return r, fmt.Errorf("read %d: %w", i, err)
		}
		r.read = append(r.read, d)
	}
	fmt.Fprintf(os.Stderr, "[%s] creates ...\n", name)
	for i := 0; i < b.creates && len(b.patients) > 0; i++ {
		d, err := call(client, "POST", base+"/Patient", b.patients[i%len(b.patients)], http.StatusCreated)
		if err != nil {
			return r, fmt.Errorf("create %d: %w", i, err)
		}
		r.create = append(r.create, d)
	}
	if b.searches > 0 {
		fmt.Fprintf(os.Stderr, "[%s] searches ...\n", name)
		stopProfile, err := startProfile(b.searchprofile)
		if err != nil {
			return r, err
		}
		r.search, err = measureSearches(client, base, &b.values, b.searches, b.only, b.warmup)
		if perr := stopProfile(); perr != nil && err == nil {
			err = perr
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// importAll imports the prepared data set into st and records the rate.
func (b *bench) importAll(ctx context.Context, name string, st store.Store, r *result) error {
	fmt.Fprintf(os.Stderr, "[%s] import ...\n", name)
	stopProfile, err := startProfile(b.cpuprofile)
	if err != nil {
		return err
	}
	sw := startWatch()
	sum, err := importer.Run(ctx, []string{b.dataDir}, importer.Options{Store: st, BatchSize: b.batch})
	if perr := stopProfile(); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	r.importDur, r.imported, r.importError = sw.elapsed(), sum.Resources, len(sum.Errors)
	return nil
}

// startProfile starts a CPU profile written to path (nothing if path is
// empty); the returned function stops it and closes the file.
func startProfile(path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		return nil
	}, nil
}

// bearer adds the access token to every request.
type bearer struct {
	rt    http.RoundTripper
	value string
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", b.value)
	return b.rt.RoundTrip(r)
}

// call makes one request and returns its latency.
func call(c *http.Client, method, url string, body []byte, want int) (time.Duration, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != want {
		return 0, fmt.Errorf("%s %s: status %d: %.300s", method, url, resp.StatusCode, data)
	}
	return d, nil
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func printReport(w io.Writer, b *bench, rs []result) {
	fmt.Fprintf(w, "\n## bench-fhir — %s\n\n", time.Now().Format("2006-01-02"))
	fmt.Fprintf(w, "Machine: %s\n\n", machine())
	fmt.Fprintf(w, "Data: Synthea 10-patient bulk export × %d = %d resources (fresh ids, references rewritten).\n\n", b.copies, b.total)
	fmt.Fprintln(w, "| backend | import (resources/s) | import errors | transaction bundles of 100 (resources/s) | read p50 | read p99 | create p50 | create p99 |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		imp := fmt.Sprintf("%.0f (%d in %.1fs)", float64(r.imported)/r.importDur.Seconds(), r.imported, r.importDur.Seconds())
		if r.reused {
			imp = "— (kept database reused)"
		}
		fmt.Fprintf(w, "| %s | %s | %d | %.0f | %s | %s | %s | %s |\n", r.backend,
			imp, r.importError,
			float64(r.txEntries)/r.txDur.Seconds(),
			ms(percentile(r.read, 0.50)), ms(percentile(r.read, 0.99)),
			ms(percentile(r.create, 0.50)), ms(percentile(r.create, 0.99)))
	}
	fmt.Fprintf(w, "\nReads: %d random GETs of imported resources; creates: %d POST Patient; one client, sequential, over loopback HTTP.\n", b.reads, b.creates)
	for _, r := range rs {
		if len(r.search) > 0 {
			printSearchReport(w, r.backend, r.search)
		}
	}
	if b.searches > 0 {
		warm := ""
		if b.warmup {
			warm = ", measured after one unmeasured run of the same queries (-warmup)"
		}
		fmt.Fprintf(w, "\nSearches: %d runs of each query shape with random real values, one client, sequential, loopback HTTP%s.\n", b.searches, warm)
	}
}

func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "model name") {
				_, v, _ := strings.Cut(line, ":")
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				var kb int64
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "MemTotal:")), "%d", &kb)
				mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
			}
		}
	}
	return fmt.Sprintf("%d cores (%s)%s, %s/%s, %s", runtime.NumCPU(), model, mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}
