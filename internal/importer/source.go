package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
)

const (
	// maxLine bounds one NDJSON line (Synthea notes reach hundreds of KB).
	maxLine = 64 << 20
	// maxJSONFile bounds a .json file, which is decoded whole.
	maxJSONFile = 1 << 30
	// chunkItems and chunkBytes size the unit of work handed to workers:
	// large enough to amortise channel traffic, small enough to spread
	// a file over all workers.
	chunkItems = 128
	chunkBytes = 1 << 20
)

// fileKind is how a file is read.
type fileKind int

const (
	kindSkip fileKind = iota
	kindNDJSON
	kindJSON
)

func kindOf(name string) (fileKind, bool) {
	gz := strings.HasSuffix(name, ".gz")
	base := strings.TrimSuffix(name, ".gz")
	switch {
	case strings.HasSuffix(base, ".ndjson"):
		return kindNDJSON, gz
	case strings.HasSuffix(base, ".json"):
		return kindJSON, gz
	}
	return kindSkip, false
}

// expand turns the paths into the files to read, in order (folders walked
// recursively in lexical order), and counts the files skipped by name.
func expand(paths []string) (files []string, skipped int, err error) {
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, 0, fmt.Errorf("importer: %w", err)
		}
		if !info.IsDir() {
			if k, _ := kindOf(p); k == kindSkip {
				skipped++
			} else {
				files = append(files, p)
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			if k, _ := kindOf(d.Name()); k == kindSkip {
				skipped++
			} else {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("importer: walking %s: %w", p, err)
		}
	}
	return files, skipped, nil
}

// item is one resource to import: raw NDJSON bytes (buf[start:end] of its
// chunk) or an already decoded Bundle entry, or an error found while reading.
type item struct {
	line       int
	entry      int
	start, end int
	res        map[string]any
	err        *ImportError
}

// chunk is the unit of work. Workers fill writes and errs; seq lets the
// writer restore input order, so that two versions of one resource in the
// input are stored in the order they appear.
type chunk struct {
	seq   int
	file  string
	buf   []byte
	items []item

	writes []pendingWrite
	errs   []ImportError
}

// reader streams the files as chunks into out, in order.
type reader struct {
	ctx  context.Context
	out  chan<- *chunk
	seq  int
	read int // files read
}

func (r *reader) send(c *chunk) error {
	if len(c.items) == 0 {
		return nil
	}
	c.seq = r.seq
	r.seq++
	select {
	case r.out <- c:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// fileError reports a problem with a whole file (unreadable, bad gzip, ...).
func fileError(file string, line int, code, msg string) *ImportError {
	return &ImportError{File: file, Line: line, Entry: -1,
		Issue: fhir.Issue{Severity: "error", Code: code, Diagnostics: msg}}
}

// readFile streams one file. Only context cancellation is returned as an
// error; problems with the file become ImportErrors and the import goes on.
func (r *reader) readFile(path string) error {
	kind, gz := kindOf(path)
	f, err := os.Open(path)
	if err != nil {
		return r.send(&chunk{file: path, items: []item{{entry: -1, err: fileError(path, 0, "exception", "cannot open file: "+err.Error())}}})
	}
	defer f.Close()
	r.read++
	var src io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return r.send(&chunk{file: path, items: []item{{entry: -1, err: fileError(path, 0, "structure", "not a valid gzip file")}}})
		}
		defer zr.Close()
		src = zr
	}
	if kind == kindNDJSON {
		return r.readNDJSON(path, src)
	}
	return r.readJSON(path, src)
}

func (r *reader) readNDJSON(path string, src io.Reader) error {
	br := bufio.NewReaderSize(src, 1<<20)
	c := &chunk{file: path}
	for n := 1; ; n++ {
		line, tooLong, err := readLine(br)
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			it := item{line: n, entry: -1}
			if tooLong {
				it.err = fileError(path, n, "too-costly", fmt.Sprintf("line longer than %d MiB", maxLine>>20))
			} else {
				it.start = len(c.buf)
				c.buf = append(c.buf, line...)
				it.end = len(c.buf)
			}
			c.items = append(c.items, it)
			if len(c.items) >= chunkItems || len(c.buf) >= chunkBytes {
				if err := r.send(c); err != nil {
					return err
				}
				c = &chunk{file: path}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			c.items = append(c.items, item{entry: -1, err: fileError(path, n, "exception", "read failed: "+err.Error())})
			break
		}
	}
	return r.send(c)
}

