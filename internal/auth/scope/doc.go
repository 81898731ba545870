// Package scope parses, checks and negotiates SMART App Launch v2 OAuth
// scopes ("Scopes and Launch Context", SMART App Launch v2.0.0).
//
// The authorization server uses it twice: when a client asks for scopes
// (Parse, then Grant against what the client is registered for), and when
// the FHIR API checks an access token (Allows, Filters). Keeping the scope
// grammar and the narrowing rules in one pure package means the token
// endpoint and the access policy cannot disagree on what a scope means.
//
// Resource scopes are held in one canonical shape: SMART v1 permissions
// ("read", "write", "*") are converted to v2 "cruds" bit sets on parsing,
// and Set.String always prints the v2 form, sorted and deduplicated. Scopes
// that are not resource scopes (openid, fhirUser, launch/patient, custom
// scopes, ...) are kept verbatim; deciding which launch context to grant
// is the caller's job.
package scope
