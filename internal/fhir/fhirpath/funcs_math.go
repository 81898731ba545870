package fhirpath

import (
	"errors"
	"fmt"
	"math"
	"math/big"
)

// focusNumber reads the focus as a single Integer, Decimal or Quantity.
func focusNumber(k *call) (any, bool, error) {
	it, ok, err := singleFocus(k)
	if err != nil || !ok {
		return nil, false, err
	}
	v, _ := sysValue(it)
	switch v.(type) {
	case int64, Decimal, Quantity:
		return v, true, nil
	}
	return nil, false, fmt.Errorf("expected a number, got %s", it.TypeName())
}

func floatResult(f float64) []Item {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return []Item{{Value: decimalFromFloat(f, 0)}}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case Decimal:
		return x.Float64()
	case Quantity:
		return x.Value.Float64()
	}
	return 0
}

func registerMath(add func(string, int, int, func(*call) ([]Item, error))) {
	add("abs", 0, 0, func(k *call) ([]Item, error) {
		v, ok, err := focusNumber(k)
		if err != nil || !ok {
			return nil, err
		}
		switch x := v.(type) {
		case int64:
			if x < 0 {
				x = -x
			}
			return []Item{{Value: x}}, nil
		case Decimal:
			return []Item{{Value: Decimal{r: new(big.Rat).Abs(x.rat()), Scale: x.Scale}}}, nil
		case Quantity:
			return []Item{{Value: Quantity{Value: Decimal{r: new(big.Rat).Abs(x.Value.rat()), Scale: x.Value.Scale}, Unit: x.Unit}}}, nil
		}
		return nil, nil
	})
	intRound := func(name string) {
		add(name, 0, 0, func(k *call) ([]Item, error) {
			v, ok, err := focusNumber(k)
			if err != nil || !ok {
				return nil, err
			}
			switch x := v.(type) {
			case int64:
				return []Item{{Value: x}}, nil
			case Decimal:
				r := x.rat()
				q := new(big.Int).Quo(r.Num(), r.Denom()) // truncation toward zero
				rem := new(big.Rat).Sub(r, new(big.Rat).SetInt(q))
				switch {
				case name == "floor" && rem.Sign() < 0:
					q.Sub(q, big.NewInt(1))
				case name == "ceiling" && rem.Sign() > 0:
					q.Add(q, big.NewInt(1))
				}
				return []Item{{Value: q.Int64()}}, nil
			}
			return nil, errors.New("expected a number")
		})
	}
	intRound("ceiling")
	intRound("floor")
	intRound("truncate")
	unaryF := func(name string, f func(float64) float64) {
		add(name, 0, 0, func(k *call) ([]Item, error) {
			v, ok, err := focusNumber(k)
			if err != nil || !ok {
				return nil, err
			}
			return floatResult(f(toFloat(v))), nil
		})
	}
	unaryF("exp", math.Exp)
	unaryF("ln", math.Log)
	add("sqrt", 0, 0, func(k *call) ([]Item, error) {
		v, ok, err := focusNumber(k)
		if err != nil || !ok {
			return nil, err
		}
		f := toFloat(v)
		if f < 0 {
			return nil, nil
		}
		return floatResult(math.Sqrt(f)), nil
	})
	add("log", 1, 1, func(k *call) ([]Item, error) {
		v, ok, err := focusNumber(k)
		if err != nil || !ok {
			return nil, err
		}
		b, err := k.arg(0)
		if err != nil || len(b) != 1 {
			return nil, err
		}
		bv, _ := sysValue(b[0])
		return floatResult(math.Log(toFloat(v)) / math.Log(toFloat(bv))), nil
	})
	add("power", 1, 1, func(k *call) ([]Item, error) {
		v, ok, err := focusNumber(k)
		if err != nil || !ok {
			return nil, err
		}
		e, err := k.arg(0)
		if err != nil || len(e) != 1 {
			return nil, err
		}
		ev, _ := sysValue(e[0])
		if x, ok := v.(int64); ok {
			if y, ok := ev.(int64); ok && y >= 0 {
				r := new(big.Int).Exp(big.NewInt(x), big.NewInt(y), nil)
				if r.IsInt64() {
					return []Item{{Value: r.Int64()}}, nil
				}
				return nil, nil
			}
		}
		return floatResult(math.Pow(toFloat(v), toFloat(ev))), nil
	})
	add("round", 0, 1, func(k *call) ([]Item, error) {
		v, ok, err := focusNumber(k)
		if err != nil || !ok {
			return nil, err
		}
		prec := int64(0)
		if len(k.node.args) > 0 {
			p, ok, err := k.argInt(0)
			if err != nil {
				return nil, err
			}
			if ok {
				if p < 0 {
					return nil, errors.New("negative precision")
				}
				prec = p
			}
		}
		var r *big.Rat
		switch x := v.(type) {
		case int64:
			r = big.NewRat(x, 1)
		case Decimal:
			r = x.rat()
		default:
			return nil, errors.New("round() on a Quantity")
		}
		return []Item{{Value: Decimal{r: roundRat(r, int(prec)), Scale: int(prec)}}}, nil
	})
}
