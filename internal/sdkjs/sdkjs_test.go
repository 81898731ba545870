package sdkjs

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", Path, nil))
	if !Built() {
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make sdk") {
			t.Fatalf("unbuilt SDK: %d %s", rec.Code, rec.Body)
		}
		return
	}
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") || !strings.Contains(rec.Body.String(), "export") {
		t.Fatalf("built SDK: %d %v", rec.Code, rec.Header())
	}
	again := httptest.NewRequest("GET", Path, nil)
	again.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec2 := httptest.NewRecorder()
	Handler().ServeHTTP(rec2, again)
	if rec2.Code != http.StatusNotModified {
		t.Fatalf("revalidation: %d", rec2.Code)
	}
}
