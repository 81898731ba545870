package adminapi

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/notify"
	"github.com/housecall/housecall/internal/store/opsql"
	"github.com/housecall/housecall/internal/telemed"
)

// Webhook is an endpoint registered at run time, as administrators see
// it: the URL's password masked, the signing secret never shown.
type Webhook struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Events are the event types delivered ("meeting.created", or a
	// prefix "meeting.*"); empty means all.
	Events      []string  `json:"events"`
	Description string    `json:"description"`
	Created     time.Time `json:"created"`
	HasSecret   bool      `json:"hasSecret"`
}

// NewWebhook is what Create needs.
type NewWebhook struct {
	// URL is http(s); user:password@ adds basic authentication.
	URL string
	// Secret, when set, signs deliveries (header Housecall-Signature).
	Secret      string
	Events      []string
	Description string
}

// Webhooks is the table of webhook endpoints managed at run time (the one
// of webhook_url stays in the configuration). Secrets and passwords are
// sealed with a key derived from the server secret.
type Webhooks struct {
	db         *opsql.DB
	aead       cipher.AEAD
	newID      func() (string, error)
	now        func() time.Time
	configured []telemed.Webhook
	// Client delivers (nil: telemed's default); tests replace it.
	Client *http.Client
}

var webhookSteps = []opsql.Step{{Version: 1, Name: "webhook endpoints",
	SQLite: `CREATE TABLE webhooks (
	id          TEXT    PRIMARY KEY,
	url         TEXT    NOT NULL UNIQUE,
	username    TEXT    NOT NULL DEFAULT '',
	password    TEXT    NOT NULL DEFAULT '',
	secret      TEXT    NOT NULL DEFAULT '',
	events      TEXT    NOT NULL DEFAULT '[]',
	description TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
)`,
	Postgres: `CREATE TABLE webhooks (
	id          text   PRIMARY KEY,
	url         text   NOT NULL UNIQUE,
	username    text   NOT NULL DEFAULT '',
	password    text   NOT NULL DEFAULT '',
	secret      text   NOT NULL DEFAULT '',
	events      text   NOT NULL DEFAULT '[]',
	description text   NOT NULL DEFAULT '',
	created_at  bigint NOT NULL
)`}}

// OpenWebhooks migrates the "webhooks" component and returns the table.
// configured are the endpoints of the configuration (webhook_url): their
// URLs cannot be registered again, and the delivery driver serves them
// too.
func OpenWebhooks(ctx context.Context, db *opsql.DB, acc *account.Accounts, configured []telemed.Webhook) (*Webhooks, error) {
	if db == nil || acc == nil {
		return nil, errors.New("adminapi: OpenWebhooks needs a database and the accounts")
	}
	block, err := aes.NewCipher(acc.MAC("webhook-secrets-v1", nil))
	if err != nil {
		return nil, fmt.Errorf("adminapi: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("adminapi: cipher: %w", err)
	}
	if err := db.Migrate(ctx, "webhooks", webhookSteps); err != nil {
		return nil, fmt.Errorf("adminapi: %w", err)
	}
	return &Webhooks{db: db, aead: aead, newID: acc.RandomID, now: acc.Now, configured: configured}, nil
}

// sealPrefix versions the sealed format.
const sealPrefix = "v1."

// seal encrypts a secret; purpose (row id and column) is authenticated, so
// a sealed value cannot be moved to another row.
func (w *Webhooks) seal(purpose, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, w.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("adminapi: nonce: %w", err)
	}
	return sealPrefix + base64.RawURLEncoding.EncodeToString(w.aead.Seal(nonce, nonce, []byte(plain), []byte(purpose))), nil
}

func (w *Webhooks) open(purpose, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, sealPrefix))
	if err != nil || !strings.HasPrefix(sealed, sealPrefix) || len(b) < w.aead.NonceSize() {
		return "", errors.New("adminapi: sealed webhook secret is malformed")
	}
	n := w.aead.NonceSize()
	plain, err := w.aead.Open(nil, b[:n], b[n:], []byte(purpose))
	if err != nil {
		return "", errors.New("adminapi: webhook secret does not decrypt (was secret_key changed?)")
	}
	return string(plain), nil
}

