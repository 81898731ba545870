// Package credential holds the secrets-handling logic of sign-in: password
// hashing (argon2id in PHC strings) and strength rules, TOTP second factors
// with replay protection, recovery codes, lockout schedules and the one-time
// codes patients receive by e-mail.
//
// Why a package of its own: these are the places where a small mistake (a
// non-constant-time comparison, a biased code, a replayable TOTP, a stored
// plaintext code) becomes an account takeover, so they are kept pure, small
// and exhaustively tested, apart from HTTP and storage. Randomness is always
// an io.Reader parameter (nil means crypto/rand) and time a parameter, so
// tests are deterministic. Nothing here logs, and no error message contains
// a password, code or secret.
package credential
