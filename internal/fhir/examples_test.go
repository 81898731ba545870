package fhir

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/testutil"
)

// exampleFiles lists every resource in the npm package: examples and definitions.
func exampleFiles(t testing.TB) (string, []string) {
	dir := examplesDir(t)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read examples: %v", err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		// Every .json file is a resource except the npm manifest; the large
		// definition bundles (Bundle-resources.json ...) are included too.
		if !strings.HasSuffix(n, ".json") || n == "package.json" {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return dir, names
}

func TestOfficialExamples(t *testing.T) {
	dir, names := exampleFiles(t)
	invalid := testutil.InvalidExamples(t)
	for name := range invalid {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("invalid-examples.txt lists %s, which is not in the package", name)
		}
	}
	bad := 0
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		res, issues := Decode(data)
		if !HasErrors(issues) {
			issues = Validate(res, "")
		}
		_, listed := invalid[name]
		switch {
		case listed && !HasErrors(issues):
			t.Errorf("%s is listed as invalid (%s) but validates", name, invalid[name])
		case !listed && HasErrors(issues):
			bad++
			if bad <= 200 {
				for i, is := range issues {
					if i == 5 {
						break
					}
					t.Errorf("%s: %s %s: %s", name, is.Code, is.Expression, is.Diagnostics)
				}
			}
		}
	}
	t.Logf("%d examples checked, %d listed as invalid, %d unexpected failures", len(names), len(invalid), bad)
}

// TestSyntheaValidates: the shared Synthea bulk export is real data the
// importer loads, so every resource in it must validate.
func TestSyntheaValidates(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(sharedDir(t), "data", "synthea-bulk-10", "*.ndjson"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Synthea NDJSON files: %v", err)
	}
	total := 0
	for _, f := range files {
		name := filepath.Base(f)
		expected := strings.TrimSuffix(name, ".000.ndjson")
		for i, line := range syntheaLines(t, name, 1<<30) {
			total++
			res, issues := Decode(line)
			if !HasErrors(issues) {
				issues = Validate(res, expected)
			}
			for _, is := range issues {
				t.Errorf("%s line %d: %s %s: %s", name, i+1, is.Code, is.Expression, is.Diagnostics)
			}
		}
	}
	t.Logf("%d Synthea resources validated", total)
}
