package account

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/housecall/housecall/internal/auth"
)

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTP(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			a := open(t, db, c, func(o *Options) { o.Lockout.Threshold = 10 })
			ctx := t.Context()
			u, _ := a.CreateUser(ctx, NewUser{Email: "doc@example.org", Role: auth.RolePractitioner, FHIRResource: "Practitioner/1", Password: goodPassword})
			secret, url, err := a.EnrollTOTP(ctx, u.ID)
			if err != nil || !strings.HasPrefix(url, "otpauth://totp/Housecall:") || len(secret) < 26 {
				t.Fatalf("EnrollTOTP = %q, %q, %v", secret, url, err)
			}
			var stored string
			if err := db.QueryRow(ctx, "SELECT totp_pending FROM account_users WHERE id = ?", u.ID).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(stored, secret) || !strings.HasPrefix(stored, "v1.") {
				t.Fatalf("pending secret is not sealed: %q", stored)
			}
			// Not active until confirmed.
			if _, err := a.Authenticate(ctx, u.Email, goodPassword, ""); err != nil {
				t.Fatalf("before confirmation: %v", err)
			}
			if _, _, err := a.ConfirmTOTP(ctx, u.ID, "000000"); !errors.Is(err, ErrBadTOTP) {
				t.Fatalf("wrong confirmation code: %v", err)
			}
			first := code(t, secret, c.Now())
			u2, recovery, err := a.ConfirmTOTP(ctx, u.ID, first)
			if err != nil || !u2.TOTPEnabled || len(recovery) != RecoveryCodeCount || u2.RecoveryCodesLeft != RecoveryCodeCount {
				t.Fatalf("ConfirmTOTP = %+v, %d codes, %v", u2, len(recovery), err)
			}
			if _, _, err := a.EnrollTOTP(ctx, u.ID); !errors.Is(err, ErrTOTPActive) {
				t.Fatalf("EnrollTOTP when active: %v", err)
			}
			got, err := a.Authenticate(ctx, u.Email, goodPassword, "")
			if !errors.Is(err, ErrTOTPRequired) || got == nil || got.ID != u.ID {
				t.Fatalf("without code: %v, %v", got, err)
			}
			if _, err := a.VerifyTOTP(ctx, u.ID, first); !errors.Is(err, ErrBadTOTP) {
				t.Fatalf("replayed confirmation code: %v", err)
			}
			c.Advance(30 * time.Second)
			if _, err := a.Authenticate(ctx, u.Email, goodPassword, code(t, secret, c.Now())); err != nil {
				t.Fatalf("password + code: %v", err)
			}
			if _, err := a.Authenticate(ctx, u.Email, goodPassword, code(t, secret, c.Now())); !errors.Is(err, ErrBadTOTP) {
				t.Fatalf("same code twice: %v", err)
			}
			if _, err := a.VerifyTOTP(ctx, u.ID, strings.ToLower(recovery[3])); err != nil {
				t.Fatalf("recovery code: %v", err)
			}
			if _, err := a.VerifyTOTP(ctx, u.ID, recovery[3]); !errors.Is(err, ErrBadTOTP) {
				t.Fatalf("spent recovery code: %v", err)
			}
			if got, _ := a.UserByID(ctx, u.ID); got.RecoveryCodesLeft != RecoveryCodeCount-1 || got.FailedLogins != 1 {
				t.Fatalf("after recovery: %+v", got)
			}
			if err := a.ResetTOTP(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if got, err := a.Authenticate(ctx, u.Email, goodPassword, ""); err != nil || got.TOTPEnabled {
				t.Fatalf("after reset: %+v, %v", got, err)
			}
			if _, err := a.VerifyTOTP(ctx, u.ID, "123456"); !errors.Is(err, ErrNoTOTP) {
				t.Fatalf("VerifyTOTP without factor: %v", err)
			}
		})
	}
}

func TestRequireTOTP(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			a := open(t, db, c, func(o *Options) { o.RequireTOTP = true })
			ctx := t.Context()
			doc, _ := a.CreateUser(ctx, NewUser{Email: "doc@example.org", Role: auth.RolePractitioner, FHIRResource: "Practitioner/1", Password: goodPassword})
			if _, err := a.CreateUser(ctx, NewUser{Email: "pat@example.org", Role: auth.RolePatient, FHIRResource: "Patient/1", Password: goodPassword}); err != nil {
				t.Fatal(err)
			}
			got, err := a.Authenticate(ctx, doc.Email, goodPassword, "")
			if !errors.Is(err, ErrTOTPSetupRequired) || got.ID != doc.ID {
				t.Fatalf("practitioner without factor: %v, %v", got, err)
			}
			if _, err := a.Authenticate(ctx, "pat@example.org", goodPassword, ""); err != nil {
				t.Fatalf("patient: %v", err)
			}
			secret, _, _ := a.EnrollTOTP(ctx, doc.ID)
			if _, _, err := a.ConfirmTOTP(ctx, doc.ID, code(t, secret, c.Now())); err != nil {
				t.Fatal(err)
			}
			c.Advance(31 * time.Second)
			if _, err := a.Authenticate(ctx, doc.Email, goodPassword, code(t, secret, c.Now())); err != nil {
				t.Fatalf("after setup: %v", err)
			}
		})
	}
}

