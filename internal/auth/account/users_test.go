package account

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/credential"
)

func TestCreateUser(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			a := open(t, db, newClock(), nil)
			ctx := t.Context()
			u, err := a.CreateUser(ctx, NewUser{Email: " Dr.Who@Example.ORG ", Role: auth.RolePractitioner,
				FHIRResource: "Practitioner/p1", Password: goodPassword})
			if err != nil {
				t.Fatal(err)
			}
			if u.Email != "dr.who@example.org" || u.Role != auth.RolePractitioner || u.FHIRResource != "Practitioner/p1" || !u.HasPassword {
				t.Fatalf("user = %+v", u)
			}
			if !regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`).MatchString(u.ID) {
				t.Fatalf("id %q is not 22 URL-safe characters", u.ID)
			}
			got, err := a.UserByEmail(ctx, "DR.WHO@example.org")
			if err != nil || got.ID != u.ID {
				t.Fatalf("UserByEmail = %v, %v", got, err)
			}
			tests := []struct {
				name string
				nu   NewUser
				want error
			}{
				{"duplicate in other case", NewUser{Email: "DR.WHO@EXAMPLE.ORG", Role: auth.RoleAdmin, Password: goodPassword}, ErrExists},
				{"bad email", NewUser{Email: "no-at-sign", Role: auth.RoleAdmin, Password: goodPassword}, ErrInvalid},
				{"space in email", NewUser{Email: "a b@example.org", Role: auth.RoleAdmin, Password: goodPassword}, ErrInvalid},
				{"bad role", NewUser{Email: "x@example.org", Role: "nurse", Password: goodPassword}, ErrInvalid},
				{"patient without resource", NewUser{Email: "p@example.org", Role: auth.RolePatient}, ErrInvalid},
				{"practitioner linked to patient", NewUser{Email: "q@example.org", Role: auth.RolePractitioner, FHIRResource: "Patient/1", Password: goodPassword}, ErrInvalid},
				{"malformed resource", NewUser{Email: "r@example.org", Role: auth.RoleStaff, FHIRResource: "Practitioner/", Password: goodPassword}, ErrInvalid},
				{"weak password", NewUser{Email: "s@example.org", Role: auth.RoleAdmin, Password: "password1234"}, credential.ErrPasswordCommon},
				{"admin without password", NewUser{Email: "t@example.org", Role: auth.RoleAdmin}, ErrInvalid},
			}
			for _, tc := range tests {
				if _, err := a.CreateUser(ctx, tc.nu); !errors.Is(err, tc.want) {
					t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
				}
			}
			p, err := a.CreateUser(ctx, NewUser{Email: "pat@example.org", Role: auth.RolePatient, FHIRResource: "Patient/7"})
			if err != nil || p.HasPassword || p.PatientID() != "7" {
				t.Fatalf("code-only patient: %+v, %v", p, err)
			}
			list, err := a.ListUsers(ctx)
			if err != nil || len(list) != 2 || list[0].Email != "dr.who@example.org" || list[1].Email != "pat@example.org" {
				t.Fatalf("ListUsers = %v, %v", list, err)
			}
			if _, err := a.UserByID(ctx, "nope"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("UserByID(nope) = %v", err)
			}
			if err := a.SetDisabled(ctx, "nope", true); !errors.Is(err, ErrNotFound) {
				t.Fatalf("SetDisabled(nope) = %v", err)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			a := open(t, db, c, nil)
			ctx := t.Context()
			doc, _ := a.CreateUser(ctx, NewUser{Email: "doc@example.org", Role: auth.RolePractitioner, FHIRResource: "Practitioner/1", Password: goodPassword})
			off, _ := a.CreateUser(ctx, NewUser{Email: "off@example.org", Role: auth.RoleStaff, Password: goodPassword})
			if err := a.SetDisabled(ctx, off.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := a.CreateUser(ctx, NewUser{Email: "pat@example.org", Role: auth.RolePatient, FHIRResource: "Patient/1"}); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				email, password string
				want            error
				wantID          string
			}{
				{"doc@example.org", goodPassword, nil, doc.ID},
				{"DOC@example.org", goodPassword, nil, doc.ID},
				{"doc@example.org", "wrong password here", ErrBadCredentials, ""},
				{"nobody@example.org", goodPassword, ErrBadCredentials, ""},
				{"not an address", goodPassword, ErrBadCredentials, ""},
				{"off@example.org", goodPassword, ErrDisabled, ""},
				{"off@example.org", "wrong password here", ErrBadCredentials, ""},
				{"pat@example.org", "", ErrBadCredentials, ""},
				{"pat@example.org", goodPassword, ErrBadCredentials, ""},
			}
			for _, tc := range tests {
				u, err := a.Authenticate(ctx, tc.email, tc.password, "")
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: err = %v, want %v", tc.email, err, tc.want)
					continue
				}
				if tc.wantID != "" && (u == nil || u.ID != tc.wantID) {
					t.Errorf("%s: user = %v", tc.email, u)
				}
				if tc.want != nil && u != nil {
					t.Errorf("%s: got a user with error %v", tc.email, err)
				}
			}
			if err := a.SetPassword(ctx, doc.ID, "short"); !errors.Is(err, ErrInvalid) {
				t.Fatalf("weak SetPassword = %v", err)
			}
			if err := a.SetPassword(ctx, doc.ID, "another fine passphrase"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Authenticate(ctx, "doc@example.org", goodPassword, ""); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("old password after SetPassword: %v", err)
			}
			if _, err := a.Authenticate(ctx, "doc@example.org", "another fine passphrase", ""); err != nil {
				t.Fatalf("new password: %v", err)
			}
		})
	}
}

func TestLockout(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			a := open(t, db, c, nil) // threshold 3, base 1 min
			ctx := t.Context()
			u, _ := a.CreateUser(ctx, NewUser{Email: "doc@example.org", Role: auth.RolePractitioner, FHIRResource: "Practitioner/1", Password: goodPassword})
			for i := range 3 {
				if _, err := a.Authenticate(ctx, u.Email, "wrong password here", ""); !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("failure %d: %v", i, err)
				}
			}
			_, err := a.Authenticate(ctx, u.Email, goodPassword, "")
			var le *LockedError
			if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || !le.Until.Equal(c.Now().Add(time.Minute)) {
				t.Fatalf("locked: err = %v (until %v)", err, le)
			}
			if got, _ := a.UserByID(ctx, u.ID); got.FailedLogins != 3 {
				t.Fatalf("failed logins = %d, want 3", got.FailedLogins)
			}
			c.Advance(61 * time.Second)
			if _, err := a.Authenticate(ctx, u.Email, "wrong password here", ""); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("after the delay, a wrong password: %v", err)
			}
			// The fourth failure doubles the delay.
			c.Advance(61 * time.Second)
			if _, err := a.Authenticate(ctx, u.Email, goodPassword, ""); !errors.Is(err, ErrLocked) {
				t.Fatalf("second lock: %v", err)
			}
			c.Advance(time.Minute)
			got, err := a.Authenticate(ctx, u.Email, goodPassword, "")
			if err != nil || got.FailedLogins != 0 {
				t.Fatalf("after the delay: %v, %+v", err, got)
			}
		})
	}
}
