package fhirpath

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Item is one element of a FHIRPath collection.
//
// FHIR nodes (anything reached by navigating a resource) keep the decoded JSON
// value untouched: map[string]any for complex types and resources, string,
// json.Number or bool for primitives (nil when a primitive carries only
// extensions), with Type set to the FHIR type name ("HumanName", "date",
// "Patient.contact", "Patient"). Ext holds a primitive's "_name" sibling.
//
// System values (literals and computed results) have Type "" and Value of
// Go type bool, int64, string, Decimal, DateTime or Quantity.
type Item struct {
	Type  string
	Value any
	Ext   map[string]any
}

// IsSystem reports whether the item is a System value rather than a FHIR node.
func (it Item) IsSystem() bool { return it.Type == "" }

// TypeName returns the qualified type name, e.g. "FHIR.HumanName" or "System.Integer".
func (it Item) TypeName() string {
	if it.Type != "" {
		return "FHIR." + it.Type
	}
	return "System." + systemTypeName(it.Value)
}

func systemTypeName(v any) string {
	switch x := v.(type) {
	case bool:
		return "Boolean"
	case int64:
		return "Integer"
	case string:
		return "String"
	case Decimal:
		return "Decimal"
	case DateTime:
		switch x.Kind {
		case KindDate:
			return "Date"
		case KindTime:
			return "Time"
		}
		return "DateTime"
	case Quantity:
		return "Quantity"
	}
	return "Any"
}

// String renders the item the way toString() does; complex FHIR nodes render as JSON.
func (it Item) String() string {
	if s, ok := itemString(it); ok {
		return s
	}
	b, err := json.Marshal(it.Value)
	if err != nil {
		return fmt.Sprint(it.Value)
	}
	return string(b)
}

// Decimal is an exact decimal number; Scale remembers the number of
// fractional digits written, so 1.0 renders as "1.0" and ~ can round.
type Decimal struct {
	r     *big.Rat
	Scale int
}

// ParseDecimal reads a plain decimal such as "-12.50" (exponents are accepted
// for robustness with JSON numbers).
func ParseDecimal(s string) (Decimal, bool) {
	if s == "" {
		return Decimal{}, false
	}
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if body == "" || body[0] == '.' || strings.HasSuffix(body, ".") {
		return Decimal{}, false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !isDigit(c) && c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+' {
			return Decimal{}, false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Decimal{}, false
	}
	scale := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		scale = j - i - 1
	}
	return Decimal{r: r, Scale: scale}, true
}

// DecimalFromInt converts an Integer.
func DecimalFromInt(i int64) Decimal { return Decimal{r: new(big.Rat).SetInt64(i)} }

func decimalFromFloat(f float64, scale int) Decimal {
	r := new(big.Rat)
	if r.SetFloat64(f) == nil {
		r.SetInt64(0)
	}
	return Decimal{r: r, Scale: scale}
}

// Rat returns the exact value (a copy).
func (d Decimal) Rat() *big.Rat {
	if d.r == nil {
		return new(big.Rat)
	}
	return new(big.Rat).Set(d.r)
}

func (d Decimal) rat() *big.Rat {
	if d.r == nil {
		return new(big.Rat)
	}
	return d.r
}

// Float64 returns the nearest float.
func (d Decimal) Float64() float64 { f, _ := d.rat().Float64(); return f }

// Cmp compares by value.
func (d Decimal) Cmp(o Decimal) int { return d.rat().Cmp(o.rat()) }

func (d Decimal) String() string {
	r := d.rat()
	if r.IsInt() && d.Scale == 0 {
		return r.Num().String()
	}
	if d.Scale > 0 {
		return r.FloatString(d.Scale)
	}
	// computed values (division): up to 8 places, trailing zeros trimmed
	s := r.FloatString(8)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// precision is the number of fractional digits needed to show the value
// (at least Scale).
func (d Decimal) precision() int {
	if d.r == nil || d.r.IsInt() {
		return d.Scale
	}
	s := strings.TrimRight(d.r.FloatString(8), "0")
	p := len(s) - strings.IndexByte(s, '.') - 1
	if p < d.Scale {
		p = d.Scale
	}
	return p
}

// roundRat rounds half away from zero to n fractional digits.
func roundRat(r *big.Rat, n int) *big.Rat {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	num, den := x.Num(), x.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	m.Abs(m).Mul(m, big.NewInt(2))
	if m.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return new(big.Rat).SetFrac(q, scale)
}

// Quantity is a System.Quantity: a decimal with a UCUM unit or a calendar
// duration keyword ("year", "month", "week", "day", "hour", "minute",
// "second", "millisecond").
type Quantity struct {
	Value Decimal
	Unit  string
}

func (q Quantity) String() string {
	if isCalendarUnit(q.Unit) {
		return q.Value.String() + " " + q.Unit
	}
	return q.Value.String() + " '" + q.Unit + "'"
}

// itemString converts a primitive item to its string form.
func itemString(it Item) (string, bool) {
	switch x := it.Value.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case json.Number:
		return x.String(), true
	case Decimal:
		return x.String(), true
	case DateTime:
		return x.String(), true
	case Quantity:
		return x.String(), true
	case map[string]any:
		if q, ok := fhirQuantity(it); ok {
			return q.String(), true
		}
	}
	return "", false
}

func boolResult(b bool) []Item { return []Item{{Value: b}} }
