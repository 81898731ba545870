// Package backend opens the store.Store the configuration asks for:
// PostgreSQL when a postgres:// URL is given, otherwise the embedded SQLite
// file in the data directory.
package backend

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/postgres"
	"github.com/housecall/housecall/internal/store/sqlite"
)

// DBFile is the SQLite file name inside the data directory.
const DBFile = "housecall.db"

// Open returns a PostgreSQL store when databaseURL starts with postgres://
// or postgresql://, and a SQLite store at dataDir/housecall.db (creating
// dataDir with mode 0700) when databaseURL is empty.
func Open(ctx context.Context, dataDir, databaseURL string) (store.Store, error) {
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		s, err := postgres.Open(ctx, databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		return s, nil
	case databaseURL != "":
		// Never echo the URL: it may carry a password.
		scheme := "none"
		if u, err := url.Parse(databaseURL); err == nil && u.Scheme != "" {
			scheme = u.Scheme + "://"
		}
		return nil, fmt.Errorf("open store: unsupported database URL scheme %q: use postgres:// or postgresql://, or no URL for SQLite in the data directory", scheme)
	case dataDir == "":
		return nil, fmt.Errorf("open store: no database URL and no data directory")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: create data directory: %w", err)
	}
	s, err := sqlite.Open(ctx, filepath.Join(dataDir, DBFile))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}
