package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
)

// DemoUser is a development account. The passwords are public (README):
// these accounts exist only with --dev, which binds to loopback.
type DemoUser struct {
	Email, Password, FHIRResource string
	Role                          auth.Role
}

// Users are the accounts --dev creates, linked to the demo resources.
var Users = []DemoUser{
	{"admin@housecall.test", "demo-admin-password", "", auth.RoleAdmin},
	{"dr.rivera@housecall.test", "demo-rivera-password", "Practitioner/demo-dr-rivera", auth.RolePractitioner},
	{"dr.okafor@housecall.test", "demo-okafor-password", "Practitioner/demo-dr-okafor", auth.RolePractitioner},
	{"jones@housecall.test", "demo-jones-password", "Patient/demo-patient-jones", auth.RolePatient},
}

// Accounts creates the demo accounts that do not exist yet and returns how
// many exist.
func Accounts(ctx context.Context, acc *account.Accounts) (int, error) {
	for _, u := range Users {
		_, err := acc.CreateUser(ctx, account.NewUser{Email: u.Email, Role: u.Role, FHIRResource: u.FHIRResource, Password: u.Password})
		if err != nil && !errors.Is(err, account.ErrExists) {
			return 0, fmt.Errorf("demo account %s: %w", u.Role, err)
		}
	}
	return len(Users), nil
}
