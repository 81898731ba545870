// Package app assembles one Housecall process from its configuration: the
// store, accounts and the authorization server, the notification outbox,
// the audit writer, the FHIR engine under the access policy, and the HTTP
// handler. `housecall serve` runs it; the admin commands and end-to-end
// tests open the same assembly so that they exercise the real wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/housecall/housecall/internal/adminapi"
	"github.com/housecall/housecall/internal/audit"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/oauth"
	"github.com/housecall/housecall/internal/auth/token"
	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/httpapi"
	"github.com/housecall/housecall/internal/notify"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/backend"
	"github.com/housecall/housecall/internal/telemed"
)

// App is one assembled process.
type App struct {
	Config   config.Config
	Logger   *slog.Logger
	Store    store.Store
	Accounts *account.Accounts
	OAuth    *oauth.Server
	Outbox   *notify.Outbox
	Audit    *audit.Writer
	Engine   *rest.Engine
	Telemed  *telemed.Service
	// Webhooks are the endpoints administrators register at run time.
	Webhooks *adminapi.Webhooks
	Handler  http.Handler
	// Issuer is the public base URL tokens are issued for.
	Issuer string

	turnSecret []byte
	rtc        rtcHandler

	closers []func() error
	wg      sync.WaitGroup
}

// Open assembles the process. The store is opened (and migrated) from cfg
// unless st is given (tests).
func Open(ctx context.Context, cfg config.Config, logger *slog.Logger, st store.Store, opts ...Option) (_ *App, err error) {
	if logger == nil {
		logger = slog.Default()
	}
	a := &App{Config: cfg, Logger: logger}
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()
	if st == nil {
		if st, err = backend.Open(ctx, cfg.DataDir, cfg.DatabaseURL); err != nil {
			return nil, fmt.Errorf("opening the database: %w", err)
		}
		a.closers = append(a.closers, st.Close)
	}
	a.Store = st
	if a.Issuer, err = issuerFor(ctx, cfg, st.Ops(), opts...); err != nil {
		return nil, err
	}

	secret, err := account.SecretKey(cfg)
	if err != nil {
		return nil, err
	}
	if a.Accounts, err = account.Open(ctx, st.Ops(), account.Options{Secret: secret, RequireTOTP: cfg.RequireTOTP}); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	keys, err := a.Accounts.LoadOrCreateKeySet(ctx, token.KeySetOptions{})
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}

	hooks, emr, err := webhooks(cfg)
	if err != nil {
		return nil, err
	}
	if a.Webhooks, err = adminapi.OpenWebhooks(ctx, st.Ops(), a.Accounts, hooks); err != nil {
		return nil, err
	}
	if a.Outbox, err = openOutbox(ctx, cfg, st, logger, a.Webhooks.Driver(), emr); err != nil {
		return nil, err
	}
	ix := search.DefaultIndexer()
	wo := audit.WriterOptions{Store: st, Indexer: ix, Site: a.Issuer, Observer: "housecall", Logger: logger}
	if cfg.DatabaseURL == "" && cfg.DataDir != "" {
		wo.LockFile = filepath.Join(cfg.DataDir, "audit.lock")
	}
	if a.Audit, err = audit.OpenWriter(ctx, wo); err != nil {
		return nil, fmt.Errorf("audit trail: %w", err)
	}
	a.closers = append(a.closers, a.Audit.Close)

	var sender account.Sender
	if a.Outbox != nil && (cfg.SMTPURL != "" || cfg.Dev) {
		// In development the code stays readable on /dev/outbox; in
		// production the body is erased once delivered.
		sender = codeSender{o: a.Outbox, sensitive: !cfg.Dev}
	} else {
		logger.Info("no smtp_url: patients cannot sign in with e-mailed codes")
	}
	if a.OAuth, err = oauth.New(oauth.Options{
		Accounts: a.Accounts, Keys: keys, Issuer: a.Issuer, AccessTTL: time.Duration(cfg.AccessTokenTTL),
		Sender: sender, Dev: cfg.Dev, Logger: logger, Audit: a.recordAuth,
		// Telemed is built after the authorization server; requests come
		// only once Open has returned.
		InviteActive: func(ctx context.Context, inviteID string) (string, bool, error) {
			if a.Telemed == nil {
				return "", false, nil
			}
			return a.Telemed.InviteActive(ctx, inviteID)
		},
	}); err != nil {
		return nil, fmt.Errorf("authorization server: %w", err)
	}

	policy := &auth.Policy{Mode: cfg.AccessPolicy, PatientsOf: auth.PatientsOfStore(st, ix)}
	a.Engine = rest.NewEngine(rest.Options{Store: st, Indexer: ix, Policy: policy, Audit: a.Audit})
	a.turnSecret = []byte(cfg.TURNSecret)
	if len(a.turnSecret) == 0 {
		a.turnSecret = a.Accounts.MAC("turn-rest-secret-v1", nil)
	}
	if a.Telemed, err = telemed.New(ctx, telemed.Options{Engine: a.Engine, DB: st.Ops(), Accounts: a.Accounts, Keys: a.OAuth.Keys,
		Issuer: a.Issuer, Outbox: a.Outbox, Webhooks: hooks, WebhookSource: a.Webhooks.ForEvent, EMR: emr, Audit: a.Audit, Logger: logger,
		ICEServers: a.iceServers, Policy: policy, Invites: a.OAuth}); err != nil {
		return nil, fmt.Errorf("telemed: %w", err)
	}
	a.closers = append(a.closers, func() error { a.Telemed.CloseStreams(); return nil })
	if err := a.Telemed.EnsureIntakeQuestionnaire(ctx); err != nil {
		return nil, err
	}
	admin, err := a.openAdmin()
	if err != nil {
		return nil, err
	}
	ui, err := a.webUI(opts)
	if err != nil {
		return nil, err
	}
	if err := a.ensureWebClient(ctx, opts); err != nil {
		return nil, err
	}
	var devOutbox http.Handler
	if cfg.Dev && a.Outbox != nil {
		devOutbox = a.Outbox.DevHandler()
	}
	a.Handler = httpapi.New(httpapi.Options{
		Store: st, Engine: a.Engine, OAuth: a.OAuth, Logger: logger, PublicURL: cfg.PublicURL, Site: a.Issuer,
		MaxBodyBytes: cfg.MaxBodyBytes, CORSOrigins: splitList(cfg.CORSOrigins), DevOutbox: devOutbox,
		HSTS: strings.HasPrefix(a.Issuer, "https://"), APIRoutes: routes(a.Telemed.Routes(), admin.Routes()), RTC: &a.rtc,
		UI: ui,
	})
	return a, nil
}

