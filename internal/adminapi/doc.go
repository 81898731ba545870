// Package adminapi is the administration API under /v1/admin: user
// accounts (create, disable, enable, reset the second factor), OAuth
// clients (register, disable, enable) and webhook endpoints managed at run
// time. Only administrators may call it, and only through the clinic's own
// apps (first-party clients, or tokens made by `housecall admin token`):
// a third-party SMART app an administrator signs in to must not be able to
// manage accounts. Every call leaves an AuditEvent; passwords and secrets
// are never logged, audited or sent back (a new client's secret is shown
// once, in the answer that creates it).
package adminapi
