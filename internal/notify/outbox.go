package notify

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/housecall/housecall/internal/store/opsql"
)

// Channel names.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
	ChannelSMS     = "sms"
)

// Defaults for the zero fields of Options.
const (
	DefaultMaxAttempts = 12
	DefaultPoll        = time.Second
	DefaultRetain      = 7 * 24 * time.Hour
	DefaultSendTimeout = 30 * time.Second
)

var (
	// ErrInvalidMessage means Enqueue (or a driver) was given a message it
	// cannot deliver: no channel or recipient, line breaks in a header
	// field, text that is not UTF-8, a malformed address.
	ErrInvalidMessage = errors.New("notify: invalid message")
	// ErrNoDriver means no driver is configured for the message's channel.
	ErrNoDriver = errors.New("notify: no driver for channel")
	// ErrInsecureAuth means the SMTP server offered no TLS and the driver
	// refused to send credentials in the clear to a host that is not
	// loopback.
	ErrInsecureAuth = errors.New("notify: refusing SMTP AUTH over an unencrypted connection")
)

// Options configures an Outbox. Zero fields take the documented defaults.
type Options struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Drivers maps a channel ("email", later "webhook", "sms") to the
	// driver that sends its messages. Enqueue refuses channels without one.
	Drivers map[string]Driver
	// Logger receives ids, channels, attempt numbers and error classes,
	// never message contents; nil means slog.Default().
	Logger *slog.Logger
	// MaxAttempts is the number of sends tried before a message is marked
	// failed (default 12: with the default backoff, about 10 hours).
	MaxAttempts int
	// Backoff returns the delay before the next try after attempt number
	// attempt (1 after the first failure) failed; nil means DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// Poll is how often an idle worker looks for due messages enqueued by
	// other processes or scheduled for retry (default 1 s). Enqueue in this
	// process wakes the worker at once.
	Poll time.Duration
	// Retain is how long delivered and failed rows are kept (default 7
	// days).
	Retain time.Duration
	// SendTimeout bounds one driver call (default 30 s). A claim's lease
	// covers its whole batch of sends, so another worker takes a row over
	// only after its worker died or hung past the timeouts.
	SendTimeout time.Duration
}

// Message is one notification.
type Message struct {
	// ID is set by the Outbox when it hands the message to a Driver: the
	// outbox row id, stable across retries (a webhook can use it as an
	// idempotency key). Enqueue ignores it.
	ID int64
	// Channel selects the driver: "email"; later "webhook", "sms".
	Channel string
	// To is the recipient: an RFC 5322 address for e-mail ("a@b.example" or
	// "Name <a@b.example>").
	To string
	// Subject is the e-mail subject (any UTF-8; encoded as needed).
	Subject string
	// Text is the plain-text body.
	Text string
	// HTML is an optional HTML alternative of Text.
	HTML string
	// Headers are extra header fields (e-mail: e.g. Reply-To,
	// List-Unsubscribe). Fields the driver writes itself are refused.
	Headers map[string]string
	// Sensitive bodies (one-time codes, patient data) are blanked in the
	// outbox as soon as the message is delivered or finally fails.
	Sensitive bool
	// DedupKey, when set, makes a second Enqueue with the same key a no-op
	// that returns the first message's id (for as long as that row is
	// retained).
	DedupKey string
}

// Outbox is the persistent queue and its worker. Its methods are safe for
// concurrent use; several Outboxes (in one or several processes) may share
// a database.
type Outbox struct {
	db          *opsql.DB
	now         func() time.Time
	drivers     map[string]Driver
	log         *slog.Logger
	maxAttempts int
	backoff     func(int) time.Duration
	poll        time.Duration
	retain      time.Duration
	sendTimeout time.Duration

	wake      chan struct{}
	node      string       // random prefix of claim tokens
	claimSeq  atomic.Int64 // suffix of claim tokens
	lastPrune atomic.Int64 // unix ms of the last prune by Run
}

