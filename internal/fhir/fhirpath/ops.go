package fhirpath

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

type binaryNode struct {
	op   string
	l, r node
}

func newBinary(op string, l, r node) node { return &binaryNode{op: op, l: l, r: r} }

func (n *binaryNode) eval(c *evalCtx, in []Item) ([]Item, error) {
	switch n.op {
	case "and", "or", "xor", "implies":
		return n.logic(c, in)
	}
	ls, err := n.l.eval(c, in)
	if err != nil {
		return nil, err
	}
	rs, err := n.r.eval(c, in)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "|":
		return union(ls, rs), nil
	case "=":
		return equalColl(ls, rs)
	case "!=":
		r, err := equalColl(ls, rs)
		return notColl(r), err
	case "~":
		return boolResult(equivColl(ls, rs)), nil
	case "!~":
		return boolResult(!equivColl(ls, rs)), nil
	case "<", ">", "<=", ">=":
		return compareOp(n.op, ls, rs)
	case "in":
		return membership(ls, rs)
	case "contains":
		return membership(rs, ls)
	case "&":
		a, err := concatOperand(ls)
		if err != nil {
			return nil, err
		}
		b, err := concatOperand(rs)
		if err != nil {
			return nil, err
		}
		return []Item{{Value: a + b}}, nil
	}
	return arithmetic(n.op, ls, rs)
}

func notColl(r []Item) []Item {
	if len(r) == 1 {
		if b, ok := r[0].Value.(bool); ok {
			return boolResult(!b)
		}
	}
	return r
}

// toBool3 reads a collection as a three-valued boolean: 0 false, 1 true, -1 empty.
func toBool3(xs []Item) (int, error) {
	switch len(xs) {
	case 0:
		return -1, nil
	case 1:
		v, _ := sysValue(xs[0])
		if b, ok := v.(bool); ok {
			if b {
				return 1, nil
			}
			return 0, nil
		}
		// singleton evaluation of collections: any other single item is true
		return 1, nil
	}
	return 0, errors.New("boolean operator on a collection of more than one item")
}

func (n *binaryNode) logic(c *evalCtx, in []Item) ([]Item, error) {
	ls, err := n.l.eval(c, in)
	if err != nil {
		return nil, err
	}
	a, err := toBool3(ls)
	if err != nil {
		return nil, err
	}
	// short-circuit where the answer is already known
	switch {
	case n.op == "and" && a == 0:
		return boolResult(false), nil
	case n.op == "or" && a == 1:
		return boolResult(true), nil
	case n.op == "implies" && a == 0:
		return boolResult(true), nil
	}
	rs, err := n.r.eval(c, in)
	if err != nil {
		return nil, err
	}
	b, err := toBool3(rs)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "and":
		switch {
		case b == 0:
			return boolResult(false), nil
		case a == 1 && b == 1:
			return boolResult(true), nil
		}
		return nil, nil
	case "or":
		switch {
		case b == 1:
			return boolResult(true), nil
		case a == 0 && b == 0:
			return boolResult(false), nil
		}
		return nil, nil
	case "xor":
		if a < 0 || b < 0 {
			return nil, nil
		}
		return boolResult(a != b), nil
	}
	// implies with a true or empty left side
	switch {
	case b == 1:
		return boolResult(true), nil
	case a == 1 && b == 0:
		return boolResult(false), nil
	}
	return nil, nil
}

func union(a, b []Item) []Item {
	// fast paths: search expressions union per-type branches of which at
	// most one is non-empty
	switch {
	case len(a) == 0 && len(b) <= 1:
		return b
	case len(b) == 0 && len(a) <= 1:
		return a
	}
	out := make([]Item, 0, len(a)+len(b))
	// String-valued items are deduplicated through a set, so that unions of
	// large code lists stay linear; other items need the full equality.
	var seen map[string]struct{}
	for _, x := range [][]Item{a, b} {
		for _, it := range x {
			if k, ok := stringKey(it); ok {
				if seen == nil {
					seen = make(map[string]struct{}, len(a)+len(b))
				}
				if _, dup := seen[k]; dup {
					continue
				}
				seen[k] = struct{}{}
				out = append(out, it)
				continue
			}
			if !containsItem(out, it) {
				out = append(out, it)
			}
		}
	}
	return out
}

// stringKey returns the set key of an item whose equality is plain string
// equality: FHIR string-like primitives and System strings. Dates and other
// types compare by value and are left to itemsEqual.
func stringKey(it Item) (string, bool) {
	s, ok := it.Value.(string)
	if !ok {
		return "", false
	}
	switch it.Type {
	case "", "string", "code", "id", "uri", "url", "canonical", "markdown", "oid", "uuid":
		return s, true
	}
	return "", false
}

