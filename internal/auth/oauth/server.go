package oauth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/token"
	"github.com/housecall/housecall/internal/store/opsql"
)

// Defaults for zero Options durations.
const (
	DefaultAccessTTL   = time.Hour
	DefaultRefreshTTL  = 30 * 24 * time.Hour
	DefaultCodeTTL     = 60 * time.Second
	DefaultSessionIdle = 30 * time.Minute
	DefaultSessionMax  = 12 * time.Hour
	// MaxIssueTTL bounds IssueToken lifetimes.
	MaxIssueTTL = 24 * time.Hour
	// AdminClientID is the client_id of tokens made by IssueToken.
	AdminClientID = "housecall-admin"
)

// Options configures a Server.
type Options struct {
	Accounts *account.Accounts
	// Keys signs and verifies tokens. Prefer the set from
	// Accounts.LoadOrCreateKeySet so that RotateKeys and other nodes see
	// the same keys.
	Keys *token.KeySet
	// Issuer is the public base URL, e.g. https://visits.example.org,
	// without a trailing slash: the iss of every token.
	Issuer string
	// FHIRBase is the FHIR base URL, the access tokens' audience; empty
	// means Issuer + "/fhir/r4".
	FHIRBase string
	// Token and code lifetimes; zero means the defaults above.
	AccessTTL, RefreshTTL, CodeTTL time.Duration
	// Web session limits; zero means 30 minutes idle, 12 hours absolute.
	SessionIdle, SessionMax time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand supplies token, code and session values; nil: crypto/rand.
	Rand io.Reader
	// Sender delivers patients' one-time sign-in codes. Without it the
	// one-time code sign-in is not offered.
	Sender account.Sender
	// Dev shows a note on the sign-in page that codes appear at
	// /dev/outbox.
	Dev bool
	// Logger for operational messages (never secrets); nil: slog.Default.
	Logger *slog.Logger
	// Audit receives security events; nil drops them.
	Audit func(context.Context, Event)
	// RateLimits per node; zero fields take defaults.
	RateLimits RateLimits
	// ClientIP extracts the caller's address (rate limits, audit); nil
	// uses the host of r.RemoteAddr. Set it when behind a trusted proxy.
	ClientIP func(*http.Request) string
	// InviteActive reports whether an invitation may still be used (not
	// withdrawn, not expired) and the invited person's name for audit
	// records; bearer checks of invitation session tokens ask it through
	// the subject cache. Without it, invitation tokens are refused and
	// IssueInviteToken fails.
	InviteActive func(ctx context.Context, inviteID string) (display string, ok bool, err error)
	// StatusCacheTTL is how long the bearer check trusts a looked-up
	// account, client or invitation status (how long a disabled account
	// or a withdrawn invitation may still work on another node); zero
	// means 10 seconds.
	StatusCacheTTL time.Duration
}

// Server is the authorization server. Create it with New.
type Server struct {
	acc         *account.Accounts
	db          *opsql.DB
	keys        atomic.Pointer[token.KeySet]
	issuer      string
	fhirBase    string
	fhirPath    string
	tokenURL    string
	secure      bool
	sessCookie  string
	csrfCookie  string
	accessTTL   time.Duration
	refreshTTL  time.Duration
	codeTTL     time.Duration
	sessionIdle time.Duration
	sessionMax  time.Duration
	now         func() time.Time
	rand        io.Reader
	sender      account.Sender
	dev         bool
	log         *slog.Logger
	audit       func(context.Context, Event)
	ipFunc      func(*http.Request) string
	// inviteActive is Options.InviteActive.
	inviteActive func(ctx context.Context, inviteID string) (string, bool, error)

	tokenLimit, webLimit, loginLimit *limiter
	revCache                         *ttlCache[bool]
	subjCache                        *ttlCache[subjectStatus]
	lastReload                       atomic.Int64 // unix nanos of the last key reload
	pages                            *template.Template
}

