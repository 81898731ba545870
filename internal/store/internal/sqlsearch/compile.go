package sqlsearch

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
)

// frag is a piece of SQL with "?" placeholders and their arguments, in order.
type frag struct {
	sql  string
	args []any
}

// join concatenates fragments with sep.
func join(sep string, fs []frag) frag {
	var out frag
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.sql
		out.args = append(out.args, f.args...)
	}
	out.sql = strings.Join(parts, sep)
	return out
}

// f builds a fragment.
func f(sql string, args ...any) frag { return frag{sql, args} }

// Driver preference of a clause's rid set (lower drives first).
const (
	rankID        = iota // _id: a handful of primary-key lookups
	rankReference        // reference to one resource, compartment
	rankProbe            // single-table index range; counted when probing
	rankNested           // chains and _has
)

// cond is one compiled, ANDed criterion.
type cond struct {
	// filter is a boolean SQL expression on the outer rid expression the
	// clause was compiled against.
	filter frag
	// set, when the clause is positive, is a SELECT of exactly the rids of
	// the matching resources (it may drive the query).
	set  *frag
	rank int
	// inner, on a chain or _has, is the nested rid set that the set
	// computes first: the rids of the resources a chain's references must
	// reach, of those that must point at a _has's match. When it is small
	// the set is cheap, and a page is read from it instead of a scan (see
	// Search).
	inner *frag
	// window is how many candidates a page of count driven by this nested
	// clause scans before it turns to the set.
	window func(count int) int
}

// compiler turns clauses into SQL. Aliases are unique per query so that
// nested correlated subqueries never shadow each other.
type compiler struct {
	d      Dialect
	now    func() time.Time // read only for the ap prefix on dates
	n      int
	access *store.Access // nil: unrestricted
}

func (c *compiler) alias(prefix string) string {
	c.n++
	return prefix + strconv.Itoa(c.n)
}

// compile compiles one clause against outer, an SQL expression holding the
// rid of a candidate resource of cl.Type.
func (c *compiler) compile(cl *search.Clause, outer string) (cond, error) {
	switch {
	case cl.Has != nil:
		return c.has(cl, outer)
	case len(cl.Chain) > 0:
		return c.chain(cl, outer)
	case cl.Param.Code == "_id":
		return c.id(cl, outer)
	case cl.Modifier == search.ModifierMissing:
		return c.missing(cl, outer)
	case cl.Param.Type == "composite":
		return c.composite(cl, outer)
	}
	t := tableOfType(cl.Param.Type)
	if t == nil {
		return cond{}, unsupported("parameter %s of type %s", cl.Param.Code, cl.Param.Type)
	}
	code := cl.Param.Code
	if cl.Modifier == search.ModifierOfType {
		code += ":of-type"
	}
	a := c.alias("a")
	var alts []frag
	for i := range cl.Values {
		vs, err := c.value(cl, t, a, &cl.Values[i])
		if err != nil {
			return cond{}, err
		}
		alts = append(alts, vs...)
	}
	pid := "= " + strconv.FormatInt(PID(cl.Type, code), 10)
	if cl.Modifier == search.ModifierNot {
		e := c.exists(t, a, pid, alts, outer)
		e.sql = "NOT " + e.sql
		return cond{filter: e}, nil
	}
	rank := rankProbe
	if t == TReference && cl.Modifier != search.ModifierIdentifier {
		rank = rankReference
	}
	cd := c.simple(t, a, pid, alts, outer, rank)
	if t == TDate {
		var rs []dateRange
		for i := range cl.Values {
			rs = append(rs, c.dateRanges(&cl.Values[i])...)
		}
		set := c.dateSet(c.alias("d"), PID(cl.Type, code), rs)
		cd.set = &set
	}
	return cd, nil
}

// exists is "some row of the resource for pid satisfies one of alts".
func (c *compiler) exists(t *Table, a, pid string, alts []frag, outer string) frag {
	e := f("EXISTS (SELECT 1 FROM "+t.Name+" "+a+c.d.ByRID(t.Name)+" WHERE "+a+".rid = "+outer+" AND "+a+".pid "+pid, nil...)
	if len(alts) > 0 {
		or := join(") OR (", alts)
		e.sql += " AND ((" + or.sql + "))"
		e.args = or.args
	}
	e.sql += ")"
	return e
}