// Issuer is the public base URL of the process: public_url, or for a
// server without one, http:// and the listen address (localhost for a
// wildcard host), which is right for development on one machine.
func Issuer(cfg config.Config) string {
	if cfg.PublicURL != "" {
		return strings.TrimRight(cfg.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return "http://localhost"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// webhooks reads the webhook and EHR notification endpoints of cfg; basic
// authentication credentials come from the URLs' user information.
func webhooks(cfg config.Config) ([]telemed.Webhook, *telemed.EMRNotify, error) {
	var hooks []telemed.Webhook
	var emr *telemed.EMRNotify
	split := func(raw string) (string, string, string, error) {
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", "", err
		}
		user, pass := u.User.Username(), ""
		if p, ok := u.User.Password(); ok {
			pass = p
		}
		u.User = nil
		return u.String(), user, pass, nil
	}
	if cfg.WebhookURL != "" {
		u, user, pass, err := split(cfg.WebhookURL)
		if err != nil {
			return nil, nil, errors.New("webhook_url is not a URL")
		}
		hooks = append(hooks, telemed.Webhook{URL: u, Secret: []byte(cfg.WebhookSecret), Username: user, Password: pass})
	}
	if cfg.EMRNotifyURL != "" {
		u, user, pass, err := split(cfg.EMRNotifyURL)
		if err != nil {
			return nil, nil, errors.New("emr_notify_url is not a URL")
		}
		emr = &telemed.EMRNotify{URL: u, VendorName: cfg.EMRVendorName, Username: user, Password: pass}
	}
	return hooks, emr, nil
}

func openOutbox(ctx context.Context, cfg config.Config, st store.Store, logger *slog.Logger, hooks notify.Driver, emr *telemed.EMRNotify) (*notify.Outbox, error) {
	// Webhook endpoints can be added at run time: the channel always has
	// its driver.
	drivers := map[string]notify.Driver{telemed.ChannelWebhook: hooks}
	if emr != nil {
		drivers[telemed.ChannelEMR] = &telemed.EMRDriver{EMR: *emr}
	}
	switch {
	case cfg.SMTPURL != "":
		smtp, err := notify.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return nil, fmt.Errorf("smtp_url: %w", err)
		}
		drivers[notify.ChannelEmail] = smtp
	case cfg.Dev:
		// Development only: e-mail goes to the log and /dev/outbox.
		drivers[notify.ChannelEmail] = &notify.LogDriver{Logger: logger}
	}
	o, err := notify.Open(ctx, st.Ops(), notify.Options{Drivers: drivers, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("notification outbox: %w", err)
	}
	return o, nil
}

// codeSender e-mails patients their one-time sign-in codes through the
// outbox (a fast insert, so response times do not tell which addresses
// exist; the body is erased from the outbox once delivered).
type codeSender struct {
	o         *notify.Outbox
	sensitive bool
}

func (s codeSender) SendLoginCode(ctx context.Context, to, code string) error {
	_, err := s.o.Enqueue(ctx, notify.Message{Channel: notify.ChannelEmail, To: to, Sensitive: s.sensitive,
		Subject: "Your Housecall sign-in code",
		Text:    "Your sign-in code is " + code + ".\r\n\r\nIt is valid for 10 minutes. If you did not ask to sign in, ignore this message.\r\n"})
	return err
}

// recordAuth turns the authorization server's security events into audit
// records.
func (a *App) recordAuth(ctx context.Context, e oauth.Event) {
	kinds := map[oauth.EventKind]audit.Kind{
		oauth.EventLogin: audit.KindLogin, oauth.EventLogout: audit.KindLogout, oauth.EventLoginFailed: audit.KindLoginFailed,
		oauth.EventTokenIssued: audit.KindTokenIssued, oauth.EventTokenRevoked: audit.KindTokenRevoked,
	}
	kind, ok := kinds[e.Kind]
	if !ok {
		return
	}
	ev := audit.Event{Time: e.Time, Kind: kind, Outcome: audit.OutcomeSuccess,
		Agent:  audit.Agent{Who: e.FHIRUser, ClientID: e.ClientID, Requestor: true},
		Source: audit.Source{IP: e.SourceIP, UserAgent: e.UserAgent}}
	if e.SourceIP == "" { // issued outside the OAuth endpoints (an invitation session): the API request's source
		src := audit.SourceFrom(ctx)
		ev.Source.IP, ev.Source.UserAgent = src.IP, src.UserAgent
	}
	if e.Outcome != oauth.OutcomeSuccess {
		ev.Outcome, ev.OutcomeDesc = audit.OutcomeMinorFailure, e.Reason
	}
	switch e.SubjectKind {
	case auth.KindUser:
		ev.Agent.UserID, ev.Agent.Role = e.Subject, audit.Role(e.Role)
	case auth.KindClient:
		ev.Agent.Role, ev.Agent.ClientID = audit.RoleClient, e.Subject
	}
	if e.Patient != "" {
		ev.Patients = []string{"Patient/" + e.Patient}
	}
	a.Audit.Record(ctx, ev)
}

// Run starts the background work (key rotation and purges, e-mail
// delivery) until ctx ends.
func (a *App) Run(ctx context.Context) {
	a.wg.Add(2)
	go func() { defer a.wg.Done(); a.OAuth.Run(ctx) }()
	go func() {
		defer a.wg.Done()
		if err := a.Outbox.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.Logger.Error("notification worker stopped", "err", err)
		}
	}()
}

// Close flushes the audit trail and closes what Open opened, after the
// background work started by Run has stopped (cancel its context first).
func (a *App) Close() error {
	a.wg.Wait()
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	return errors.Join(errs...)
}

// System returns ctx acting as Housecall itself (demo data, tools).
func System(ctx context.Context, what string) context.Context {
	return auth.WithIdentity(ctx, auth.System(what))
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
