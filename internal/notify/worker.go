package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/housecall/housecall/internal/store/opsql"
)

// claimBatch is how many rows one claim takes. The lease covers the sends
// of the whole batch, so a small batch keeps rows of a dead worker from
// waiting long.
const claimBatch = 8

// pruneEvery is how often Run deletes rows past Options.Retain.
const pruneEvery = time.Hour

// DefaultBackoff waits 10 s after the first failure and doubles after each
// further one, capped at 1 h, each delay jittered by ±20 % so that
// messages that failed together do not retry in lockstep.
func DefaultBackoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Run delivers due messages until ctx is done, then returns nil. It wakes when Enqueue is called in this
// process and otherwise every Options.Poll; once an hour it deletes
// delivered and failed rows older than Options.Retain. A send in progress
// when ctx ends is finished (bounded by SendTimeout) and recorded. Several
// Runs, in one process or many, may share the database.
func (o *Outbox) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-o.wake:
		case <-timer.C:
		}
		if err := o.deliverDue(ctx); err != nil && ctx.Err() == nil {
			o.log.Warn("notify: delivery pass failed", "err", err)
		}
		if last := o.lastPrune.Load(); ctx.Err() == nil && o.now().UnixMilli()-last >= pruneEvery.Milliseconds() {
			o.lastPrune.Store(o.now().UnixMilli())
			if n, err := o.prune(ctx); err != nil {
				o.log.Warn("notify: prune failed", "err", err)
			} else if n > 0 {
				o.log.Info("notify: pruned old messages", "count", n)
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(o.poll)
	}
}

// Flush delivers every message due now (including retries whose time has
// come) and returns when none is left, for tests and shutdown. Messages
// that fail are rescheduled as by Run, not retried in the same Flush
// unless Backoff returns zero.
func (o *Outbox) Flush(ctx context.Context) error {
	if err := o.deliverDue(ctx); err != nil {
		return err
	}
	return ctx.Err()
}

// deliverDue claims and sends batches until nothing is due or ctx ends.
func (o *Outbox) deliverDue(ctx context.Context) error {
	for ctx.Err() == nil {
		batch, claim, err := o.claim(ctx)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for i, r := range batch {
			if ctx.Err() != nil {
				// Shutting down: hand the unsent rest back at once
				// rather than after the lease.
				o.release(batch[i:], claim)
				return nil
			}
			o.deliver(ctx, r, claim)
		}
	}
	return nil
}

// release gives up the claim on rows this worker will not send.
func (o *Outbox) release(rows []row, claim string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, r := range rows {
		if _, err := o.db.Exec(ctx, "UPDATE notify_outbox SET claimed_until = 0, claim = '' WHERE id = ? AND claim = ?", r.ID, claim); err != nil {
			o.log.Warn("notify: cannot release claim; the message waits for its lease to end", "id", r.ID, "err", err)
		}
	}
}

// row is a claimed outbox row.
type row struct {
	Message
	attempts int
}

const rowCols = `id, channel, recipient, subject, body_text, body_html, headers, sensitive, attempts`

