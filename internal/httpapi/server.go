// Package httpapi assembles Housecall's HTTP surface: the route table, the
// middleware every request passes through, and the operational endpoints
// (/healthz, /readyz). Domain handlers live in their own packages.
package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/oauth"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/sdkjs"
	"github.com/housecall/housecall/internal/store"
)

// FHIRPrefix is where the FHIR R4 API is mounted.
const FHIRPrefix = "/fhir/r4"

// Options are what the HTTP layer needs from the process.
type Options struct {
	Store store.Store
	// Engine runs FHIR interactions; nil means one under the access policy
	// with no way to authenticate (every FHIR request then answers 401).
	Engine *rest.Engine
	// OAuth is the authorization server: its endpoints are mounted and its
	// bearer-token check identifies callers of the APIs.
	OAuth        *oauth.Server
	Logger       *slog.Logger
	PublicURL    string
	MaxBodyBytes int64
	// Site names this server in audit records (its public URL).
	Site string
	// CORSOrigins may call the APIs from browsers.
	CORSOrigins []string
	// DevOutbox, in development only, shows the e-mail outbox at /dev/outbox.
	DevOutbox http.Handler
	// HSTS sends Strict-Transport-Security (the server is reached over TLS).
	HSTS bool
	// APIRoutes are further API handlers (method patterns), mounted behind
	// the bearer-token check like the FHIR API (the Telemed API).
	APIRoutes map[string]http.Handler
	// RTC is the media server's signalling WebSocket, mounted at /rtc (it
	// authenticates with the join token in its first message).
	RTC http.Handler
	// UI is the web app (internal/webui), mounted at "/": it answers every
	// path no other route takes (404 under the API prefixes, 405 for
	// methods other than GET and HEAD).
	UI http.Handler
}

// New returns the root handler.
func New(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	engine := o.Engine
	if engine == nil {
		engine = rest.NewEngine(rest.Options{Store: o.Store, Policy: &auth.Policy{Mode: auth.ModeOrganization}})
	}
	var fhirHandler http.Handler = rest.NewHandler(engine, rest.HandlerOptions{
		Prefix: FHIRPrefix, PublicURL: o.PublicURL, MaxBodyBytes: o.MaxBodyBytes, Logger: o.Logger,
	})
	mux := http.NewServeMux()
	if o.OAuth != nil {
		fhirHandler = o.OAuth.Middleware(fhirHandler)
		o.OAuth.Register(mux)
	}
	fhirHandler = withSource(fhirHandler, o.Site)
	mux.Handle(FHIRPrefix+"/", fhirHandler)
	mux.Handle(FHIRPrefix, fhirHandler)
	for pattern, h := range o.APIRoutes {
		if o.OAuth != nil {
			h = o.OAuth.Middleware(h)
		}
		mux.Handle(pattern, withSource(h, o.Site))
	}
	mux.Handle("GET "+sdkjs.Path, sdkjs.Handler())
	if o.RTC != nil {
		mux.Handle("GET /rtc", withSource(o.RTC, o.Site))
	}
	if o.DevOutbox != nil {
		mux.Handle("GET /dev/outbox", o.DevOutbox)
	}
	if o.UI != nil {
		mux.Handle("/", o.UI)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := o.Store.Ping(ctx); err != nil {
			o.Logger.WarnContext(r.Context(), "readiness check failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database not reachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	return withMiddleware(withCORS(mux, o.CORSOrigins), o.Logger, o.HSTS)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusWriter records what a handler answered, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withMiddleware adds security headers, panic recovery and an access log.
// The log names the matched route pattern, never the path or query, which
// can carry identifiers and search terms (PHI).
func withMiddleware(next http.Handler, logger *slog.Logger, hsts bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h := sw.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		defer func() {
			if p := recover(); p != nil {
				logger.ErrorContext(r.Context(), "panic serving request", "method", r.Method, "route", r.Pattern, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeJSON(sw, http.StatusInternalServerError, map[string]string{"error": "internal server error"})
				}
			}
			logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("route", r.Pattern),
				slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", time.Since(start)))
		}()
		next.ServeHTTP(sw, r)
	})
}
