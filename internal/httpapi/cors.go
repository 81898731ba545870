package httpapi

import (
	"net"
	"net/http"
	"strings"

	"github.com/housecall/housecall/internal/audit"
)

// corsAllowHeaders are the request headers browser apps send to the APIs.
const corsAllowHeaders = "Authorization, Content-Type, Accept, If-Match, If-None-Match, If-None-Exist, If-Modified-Since, Prefer, X-Request-Id, Last-Event-ID"

// corsExposeHeaders are the response headers scripts may read.
const corsExposeHeaders = "Location, Content-Location, ETag, Last-Modified, WWW-Authenticate, Retry-After"

// withCORS lets the configured web origins call the APIs from a browser.
// Credentials are bearer tokens, never cookies, so
// Access-Control-Allow-Credentials is not sent; other origins get no CORS
// headers and the browser blocks them.
func withCORS(next http.Handler, origins []string) http.Handler {
	if len(origins) == 0 {
		return next
	}
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[strings.TrimRight(o, "/")] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		if origin == "" || !allowed[origin] {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		next.ServeHTTP(w, r)
	})
}

// withSource puts where the request came from into its context for the
// audit trail: the peer address (proxies are not trusted to name the
// client) and the User-Agent.
func withSource(next http.Handler, site string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			ip = r.RemoteAddr
		}
		ua := r.UserAgent()
		if len(ua) > 256 {
			ua = ua[:256]
		}
		src := audit.Source{IP: ip, UserAgent: ua, Site: site, Observer: "housecall"}
		next.ServeHTTP(w, r.WithContext(audit.WithSource(r.Context(), src)))
	})
}
