// Package sqlsearch is the FHIR search engine shared by the sqlite and
// postgres stores: the layout of the search index tables, the conversion of
// search.Entry values into their rows, and the compilation of a typed
// search.Query into SQL, with paging, totals and _include/_revinclude. The
// two backends differ only in a small Dialect (placeholders, list
// parameters, substring tests) and a Runner that executes statements, so
// the search semantics are implemented once.
//
// Index layout. Each resource's current version owns its index rows, keyed
// by rid = the seq of that version (resource_versions' primary key). A write
// deletes the rows of the version it replaces and inserts the new ones; a
// delete only removes. So every rid found in an index table is a current,
// non-deleted version, a match is turned into its resource with one
// primary-key lookup, and no "is current" check is needed. Rows carry pid,
// a 31-bit hash of (resource type, parameter code) (see PID), instead of the
// two strings: it keeps rows and indexes small and puts the type into every
// index prefix. ord numbers the entries of one resource; it makes the key
// (rid, pid, ord) unique and ties the components of a composite entry
// together.
//
// Composite parameters have no table of their own: component i of a
// composite entry is stored in the table of its own kind under the pid of
// (type, code+"$"+i), with the ord of the composite entry, and a composite
// search joins the component rows on (rid, ord).
//
// _id is answered from the resources table and _id entries are not stored;
// _lastUpdated entries are written by the store (it assigns the time).
package sqlsearch
