package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/housecall/housecall/internal/auth/token"
	"github.com/housecall/housecall/internal/store/opsql"
)

// The key set is one row, sealed as a whole.
const (
	keyRowID   = 1
	keyPurpose = "token-keyset"
)

// LoadOrCreateKeySet returns the stored signing key set, creating and
// storing a new one on first use. When two nodes start together, one
// insert wins and the other node loads its keys. opts are remembered for
// LoadKeySet and RotateKeySet.
func (a *Accounts) LoadOrCreateKeySet(ctx context.Context, opts token.KeySetOptions) (*token.KeySet, error) {
	a.keyMu.Lock()
	a.keyOpts = opts
	a.keyMu.Unlock()
	ks, err := a.LoadKeySet(ctx)
	if !errors.Is(err, ErrNotFound) {
		return ks, err
	}
	ks, err = token.NewKeySet(opts)
	if err != nil {
		return nil, fmt.Errorf("account: %w", err)
	}
	sealed, err := a.sealKeySet(ks)
	if err != nil {
		return nil, err
	}
	_, err = a.db.Exec(ctx, `INSERT INTO account_keys (id, version, sealed, updated_at) VALUES (?, 1, ?, ?)`,
		keyRowID, sealed, ms(a.now()))
	if opsql.IsUniqueViolation(err) {
		return a.LoadKeySet(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("account: storing key set: %w", err)
	}
	a.keyMu.Lock()
	a.keyVersion = 1
	a.keyMu.Unlock()
	return ks, nil
}

// LoadKeySet reads the stored key set (ErrNotFound before the first
// LoadOrCreateKeySet). Other nodes call it when a token names a key they
// do not know yet.
func (a *Accounts) LoadKeySet(ctx context.Context) (*token.KeySet, error) {
	ks, ver, err := a.loadKeySet(ctx)
	if err != nil {
		return nil, err
	}
	a.keyMu.Lock()
	a.keyVersion = ver
	a.keyMu.Unlock()
	return ks, nil
}

func (a *Accounts) loadKeySet(ctx context.Context) (*token.KeySet, int64, error) {
	var (
		ver    int64
		sealed string
	)
	err := a.db.QueryRow(ctx, `SELECT version, sealed FROM account_keys WHERE id = ?`, keyRowID).Scan(&ver, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("account: reading key set: %w", err)
	}
	doc, err := a.open(keyPurpose, sealed)
	if err != nil {
		return nil, 0, err
	}
	a.keyMu.Lock()
	opts := a.keyOpts
	a.keyMu.Unlock()
	ks, err := token.ImportKeySet(doc, opts)
	if err != nil {
		return nil, 0, fmt.Errorf("account: %w", err)
	}
	return ks, ver, nil
}

func (a *Accounts) sealKeySet(ks *token.KeySet) (string, error) {
	doc, err := ks.Export()
	if err != nil {
		return "", fmt.Errorf("account: %w", err)
	}
	return a.seal(keyPurpose, doc)
}

// SaveKeySet stores ks if the stored row is still the version this
// Accounts last loaded or saved; otherwise it returns ErrConflict and the
// caller should LoadKeySet.
func (a *Accounts) SaveKeySet(ctx context.Context, ks *token.KeySet) error {
	a.keyMu.Lock()
	ver := a.keyVersion
	a.keyMu.Unlock()
	if err := a.saveKeySet(ctx, ks, ver); err != nil {
		return err
	}
	a.keyMu.Lock()
	a.keyVersion = ver + 1
	a.keyMu.Unlock()
	return nil
}

// saveKeySet is a compare-and-swap on the row version, the lock that keeps
// two nodes from both rotating.
func (a *Accounts) saveKeySet(ctx context.Context, ks *token.KeySet, ver int64) error {
	sealed, err := a.sealKeySet(ks)
	if err != nil {
		return err
	}
	res, err := a.db.Exec(ctx, `UPDATE account_keys SET sealed = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
		sealed, ms(a.now()), keyRowID, ver)
	if err != nil {
		return fmt.Errorf("account: storing key set: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return ErrConflict
	}
	return nil
}

// RotateKeySet is the periodic key maintenance (call it hourly on every
// node): it reads the stored set, drops keys past their grace period,
// rotates when the current key is due (token.KeySet.MaybeRotate) and
// saves with a compare-and-swap. When another node saved first, its set
// is returned instead. The returned set is the stored truth; callers
// replace their in-memory set with it. changed reports whether this call
// wrote a new version.
func (a *Accounts) RotateKeySet(ctx context.Context) (ks *token.KeySet, changed bool, err error) {
	ks, ver, err := a.loadKeySet(ctx)
	if err != nil {
		return nil, false, err
	}
	pruned := ks.Prune()
	rotated, err := ks.MaybeRotate()
	if err != nil {
		return nil, false, fmt.Errorf("account: %w", err)
	}
	if pruned == 0 && !rotated {
		a.keyMu.Lock()
		a.keyVersion = ver
		a.keyMu.Unlock()
		return ks, false, nil
	}
	err = a.saveKeySet(ctx, ks, ver)
	if errors.Is(err, ErrConflict) {
		ks, err = a.LoadKeySet(ctx)
		return ks, false, err
	}
	if err != nil {
		return nil, false, err
	}
	a.keyMu.Lock()
	a.keyVersion = ver + 1
	a.keyMu.Unlock()
	return ks, true, nil
}
