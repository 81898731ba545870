package fhir

import (
	"bytes"
	"testing"
	"time"
)

func TestPreparedStampMatchesStamp(t *testing.T) {
	at := time.Date(2026, 11, 22, 9, 30, 1, 123456000, time.FixedZone("x", 3600))
	docs := []string{
		`{"resourceType":"Patient","name":[{"family":"Zoë"}],"gender":"female"}`,
		`{"resourceType":"Patient","id":"old","meta":{"versionId":"7","lastUpdated":"2020-01-01T00:00:00Z","profile":["http://x/p"],"tag":[{"code":"t"}]},"birthDate":"1980"}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","meta":{"versionId":"\u0000hc-version\u0000"}}}]}`,
		`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"}}`,
	}
	for _, doc := range docs {
		a, issues := Decode([]byte(doc))
		if HasErrors(issues) {
			t.Fatalf("%s: %v", doc, issues)
		}
		b, _ := Decode([]byte(doc))
		p, err := Prepare(a, "the-id")
		if err != nil {
			t.Fatal(err)
		}
		want, err := Stamp(b, "the-id", 12, at)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Stamp(12, at); !bytes.Equal(got, want) {
			t.Errorf("prepared stamp differs\n got %s\nwant %s", got, want)
		}
		if got := p.Stamp(3, at.Add(time.Second)); bytes.Equal(got, want) {
			t.Error("a different version must give different bytes")
		}
	}
}

func BenchmarkPreparedStamp(b *testing.B) {
	res, _ := Decode([]byte(`{"resourceType":"Patient","name":[{"family":"Zoë","given":["A","B"]}],"gender":"female","birthDate":"1980-01-02"}`))
	p, err := Prepare(res, "x")
	if err != nil {
		b.Fatal(err)
	}
	at := time.Now()
	for b.Loop() {
		_ = p.Stamp(2, at)
	}
}