// readLine returns the next line without its terminator. A line longer
// than maxLine is consumed and reported as tooLong without being kept.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	var long []byte
	for {
		frag, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if !tooLong {
				if len(long)+len(frag) > maxLine {
					tooLong, long = true, nil
				} else {
					long = append(long, frag...)
				}
			}
			continue
		}
		if tooLong {
			return nil, true, err
		}
		if long != nil {
			frag = append(long, frag...)
		}
		return bytes.TrimSuffix(frag, []byte("\n")), false, err
	}
}

// readJSON imports a .json file: the entries of a Bundle, or one resource.
func (r *reader) readJSON(path string, src io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(src, maxJSONFile+1))
	if err != nil {
		return r.send(&chunk{file: path, items: []item{{entry: -1, err: fileError(path, 0, "exception", "read failed: "+err.Error())}}})
	}
	if len(data) > maxJSONFile {
		return r.send(&chunk{file: path, items: []item{{entry: -1, err: fileError(path, 0, "too-costly", "file larger than 1 GiB")}}})
	}
	res, issues := fhir.Decode(data)
	if fhir.HasErrors(issues) {
		e := fileError(path, 0, "structure", "")
		e.Issue = firstError(issues)
		return r.send(&chunk{file: path, items: []item{{entry: -1, err: e}}})
	}
	if res["resourceType"] != "Bundle" {
		return r.send(&chunk{file: path, items: []item{{entry: -1, res: res}}})
	}
	entries, _ := res["entry"].([]any)
	resolveBundleRefs(entries)
	c := &chunk{file: path}
	for i, e := range entries {
		it := item{entry: i}
		em, _ := e.(map[string]any)
		if rm, ok := em["resource"].(map[string]any); ok {
			it.res = rm
		} else {
			it.err = &ImportError{File: path, Entry: i,
				Issue: fhir.Issue{Severity: "error", Code: "required", Expression: fmt.Sprintf("Bundle.entry[%d].resource", i),
					Diagnostics: "entry has no resource; only resources are imported"}}
		}
		c.items = append(c.items, it)
		if len(c.items) >= chunkItems {
			if err := r.send(c); err != nil {
				return err
			}
			c = &chunk{file: path}
		}
	}
	return r.send(c)
}

// resolveBundleRefs gives entries without an id the one their fullUrl
// ("urn:uuid:X") or PUT request URL ("Type/X") implies, and rewrites
// references to urn:uuid / urn:oid fullUrls into "Type/id": those names
// only mean something inside the Bundle, as in a transaction.
func resolveBundleRefs(entries []any) {
	local := map[string]string{}
	for _, e := range entries {
		em, _ := e.(map[string]any)
		res, _ := em["resource"].(map[string]any)
		if res == nil {
			continue
		}
		typ, _ := res["resourceType"].(string)
		full, _ := em["fullUrl"].(string)
		id, _ := res["id"].(string)
		if id == "" {
			id = impliedID(typ, full, em["request"])
			if id != "" {
				res["id"] = id
			}
		}
		if typ != "" && id != "" && (strings.HasPrefix(full, "urn:uuid:") || strings.HasPrefix(full, "urn:oid:")) {
			local[full] = typ + "/" + id
		}
	}
	if len(local) == 0 {
		return
	}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			for k, e := range t {
				if s, ok := e.(string); ok && k == "reference" {
					if to, ok := local[s]; ok {
						t[k] = to
					}
					continue
				}
				walk(e)
			}
		}
	}
	for _, e := range entries {
		if em, ok := e.(map[string]any); ok {
			walk(em["resource"])
		}
	}
}

func impliedID(typ, fullURL string, request any) string {
	if id, ok := strings.CutPrefix(fullURL, "urn:uuid:"); ok {
		return id
	}
	req, _ := request.(map[string]any)
	if m, _ := req["method"].(string); m == "PUT" {
		u, _ := req["url"].(string)
		u, _, _ = strings.Cut(u, "?")
		if t, id, ok := strings.Cut(u, "/"); ok && t == typ && !strings.Contains(id, "/") {
			return id
		}
	}
	return ""
}

// firstError is the first fatal or error issue (the first issue if none).
func firstError(issues []fhir.Issue) fhir.Issue {
	for _, is := range issues {
		if is.Severity == "fatal" || is.Severity == "error" {
			return is
		}
	}
	if len(issues) > 0 {
		return issues[0]
	}
	return fhir.Issue{}
}
