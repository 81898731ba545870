package fhir

import (
	"slices"
	"strings"
)

// SearchParam is one R4 SearchParameter definition.
type SearchParam struct {
	Code, URL, Type, Expression, XPathUsage string
	Base, Target, Modifier, Comparator      []string
	Component                               []SearchParamComponent
}

// SearchParamComponent is one part of a composite search parameter.
type SearchParamComponent struct {
	Definition, Expression string
}

// SearchParams returns the search parameters of a resource type, including
// those defined on Resource and DomainResource (_id, _lastUpdated, _text ...),
// sorted by code. Unknown types get nil. The returned slice is the caller's;
// the slices inside each SearchParam are shared and must not be modified.
func SearchParams(resourceType string) []SearchParam {
	d := getDefs()
	td := d.types[resourceType]
	if td == nil || td.kind != "resource" {
		return nil
	}
	var out []SearchParam
	// Walk up the inheritance chain so DomainResource's and Resource's
	// parameters apply to every resource that derives from them.
	for t := td; t != nil; t = d.types[t.base] {
		out = append(out, d.search[t.name]...)
	}
	slices.SortStableFunc(out, func(a, b SearchParam) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// LookupSearchParam finds the search parameter with the given code that
// applies to resourceType.
func LookupSearchParam(resourceType, code string) (SearchParam, bool) {
	d := getDefs()
	for t := d.types[resourceType]; t != nil && t.kind == "resource"; t = d.types[t.base] {
		for _, sp := range d.search[t.name] {
			if sp.Code == code {
				return sp, true
			}
		}
	}
	return SearchParam{}, false
}

// CompartmentParams returns the search parameters that place a resource of
// resourceType in the compartment (compartment is the CompartmentDefinition
// code: "Patient", "Encounter", "RelatedPerson", "Practitioner", "Device"), or
// nil when the type is not in that compartment.
func CompartmentParams(compartment, resourceType string) []string {
	return slices.Clone(getDefs().compartments[compartment][resourceType])
}
