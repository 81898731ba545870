package account

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/housecall/housecall/internal/auth/credential"
	"github.com/housecall/housecall/internal/auth/scope"
	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/store/opsql"
)

// OAuth grant types a client may be registered for.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// Client authentication methods (RFC 7591 names).
const (
	AuthNone          = "none"
	AuthClientSecret  = "client_secret_basic" // or client_secret_post
	AuthPrivateKeyJWT = "private_key_jwt"
)

// Client is a registered OAuth client.
type Client struct {
	ID   string
	Name string
	// Scopes is the canonical scope string the client may be granted.
	Scopes string
	// RedirectURIs are compared exactly.
	RedirectURIs []string
	GrantTypes   []string
	// Permissions are extra capabilities (e.g. "telemed:anonymous-join").
	Permissions []string
	// Public clients have no credentials and must use PKCE.
	Public bool
	// JWKS holds the public keys of a private_key_jwt client.
	JWKS     []byte
	Disabled bool
	Created  time.Time
	Updated  time.Time
}

// AuthMethod returns how the client authenticates at the token endpoint.
func (c *Client) AuthMethod() string {
	switch {
	case c.Public:
		return AuthNone
	case len(c.JWKS) > 0:
		return AuthPrivateKeyJWT
	}
	return AuthClientSecret
}

// HasGrant reports whether the client may use grant type g.
func (c *Client) HasGrant(g string) bool { return slices.Contains(c.GrantTypes, g) }

// HasRedirectURI reports whether u is registered, compared exactly.
func (c *Client) HasRedirectURI(u string) bool { return slices.Contains(c.RedirectURIs, u) }

// HasPermission reports whether the client holds permission p.
func (c *Client) HasPermission(p string) bool { return slices.Contains(c.Permissions, p) }

// NewClient is what CreateClient needs.
type NewClient struct {
	Name string
	// Scopes the client may be granted (SMART scopes, openid, ...).
	Scopes       string
	RedirectURIs []string
	// Public: a browser or native app without credentials.
	Public bool
	// JWKS: the public keys of a private_key_jwt client (SMART Backend
	// Services). Without JWKS and not Public, a secret is generated.
	JWKS []byte
	// GrantTypes: empty means authorization_code and refresh_token when
	// there are redirect URIs, plus client_credentials for a confidential
	// client with system/ scopes.
	GrantTypes  []string
	Permissions []string
}

const clientCols = `id, name, secret_hash, jwks, public, scopes, redirect_uris, grant_types, permissions, disabled, created_at, updated_at`

func scanClient(s scanner) (*Client, string, error) {
	var (
		c                      Client
		hash, jwks, ru, gt, pm string
		public, disabled       int
		created, updated       int64
	)
	err := s.Scan(&c.ID, &c.Name, &hash, &jwks, &public, &c.Scopes, &ru, &gt, &pm, &disabled, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("account: reading client: %w", err)
	}
	for _, f := range []struct {
		src string
		dst *[]string
	}{{ru, &c.RedirectURIs}, {gt, &c.GrantTypes}, {pm, &c.Permissions}} {
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			return nil, "", fmt.Errorf("account: reading client: %w", err)
		}
	}
	if jwks != "" {
		c.JWKS = []byte(jwks)
	}
	c.Public, c.Disabled = public != 0, disabled != 0
	c.Created, c.Updated = fromMS(created), fromMS(updated)
	return &c, hash, nil
}

