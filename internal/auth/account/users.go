package account

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/credential"
	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/store/opsql"
)

// User is a user account as callers see it: no hashes, no secrets.
type User struct {
	ID    string
	Email string // lower case
	Role  auth.Role
	// FHIRResource is the user's own resource, "Practitioner/1" or
	// "Patient/7"; empty for staff and admins without one.
	FHIRResource string
	// HasPassword is false for patients who sign in with codes only.
	HasPassword bool
	// TOTPEnabled: a confirmed second factor is active.
	TOTPEnabled bool
	// RecoveryCodesLeft counts unused recovery codes.
	RecoveryCodesLeft int
	Disabled          bool
	FailedLogins      int
	LastFailure       time.Time
	Created, Updated  time.Time
}

// PatientID returns the id of the user's own Patient resource, or "" when
// the user is not linked to a Patient (a RelatedPerson, a practitioner).
func (u *User) PatientID() string {
	typ, id, ok := auth.SplitRef(u.FHIRResource)
	if !ok || typ != "Patient" {
		return ""
	}
	return id
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Email string
	Role  auth.Role
	// FHIRResource "Type/id" must be of a type auth.FHIRTypesForRole
	// allows. Required for patients and practitioners.
	FHIRResource string
	// Password must pass credential.CheckStrength. It may be empty for
	// patients only (they sign in with one-time codes).
	Password string
}

// RequiresTOTP reports whether u must use a second factor.
func (a *Accounts) RequiresTOTP(u *User) bool {
	return a.requireTOTP && u.Role != auth.RolePatient
}

// userRow is a full row, secrets included; it never leaves the package.
type userRow struct {
	User
	passwordHash  string
	totpSecret    string // sealed
	totpPending   string // sealed
	totpLastStep  int64
	recoveryCodes []string
}

