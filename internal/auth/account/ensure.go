package account

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
)

// fixedIDRe is the shape of a well-known client id ("housecall-web").
var fixedIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// EnsureClient makes the client with this well-known id match nc, creating
// it when missing: apps shipped with the server (the web app) name their
// client id in code, and its registration (the redirect URI on the issuer)
// follows the configuration at every start. An administrator's decision
// to disable the client is kept. Only public clients and clients with keys
// can be ensured: a generated secret would have nobody to be shown to.
// Concurrent starts of several nodes converge on one row.
func (a *Accounts) EnsureClient(ctx context.Context, id string, nc NewClient) (*Client, error) {
	if !fixedIDRe.MatchString(id) {
		return nil, fmt.Errorf("%w: client id must be 1 to 64 letters, digits, '.', '_' or '-'", ErrInvalid)
	}
	want, err := validateClient(nc)
	if err != nil {
		return nil, err
	}
	if !want.Public && len(want.JWKS) == 0 {
		return nil, fmt.Errorf("%w: only public clients and clients with keys have a fixed id", ErrInvalid)
	}
	ru, _ := json.Marshal(want.RedirectURIs)
	gt, _ := json.Marshal(want.GrantTypes)
	pm, _ := json.Marshal(want.Permissions)
	now := ms(a.now())
	if _, err := a.db.Exec(ctx, `INSERT INTO account_clients (id, name, secret_hash, jwks, public, scopes, redirect_uris, grant_types,
permissions, created_at, updated_at) VALUES (?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		id, want.Name, string(want.JWKS), boolInt(want.Public), want.Scopes, string(ru), string(gt), string(pm), now, now); err != nil {
		return nil, fmt.Errorf("account: ensuring client: %w", err)
	}
	have, err := a.ClientByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if same(have, want) {
		return have, nil
	}
	// The secret hash is cleared: a client that is now public or uses keys
	// must not keep authenticating with an old secret.
	if _, err := a.db.Exec(ctx, `UPDATE account_clients SET name = ?, secret_hash = '', jwks = ?, public = ?, scopes = ?,
redirect_uris = ?, grant_types = ?, permissions = ?, updated_at = ? WHERE id = ?`,
		want.Name, string(want.JWKS), boolInt(want.Public), want.Scopes, string(ru), string(gt), string(pm), now, id); err != nil {
		return nil, fmt.Errorf("account: updating client: %w", err)
	}
	return a.ClientByID(ctx, id)
}

// same reports whether a stored client already has the registration of want.
func same(have, want *Client) bool {
	return have.Name == want.Name && have.Scopes == want.Scopes && have.Public == want.Public &&
		string(have.JWKS) == string(want.JWKS) && slices.Equal(have.RedirectURIs, want.RedirectURIs) &&
		slices.Equal(have.GrantTypes, want.GrantTypes) && slices.Equal(have.Permissions, want.Permissions)
}
