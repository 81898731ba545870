package fhirpath

import (
	"errors"
	"fmt"
	"sort"
)

type funcDef struct {
	fn               func(k *call) ([]Item, error)
	minArgs, maxArgs int
	typeArg          bool // the first argument is a type name, not an expression
}

var functions map[string]*funcDef

func init() {
	functions = map[string]*funcDef{}
	add := func(name string, min, max int, fn func(k *call) ([]Item, error)) {
		functions[name] = &funcDef{fn: fn, minArgs: min, maxArgs: max}
	}
	// existence
	add("empty", 0, 0, func(k *call) ([]Item, error) { return boolResult(len(k.focus) == 0), nil })
	add("exists", 0, 1, fnExists)
	add("all", 1, 1, fnAll)
	add("allTrue", 0, 0, func(k *call) ([]Item, error) { return boolsAll(k, true, true) })
	add("anyTrue", 0, 0, func(k *call) ([]Item, error) { return boolsAll(k, true, false) })
	add("allFalse", 0, 0, func(k *call) ([]Item, error) { return boolsAll(k, false, true) })
	add("anyFalse", 0, 0, func(k *call) ([]Item, error) { return boolsAll(k, false, false) })
	add("subsetOf", 1, 1, func(k *call) ([]Item, error) { return subset(k, false) })
	add("supersetOf", 1, 1, func(k *call) ([]Item, error) { return subset(k, true) })
	add("count", 0, 0, func(k *call) ([]Item, error) { return []Item{{Value: int64(len(k.focus))}}, nil })
	add("distinct", 0, 0, func(k *call) ([]Item, error) { return union(k.focus, nil), nil })
	add("isDistinct", 0, 0, func(k *call) ([]Item, error) {
		return boolResult(len(union(k.focus, nil)) == len(k.focus)), nil
	})
	add("not", 0, 0, fnNot)
	// filtering and projection
	add("where", 1, 1, fnWhere)
	add("select", 1, 1, fnSelect)
	add("repeat", 1, 1, fnRepeat)
	functions["ofType"] = &funcDef{minArgs: 1, maxArgs: 1, typeArg: true, fn: func(k *call) ([]Item, error) {
		if err := checkType(k.c, k.node.ts); err != nil {
			return nil, err
		}
		return ofType(k.c, k.focus, k.node.ts), nil
	}}
	functions["is"] = &funcDef{minArgs: 1, maxArgs: 1, typeArg: true, fn: func(k *call) ([]Item, error) {
		return isOp(k.c, k.focus, k.node.ts)
	}}
	functions["as"] = &funcDef{minArgs: 1, maxArgs: 1, typeArg: true, fn: func(k *call) ([]Item, error) {
		return asOp(k.c, k.focus, k.node.ts)
	}}
	// subsetting
	add("single", 0, 0, func(k *call) ([]Item, error) {
		if len(k.focus) > 1 {
			return nil, errors.New("more than one item")
		}
		return k.focus, nil
	})
	add("first", 0, 0, func(k *call) ([]Item, error) { return slice(k.focus, 0, 1), nil })
	add("last", 0, 0, func(k *call) ([]Item, error) { return slice(k.focus, len(k.focus)-1, len(k.focus)), nil })
	add("tail", 0, 0, func(k *call) ([]Item, error) { return slice(k.focus, 1, len(k.focus)), nil })
	add("skip", 1, 1, func(k *call) ([]Item, error) {
		n, ok, err := k.argInt(0)
		if err != nil || !ok {
			return nil, err
		}
		return slice(k.focus, int(n), len(k.focus)), nil
	})
	add("take", 1, 1, func(k *call) ([]Item, error) {
		n, ok, err := k.argInt(0)
		if err != nil || !ok {
			return nil, err
		}
		return slice(k.focus, 0, int(n)), nil
	})
	add("intersect", 1, 1, func(k *call) ([]Item, error) { return setOp(k, true) })
	add("exclude", 1, 1, func(k *call) ([]Item, error) { return setOp(k, false) })
	// combining
	add("union", 1, 1, func(k *call) ([]Item, error) {
		o, err := k.arg(0)
		return union(k.focus, o), err
	})
	add("combine", 1, 1, func(k *call) ([]Item, error) {
		o, err := k.arg(0)
		out := make([]Item, 0, len(k.focus)+len(o))
		return append(append(out, k.focus...), o...), err
	})
	add("iif", 2, 3, fnIif)
	add("aggregate", 1, 2, fnAggregate)
	add("sort", 0, 8, fnSort)
	registerConversions(add)
	registerStrings(add)
	registerMath(add)
	registerFHIR(add)
}

