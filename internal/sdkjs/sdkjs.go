// Package sdkjs serves the JavaScript client SDK (sdk/js) at
// /sdk/housecall.mjs from the binary. `make sdk` builds it into dist/,
// where go:embed picks it up; the build output is not committed, so a
// server built without it answers 503 with how to build it.
package sdkjs

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
)

//go:embed all:dist
var dist embed.FS

// Path is where the SDK is served.
const Path = "/sdk/housecall.mjs"

// Handler serves the SDK module (and its source map when built with one).
func Handler() http.Handler {
	mod, err := fs.ReadFile(dist, "dist/housecall.mjs")
	if err != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("The JavaScript SDK was not built into this server: run `make sdk` (or `make build`) and rebuild.\n"))
		})
	}
	sum := sha256.Sum256(mod)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("ETag", etag)
		// The URL is stable across releases, so caches revalidate.
		h.Set("Cache-Control", "no-cache")
		// Apps on other origins import it as a module.
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(mod)
	})
}

// Built reports whether the SDK is embedded.
func Built() bool {
	_, err := fs.Stat(dist, "dist/housecall.mjs")
	return err == nil
}