// simple is a positive clause on one table: EXISTS as a filter, and a
// UNION ALL of one index range per alternative as the rid set.
func (c *compiler) simple(t *Table, a, pid string, alts []frag, outer string, rank int) cond {
	sets := make([]frag, 0, max(len(alts), 1))
	base := "SELECT " + a + ".rid FROM " + t.Name + " " + a + " WHERE " + a + ".pid " + pid
	if len(alts) == 0 {
		sets = append(sets, f(base))
	}
	for _, alt := range alts {
		sets = append(sets, frag{base + " AND " + alt.sql, alt.args})
	}
	set := join(" UNION ALL ", sets)
	return cond{filter: c.exists(t, a, pid, alts, outer), set: &set, rank: rank}
}

// setOf returns the rid set of a clause, wrapping a negative clause as
// "current resources of the type minus ...". Under an access restriction
// the set keeps only resources the caller may see, so that a chain or _has
// through hidden resources matches nothing.
func (c *compiler) setOf(cl *search.Clause) (frag, int, error) {
	x := c.alias("x")
	cd, err := c.compile(cl, x+".seq")
	if err != nil {
		return frag{}, 0, err
	}
	rank := cd.rank
	var set frag
	if cd.set != nil {
		set = *cd.set
	} else {
		set = f("SELECT "+x+".seq FROM resources "+x+" WHERE "+x+".type = ? AND "+x+".deleted = "+c.d.False()+" AND ", cl.Type)
		set.sql += cd.filter.sql
		set.args = append(set.args, cd.filter.args...)
		rank = rankNested
	}
	y := c.alias("x")
	if r, ok := c.restrict(cl.Type, y+".seq"); ok {
		w := f("SELECT " + y + ".seq FROM resource_versions " + y + " WHERE " + y + ".seq IN (")
		w.sql += set.sql + ") AND " + r.sql
		w.args = append(append(w.args, set.args...), r.args...)
		return w, rankNested, nil
	}
	return set, rank, nil
}

// id answers _id from the resources table (no index rows are stored).
func (c *compiler) id(cl *search.Clause, outer string) (cond, error) {
	ids := make([]string, 0, len(cl.Values))
	for _, v := range cl.Values {
		ids = append(ids, v.Code)
	}
	switch cl.Modifier {
	case search.ModifierNone, search.ModifierNot:
	case search.ModifierMissing:
		// Every resource has an id.
		present := false
		for _, v := range cl.Values {
			present = present || !v.Missing
		}
		if present {
			return cond{filter: f("1 = 1")}, nil
		}
		return cond{filter: f("1 = 0")}, nil
	default:
		return cond{}, unsupported("modifier :%s on _id", cl.Modifier)
	}
	x := c.alias("x")
	list, arg := c.d.TextList(ids)
	filter := f("EXISTS (SELECT 1 FROM resource_versions "+x+" WHERE "+x+".seq = "+outer+" AND "+x+".id IN ("+list+"))", arg)
	if cl.Modifier == search.ModifierNot {
		filter.sql = "NOT " + filter.sql
		return cond{filter: filter}, nil
	}
	list2, arg2 := c.d.TextList(ids)
	set := f("SELECT "+x+".seq FROM resources "+x+" WHERE "+x+".type = ? AND "+x+".deleted = "+c.d.False()+" AND "+x+".id IN ("+list2+")", cl.Type, arg2)
	return cond{filter: filter, set: &set, rank: rankID}, nil
}