func containsItem(xs []Item, it Item) bool {
	for _, x := range xs {
		if eq, known := itemsEqual(x, it); known && eq {
			return true
		}
	}
	return false
}

func membership(ls, rs []Item) ([]Item, error) {
	if len(ls) == 0 {
		return nil, nil
	}
	if len(ls) > 1 {
		return nil, errors.New("membership operator on a collection of more than one item")
	}
	return boolResult(containsItem(rs, ls[0])), nil
}

func concatOperand(xs []Item) (string, error) {
	switch len(xs) {
	case 0:
		return "", nil
	case 1:
		if s, ok := itemString(xs[0]); ok {
			return s, nil
		}
		return "", errors.New("& on a non-string value")
	}
	return "", errors.New("& on a collection of more than one item")
}

func equalColl(a, b []Item) ([]Item, error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, nil
	}
	if len(a) != len(b) {
		return boolResult(false), nil
	}
	for i := range a {
		eq, known := itemsEqual(a[i], b[i])
		if !known {
			return nil, nil
		}
		if !eq {
			return boolResult(false), nil
		}
	}
	return boolResult(true), nil
}

// itemsEqual implements = for two items; known is false when the result is
// empty (date/times of different precision).
func itemsEqual(a, b Item) (eq, known bool) {
	am, aMap := a.Value.(map[string]any)
	bm, bMap := b.Value.(map[string]any)
	if aMap && bMap {
		if qa, ok := fhirQuantity(a); ok {
			if qb, ok := fhirQuantity(b); ok {
				return quantitiesEqual(qa, qb)
			}
		}
		return jsonEqual(am, bm), true
	}
	va, ok1 := sysValue(a)
	vb, ok2 := sysValue(b)
	if !ok1 || !ok2 {
		return false, true
	}
	return valuesEqual(va, vb)
}

func quantitiesEqual(a, b Quantity) (bool, bool) {
	_, aCal := calendarWords[a.Unit]
	_, bCal := calendarWords[b.Unit]
	if aCal != bCal {
		// calendar year/month are not definite UCUM durations
		ca, _ := calendarUnitOf(a.Unit)
		cb, _ := calendarUnitOf(b.Unit)
		if ca <= cuMonth || cb <= cuMonth {
			return false, false
		}
	}
	c, ok := compareQuantities(a, b)
	if !ok {
		return false, true
	}
	return c == 0, true
}

func valuesEqual(a, b any) (bool, bool) {
	switch x := a.(type) {
	case bool:
		y, ok := b.(bool)
		return ok && x == y, true
	case string:
		y, ok := b.(string)
		return ok && x == y, true
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y, true
		case Decimal:
			return DecimalFromInt(x).Cmp(y) == 0, true
		case Quantity:
			return quantitiesEqual(Quantity{Value: DecimalFromInt(x), Unit: "1"}, y)
		}
	case Decimal:
		switch y := b.(type) {
		case int64:
			return x.Cmp(DecimalFromInt(y)) == 0, true
		case Decimal:
			return x.Cmp(y) == 0, true
		case Quantity:
			return quantitiesEqual(Quantity{Value: x, Unit: "1"}, y)
		}
	case DateTime:
		y, ok := b.(DateTime)
		if !ok {
			return false, true
		}
		if (x.Kind == KindTime) != (y.Kind == KindTime) {
			return false, true
		}
		c, known := compareDates(x, y)
		if !known {
			return false, false
		}
		return c == 0, true
	case Quantity:
		switch y := b.(type) {
		case Quantity:
			return quantitiesEqual(x, y)
		case int64, Decimal:
			eq, known := valuesEqual(b, a)
			return eq, known
		}
	}
	return false, true
}

func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		dx, ok1 := ParseDecimal(string(x))
		dy, ok2 := ParseDecimal(string(y))
		return ok1 && ok2 && dx.Cmp(dy) == 0
	}
	return a == b
}

// ---- equivalence ----

func equivColl(a, b []Item) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
outer:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && itemsEquivalent(x, y) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

func itemsEquivalent(a, b Item) bool {
	am, aMap := a.Value.(map[string]any)
	bm, bMap := b.Value.(map[string]any)
	if aMap && bMap {
		if qa, ok := fhirQuantity(a); ok {
			if qb, ok := fhirQuantity(b); ok {
				return quantitiesEquivalent(qa, qb)
			}
		}
		return jsonEquivalent(am, bm)
	}
	va, ok1 := sysValue(a)
	vb, ok2 := sysValue(b)
	if !ok1 || !ok2 {
		return false
	}
	return valuesEquivalent(va, vb)
}

