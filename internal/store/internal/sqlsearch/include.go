package sqlsearch

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
)

// iterateRounds bounds how often :iterate includes are applied to what the
// previous round added.
const iterateRounds = 3

// includes resolves _include and _revinclude for one page: round 0 applies
// every request to the matches, later rounds apply the :iterate requests
// to the resources the previous round added. Results are deduplicated
// (never a match) and capped at store.MaxIncluded.
func includes(ctx context.Context, d Dialect, r Runner, q *search.Query, matches []Row, c *compiler) ([]store.Resource, error) {
	seen := make(map[int64]bool, len(matches))
	for _, m := range matches {
		seen[m.Seq] = true
	}
	var out []store.Resource
	sources := matches
	for round := 0; round <= iterateRounds && len(sources) > 0 && len(out) < store.MaxIncluded; round++ {
		var added []Row
		for _, inc := range q.Include {
			if round > 0 && !inc.Iterate {
				continue
			}
			seqs, err := forward(ctx, d, r, inc, sources)
			if err != nil {
				return nil, err
			}
			if added, err = addNew(ctx, d, r, c, seqs, seen, added, len(out)); err != nil {
				return nil, err
			}
		}
		for _, inc := range q.RevInclude {
			if round > 0 && !inc.Iterate {
				continue
			}
			seqs, err := reverse(ctx, d, r, inc, sources)
			if err != nil {
				return nil, err
			}
			if added, err = addNew(ctx, d, r, c, seqs, seen, added, len(out)); err != nil {
				return nil, err
			}
		}
		for _, a := range added {
			out = append(out, a.Res)
		}
		sources = added
	}
	return out, nil
}

// addNew fetches the resources of seqs not seen yet that the caller may
// see, up to the cap.
func addNew(ctx context.Context, d Dialect, r Runner, c *compiler, seqs []int64, seen map[int64]bool, added []Row, have int) ([]Row, error) {
	var want []int64
	for _, s := range seqs {
		if have+len(added)+len(want) >= store.MaxIncluded {
			break
		}
		if !seen[s] {
			seen[s] = true
			want = append(want, s)
		}
	}
	rows, err := fetch(ctx, d, r, want)
	if err != nil {
		return nil, err
	}
	if rows, err = visible(ctx, d, r, c, rows); err != nil {
		return nil, err
	}
	return append(added, rows...), nil
}

// visible drops the rows the access restriction hides, one query per
// restricted type.
func visible(ctx context.Context, d Dialect, r Runner, c *compiler, rows []Row) ([]Row, error) {
	if c.access == nil || len(rows) == 0 {
		return rows, nil
	}
	byType := map[string][]int64{}
	for _, row := range rows {
		byType[row.Res.Type] = append(byType[row.Res.Type], row.Seq)
	}
	keep := make(map[int64]bool, len(rows))
	for typ, seqs := range byType {
		rf, ok := c.restrict(typ, "v.seq")
		if !ok {
			for _, s := range seqs {
				keep[s] = true
			}
			continue
		}
		list, arg := d.IntList(seqs)
		q := frag{"SELECT v.seq FROM resource_versions v WHERE v.seq IN (" + list + ") AND " + rf.sql, append([]any{arg}, rf.args...)}
		ok2, err := seqsOf(ctx, d, r, q)
		if err != nil {
			return nil, err
		}
		for _, s := range ok2 {
			keep[s] = true
		}
	}
	out := rows[:0]
	for _, row := range rows {
		if keep[row.Seq] {
			out = append(out, row)
		}
	}
	return out, nil
}

// refPIDs are the pids of the reference parameters an include follows.
func refPIDs(inc search.Include) string {
	var pids []string
	if inc.Wildcard {
		for _, sp := range fhir.SearchParams(inc.Source) {
			if sp.Type == "reference" {
				pids = append(pids, strconv.FormatInt(PID(inc.Source, sp.Code), 10))
			}
		}
	} else {
		pids = append(pids, strconv.FormatInt(PID(inc.Source, inc.Param.Code), 10))
	}
	if len(pids) == 0 {
		return ""
	}
	return strings.Join(pids, ", ")
}

