package fhirpath

import (
	"fmt"
	"math/big"
)

// Arithmetic on Integer, Decimal, Quantity and date/time values.

func negDecimal(d Decimal) Decimal { return Decimal{r: new(big.Rat).Neg(d.rat()), Scale: d.Scale} }

func arithmetic(op string, ls, rs []Item) ([]Item, error) {
	if len(ls) == 0 || len(rs) == 0 {
		return nil, nil
	}
	if len(ls) > 1 || len(rs) > 1 {
		return nil, fmt.Errorf("operator %s on a collection of more than one item", op)
	}
	a, ok1 := sysValue(ls[0])
	b, ok2 := sysValue(rs[0])
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("operator %s on non-primitive values", op)
	}
	v, err := arith(op, a, b)
	if err != nil || v == nil {
		return nil, err
	}
	return []Item{{Value: v}}, nil
}

func arith(op string, a, b any) (any, error) {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok && op == "+" {
			return x + y, nil
		}
	case int64:
		switch y := b.(type) {
		case int64:
			return intArith(op, x, y)
		case Decimal:
			return decArith(op, DecimalFromInt(x), y)
		case Quantity:
			if op == "*" {
				return Quantity{Value: mulDec(DecimalFromInt(x), y.Value), Unit: y.Unit}, nil
			}
		}
	case Decimal:
		switch y := b.(type) {
		case int64:
			return decArith(op, x, DecimalFromInt(y))
		case Decimal:
			return decArith(op, x, y)
		case Quantity:
			if op == "*" {
				return Quantity{Value: mulDec(x, y.Value), Unit: y.Unit}, nil
			}
		}
	case Quantity:
		switch y := b.(type) {
		case Quantity:
			return quantityArith(op, x, y)
		case int64:
			return quantityScalar(op, x, DecimalFromInt(y))
		case Decimal:
			return quantityScalar(op, x, y)
		}
	case DateTime:
		if y, ok := b.(Quantity); ok && (op == "+" || op == "-") {
			amt := y.Value
			if op == "-" {
				amt = negDecimal(amt)
			}
			return addDurationChecked(x, amt, y.Unit)
		}
	}
	return nil, fmt.Errorf("operator %s is not defined for %s and %s", op, systemTypeName(a), systemTypeName(b))
}

func addDurationChecked(d DateTime, amt Decimal, unit string) (any, error) {
	cu, ok := calendarUnitOf(unit)
	if !ok {
		return nil, fmt.Errorf("cannot add a quantity in %q to a date/time", unit)
	}
	if _, isUCUM := ucumTimeUnits[unit]; isUCUM && cu <= cuMonth {
		// UCUM 'a' and 'mo' are not calendar durations
		return nil, fmt.Errorf("cannot add %q (use a calendar duration) to a date/time", unit)
	}
	if d.Kind == KindTime && cu <= cuDay {
		return nil, fmt.Errorf("cannot add %s to a Time", unit)
	}
	// only whole units are added (the suite: + 0.1 's' leaves the value unchanged)
	amt = Decimal{r: truncRat(amt.rat(), 0)}
	// below the value's precision, convert to the precision's unit (truncating)
	prec := d.Prec
	if d.Kind == KindDate && cu >= cuHour {
		secs := map[calUnit]int64{cuHour: 3600, cuMinute: 60, cuSecond: 1, cuMillisecond: 0}[cu]
		if secs == 0 {
			return d, nil
		}
		days := new(big.Rat).Quo(new(big.Rat).Mul(amt.rat(), big.NewRat(secs, 1)), big.NewRat(86400, 1))
		amt = Decimal{r: new(big.Rat).SetInt(new(big.Int).Quo(days.Num(), days.Denom()))}
		cu = cuDay
	}
	switch {
	case prec == precYear && cu > cuYear:
		months := map[calUnit]int64{cuMonth: 1, cuWeek: 0, cuDay: 0}[cu]
		if cu == cuMonth {
			y := new(big.Int).Quo(amt.rat().Num(), big.NewInt(12*months))
			amt, cu = Decimal{r: new(big.Rat).SetInt(y)}, cuYear
		} else {
			days := amt.rat()
			if cu == cuWeek {
				days = new(big.Rat).Mul(days, big.NewRat(7, 1))
			}
			y := new(big.Int).Quo(new(big.Int).Quo(days.Num(), days.Denom()), big.NewInt(365))
			amt, cu = Decimal{r: new(big.Rat).SetInt(y)}, cuYear
		}
	case prec == precMonth && cu > cuMonth:
		days := amt.rat()
		if cu == cuWeek {
			days = new(big.Rat).Mul(days, big.NewRat(7, 1))
		}
		m := new(big.Int).Quo(new(big.Int).Quo(days.Num(), days.Denom()), big.NewInt(30))
		amt, cu = Decimal{r: new(big.Rat).SetInt(m)}, cuMonth
	}
	r, err := addDuration(d, amt, calendarSingular[cu])
	if err != nil {
		return nil, err
	}
	return r, nil
}

