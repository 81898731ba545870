package fhirpath_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/fhirpath"
	"github.com/housecall/housecall/internal/testutil"
)

// TestSearchParameterExpressions compiles every R4 SearchParameter
// expression and evaluates it over every official example of its resource
// type, as the search indexer will at write time.
func TestSearchParameterExpressions(t *testing.T) {
	dir := testutil.FHIRExamples(t)
	if testing.Short() {
		t.Skip("evaluates every search expression over ~2,800 examples")
	}
	model := fhir.Model()
	opts := &fhirpath.EvalOptions{Model: model, LenientAs: true}
	compiled := map[string]*fhirpath.Expression{}
	compile := func(rt, code, expr string) *fhirpath.Expression {
		if e, ok := compiled[expr]; ok {
			return e
		}
		e, err := fhirpath.Compile(expr)
		if err != nil {
			t.Errorf("%s.%s: %v", rt, code, err)
		}
		compiled[expr] = e
		return e
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string][]string{}
	for _, f := range files {
		base := filepath.Base(f)
		if i := strings.IndexByte(base, '-'); i > 0 {
			byType[base[:i]] = append(byType[base[:i]], f)
		}
	}
	var exprs, evals, items, examples, nonEmpty int
	start := time.Now()
	types := fhir.ResourceTypes()
	sort.Strings(types)
	for _, rt := range types {
		type param struct {
			code string
			e    *fhirpath.Expression
		}
		var params []param
		for _, sp := range fhir.SearchParams(rt) {
			if sp.Expression == "" {
				continue
			}
			exprs++
			e := compile(rt, sp.Code, sp.Expression)
			for _, c := range sp.Component {
				if c.Expression != "" {
					compile(rt, sp.Code+" component", c.Expression)
				}
			}
			if e != nil {
				params = append(params, param{sp.Code, e})
			}
		}
		for _, f := range byType[rt] {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, issues := fhir.Decode(data)
			if fhir.HasErrors(issues) || res["resourceType"] != rt {
				continue
			}
			examples++
			for _, p := range params {
				out, err := p.e.Evaluate(res, opts)
				evals++
				if err != nil {
					t.Errorf("%s %s (%s): %v", filepath.Base(f), p.code, p.e, err)
					continue
				}
				items += len(out)
				if len(out) > 0 {
					nonEmpty++
				}
			}
		}
	}
	t.Logf("search expressions: %d parameters (%d distinct expressions) over %d examples: %d evaluations, %d non-empty, %d items, %v",
		exprs, len(compiled), examples, evals, nonEmpty, items, time.Since(start).Round(time.Millisecond))
	if exprs < 1000 || evals < 10000 {
		t.Errorf("too little coverage: %d parameters, %d evaluations", exprs, evals)
	}
}

// TestSearchExpressionValues spot-checks what a few R4 search expressions
// extract from official examples, so the bulk test above cannot pass by
// returning nothing.
func TestSearchExpressionValues(t *testing.T) {
	dir := testutil.FHIRExamples(t)
	model := fhir.Model()
	opts := &fhirpath.EvalOptions{Model: model, LenientAs: true}
	tests := []struct{ file, rt, code, want string }{
		{"Patient-example.json", "Patient", "birthdate", "1974-12-25"},
		{"Patient-example.json", "Patient", "family", "Chalmers,Windsor"},
		{"Patient-example.json", "Patient", "organization", `{"reference":"Organization/1"}`},
		{"Observation-example.json", "Observation", "patient", `{"reference":"Patient/example"}`},
		{"Observation-example.json", "Observation", "value-quantity", "185 '[lb_av]'"},
		{"Observation-example.json", "Observation", "date", "2016-03-28"},
		{"Encounter-example.json", "Encounter", "subject", `{"reference":"Patient/example"}`},
		{"Patient-example.json", "Patient", "_id", "example"},
	}
	for _, tc := range tests {
		data, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		res, issues := fhir.Decode(data)
		if fhir.HasErrors(issues) {
			t.Fatalf("%s: %v", tc.file, issues)
		}
		sp, ok := fhir.LookupSearchParam(tc.rt, tc.code)
		if !ok {
			t.Fatalf("no search parameter %s.%s", tc.rt, tc.code)
		}
		out, err := fhirpath.MustCompile(sp.Expression).Evaluate(res, opts)
		if err != nil {
			t.Errorf("%s %s: %v", tc.file, tc.code, err)
			continue
		}
		parts := make([]string, len(out))
		for i, it := range out {
			parts[i] = it.String()
		}
		if got := strings.Join(parts, ","); got != tc.want {
			t.Errorf("%s %s (%s) = %s, want %s", tc.file, tc.code, sp.Expression, got, tc.want)
		}
	}
}
