package search

import (
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir"
)

func TestForWriteDropsServerMeta(t *testing.T) {
	res, issues := fhir.Decode([]byte(`{"resourceType":"Patient","id":"client","meta":{"versionId":"9","lastUpdated":"2001-01-01T00:00:00Z","tag":[{"code":"t"}]},"gender":"female"}`))
	if fhir.HasErrors(issues) {
		t.Fatal(issues)
	}
	entries, p, err := DefaultIndexer().ForWrite(res, "server-id")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Param == "_lastUpdated" {
			t.Errorf("the client's lastUpdated must not be indexed: %+v", e)
		}
	}
	body := string(p.Stamp(4, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
	for _, want := range []string{`"id":"server-id"`, `"versionId":"4"`, `"lastUpdated":"2026-01-02T03:04:05.000000Z"`, `"tag":[{"code":"t"}]`} {
		if !strings.Contains(body, want) {
			t.Errorf("stamped body lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, "2001-01-01") || strings.Contains(body, `"client"`) {
		t.Errorf("client meta or id survived: %s", body)
	}
}
