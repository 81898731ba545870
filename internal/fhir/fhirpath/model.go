// Package fhirpath implements the FHIRPath N1 language (http://hl7.org/fhirpath/N1)
// over FHIR R4 resources held as decoded JSON (map[string]any with json.Number
// numbers). Expressions are compiled once into an immutable, concurrency-safe
// form and evaluated many times: the search indexer evaluates every R4
// SearchParameter expression for every stored resource, so navigation avoids
// reflection and caches type lookups per expression node.
//
// The engine knows nothing of the FHIR definitions itself; it asks a Model
// (implemented by package fhir) for element types, choice types and the type
// hierarchy.
package fhirpath

// Model describes the FHIR type system to the engine.
//
// Implementations are compared with == to key per-expression caches, so they
// must be comparable (a pointer type is the natural choice).
type Model interface {
	// ChildType: the FHIR type of JSON key `name` on an instance of `parentType`.
	// parentType is a resource or datatype name ("Patient", "HumanName") or, for backbone
	// elements, their path ("Patient.contact"). For choice elements `name` is the concrete
	// JSON key ("valueQuantity" -> "Quantity"). Backbone children return their path as type.
	// Primitive types are returned by FHIR name ("string", "boolean", "decimal", "code", ...).
	ChildType(parentType, name string) (typeName string, isArray bool, ok bool)
	// ChoiceTypes: for a choice element's base name ("value" on "Observation") the allowed
	// type names in definition order; nil if `name` is not a choice element.
	ChoiceTypes(parentType, name string) []string
	// BaseType: the parent type ("Patient" -> "DomainResource", "DomainResource" -> "Resource",
	// "Patient.contact" -> "BackboneElement", "Age" -> "Quantity", "code" -> "string", "Resource" -> "").
	BaseType(typeName string) string
}