func slice(xs []Item, from, to int) []Item {
	if from < 0 {
		from = 0
	}
	if to > len(xs) {
		to = len(xs)
	}
	if from >= to {
		return nil
	}
	return xs[from:to:to]
}

// argInt evaluates argument i as a single Integer.
func (k *call) argInt(i int) (int64, bool, error) {
	xs, err := k.arg(i)
	if err != nil {
		return 0, false, err
	}
	return singleInt(xs)
}

func singleInt(xs []Item) (int64, bool, error) {
	switch len(xs) {
	case 0:
		return 0, false, nil
	case 1:
		v, _ := sysValue(xs[0])
		if n, ok := v.(int64); ok {
			return n, true, nil
		}
		return 0, false, fmt.Errorf("expected an Integer, got %s", systemTypeName(v))
	}
	return 0, false, errors.New("expected a single Integer, got a collection")
}

// argString evaluates argument i as a single String.
func (k *call) argString(i int) (string, bool, error) {
	xs, err := k.arg(i)
	if err != nil {
		return "", false, err
	}
	return singleString(xs)
}

func singleString(xs []Item) (string, bool, error) {
	switch len(xs) {
	case 0:
		return "", false, nil
	case 1:
		v, _ := sysValue(xs[0])
		if s, ok := v.(string); ok {
			return s, true, nil
		}
		if xs[0].Type != "" && primitiveBase[xs[0].Type] != "" {
			if s, ok := itemString(xs[0]); ok {
				return s, true, nil
			}
		}
		return "", false, fmt.Errorf("expected a String, got %s", xs[0].TypeName())
	}
	return "", false, errors.New("expected a single String, got a collection")
}

func fnExists(k *call) ([]Item, error) {
	if len(k.node.args) == 0 {
		return boolResult(len(k.focus) > 0), nil
	}
	found := false
	err := k.iterate(0, func(_ int, _ Item, res []Item) (bool, error) {
		b, err := toBool3(res)
		if b == 1 {
			found = true
			return true, err
		}
		return false, err
	})
	return boolResult(found), err
}

func fnAll(k *call) ([]Item, error) {
	all := true
	err := k.iterate(0, func(_ int, _ Item, res []Item) (bool, error) {
		b, err := toBool3(res)
		if b != 1 {
			all = false
			return true, err
		}
		return false, err
	})
	return boolResult(all), err
}

// boolsAll: allTrue (want true, all), anyTrue (true, any), allFalse, anyFalse.
func boolsAll(k *call, want, all bool) ([]Item, error) {
	for _, it := range k.focus {
		v, _ := sysValue(it)
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("expected Boolean items, got %s", it.TypeName())
		}
		if all && b != want {
			return boolResult(false), nil
		}
		if !all && b == want {
			return boolResult(true), nil
		}
	}
	return boolResult(all), nil
}

func subset(k *call, super bool) ([]Item, error) {
	o, err := k.arg(0)
	if err != nil {
		return nil, err
	}
	a, b := k.focus, o
	if super {
		a, b = o, k.focus
	}
	for _, it := range a {
		if !containsItem(b, it) {
			return boolResult(false), nil
		}
	}
	return boolResult(true), nil
}

func fnNot(k *call) ([]Item, error) {
	b, err := toBool3(k.focus)
	if err != nil || b < 0 {
		return nil, err
	}
	return boolResult(b == 0), nil
}

func fnWhere(k *call) ([]Item, error) {
	var out []Item
	err := k.iterate(0, func(_ int, it Item, res []Item) (bool, error) {
		if len(res) == 1 {
			if b, ok := res[0].Value.(bool); ok {
				if b {
					out = append(out, it)
				}
				return false, nil
			}
		}
		b, err := toBool3(res)
		if b == 1 {
			out = append(out, it)
		}
		return false, err
	})
	return out, err
}

func fnSelect(k *call) ([]Item, error) {
	var out []Item
	err := k.iterate(0, func(_ int, _ Item, res []Item) (bool, error) {
		out = append(out, res...)
		return false, nil
	})
	return out, err
}

