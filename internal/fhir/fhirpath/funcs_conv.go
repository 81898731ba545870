package fhirpath

import (
	"errors"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

func registerConversions(add func(string, int, int, func(*call) ([]Item, error))) {
	conv := func(name string, f func(v any, it Item) (any, bool)) {
		add("to"+name, 0, 0, func(k *call) ([]Item, error) {
			it, ok, err := singleFocus(k)
			if err != nil || !ok {
				return nil, err
			}
			v, _ := sysValue(it)
			r, ok := f(v, it)
			if !ok {
				return nil, nil
			}
			return []Item{{Value: r}}, nil
		})
		add("convertsTo"+name, 0, 0, func(k *call) ([]Item, error) {
			it, ok, err := singleFocus(k)
			if err != nil || !ok {
				return nil, err
			}
			v, _ := sysValue(it)
			_, ok = f(v, it)
			return boolResult(ok), nil
		})
	}
	conv("Boolean", toBoolean)
	conv("Integer", func(v any, _ Item) (any, bool) {
		switch x := v.(type) {
		case int64:
			return x, true
		case bool:
			if x {
				return int64(1), true
			}
			return int64(0), true
		case string:
			if integerRe.MatchString(x) {
				n, err := strconv.ParseInt(x, 10, 64)
				return n, err == nil
			}
		}
		return nil, false
	})
	conv("Decimal", func(v any, _ Item) (any, bool) {
		switch x := v.(type) {
		case int64:
			return DecimalFromInt(x), true
		case Decimal:
			return x, true
		case bool:
			if x {
				return Decimal{r: big.NewRat(1, 1), Scale: 1}, true
			}
			return Decimal{r: new(big.Rat), Scale: 1}, true
		case string:
			if decimalRe.MatchString(x) {
				return ParseDecimal(x)
			}
		}
		return nil, false
	})
	conv("String", func(v any, it Item) (any, bool) {
		if v == nil {
			return nil, false
		}
		if s, ok := itemString(Item{Value: v}); ok {
			return s, true
		}
		return nil, false
	})
	dateConv := func(kind DateKind) func(v any, _ Item) (any, bool) {
		return func(v any, _ Item) (any, bool) {
			switch x := v.(type) {
			case string:
				if kind == KindTime && strings.HasPrefix(x, "T") {
					return nil, false
				}
				d, ok := ParseDate(x, kind)
				if !ok && kind == KindDate {
					// a DateTime string converts to its date part
					if dt, ok2 := ParseDate(x, KindDateTime); ok2 {
						dt.Kind = KindDate
						if dt.Prec > precDay {
							dt.Prec = precDay
						}
						dt.HasTZ = false
						return dt, true
					}
				}
				return d, ok
			case DateTime:
				switch {
				case x.Kind == kind:
					return x, true
				case x.Kind == KindDate && kind == KindDateTime:
					x.Kind = KindDateTime
					return x, true
				case x.Kind == KindDateTime && kind == KindDate:
					x.Kind = KindDate
					if x.Prec > precDay {
						x.Prec = precDay
					}
					x.HasTZ = false
					return x, true
				}
			}
			return nil, false
		}
	}
	conv("Date", dateConv(KindDate))
	conv("DateTime", dateConv(KindDateTime))
	conv("Time", dateConv(KindTime))
	add("toQuantity", 0, 1, func(k *call) ([]Item, error) { return quantityConv(k, false) })
	add("convertsToQuantity", 0, 1, func(k *call) ([]Item, error) { return quantityConv(k, true) })
}

var (
	integerRe  = regexp.MustCompile(`^[+-]?\d+$`)
	decimalRe  = regexp.MustCompile(`^[+-]?\d+(\.\d+)?$`)
	quantityRe = regexp.MustCompile(`^([+-]?\d+(?:\.\d+)?)\s*(?:'([^']+)'|([a-zA-Z]+))?$`)
)

func singleFocus(k *call) (Item, bool, error) {
	switch len(k.focus) {
	case 0:
		return Item{}, false, nil
	case 1:
		return k.focus[0], true, nil
	}
	return Item{}, false, errors.New("input has more than one item")
}

func toBoolean(v any, _ Item) (any, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case int64:
		switch x {
		case 1:
			return true, true
		case 0:
			return false, true
		}
	case Decimal:
		switch {
		case x.rat().Cmp(big.NewRat(1, 1)) == 0:
			return true, true
		case x.rat().Sign() == 0:
			return false, true
		}
	case string:
		switch strings.ToLower(x) {
		case "true", "t", "yes", "y", "1", "1.0":
			return true, true
		case "false", "f", "no", "n", "0", "0.0":
			return false, true
		}
	}
	return nil, false
}

func quantityConv(k *call, test bool) ([]Item, error) {
	it, ok, err := singleFocus(k)
	if err != nil || !ok {
		return nil, err
	}
	target := ""
	if len(k.node.args) > 0 {
		s, ok, err := k.argString(0)
		if err != nil {
			return nil, err
		}
		if ok {
			target = s
		}
	}
	v, _ := sysValue(it)
	var q Quantity
	found := true
	switch x := v.(type) {
	case int64:
		q = Quantity{Value: DecimalFromInt(x), Unit: "1"}
	case Decimal:
		q = Quantity{Value: x, Unit: "1"}
	case Quantity:
		q = x
	case bool:
		d := DecimalFromInt(0)
		if x {
			d = DecimalFromInt(1)
		}
		d.Scale = 1
		q = Quantity{Value: d, Unit: "1"}
	case string:
		m := quantityRe.FindStringSubmatch(strings.TrimSpace(x))
		if m == nil {
			found = false
			break
		}
		d, _ := ParseDecimal(m[1])
		unit := "1"
		switch {
		case m[2] != "":
			unit = m[2]
		case m[3] != "":
			if !isCalendarUnit(m[3]) {
				found = false
			}
			unit = normalizeCalendar(m[3])
		}
		q = Quantity{Value: d, Unit: unit}
	default:
		found = false
	}
	if found && target != "" && target != q.Unit {
		r, f, ok1 := quantityToCanonical(q)
		_, tf, ok2 := quantityToCanonical(Quantity{Value: DecimalFromInt(1), Unit: target})
		if !ok1 || !ok2 || f.dim != tf.dim {
			found = false
		} else {
			q = Quantity{Value: Decimal{r: new(big.Rat).Quo(r, tf.factor)}, Unit: target}
		}
	}
	if test {
		return boolResult(found), nil
	}
	if !found {
		return nil, nil
	}
	return []Item{{Value: q}}, nil
}