func TestCodeLogin(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			a := open(t, db, c, func(o *Options) { o.Lockout.Threshold = 20 })
			ctx := t.Context()
			pat, _ := a.CreateUser(ctx, NewUser{Email: "pat@example.org", Role: auth.RolePatient, FHIRResource: "Patient/1"})
			if _, err := a.CreateUser(ctx, NewUser{Email: "doc@example.org", Role: auth.RolePractitioner, FHIRResource: "Practitioner/1", Password: goodPassword}); err != nil {
				t.Fatal(err)
			}
			for _, email := range []string{"nobody@example.org", "doc@example.org", "junk"} {
				code, u, err := a.StartCodeLogin(ctx, email)
				if code != "" || u != nil || err != nil {
					t.Fatalf("StartCodeLogin(%s) = %q, %v, %v; want nothing", email, code, u, err)
				}
			}
			code, u, err := a.StartCodeLogin(ctx, "PAT@example.org")
			if err != nil || u == nil || u.ID != pat.ID || len(code) != CodeDigits || strings.Trim(code, "0123456789") != "" {
				t.Fatalf("StartCodeLogin = %q, %v, %v", code, u, err)
			}
			var stored string
			if err := db.QueryRow(ctx, "SELECT code_hash FROM account_login_codes WHERE user_id = ?", pat.ID).Scan(&stored); err != nil || stored == code || len(stored) != 64 {
				t.Fatalf("stored code %q, %v", stored, err)
			}
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			if _, err := a.FinishCodeLogin(ctx, pat.Email, wrong); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("wrong code: %v", err)
			}
			if _, err := a.FinishCodeLogin(ctx, "nobody@example.org", code); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("unknown address: %v", err)
			}
			got, err := a.FinishCodeLogin(ctx, pat.Email, code)
			if err != nil || got.ID != pat.ID || got.FailedLogins != 0 {
				t.Fatalf("right code: %+v, %v", got, err)
			}
			if _, err := a.FinishCodeLogin(ctx, pat.Email, code); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("code reuse: %v", err)
			}
			// Expiry.
			code, _, _ = a.StartCodeLogin(ctx, pat.Email)
			c.Advance(CodeTTL)
			if _, err := a.FinishCodeLogin(ctx, pat.Email, code); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("expired code: %v", err)
			}
			// Attempt limit: after MaxCodeAttempts wrong codes the right one fails too.
			code, _, _ = a.StartCodeLogin(ctx, pat.Email)
			wrong = "000000"
			if code == wrong {
				wrong = "111111"
			}
			for range MaxCodeAttempts {
				if _, err := a.FinishCodeLogin(ctx, pat.Email, wrong); !errors.Is(err, ErrBadCredentials) {
					t.Fatal(err)
				}
			}
			if _, err := a.FinishCodeLogin(ctx, pat.Email, code); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("right code after %d wrong ones: %v", MaxCodeAttempts, err)
			}
			// Disabled patients get no code.
			_ = a.SetDisabled(ctx, pat.ID, true)
			if code, u, err := a.StartCodeLogin(ctx, pat.Email); code != "" || u != nil || err != nil {
				t.Fatalf("disabled patient got a code")
			}
		})
	}
}

func TestEnrollTOTPIsStable(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			a := open(t, db, newClock(), nil)
			ctx := t.Context()
			u, _ := a.CreateUser(ctx, NewUser{Email: "doc@example.org", Role: auth.RolePractitioner, FHIRResource: "Practitioner/1", Password: goodPassword})
			s1, u1, err := a.EnrollTOTP(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			s2, u2, err := a.EnrollTOTP(ctx, u.ID)
			if err != nil || s1 != s2 {
				t.Fatalf("second enrolment gave another secret (%v)", err)
			}
			for _, want := range []string{"otpauth://totp/Housecall:doc@example.org?", "secret=" + s1, "issuer=Housecall", "period=30", "digits=6"} {
				if !strings.Contains(u1, want) || !strings.Contains(u2, want) {
					t.Fatalf("otpauth URLs %q / %q lack %q", u1, u2, want)
				}
			}
			if err := a.ResetTOTP(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if s3, _, _ := a.EnrollTOTP(ctx, u.ID); s3 == s1 {
				t.Fatal("enrolment after reset reused the old secret")
			}
		})
	}
}
