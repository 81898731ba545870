package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"

	"github.com/housecall/housecall/internal/adminapi"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/oauth"
	"github.com/housecall/housecall/internal/webui"
)

// The web app's OAuth client: public (PKCE), first-party (no consent
// screen), registered under a fixed id the app names in its code.
const (
	WebClientID = "housecall-web"
	// WebClientScopes is what the web app may ask for; each user gets the
	// part their role allows (user/ for staff, patient/ for patients).
	WebClientScopes = "openid fhirUser offline_access user/*.cruds patient/*.cruds launch/patient"
	// WebCallbackPath is the app's sign-in callback route on the issuer.
	WebCallbackPath = "/auth/callback"
)

// ensureWebClient registers the web app's client with the callback on
// this issuer. It runs in the serving process, and wherever public_url
// fixes the issuer: a command-line tool without public_url would
// otherwise move the callback to its guess of the issuer. A redirect the
// client rules refuse (plain http off loopback) leaves the web app
// without sign-in, which is logged, not fatal: the APIs still work.
func (a *App) ensureWebClient(ctx context.Context, opts []Option) error {
	if !serving(opts) && a.Config.PublicURL == "" {
		return nil
	}
	_, err := a.Accounts.EnsureClient(ctx, WebClientID, account.NewClient{
		Name: "Housecall web app", Public: true, Scopes: WebClientScopes,
		RedirectURIs: []string{a.Issuer + WebCallbackPath},
		GrantTypes:   []string{account.GrantAuthorizationCode, account.GrantRefreshToken},
		Permissions:  []string{oauth.PermissionFirstParty},
	})
	if errors.Is(err, account.ErrInvalid) {
		a.Logger.Error("the web app cannot sign users in: its OAuth client is refused (use an https public_url)", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("the web app's OAuth client: %w", err)
	}
	return nil
}

func serving(opts []Option) bool {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o.serving
}

// openAdmin assembles the admin API on the webhook table.
func (a *App) openAdmin() (*adminapi.API, error) {
	api, err := adminapi.New(adminapi.Options{Accounts: a.Accounts, Engine: a.Engine, Webhooks: a.Webhooks,
		Outbox: a.Outbox, Audit: a.Audit, Logger: a.Logger})
	if err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	return api, nil
}

// webUI is the web app's handler: the embedded build, or in development
// the Vite dev server of ui_dev_url.
func (a *App) webUI(opts []Option) (http.Handler, error) {
	o := webui.Options{Origin: a.Issuer, Logger: a.Logger}
	if a.Config.Dev {
		o.DevURL = a.Config.UIDevURL
	}
	h, err := webui.New(o)
	if err != nil {
		return nil, err
	}
	if o.DevURL == "" && !webui.Built() && serving(opts) {
		a.Logger.Info("the web app was not built into this server (make web): / shows how to build it")
	}
	return h, nil
}

// routes merges the API route tables mounted behind the bearer check.
func routes(tables ...map[string]http.Handler) map[string]http.Handler {
	out := map[string]http.Handler{}
	for _, t := range tables {
		maps.Copy(out, t)
	}
	return out
}
