package search

import "sync"

// DefaultIndexer returns the process-wide indexer for the R4 search
// parameters, compiled on first use. Writers (the REST engine, the
// importer) share it so the expressions are compiled once.
var DefaultIndexer = sync.OnceValue(func() *Indexer {
	ix, err := NewIndexer(IndexerOptions{})
	if err != nil {
		// The expressions come from the generated definitions: a build defect.
		panic("compiling the R4 search parameters: " + err.Error())
	}
	return ix
})
