package rest

import (
	"github.com/housecall/housecall/internal/fhir"
)

// SoftwareVersion is reported in the CapabilityStatement; main sets it at start.
var SoftwareVersion = "dev"

// capabilityStatement describes exactly what this server implements.
func capabilityStatement(base string) map[string]any {
	types := fhir.ResourceTypes()
	resources := make([]any, 0, len(types))
	interactions := []any{}
	for _, code := range []string{"read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"} {
		interactions = append(interactions, map[string]any{"code": code})
	}
	for _, t := range types {
		entry := map[string]any{
			"type":              t,
			"profile":           "http://hl7.org/fhir/StructureDefinition/" + t,
			"interaction":       interactions,
			"versioning":        "versioned-update",
			"readHistory":       true,
			"updateCreate":      true,
			"conditionalCreate": true,
			"conditionalRead":   "not-supported",
			"conditionalUpdate": true,
			"conditionalDelete": "single",
			"searchParam":       capabilitySearchParams(t),
			"searchInclude":     includes(t),
			"searchRevInclude":  []any{"*"},
		}
		if t == "Patient" {
			entry["operation"] = []any{map[string]any{"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}}
		}
		resources = append(resources, entry)
	}
	rest := map[string]any{
		"mode":          "server",
		"documentation": "FHIR R4 RESTful API. Bodies are JSON (application/fhir+json or application/json); XML is not supported. PATCH takes JSON Patch (application/json-patch+json). Search: every R4 search parameter except the special ones (_text, _content, near), with modifiers, prefixes, chains, _has, _include/_revinclude (:iterate), _sort, _total, _summary, _elements, and cursor paging. Conditional interactions use the same search.",
		"resource":      resources,
		"interaction": []any{
			map[string]any{"code": "transaction"},
			map[string]any{"code": "batch"},
			map[string]any{"code": "history-system"},
		},
	}
	impl := map[string]any{"description": "Housecall FHIR R4 server"}
	if base != "" {
		impl["url"] = base
	}
	return map[string]any{
		"resourceType":   "CapabilityStatement",
		"status":         "active",
		"date":           "2026-11-22",
		"publisher":      "Housecall",
		"kind":           "instance",
		"software":       map[string]any{"name": "Housecall", "version": SoftwareVersion},
		"implementation": impl,
		"fhirVersion":    fhir.Version,
		"format":         []any{"application/fhir+json", "json"},
		"patchFormat":    []any{"application/json-patch+json"},
		"rest":           []any{rest},
	}
}

// capabilitySearchParams lists the search parameters of a type that the server implements.
func capabilitySearchParams(typ string) []any {
	var out []any
	for _, p := range fhir.SearchParams(typ) {
		if p.Type == "special" || p.Code == "_text" || p.Code == "_content" || p.Code == "_list" || p.Code == "_query" {
			continue
		}
		out = append(out, map[string]any{"name": p.Code, "definition": p.URL, "type": p.Type})
	}
	return out
}

// includes lists the _include values a type supports: its reference parameters.
func includes(typ string) []any {
	out := []any{"*"}
	for _, p := range fhir.SearchParams(typ) {
		if p.Type == "reference" {
			out = append(out, typ+":"+p.Code)
		}
	}
	return out
}