// CreateClient registers a client. For a confidential client without
// JWKS it returns the secret, which is shown once and stored only as an
// argon2id hash.
func (a *Accounts) CreateClient(ctx context.Context, nc NewClient) (*Client, string, error) {
	c, err := validateClient(nc)
	if err != nil {
		return nil, "", err
	}
	secret, hash := "", ""
	if !c.Public && len(c.JWKS) == 0 {
		if secret, err = randomString(a.rand, 32); err != nil {
			return nil, "", err
		}
		if hash, err = credential.Hash(secret, a.params, a.rand); err != nil {
			return nil, "", fmt.Errorf("account: hashing client secret: %w", err)
		}
	}
	if c.ID, err = a.RandomID(); err != nil {
		return nil, "", err
	}
	ru, _ := json.Marshal(c.RedirectURIs)
	gt, _ := json.Marshal(c.GrantTypes)
	pm, _ := json.Marshal(c.Permissions)
	now := ms(a.now())
	_, err = a.db.Exec(ctx, `INSERT INTO account_clients (id, name, secret_hash, jwks, public, scopes, redirect_uris, grant_types,
permissions, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, hash, string(c.JWKS), boolInt(c.Public), c.Scopes, string(ru), string(gt), string(pm), now, now)
	if err != nil {
		return nil, "", fmt.Errorf("account: creating client: %w", err)
	}
	out, err := a.ClientByID(ctx, c.ID)
	return out, secret, err
}

func validateClient(nc NewClient) (*Client, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	name := strings.TrimSpace(nc.Name)
	if name == "" || len(name) > 200 || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return nil, bad("client name must be 1 to 200 printable characters")
	}
	set, err := scope.ParseWith(nc.Scopes, fhir.IsResourceType)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if nc.Public && len(nc.JWKS) > 0 {
		return nil, bad("a public client has no keys")
	}
	hasSystem := slices.Contains(set.Contexts(), scope.System)
	if nc.Public && hasSystem {
		return nil, bad("a public client cannot have system/ scopes")
	}
	for _, u := range nc.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return nil, err
		}
	}
	if len(nc.JWKS) > 0 {
		if err := checkJWKS(nc.JWKS); err != nil {
			return nil, err
		}
	}
	grants := nc.GrantTypes
	if len(grants) == 0 {
		if len(nc.RedirectURIs) > 0 {
			grants = append(grants, GrantAuthorizationCode, GrantRefreshToken)
		}
		if !nc.Public && hasSystem {
			grants = append(grants, GrantClientCredentials)
		}
	}
	if len(grants) == 0 {
		return nil, bad("the client needs redirect URIs (apps) or system/ scopes (backend services)")
	}
	for _, g := range grants {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken:
			if len(nc.RedirectURIs) == 0 {
				return nil, bad("grant %s needs a redirect URI", g)
			}
		case GrantClientCredentials:
			if nc.Public {
				return nil, bad("a public client cannot use client_credentials")
			}
		default:
			return nil, bad("unsupported grant type %q", g)
		}
	}
	perms := nc.Permissions
	for _, p := range perms {
		if p == "" || strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return nil, bad("permissions must be non-empty words")
		}
	}
	if perms == nil {
		perms = []string{}
	}
	ru := nc.RedirectURIs
	if ru == nil {
		ru = []string{}
	}
	return &Client{Name: name, Scopes: set.String(), RedirectURIs: ru, GrantTypes: slices.Compact(grants),
		Permissions: perms, Public: nc.Public, JWKS: nc.JWKS}, nil
}

// checkRedirectURI accepts absolute URIs without a fragment: https, http
// on a loopback host (development and native apps, RFC 8252), or a
// private-use scheme with a dot ("com.example.app:/callback").
func checkRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(s, "#") || len(s) > 2000 {
		return fmt.Errorf("%w: redirect URIs must be absolute, without a fragment", ErrInvalid)
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("%w: redirect URI without a host", ErrInvalid)
		}
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("%w: http redirect URIs are only allowed on loopback; use https", ErrInvalid)
		}
	default:
		if !strings.Contains(u.Scheme, ".") {
			return fmt.Errorf("%w: redirect URI scheme must be https, loopback http or a reverse-domain private scheme", ErrInvalid)
		}
	}
	return nil
}

// checkJWKS requires at least one public RSA or EC signing key with a kid
// and refuses private or symmetric key material.
func checkJWKS(b []byte) error {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Keys) == 0 {
		return fmt.Errorf("%w: JWKS must be a JSON object with a keys array", ErrInvalid)
	}
	for i, raw := range doc.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil || !k.Valid() {
			return fmt.Errorf("%w: JWKS key %d cannot be read", ErrInvalid, i)
		}
		if !k.IsPublic() {
			return fmt.Errorf("%w: JWKS key %d is not a public key (never register private keys)", ErrInvalid, i)
		}
		if k.KeyID == "" {
			return fmt.Errorf("%w: JWKS key %d has no kid", ErrInvalid, i)
		}
	}
	return nil
}

// ClientByID returns a client or ErrNotFound.
func (a *Accounts) ClientByID(ctx context.Context, id string) (*Client, error) {
	c, _, err := scanClient(a.db.QueryRow(ctx, `SELECT `+clientCols+` FROM account_clients WHERE id = ?`, id))
	return c, err
}

// ListClients returns every client, ordered by name.
func (a *Accounts) ListClients(ctx context.Context) ([]*Client, error) {
	rows, err := a.db.Query(ctx, `SELECT `+clientCols+` FROM account_clients ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("account: listing clients: %w", err)
	}
	defer rows.Close()
	var out []*Client
	for rows.Next() {
		c, _, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("account: listing clients: %w", err)
	}
	return out, nil
}

