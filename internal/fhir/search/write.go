package search

import (
	"fmt"

	"github.com/housecall/housecall/internal/fhir"
)

// ForWrite readies a validated resource to be stored as id, doing the work
// that needs no database lock: it drops the meta the store assigns
// (versionId, lastUpdated — the store also indexes _lastUpdated itself),
// extracts the search index entries and encodes the resource, so that the
// store's Stamp only splices in the version and time. It modifies res.
func (ix *Indexer) ForWrite(res map[string]any, id string) ([]Entry, *fhir.Prepared, error) {
	res["id"] = id
	if meta, ok := res["meta"].(map[string]any); ok {
		delete(meta, "versionId")
		delete(meta, "lastUpdated")
		if len(meta) == 0 {
			delete(res, "meta")
		}
	}
	entries, err := ix.Extract(res)
	if err != nil {
		return nil, nil, fmt.Errorf("indexing for search: %w", err)
	}
	p, err := fhir.Prepare(res, id)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding: %w", err)
	}
	return entries, p, nil
}
