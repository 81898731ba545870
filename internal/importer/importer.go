// Package importer loads FHIR NDJSON files and Bundles into the store: the
// engine behind "housecall import PATH...".
//
// The pipeline is one reader goroutine (files in order, cut into chunks) ->
// N workers (fhir.Decode + fhir.Validate, then index + encode) -> one writer that restores input
// order and stores batches with store.BulkPut. Channels are bounded, so a
// slow store slows the reader down instead of filling memory. Invalid
// resources are reported with their file and line and skipped; the rest of
// the import goes on.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
)

// Options configures Run. Only Store is required.
type Options struct {
	Store     store.Store
	BatchSize int       // writes per BulkPut transaction; default the store's BulkBatchSize() if it has one, else 1000
	Workers   int       // decode/validate goroutines; default GOMAXPROCS
	Progress  io.Writer // if set, a progress line rewritten with \r
	Now       func() time.Time
	// Indexer computes search index entries in the workers; default
	// search.DefaultIndexer().
	Indexer *search.Indexer
}

// progressEvery is the minimum interval between progress updates.
const progressEvery = 500 * time.Millisecond

// pendingWrite is a validated resource waiting for the writer.
type pendingWrite struct {
	w   store.Write
	loc ImportError // location, for errors reported by the store
}

// Run imports every resource found in paths (files or folders) and reports
// what it did. Invalid resources do not stop the import; they are listed in
// Summary.Errors. The returned error is for what stops the import: a path
// that does not exist, a store failure or ctx being cancelled; the Summary
// then describes what was stored before that.
func Run(ctx context.Context, paths []string, opts Options) (Summary, error) {
	if opts.Store == nil {
		return Summary{}, errors.New("importer: Options.Store is nil")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
		if b, ok := opts.Store.(interface{ BulkBatchSize() int }); ok && b.BulkBatchSize() > 0 {
			opts.BatchSize = b.BulkBatchSize()
		}
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Indexer == nil {
		opts.Indexer = search.DefaultIndexer()
	}
	start := opts.Now()
	sum := Summary{ByType: map[string]int{}}
	files, skipped, err := expand(paths)
	if err != nil {
		return sum, err
	}
	sum.Skipped = skipped

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := make(chan *chunk, 2*opts.Workers)
	// out holds two batches' worth of chunks so that workers keep decoding
	// while the writer waits on BulkPut.
	out := make(chan *chunk, max(2*opts.Workers, 2*opts.BatchSize/chunkItems))
	var wg sync.WaitGroup
	rd := &reader{ctx: ctx, out: in}
	wg.Go(func() {
		defer close(in)
		for _, f := range files {
			if rd.readFile(f) != nil {
				return // cancelled
			}
		}
	})
	var workers sync.WaitGroup
	for range opts.Workers {
		workers.Go(func() {
			for c := range in {
				process(c, opts.Indexer)
				select {
				case out <- c:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	wg.Go(func() {
		workers.Wait()
		close(out)
	})

	w := writer{opts: opts, sum: &sum, start: start, lastProgress: start}
	err = w.run(ctx, out)
	cancel()
	wg.Wait()
	sum.Files = rd.read
	end := opts.Now()
	sum.Duration = end.Sub(start)
	w.progress(end, true)
	if err == nil {
		err = parent.Err()
	}
	// A bulk load changes the data's shape: PostgreSQL refreshes its
	// planner statistics, SQLite moves the load from its write-ahead log
	// into the database file, where reads are cheaper.
	if a, ok := opts.Store.(interface{ AfterBulkLoad(context.Context) error }); ok && err == nil && sum.Resources > 0 {
		if aerr := a.AfterBulkLoad(parent); aerr != nil {
			err = fmt.Errorf("finishing the bulk load: %w", aerr)
		}
	}
	return sum, err
}

// process decodes and validates the items of a chunk.
func process(c *chunk, ix *search.Indexer) {
	c.writes = make([]pendingWrite, 0, len(c.items))
	for _, it := range c.items {
		if it.err != nil {
			c.errs = append(c.errs, *it.err)
			continue
		}
		loc := ImportError{File: c.file, Line: it.line, Entry: it.entry}
		res := it.res
		if res == nil {
			var issues []fhir.Issue
			res, issues = fhir.Decode(c.buf[it.start:it.end])
			if fhir.HasErrors(issues) {
				loc.Issue = firstError(issues)
				c.errs = append(c.errs, loc)
				continue
			}
		}
		loc.Type, _ = res["resourceType"].(string)
		loc.ID, _ = res["id"].(string)
		if issues := fhir.Validate(res, ""); fhir.HasErrors(issues) {
			loc.Issue = firstError(issues)
			c.errs = append(c.errs, loc)
			continue
		}
		if loc.ID == "" {
			loc.Issue = fhir.Issue{Severity: "error", Code: "required", Expression: loc.Type + ".id",
				Diagnostics: "resource has no id (the importer keeps the ids of the files)"}
			c.errs = append(c.errs, loc)
			continue
		}
		id := loc.ID
		// Indexing and encoding happen here, in parallel; the store's
		// single writer only splices in the version and time.
		index, prepared, err := ix.ForWrite(res, id)
		if err != nil {
			loc.Issue = fhir.Issue{Severity: "error", Code: "processing", Diagnostics: "cannot be stored: " + err.Error()}
			c.errs = append(c.errs, loc)
			continue
		}
		c.writes = append(c.writes, pendingWrite{loc: loc, w: store.Write{
			Type:   loc.Type,
			ID:     id,
			Method: "PUT",
			Index:  index,
			Stamp: func(versionID int64, lastUpdated time.Time) ([]byte, error) {
				return prepared.Stamp(versionID, lastUpdated), nil
			},
		}})
	}
	c.buf = nil // the raw bytes are no longer needed; let them go early
}

// writer receives processed chunks, puts them back in input order and
// stores their writes in batches.
type writer struct {
	opts         Options
	sum          *Summary
	start        time.Time
	lastProgress time.Time
	lastLen      int
	batch        []pendingWrite
}

func (w *writer) run(ctx context.Context, out <-chan *chunk) error {
	waiting := map[int]*chunk{}
	next := 0
	for c := range out {
		waiting[c.seq] = c
		for {
			c, ok := waiting[next]
			if !ok {
				break
			}
			delete(waiting, next)
			next++
			w.addErrors(c.errs)
			for _, pw := range c.writes {
				w.batch = append(w.batch, pw)
				if len(w.batch) >= w.opts.BatchSize {
					if err := w.flush(ctx); err != nil {
						return err
					}
				}
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err // workers stopped early: the input was not all read
	}
	return w.flush(ctx)
}

func (w *writer) addErrors(errs []ImportError) {
	for _, e := range errs {
		if len(w.sum.Errors) < MaxKeptErrors {
			w.sum.Errors = append(w.sum.Errors, e)
		} else {
			w.sum.MoreErrors++
		}
	}
}

func (w *writer) flush(ctx context.Context) error {
	if len(w.batch) == 0 {
		return nil
	}
	writes := make([]store.Write, len(w.batch))
	for i := range w.batch {
		writes[i] = w.batch[i].w
	}
	if _, err := w.opts.Store.BulkPut(ctx, writes); err != nil {
		first, last := w.batch[0].loc, w.batch[len(w.batch)-1].loc
		return fmt.Errorf("importer: storing the batch from %s to %s: %w", first.Location(), last.Location(), err)
	}
	for _, pw := range w.batch {
		w.sum.ByType[pw.w.Type]++
	}
	w.sum.Resources += len(w.batch)
	clear(w.batch) // drop references to the decoded resources
	w.batch = w.batch[:0]
	w.progress(w.opts.Now(), false)
	return nil
}

// progress rewrites the progress line, at most every progressEvery unless
// final (which also ends the line).
func (w *writer) progress(now time.Time, final bool) {
	if w.opts.Progress == nil {
		return
	}
	if !final && now.Sub(w.lastProgress) < progressEvery {
		return
	}
	w.lastProgress = now
	rate := 0.0
	if d := now.Sub(w.start).Seconds(); d > 0 {
		rate = float64(w.sum.Resources) / d
	}
	text := fmt.Sprintf("%s resources, %s/s", group(int64(w.sum.Resources)), group(int64(rate+0.5)))
	// Pad over the previous line in case this one is shorter.
	line := "\r" + text + strings.Repeat(" ", max(0, w.lastLen-len(text)))
	w.lastLen = len(text)
	if final {
		line += "\n"
	}
	_, _ = io.WriteString(w.opts.Progress, line)
}
