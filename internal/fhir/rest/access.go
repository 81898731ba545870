package rest

import (
	"context"
	"fmt"

	"github.com/housecall/housecall/internal/store"
)

// This file is the only place the Engine touches the store. Access control
// and audit hook in here: each method receives the request context, which
// carries the caller, and the type and id of what is touched.

// inTx runs fn in one store transaction.
func (e *Engine) inTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return e.store.InTx(ctx, fn)
}

// readCurrent reads the current version of typ/id through r (the store or a transaction).
func (e *Engine) readCurrent(ctx context.Context, r store.Reader, typ, id string) (*store.Resource, error) {
	if r == nil {
		r = e.store
	}
	res, err := r.Read(ctx, typ, id)
	return res, storeError(err, typ, id)
}

// readVersion reads one version of typ/id.
func (e *Engine) readVersion(ctx context.Context, r store.Reader, typ, id string, version int64) (*store.Resource, error) {
	if r == nil {
		r = e.store
	}
	res, err := r.VRead(ctx, typ, id, version)
	return res, storeError(err, typ, id+"/_history/"+itoa(version))
}

// historyPage reads a page of history.
func (e *Engine) historyPage(ctx context.Context, q store.HistoryQuery) (*store.HistoryPage, error) {
	page, err := e.store.History(ctx, q)
	return page, storeError(err, q.Type, q.ID)
}

// find runs a search through r (the store or a transaction).
func (e *Engine) find(ctx context.Context, r store.Reader, req store.SearchRequest) (*store.SearchResult, error) {
	if r == nil {
		r = e.store
	}
	res, err := r.Search(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("searching %s: %w", req.Query.Type, err)
	}
	return res, nil
}

// put writes one version inside tx.
func (e *Engine) put(ctx context.Context, tx store.Tx, w store.Write) (*store.Resource, error) {
	res, err := tx.Write(ctx, w)
	return res, storeError(err, w.Type, w.ID)
}