// claim leases up to claimBatch due rows to this worker. On PostgreSQL the
// inner SELECT skips rows another transaction is claiming, and the
// re-checked WHERE drops rows whose claim committed meanwhile; on SQLite
// the write transaction excludes other claimers.
func (o *Outbox) claim(ctx context.Context) ([]row, string, error) {
	now := o.now().UnixMilli()
	lease := now + (claimBatch*o.sendTimeout + time.Minute).Milliseconds()
	claim := o.node + "-" + strconv.FormatInt(o.claimSeq.Add(1), 10)
	lock := ""
	if o.db.Dialect == opsql.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	q := `UPDATE notify_outbox SET claimed_until = ?, claim = ?
WHERE id IN (SELECT id FROM notify_outbox
	WHERE status = 'pending' AND next_attempt <= ? AND claimed_until <= ?
	ORDER BY next_attempt, id LIMIT ?` + lock + `)
RETURNING ` + rowCols
	var batch []row
	err := o.db.InTx(ctx, func(tx *opsql.Tx) error {
		rows, err := tx.Query(ctx, q, lease, claim, now, now, claimBatch)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r row
			var headers string
			var sensitive int64
			if err := rows.Scan(&r.ID, &r.Channel, &r.To, &r.Subject, &r.Text, &r.HTML, &headers, &sensitive, &r.attempts); err != nil {
				return err
			}
			r.Sensitive = sensitive != 0
			if headers != "" && headers != "{}" {
				if err := json.Unmarshal([]byte(headers), &r.Headers); err != nil {
					return fmt.Errorf("row %d headers: %w", r.ID, err)
				}
			}
			batch = append(batch, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", fmt.Errorf("notify: claim: %w", err)
	}
	slices.SortFunc(batch, func(a, b row) int { return cmp.Compare(a.ID, b.ID) })
	return batch, claim, nil
}

// deliver sends one claimed row and records the outcome. The send and the
// record are detached from ctx's cancellation so that a shutdown neither
// aborts a send halfway nor leaves the row claimed until its lease ends.
func (o *Outbox) deliver(ctx context.Context, r row, claim string) {
	ctx = context.WithoutCancel(ctx)
	attempt := r.attempts + 1
	var err error
	if d, ok := o.drivers[r.Channel]; !ok {
		err = fmt.Errorf("%w %q", ErrNoDriver, r.Channel)
	} else {
		sctx, cancel := context.WithTimeout(ctx, o.sendTimeout)
		err = safeSend(sctx, d, r.Message)
		cancel()
	}
	now := o.now().UnixMilli()
	var res stateChange
	switch {
	case err == nil:
		res = stateChange{status: statusSent, doneAt: now}
	case IsPermanent(err) || attempt >= o.maxAttempts:
		res = stateChange{status: statusFailed, doneAt: now, lastErr: err.Error()}
	default:
		res = stateChange{status: statusPending, next: now + max(o.backoff(attempt), 0).Milliseconds(), lastErr: err.Error()}
	}
	ok, dbErr := o.record(ctx, r, claim, attempt, res)
	attrs := []any{"id", r.ID, "channel", r.Channel, "attempt", attempt}
	if err != nil {
		attrs = append(attrs, "class", ErrorClass(err))
	}
	switch {
	case dbErr != nil:
		// The row stays claimed; it is retried when the lease ends.
		o.log.Error("notify: cannot record delivery outcome", append(attrs, "err", dbErr)...)
	case !ok:
		o.log.Warn("notify: lease lost before the outcome was recorded; the message may be sent twice", attrs...)
	case res.status == statusSent:
		o.log.Info("notify: message sent", attrs...)
	case res.status == statusFailed:
		o.log.Warn("notify: message failed permanently", attrs...)
	default:
		o.log.Info("notify: send failed, will retry", append(attrs, "retry_in", time.Duration(res.next-now)*time.Millisecond)...)
	}
}

// safeSend keeps a panicking driver from killing the worker.
func safeSend(ctx context.Context, d Driver, m Message) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("notify: driver panicked: %v", p)
		}
	}()
	return d.Send(ctx, m)
}

type stateChange struct {
	status  string
	next    int64 // pending: when to try again
	doneAt  int64 // sent, failed
	lastErr string
}

// maxErrLen bounds last_error.
const maxErrLen = 1000

// record stores the outcome of attempt if this worker still holds the
// claim; it reports false if the lease was lost to another worker.
func (o *Outbox) record(ctx context.Context, r row, claim string, attempt int, c stateChange) (bool, error) {
	lastErr := c.lastErr
	if len(lastErr) > maxErrLen {
		lastErr = lastErr[:maxErrLen]
		for !utf8.ValidString(lastErr) {
			lastErr = lastErr[:len(lastErr)-1]
		}
	}
	blank := c.status != statusPending
	res, err := o.db.Exec(ctx, `UPDATE notify_outbox SET status = ?, attempts = ?, next_attempt = ?, done_at = ?,
	last_error = ?, claimed_until = 0, claim = '',
	body_text = CASE WHEN sensitive <> 0 AND ? <> 0 THEN '' ELSE body_text END,
	body_html = CASE WHEN sensitive <> 0 AND ? <> 0 THEN '' ELSE body_html END
WHERE id = ? AND claim = ?`,
		c.status, attempt, c.next, c.doneAt, lastErr, boolInt(blank), boolInt(blank), r.ID, claim)
	if err != nil {
		return false, fmt.Errorf("notify: record outcome of message %d: %w", r.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("notify: record outcome of message %d: %w", r.ID, err)
	}
	return n == 1, nil
}

// prune deletes delivered and failed rows whose outcome is older than
// Retain.
func (o *Outbox) prune(ctx context.Context) (int64, error) {
	cutoff := o.now().Add(-o.retain).UnixMilli()
	res, err := o.db.Exec(ctx, "DELETE FROM notify_outbox WHERE status <> 'pending' AND done_at < ?", cutoff)
	if err != nil {
		return 0, fmt.Errorf("notify: prune: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("notify: prune: %w", err)
	}
	return n, nil
}
