package search

import (
	"bufio"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir"
)

// qSharedDir finds the shared test material (../shared beside the repository
// root); under HOUSECALL_REQUIRE_FIXTURES=1 its absence fails the test.
func qSharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
	shared := filepath.Join(filepath.Dir(dir), "shared")
	if _, err := os.Stat(filepath.Join(shared, "data", "synthea-bulk-10")); err != nil {
		msg := "shared test data not found at " + shared + " (expected ../shared next to the repository)"
		if os.Getenv("HOUSECALL_REQUIRE_FIXTURES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return shared
}

var qDateShape = regexp.MustCompile(`^\d{4}-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?$`)

// The parsers agree with real data: every date, decimal and reference in
// the Synthea bulk export parses as a search value with the meaning the
// resource gives it, and Synthea's conditional references
// ("Location?identifier=system|value") parse as searches.
func TestParseQuerySyntheaValues(t *testing.T) {
	dir := filepath.Join(qSharedDir(t), "data", "synthea-bulk-10")
	files, err := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no NDJSON in %s: %v", dir, err)
	}
	var dates, numbers, refs, conditional int
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				walk(k, c)
			}
		case []any:
			for _, c := range v {
				walk(key, c)
			}
		case json.Number:
			numbers++
			got, err := qNumber("n", v.String())
			want, _ := strconv.ParseFloat(v.String(), 64)
			if err != nil || got.Number != want || got.NumberLo > want || got.NumberHi <= want {
				t.Errorf("decimal %s: %+v %v", v, got, err)
			}
		case string:
			switch {
			case key == "reference" && strings.Contains(v, "?"):
				conditional++
				typ, raw, _ := strings.Cut(v, "?")
				vals, err := url.ParseQuery(raw)
				if err != nil {
					t.Fatalf("conditional reference query: %v", err)
				}
				q, unsup, err := ParseQuery(typ, vals, ParseOptions{})
				if err != nil || len(unsup) > 0 || len(q.Clauses) == 0 {
					t.Errorf("conditional reference %s: %v %v", typ, err, unsup)
					return
				}
				for _, c := range q.Clauses {
					for _, val := range c.Values {
						if c.Param.Type == "token" && (!val.SystemGiven || val.System == "" || val.Code == "") {
							t.Errorf("conditional reference token %+v", val)
						}
					}
				}
			case key == "reference" && strings.Count(v, "/") == 1:
				refs++
				got, err := qRelativeRef(qAnyRef, "", "r", v, v)
				typ, id, _ := strings.Cut(v, "/")
				if err != nil || got.Type != typ || got.ID != id {
					t.Errorf("reference: %+v %v", got, err)
				}
			case qDateShape.MatchString(v):
				dates++
				lo, hi, ok := qParseDate(v)
				if !ok || lo > hi {
					t.Errorf("date %s rejected", v)
					return
				}
				layout := time.RFC3339Nano
				switch {
				case len(v) == 7:
					layout = "2006-01"
				case len(v) == 10:
					layout = "2006-01-02"
				case !strings.ContainsAny(v[10:], "Z+-"):
					return // no zone: compared by TestQParseDate
				}
				want, err := time.Parse(layout, v)
				if err != nil {
					return // time cannot parse minute precision; the shape test covers it
				}
				if lo != want.UnixMicro() {
					t.Errorf("date %s: lo %d, want %d", v, lo, want.UnixMicro())
				}
			}
		}
	}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		for sc.Scan() {
			dec := json.NewDecoder(strings.NewReader(sc.Text()))
			dec.UseNumber()
			var res map[string]any
			if err := dec.Decode(&res); err != nil {
				t.Fatalf("%s: %v", filepath.Base(path), err)
			}
			walk("", res)
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	t.Logf("checked %d dates, %d decimals, %d references, %d conditional references", dates, numbers, refs, conditional)
	if dates < 1000 || numbers < 100 || refs < 1000 || conditional < 100 {
		t.Fatalf("too little data checked: %d dates, %d decimals, %d references, %d conditional", dates, numbers, refs, conditional)
	}
}

// qAnyRef is a reference parameter that may target any type.
var qAnyRef = fhir.SearchParam{Code: "r", Type: "reference"}
