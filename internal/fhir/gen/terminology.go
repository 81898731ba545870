package main

import (
	"encoding/json"
	"errors"
	"fmt"
)

// terminology holds the local ValueSets and CodeSystems and expands value sets
// as far as they can be expanded without a terminology server.
type terminology struct {
	valueSets   map[string]*rawValueSet
	codeSystems map[string]*rawCodeSystem
}

type rawConcept struct {
	Code    string       `json:"code"`
	Concept []rawConcept `json:"concept"`
}

type rawCodeSystem struct {
	URL     string       `json:"url"`
	Content string       `json:"content"`
	Concept []rawConcept `json:"concept"`
}

type rawInclude struct {
	System  string `json:"system"`
	Concept []struct {
		Code string `json:"code"`
	} `json:"concept"`
	Filter []struct {
		Property string `json:"property"`
		Op       string `json:"op"`
		Value    string `json:"value"`
	} `json:"filter"`
	ValueSet []string `json:"valueSet"`
}

type rawValueSet struct {
	URL     string `json:"url"`
	Compose *struct {
		Include []rawInclude `json:"include"`
		Exclude []rawInclude `json:"exclude"`
	} `json:"compose"`
}

func newTerminology() *terminology {
	return &terminology{valueSets: map[string]*rawValueSet{}, codeSystems: map[string]*rawCodeSystem{}}
}

// add registers one ValueSet or CodeSystem; the first definition of a URL wins
// (the FHIR bundle is read before the v2/v3 ones).
func (t *terminology) add(rt string, raw json.RawMessage) error {
	switch rt {
	case "ValueSet":
		var vs rawValueSet
		if err := json.Unmarshal(raw, &vs); err != nil {
			return fmt.Errorf("value set: %w", err)
		}
		if _, dup := t.valueSets[vs.URL]; !dup {
			t.valueSets[vs.URL] = &vs
		}
	case "CodeSystem":
		var cs rawCodeSystem
		if err := json.Unmarshal(raw, &cs); err != nil {
			return fmt.Errorf("code system: %w", err)
		}
		if _, dup := t.codeSystems[cs.URL]; !dup {
			t.codeSystems[cs.URL] = &cs
		}
	}
	return nil
}

// expand returns the codes of a value set in definition order, or an error
// saying why it cannot be expanded completely. A partial expansion is never
// returned: checking against it would reject valid codes.
func (t *terminology) expand(url string, depth int) ([]string, error) {
	if depth > 10 {
		return nil, errors.New("value set includes nest too deeply")
	}
	vs := t.valueSets[stripVersion(url)]
	if vs == nil {
		return nil, fmt.Errorf("value set %s not defined locally", url)
	}
	if vs.Compose == nil {
		return nil, errors.New("no compose")
	}
	var codes []string
	seen := map[string]bool{}
	for _, inc := range vs.Compose.Include {
		got, err := t.include(inc, depth)
		if err != nil {
			return nil, err
		}
		for _, c := range got {
			if !seen[c] {
				seen[c] = true
				codes = append(codes, c)
			}
		}
	}
	for _, exc := range vs.Compose.Exclude {
		if len(exc.Filter) > 0 || len(exc.ValueSet) > 0 || len(exc.Concept) == 0 {
			return nil, errors.New("exclude other than an enumerated concept list")
		}
		drop := map[string]bool{}
		for _, c := range exc.Concept {
			drop[c.Code] = true
		}
		kept := codes[:0]
		for _, c := range codes {
			if !drop[c] {
				kept = append(kept, c)
			}
		}
		codes = kept
	}
	if len(codes) == 0 {
		return nil, errors.New("expansion is empty")
	}
	return codes, nil
}

func (t *terminology) include(inc rawInclude, depth int) ([]string, error) {
	if len(inc.ValueSet) > 0 {
		if inc.System != "" {
			return nil, errors.New("include intersects a system with value sets")
		}
		var codes []string
		for _, u := range inc.ValueSet {
			got, err := t.expand(u, depth+1)
			if err != nil {
				return nil, fmt.Errorf("included %s: %w", u, err)
			}
			codes = append(codes, got...)
		}
		return codes, nil
	}
	if inc.System == "" {
		return nil, errors.New("include without system or value set")
	}
	if len(inc.Concept) > 0 {
		if len(inc.Filter) > 0 {
			return nil, errors.New("include with both concepts and filters")
		}
		codes := make([]string, 0, len(inc.Concept))
		for _, c := range inc.Concept {
			codes = append(codes, c.Code)
		}
		return codes, nil
	}
	cs := t.codeSystems[inc.System]
	if cs == nil {
		return nil, fmt.Errorf("code system %s not defined locally", inc.System)
	}
	if cs.Content != "complete" {
		return nil, fmt.Errorf("code system %s content is %q", inc.System, cs.Content)
	}
	if len(inc.Filter) == 0 {
		var codes []string
		walkConcepts(cs.Concept, func(c *rawConcept) { codes = append(codes, c.Code) })
		return codes, nil
	}
	if len(inc.Filter) != 1 {
		return nil, errors.New("more than one filter")
	}
	f := inc.Filter[0]
	if f.Property != "concept" || (f.Op != "is-a" && f.Op != "descendent-of") {
		return nil, fmt.Errorf("filter %s %s not evaluated", f.Property, f.Op)
	}
	var root *rawConcept
	walkConcepts(cs.Concept, func(c *rawConcept) {
		if c.Code == f.Value && root == nil {
			root = c
		}
	})
	if root == nil {
		return nil, fmt.Errorf("filter concept %s not in %s", f.Value, inc.System)
	}
	var codes []string
	if f.Op == "is-a" {
		codes = append(codes, root.Code)
	}
	walkConcepts(root.Concept, func(c *rawConcept) { codes = append(codes, c.Code) })
	return codes, nil
}

func walkConcepts(cs []rawConcept, fn func(*rawConcept)) {
	for i := range cs {
		fn(&cs[i])
		walkConcepts(cs[i].Concept, fn)
	}
}
