package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/token"
)

// FuzzBearerHeader: Identify never panics, never returns (nil, nil), and
// yields an identity only for the one valid token it was given. Lines of
// the input become separate Authorization headers.
func FuzzBearerHeader(f *testing.F) {
	ctx := context.Background()
	db := sqliteDB(f)
	acc, err := account.Open(ctx, db, account.Options{Secret: testSecret})
	if err != nil {
		f.Fatal(err)
	}
	ks, err := acc.LoadOrCreateKeySet(ctx, token.KeySetOptions{})
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(Options{Accounts: acc, Keys: ks, Issuer: "https://housecall.test"})
	if err != nil {
		f.Fatal(err)
	}
	u, err := acc.CreateUser(ctx, account.NewUser{Email: "a@example.org", Role: auth.RoleAdmin, Password: goodPassword})
	if err != nil {
		f.Fatal(err)
	}
	valid, err := s.IssueToken(ctx, u, "user/*.rs", 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Bearer " + valid)
	f.Add("Bearer " + valid[:len(valid)-2] + "AA")
	f.Add("Bearer " + strings.Replace(valid, ".", "..", 1))
	f.Add("bEaReR   " + valid + "  ")
	f.Add("Bearer " + valid + "\nBearer " + valid)
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/fhir/r4/Patient", nil)
		for _, line := range strings.Split(header, "\n") {
			r.Header.Add("Authorization", line)
		}
		id, err := s.Identify(r)
		if id == nil && err == nil {
			t.Fatal("no identity and no error")
		}
		if id != nil {
			if err != nil {
				t.Fatalf("identity with error %v", err)
			}
			scheme, tok, _ := strings.Cut(strings.TrimLeft(header, " "), " ")
			if !strings.EqualFold(scheme, "bearer") || strings.Trim(tok, " ") != valid || id.Subject != u.ID {
				t.Fatalf("identity from a header that is not the valid token: %q", header)
			}
		}
	})
}
