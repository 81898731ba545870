package sqlsearch

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/storeutil"
)

// DefaultCount is the page size of a query that has none (Query.Count < 0).
const DefaultCount = 100

// probeLimit caps the rows counted when probing a clause's selectivity: a
// clause matching more than this many resources is a poor driver anyway.
const probeLimit = 1000

// Search runs one page of a search. now is the store's clock, read only
// when a date uses the ap prefix.
func Search(ctx context.Context, d Dialect, r Runner, now func() time.Time, req store.SearchRequest) (*store.SearchResult, error) {
	q := req.Query
	if q == nil || !fhir.IsResourceType(q.Type) {
		return nil, fmt.Errorf("%w: search needs a parsed query on a known resource type", storeutil.ErrInvalid)
	}
	c := &compiler{d: d, now: now, access: req.Access}
	conds := make([]cond, 0, len(q.Clauses)+1)
	for _, cl := range q.Clauses {
		cd, err := c.compile(cl, "v.seq")
		if err != nil {
			return nil, fmt.Errorf("search %s: %s: %w", q.Type, cl.Name, err)
		}
		conds = append(conds, cd)
	}
	c.mergeDates(q, conds)
	if cd, ok := c.restrictCond(q.Type, "v.seq"); ok {
		conds = append(conds, cd)
	}
	if cp := req.Compartment; cp != nil {
		cd, err := c.compartment(q.Type, cp.Type, []string{cp.ID}, cp.Params, "v.seq")
		if err != nil {
			return nil, fmt.Errorf("search %s in compartment %s: %w", q.Type, cp.Type, err)
		}
		conds = append(conds, cd)
	}
	driver, err := chooseDriver(ctx, d, r, conds)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", q.Type, err)
	}
	base := baseFrom(d, q.Type, conds, driver)

	res := &store.SearchResult{Total: -1}
	if q.Total == search.TotalAccurate || q.Total == search.TotalEstimate || q.Summary == search.SummaryCount {
		if res.Total, err = total(ctx, d, r, base, setOnly(conds, driver), q.Total == search.TotalEstimate && q.Summary != search.SummaryCount); err != nil {
			return nil, fmt.Errorf("search %s: total: %w", q.Type, err)
		}
	}
	if q.Summary == search.SummaryCount || q.Count == 0 {
		return res, nil
	}
	count := q.Count
	if count < 0 {
		count = DefaultCount
	}
	keys, err := c.sortKeys(q)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", q.Type, err)
	}
	var cur *cursor
	if req.Cursor != "" {
		if cur, err = decodeCursor(req.Cursor, q, keys); err != nil {
			return nil, fmt.Errorf("search %s: %w", q.Type, err)
		}
	}
	var rows []KeyRow
	scan := nestedDriver(conds, driver) && len(keys) == 0 && (cur == nil || !cur.Prev)
	if scan {
		// A small inner set makes the nested set cheap to compute, and a
		// scan would test candidates that cannot match.
		n, err := countUpTo(ctx, d, r, *conds[driver].inner, InnerProbe)
		if err != nil {
			return nil, fmt.Errorf("search %s: probe: %w", q.Type, err)
		}
		scan = n >= int64(InnerProbe)
	}
	if scan {
		rows, err = scanPage(ctx, d, r, q.Type, conds, base, cur, count, conds[driver].window(count))
	} else {
		rows, err = page(ctx, d, r, base, keys, cur, count)
	}
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", q.Type, err)
	}
	reverse := cur != nil && cur.Prev
	more := len(rows) > count
	if more {
		rows = rows[:count]
	}
	if reverse {
		slices.Reverse(rows)
	}
	fp := fingerprint(q)
	mk := func(row KeyRow, prev bool) string {
		return encodeCursor(cursor{Prev: prev, Keys: row.Keys, Seq: row.Seq, FP: fp})
	}
	switch {
	case len(rows) == 0 && cur != nil:
		// Nothing left on this side (the rows were deleted meanwhile): the
		// way back starts at the cursor row itself.
		back := *cur
		back.Prev, back.Incl = !cur.Prev, true
		if reverse {
			res.Next = encodeCursor(back)
		} else {
			res.Prev = encodeCursor(back)
		}
	case len(rows) > 0:
		first, last := rows[0], rows[len(rows)-1]
		if (!reverse && more) || reverse {
			res.Next = mk(last, false)
		}
		if (reverse && more) || (!reverse && cur != nil) {
			res.Prev = mk(first, true)
		}
	}
	seqs := make([]int64, len(rows))
	for i, row := range rows {
		seqs[i] = row.Seq
	}
	found, err := fetch(ctx, d, r, seqs)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", q.Type, err)
	}
	res.Matches = make([]store.Resource, 0, len(found))
	for _, row := range found {
		res.Matches = append(res.Matches, row.Res)
	}
	if len(q.Include) > 0 || len(q.RevInclude) > 0 {
		if res.Included, err = includes(ctx, d, r, q, found, c); err != nil {
			return nil, fmt.Errorf("search %s: include: %w", q.Type, err)
		}
	}
	return res, nil
}