// eventRe is an event type or a prefix pattern ("meeting.*").
var eventRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,99}$|^[a-z0-9][a-z0-9_.-]{0,97}\.\*$`)

// maxEvents bounds an endpoint's event filter.
const maxEvents = 32

// splitURL checks an endpoint URL and separates its credentials.
func splitURL(raw string) (base, user, pass string, err error) {
	u, perr := url.Parse(strings.TrimSpace(raw))
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || len(raw) > 2000 {
		return "", "", "", errf(http.StatusBadRequest, "url must be an http(s) URL without a fragment")
	}
	user = u.User.Username()
	pass, _ = u.User.Password()
	u.User = nil
	return u.String(), user, pass, nil
}

// Create registers an endpoint.
func (w *Webhooks) Create(ctx context.Context, nw NewWebhook) (*Webhook, error) {
	base, user, pass, err := splitURL(nw.URL)
	if err != nil {
		return nil, err
	}
	for _, h := range w.configured {
		if h.URL == base {
			return nil, errf(http.StatusConflict, "this URL is the configured webhook_url")
		}
	}
	events := nw.Events
	if events == nil {
		events = []string{}
	}
	if len(events) > maxEvents {
		return nil, errf(http.StatusBadRequest, "at most %d event types", maxEvents)
	}
	for _, e := range events {
		if !eventRe.MatchString(e) {
			return nil, errf(http.StatusBadRequest, "event types are lower-case words with dots, or a prefix ending in .*")
		}
	}
	desc := strings.TrimSpace(nw.Description)
	if len(desc) > 500 || strings.ContainsFunc(desc, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return nil, errf(http.StatusBadRequest, "description must be at most 500 printable characters")
	}
	if len(nw.Secret) > 500 {
		return nil, errf(http.StatusBadRequest, "secret is longer than 500 bytes")
	}
	id, err := w.newID()
	if err != nil {
		return nil, err
	}
	sealedPass, err := w.seal(id+":password", pass)
	if err != nil {
		return nil, err
	}
	sealedSecret, err := w.seal(id+":secret", nw.Secret)
	if err != nil {
		return nil, err
	}
	ev, _ := json.Marshal(events)
	_, err = w.db.Exec(ctx, `INSERT INTO webhooks (id, url, username, password, secret, events, description, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, base, user, sealedPass, sealedSecret, string(ev), desc, w.now().UnixMilli())
	if opsql.IsUniqueViolation(err) {
		return nil, errf(http.StatusConflict, "a webhook with this URL exists")
	}
	if err != nil {
		return nil, fmt.Errorf("adminapi: creating webhook: %w", err)
	}
	return w.Get(ctx, id)
}

// row is a stored endpoint with its sealed values.
type row struct {
	Webhook
	base, user, pass, secret string
}

const webhookCols = `id, url, username, password, secret, events, description, created_at`

func scanWebhook(s interface{ Scan(...any) error }) (*row, error) {
	var (
		r       row
		events  string
		created int64
	)
	err := s.Scan(&r.ID, &r.base, &r.user, &r.pass, &r.secret, &events, &r.Description, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("adminapi: reading webhook: %w", err)
	}
	if err := json.Unmarshal([]byte(events), &r.Events); err != nil {
		return nil, fmt.Errorf("adminapi: reading webhook events: %w", err)
	}
	r.Created, r.HasSecret = time.UnixMilli(created).UTC(), r.secret != ""
	r.URL = r.base
	if r.user != "" {
		u, _ := url.Parse(r.base)
		u.User = url.User(r.user)
		if r.pass != "" {
			u.User = url.UserPassword(r.user, "xxxxx")
		}
		r.URL = u.String()
	}
	return &r, nil
}

