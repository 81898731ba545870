package fhir

import "sync"

// TypeModel answers type questions about the R4 definitions for the FHIRPath
// engine (it implements fhirpath.Model without this package importing it).
type TypeModel struct {
	d *defs
}

// Model returns the R4 type model. It is one shared instance, because the
// FHIRPath engine caches type lookups per model.
func Model() *TypeModel { return sharedModel() }

var sharedModel = sync.OnceValue(func() *TypeModel { return &TypeModel{d: getDefs()} })

// ChildType returns the FHIR type of JSON key name on an instance of
// parentType (a type name or a backbone element path). Choice elements are
// addressed by their concrete key ("valueQuantity"); backbone children return
// their path ("Patient.contact"); contentReferences return the referenced
// path ("Questionnaire.item" for key "item" on "Questionnaire.item").
func (m *TypeModel) ChildType(parentType, name string) (typeName string, isArray bool, ok bool) {
	td := m.d.types[parentType]
	if td == nil {
		return "", false, false
	}
	ki := td.keys[name]
	if ki == nil {
		return "", false, false
	}
	return ki.typeName, ki.elem.isArray, true
}

// ChoiceTypes returns the allowed types of choice element name ("value" on
// "Observation") in definition order, or nil when it is not a choice element.
func (m *TypeModel) ChoiceTypes(parentType, name string) []string {
	td := m.d.types[parentType]
	if td == nil {
		return nil
	}
	for _, e := range td.elems {
		if e.choice && e.name == name {
			out := make([]string, len(e.types))
			copy(out, e.types)
			return out
		}
	}
	return nil
}

// BaseType returns the type typeName derives from: "Patient" ->
// "DomainResource", "Patient.contact" -> "BackboneElement", "Age" ->
// "Quantity", "code" -> "string", "Resource" -> "".
func (m *TypeModel) BaseType(typeName string) string {
	td := m.d.types[typeName]
	if td == nil {
		return ""
	}
	return td.base
}