// chooseDriver picks the clause whose rid set drives the query, -1 for
// none (the query then scans the type's current resources).
func chooseDriver(ctx context.Context, d Dialect, r Runner, conds []cond) (int, error) {
	best, bestRank := -1, rankNested+1
	var probes []int
	for i, cd := range conds {
		if cd.set == nil {
			continue
		}
		if cd.rank < bestRank {
			best, bestRank = i, cd.rank
		}
		if cd.rank == rankProbe {
			probes = append(probes, i)
		}
	}
	if bestRank != rankProbe || len(probes) < 2 || !d.ProbeDrivers() {
		return best, nil
	}
	var bestN int64 = -1
	for _, i := range probes {
		n, err := countUpTo(ctx, d, r, *conds[i].set, probeLimit)
		if err != nil {
			return 0, fmt.Errorf("probe: %w", err)
		}
		if bestN < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	return best, nil
}

// countUpTo counts the rows of set, stopping at limit: a probe of its size.
func countUpTo(ctx context.Context, d Dialect, r Runner, set frag, limit int) (int64, error) {
	return r.Int(ctx, d.Rebind("SELECT COUNT(*) FROM ("+set.sql+" LIMIT "+strconv.Itoa(limit)+") p"), set.args)
}

// baseFrom is "FROM ... WHERE ..." over alias v (columns seq and id) of
// every match: driven by one clause's rid set, or by the resources table.
// A set holds only current versions of the searched type, so the versions
// table is reached through its (type, seq) index: a page that weighs a
// thousand candidates (a patient's encounters sorted by date) then reads a
// few dense index pages instead of a table page per candidate, each holding
// a body or two. Only _sort=_id reads the table, for v.id.
func baseFrom(d Dialect, typ string, conds []cond, driver int) frag {
	var parts []frag
	if driver >= 0 {
		s := conds[driver].set
		parts = append(parts, frag{"FROM resource_versions v" + d.VersionsByType() + " WHERE v.type = ? AND v.seq IN (" + s.sql + ")", append([]any{typ}, s.args...)})
	} else {
		parts = append(parts, f("FROM resources v WHERE v.type = ? AND v.deleted = "+d.False(), typ))
	}
	for i, cd := range conds {
		if i != driver {
			parts = append(parts, cd.filter)
		}
	}
	return join(" AND ", parts)
}

// setOnly returns the driver's rid set when it is the whole query (no other
// clause filters it), else nil.
func setOnly(conds []cond, driver int) *frag {
	if driver < 0 || len(conds) != 1 {
		return nil
	}
	return conds[driver].set
}

// total counts the matches. A query that is one clause's rid set is counted
// on the index alone: its rows exist only for current resources of the
// searched type, so the versions table need not be visited per match. A
// resource can hold several matching index rows, so its rids are counted
// once each: COUNT(DISTINCT) sorts them, where a DISTINCT subquery made
// PostgreSQL build a hash table (the 29,680 conditions of the commonest
// code: 13–20 ms against 4–6 ms).
func total(ctx context.Context, d Dialect, r Runner, base frag, set *frag, estimate bool) (int64, error) {
	if estimate {
		n, ok, err := r.Estimate(ctx, d.Rebind("SELECT 1 "+base.sql), base.args)
		if err != nil || ok {
			return n, err
		}
	}
	if set != nil {
		return r.Int(ctx, d.Rebind("WITH s(rid) AS ("+set.sql+") SELECT COUNT(DISTINCT rid) FROM s"), set.args)
	}
	return r.Int(ctx, d.Rebind("SELECT COUNT(*) "+base.sql), base.args)
}

// ScanWindow is how many resources of the searched type a page driven by a
// chain examines in seq order before it computes the nested set instead
// (see scanPage), and the most a page driven by _has examines. A variable
// so that tests can cross the boundary with little data.
var ScanWindow = 2000

// InnerProbe is the size from which the inner set of a chain or _has is
// worth a scan: computing the nested set costs a few index probes per
// inner resource (a _has: the resource it points at; a chain: the id of
// the resource reached, then the references to it), a scan a window of
// candidates times a few probes each. A variable so that tests can make
// every nested search scan, or none.
var InnerProbe = 4096

// chainWindow is the scan window of a chain: testing a candidate costs a
// few probes whatever the data, and the nested set it would otherwise
// compute is large (InnerProbe resources or more of the middle hop).
func chainWindow(int) int { return ScanWindow }

// hasWindow is the window of a page of count driven by a _has whose inner
// set is large: four pages' worth, at least 64. Testing a candidate there
// walks every resource that points at it (a patient's hundreds of
// conditions), so the window is a small bet that matches are dense (a
// quarter of the type or more); past it the nested set is computed.
// Matches come in clumps (one patient's resources are written together),
// so the density a window sees does not predict the next one, and no
// second window is tried.
func hasWindow(count int) int {
	return min(ScanWindow, max(4*(count+1), 64))
}

// liveFrom is "resources <alias> WHERE" the live resources of one type
// (the first "?"), read through the live index by seq.
func liveFrom(d Dialect, alias string) string {
	return "resources " + alias + d.LiveBySeq() + " WHERE " + alias + ".type = ? AND " + alias + ".deleted = " + d.False()
}

func nestedDriver(conds []cond, driver int) bool {
	return driver >= 0 && conds[driver].rank == rankNested
}

// scanPage reads a page (in seq order) of a query whose best driver is a
// chain or _has. Such a set is often huge — every encounter of everyone
// who shares a name — while a page needs only count+1 matches, which are
// dense when the set is huge. So the page first walks the next window
// current resources of the type in seq order, testing every clause as a
// filter, and stops as soon as the page is full; only when the window runs
// out does it ask the set-driven query for the rest, after the window.
// Both read in seq order, so the result is the same as page's.
func scanPage(ctx context.Context, d Dialect, r Runner, typ string, conds []cond, base frag, cur *cursor, count, window int) ([]KeyRow, error) {
	from := int64(0)
	if cur != nil {
		from = cur.Seq
		if cur.Incl {
			from--
		}
	}
	// The window's upper bound: the seq of the window's last live resource
	// of the type after the cursor (none: the window reaches the end).
	hi, err := r.Int(ctx, d.Rebind(fmt.Sprintf("SELECT COALESCE((SELECT w.seq FROM %s AND w.seq > ? ORDER BY w.seq LIMIT 1 OFFSET %d), -1)", liveFrom(d, "w"), window-1)), []any{typ, from})
	if err != nil {
		return nil, err
	}
	// Candidates come from the live index: dense, and only current
	// versions, so no version row is read until a candidate matches.
	scan := f("FROM "+liveFrom(d, "v")+" AND v.seq > ?", typ, from)
	if hi >= 0 {
		scan.sql += " AND v.seq <= ?"
		scan.args = append(scan.args, hi)
	}
	parts := []frag{scan}
	for _, cd := range conds {
		parts = append(parts, frag{d.PerRow(cd.filter.sql), cd.filter.args})
	}
	q := join(" AND ", parts)
	q.sql = "SELECT v.seq " + q.sql + " ORDER BY v.seq LIMIT ?"
	q.args = append(q.args, int64(count+1))
	rows, err := r.Keys(ctx, d.Rebind(q.sql), q.args, 0)
	if err != nil || len(rows) > count || hi < 0 {
		return rows, err
	}
	// The window ran out before the page filled: the rest comes from the
	// set-driven query, after the window.
	rest, err := page(ctx, d, r, base, nil, &cursor{Seq: hi}, count-len(rows))
	if err != nil {
		return nil, err
	}
	return append(rows, rest...), nil
}

// page reads up to count+1 rows after the cursor, in query order (or
// reversed order for a previous-page cursor).
func page(ctx context.Context, d Dialect, r Runner, base frag, keys []sortKey, cur *cursor, count int) ([]KeyRow, error) {
	names := make([]string, len(keys))
	inner := f("SELECT v.seq AS seq")
	for i, k := range keys {
		names[i] = fmt.Sprintf("t.k%d", i)
		inner.sql += ", " + k.expr.sql + fmt.Sprintf(" AS k%d", i)
		inner.args = append(inner.args, k.expr.args...)
	}
	inner = join(" ", []frag{inner, base})
	sel := "SELECT t.seq"
	for _, n := range names {
		sel += ", " + n
	}
	q := frag{sel + " FROM (" + inner.sql + ") t", inner.args}
	reverse := cur != nil && cur.Prev
	if cur != nil {
		k := after(keys, names, cur, reverse)
		q.sql += " WHERE " + k.sql
		q.args = append(q.args, k.args...)
	}
	q.sql += " ORDER BY " + orderBy(keys, names, reverse) + " LIMIT ?"
	q.args = append(q.args, int64(count+1))
	return r.Keys(ctx, d.Rebind(q.sql), q.args, len(keys))
}

// fetch reads the resources of seqs, in that order.
func fetch(ctx context.Context, d Dialect, r Runner, seqs []int64) ([]Row, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	list, arg := d.IntList(seqs)
	rows, err := r.Resources(ctx, d.Rebind("SELECT "+ResourceCols+" FROM resource_versions v WHERE v.seq IN ("+list+")"), []any{arg})
	if err != nil {
		return nil, err
	}
	pos := make(map[int64]int, len(seqs))
	for i, s := range seqs {
		pos[s] = i
	}
	slices.SortFunc(rows, func(a, b Row) int { return pos[a.Seq] - pos[b.Seq] })
	return rows, nil
}