// missing handles :missing on any parameter type.
func (c *compiler) missing(cl *search.Clause, outer string) (cond, error) {
	t, code := tableOfType(cl.Param.Type), cl.Param.Code
	if cl.Param.Type == "composite" {
		comps, err := components(cl.Param)
		if err != nil {
			return cond{}, err
		}
		t, code = tableOfType(comps[0].Type), componentCode(code, 0)
	}
	if t == nil {
		return cond{}, unsupported(":missing on %s parameter %s", cl.Param.Type, cl.Param.Code)
	}
	want := map[bool]bool{}
	for _, v := range cl.Values {
		want[v.Missing] = true
	}
	if want[true] && want[false] {
		return cond{filter: f("1 = 1")}, nil
	}
	a := c.alias("a")
	pid := "= " + strconv.FormatInt(PID(cl.Type, code), 10)
	if want[true] {
		e := c.exists(t, a, pid, nil, outer)
		e.sql = "NOT " + e.sql
		return cond{filter: e}, nil
	}
	return c.simple(t, a, pid, nil, outer, rankProbe), nil
}

// chain: the reference must point at a current resource of one of the hop
// types that satisfies the hop's clause.
func (c *compiler) chain(cl *search.Clause, outer string) (cond, error) {
	pid := PID(cl.Type, cl.Param.Code)
	r := c.alias("r")
	var sets, filters, inners []frag
	for _, hop := range cl.Chain {
		inner, _, err := c.setOf(hop.Next)
		if err != nil {
			return cond{}, err
		}
		inners = append(inners, inner)
		x := c.alias("x")
		// The nested set holds seqs of live resources of the hop type; their
		// ids come from the live index, not from a versions-table page each.
		s := f(fmt.Sprintf("SELECT %s.rid FROM idx_reference %s WHERE %s.pid = %d AND %s.ref_type = ? AND %s.ref_id IN (SELECT %s.id FROM %s AND %s.seq IN (",
			r, r, r, pid, r, r, x, liveFrom(c.d, x), x), hop.Type, hop.Type)
		s.sql += inner.sql + "))"
		s.args = append(s.args, inner.args...)
		sets = append(sets, s)

		y := c.alias("y")
		fc, err := c.compile(hop.Next, y+".seq")
		if err != nil {
			return cond{}, err
		}
		fl := f(fmt.Sprintf("EXISTS (SELECT 1 FROM resources %s WHERE %s.type = ? AND %s.id = %s.ref_id AND %s.type = %s.ref_type AND %s.deleted = %s AND ",
			y, y, y, r, y, r, y, c.d.False()), hop.Type)
		fl.sql += fc.filter.sql
		fl.args = append(fl.args, fc.filter.args...)
		if rf, ok := c.restrict(hop.Type, y+".seq"); ok {
			fl.sql += " AND " + rf.sql
			fl.args = append(fl.args, rf.args...)
		}
		fl.sql += ")"
		// Per referenced resource: a planner that flattens the hops into
		// joins drives them from its guess at the smallest, and a guess
		// made through three semi-joins is one row, whatever the data.
		fl.sql = c.d.PerRow(fl.sql)
		filters = append(filters, fl)
	}
	set := join(" UNION ALL ", sets)
	or := join(" OR ", filters)
	filter := f(fmt.Sprintf("EXISTS (SELECT 1 FROM idx_reference %s%s WHERE %s.rid = %s AND %s.pid = %d AND (", r, c.d.ByRID("idx_reference"), r, outer, r, pid))
	filter.sql += or.sql + "))"
	filter.args = or.args
	inner := join(" UNION ALL ", inners)
	return cond{filter: filter, set: &set, rank: rankNested, inner: &inner, window: chainWindow}, nil
}

