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
		resources = append(resources, map[string]any{
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
			"searchParam": []any{map[string]any{
				"name": "_id", "definition": "http://hl7.org/fhir/SearchParameter/Resource-id", "type": "token",
				"documentation": "Logical id; several ids separated by commas.",
			}},
		})
	}
	rest := map[string]any{
		"mode":          "server",
		"documentation": "FHIR R4 RESTful API. Bodies are JSON (application/fhir+json or application/json); XML is not supported. PATCH takes JSON Patch (application/json-patch+json). Search supports _id, _count and cursor paging; conditional interactions match on _id.",
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
