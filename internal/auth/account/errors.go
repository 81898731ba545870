package account

import (
	"errors"
	"time"
)

// Sentinel errors callers branch on (use errors.Is). Messages are safe to
// show: none contains an e-mail address, a secret or a code.
var (
	// ErrNotFound: no user or client with that id or e-mail address.
	ErrNotFound = errors.New("account: not found")
	// ErrExists: the e-mail address already has an account.
	ErrExists = errors.New("account: already exists")
	// ErrInvalid: a field of NewUser or NewClient is unusable (wrapped
	// with the reason, and with the credential strength error for weak
	// passwords).
	ErrInvalid = errors.New("account: invalid")
	// ErrBadCredentials: unknown e-mail address, wrong password or wrong
	// or expired one-time code. Deliberately one error for all.
	ErrBadCredentials = errors.New("account: e-mail address or password is incorrect")
	// ErrLocked: too many failed attempts; wrapped by *LockedError.
	ErrLocked = errors.New("account: too many failed attempts, try again later")
	// ErrTOTPRequired: the password (or code) was right and the account
	// has a second factor: call VerifyTOTP with the user's code.
	ErrTOTPRequired = errors.New("account: an authentication code is required")
	// ErrTOTPSetupRequired: the password was right, the role must use a
	// second factor (Options.RequireTOTP) and none is set up: call
	// EnrollTOTP, then ConfirmTOTP.
	ErrTOTPSetupRequired = errors.New("account: a second factor must be set up")
	// ErrBadTOTP: wrong, reused or malformed authentication code.
	ErrBadTOTP = errors.New("account: authentication code is incorrect")
	// ErrNoTOTP: ConfirmTOTP or VerifyTOTP without an enrolment.
	ErrNoTOTP = errors.New("account: no second factor enrolled")
	// ErrTOTPActive: EnrollTOTP on an account whose second factor is
	// active; ResetTOTP first.
	ErrTOTPActive = errors.New("account: second factor already active")
	// ErrDisabled: the account or client is disabled. Only returned after
	// the credentials were verified.
	ErrDisabled = errors.New("account: disabled")
	// ErrBadClient: unknown client, wrong secret, or a client that does
	// not authenticate with a secret.
	ErrBadClient = errors.New("account: client authentication failed")
	// ErrReplay: a client assertion jti was already used.
	ErrReplay = errors.New("account: client assertion already used")
	// ErrConflict: another node saved the key set first; reload it.
	ErrConflict = errors.New("account: key set changed concurrently")
)

// LockedError is returned (wrapping ErrLocked) while an account is locked
// out. Until is when the next attempt will be considered.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return ErrLocked.Error() }

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }
