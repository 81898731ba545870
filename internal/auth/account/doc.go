// Package account keeps the people and programs that may sign in to
// Housecall: user accounts (password, second factor, one-time e-mail codes,
// lockout), OAuth clients (secret, JWKS or public), the replay cache for
// client assertions, and the server's token signing keys.
//
// Why one package: all of it is secret-bearing operational state that must
// never reach the FHIR store or a log, and all of it is protected by the
// same server key (Options.Secret). TOTP secrets and the signing key set
// are sealed with AES-256-GCM under a key derived from it, one-time codes
// are stored as HMACs under another derived key, and passwords and client
// secrets as argon2id hashes. The tables live beside the resource store
// through opsql (component "account") and work on SQLite and PostgreSQL.
//
// Sign-in never tells a caller whether an e-mail address has an account:
// an unknown address costs the same password hash as a known one and gets
// the same ErrBadCredentials, and StartCodeLogin answers an unknown address
// exactly like a known one (it just sends nothing). Only after the right
// password does a caller learn that an account is disabled or needs a
// second factor.
//
// Time and randomness come from Options so tests can replace them.
package account
