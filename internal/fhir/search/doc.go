// Package search implements FHIR R4 search for Housecall.
//
// It has two halves that meet at the index tables:
//
//   - Indexing (index*.go): at write time, inside the same transaction as the
//     write, an Indexer evaluates every R4 SearchParameter expression of the
//     resource's type and turns the results into typed Entry values (string,
//     token, reference, date, number, quantity, uri, composite) that the store
//     writes into one table per parameter type.
//   - Querying (query*.go): parsing search URLs and turning them into SQL over
//     those tables.
//
// Entries are plain, SQL-friendly values (strings, int64 microseconds,
// float64 ranges) so that matching is done by the database with ordinary
// comparisons; all FHIR-specific interpretation (implicit precision of dates
// and decimals, reference forms, accent folding) happens here, once, at write
// time.
package search