func (w *Webhooks) rows(ctx context.Context) ([]*row, error) {
	rs, err := w.db.Query(ctx, `SELECT `+webhookCols+` FROM webhooks ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("adminapi: listing webhooks: %w", err)
	}
	defer rs.Close()
	var out []*row
	for rs.Next() {
		r, err := scanWebhook(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("adminapi: listing webhooks: %w", err)
	}
	return out, nil
}

// Get returns one endpoint or ErrNotFound.
func (w *Webhooks) Get(ctx context.Context, id string) (*Webhook, error) {
	r, err := scanWebhook(w.db.QueryRow(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE id = ?`, id))
	if err != nil {
		return nil, err
	}
	return &r.Webhook, nil
}

// deliveryURL is the URL an endpoint's deliveries are queued for (the
// outbox recipient the driver looks up).
func (w *Webhooks) deliveryURL(ctx context.Context, id string) (string, error) {
	r, err := scanWebhook(w.db.QueryRow(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE id = ?`, id))
	if err != nil {
		return "", err
	}
	return r.base, nil
}

// Endpoints returns every endpoint, oldest first, as administrators see
// them.
func (w *Webhooks) Endpoints(ctx context.Context) ([]*Webhook, error) {
	rs, err := w.rows(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Webhook, 0, len(rs))
	for _, r := range rs {
		out = append(out, &r.Webhook)
	}
	return out, nil
}

// Delete removes an endpoint; deliveries still queued for it fail
// without retry.
func (w *Webhooks) Delete(ctx context.Context, id string) error {
	res, err := w.db.Exec(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("adminapi: deleting webhook: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}

// target opens an endpoint's secrets for delivery.
func (w *Webhooks) target(r *row) (telemed.Webhook, error) {
	pass, err := w.open(r.ID+":password", r.pass)
	if err != nil {
		return telemed.Webhook{}, err
	}
	secret, err := w.open(r.ID+":secret", r.secret)
	if err != nil {
		return telemed.Webhook{}, err
	}
	h := telemed.Webhook{URL: r.base, Username: r.user, Password: pass}
	if secret != "" {
		h.Secret = []byte(secret)
	}
	return h, nil
}

// List returns every endpoint registered at run time as delivery targets
// (secrets included; not the configured webhook_url).
func (w *Webhooks) List(ctx context.Context) ([]telemed.Webhook, error) {
	return w.ForEvent(ctx, "")
}

// ForEvent returns the endpoints that want events of type typ ("" means
// every endpoint), as delivery targets.
func (w *Webhooks) ForEvent(ctx context.Context, typ string) ([]telemed.Webhook, error) {
	rs, err := w.rows(ctx)
	if err != nil {
		return nil, err
	}
	var out []telemed.Webhook
	for _, r := range rs {
		if typ != "" && !Wants(r.Events, typ) {
			continue
		}
		h, err := w.target(r)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// Wants reports whether an endpoint with this event filter receives
// events of type typ: an empty filter takes everything, "meeting.*" every
// type that starts with "meeting.".
func Wants(filter []string, typ string) bool {
	return len(filter) == 0 || slices.ContainsFunc(filter, func(f string) bool {
		if p, ok := strings.CutSuffix(f, "*"); ok {
			return strings.HasPrefix(typ, p)
		}
		return f == typ
	})
}

// Driver delivers the outbox's webhook channel to the configured endpoint
// and to those registered at run time, looked up when each message is
// sent: a deleted endpoint's queued messages fail without retry.
func (w *Webhooks) Driver() notify.Driver { return driver{w} }

type driver struct{ w *Webhooks }

func (d driver) Send(ctx context.Context, m notify.Message) error {
	hooks, err := d.w.List(ctx)
	if err != nil {
		return err // retried: the database may be back at the next attempt
	}
	// telemed's driver takes the last endpoint with the URL: the
	// configured one wins.
	hooks = append(hooks, d.w.configured...)
	return (&telemed.WebhookDriver{Hooks: hooks, Client: d.w.Client, Now: d.w.now}).Send(ctx, m)
}