// has: some resource of Has.Type whose Has.Param points at the candidate
// satisfies the inner clause.
func (c *compiler) has(cl *search.Clause, outer string) (cond, error) {
	h := cl.Has
	pid := PID(h.Type, h.Param.Code)
	inner, _, err := c.setOf(h.Next)
	if err != nil {
		return cond{}, err
	}
	x, r := c.alias("x"), c.alias("r")
	set := f(fmt.Sprintf("SELECT %s.seq FROM resources %s WHERE %s.type = ? AND %s.deleted = %s AND %s.id IN (SELECT %s.ref_id FROM idx_reference %s WHERE %s.pid = %d AND %s.ref_type = ? AND %s.rid IN (",
		x, x, x, x, c.d.False(), x, r, r, r, pid, r, r), cl.Type, cl.Type)
	set.sql += inner.sql + "))"
	set.args = append(set.args, inner.args...)

	y, r2 := c.alias("y"), c.alias("r")
	fc, err := c.compile(h.Next, r2+".rid")
	if err != nil {
		return cond{}, err
	}
	// The candidate's id is a scalar subquery, so the planner has one way
	// in: from the candidate to the references that point at it, never
	// from every reference of the parameter outwards.
	filter := f(fmt.Sprintf("EXISTS (SELECT 1 FROM idx_reference %s WHERE %s.pid = %d AND %s.ref_type = ? AND %s.ref_id = (SELECT %s.id FROM %s AND %s.seq = %s) AND ",
		r2, r2, pid, r2, r2, y, liveFrom(c.d, y), y, outer), cl.Type, cl.Type)
	filter.sql += c.d.PerRow(fc.filter.sql)
	filter.args = append(filter.args, fc.filter.args...)
	if rf, ok := c.restrict(h.Type, r2+".rid"); ok {
		filter.sql += " AND " + rf.sql
		filter.args = append(filter.args, rf.args...)
	}
	filter.sql += ")"
	return cond{filter: filter, set: &set, rank: rankNested, inner: &inner, window: hasWindow}, nil
}

// composite: every component of one composite entry (same rid and ord)
// matches its part of the value.
func (c *compiler) composite(cl *search.Clause, outer string) (cond, error) {
	comps, err := components(cl.Param)
	if err != nil {
		return cond{}, err
	}
	if cl.Modifier != search.ModifierNone {
		return cond{}, unsupported("modifier :%s on composite parameter %s", cl.Modifier, cl.Param.Code)
	}
	aliases := make([]string, len(comps))
	tables := make([]*Table, len(comps))
	for i, cp := range comps {
		aliases[i] = c.alias("a")
		if tables[i] = tableOfType(cp.Type); tables[i] == nil {
			return cond{}, unsupported("component %s of type %s", cp.Code, cp.Type)
		}
	}
	var ors []frag
	for vi := range cl.Values {
		v := &cl.Values[vi]
		if len(v.Components) != len(comps) {
			return cond{}, fmt.Errorf("%w: composite %s value has %d parts, want %d", ErrUnsupported, cl.Param.Code, len(v.Components), len(comps))
		}
		var ands []frag
		for i, cp := range comps {
			sub := &search.Clause{Type: cl.Type, Param: cp}
			alts, err := c.value(sub, tables[i], aliases[i], &v.Components[i])
			if err != nil {
				return cond{}, err
			}
			a := join(") OR (", alts)
			a.sql = "((" + a.sql + "))"
			ands = append(ands, a)
		}
		a := join(" AND ", ands)
		a.sql = "(" + a.sql + ")"
		ors = append(ors, a)
	}
	var from strings.Builder
	a0 := aliases[0]
	from.WriteString(tables[0].Name + " " + a0)
	pinned := tables[0].Name + " " + a0 + c.d.ByRID(tables[0].Name)
	for i := 1; i < len(comps); i++ {
		ai := aliases[i]
		fmt.Fprintf(&from, " JOIN %s %s ON %s.rid = %s.rid AND %s.ord = %s.ord AND %s.pid = %d",
			tables[i].Name, ai, ai, a0, ai, a0, ai, PID(cl.Type, componentCode(cl.Param.Code, i)))
	}
	pred := join(" OR ", ors)
	pid0 := PID(cl.Type, componentCode(cl.Param.Code, 0))
	set := f(fmt.Sprintf("SELECT %s.rid FROM %s WHERE %s.pid = %d AND (", a0, from.String(), a0, pid0))
	set.sql += pred.sql + ")"
	set.args = pred.args
	filter := f(fmt.Sprintf("EXISTS (SELECT 1 FROM %s WHERE %s.rid = %s AND %s.pid = %d AND (",
		strings.Replace(from.String(), tables[0].Name+" "+a0, pinned, 1), a0, outer, a0, pid0))
	filter.sql += pred.sql + "))"
	filter.args = pred.args
	return cond{filter: filter, set: &set, rank: rankProbe}, nil
}

