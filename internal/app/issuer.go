package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/store/opsql"
)

// Option adjusts Open.
type Option func(*options)

type options struct{ serving bool }

// Serving marks the process that serves HTTP: without a public_url, its
// listen address defines the issuer, and it records that issuer so that
// the command-line tools (admin token) issue tokens the server accepts.
func Serving() Option { return func(o *options) { o.serving = true } }

var settingsSteps = []opsql.Step{{Version: 1, Name: "settings",
	SQLite:   `CREATE TABLE app_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
	Postgres: `CREATE TABLE app_settings (key text PRIMARY KEY, value text NOT NULL)`}}

// issuerFor decides the issuer: public_url when set; else, for the
// serving process, its listen address (recorded); else the one the server
// recorded, falling back to the listen address of this configuration.
func issuerFor(ctx context.Context, cfg config.Config, db *opsql.DB, opts ...Option) (string, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if err := db.Migrate(ctx, "app", settingsSteps); err != nil {
		return "", err
	}
	iss := Issuer(cfg)
	if cfg.PublicURL != "" {
		return iss, nil
	}
	if o.serving {
		_, err := db.Exec(ctx, `INSERT INTO app_settings (key, value) VALUES ('issuer', ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`, iss)
		if err != nil {
			return "", fmt.Errorf("recording the issuer: %w", err)
		}
		return iss, nil
	}
	var stored string
	err := db.QueryRow(ctx, `SELECT value FROM app_settings WHERE key = 'issuer'`).Scan(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return iss, nil
	case err != nil:
		return "", fmt.Errorf("reading the issuer: %w", err)
	}
	return stored, nil
}
