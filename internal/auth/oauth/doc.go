// Package oauth is Housecall's OAuth 2.0 authorization server with the
// SMART App Launch 2.0 profile, and the bearer-token check every API
// request passes through.
//
// It implements the authorization code grant with PKCE (S256 only) behind
// a server-rendered sign-in (password, password plus authenticator code,
// or a one-time e-mail code for patients) and consent page; refresh tokens
// with rotation and reuse detection; the client credentials grant with a
// client secret or a private_key_jwt assertion (SMART Backend Services);
// revocation (RFC 7009), introspection (RFC 7662) and the discovery
// documents. Access tokens are RS256 JWTs (RFC 9068) signed by the
// rotating token.KeySet; refresh tokens, codes and session ids are opaque
// random values stored only as hashes.
//
// Why not ory/fosite: the grants SMART needs are few and exactly
// specified, and every part that is easy to get wrong (scope grammar and
// narrowing, JWT checks, password and code handling) already lives in the
// sibling packages scope, token and credential, tested on their own.
// fosite would bring its own storage interfaces, its own JWT stack and its
// own scope model, and the SMART-specific parts (launch context, fhirUser,
// aud checks, v1/v2 scopes) would still have to be written. What remains
// here is the protocol glue, kept in small files per endpoint.
//
// Where state lives: accounts, clients and keys in package account;
// sessions, codes, refresh tokens and access-token revocations in this
// package's own tables (component "oauth" in the same database). Nothing
// the server needs is held only in memory, so several nodes can serve one
// database; rate limits and short caches are per node.
//
// Nothing here logs tokens, codes, passwords, secrets or e-mail addresses.
package oauth
