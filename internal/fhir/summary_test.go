package fhir

import (
	"slices"
	"testing"
)

func TestSummaryElements(t *testing.T) {
	tests := []struct {
		typ     string
		in, out []string
	}{
		{"Patient", []string{"id", "meta", "name", "gender", "birthDate", "identifier", "deceasedBoolean", "deceasedDateTime", "link"}, []string{"text", "contact", "photo", "communication", "extension", "contained"}},
		{"Observation", []string{"status", "code", "subject", "valueQuantity", "valueString"}, []string{"note", "referenceRange", "text"}},
	}
	for _, tt := range tests {
		got := SummaryElements(tt.typ)
		for _, k := range tt.in {
			if !slices.Contains(got, k) {
				t.Errorf("%s: %s should be in the summary (%v)", tt.typ, k, got)
			}
		}
		for _, k := range tt.out {
			if slices.Contains(got, k) {
				t.Errorf("%s: %s should not be in the summary", tt.typ, k)
			}
		}
	}
	if SummaryElements("Nope") != nil {
		t.Error("unknown type")
	}
}
