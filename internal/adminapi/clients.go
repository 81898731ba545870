package adminapi

import (
	"net/http"
	"time"

	"github.com/housecall/housecall/internal/auth/account"
)

// clientJSON is an OAuth client as the API shows it (never its secret).
type clientJSON struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Scopes       string    `json:"scopes"`
	RedirectURIs []string  `json:"redirectUris"`
	GrantTypes   []string  `json:"grantTypes"`
	Public       bool      `json:"public"`
	Permissions  []string  `json:"permissions"`
	Disabled     bool      `json:"disabled"`
	Created      time.Time `json:"created"`
}

func clientOut(c *account.Client) clientJSON {
	return clientJSON{ID: c.ID, Name: c.Name, Scopes: c.Scopes, RedirectURIs: c.RedirectURIs, GrantTypes: c.GrantTypes,
		Public: c.Public, Permissions: c.Permissions, Disabled: c.Disabled, Created: c.Created.UTC()}
}

func (a *API) listClients(c *call) (int, any, error) {
	clients, err := a.o.Accounts.ListClients(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	out := make([]clientJSON, 0, len(clients))
	for _, cl := range clients {
		out = append(out, clientOut(cl))
	}
	return http.StatusOK, map[string]any{"clients": out}, nil
}

func (a *API) createClient(c *call) (int, any, error) {
	var body struct {
		Name         string   `json:"name"`
		Scopes       string   `json:"scopes"`
		RedirectURIs []string `json:"redirectUris"`
		GrantTypes   []string `json:"grantTypes"`
		Public       bool     `json:"public"`
		Permissions  []string `json:"permissions"`
	}
	if err := decode(c.r, &body); err != nil {
		return 0, nil, err
	}
	cl, secret, err := a.o.Accounts.CreateClient(c.ctx(), account.NewClient{Name: body.Name, Scopes: body.Scopes,
		RedirectURIs: body.RedirectURIs, GrantTypes: body.GrantTypes, Public: body.Public, Permissions: body.Permissions})
	if err != nil {
		return 0, nil, publicError(err, "client")
	}
	c.target = cl.ID
	out := map[string]any{"client": clientOut(cl)}
	if secret != "" {
		out["client_secret"] = secret // shown once; only its hash is kept
	}
	return http.StatusCreated, out, nil
}

func (a *API) setClientDisabled(disabled bool) func(*call) (int, any, error) {
	return func(c *call) (int, any, error) {
		id := c.r.PathValue("id")
		c.target = id
		if disabled && id == c.id.ClientID {
			return 0, nil, errf(http.StatusConflict, "you are signed in through this client: disabling it would lock you out")
		}
		if err := a.o.Accounts.SetClientDisabled(c.ctx(), id, disabled); err != nil {
			return 0, nil, publicError(err, "client")
		}
		cl, err := a.o.Accounts.ClientByID(c.ctx(), id)
		if err != nil {
			return 0, nil, publicError(err, "client")
		}
		return http.StatusOK, clientOut(cl), nil
	}
}
