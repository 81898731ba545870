package storetest

import (
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/housecall/housecall/internal/store"
)

func init() {
	register("SearchIndexLifecycle", testSearchIndexLifecycle)
	register("SearchLastUpdated", testSearchLastUpdated)
	register("SearchInTx", testSearchInTx)
	register("SearchBulkPut", testSearchBulkPut)
}

func testSearchIndexLifecycle(f *fixture) {
	f.index("Patient", "p1", eStr("name", "Alice"), eTok("gender", "", "female", ""))
	f.index("Patient", "p2", eStr("name", "Bob"))
	f.expect("Patient", "name=alice", "p1")
	// An update replaces every entry: the old name no longer matches.
	f.index("Patient", "p1", eStr("name", "Alicia"), eDay("birthdate", "2000-01-01"))
	f.expect("Patient", "name=alice")
	f.expect("Patient", "name=alicia", "p1")
	f.expect("Patient", "gender=female")
	// Unsorted results come in the order of last change: p1 was updated.
	f.expect("Patient", "gender:missing=true", "p2", "p1")
	f.expect("Patient", "birthdate=2000", "p1")
	// A delete removes them; a re-create indexes again.
	f.mustWrite(del("Patient", "p1"))
	f.expect("Patient", "name=alicia")
	f.expect("Patient", "birthdate:missing=true", "p2")
	f.expect("Patient", "", "p2")
	f.index("Patient", "p1", eStr("name", "Alice"))
	f.expect("Patient", "name=ali", "p1")
	f.expect("Patient", "birthdate=2000")
}

func testSearchLastUpdated(f *fixture) {
	f.clock.Set(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	f.index("Patient", "p1")
	f.clock.Set(time.Date(2024, 5, 2, 12, 0, 0, 0, time.UTC))
	f.index("Patient", "p2")
	f.clock.Set(time.Date(2024, 5, 3, 12, 0, 0, 0, time.UTC))
	// An entry the caller should not have sent is ignored: the store owns it.
	f.index("Patient", "p3", eDay("_lastUpdated", "1999-01-01"))
	f.expect("Patient", "_lastUpdated=2024-05-02", "p2")
	f.expect("Patient", "_lastUpdated=ge2024-05-02", "p2", "p3")
	f.expect("Patient", "_lastUpdated=lt2024-05-02T12:00:00Z", "p1")
	f.expect("Patient", "_lastUpdated=1999")
	f.expect("Patient", "_sort=-_lastUpdated", "p3", "p2", "p1")
	// An update moves it.
	f.clock.Set(time.Date(2024, 5, 4, 12, 0, 0, 0, time.UTC))
	f.index("Patient", "p1")
	f.expect("Patient", "_lastUpdated=2024-05-01")
	f.expect("Patient", "_lastUpdated=2024-05-04", "p1")
}

var errRollback = errors.New("roll back")

func testSearchInTx(f *fixture) {
	f.index("Patient", "p1", eStr("name", "Alice"))
	f.index("Patient", "p2", eStr("name", "Bob"))
	err := f.s.InTx(f.ctx, func(tx store.Tx) error {
		if _, err := tx.Write(f.ctx, idxPut("Patient", "p3", eStr("name", "Alina"))); err != nil {
			return err
		}
		if _, err := tx.Write(f.ctx, idxPut("Patient", "p2", eStr("name", "Alfred"))); err != nil {
			return err
		}
		if _, err := tx.Write(f.ctx, del("Patient", "p1")); err != nil {
			return err
		}
		res := f.search(tx, "Patient", "name=al&_total=accurate", "")
		if got, want := idsOf(res.Matches), []string{"p3", "p2"}; !slices.Equal(got, want) || res.Total != 2 {
			f.t.Errorf("inside the transaction: %q (total %d), want %q", got, res.Total, want)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		f.t.Fatalf("InTx: %v", err)
	}
	f.expect("Patient", "name=al", "p1")
	f.expect("Patient", "name=bob", "p2")
	f.expect("Patient", "name=alfred")

	// Committed: the same writes are visible afterwards.
	err = f.s.InTx(f.ctx, func(tx store.Tx) error {
		if _, err := tx.Write(f.ctx, idxPut("Patient", "p3", eStr("name", "Alina"))); err != nil {
			return err
		}
		// Conditional create: search through the tx before writing.
		res := f.search(tx, "Patient", "name=alina", "")
		if len(res.Matches) != 1 {
			f.t.Errorf("tx search after write: %d matches", len(res.Matches))
		}
		return nil
	})
	if err != nil {
		f.t.Fatalf("InTx: %v", err)
	}
	f.expect("Patient", "name=al", "p1", "p3")
}

func testSearchBulkPut(f *fixture) {
	f.index("Patient", "old", eStr("name", "Old"))
	var ws []store.Write
	for i := range 300 {
		id := "b" + strconv.Itoa(i)
		ws = append(ws, idxPut("Patient", id, eStr("name", "Name"+strconv.Itoa(i%10)), eTok("gender", "", "other", "")))
	}
	// The same resource twice in one batch: only the last version counts.
	ws = append(ws, idxPut("Patient", "b0", eStr("name", "Zed")))
	ws = append(ws, idxPut("Patient", "old", eStr("name", "New")))
	ws = append(ws, del("Patient", "b1"))
	if _, err := f.s.BulkPut(f.ctx, ws); err != nil {
		f.t.Fatalf("bulk put: %v", err)
	}
	res := f.search(f.s, "Patient", "gender=other&_total=accurate&_count=5", "")
	if res.Total != 298 {
		f.t.Errorf("gender=other: total %d, want 298", res.Total)
	}
	f.expect("Patient", "name=zed", "b0")
	f.expect("Patient", "name=old")
	f.expect("Patient", "name=new", "old")
	f.expect("Patient", "name=name1&_count=3", "b11", "b21", "b31")
}
