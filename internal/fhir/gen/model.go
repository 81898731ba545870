package main

// The output schema. It mirrors the loader in package fhir (defs.go); the two
// must change together.

type output struct {
	Version string `json:"version"`
	// Types holds every resource, complex datatype and primitive datatype
	// (specializations only; constraint profiles such as SimpleQuantity are
	// not types), sorted by name.
	Types []typeDef `json:"types"`
	// ValueSets: value set URL -> codes, for every required binding on a
	// code element whose value set could be expanded from local content.
	ValueSets map[string][]string `json:"valueSets"`
	// SkippedValueSets: value set URL -> why it could not be expanded.
	SkippedValueSets map[string]string `json:"skippedValueSets"`
	// Regex: primitive type -> the regex from its StructureDefinition.
	Regex        map[string]string `json:"regex"`
	SearchParams []searchParam     `json:"searchParams"`
	// Compartments: compartment code ("Patient") -> resource type -> params.
	Compartments map[string]map[string][]string `json:"compartments"`
}

type typeDef struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"` // primitive-type | complex-type | resource
	Base     string    `json:"base,omitempty"`
	Abstract bool      `json:"abstract,omitempty"`
	Elements []element `json:"elements,omitempty"`
}

type element struct {
	Path       string   `json:"path"`
	Min        int      `json:"min"`
	Max        int      `json:"max"` // -1 = *
	Types      []string `json:"types,omitempty"`
	ContentRef string   `json:"contentRef,omitempty"`
	Strength   string   `json:"strength,omitempty"`
	ValueSet   string   `json:"valueSet,omitempty"`
	// Summary: the element is part of the _summary=true view.
	Summary bool `json:"summary,omitempty"`
}

type searchParam struct {
	Code       string      `json:"code"`
	URL        string      `json:"url"`
	Type       string      `json:"type"`
	Expression string      `json:"expression,omitempty"`
	XPathUsage string      `json:"xpathUsage,omitempty"`
	Base       []string    `json:"base,omitempty"`
	Target     []string    `json:"target,omitempty"`
	Modifier   []string    `json:"modifier,omitempty"`
	Comparator []string    `json:"comparator,omitempty"`
	Component  []component `json:"component,omitempty"`
}

type component struct {
	Definition string `json:"definition"`
	Expression string `json:"expression"`
}
