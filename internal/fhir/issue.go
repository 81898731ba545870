package fhir

// Issue is one problem found while decoding or validating, shaped like an
// OperationOutcome.issue so the REST layer can copy it across.
type Issue struct {
	Severity    string // "fatal" | "error" | "warning" | "information"
	Code        string // OperationOutcome issue-type code: "structure", "required", "value", "invalid", "code-invalid", ...
	Diagnostics string // human-readable; describes the offending value's shape, never its content
	Expression  string // FHIRPath-style location, e.g. "Patient.name[0].given[1]"
}

// HasErrors reports whether any issue is fatal or an error.
func HasErrors(issues []Issue) bool {
	for _, is := range issues {
		if is.Severity == "fatal" || is.Severity == "error" {
			return true
		}
	}
	return false
}
