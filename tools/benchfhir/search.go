package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// searchValues are real values sampled from the multiplied data set, so
// every benchmark query has matches.
type searchValues struct {
	patients    []string // Patient ids
	families    []string // Patient family names
	identifiers []string // system|value of Patient identifiers
	conditions  []string // SNOMED codes of Conditions
	encounters  []string // Encounter ids
	months      []string // YYYY-MM of Encounter starts
}

func (v *searchValues) observe(res map[string]any, rng *rand.Rand) {
	keep := func(list *[]string, s string) {
		if s == "" {
			return
		}
		if len(*list) < 2000 {
			*list = append(*list, s)
		} else if j := rng.IntN(20000); j < len(*list) {
			(*list)[j] = s
		}
	}
	id, _ := res["id"].(string)
	switch res["resourceType"] {
	case "Patient":
		keep(&v.patients, id)
		if names, ok := res["name"].([]any); ok && len(names) > 0 {
			n, _ := names[0].(map[string]any)
			f, _ := n["family"].(string)
			keep(&v.families, f)
		}
		if ids, ok := res["identifier"].([]any); ok && len(ids) > 0 {
			i, _ := ids[0].(map[string]any)
			sys, _ := i["system"].(string)
			val, _ := i["value"].(string)
			keep(&v.identifiers, sys+"|"+val)
		}
	case "Condition":
		if c, ok := res["code"].(map[string]any); ok {
			if cs, ok := c["coding"].([]any); ok && len(cs) > 0 {
				code, _ := cs[0].(map[string]any)["code"].(string)
				keep(&v.conditions, code)
			}
		}
	case "Encounter":
		keep(&v.encounters, id)
		if p, ok := res["period"].(map[string]any); ok {
			if s, ok := p["start"].(string); ok && len(s) >= 7 {
				keep(&v.months, s[:7])
			}
		}
	}
}

// searchCase is one benchmarked query shape.
type searchCase struct {
	name  string
	scope string // "patient" or "cross-patient": which target applies
	query func(v *searchValues, rng *rand.Rand) string
}

func pick(rng *rand.Rand, s []string) string { return s[rng.IntN(len(s))] }

func nextMonth(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.AddDate(0, 1, 0).Format("2006-01")
}

var searchCases = []searchCase{
	{"Patient by name", "cross-patient", func(v *searchValues, r *rand.Rand) string {
		return "Patient?name=" + url.QueryEscape(pick(r, v.families))
	}},
	{"Patient by identifier", "cross-patient", func(v *searchValues, r *rand.Rand) string {
		return "Patient?identifier=" + url.QueryEscape(pick(r, v.identifiers))
	}},
	{"a patient's Encounters sorted by date", "patient", func(v *searchValues, r *rand.Rand) string {
		return "Encounter?patient=Patient/" + pick(r, v.patients) + "&_sort=-date&_count=50"
	}},
	{"Conditions of a patient + _include=Condition:encounter", "patient", func(v *searchValues, r *rand.Rand) string {
		return "Condition?patient=" + pick(r, v.patients) + "&_include=Condition:encounter&_count=50"
	}},
	{"MedicationRequest by status for a patient", "patient", func(v *searchValues, r *rand.Rand) string {
		return "MedicationRequest?patient=" + pick(r, v.patients) + "&status=active,stopped&_count=50"
	}},
	{"Encounter by date range (one month, all patients)", "cross-patient", func(v *searchValues, r *rand.Rand) string {
		m := pick(r, v.months)
		return "Encounter?date=ge" + m + "&date=lt" + nextMonth(m) + "&_count=50"
	}},
	{"_has: patients with an active condition of a code", "cross-patient", func(v *searchValues, r *rand.Rand) string {
		return "Patient?_has:Condition:patient:code=" + pick(r, v.conditions) + "&_count=50"
	}},
	{"two-hop chain: Condition?encounter.subject:Patient.name", "cross-patient", func(v *searchValues, r *rand.Rand) string {
		return "Condition?encounter.subject:Patient.name=" + url.QueryEscape(pick(r, v.families)) + "&_count=50"
	}},
	{"_revinclude: Encounter + Conditions pointing at it", "patient", func(v *searchValues, r *rand.Rand) string {
		return "Encounter?_id=" + pick(r, v.encounters) + "&_revinclude=Condition:encounter&_revinclude=Procedure:encounter"
	}},
	{"_total=accurate: Conditions of a code", "cross-patient", func(v *searchValues, r *rand.Rand) string {
		return "Condition?code=" + pick(r, v.conditions) + "&_total=accurate&_count=10"
	}},
	{"Patient/$everything", "patient", func(v *searchValues, r *rand.Rand) string {
		return "Patient/" + pick(r, v.patients) + "/$everything"
	}},
}

// searchResult holds the latencies of one query shape.
type searchResult struct {
	c       searchCase
	lat     []time.Duration
	matches int
}

// measureSearches runs each query shape n times with random values (the
// same values on every run of the benchmark). only, when not empty, keeps
// the shapes whose name contains one of its |-separated parts; warmup runs
// a shape's n queries once before measuring them.
func measureSearches(client *http.Client, base string, v *searchValues, n int, only string, warmup bool) ([]searchResult, error) {
	src := rand.NewPCG(7, 8)
	rng := rand.New(src)
	var out []searchResult
	for _, c := range searchCases {
		if only != "" && !slices.ContainsFunc(strings.Split(only, "|"), func(p string) bool { return strings.Contains(c.name, p) }) {
			continue
		}
		if warmup {
			state := *src // the measured run repeats the warm-up's values
			for range n {
				if _, err := call(client, "GET", base+"/"+c.query(v, rng), nil, http.StatusOK); err != nil {
					return nil, fmt.Errorf("%s (warm-up): %w", c.name, err)
				}
			}
			*src = state
		}
		r := searchResult{c: c}
		for i := 0; i < n; i++ {
			q := c.query(v, rng)
			d, err := call(client, "GET", base+"/"+q, nil, http.StatusOK)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
			r.lat = append(r.lat, d)
		}
		out = append(out, r)
	}
	return out, nil
}

func printSearchReport(w io.Writer, backend string, rs []searchResult) {
	fmt.Fprintf(w, "\n### search latency — %s\n\n", backend)
	fmt.Fprintln(w, "| query | scope | p50 | p99 | target p99 |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range rs {
		target := "≤ 100 ms"
		if r.c.scope == "patient" {
			target = "≤ 20 ms"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.c.name, r.c.scope, ms(percentile(r.lat, 0.5)), ms(percentile(r.lat, 0.99)), target)
	}
}
