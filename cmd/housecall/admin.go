package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/config"
)

const adminUsage = `usage:
  housecall admin create-user   --email EMAIL --role admin|practitioner|staff|patient [--fhir-resource Type/id] [--password-stdin]
  housecall admin create-client --name NAME --scope SCOPES [--redirect-uri URL]... [--public] [--jwks FILE] [--grant TYPE]... [--permission P]...
  housecall admin token         --user EMAIL [--scope SCOPES] [--ttl DURATION]
  housecall admin list-users
  housecall admin disable-user  --email EMAIL [--enable]
  housecall admin reset-totp    --email EMAIL
Every admin command also takes --data-dir / --database-url (as serve).`

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// adminCmd runs "housecall admin …" against the same database as serve.
func adminCmd(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(adminUsage)
	}
	sub, args := args[0], args[1:]
	var (
		email, role, fhirRes, name, scopes, jwksFile, user string
		pwStdin, public, enable                            bool
		ttl                                                time.Duration
		redirects, grants, perms                           multi
	)
	flags := func(fs *flag.FlagSet) {
		switch sub {
		case "create-user":
			fs.StringVar(&email, "email", "", "e-mail address (the sign-in name)")
			fs.StringVar(&role, "role", "", "admin, practitioner, staff or patient")
			fs.StringVar(&fhirRes, "fhir-resource", "", "the user's FHIR resource, e.g. Practitioner/123 (required for practitioners and patients)")
			fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of standard input")
		case "create-client":
			fs.StringVar(&name, "name", "", "display name")
			fs.StringVar(&scopes, "scope", "", "scopes the client may be granted, space-separated")
			fs.Var(&redirects, "redirect-uri", "registered redirect URI (repeatable)")
			fs.BoolVar(&public, "public", false, "a browser or native app without a secret (PKCE only)")
			fs.StringVar(&jwksFile, "jwks", "", "JWKS file of a private_key_jwt client (SMART Backend Services)")
			fs.Var(&grants, "grant", "grant type (repeatable; default from the other settings)")
			fs.Var(&perms, "permission", "extra permission, e.g. telemed:anonymous-join (repeatable)")
		case "token":
			fs.StringVar(&user, "user", "", "e-mail of the user")
			fs.StringVar(&scopes, "scope", "", "scopes (default: everything the role allows)")
			fs.DurationVar(&ttl, "ttl", 0, "lifetime (default access_token_ttl, at most 24h)")
		case "disable-user", "reset-totp":
			fs.StringVar(&email, "email", "", "e-mail of the user")
			if sub == "disable-user" {
				fs.BoolVar(&enable, "enable", false, "enable the account again instead")
			}
		case "list-users":
		default:
			return
		}
	}
	switch sub {
	case "create-user", "create-client", "token", "list-users", "disable-user", "reset-totp":
	default:
		return fmt.Errorf("unknown admin command %q\n%s", sub, adminUsage)
	}
	cfg, extra, err := config.LoadWithFlags("admin "+sub, args, environ, flags)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	if len(extra) > 0 {
		return fmt.Errorf("admin %s takes no arguments, got %q", sub, extra)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Open(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	out := json.NewEncoder(stdout)
	out.SetIndent("", "  ")

	switch sub {
	case "create-user":
		if email == "" || role == "" {
			return errors.New("create-user needs --email and --role")
		}
		pw := ""
		if pwStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("reading the password: %w", err)
			}
			pw = strings.TrimRight(line, "\r\n")
		}
		u, err := a.Accounts.CreateUser(ctx, account.NewUser{Email: email, Role: auth.Role(role), FHIRResource: fhirRes, Password: pw})
		if err != nil {
			return err
		}
		return out.Encode(map[string]any{"id": u.ID, "email": u.Email, "role": u.Role, "fhir_resource": u.FHIRResource})
	case "create-client":
		if name == "" || scopes == "" {
			return errors.New("create-client needs --name and --scope")
		}
		nc := account.NewClient{Name: name, Scopes: scopes, RedirectURIs: redirects, Public: public, GrantTypes: grants, Permissions: perms}
		if jwksFile != "" {
			if nc.JWKS, err = os.ReadFile(jwksFile); err != nil {
				return fmt.Errorf("--jwks: %w", err)
			}
		}
		c, secret, err := a.Accounts.CreateClient(ctx, nc)
		if err != nil {
			return err
		}
		res := map[string]any{"client_id": c.ID}
		if secret != "" {
			res["client_secret"] = secret
		}
		return out.Encode(res)
	case "token":
		if user == "" {
			return errors.New("token needs --user")
		}
		u, err := a.Accounts.UserByEmail(ctx, user)
		if err != nil {
			return fmt.Errorf("user %s: %w", user, err)
		}
		if scopes == "" {
			scopes = defaultScopes(u.Role)
		}
		tok, err := a.OAuth.IssueToken(ctx, u, scopes, ttl)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, tok)
		return err
	case "list-users":
		users, err := a.Accounts.ListUsers(ctx)
		if err != nil {
			return err
		}
		list := make([]map[string]any, 0, len(users))
		for _, u := range users {
			list = append(list, map[string]any{"id": u.ID, "email": u.Email, "role": u.Role, "fhir_resource": u.FHIRResource,
				"totp": u.TOTPEnabled, "disabled": u.Disabled})
		}
		return out.Encode(list)
	case "disable-user", "reset-totp":
		if email == "" {
			return fmt.Errorf("%s needs --email", sub)
		}
		u, err := a.Accounts.UserByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("user %s: %w", email, err)
		}
		if sub == "reset-totp" {
			return a.Accounts.ResetTOTP(ctx, u.ID)
		}
		return a.Accounts.SetDisabled(ctx, u.ID, !enable)
	}
	return nil
}

// defaultScopes is everything a role may be granted.
func defaultScopes(r auth.Role) string {
	if r == auth.RolePatient {
		return "patient/*.cruds"
	}
	return "user/*.cruds"
}
