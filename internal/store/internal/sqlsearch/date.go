package sqlsearch

import (
	"math"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
)

// Date rows carry a span bucket: the class of hi - lo. Within a bucket the
// span is bounded, so a bound on one end of the range bounds the other and
// every date predicate becomes a range scan of (pid, span, lo): "hi >= A"
// alone would otherwise read half of the parameter's rows through an index
// on lo, and "hi >= A AND lo < B" (a date range) the other half through an
// index on hi.
const (
	spanDay   = 86_400_000_000 // µs; a whole day at day precision is one bucket-0 row
	spanMonth = 31 * spanDay
	spanYear  = 366 * spanDay
)

// spanLimits are the inclusive maximum spans of buckets 0, 1 and 2; bucket 3
// holds everything longer, including open-ended ranges.
var spanLimits = [...]int64{spanDay, spanMonth, spanYear}

// spanBuckets is the number of buckets.
const spanBuckets = len(spanLimits) + 1

// SpanBucket is the bucket of the inclusive range [lo, hi].
func SpanBucket(lo, hi int64) int64 {
	if lo == math.MinInt64 || hi == math.MaxInt64 || hi < lo {
		return int64(spanBuckets - 1)
	}
	d := uint64(hi) - uint64(lo) // cannot overflow as unsigned
	for i, l := range spanLimits {
		if d <= uint64(l) {
			return int64(i)
		}
	}
	return int64(spanBuckets - 1)
}

// spanBucketSQL is SpanBucket in SQL, for the migration that adds the column
// (the sentinels of open ranges are tested first so that hi - lo never
// overflows).
func spanBucketSQL() string {
	var b strings.Builder
	b.WriteString("CASE WHEN lo <= -9000000000000000000 OR hi >= 9000000000000000000 OR hi < lo THEN 3")
	for i, l := range spanLimits {
		b.WriteString(" WHEN hi - lo <= " + strconv.FormatInt(l, 10) + " THEN " + strconv.Itoa(i))
	}
	b.WriteString(" ELSE 3 END")
	return b.String()
}

// SpanMigrationSQL is the statement that fills the span column of existing
// rows.
func SpanMigrationSQL() string { return "UPDATE idx_date SET span = " + spanBucketSQL() }

// dateRange is a conjunction of inclusive bounds on a date row's lo and hi;
// the extremes of int64 mean unbounded.
type dateRange struct{ loMin, loMax, hiMin, hiMax int64 }

var anyDate = dateRange{math.MinInt64, math.MaxInt64, math.MinInt64, math.MaxInt64}

// dateRanges implements the R4 prefixes over inclusive microsecond ranges:
// the target is [lo, hi], the search value [ql, qh]. The result is a
// disjunction.
func (c *compiler) dateRanges(v *search.Value) []dateRange {
	ql, qh := v.DateLo, v.DateHi
	with := func(f func(*dateRange)) dateRange { r := anyDate; f(&r); return r }
	eq := with(func(r *dateRange) { r.loMin, r.loMax, r.hiMax = ql, qh, qh })
	switch v.Prefix {
	case search.PrefixNe:
		return []dateRange{with(func(r *dateRange) { r.loMax = satAdd(ql, -1) }), with(func(r *dateRange) { r.hiMin = satAdd(qh, 1) })}
	case search.PrefixGt:
		return []dateRange{with(func(r *dateRange) { r.hiMin = satAdd(qh, 1) })}
	case search.PrefixLt:
		return []dateRange{with(func(r *dateRange) { r.loMax = satAdd(ql, -1) })}
	case search.PrefixGe:
		return []dateRange{with(func(r *dateRange) { r.hiMin = satAdd(qh, 1) }), eq}
	case search.PrefixLe:
		return []dateRange{with(func(r *dateRange) { r.loMax = satAdd(ql, -1) }), eq}
	case search.PrefixSa:
		return []dateRange{with(func(r *dateRange) { r.loMin = satAdd(qh, 1) })}
	case search.PrefixEb:
		return []dateRange{with(func(r *dateRange) { r.hiMax = satAdd(ql, -1) })}
	case search.PrefixAp:
		// 10% of the distance between now and the value, on both sides.
		now := c.now().UnixMicro()
		gap := now - ql
		if gap < 0 {
			gap = now - qh
		}
		d := absInt64(gap) / 10
		return []dateRange{with(func(r *dateRange) { r.loMax, r.hiMin = satAdd(qh, d), satAdd(ql, -d) })}
	}
	return []dateRange{eq}
}