const userCols = `id, email, role, fhir_resource, password_hash, totp_secret, totp_pending, totp_last_step,
recovery_codes, disabled, failed_logins, last_failure, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanUser(s scanner) (*userRow, error) {
	var (
		r                           userRow
		role, recovery              string
		disabled                    int
		lastFailure, created, updat int64
	)
	err := s.Scan(&r.ID, &r.Email, &role, &r.FHIRResource, &r.passwordHash, &r.totpSecret, &r.totpPending,
		&r.totpLastStep, &recovery, &disabled, &r.FailedLogins, &lastFailure, &created, &updat)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("account: reading user: %w", err)
	}
	if err := json.Unmarshal([]byte(recovery), &r.recoveryCodes); err != nil {
		return nil, fmt.Errorf("account: reading user: recovery codes: %w", err)
	}
	r.Role = auth.Role(role)
	r.Disabled = disabled != 0
	r.LastFailure, r.Created, r.Updated = fromMS(lastFailure), fromMS(created), fromMS(updat)
	r.HasPassword = r.passwordHash != ""
	r.TOTPEnabled = r.totpSecret != ""
	for _, c := range r.recoveryCodes {
		if c != "" {
			r.RecoveryCodesLeft++
		}
	}
	return &r, nil
}

// NormalizeEmail trims and lower-cases an address and checks its shape
// (one @, something on both sides, no spaces or controls, at most 254
// bytes). The error never quotes the address.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || len(e) > 254 ||
		strings.ContainsFunc(e, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", fmt.Errorf("%w: not an e-mail address", ErrInvalid)
	}
	return e, nil
}

func checkFHIRResource(role auth.Role, ref string) error {
	if ref == "" {
		if role == auth.RolePatient || role == auth.RolePractitioner {
			return fmt.Errorf("%w: a %s account needs its FHIR resource", ErrInvalid, role)
		}
		return nil
	}
	typ, id, ok := auth.SplitRef(ref)
	if !ok || !fhir.IsValidID(id) {
		return fmt.Errorf("%w: FHIR resource must be Type/id", ErrInvalid)
	}
	if !slices.Contains(auth.FHIRTypesForRole(role), typ) {
		return fmt.Errorf("%w: a %s account cannot be linked to a %s", ErrInvalid, role, typ)
	}
	return nil
}

// CreateUser adds a user account.
func (a *Accounts) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return nil, err
	}
	if !auth.ValidRole(nu.Role) {
		return nil, fmt.Errorf("%w: unknown role", ErrInvalid)
	}
	if err := checkFHIRResource(nu.Role, nu.FHIRResource); err != nil {
		return nil, err
	}
	hash := ""
	switch {
	case nu.Password == "" && nu.Role != auth.RolePatient:
		return nil, fmt.Errorf("%w: a password is required", ErrInvalid)
	case nu.Password != "":
		if err := credential.CheckStrength(nu.Password); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if hash, err = credential.Hash(nu.Password, a.params, a.rand); err != nil {
			return nil, fmt.Errorf("account: hashing password: %w", err)
		}
	}
	id, err := a.RandomID()
	if err != nil {
		return nil, err
	}
	now := ms(a.now())
	_, err = a.db.Exec(ctx, `INSERT INTO account_users (id, email, role, fhir_resource, password_hash, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`, id, email, string(nu.Role), nu.FHIRResource, hash, now, now)
	if opsql.IsUniqueViolation(err) {
		return nil, ErrExists
	}
	if err != nil {
		return nil, fmt.Errorf("account: creating user: %w", err)
	}
	return a.UserByID(ctx, id)
}

func (a *Accounts) userRowByEmail(ctx context.Context, email string) (*userRow, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return nil, ErrNotFound
	}
	return scanUser(a.db.QueryRow(ctx, `SELECT `+userCols+` FROM account_users WHERE email = ?`, e))
}

func (a *Accounts) userRowByID(ctx context.Context, id string) (*userRow, error) {
	return scanUser(a.db.QueryRow(ctx, `SELECT `+userCols+` FROM account_users WHERE id = ?`, id))
}

// UserByEmail returns the user with this address (any case) or ErrNotFound.
func (a *Accounts) UserByEmail(ctx context.Context, email string) (*User, error) {
	r, err := a.userRowByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return &r.User, nil
}

// UserByID returns the user with this id or ErrNotFound.
func (a *Accounts) UserByID(ctx context.Context, id string) (*User, error) {
	r, err := a.userRowByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return &r.User, nil
}

// ListUsers returns every user, ordered by e-mail address.
func (a *Accounts) ListUsers(ctx context.Context) ([]*User, error) {
	rows, err := a.db.Query(ctx, `SELECT `+userCols+` FROM account_users ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("account: listing users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		r, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, &r.User)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("account: listing users: %w", err)
	}
	return out, nil
}

// update runs one UPDATE of a user row and maps "no row" to ErrNotFound.
func (a *Accounts) update(ctx context.Context, id, set string, args ...any) error {
	args = append(args, ms(a.now()), id)
	res, err := a.db.Exec(ctx, `UPDATE account_users SET `+set+`, updated_at = ? WHERE id = ?`, args...)
	if err != nil {
		return fmt.Errorf("account: updating user: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetDisabled disables or re-enables a user. A disabled user cannot sign
// in; the OAuth server also refuses their existing tokens.
func (a *Accounts) SetDisabled(ctx context.Context, id string, disabled bool) error {
	return a.update(ctx, id, `disabled = ?`, boolInt(disabled))
}

// SetPassword replaces a user's password (checked with CheckStrength) and
// clears the failed-attempt counter.
func (a *Accounts) SetPassword(ctx context.Context, id, password string) error {
	if err := credential.CheckStrength(password); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	hash, err := credential.Hash(password, a.params, a.rand)
	if err != nil {
		return fmt.Errorf("account: hashing password: %w", err)
	}
	return a.update(ctx, id, `password_hash = ?, failed_logins = 0, last_failure = 0`, hash)
}
