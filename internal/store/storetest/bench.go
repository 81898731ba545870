package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/store"
)

// SampleBody renders a Patient of about 3 KB shaped like the Synthea
// exports (narrative, identifiers, extensions, address, telecom), varied by
// n so that pages do not compress to nothing.
func SampleBody(id string, version int64, at time.Time, n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	word := func() string {
		const letters = "abcdefghijklmnopqrstuvwxyz"
		b := make([]byte, 4+r.IntN(7))
		for i := range b {
			b[i] = letters[r.IntN(len(letters))]
		}
		return string(b)
	}
	var nb strings.Builder
	for nb.Len() < 900 {
		nb.WriteString(word())
		nb.WriteByte(' ')
	}
	narrative := nb.String()
	return fmt.Appendf(nil, `{"resourceType":"Patient","id":%q,"meta":{"versionId":%q,"lastUpdated":%q,`+
		`"profile":["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},`+
		`"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">%s</div>"},`+
		`"extension":[{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","extension":[{"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2106-3","display":"White"}},{"url":"text","valueString":"White"}]},`+
		`{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity","extension":[{"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2186-5","display":"Not Hispanic or Latino"}},{"url":"text","valueString":"Not Hispanic or Latino"}]},`+
		`{"url":"http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName","valueString":"%s %s"},`+
		`{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace","valueAddress":{"city":"%s","state":"Massachusetts","country":"US"}},`+
		`{"url":"http://synthetichealth.github.io/synthea/disability-adjusted-life-years","valueDecimal":%d.%06d},`+
		`{"url":"http://synthetichealth.github.io/synthea/quality-adjusted-life-years","valueDecimal":%d.%06d}],`+
		`"identifier":[{"system":"https://github.com/synthetichealth/synthea","value":"%08x-%04x-%04x-%04x-%012x"},`+
		`{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR","display":"Medical Record Number"}],"text":"Medical Record Number"},"system":"http://hospital.smarthealthit.org","value":"%08x"},`+
		`{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"SS","display":"Social Security Number"}],"text":"Social Security Number"},"system":"http://hl7.org/fhir/sid/us-ssn","value":"999-%02d-%04d"},`+
		`{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"DL","display":"Driver's License"}],"text":"Driver's License"},"system":"urn:oid:2.16.840.1.113883.4.3.25","value":"S999%05d"}],`+
		`"name":[{"use":"official","family":"%s","given":["%s","%s"],"prefix":["Mr."]}],`+
		`"telecom":[{"system":"phone","value":"555-%03d-%04d","use":"home"}],"gender":"male","birthDate":"19%02d-%02d-%02d",`+
		`"address":[{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/geolocation","extension":[{"url":"latitude","valueDecimal":42.%06d},{"url":"longitude","valueDecimal":-71.%06d}]}],`+
		`"line":["%d %s Street Unit %d"],"city":"%s","state":"Massachusetts","postalCode":"0%04d","country":"US"}],`+
		`"maritalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"M","display":"M"}],"text":"M"},`+
		`"multipleBirthBoolean":false,"communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"en-US","display":"English"}],"text":"English"}}]}`,
		id, strconv.FormatInt(version, 10), at.Format(time.RFC3339Nano), narrative,
		word(), word(), word(), r.IntN(10), r.IntN(1e6), r.IntN(80), r.IntN(1e6),
		r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff,
		r.Uint32(), r.IntN(100), r.IntN(10000), r.IntN(100000),
		word(), word(), word(), r.IntN(1000), r.IntN(10000), r.IntN(100), 1+r.IntN(12), 1+r.IntN(28),
		r.IntN(1e6), r.IntN(1e6), r.IntN(1000), word(), r.IntN(100), word(), r.IntN(10000))
}

func samplePut(id string, n int) store.Write {
	return store.Write{Type: "Patient", ID: id, Method: "PUT", Stamp: func(v int64, at time.Time) ([]byte, error) {
		return SampleBody(id, v, at, n), nil
	}}
}

// reportLatency adds p50 and p99 metrics from per-operation durations.
func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
}

// Bench runs the shared benchmarks: Read of a random resource among 10,000,
// a single-resource create in its own transaction, and BulkPut of 500.
// Bodies are ~3 KB (SampleBody).
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	b.Run("Read", func(b *testing.B) {
		s := open(b)
		const n = 10000
		for lo := 0; lo < n; lo += 500 {
			ws := make([]store.Write, 0, 500)
			for i := lo; i < lo+500; i++ {
				ws = append(ws, samplePut("r"+strconv.Itoa(i), i))
			}
			if _, err := s.BulkPut(b.Context(), ws); err != nil {
				b.Fatal(err)
			}
		}
		r := rand.New(rand.NewPCG(1, 2))
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			id := "r" + strconv.Itoa(r.IntN(n))
			t0 := time.Now()
			if _, err := s.Read(b.Context(), "Patient", id); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		reportLatency(b, lat)
	})
	b.Run("Write", func(b *testing.B) {
		s := open(b)
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			w := samplePut("w"+strconv.Itoa(i), i)
			w.Method, w.MustNotExist = "POST", true
			t0 := time.Now()
			err := s.InTx(b.Context(), func(tx store.Tx) error {
				_, err := tx.Write(b.Context(), w)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		reportLatency(b, lat)
	})
	b.Run("WriteParallel", func(b *testing.B) {
		// Creates from 8 goroutines per CPU: measures contention between writers.
		s := open(b)
		var next atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := int(next.Add(1))
				w := samplePut("p"+strconv.Itoa(n), n)
				err := s.InTx(b.Context(), func(tx store.Tx) error {
					_, err := tx.Write(b.Context(), w)
					return err
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("BulkPut500", func(b *testing.B) {
		s := open(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			// Rendering bodies is the caller's cost (FHIR marshalling), not
			// the store's: do it outside the timer.
			b.StopTimer()
			ws := make([]store.Write, 500)
			for j := range ws {
				n := i*500 + j
				id := "b" + strconv.Itoa(n)
				body := SampleBody(id, 1, Epoch, n)
				ws[j] = store.Write{Type: "Patient", ID: id, Method: "PUT",
					Stamp: func(int64, time.Time) ([]byte, error) { return body, nil }}
			}
			b.StartTimer()
			if _, err := s.BulkPut(b.Context(), ws); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
