// Command gen turns the official FHIR R4 definitions (the npm package
// hl7.fhir.r4.examples@4.0.1) into the compact gzip'd JSON file that package
// fhir embeds, so that building Housecall never needs Node or the 190 MB
// package. It is run by `go generate ./internal/fhir`.
//
// The output is deterministic: re-running it over the same package yields the
// same decompressed bytes (maps are written by encoding/json with sorted keys
// and every list is in definition or sorted order).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

func main() {
	def := os.Getenv("FHIR_DEFS_DIR")
	if def == "" {
		def = filepath.Join("..", "..", "tools", "fhir-defs", "node_modules", "hl7.fhir.r4.examples")
	}
	dir := flag.String("dir", def, "directory of the hl7.fhir.r4.examples npm package (env FHIR_DEFS_DIR)")
	out := flag.String("out", "r4defs.json.gz", "output file")
	flag.Parse()

	data, err := build(*dir)
	if err != nil {
		log.Fatalf("gen: %v", err)
	}
	if err := write(*out, data); err != nil {
		log.Fatalf("gen: %v", err)
	}
	fmt.Fprintf(os.Stderr, "gen: %d types, %d value sets expanded (%d skipped), %d search parameters -> %s\n",
		len(data.Types), len(data.ValueSets), len(data.SkippedValueSets), len(data.SearchParams), *out)
}
