package fhir

import (
	"reflect"
	"testing"
)

// FuzzDecodeValidate feeds arbitrary bytes through the write path. It must
// never panic; whatever decodes must also survive Validate and Marshal, and
// Marshal's output must decode back to the same content.
// Seeds live in testdata/fuzz/FuzzDecodeValidate.
func FuzzDecodeValidate(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,{"id":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, issues := Decode(data)
		if res == nil {
			if !HasErrors(issues) {
				t.Fatal("Decode returned nil without an error")
			}
			return
		}
		for _, typ := range []string{"", "Patient"} {
			for _, is := range Validate(res, typ) {
				if is.Severity == "" || is.Code == "" || is.Diagnostics == "" {
					t.Fatalf("incomplete issue %+v", is)
				}
			}
		}
		out, err := Marshal(res)
		if err != nil {
			t.Fatalf("Marshal of decoded input failed: %v", err)
		}
		back, issues := Decode(out)
		if len(issues) > 0 {
			t.Fatalf("Marshal output does not decode: %+v\n%s", issues, out)
		}
		if !reflect.DeepEqual(back, res) {
			t.Fatalf("round trip changed the content")
		}
	})
}
