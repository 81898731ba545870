package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/housecall/housecall/internal/auth/credential"
)

// Authenticate checks an e-mail address and password, and the second
// factor when totpCode is not empty. Results:
//
//   - (user, nil): signed in; the failed-attempt counter is reset.
//   - (nil, ErrBadCredentials): unknown address, no password set, or wrong
//     password, all with the same cost; a wrong password counts as a
//     failed attempt.
//   - (nil, *LockedError): too many recent failures; the password is not
//     even checked.
//   - (nil, ErrDisabled): right password, disabled account.
//   - (user, ErrTOTPRequired): right password, the account has a second
//     factor and totpCode is empty: ask for it and call VerifyTOTP.
//   - (user, ErrTOTPSetupRequired): right password, the role must use a
//     second factor and has none: EnrollTOTP, then ConfirmTOTP.
//   - (nil, ErrBadTOTP): right password, wrong second factor (counted).
//
// totpCode may also be one of the account's recovery codes.
func (a *Accounts) Authenticate(ctx context.Context, email, password, totpCode string) (*User, error) {
	r, err := a.userRowByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		credential.VerifyNoAccount(password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if err := a.checkLock(r); err != nil {
		return nil, err
	}
	if r.passwordHash == "" {
		credential.VerifyNoAccount(password)
		return nil, a.fail(ctx, r.ID, ErrBadCredentials)
	}
	ok, rehash, err := credential.VerifyWith(password, r.passwordHash, a.params)
	if errors.Is(err, credential.ErrMalformedHash) {
		return nil, fmt.Errorf("account: stored password hash: %w", err)
	}
	if err != nil || !ok {
		return nil, a.fail(ctx, r.ID, ErrBadCredentials)
	}
	if rehash {
		if h, err := credential.Hash(password, a.params, a.rand); err == nil {
			_ = a.update(ctx, r.ID, `password_hash = ?`, h) // best effort: the old hash still works
		}
	}
	return a.secondStep(ctx, r, totpCode)
}

// secondStep runs after a correct first factor (password or e-mail code).
func (a *Accounts) secondStep(ctx context.Context, r *userRow, totpCode string) (*User, error) {
	switch {
	case r.Disabled:
		return nil, ErrDisabled
	case r.TOTPEnabled && strings.TrimSpace(totpCode) == "":
		return &r.User, ErrTOTPRequired
	case r.TOTPEnabled:
		return a.checkSecondFactor(ctx, r, totpCode)
	case a.RequiresTOTP(&r.User):
		return &r.User, ErrTOTPSetupRequired
	}
	if err := a.resetFailures(ctx, r); err != nil {
		return nil, err
	}
	return a.fresh(ctx, r.ID)
}

// VerifyTOTP completes a sign-in that returned ErrTOTPRequired: it checks
// a current authenticator code (each time step is accepted once) or an
// unused recovery code (which is then spent). Wrong codes count as failed
// attempts and the lockout applies.
func (a *Accounts) VerifyTOTP(ctx context.Context, userID, code string) (*User, error) {
	r, err := a.userRowByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := a.checkLock(r); err != nil {
		return nil, err
	}
	if r.Disabled {
		return nil, ErrDisabled
	}
	if !r.TOTPEnabled {
		return nil, ErrNoTOTP
	}
	return a.checkSecondFactor(ctx, r, code)
}

func (a *Accounts) checkSecondFactor(ctx context.Context, r *userRow, code string) (*User, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) == credential.TOTPDigits {
		secret, err := a.open(totpPurpose(r.ID), r.totpSecret)
		if err != nil {
			return nil, err
		}
		step, ok := credential.ValidateTOTP(string(secret), code, a.now(), r.totpLastStep)
		if ok {
			// Compare-and-swap on the last step: of two concurrent uses
			// of one code, only one wins.
			res, err := a.db.Exec(ctx, `UPDATE account_users SET totp_last_step = ?, failed_logins = 0, last_failure = 0, updated_at = ?
WHERE id = ? AND totp_last_step = ?`, step, ms(a.now()), r.ID, r.totpLastStep)
			if err != nil {
				return nil, fmt.Errorf("account: recording code use: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				return a.fresh(ctx, r.ID)
			}
		}
		return nil, a.fail(ctx, r.ID, ErrBadTOTP)
	}
	if i := credential.MatchRecoveryCode(code, r.recoveryCodes); i >= 0 {
		old, _ := json.Marshal(r.recoveryCodes)
		left := append([]string(nil), r.recoveryCodes...)
		left[i] = ""
		now, _ := json.Marshal(left)
		res, err := a.db.Exec(ctx, `UPDATE account_users SET recovery_codes = ?, failed_logins = 0, last_failure = 0, updated_at = ?
WHERE id = ? AND recovery_codes = ?`, string(now), ms(a.now()), r.ID, string(old))
		if err != nil {
			return nil, fmt.Errorf("account: spending recovery code: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return a.fresh(ctx, r.ID)
		}
	}
	return nil, a.fail(ctx, r.ID, ErrBadTOTP)
}

// fresh re-reads a user after an update.
func (a *Accounts) fresh(ctx context.Context, id string) (*User, error) {
	return a.UserByID(ctx, id)
}

// checkLock returns a *LockedError while the lockout schedule refuses
// attempts.
func (a *Accounts) checkLock(r *userRow) error {
	until := a.lockout.LockedUntil(r.FailedLogins, r.LastFailure)
	if !until.IsZero() && a.now().Before(until) {
		return &LockedError{Until: until}
	}
	return nil
}

// fail counts a failed attempt and returns cause (or the storage error).
func (a *Accounts) fail(ctx context.Context, id string, cause error) error {
	now := ms(a.now())
	_, err := a.db.Exec(ctx, `UPDATE account_users SET failed_logins = failed_logins + 1, last_failure = ?, updated_at = ? WHERE id = ?`,
		now, now, id)
	if err != nil {
		return fmt.Errorf("account: counting a failed attempt: %w", err)
	}
	return cause
}

func (a *Accounts) resetFailures(ctx context.Context, r *userRow) error {
	if r.FailedLogins == 0 {
		return nil
	}
	return a.update(ctx, r.ID, `failed_logins = 0, last_failure = 0`)
}
