// Package synthea multiplies a Synthea bulk export (a folder of NDJSON files)
// into many logically distinct copies, to build large, referentially intact
// data sets for benchmarks from the small real sample in ../shared.
package synthea

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxLine bounds one NDJSON line; Synthea DocumentReferences embed whole
// notes, so lines reach hundreds of kilobytes.
const maxLine = 64 << 20

// Multiply streams every resource of the NDJSON files in srcDir (*.ndjson and
// *.ndjson.gz, in name order) copies times and hands each to fn. Copy 0 is
// the source unchanged. In copy k > 0 every resource gets the id CopyID(k, id),
// every reference to a resource of the data set ("Type/id", "urn:uuid:id",
// conditional "Type?identifier=system|value" and logical identifier
// references) is rewritten to the same copy, and every identifier of the data
// set gets the suffix "-k" so copies do not collide logically. References to
// resources outside the data set are left as they are. fn owns res; an error
// from fn stops the stream and is returned.
func Multiply(srcDir string, copies int, fn func(res map[string]any) error) error {
	if copies < 0 {
		return fmt.Errorf("synthea: copies must be >= 0, got %d", copies)
	}
	files, err := ndjsonFiles(srcDir)
	if err != nil {
		return err
	}
	if copies == 0 {
		return nil
	}
	idx := newIndex()
	if copies > 1 {
		for _, f := range files {
			if err := eachLine(f, idx.add); err != nil {
				return err
			}
		}
	}
	for k := range copies {
		rw := rewriter{idx: idx, k: k}
		for _, f := range files {
			err := eachLine(f, func(line []byte) error {
				res, err := decode(line)
				if err != nil {
					return err
				}
				if k > 0 {
					rw.resource(res)
				}
				return fn(res)
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// ndjsonFiles lists the NDJSON files directly in dir, sorted by name.
func ndjsonFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("synthea: reading %s: %w", dir, err)
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && (strings.HasSuffix(n, ".ndjson") || strings.HasSuffix(n, ".ndjson.gz")) {
			files = append(files, filepath.Join(dir, n))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("synthea: no .ndjson files in %s", dir)
	}
	sort.Strings(files)
	return files, nil
}

// eachLine calls fn with every non-blank line of an NDJSON file, and wraps
// errors with the file and line number.
func eachLine(path string, fn func(line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("synthea: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("synthea: %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), maxLine)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("synthea: %s:%d: %w", filepath.Base(path), n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("synthea: reading %s: %w", path, err)
	}
	return nil
}

func decode(line []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var res map[string]any
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if res == nil {
		return nil, errors.New("line is not a JSON object")
	}
	return res, nil
}