// and intersects two ranges; ok is false when nothing can match both.
func (r dateRange) and(o dateRange) (dateRange, bool) {
	x := dateRange{max(r.loMin, o.loMin), min(r.loMax, o.loMax), max(r.hiMin, o.hiMin), min(r.hiMax, o.hiMax)}
	return x, x.loMin <= x.loMax && x.hiMin <= x.hiMax && x.loMin <= x.hiMax
}

// sql is the range as a condition on alias a.
func (r dateRange) sql(a string) frag {
	var parts []string
	var args []any
	add := func(col, op string, v, unbounded int64) {
		if v != unbounded {
			parts = append(parts, a+"."+col+" "+op+" ?")
			args = append(args, v)
		}
	}
	add("lo", ">=", r.loMin, math.MinInt64)
	add("lo", "<=", r.loMax, math.MaxInt64)
	add("hi", ">=", r.hiMin, math.MinInt64)
	add("hi", "<=", r.hiMax, math.MaxInt64)
	if len(parts) == 0 {
		return f("1 = 1")
	}
	return frag{strings.Join(parts, " AND "), args}
}

// bucketed returns, per span bucket that can hold a match, the range
// narrowed by that bucket's span limits (lo >= hiMin - maxSpan, and
// lo < hiMax - the previous bucket's limit), as "span = b AND <range>"
// conditions on alias a for a scan of the (pid, span, lo) index.
func (r dateRange) bucketed(a string) []frag {
	var out []frag
	for _, x := range r.buckets() {
		cond := x.r.sql(a)
		cond.sql = a + ".span = " + strconv.Itoa(x.b) + " AND " + cond.sql
		out = append(out, cond)
	}
	if len(out) == 0 {
		out = append(out, f("1 = 0"))
	}
	return out
}

// matches evaluates the range on one row (tests prove the SQL forms equal).
func (r dateRange) matches(lo, hi int64) bool {
	return lo >= r.loMin && lo <= r.loMax && hi >= r.hiMin && hi <= r.hiMax
}

// bucketRange is a range narrowed to the rows of one span bucket.
type bucketRange struct {
	b int
	r dateRange
}

// buckets returns the narrowed range of every bucket that can hold a
// match, in bucket order.
func (r dateRange) buckets() []bucketRange {
	var out []bucketRange
	for b := range spanBuckets {
		x := r
		x.loMax = min(x.loMax, x.hiMax)
		if b < len(spanLimits) && x.hiMin != math.MinInt64 {
			x.loMin = max(x.loMin, satAdd(x.hiMin, -spanLimits[b]))
		}
		if b > 0 && x.hiMax != math.MaxInt64 {
			x.loMax = min(x.loMax, satAdd(x.hiMax, -spanLimits[b-1]-1))
		}
		if x.loMin > x.loMax {
			continue
		}
		out = append(out, bucketRange{b, x})
	}
	return out
}

// dateValue compiles one date value into alternatives on alias a.
func (c *compiler) dateValue(a string, v *search.Value) []frag {
	rs := c.dateRanges(v)
	out := make([]frag, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.sql(a))
	}
	return out
}

