package importer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/synthea"
)

// benchImport imports dir into a fresh store per iteration and reports
// resources/s (the figure for docs/benchmarks.md).
func benchImport(b *testing.B, dir string, open func(testing.TB) store.Store) {
	total := 0
	for b.Loop() {
		b.StopTimer()
		st := open(b)
		b.StartTimer()
		sum, err := Run(b.Context(), []string{dir}, Options{Store: st})
		if err != nil || sum.ErrorCount() != 0 {
			b.Fatalf("import: %v, %d errors\n%s", err, sum.ErrorCount(), sum)
		}
		total += sum.Resources
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "resources/s")
}

func BenchmarkImportSQLite(b *testing.B)   { benchImport(b, syntheaDir(b), openSQLite) }
func BenchmarkImportPostgres(b *testing.B) { benchImport(b, syntheaDir(b), openPostgres) }

// BenchmarkImportX15 imports the Synthea sample multiplied 15 times
// (107,400 resources); run with -benchtime 1x.
func BenchmarkImportX15(b *testing.B) {
	dir := multiplied(b, 15)
	b.Run("sqlite", func(b *testing.B) { benchImport(b, dir, openSQLite) })
	b.Run("postgres", func(b *testing.B) { benchImport(b, dir, openPostgres) })
}

// multiplied writes synthea.Multiply's output as one NDJSON file per type.
func multiplied(b *testing.B, copies int) string {
	dir := b.TempDir()
	writers := map[string]*bufio.Writer{}
	var files []*os.File
	err := synthea.Multiply(syntheaDir(b), copies, func(res map[string]any) error {
		typ, _ := res["resourceType"].(string)
		w := writers[typ]
		if w == nil {
			f, err := os.Create(filepath.Join(dir, typ+".ndjson"))
			if err != nil {
				return err
			}
			files = append(files, f)
			w = bufio.NewWriterSize(f, 1<<20)
			writers[typ] = w
		}
		line, err := json.Marshal(res)
		if err != nil {
			return err
		}
		w.Write(line)
		return w.WriteByte('\n')
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range writers {
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	for _, f := range files {
		if err := f.Close(); err != nil {
			b.Fatal(fmt.Errorf("closing %s: %w", f.Name(), err))
		}
	}
	return dir
}
