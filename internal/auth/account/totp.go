package account

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/housecall/housecall/internal/auth/credential"
)

// RecoveryCodeCount is how many recovery codes ConfirmTOTP hands out.
const RecoveryCodeCount = 10

func totpPurpose(userID string) string { return "totp:" + userID }

// otpauth rebuilds the otpauth:// URL of a secret, in the form
// credential.NewTOTP writes.
func otpauth(issuer, account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("period", strconv.Itoa(credential.TOTPPeriod))
	v.Set("algorithm", "SHA1")
	v.Set("digits", strconv.Itoa(credential.TOTPDigits))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: v.Encode()}
	return u.String()
}

// EnrollTOTP starts setting up a second factor: it creates a secret,
// stores it sealed as pending, and returns it with the otpauth:// URL to
// show (as text or QR code). The factor is not active until ConfirmTOTP
// sees a code from it. While a secret is pending, EnrollTOTP returns that
// same secret, so reloading a setup page does not invalidate what the
// user already scanned; ResetTOTP discards it.
func (a *Accounts) EnrollTOTP(ctx context.Context, userID string) (secret, otpauthURL string, err error) {
	r, err := a.userRowByID(ctx, userID)
	if err != nil {
		return "", "", err
	}
	if r.TOTPEnabled {
		return "", "", ErrTOTPActive
	}
	if r.totpPending != "" {
		sec, err := a.open(totpPurpose(r.ID), r.totpPending)
		if err != nil {
			return "", "", err
		}
		return string(sec), otpauth(a.issuer, r.Email, string(sec)), nil
	}
	secret, otpauthURL, err = credential.NewTOTP(a.issuer, r.Email, a.rand)
	if err != nil {
		return "", "", fmt.Errorf("account: %w", err)
	}
	sealed, err := a.seal(totpPurpose(r.ID), []byte(secret))
	if err != nil {
		return "", "", err
	}
	if err := a.update(ctx, r.ID, `totp_pending = ?`, sealed); err != nil {
		return "", "", err
	}
	return secret, otpauthURL, nil
}

// ConfirmTOTP activates the pending second factor when code is valid for
// it, and returns fresh recovery codes to show the user once. A wrong code
// counts as a failed attempt (ErrBadTOTP); the lockout applies.
func (a *Accounts) ConfirmTOTP(ctx context.Context, userID, code string) (*User, []string, error) {
	r, err := a.userRowByID(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if err := a.checkLock(r); err != nil {
		return nil, nil, err
	}
	if r.Disabled {
		return nil, nil, ErrDisabled
	}
	if r.TOTPEnabled {
		return nil, nil, ErrTOTPActive
	}
	if r.totpPending == "" {
		return nil, nil, ErrNoTOTP
	}
	secret, err := a.open(totpPurpose(r.ID), r.totpPending)
	if err != nil {
		return nil, nil, err
	}
	step, ok := credential.ValidateTOTP(string(secret), code, a.now(), 0)
	if !ok {
		return nil, nil, a.fail(ctx, r.ID, ErrBadTOTP)
	}
	plain, hashed, err := credential.NewRecoveryCodes(RecoveryCodeCount, a.rand)
	if err != nil {
		return nil, nil, fmt.Errorf("account: %w", err)
	}
	hj, _ := json.Marshal(hashed)
	res, err := a.db.Exec(ctx, `UPDATE account_users SET totp_secret = totp_pending, totp_pending = '', totp_last_step = ?,
recovery_codes = ?, failed_logins = 0, last_failure = 0, updated_at = ? WHERE id = ? AND totp_pending = ?`,
		step, string(hj), ms(a.now()), r.ID, r.totpPending)
	if err != nil {
		return nil, nil, fmt.Errorf("account: activating second factor: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, nil, ErrNoTOTP // replaced or confirmed concurrently
	}
	u, err := a.fresh(ctx, r.ID)
	return u, plain, err
}

// ResetTOTP removes a user's second factor, pending enrolment and
// recovery codes (an administrator's action when a phone is lost).
func (a *Accounts) ResetTOTP(ctx context.Context, userID string) error {
	return a.update(ctx, userID, `totp_secret = '', totp_pending = '', totp_last_step = 0, recovery_codes = '[]'`)
}
