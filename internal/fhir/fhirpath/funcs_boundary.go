package fhirpath

import (
	"errors"
	"math/big"
)

// lowBoundary/highBoundary/precision/comparable (FHIRPath 2.1, used by the
// R4 suite and by period invariants).

func init() {
	functions["lowBoundary"] = &funcDef{minArgs: 0, maxArgs: 1, fn: func(k *call) ([]Item, error) { return boundary(k, false) }}
	functions["highBoundary"] = &funcDef{minArgs: 0, maxArgs: 1, fn: func(k *call) ([]Item, error) { return boundary(k, true) }}
	functions["precision"] = &funcDef{minArgs: 0, maxArgs: 0, fn: fnPrecision}
	functions["comparable"] = &funcDef{minArgs: 1, maxArgs: 1, fn: fnComparable}
}

var datePrecDigits = map[int]int{precYear: 4, precMonth: 6, precDay: 8, precHour: 10, precMinute: 12, precSecond: 14, precMillis: 17}
var timePrecDigits = map[int]int{precHour: 2, precMinute: 4, precSecond: 6, precMillis: 9}

func fnPrecision(k *call) ([]Item, error) {
	it, ok, err := singleFocus(k)
	if err != nil || !ok {
		return nil, err
	}
	v, _ := sysValue(it)
	switch x := v.(type) {
	case Decimal:
		return []Item{{Value: int64(x.Scale)}}, nil
	case int64:
		return []Item{{Value: int64(0)}}, nil
	case DateTime:
		if x.Kind == KindTime {
			return []Item{{Value: int64(timePrecDigits[x.Prec])}}, nil
		}
		return []Item{{Value: int64(datePrecDigits[x.Prec])}}, nil
	}
	return nil, errors.New("precision() needs a Decimal, Date, DateTime or Time")
}

func fnComparable(k *call) ([]Item, error) {
	it, ok, err := singleFocus(k)
	if err != nil || !ok {
		return nil, err
	}
	o, err := k.arg(0)
	if err != nil || len(o) != 1 {
		return nil, err
	}
	a, _ := sysValue(it)
	b, _ := sysValue(o[0])
	qa, ok1 := a.(Quantity)
	qb, ok2 := b.(Quantity)
	if !ok1 || !ok2 {
		return nil, errors.New("comparable() needs quantities")
	}
	_, ok = compareQuantities(qa, qb)
	return boolResult(ok), nil
}

// defaultPrec marks "no precision argument".
const defaultPrec = -1 << 30

func boundary(k *call, high bool) ([]Item, error) {
	it, ok, err := singleFocus(k)
	if err != nil || !ok {
		return nil, err
	}
	prec := defaultPrec
	if len(k.node.args) > 0 {
		p, ok, err := k.argInt(0)
		if err != nil {
			return nil, err
		}
		if ok {
			prec = int(p)
		}
	}
	v, _ := sysValue(it)
	switch x := v.(type) {
	case int64:
		return decBoundary(DecimalFromInt(x), prec, high), nil
	case Decimal:
		return decBoundary(x, prec, high), nil
	case Quantity:
		r := decBoundary(x.Value, prec, high)
		if r == nil {
			return nil, nil
		}
		return []Item{{Value: Quantity{Value: r[0].Value.(Decimal), Unit: x.Unit}}}, nil
	case DateTime:
		return dateBoundary(x, prec, high), nil
	}
	return nil, errors.New("boundary functions need a number, quantity or date/time")
}

// decBoundary: the value is uncertain by half a unit in its last written
// digit; the bound is then cut to prec digits (the suite's reference behaviour:
// truncation toward zero for the inner bound, half-up rounding for the outer).
func decBoundary(d Decimal, prec int, high bool) []Item {
	if prec == defaultPrec {
		prec = 8
	}
	if prec < 0 || prec > 28 {
		return nil
	}
	neg := d.rat().Sign() < 0
	abs := new(big.Rat).Abs(d.rat())
	half := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Mul(big.NewInt(2), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil)))
	outer := high != neg // moving away from zero
	var b *big.Rat
	if outer {
		b = new(big.Rat).Add(abs, half)
		b = roundRat(b, prec)
	} else {
		b = new(big.Rat).Sub(abs, half)
		b = truncRat(b, prec)
	}
	if neg {
		b.Neg(b)
	}
	return []Item{{Value: Decimal{r: b, Scale: prec}}}
}

func truncRat(r *big.Rat, n int) *big.Rat {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	q := new(big.Int).Quo(x.Num(), x.Denom())
	return new(big.Rat).SetFrac(q, scale)
}

func dateBoundary(d DateTime, prec int, high bool) []Item {
	digits := datePrecDigits
	if d.Kind == KindTime {
		digits = timePrecDigits
	}
	target := -1
	if prec == defaultPrec {
		target = precMillis
		if d.Kind == KindDate {
			target = precDay
		}
	} else {
		for p, n := range digits {
			if n == prec {
				target = p
			}
		}
	}
	if target < 0 || d.Kind == KindDate && target > precDay {
		return nil
	}
	r := d
	if r.Prec == precHour {
		// an hour alone is not a valid FHIR time: it means hh:00
		r.Prec = precMinute
	}
	fill := func(p int) {
		switch p {
		case precMonth:
			r.Month = map[bool]int{false: 1, true: 12}[high]
		case precDay:
			r.Day = 1
			if high {
				r.Day = daysIn(r.Year, r.Month)
			}
		case precHour:
			r.Hour = map[bool]int{false: 0, true: 23}[high]
		case precMinute:
			r.Minute = map[bool]int{false: 0, true: 59}[high]
		case precSecond:
			r.Second = map[bool]int{false: 0, true: 59}[high]
		case precMillis:
			r.Nanosecond = map[bool]int{false: 0, true: 999000000}[high]
		}
	}
	for p := r.Prec + 1; p <= target; p++ {
		fill(p)
	}
	if target >= precMillis {
		r.FracDigits = 3
	}
	r.Prec = target
	if r.Kind == KindDateTime && target >= precHour && !r.HasTZ {
		r.HasTZ = true
		r.TZOffset = 14 * 3600
		if high {
			r.TZOffset = -12 * 3600
		}
	}
	return []Item{{Value: r}}
}
