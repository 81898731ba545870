package demo

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/store/sqlite"
)

func TestLoadOnce(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := rest.NewEngine(rest.Options{Store: st})
	n, err := Load(ctx, e)
	if err != nil || n < 10 {
		t.Fatalf("first load: %d resources, %v", n, err)
	}
	if n, err := Load(ctx, e); err != nil || n != 0 {
		t.Fatalf("second load stored %d resources, %v; want none", n, err)
	}
	resp, err := e.Do(ctx, &rest.Request{Interaction: rest.Read, Method: http.MethodGet, Type: "Patient", ID: "demo-patient-jones"})
	if err != nil || resp.ETag != `W/"1"` {
		t.Fatalf("demo patient: %v, etag %q", err, resp.ETag)
	}
}