func intArith(op string, x, y int64) (any, error) {
	switch op {
	case "+", "-", "*":
		a, b := big.NewInt(x), big.NewInt(y)
		switch op {
		case "+":
			a.Add(a, b)
		case "-":
			a.Sub(a, b)
		default:
			a.Mul(a, b)
		}
		if !a.IsInt64() {
			return nil, fmt.Errorf("integer overflow in %d %s %d", x, op, y)
		}
		return a.Int64(), nil
	case "/":
		if y == 0 {
			return nil, nil
		}
		return Decimal{r: big.NewRat(x, y)}, nil
	case "div":
		if y == 0 {
			return nil, nil
		}
		return x / y, nil
	case "mod":
		if y == 0 {
			return nil, nil
		}
		return x % y, nil
	}
	return nil, fmt.Errorf("operator %s is not defined for Integer", op)
}

func mulDec(a, b Decimal) Decimal {
	return Decimal{r: new(big.Rat).Mul(a.rat(), b.rat()), Scale: a.Scale + b.Scale}
}

func decArith(op string, x, y Decimal) (any, error) {
	scale := x.Scale
	if y.Scale > scale {
		scale = y.Scale
	}
	switch op {
	case "+":
		return Decimal{r: new(big.Rat).Add(x.rat(), y.rat()), Scale: scale}, nil
	case "-":
		return Decimal{r: new(big.Rat).Sub(x.rat(), y.rat()), Scale: scale}, nil
	case "*":
		return mulDec(x, y), nil
	case "/":
		if y.rat().Sign() == 0 {
			return nil, nil
		}
		return Decimal{r: new(big.Rat).Quo(x.rat(), y.rat())}, nil
	case "div":
		if y.rat().Sign() == 0 {
			return nil, nil
		}
		q := new(big.Rat).Quo(x.rat(), y.rat())
		return new(big.Int).Quo(q.Num(), q.Denom()).Int64(), nil
	case "mod":
		if y.rat().Sign() == 0 {
			return nil, nil
		}
		q := new(big.Rat).Quo(x.rat(), y.rat())
		t := new(big.Rat).SetInt(new(big.Int).Quo(q.Num(), q.Denom()))
		return Decimal{r: new(big.Rat).Sub(x.rat(), new(big.Rat).Mul(t, y.rat())), Scale: scale}, nil
	}
	return nil, fmt.Errorf("operator %s is not defined for Decimal", op)
}

func quantityScalar(op string, q Quantity, d Decimal) (any, error) {
	switch op {
	case "*":
		return Quantity{Value: mulDec(q.Value, d), Unit: q.Unit}, nil
	case "/":
		if d.rat().Sign() == 0 {
			return nil, nil
		}
		return Quantity{Value: Decimal{r: new(big.Rat).Quo(q.Value.rat(), d.rat())}, Unit: q.Unit}, nil
	}
	return nil, fmt.Errorf("operator %s is not defined for Quantity and a number", op)
}

func quantityArith(op string, a, b Quantity) (any, error) {
	switch op {
	case "+", "-":
		if normalizeCalendar(a.Unit) != normalizeCalendar(b.Unit) {
			_, fa, ok1 := quantityToCanonical(a)
			rb, fb, ok2 := quantityToCanonical(b)
			if !ok1 || !ok2 || fa.dim != fb.dim {
				return nil, fmt.Errorf("cannot %s quantities in %q and %q", op, a.Unit, b.Unit)
			}
			// express the result in a's unit
			rbInA := new(big.Rat).Quo(rb, fa.factor)
			b = Quantity{Value: Decimal{r: rbInA, Scale: b.Value.Scale}, Unit: a.Unit}
		}
		v, _ := decArith(op, a.Value, b.Value)
		return Quantity{Value: v.(Decimal), Unit: a.Unit}, nil
	case "*", "/":
		ra, fa, ok1 := quantityToCanonical(a)
		rb, fb, ok2 := quantityToCanonical(b)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("cannot %s quantities in %q and %q", op, a.Unit, b.Unit)
		}
		if op == "*" {
			unit := combineUnits(fa.dim, fb.dim, "*")
			return Quantity{Value: Decimal{r: new(big.Rat).Mul(ra, rb), Scale: a.Value.Scale + b.Value.Scale}, Unit: unit}, nil
		}
		if rb.Sign() == 0 {
			return nil, nil
		}
		unit := combineUnits(fa.dim, fb.dim, "/")
		return Quantity{Value: Decimal{r: new(big.Rat).Quo(ra, rb)}, Unit: unit}, nil
	}
	return nil, fmt.Errorf("operator %s is not defined for quantities", op)
}

// combineUnits multiplies or divides two base-dimension units ("m", "g").
func combineUnits(a, b, op string) string {
	if op == "/" {
		switch {
		case a == b:
			return "1"
		case b == "":
			return a
		case a == "":
			return "1/" + b
		}
		return a + "/" + b
	}
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case a == b:
		return dimPow(a, 2)
	}
	return a + "." + b
}