// Open migrates the outbox tables (component "notify") and returns an
// Outbox on db. It does not start the worker: call Run.
func Open(ctx context.Context, db *opsql.DB, opts Options) (*Outbox, error) {
	if db == nil || db.W == nil || db.R == nil {
		return nil, errors.New("notify: open: no database")
	}
	if err := db.Migrate(ctx, "notify", migrations); err != nil {
		return nil, fmt.Errorf("notify: open: %w", err)
	}
	o := &Outbox{
		db:          db,
		now:         opts.Now,
		drivers:     maps.Clone(opts.Drivers),
		log:         opts.Logger,
		maxAttempts: opts.MaxAttempts,
		backoff:     opts.Backoff,
		poll:        opts.Poll,
		retain:      opts.Retain,
		sendTimeout: opts.SendTimeout,
		wake:        make(chan struct{}, 1),
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.drivers == nil {
		o.drivers = map[string]Driver{}
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.maxAttempts <= 0 {
		o.maxAttempts = DefaultMaxAttempts
	}
	if o.backoff == nil {
		o.backoff = DefaultBackoff
	}
	if o.poll <= 0 {
		o.poll = DefaultPoll
	}
	if o.retain <= 0 {
		o.retain = DefaultRetain
	}
	if o.sendTimeout <= 0 {
		o.sendTimeout = DefaultSendTimeout
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	o.node = hex.EncodeToString(b[:])
	return o, nil
}

// Row states.
const (
	statusPending = "pending"
	statusSent    = "sent"
	statusFailed  = "failed"
)

const sqlInsert = `INSERT INTO notify_outbox
	(channel, recipient, subject, body_text, body_html, headers, sensitive, dedup_key,
	 status, attempts, next_attempt, claimed_until, claim, last_error, created_at, done_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, 0, '', '', ?, 0)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id`

// querier is what Enqueue needs from a *opsql.DB writer or an *opsql.Tx.
type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

// writer adapts the DB's writer for queries: opsql.DB.QueryRow reads from
// the reader pool, which on SQLite is query-only.
type writer struct{ db *opsql.DB }

func (w writer) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return w.db.W.QueryRowContext(ctx, w.db.Rebind(q), args...)
}

// Enqueue stores m for delivery and wakes this process's worker. With a
// DedupKey already present it stores nothing and returns the existing id.
// Inside an opsql.DB.InTx callback use EnqueueTx instead: on SQLite the
// writer connection is held by that transaction.
func (o *Outbox) Enqueue(ctx context.Context, m Message) (int64, error) {
	id, err := o.enqueue(ctx, writer{o.db}, m)
	if err != nil {
		return 0, err
	}
	o.Wake()
	return id, nil
}

// EnqueueTx stores m in the caller's transaction, so the message exists if
// and only if the caller's own write commits. The worker is not woken (the
// row is invisible until commit): call Wake after committing, or the next
// poll picks it up.
func (o *Outbox) EnqueueTx(ctx context.Context, tx *opsql.Tx, m Message) (int64, error) {
	if tx == nil {
		return 0, errors.New("notify: enqueue: nil transaction")
	}
	return o.enqueue(ctx, tx, m)
}

// Wake makes a running worker look for due messages now.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *Outbox) enqueue(ctx context.Context, q querier, m Message) (int64, error) {
	if err := o.validate(m); err != nil {
		return 0, err
	}
	headers := "{}"
	if len(m.Headers) > 0 {
		b, err := json.Marshal(m.Headers)
		if err != nil {
			return 0, fmt.Errorf("notify: enqueue: headers: %w", err)
		}
		headers = string(b)
	}
	var dedup any
	if m.DedupKey != "" {
		dedup = m.DedupKey
	}
	now := o.now().UnixMilli()
	var id int64
	err := q.QueryRow(ctx, sqlInsert, m.Channel, m.To, m.Subject, m.Text, m.HTML, headers,
		boolInt(m.Sensitive), dedup, now, now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) && dedup != nil {
		err = q.QueryRow(ctx, "SELECT id FROM notify_outbox WHERE dedup_key = ?", dedup).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("notify: enqueue %s message: %w", m.Channel, err)
	}
	return id, nil
}

// validate rejects what cannot be stored portably or sent safely. Error
// messages name the field, never its value.
func (o *Outbox) validate(m Message) error {
	if m.Channel == "" {
		return fmt.Errorf("%w: no channel", ErrInvalidMessage)
	}
	if _, ok := o.drivers[m.Channel]; !ok {
		return fmt.Errorf("%w %q", ErrNoDriver, m.Channel)
	}
	if strings.TrimSpace(m.To) == "" {
		return fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	}
	for _, f := range []struct {
		name, v string
		line    bool // a header field: no line breaks
	}{
		{"channel", m.Channel, true}, {"recipient", m.To, true}, {"subject", m.Subject, true},
		{"text", m.Text, false}, {"HTML", m.HTML, false}, {"dedup key", m.DedupKey, true},
	} {
		if err := checkText(f.name, f.v, f.line); err != nil {
			return err
		}
	}
	for k, v := range m.Headers {
		if err := checkText("header name", k, true); err != nil {
			return err
		}
		if k == "" || strings.ContainsAny(k, ": \t") {
			return fmt.Errorf("%w: malformed header name", ErrInvalidMessage)
		}
		if err := checkText("header "+k, v, true); err != nil {
			return err
		}
	}
	return nil
}

// checkText accepts valid UTF-8 without NUL (PostgreSQL text cannot hold
// either), and for header fields no CR or LF (header injection).
func checkText(name, v string, line bool) error {
	if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("%w: %s is not UTF-8 text", ErrInvalidMessage, name)
	}
	if line && strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("%w: line break in %s", ErrInvalidMessage, name)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Stats counts the messages waiting for delivery (including those being
// sent and those waiting for a retry) and the failed ones still retained.
func (o *Outbox) Stats(ctx context.Context) (pending, failed int64, err error) {
	rows, err := o.db.Query(ctx, "SELECT status, COUNT(*) FROM notify_outbox WHERE status <> ? GROUP BY status", statusSent)
	if err != nil {
		return 0, 0, fmt.Errorf("notify: stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return 0, 0, fmt.Errorf("notify: stats: %w", err)
		}
		switch st {
		case statusPending:
			pending = n
		case statusFailed:
			failed = n
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("notify: stats: %w", err)
	}
	return pending, failed, nil
}

// migrations are append-only. Times are Unix milliseconds (portable and
// comparable in both dialects); sensitive is 0/1.
var migrations = []opsql.Step{
	{
		Version: 1, Name: "outbox",
		SQLite: `CREATE TABLE notify_outbox (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	channel       TEXT    NOT NULL,
	recipient     TEXT    NOT NULL,
	subject       TEXT    NOT NULL,
	body_text     TEXT    NOT NULL,
	body_html     TEXT    NOT NULL,
	headers       TEXT    NOT NULL,
	sensitive     INTEGER NOT NULL,
	dedup_key     TEXT    UNIQUE,
	status        TEXT    NOT NULL,
	attempts      INTEGER NOT NULL,
	next_attempt  INTEGER NOT NULL,
	claimed_until INTEGER NOT NULL,
	claim         TEXT    NOT NULL,
	last_error    TEXT    NOT NULL,
	created_at    INTEGER NOT NULL,
	done_at       INTEGER NOT NULL
)`,
		Postgres: `CREATE TABLE notify_outbox (
	id            bigint   GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	channel       text     NOT NULL,
	recipient     text     NOT NULL,
	subject       text     NOT NULL,
	body_text     text     NOT NULL,
	body_html     text     NOT NULL,
	headers       text     NOT NULL,
	sensitive     smallint NOT NULL,
	dedup_key     text     UNIQUE,
	status        text     NOT NULL,
	attempts      integer  NOT NULL,
	next_attempt  bigint   NOT NULL,
	claimed_until bigint   NOT NULL,
	claim         text     NOT NULL,
	last_error    text     NOT NULL,
	created_at    bigint   NOT NULL,
	done_at       bigint   NOT NULL
)`,
	},
	{
		Version: 2, Name: "outbox due index",
		SQLite:   `CREATE INDEX notify_outbox_due ON notify_outbox (next_attempt) WHERE status = 'pending'`,
		Postgres: `CREATE INDEX notify_outbox_due ON notify_outbox (next_attempt) WHERE status = 'pending'`,
	},
	{
		Version: 3, Name: "outbox done index",
		SQLite:   `CREATE INDEX notify_outbox_done ON notify_outbox (done_at) WHERE status <> 'pending'`,
		Postgres: `CREATE INDEX notify_outbox_done ON notify_outbox (done_at) WHERE status <> 'pending'`,
	},
}
