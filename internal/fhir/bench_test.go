package fhir

import (
	"testing"
	"time"
)

func benchResource(b *testing.B, file string) ([]byte, map[string]any) {
	line := syntheaLines(b, file, 1)[0]
	res, issues := Decode(line)
	if len(issues) > 0 {
		b.Fatalf("Decode: %+v", issues)
	}
	if issues := Validate(res, ""); len(issues) > 0 {
		b.Fatalf("Synthea %s does not validate: %+v", file, issues)
	}
	return line, res
}

func BenchmarkValidate(b *testing.B) {
	for _, file := range []string{"Patient.000.ndjson", "Encounter.000.ndjson"} {
		_, res := benchResource(b, file)
		b.Run(file[:len(file)-11], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Validate(res, "")
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, file := range []string{"Patient.000.ndjson", "Encounter.000.ndjson"} {
		line, _ := benchResource(b, file)
		b.Run(file[:len(file)-11], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				Decode(line)
			}
		})
	}
}

func BenchmarkMarshal(b *testing.B) {
	for _, file := range []string{"Patient.000.ndjson", "Encounter.000.ndjson"} {
		line, res := benchResource(b, file)
		b.Run(file[:len(file)-11], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if _, err := Marshal(res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWritePath is what every write pays: decode, validate, stamp.
func BenchmarkWritePath(b *testing.B) {
	line, _ := benchResource(b, "Patient.000.ndjson")
	ts := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		res, _ := Decode(line)
		Validate(res, "Patient")
		if _, err := Stamp(res, "x", 1, ts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadDefs(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := loadDefs(r4defsGz); err != nil {
			b.Fatal(err)
		}
	}
}
