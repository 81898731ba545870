package audit

import (
	"context"
	"fmt"
	"slices"

	"github.com/housecall/housecall/internal/store"
)

// VerifyStore checks the whole audit trail in s: every AuditEvent in the
// order it was written, then the chain's end against the anchor kept in
// the operational table. It returns the report and, when the trail is not
// intact, an error naming the first broken link (errors.Is ErrBroken,
// ErrTruncated, ErrAnchorMismatch).
func VerifyStore(ctx context.Context, s store.Store) (Report, error) {
	type ver struct {
		id string
		v  int64
	}
	// History pages come newest first; the chain is read oldest first.
	var order []ver
	q := store.HistoryQuery{Type: "AuditEvent", Count: 1000}
	for {
		page, err := s.History(ctx, q)
		if err != nil {
			return Report{}, fmt.Errorf("audit verify: listing events: %w", err)
		}
		for _, r := range page.Versions {
			order = append(order, ver{r.ID, r.VersionID})
		}
		if page.Next == 0 {
			break
		}
		q.Before, q.AsOf = page.Next, page.AsOf
	}
	slices.Reverse(order)
	if err := s.Ops().Migrate(ctx, "audit", migrations); err != nil {
		return Report{}, err
	}
	anchor, err := Anchor(ctx, s.Ops())
	if err != nil {
		return Report{}, err
	}
	i := 0
	rep, err := Chain{Anchor: anchor}.Verify(func() ([]byte, bool, error) {
		if i >= len(order) {
			return nil, false, nil
		}
		o := order[i]
		i++
		r, err := s.VRead(ctx, "AuditEvent", o.id, o.v)
		if err != nil {
			return nil, false, err
		}
		return r.Body, true, nil
	})
	if err != nil {
		return rep, err
	}
	return rep, VerifyHead(rep, anchor)
}
