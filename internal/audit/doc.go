// Package audit turns accesses to patient data into FHIR R4 AuditEvent
// resources and links them into a tamper-evident hash chain.
//
// Why: a health record system must be able to show who saw or changed what,
// and an administrator with database access must not be able to quietly
// rewrite that history. Every event therefore carries the SHA-256 of its
// predecessor, so editing, deleting or re-ordering stored events breaks the
// chain at a point Verify can name; truncating the tail is caught by
// comparing with a head stored elsewhere (VerifyHead). The hashes are not
// keyed: someone who can rewrite every event after a point can also
// recompute the chain, which only an anchored head kept out of their reach
// detects.
//
// The package is pure logic: Event.Resource builds the resource, Chain.Seal
// stamps the chain extension onto it before the caller stores it, and
// Chain.Verify reads stored bodies back in chain order. Storage, sequence
// allocation and the access policy belong to the caller.
//
// Canonical form hashed by the chain (version "housecall-audit-v1"):
//
//	SHA-256( "housecall-audit-v1\n" + seq + "\n" + prev + "\n" + canonical JSON )
//
// where seq is the decimal sequence number, prev the lower-case hex hash of
// the previous event (64 zeros for the first), and the canonical JSON is the
// resource without "id" and "meta" and without the chain extension's "hash"
// sub-extension, written as: object keys sorted by their UTF-8 bytes; no
// whitespace; arrays in order; strings as their UTF-8 text with only '"',
// '\' and control characters below U+0020 escaped (\b \f \n \r \t, other
// controls as \u00xx in lower-case hex); numbers exactly as written in the
// stored JSON (decoded as json.Number, never through float64); true, false
// and null as literals. Because the form depends only on values, a stored
// body re-hashes identically whatever its key order or whitespace.
package audit