// dateSet is the rid set of a date clause: a UNION ALL of one bucketed
// index range per alternative.
func (c *compiler) dateSet(a string, pid int64, rs []dateRange) frag {
	base := "SELECT " + a + ".rid FROM idx_date " + a + " WHERE " + a + ".pid = " + strconv.FormatInt(pid, 10) + " AND "
	var sets []frag
	for _, r := range rs {
		for _, b := range r.bucketed(a) {
			sets = append(sets, frag{base + b.sql, b.args})
		}
	}
	return join(" UNION ALL ", sets)
}

// maxMergedRanges caps the alternatives of merged date clauses: each is a
// separate index scan per bucket.
const maxMergedRanges = 8

// mergeDates gives plain date clauses on the same single-valued parameter
// (date=ge2024-01-01&date=lt2024-02-01) one rid set: the rows matching all
// of them at once. Each clause matches a large share of the rows on its own;
// the range matches few. Because the element holds at most one value, the
// row that satisfies one clause is the row that must satisfy the others, so
// the merged set is exactly the intersection. The first clause of each
// group gets the set (and keeps its rank); the others lose theirs but keep
// their filters.
func (c *compiler) mergeDates(q *search.Query, conds []cond) {
	groups := map[string][]int{}
	for i, cl := range q.Clauses {
		if i >= len(conds) || cl.Param.Type != "date" || cl.Modifier != search.ModifierNone || len(cl.Chain) > 0 || cl.Has != nil {
			continue
		}
		groups[cl.Param.Code] = append(groups[cl.Param.Code], i)
	}
	for code, idx := range groups {
		if len(idx) < 2 || !singleValued(q.Type, q.Clauses[idx[0]].Param) {
			continue
		}
		merged := []dateRange{anyDate}
		for _, i := range idx {
			var next []dateRange
			for _, v := range q.Clauses[i].Values {
				for _, r := range c.dateRanges(&v) {
					for _, m := range merged {
						if x, ok := m.and(r); ok {
							next = append(next, x)
						}
					}
				}
			}
			merged = next
			if len(merged) > maxMergedRanges {
				break
			}
		}
		if len(merged) > maxMergedRanges {
			continue
		}
		set := f("SELECT 0 WHERE 1 = 0")
		if len(merged) > 0 {
			set = c.dateSet(c.alias("d"), PID(q.Type, code), merged)
		}
		conds[idx[0]].set = &set
		for _, i := range idx[1:] {
			conds[i].set = nil
		}
	}
}

// singleValued reports whether a date parameter indexes at most one value
// per resource of typ: its expression, restricted to typ, is one path of
// elements with max cardinality 1 ending in a date, dateTime, instant or
// Period (a Timing has many events).
func singleValued(typ string, sp fhir.SearchParam) bool {
	var path string
	cast := false // "as dateTime": only date values of a choice are indexed
	for part := range strings.SplitSeq(sp.Expression, "|") {
		p := strings.TrimSpace(part)
		p = strings.TrimSuffix(strings.TrimPrefix(p, "("), ")")
		c := false
		if i := strings.Index(p, " as "); i >= 0 {
			p, c = p[:i], true
		}
		if i := strings.Index(p, ".as("); i >= 0 {
			p, c = p[:i], true
		}
		if !strings.HasPrefix(p, typ+".") {
			continue
		}
		cast = cast || c
		if path != "" && p != path {
			return false
		}
		path = p
	}
	if path == "" || strings.ContainsAny(path, "()[] ") {
		return false
	}
	segs := strings.Split(path, ".")
	var last fhir.ElementDef
	for i := 2; i <= len(segs); i++ {
		p := strings.Join(segs[:i], ".")
		e, ok := fhir.LookupElement(p)
		if !ok {
			if e, ok = fhir.LookupElement(p + "[x]"); !ok {
				return false
			}
		}
		if e.Max != 1 {
			return false
		}
		last = e
	}
	if cast {
		return true
	}
	for _, t := range last.Types {
		switch t {
		case "date", "dateTime", "instant", "Period":
		default:
			return false
		}
	}
	return len(last.Types) > 0
}
