package account

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/config"
)

// SecretKeyFile is the name of the server key file in the data folder.
const SecretKeyFile = "secret.key"

// SecretKey returns the 32-byte server key: cfg.SecretKey when set
// (standard base64), else the contents of <data_dir>/secret.key, which is
// created (32 random bytes in base64, mode 0600) when missing. Creation
// uses O_EXCL, so when two processes start together one creates the file
// and the other reads it. Nodes sharing a PostgreSQL database must share
// the key: set secret_key on each, or copy the file.
func SecretKey(cfg config.Config) ([]byte, error) {
	if cfg.SecretKey != "" {
		k, err := decodeKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("account: secret_key: %w", err)
		}
		return k, nil
	}
	if cfg.DataDir == "" {
		return nil, errors.New("account: secret_key is required when there is no data_dir")
	}
	return loadOrCreateKeyFile(filepath.Join(cfg.DataDir, SecretKeyFile))
}

func decodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) != SecretLen {
		return nil, fmt.Errorf("want %d bytes in standard base64", SecretLen)
	}
	return k, nil
}

func loadOrCreateKeyFile(path string) ([]byte, error) {
	if k, err := readKeyFile(path); !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("account: creating the data folder: %w", err)
	}
	k := make([]byte, SecretLen)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("account: randomness: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path) // another process won the race
	}
	if err != nil {
		return nil, fmt.Errorf("account: creating %s: %w", path, err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return nil, fmt.Errorf("account: writing %s: %w", path, err)
	}
	return k, nil
}

// readKeyFile reads the key, waiting briefly while a concurrent creator
// has the file open but not yet written.
func readKeyFile(path string) ([]byte, error) {
	for i := 0; ; i++ {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if len(strings.TrimSpace(string(b))) == 0 && i < 50 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		k, err := decodeKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("account: %s: %w", path, err)
		}
		return k, nil
	}
}