// forward returns the seqs of the current resources that sources of type
// inc.Source reference through the include's parameters.
func forward(ctx context.Context, d Dialect, r Runner, inc search.Include, sources []Row) ([]int64, error) {
	var rids []int64
	for _, s := range sources {
		if s.Res.Type == inc.Source {
			rids = append(rids, s.Seq)
		}
	}
	pids := refPIDs(inc)
	if len(rids) == 0 || pids == "" {
		return nil, nil
	}
	list, arg := d.IntList(rids)
	q := f("SELECT DISTINCT c.seq FROM idx_reference ir JOIN resources c ON c.type = ir.ref_type AND c.id = ir.ref_id"+
		" WHERE ir.rid IN ("+list+") AND ir.pid IN ("+pids+") AND ir.ref_id <> '' AND c.deleted = "+d.False(), arg)
	if inc.TargetType != "" {
		q.sql += " AND ir.ref_type = ?"
		q.args = append(q.args, inc.TargetType)
	}
	return seqsOf(ctx, d, r, q)
}

// reverse returns the seqs of resources of type inc.Source that reference
// one of the sources through the include's parameters.
func reverse(ctx context.Context, d Dialect, r Runner, inc search.Include, sources []Row) ([]int64, error) {
	pids := refPIDs(inc)
	if pids == "" {
		return nil, nil
	}
	byType := map[string][]string{}
	var types []string
	for _, s := range sources {
		t := s.Res.Type
		if inc.TargetType != "" && t != inc.TargetType {
			continue
		}
		if !inc.Wildcard && len(inc.Param.Target) > 0 && !contains(inc.Param.Target, t) {
			continue
		}
		if _, ok := byType[t]; !ok {
			types = append(types, t)
		}
		byType[t] = append(byType[t], s.Res.ID)
	}
	var out []int64
	for _, t := range types {
		list, arg := d.TextList(byType[t])
		q := f("SELECT DISTINCT ir.rid FROM idx_reference ir WHERE ir.pid IN ("+pids+") AND ir.ref_type = ? AND ir.ref_id IN ("+list+")", t, arg)
		seqs, err := seqsOf(ctx, d, r, q)
		if err != nil {
			return nil, err
		}
		out = append(out, seqs...)
	}
	return out, nil
}

// CompartmentTypes implements store.Reader.CompartmentTypes with one
// query: for every reference parameter, whether one index row of it points
// at typ/id (EXISTS stops at the first, so a patient's thousand encounters
// cost one index probe).
func CompartmentTypes(ctx context.Context, d Dialect, r Runner, typ, id string, params map[string][]string) (map[string]bool, error) {
	byPID := map[int64]string{}
	var pids []int64
	for t, codes := range params {
		for _, code := range codes {
			if !referenceParam(t, code) {
				continue
			}
			pid := PID(t, code)
			if _, dup := byPID[pid]; !dup {
				byPID[pid] = t
				pids = append(pids, pid)
			}
		}
	}
	out := map[string]bool{}
	if len(pids) == 0 {
		return out, nil
	}
	slices.Sort(pids)
	list, arg := d.IntList(pids)
	q := d.Rebind("WITH p(pid) AS (" + list + ") SELECT p.pid FROM p WHERE EXISTS (SELECT 1 FROM idx_reference ir WHERE ir.pid = p.pid AND ir.ref_id = ? AND ir.ref_type = ?)")
	rows, err := r.Keys(ctx, q, []any{arg, id, typ}, 0)
	if err != nil {
		return nil, fmt.Errorf("compartment %s/%s: %w", typ, id, err)
	}
	for _, row := range rows {
		out[byPID[row.Seq]] = true
	}
	return out, nil
}

func seqsOf(ctx context.Context, d Dialect, r Runner, q frag) ([]int64, error) {
	q.sql += " LIMIT ?"
	q.args = append(q.args, int64(store.MaxIncluded*4))
	rows, err := r.Keys(ctx, d.Rebind(q.sql), q.args, 0)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(rows))
	for i, row := range rows {
		out[i] = row.Seq
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