func quantitiesEquivalent(a, b Quantity) bool {
	// for ~, calendar durations and their UCUM counterparts are interchangeable
	if ca, ok := calendarWords[a.Unit]; ok && ca <= cuMonth {
		a.Unit = [...]string{"a", "mo"}[ca]
	}
	if cb, ok := calendarWords[b.Unit]; ok && cb <= cuMonth {
		b.Unit = [...]string{"a", "mo"}[cb]
	}
	ra, fa, ok1 := quantityToCanonical(a)
	rb, fb, ok2 := quantityToCanonical(b)
	if !ok1 || !ok2 || fa.dim != fb.dim {
		return false
	}
	p := a.Value.precision()
	if q := b.Value.precision(); q < p {
		p = q
	}
	return roundRat(ra, p).Cmp(roundRat(rb, p)) == 0 || ra.Cmp(rb) == 0
}

func valuesEquivalent(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && normalizeWS(x) == normalizeWS(y)
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case Decimal:
			return decimalsEquivalent(DecimalFromInt(x), y)
		}
		return false
	case Decimal:
		switch y := b.(type) {
		case int64:
			return decimalsEquivalent(x, DecimalFromInt(y))
		case Decimal:
			return decimalsEquivalent(x, y)
		}
		return false
	case DateTime:
		y, ok := b.(DateTime)
		if !ok || (x.Kind == KindTime) != (y.Kind == KindTime) {
			return false
		}
		c, known := compareDates(x, y)
		return known && c == 0
	case Quantity:
		y, ok := b.(Quantity)
		return ok && quantitiesEquivalent(x, y)
	}
	eq, _ := valuesEqual(a, b)
	return eq
}

// decimalsEquivalent compares after rounding to the least precise operand.
func decimalsEquivalent(a, b Decimal) bool {
	p := a.precision()
	if q := b.precision(); q < p {
		p = q
	}
	return roundRat(a.rat(), p).Cmp(roundRat(b.rat(), p)) == 0
}

func normalizeWS(s string) string {
	return strings.ToLower(strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " "))
}

func jsonEquivalent(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return false
		}
		// ids are ignored by equivalence
		for k, v := range x {
			if k == "id" {
				continue
			}
			if w, ok := y[k]; !ok || !jsonEquivalent(v, w) {
				return false
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok && k != "id" {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEquivalent(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && normalizeWS(x) == normalizeWS(y)
	}
	return jsonEqual(a, b)
}

// ---- ordering ----

func compareOp(op string, ls, rs []Item) ([]Item, error) {
	if len(ls) == 0 || len(rs) == 0 {
		return nil, nil
	}
	if len(ls) > 1 || len(rs) > 1 {
		return nil, errors.New("comparison of collections with more than one item")
	}
	a, ok1 := sysValue(ls[0])
	b, ok2 := sysValue(rs[0])
	if !ok1 || !ok2 {
		return nil, errors.New("comparison of non-primitive values")
	}
	c, known, err := compareValues(a, b)
	if err != nil || !known {
		return nil, err
	}
	switch op {
	case "<":
		return boolResult(c < 0), nil
	case ">":
		return boolResult(c > 0), nil
	case "<=":
		return boolResult(c <= 0), nil
	}
	return boolResult(c >= 0), nil
}

func compareValues(a, b any) (int, bool, error) {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true, nil
		}
	case int64:
		switch y := b.(type) {
		case int64:
			switch {
			case x < y:
				return -1, true, nil
			case x > y:
				return 1, true, nil
			}
			return 0, true, nil
		case Decimal:
			return DecimalFromInt(x).Cmp(y), true, nil
		}
	case Decimal:
		switch y := b.(type) {
		case int64:
			return x.Cmp(DecimalFromInt(y)), true, nil
		case Decimal:
			return x.Cmp(y), true, nil
		}
	case DateTime:
		if y, ok := b.(DateTime); ok && (x.Kind == KindTime) == (y.Kind == KindTime) {
			c, known := compareDates(x, y)
			return c, known, nil
		}
	case Quantity:
		if y, ok := b.(Quantity); ok {
			c, ok := compareQuantities(x, y)
			if !ok {
				return 0, false, nil
			}
			return c, true, nil
		}
	}
	return 0, false, fmt.Errorf("cannot compare %s with %s", systemTypeName(a), systemTypeName(b))
}
