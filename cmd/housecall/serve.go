package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/demo"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/httpapi"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/backend"
)

// loadConfig reads and validates the configuration of a subcommand.
func loadConfig(name string, args, environ []string) (config.Config, []string, error) {
	cfg, rest, err := config.Load(name, args, environ)
	if err != nil {
		return cfg, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, rest, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens the configured backend and runs migrations.
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	st, err := backend.Open(ctx, cfg.DataDir, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	return st, nil
}

func backendName(cfg config.Config) string {
	if cfg.DatabaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}

func serve(ctx context.Context, args, environ []string, stderr io.Writer) error {
	cfg, extra, err := loadConfig("serve", args, environ)
	if err != nil {
		return err
	}
	if len(extra) > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", extra)
	}
	logger := newLogger(cfg, stderr)
	slog.SetDefault(logger)
	rest.SoftwareVersion = version
	a, err := app.Open(ctx, cfg, logger, nil, app.Serving())
	if err != nil {
		return err
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		stopBG()
		if err := a.Close(); err != nil {
			logger.Error("closing", "err", err)
		}
	}()
	a.Run(bg)

	if cfg.Dev {
		n, err := demo.Load(app.System(ctx, "demo data"), a.Engine)
		if err != nil {
			return err
		}
		users, err := demo.Accounts(ctx, a.Accounts)
		if err != nil {
			return err
		}
		logger.Info("demo data loaded", "resources", n, "accounts", users)
	}

	ts, err := a.StartTURN()
	if err != nil {
		return err
	}
	if ts != nil {
		defer ts.Close()
	}
	ms, err := a.StartMedia(app.MediaOptions{})
	if err != nil {
		return err
	}
	defer ms.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// Event streams never end on their own; graceful shutdown would wait
	// for them until its timeout.
	srv.RegisterOnShutdown(a.Telemed.CloseStreams)
	tlsMode, err := configureTLS(cfg, srv)
	if err != nil {
		return err
	}
	logger.Info("housecall listening", "addr", ln.Addr().String(), "url", a.Issuer, "fhir", a.Issuer+httpapi.FHIRPrefix,
		"tls", tlsMode, "database", backendName(cfg), "dev", cfg.Dev, "version", version)

	errc := make(chan error, 1)
	go func() {
		if tlsMode == "off" {
			errc <- srv.Serve(ln)
			return
		}
		errc <- srv.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", time.Duration(cfg.ShutdownTimeout).String())
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.ShutdownTimeout))
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// configureTLS sets up HTTPS from certificate files or ACME; it returns
// "files", "acme" or "off".
func configureTLS(cfg config.Config, srv *http.Server) (string, error) {
	switch {
	case cfg.TLSCertFile != "":
		if _, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile); err != nil {
			return "", fmt.Errorf("tls_cert_file / tls_key_file: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		return "files", nil
	case cfg.ACME:
		u, err := url.Parse(cfg.PublicURL)
		if err != nil {
			return "", fmt.Errorf("public_url: %w", err)
		}
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			HostPolicy: autocert.HostWhitelist(u.Hostname()),
			Cache:      autocert.DirCache(filepath.Join(cfg.DataDir, "acme")),
		}
		// TLS-ALPN-01 challenges are answered on this listener (port 443).
		srv.TLSConfig = m.TLSConfig()
		srv.TLSConfig.MinVersion = tls.VersionTLS12
		return "acme", nil
	}
	return "off", nil
}

func migrate(ctx context.Context, args, environ []string, stdout io.Writer) error {
	cfg, _, err := loadConfig("migrate", args, environ)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "%s database is up to date\n", backendName(cfg))
	return nil
}