// New checks the options, migrates the "oauth" tables and returns the
// server.
func New(o Options) (*Server, error) {
	if o.Accounts == nil || o.Keys == nil {
		return nil, errors.New("oauth: Options need Accounts and Keys")
	}
	iu, err := url.Parse(o.Issuer)
	if err != nil || (iu.Scheme != "http" && iu.Scheme != "https") || iu.Host == "" || iu.Path != "" || iu.RawQuery != "" || iu.Fragment != "" {
		return nil, errors.New("oauth: Issuer must be scheme://host[:port] without a path or trailing slash")
	}
	if o.FHIRBase == "" {
		o.FHIRBase = o.Issuer + "/fhir/r4"
	}
	fu, err := url.Parse(o.FHIRBase)
	if err != nil || fu.Scheme != iu.Scheme || fu.Host != iu.Host || fu.Path == "" || strings.HasSuffix(fu.Path, "/") {
		return nil, errors.New("oauth: FHIRBase must be a path under Issuer, without a trailing slash")
	}
	dur := func(v, def time.Duration) time.Duration {
		if v <= 0 {
			return def
		}
		return v
	}
	s := &Server{
		acc: o.Accounts, db: o.Accounts.DB(), issuer: o.Issuer, fhirBase: o.FHIRBase, fhirPath: fu.Path,
		tokenURL: o.Issuer + "/oauth2/token", secure: iu.Scheme == "https",
		accessTTL: dur(o.AccessTTL, DefaultAccessTTL), refreshTTL: dur(o.RefreshTTL, DefaultRefreshTTL),
		codeTTL: dur(o.CodeTTL, DefaultCodeTTL), sessionIdle: dur(o.SessionIdle, DefaultSessionIdle),
		sessionMax: dur(o.SessionMax, DefaultSessionMax),
		now:        o.Now, rand: o.Rand, sender: o.Sender, dev: o.Dev, log: o.Logger, audit: o.Audit, ipFunc: o.ClientIP,
		inviteActive: o.InviteActive,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.sessCookie, s.csrfCookie = "housecall_session", "housecall_csrf"
	if s.secure {
		s.sessCookie, s.csrfCookie = "__Host-housecall_session", "__Host-housecall_csrf"
	}
	s.keys.Store(o.Keys)
	rl := o.RateLimits.withDefaults()
	s.tokenLimit, s.webLimit, s.loginLimit = newLimiter(rl.Token, s.now), newLimiter(rl.Web, s.now), newLimiter(rl.Login, s.now)
	s.revCache = newTTLCache[bool](5*time.Second, 100000, s.now)
	s.subjCache = newTTLCache[subjectStatus](dur(o.StatusCacheTTL, 10*time.Second), 100000, s.now)
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.db.Migrate(ctx, component, steps); err != nil {
		return nil, fmt.Errorf("oauth: %w", err)
	}
	return s, nil
}

// Keys returns the key set in use.
func (s *Server) Keys() *token.KeySet { return s.keys.Load() }

// Route is one entry of the route table.
type Route struct {
	// Pattern is a Go 1.22 ServeMux pattern with a method.
	Pattern string
	Handler http.Handler
}

// Routes returns the server's endpoints.
func (s *Server) Routes() []Route {
	h := func(p string, f http.HandlerFunc) Route { return Route{Pattern: p, Handler: f} }
	return []Route{
		h("GET /.well-known/openid-configuration", s.handleOpenIDConfig),
		h("GET /.well-known/jwks.json", s.handleJWKS),
		h("GET "+s.fhirPath+"/.well-known/smart-configuration", s.handleSMARTConfig),
		h("GET /oauth2/authorize", s.web(s.handleAuthorize)),
		h("POST /oauth2/authorize", s.web(s.handleAuthorizePost)),
		h("POST /oauth2/signin", s.web(s.handleSignIn)),
		h("POST /oauth2/signin/code", s.web(s.handleCodeStart)),
		h("POST /oauth2/signin/code/verify", s.web(s.handleCodeVerify)),
		h("POST /oauth2/signin/totp", s.web(s.handleTOTP)),
		h("POST /oauth2/consent", s.web(s.handleConsent)),
		h("GET /oauth2/logout", s.web(s.handleLogoutPage)),
		h("POST /oauth2/logout", s.web(s.handleLogout)),
		h("GET /oauth2/static/style.css", s.handleCSS),
		h("POST /oauth2/token", s.api(s.handleToken)),
		h("POST /oauth2/revoke", s.api(s.handleRevoke)),
		h("POST /oauth2/introspect", s.api(s.handleIntrospect)),
	}
}

// Register adds the routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	for _, r := range s.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
}

// maxFormBytes bounds request bodies of the OAuth endpoints.
const maxFormBytes = 64 << 10

// api wraps the JSON endpoints: per-IP rate limit, body limit, no caching.
func (s *Server) api(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		if ok, wait := s.tokenLimit.allow(s.clientIP(r)); !ok {
			w.Header().Set("Retry-After", fmt.Sprint(retryAfterSeconds(wait)))
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "slow_down", "error_description": "too many requests, retry later"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		next(w, r)
	}
}

// web wraps the browser endpoints: per-IP rate limit, body limit, page
// security headers.
func (s *Server) web(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if ok, wait := s.webLimit.allow(s.clientIP(r)); !ok {
			h.Set("Retry-After", fmt.Sprint(retryAfterSeconds(wait)))
			s.renderError(w, r, http.StatusTooManyRequests, "Too many requests. Please wait a moment and try again.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		next(w, r)
	}
}

func (s *Server) clientIP(r *http.Request) string {
	if s.ipFunc != nil {
		return s.ipFunc(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// RotateKeys is the periodic key maintenance: it rotates and prunes the
// stored key set (once across all nodes) and installs the result.
func (s *Server) RotateKeys(ctx context.Context) error {
	ks, _, err := s.acc.RotateKeySet(ctx)
	if err != nil {
		return fmt.Errorf("oauth: rotating keys: %w", err)
	}
	s.keys.Store(ks)
	return nil
}

// Run does the hourly maintenance until ctx ends (start it once per node):
// key rotation and the purge of expired sessions, codes, refresh tokens,
// revocations, one-time sign-in codes and assertion jtis.
func (s *Server) Run(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := s.RotateKeys(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "oauth: key maintenance failed", "err", err)
		}
		if err := s.purge(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "oauth: purge failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