func fnRepeat(k *call) ([]Item, error) {
	var out []Item
	queue := k.focus
	sub := *k.c
	sub.inIteration = true
	for round := 0; len(queue) > 0 && round < 1000; round++ {
		var next []Item
		for i := range queue {
			one := queue[i : i+1 : i+1]
			sub.this = one
			sub.index = i
			res, err := k.node.args[0].eval(&sub, one)
			if err != nil {
				return nil, err
			}
			for _, r := range res {
				if !containsItem(out, r) {
					out = append(out, r)
					next = append(next, r)
				}
			}
		}
		queue = next
	}
	return out, nil
}

func setOp(k *call, intersect bool) ([]Item, error) {
	o, err := k.arg(0)
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, it := range k.focus {
		in := containsItem(o, it)
		if intersect && in && !containsItem(out, it) || !intersect && !in {
			out = append(out, it)
		}
	}
	return out, nil
}

func fnIif(k *call) ([]Item, error) {
	if len(k.focus) > 1 {
		return nil, errors.New("iif() on a collection of more than one item")
	}
	in := k.in
	if k.node.focus != nil {
		in = k.focus
	}
	sub := *k.c
	if k.node.focus != nil {
		sub.this = k.focus
	}
	cond, err := k.node.args[0].eval(&sub, in)
	if err != nil {
		return nil, err
	}
	if len(cond) > 1 {
		return nil, errors.New("iif() criterion is not a single Boolean")
	}
	b := -1
	if len(cond) == 1 {
		bv, ok := cond[0].Value.(bool)
		if !ok {
			return nil, errors.New("iif() criterion is not a Boolean")
		}
		b = 0
		if bv {
			b = 1
		}
	}
	if b == 1 {
		return k.node.args[1].eval(&sub, in)
	}
	if len(k.node.args) > 2 {
		return k.node.args[2].eval(&sub, in)
	}
	return nil, nil
}

func fnAggregate(k *call) ([]Item, error) {
	var total []Item
	if len(k.node.args) > 1 {
		var err error
		if total, err = k.arg(1); err != nil {
			return nil, err
		}
	}
	sub := *k.c
	sub.inIteration = true
	for i := range k.focus {
		one := k.focus[i : i+1 : i+1]
		sub.this, sub.index, sub.total = one, i, total
		res, err := k.node.args[0].eval(&sub, one)
		if err != nil {
			return nil, err
		}
		total = res
	}
	return total, nil
}

// fnSort orders by each key expression; a key written as -expr sorts descending.
func fnSort(k *call) ([]Item, error) {
	type keyed struct {
		it   Item
		keys [][]Item
	}
	rows := make([]keyed, len(k.focus))
	desc := make([]bool, len(k.node.args))
	exprs := make([]node, len(k.node.args))
	for j, a := range k.node.args {
		exprs[j] = a
		if u, ok := a.(*unaryNode); ok && u.neg {
			desc[j], exprs[j] = true, u.x
		}
	}
	sub := *k.c
	sub.inIteration = true
	for i, it := range k.focus {
		rows[i].it = it
		one := k.focus[i : i+1 : i+1]
		sub.this, sub.index = one, i
		for _, e := range exprs {
			res, err := e.eval(&sub, one)
			if err != nil {
				return nil, err
			}
			rows[i].keys = append(rows[i].keys, res)
		}
	}
	var sortErr error
	cmp := func(a, b []Item) int {
		switch {
		case len(a) == 0 && len(b) == 0:
			return 0
		case len(a) == 0:
			return -1
		case len(b) == 0:
			return 1
		}
		va, _ := sysValue(a[0])
		vb, _ := sysValue(b[0])
		c, _, err := compareValues(va, vb)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return c
	}
	sort.SliceStable(rows, func(x, y int) bool {
		if len(exprs) == 0 {
			return cmp(rows[x].it.asColl(), rows[y].it.asColl()) < 0
		}
		for j := range exprs {
			a, b := rows[x].keys[j], rows[y].keys[j]
			c := cmp(a, b)
			if desc[j] && len(a) > 0 && len(b) > 0 {
				c = -c // empty keys sort first in both directions
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	if sortErr != nil {
		return nil, sortErr
	}
	out := make([]Item, len(rows))
	for i := range rows {
		out[i] = rows[i].it
	}
	return out, nil
}

func (it Item) asColl() []Item { return []Item{it} }
