// Package notify delivers messages to people (patient sign-in codes by
// e-mail today; invitations, webhooks and SMS later) through a persistent
// outbox.
//
// Why: a sign-in code or a visit invitation that is lost because the mail
// server was briefly down, or because the process restarted between the
// request and the send, is a patient who cannot reach their visit. So a
// message is first written to the notify_outbox table (in the caller's own
// transaction if it wants, EnqueueTx) and only then delivered by a
// background worker (Outbox.Run) that retries with jittered exponential
// backoff and gives up after MaxAttempts. Rows are claimed with a lease
// (claimed_until): on PostgreSQL with FOR UPDATE SKIP LOCKED, so several
// nodes can run workers without sending a row twice at the same time; on
// SQLite the store's single writer serialises claims.
//
// Delivery is at least once, not exactly once: if a node dies after the
// driver handed a message over but before the row was marked sent, another
// worker sends it again when the lease expires. Messages should therefore
// be harmless to receive twice.
//
// Privacy: message bodies may carry one-time codes or patient data.
// Messages marked Sensitive have their text and HTML blanked as soon as
// they are delivered (or finally fail), delivered and failed rows are
// deleted after Options.Retain, and the package logs only row ids,
// channels, attempt numbers and error classes — never addresses, subjects
// or bodies. The one exception is LogDriver, a development-only driver that
// prints whole messages to the log and must never be configured in
// production.
//
// Drivers: SMTP (smtp:// with mandatory STARTTLS when offered, smtps:// with
// implicit TLS) for the "email" channel; LogDriver for --dev.
package notify
