package search

import (
	"slices"
	"strings"
	"testing"
)

func TestPatientRefs(t *testing.T) {
	ix := DefaultIndexer()
	for _, tc := range []struct {
		name string
		res  map[string]any
		want []string
	}{
		{"patient itself", map[string]any{"resourceType": "Patient", "id": "p1"}, []string{"p1"}},
		{"subject", map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "x"},
			"subject": map[string]any{"reference": "Patient/p2"}}, []string{"p2"}},
		{"performer and subject", map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "x"},
			"subject":   map[string]any{"reference": "Patient/p2"},
			"performer": []any{map[string]any{"reference": "Patient/p3"}, map[string]any{"reference": "Practitioner/d"}}}, []string{"p3", "p2"}},
		{"group subject is not a patient", map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "x"},
			"subject": map[string]any{"reference": "Group/g"}}, nil},
		{"directory type", map[string]any{"resourceType": "Practitioner", "id": "d"}, nil},
	} {
		got, err := ix.PatientRefs(tc.res)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	enc := idxSyntheaFirst(t, "Encounter.000.ndjson")
	got, err := ix.PatientRefs(enc)
	ref := enc["subject"].(map[string]any)["reference"].(string)
	if err != nil || len(got) != 1 || !strings.HasSuffix(ref, got[0]) {
		t.Fatalf("Synthea encounter: %q, %v (subject %s)", got, err, ref)
	}
}