// compartment keeps resources that reference typ/id, for one of ids,
// through one of the reference parameters in params.
func (c *compiler) compartment(searched, typ string, ids []string, params []string, outer string) (cond, error) {
	var pids []string
	for _, p := range params {
		if referenceParam(searched, p) {
			pids = append(pids, strconv.FormatInt(PID(searched, p), 10))
		}
	}
	if len(pids) == 0 {
		return cond{filter: f("1 = 0")}, nil
	}
	a := c.alias("a")
	alt := f(a+".ref_id = ? AND "+a+".ref_type = ?", ids[0], typ)
	if len(ids) > 1 {
		list, arg := c.d.TextList(ids)
		alt = f(a+".ref_id IN ("+list+") AND "+a+".ref_type = ?", arg, typ)
	}
	return c.simple(TReference, a, "IN ("+strings.Join(pids, ", ")+")", []frag{alt}, outer, rankReference), nil
}

// referenceParam reports whether code is a reference search parameter of
// typ: compartment definitions also name "{def}" and the like, which are
// not references to follow.
func referenceParam(typ, code string) bool {
	sp, ok := fhir.LookupSearchParam(typ, code)
	return ok && sp.Type == "reference"
}

// components resolves the component parameters of a composite parameter.
func components(sp fhir.SearchParam) ([]fhir.SearchParam, error) {
	if len(sp.Component) == 0 {
		return nil, unsupported("composite parameter %s has no components", sp.Code)
	}
	out := make([]fhir.SearchParam, len(sp.Component))
	for i, pc := range sp.Component {
		cp, ok := paramByURL(pc.Definition)
		if !ok {
			return nil, unsupported("component %d of %s cannot be resolved", i, sp.Code)
		}
		out[i] = cp
	}
	return out, nil
}

var (
	urlOnce  sync.Once
	urlIndex map[string]fhir.SearchParam
)

func paramByURL(url string) (fhir.SearchParam, bool) {
	urlOnce.Do(func() {
		urlIndex = make(map[string]fhir.SearchParam, 2048)
		for _, t := range fhir.ResourceTypes() {
			for _, sp := range fhir.SearchParams(t) {
				urlIndex[sp.URL] = sp
			}
		}
	})
	sp, ok := urlIndex[url]
	return sp, ok
}

// restrict is the access restriction on a resource of typ whose rid is
// outer, as a filter: ok is false when the search is unrestricted or typ
// is open.
func (c *compiler) restrict(typ, outer string) (frag, bool) {
	cd, ok := c.restrictCond(typ, outer)
	return cd.filter, ok
}

// restrictCond is the access restriction as a clause that can drive the
// query: for a patient, their compartment is usually the smallest set.
func (c *compiler) restrictCond(typ, outer string) (cond, bool) {
	a := c.access
	if a == nil || a.OpenTypes[typ] {
		return cond{}, false
	}
	none := cond{filter: f("1 = 0")}
	if len(a.Patients) == 0 {
		return none, true
	}
	if typ == "Patient" {
		x := c.alias("p")
		list, arg := c.d.TextList(a.Patients)
		filter := f("EXISTS (SELECT 1 FROM resource_versions "+x+" WHERE "+x+".seq = "+outer+" AND "+x+".id IN ("+list+"))", arg)
		list2, arg2 := c.d.TextList(a.Patients)
		set := f("SELECT "+x+".seq FROM resources "+x+" WHERE "+x+".type = 'Patient' AND "+x+".deleted = "+c.d.False()+" AND "+x+".id IN ("+list2+")", arg2)
		return cond{filter: filter, set: &set, rank: rankID}, true
	}
	params := fhir.CompartmentParams("Patient", typ)
	if len(params) == 0 {
		return none, true
	}
	cd, err := c.compartment(typ, "Patient", a.Patients, params, outer)
	if err != nil {
		return none, true
	}
	return cd, true
}