// SetClientDisabled disables or re-enables a client. The OAuth server
// refuses a disabled client's credentials and tokens.
func (a *Accounts) SetClientDisabled(ctx context.Context, id string, disabled bool) error {
	res, err := a.db.Exec(ctx, `UPDATE account_clients SET disabled = ?, updated_at = ? WHERE id = ?`,
		boolInt(disabled), ms(a.now()), id)
	if err != nil {
		return fmt.Errorf("account: updating client: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}

// AuthenticateClient checks a client secret. Unknown clients, clients
// without a secret and wrong secrets all cost one argon2id verification
// and return ErrBadClient; a disabled client with the right secret gets
// ErrDisabled.
func (a *Accounts) AuthenticateClient(ctx context.Context, id, secret string) (*Client, error) {
	c, hash, err := scanClient(a.db.QueryRow(ctx, `SELECT `+clientCols+` FROM account_clients WHERE id = ?`, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if c == nil || hash == "" {
		credential.VerifyNoAccount(secret)
		return nil, ErrBadClient
	}
	ok, _, err := credential.VerifyWith(secret, hash, a.params)
	if errors.Is(err, credential.ErrMalformedHash) {
		return nil, fmt.Errorf("account: stored client secret hash: %w", err)
	}
	if err != nil || !ok {
		return nil, ErrBadClient
	}
	if c.Disabled {
		return nil, ErrDisabled
	}
	return c, nil
}

// maxJTI bounds the stored jti.
const maxJTI = 256

// RecordJTI remembers a client assertion's jti until exp and returns
// ErrReplay when this client already used it. Expired entries are purged
// now and then.
func (a *Accounts) RecordJTI(ctx context.Context, clientID, jti string, exp time.Time) error {
	if jti == "" || len(jti) > maxJTI {
		return fmt.Errorf("%w: jti must be 1 to %d bytes", ErrInvalid, maxJTI)
	}
	if a.jtiInserts.Add(1)%64 == 1 {
		if _, err := a.db.Exec(ctx, `DELETE FROM account_jtis WHERE expires_at < ?`, ms(a.now())); err != nil {
			return fmt.Errorf("account: purging jti cache: %w", err)
		}
	}
	_, err := a.db.Exec(ctx, `INSERT INTO account_jtis (client_id, jti, expires_at) VALUES (?, ?, ?)`, clientID, jti, ms(exp))
	if opsql.IsUniqueViolation(err) {
		return ErrReplay
	}
	if err != nil {
		return fmt.Errorf("account: recording jti: %w", err)
	}
	return nil
}

// Purge deletes expired one-time sign-in codes and assertion jtis. The
// OAuth server's maintenance loop calls it hourly.
func (a *Accounts) Purge(ctx context.Context) error {
	now := ms(a.now())
	for _, q := range []string{
		`DELETE FROM account_login_codes WHERE expires_at <= ?`,
		`DELETE FROM account_jtis WHERE expires_at < ?`,
	} {
		if _, err := a.db.Exec(ctx, q, now); err != nil {
			return fmt.Errorf("account: purging: %w", err)
		}
	}
	return nil
}
