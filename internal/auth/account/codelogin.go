package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/credential"
	"github.com/housecall/housecall/internal/store/opsql"
)

// One-time sign-in codes for patients.
const (
	CodeDigits      = 6
	CodeTTL         = 10 * time.Minute
	MaxCodeAttempts = 5
)

// Sender delivers one-time sign-in codes (the notification outbox). The
// OAuth server calls it with the address of an existing patient account
// only.
type Sender interface {
	SendLoginCode(ctx context.Context, to, code string) error
}

// StartCodeLogin creates a one-time code for a patient account and returns
// it with the user, for the caller to send. For an address without an
// enabled patient account, or one that is locked out, it returns
// ("", nil, nil): the caller must answer exactly as if a code was sent.
// A new code replaces the previous one. Only an HMAC of the code is kept.
func (a *Accounts) StartCodeLogin(ctx context.Context, email string) (code string, user *User, err error) {
	r, err := a.userRowByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	if r.Role != auth.RolePatient || r.Disabled || a.checkLock(r) != nil {
		return "", nil, nil
	}
	code, err = credential.NewCode(a.rand, CodeDigits)
	if err != nil {
		return "", nil, fmt.Errorf("account: %w", err)
	}
	h := credential.HashCode(code, a.codeKey)
	exp := ms(a.now().Add(CodeTTL))
	_, err = a.db.Exec(ctx, `INSERT INTO account_login_codes (user_id, code_hash, expires_at, attempts) VALUES (?, ?, ?, 0)
ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0`,
		r.ID, h, exp)
	if err != nil {
		return "", nil, fmt.Errorf("account: storing sign-in code: %w", err)
	}
	return code, &r.User, nil
}

// FinishCodeLogin checks a one-time code. Unknown address, no code, an
// expired code, a wrong code or too many attempts are all
// ErrBadCredentials; wrong codes also count toward the account lockout.
// A correct code is spent. Then the same second step as Authenticate
// applies (ErrDisabled, ErrTOTPRequired).
func (a *Accounts) FinishCodeLogin(ctx context.Context, email, code string) (*User, error) {
	r, err := a.userRowByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if err := a.checkLock(r); err != nil {
		return nil, err
	}
	code = strings.TrimSpace(code)
	var (
		stored        string
		exp           int64
		attempts      int
		matched, gone bool
	)
	err = a.db.InTx(ctx, func(tx *opsql.Tx) error {
		err := tx.QueryRow(ctx, `SELECT code_hash, expires_at, attempts FROM account_login_codes WHERE user_id = ?`+tx.ForUpdate(),
			r.ID).Scan(&stored, &exp, &attempts)
		if errors.Is(err, sql.ErrNoRows) {
			gone = true
			return nil
		}
		if err != nil {
			return err
		}
		if a.now().UnixMilli() >= exp || attempts >= MaxCodeAttempts {
			gone = true
			_, err := tx.Exec(ctx, `DELETE FROM account_login_codes WHERE user_id = ?`, r.ID)
			return err
		}
		if credential.EqualCode(credential.HashCode(code, a.codeKey), stored) {
			matched = true
			_, err := tx.Exec(ctx, `DELETE FROM account_login_codes WHERE user_id = ?`, r.ID)
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE account_login_codes SET attempts = attempts + 1 WHERE user_id = ?`, r.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("account: checking sign-in code: %w", err)
	}
	if gone {
		return nil, ErrBadCredentials
	}
	if !matched {
		return nil, a.fail(ctx, r.ID, ErrBadCredentials)
	}
	return a.secondStep(ctx, r, "")
}
