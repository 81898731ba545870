// Package config holds Housecall's typed configuration. Values are layered:
// built-in defaults, then an optional JSON file, then HOUSECALL_* environment
// variables, then command-line flags. Unknown keys are rejected at every layer
// and the result is validated before anything starts.
package config

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of one Housecall process.
type Config struct {
	// Addr is the HTTP listen address (HOST:PORT).
	Addr string `json:"addr"`
	// DataDir holds the SQLite database and other local state.
	DataDir string `json:"data_dir"`
	// DatabaseURL selects PostgreSQL when it is a postgres:// URL; empty means SQLite in DataDir.
	DatabaseURL string `json:"database_url"`
	// PublicURL is the externally visible base URL (scheme://host[:port]) used in
	// links the server returns (Bundle fullUrl, Location). Empty: derived from each request.
	PublicURL string `json:"public_url"`
	// Dev binds to loopback and loads demo data.
	Dev bool `json:"dev"`
	// UIDevURL, in development only, is the Vite dev server the web app is
	// proxied to (hot reload) instead of the embedded build.
	UIDevURL string `json:"ui_dev_url"`
	// MaxBodyBytes caps request bodies; larger ones get 413.
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"log_level"`
	// LogFormat is text or json.
	LogFormat string `json:"log_format"`
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout Duration `json:"shutdown_timeout"`

	// SecretKey (base64, 32 bytes) encrypts secrets at rest (signing keys,
	// second-factor secrets) and keys one-time-code hashes. Empty: read
	// from, or created in, secret.key in DataDir. Several nodes on one
	// PostgreSQL database must share it.
	SecretKey string `json:"secret_key"`
	// AccessPolicy decides which patients practitioners and staff see:
	// "organization" (all patients) or "strict" (only patients they have an
	// Appointment or Encounter with).
	AccessPolicy string `json:"access_policy"`
	// RequireTOTP makes a second factor mandatory for admin, practitioner
	// and staff accounts.
	RequireTOTP bool `json:"require_totp"`
	// AccessTokenTTL is the lifetime of OAuth access tokens.
	AccessTokenTTL Duration `json:"access_token_ttl"`
	// SMTPURL sends e-mail (sign-in codes, invitations):
	// smtp://user:password@host:587 (STARTTLS) or smtps://…:465. Empty: e-mail
	// stays in the outbox (readable at /dev/outbox in --dev).
	SMTPURL string `json:"smtp_url"`
	// MailFrom is the sender address of e-mail.
	MailFrom string `json:"mail_from"`
	// TLSCertFile and TLSKeyFile serve HTTPS from certificate files.
	TLSCertFile string `json:"tls_cert_file"`
	TLSKeyFile  string `json:"tls_key_file"`
	// ACME obtains certificates automatically for the host of PublicURL
	// (https, a public name, port 443 reachable).
	ACME bool `json:"acme"`
	// CORSOrigins lists the web origins (scheme://host[:port]) allowed to
	// call the APIs from a browser, comma-separated; "*" is refused.
	CORSOrigins string `json:"cors_origins"`
	// WebhookURL receives visit events (JSON, signed with WebhookSecret
	// when set: header Housecall-Signature); user:password@ in the URL adds
	// basic authentication.
	WebhookURL    string `json:"webhook_url"`
	WebhookSecret string `json:"webhook_secret"`
	// EMRNotifyURL receives Zoom-style join/leave notifications (HTTP GET);
	// user:password@ in the URL adds basic authentication.
	EMRNotifyURL  string `json:"emr_notify_url"`
	EMRVendorName string `json:"emr_vendor_name"`

	// TURNPort is the UDP and TCP port of the embedded TURN server (0: off);
	// TURNTLSPort serves TURN over TLS with the TLS certificate files.
	TURNPort    int `json:"turn_port"`
	TURNTLSPort int `json:"turn_tls_port"`
	// TURNRelayPorts is the UDP port range relays use ("49160-49359").
	TURNRelayPorts string `json:"turn_relay_ports"`
	// PublicIP is the address clients reach media and relays on (behind a
	// 1:1 NAT); empty: the host of public_url when it is an IP, else the
	// listen address.
	PublicIP string `json:"public_ip"`
	// TURNSecret is the coturn use-auth-secret shared secret (set it to use
	// an external coturn; empty: derived from secret_key). TURNURLs, when
	// set, replaces the embedded server's entries in join answers
	// (comma-separated turn:/turns: URLs of an external TURN cluster).
	TURNSecret string `json:"turn_secret"`
	TURNURLs   string `json:"turn_urls"`
	// MediaUDPPort carries all WebRTC media (ICE over UDP, one port for
	// every call); MediaTCPPort is ICE over TCP (0: off).
	MediaUDPPort int `json:"media_udp_port"`
	MediaTCPPort int `json:"media_tcp_port"`
}

// Duration is a time.Duration that reads and writes as a Go duration string ("30s").
type Duration time.Duration

// UnmarshalJSON accepts a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Defaults returns the built-in configuration.
func Defaults() Config {
	return Config{
		Addr:            ":8080",
		DataDir:         "data",
		MaxBodyBytes:    16 << 20,
		LogLevel:        "info",
		LogFormat:       "text",
		ShutdownTimeout: Duration(15 * time.Second),
		AccessPolicy:    "organization",
		AccessTokenTTL:  Duration(time.Hour),
		MailFrom:        "housecall@localhost",
		EMRVendorName:   "Housecall",
		TURNPort:        3478,
		TURNRelayPorts:  "49160-49359",
		MediaUDPPort:    7882,
		MediaTCPPort:    7881,
	}
}

// field describes one setting for the env and flag layers.
type field struct {
	key   string // JSON key; env is HOUSECALL_ + upper(key); flag is key with - for _
	usage string
	set   func(c *Config, v string) error
	get   func(c *Config) string
	bool  bool
}

func fields() []field {
	str := func(p func(*Config) *string) (func(*Config, string) error, func(*Config) string) {
		return func(c *Config, v string) error { *p(c) = v; return nil }, func(c *Config) string { return *p(c) }
	}
	var fs []field
	add := func(key, usage string, p func(*Config) *string) {
		s, g := str(p)
		fs = append(fs, field{key: key, usage: usage, set: s, get: g})
	}
	add("addr", "listen address HOST:PORT", func(c *Config) *string { return &c.Addr })
	add("data_dir", "folder for the SQLite database and local state", func(c *Config) *string { return &c.DataDir })
	add("database_url", "PostgreSQL URL (postgres://…); empty uses SQLite in the data folder", func(c *Config) *string { return &c.DatabaseURL })
	add("public_url", "externally visible base URL, e.g. https://visits.example.org", func(c *Config) *string { return &c.PublicURL })
	add("log_level", "debug, info, warn or error", func(c *Config) *string { return &c.LogLevel })
	add("log_format", "text or json", func(c *Config) *string { return &c.LogFormat })
	add("secret_key", "base64 32-byte key for secrets at rest (default: secret.key in the data folder)", func(c *Config) *string { return &c.SecretKey })
	add("access_policy", "which patients practitioners see: organization or strict", func(c *Config) *string { return &c.AccessPolicy })
	add("smtp_url", "SMTP server for e-mail, smtp://user:password@host:587 or smtps://…", func(c *Config) *string { return &c.SMTPURL })
	add("mail_from", "sender address of e-mail", func(c *Config) *string { return &c.MailFrom })
	add("tls_cert_file", "TLS certificate (PEM) to serve HTTPS", func(c *Config) *string { return &c.TLSCertFile })
	add("tls_key_file", "TLS private key (PEM) to serve HTTPS", func(c *Config) *string { return &c.TLSKeyFile })
	add("cors_origins", "comma-separated web origins allowed to call the APIs", func(c *Config) *string { return &c.CORSOrigins })
	add("webhook_url", "endpoint receiving visit events as signed JSON", func(c *Config) *string { return &c.WebhookURL })
	add("webhook_secret", "secret signing webhook deliveries (HMAC-SHA256)", func(c *Config) *string { return &c.WebhookSecret })
	add("emr_notify_url", "EHR endpoint receiving join/leave notifications (HTTP GET, Zoom style)", func(c *Config) *string { return &c.EMRNotifyURL })
	add("emr_vendor_name", "VendorName sent with EHR notifications", func(c *Config) *string { return &c.EMRVendorName })
	add("ui_dev_url", "with --dev: proxy the web app to this Vite dev server, e.g. http://127.0.0.1:5173", func(c *Config) *string { return &c.UIDevURL })
	add("turn_relay_ports", "UDP port range of TURN relays, e.g. 49160-49359", func(c *Config) *string { return &c.TURNRelayPorts })
	add("public_ip", "public IP address for media and TURN relays (1:1 NAT)", func(c *Config) *string { return &c.PublicIP })
	add("turn_secret", "TURN REST shared secret (coturn use-auth-secret); default derived from secret_key", func(c *Config) *string { return &c.TURNSecret })
	add("turn_urls", "external TURN URLs (comma-separated) to hand out instead of the embedded server", func(c *Config) *string { return &c.TURNURLs })
	fs = append(fs, intField("turn_port", "UDP and TCP port of the embedded TURN server (0: off)", func(c *Config) *int { return &c.TURNPort }),
		intField("turn_tls_port", "TURN over TLS port (needs tls_cert_file; 0: off)", func(c *Config) *int { return &c.TURNTLSPort }),
		intField("media_udp_port", "UDP port of all WebRTC media (0: any free port)", func(c *Config) *int { return &c.MediaUDPPort }),
		intField("media_tcp_port", "ICE-TCP port of WebRTC media (0: off)", func(c *Config) *int { return &c.MediaTCPPort }))
	fs = append(fs, boolField("require_totp", "require a second factor for admin, practitioner and staff accounts", func(c *Config) *bool { return &c.RequireTOTP }),
		boolField("acme", "obtain TLS certificates automatically for the public_url host", func(c *Config) *bool { return &c.ACME }),
		durationField("access_token_ttl", "lifetime of OAuth access tokens (e.g. 1h)", func(c *Config) *Duration { return &c.AccessTokenTTL }))
	fs = append(fs,
		boolField("dev", "development mode: loopback only, demo data", func(c *Config) *bool { return &c.Dev }),
		field{key: "max_body_bytes", usage: "largest accepted request body in bytes",
			set: func(c *Config, v string) error {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return fmt.Errorf("not an integer: %q", v)
				}
				c.MaxBodyBytes = n
				return nil
			},
			get: func(c *Config) string { return strconv.FormatInt(c.MaxBodyBytes, 10) }},
		durationField("shutdown_timeout", "how long graceful shutdown may take (e.g. 15s)", func(c *Config) *Duration { return &c.ShutdownTimeout }),
	)
	return fs
}

func boolField(key, usage string, p func(*Config) *bool) field {
	return field{key: key, usage: usage, bool: true,
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("not a boolean: %q", v)
			}
			*p(c) = b
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(*p(c)) }}
}

func intField(key, usage string, p func(*Config) *int) field {
	return field{key: key, usage: usage,
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("not an integer: %q", v)
			}
			*p(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*p(c)) }}
}

func durationField(key, usage string, p func(*Config) *Duration) field {
	return field{key: key, usage: usage,
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("not a duration: %q", v)
			}
			*p(c) = Duration(d)
			return nil
		},
		get: func(c *Config) string { return time.Duration(*p(c)).String() }}
}

// EnvPrefix prefixes every environment variable Housecall reads.
const EnvPrefix = "HOUSECALL_"

// flagValue records a flag given on the command line; it is applied after
// the file and the environment so that flags win.
type flagValue struct {
	f     field
	value string
	given bool
}

func (v *flagValue) String() string   { return v.value }
func (v *flagValue) IsBoolFlag() bool { return v.f.bool }
func (v *flagValue) Set(s string) error {
	v.value, v.given = s, true
	return nil
}

// Load builds the configuration for a subcommand: defaults, then the JSON
// file named by --config or HOUSECALL_CONFIG, then HOUSECALL_* variables from
// environ, then flags. It returns the positional arguments left after the flags.
func Load(name string, args []string, environ []string) (Config, []string, error) {
	return LoadWithFlags(name, args, environ, nil)
}

// LoadWithFlags is Load for a subcommand that has flags of its own beside
// the configuration: extra defines them on the flag set before parsing.
func LoadWithFlags(name string, args []string, environ []string, extra func(fs *flag.FlagSet)) (Config, []string, error) {
	cfg := Defaults()
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = v
		}
	}

	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var usage strings.Builder
	fs.SetOutput(&usage)
	configPath := fs.String("config", env[EnvPrefix+"CONFIG"], "JSON configuration file (also "+EnvPrefix+"CONFIG)")
	var given []*flagValue
	known := map[string]field{"CONFIG": {}}
	for _, f := range fields() {
		v := &flagValue{f: f}
		fs.Var(v, strings.ReplaceAll(f.key, "_", "-"), f.usage+" (env "+EnvPrefix+strings.ToUpper(f.key)+")")
		given = append(given, v)
		known[strings.ToUpper(f.key)] = f
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fs.PrintDefaults()
		}
		return cfg, nil, fmt.Errorf("%s: %w", name, err)
	}

	if *configPath != "" {
		if err := loadFile(&cfg, *configPath); err != nil {
			return cfg, nil, err
		}
	}
	var errs []error
	for k, v := range env {
		f, ok := known[strings.TrimPrefix(k, EnvPrefix)]
		if !ok {
			errs = append(errs, fmt.Errorf("unknown environment variable %s", k))
			continue
		}
		if f.set == nil {
			continue // HOUSECALL_CONFIG, handled above
		}
		if err := f.set(&cfg, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
	}
	for _, v := range given {
		if !v.given {
			continue
		}
		if err := v.f.set(&cfg, v.value); err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", strings.ReplaceAll(v.f.key, "_", "-"), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, nil, err
	}
	if cfg.Dev {
		cfg.Addr = loopback(cfg.Addr)
	}
	return cfg, fs.Args(), nil
}

// loadFile reads a JSON configuration file, rejecting unknown keys.
func loadFile(cfg *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if dec.More() {
		return fmt.Errorf("config file %s: trailing data after the JSON object", path)
	}
	return nil
}

// loopback rewrites a listen address so that it only accepts local
// connections: --dev must never expose demo data on a network.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// Validate reports every problem with the configuration.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want HOST:PORT: %w", c.Addr, err))
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is required when database_url is empty"))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("database_url must be a postgres:// or postgresql:// URL"))
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("public_url %q: want scheme://host[:port] without a path", c.PublicURL))
		}
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("max_body_bytes %d: must be at least 1024", c.MaxBodyBytes))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log_format %q: want text or json", c.LogFormat))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("shutdown_timeout must be positive"))
	}
	if c.SecretKey != "" {
		if k, err := base64.StdEncoding.DecodeString(c.SecretKey); err != nil || len(k) != 32 {
			errs = append(errs, errors.New("secret_key: want 32 bytes in standard base64 (openssl rand -base64 32)"))
		}
	}
	switch c.AccessPolicy {
	case "organization", "strict":
	default:
		errs = append(errs, fmt.Errorf("access_policy %q: want organization or strict", c.AccessPolicy))
	}
	if c.AccessTokenTTL < Duration(time.Minute) || c.AccessTokenTTL > Duration(24*time.Hour) {
		errs = append(errs, errors.New("access_token_ttl: want between 1m and 24h"))
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			// Never echo the URL: it carries a password.
			errs = append(errs, errors.New("smtp_url: want smtp://[user:password@]host:port or smtps://…"))
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("tls_cert_file and tls_key_file go together"))
	}
	if c.ACME {
		u, _ := url.Parse(c.PublicURL)
		if c.PublicURL == "" || u.Scheme != "https" || c.TLSCertFile != "" {
			errs = append(errs, errors.New("acme needs an https public_url and no certificate files"))
		}
	}
	for key, port := range map[string]int{"turn_port": c.TURNPort, "turn_tls_port": c.TURNTLSPort, "media_udp_port": c.MediaUDPPort, "media_tcp_port": c.MediaTCPPort} {
		if port < 0 || port > 65535 {
			errs = append(errs, fmt.Errorf("%s %d: want 0 (off) to 65535", key, port))
		}
	}
	if c.TURNTLSPort > 0 && c.TLSCertFile == "" {
		errs = append(errs, errors.New("turn_tls_port needs tls_cert_file and tls_key_file"))
	}
	if _, _, err := c.RelayPorts(); err != nil {
		errs = append(errs, err)
	}
	if c.PublicIP != "" && net.ParseIP(c.PublicIP) == nil {
		errs = append(errs, fmt.Errorf("public_ip %q is not an IP address", c.PublicIP))
	}
	for u := range strings.SplitSeq(c.TURNURLs, ",") {
		if u = strings.TrimSpace(u); u != "" && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			errs = append(errs, fmt.Errorf("turn_urls: %q is not a turn: or turns: URL", u))
		}
	}
	for key, raw := range map[string]string{"webhook_url": c.WebhookURL, "emr_notify_url": c.EMRNotifyURL} {
		if raw == "" {
			continue
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: want an http(s) URL", key))
		}
	}
	if c.UIDevURL != "" {
		// Proxying the UI elsewhere would let that server script this origin.
		if u, err := url.Parse(c.UIDevURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !c.Dev {
			errs = append(errs, errors.New("ui_dev_url: want an http(s) URL, with dev"))
		}
	}
	for o := range strings.SplitSeq(c.CORSOrigins, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			errs = append(errs, fmt.Errorf("cors_origins: %q is not an origin (scheme://host[:port])", o))
		}
	}
	return errors.Join(errs...)
}

// RelayPorts parses TURNRelayPorts ("min-max"; empty: any port).
func (c *Config) RelayPorts() (uint16, uint16, error) {
	if c.TURNRelayPorts == "" {
		return 0, 0, nil
	}
	lo, hi, ok := strings.Cut(c.TURNRelayPorts, "-")
	a, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	b, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
	if !ok || err1 != nil || err2 != nil || a == 0 || a > b {
		return 0, 0, fmt.Errorf("turn_relay_ports %q: want MIN-MAX, e.g. 49160-49359", c.TURNRelayPorts)
	}
	return uint16(a), uint16(b), nil
}
