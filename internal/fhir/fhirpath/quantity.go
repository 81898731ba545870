package fhirpath

import (
	"math/big"
	"strings"
)

// Calendar duration units, ordered from largest to smallest.
type calUnit int

const (
	cuYear calUnit = iota
	cuMonth
	cuWeek
	cuDay
	cuHour
	cuMinute
	cuSecond
	cuMillisecond
)

var calendarWords = map[string]calUnit{
	"year": cuYear, "years": cuYear, "month": cuMonth, "months": cuMonth,
	"week": cuWeek, "weeks": cuWeek, "day": cuDay, "days": cuDay,
	"hour": cuHour, "hours": cuHour, "minute": cuMinute, "minutes": cuMinute,
	"second": cuSecond, "seconds": cuSecond, "millisecond": cuMillisecond, "milliseconds": cuMillisecond,
}

var ucumTimeUnits = map[string]calUnit{
	"a": cuYear, "mo": cuMonth, "wk": cuWeek, "d": cuDay, "h": cuHour, "min": cuMinute, "s": cuSecond, "ms": cuMillisecond,
}

func isCalendarUnit(u string) bool { _, ok := calendarWords[u]; return ok }

// calendarUnitOf accepts both calendar keywords and UCUM time codes.
func calendarUnitOf(u string) (calUnit, bool) {
	if c, ok := calendarWords[u]; ok {
		return c, true
	}
	c, ok := ucumTimeUnits[u]
	return c, ok
}

// normalizeCalendar maps plural calendar keywords to their singular form.
func normalizeCalendar(u string) string {
	if c, ok := calendarWords[u]; ok {
		return calendarSingular[c]
	}
	return u
}

var calendarSingular = [...]string{"year", "month", "week", "day", "hour", "minute", "second", "millisecond"}

// unitFactor: a UCUM unit as a factor times a canonical dimension string.
type unitFactor struct {
	factor *big.Rat
	dim    string
}

var ucumPrefixes = map[string]*big.Rat{
	"": big.NewRat(1, 1), "k": big.NewRat(1000, 1), "h": big.NewRat(100, 1), "da": big.NewRat(10, 1),
	"d": big.NewRat(1, 10), "c": big.NewRat(1, 100), "m": big.NewRat(1, 1000),
	"u": big.NewRat(1, 1000000), "n": big.NewRat(1, 1000000000), "M": big.NewRat(1000000, 1),
}

// base UCUM atoms we convert between; time units carry seconds. Definite
// durations only: 'a' and 'mo' are mean Julian year/month as UCUM defines them.
var ucumAtoms = map[string]unitFactor{
	"g":       {big.NewRat(1, 1), "g"},
	"m":       {big.NewRat(1, 1), "m"},
	"L":       {big.NewRat(1, 1000), "m3"},
	"l":       {big.NewRat(1, 1000), "m3"},
	"s":       {big.NewRat(1, 1), "s"},
	"min":     {big.NewRat(60, 1), "s"},
	"h":       {big.NewRat(3600, 1), "s"},
	"d":       {big.NewRat(86400, 1), "s"},
	"wk":      {big.NewRat(604800, 1), "s"},
	"mo":      {big.NewRat(2629800, 1), "s"},
	"a":       {big.NewRat(31557600, 1), "s"},
	"[lb_av]": {big.NewRat(45359237, 100000), "g"},
	"[in_i]":  {big.NewRat(254, 10000), "m"},
	"1":       {big.NewRat(1, 1), ""},
	"%":       {big.NewRat(1, 100), ""},
	"mol":     {big.NewRat(1, 1), "mol"},
	"Cel":     {big.NewRat(1, 1), "Cel"},
	"[degF]":  {big.NewRat(1, 1), "[degF]"},
}

// parseUnitTerm resolves one unit with an optional prefix and exponent ("cm2").
func parseUnitTerm(u string) (unitFactor, bool) {
	exp := 1
	if n := len(u); n > 1 && isDigit(u[n-1]) && !strings.HasSuffix(u, "]") {
		exp = int(u[n-1] - '0')
		u = u[:n-1]
	}
	resolve := func(u string) (unitFactor, bool) {
		if a, ok := ucumAtoms[u]; ok {
			return a, true
		}
		for _, pl := range []int{2, 1} {
			if len(u) > pl {
				if p, ok := ucumPrefixes[u[:pl]]; ok {
					if a, ok := ucumAtoms[u[pl:]]; ok && a.dim != "s" && a.dim != "" {
						return unitFactor{new(big.Rat).Mul(p, a.factor), a.dim}, true
					}
				}
			}
		}
		return unitFactor{}, false
	}
	f, ok := resolve(u)
	if !ok {
		return f, false
	}
	if exp == 1 {
		return f, true
	}
	r := big.NewRat(1, 1)
	for i := 0; i < exp; i++ {
		r.Mul(r, f.factor)
	}
	return unitFactor{r, dimPow(f.dim, exp)}, true
}

func dimPow(dim string, exp int) string {
	if dim == "" {
		return ""
	}
	if len(dim) > 1 && isDigit(dim[len(dim)-1]) {
		return dim[:len(dim)-1] + string(rune('0'+int(dim[len(dim)-1]-'0')*exp))
	}
	return dim + string(rune('0'+exp))
}

// parseUnit handles products/quotients of terms: "g/m", "mg/dL", "m2".
func parseUnit(u string) (unitFactor, bool) {
	if u == "" {
		u = "1"
	}
	num, den, hasDen := strings.Cut(u, "/")
	if strings.Contains(den, "/") {
		return unitFactor{}, false
	}
	a, ok := parseProduct(num)
	if !ok {
		return a, false
	}
	if !hasDen {
		return a, true
	}
	b, ok := parseProduct(den)
	if !ok {
		return a, false
	}
	return unitFactor{new(big.Rat).Quo(a.factor, b.factor), a.dim + "/" + b.dim}, true
}

func parseProduct(u string) (unitFactor, bool) {
	parts := strings.Split(u, ".")
	f := unitFactor{big.NewRat(1, 1), ""}
	dims := []string{}
	for _, p := range parts {
		t, ok := parseUnitTerm(p)
		if !ok {
			return f, false
		}
		f.factor.Mul(f.factor, t.factor)
		if t.dim != "" {
			dims = append(dims, t.dim)
		}
	}
	f.dim = strings.Join(dims, ".")
	return f, true
}

// ucumOf gives the UCUM reading of a quantity's unit: calendar words for
// week and smaller are definite durations; year and month are not.
func ucumOf(unit string) (string, bool) {
	if c, ok := calendarWords[unit]; ok {
		switch c {
		case cuWeek:
			return "wk", true
		case cuDay:
			return "d", true
		case cuHour:
			return "h", true
		case cuMinute:
			return "min", true
		case cuSecond:
			return "s", true
		case cuMillisecond:
			return "ms", true
		}
		return "", false
	}
	return unit, true
}

// compareQuantities compares two quantities after unit conversion; ok is
// false when the units are not comparable.
func compareQuantities(a, b Quantity) (int, bool) {
	if a.Unit == b.Unit || normalizeCalendar(a.Unit) == normalizeCalendar(b.Unit) {
		return a.Value.Cmp(b.Value), true
	}
	ca, aCal := calendarWords[a.Unit]
	cb, bCal := calendarWords[b.Unit]
	if aCal && bCal {
		// calendar durations compare within their own family only when identical
		if ca == cb {
			return a.Value.Cmp(b.Value), true
		}
	}
	ua, ok1 := ucumOf(a.Unit)
	ub, ok2 := ucumOf(b.Unit)
	if !ok1 || !ok2 {
		return 0, false
	}
	fa, ok1 := parseUnit(ua)
	fb, ok2 := parseUnit(ub)
	if !ok1 || !ok2 || fa.dim != fb.dim {
		return 0, false
	}
	x := new(big.Rat).Mul(a.Value.rat(), fa.factor)
	y := new(big.Rat).Mul(b.Value.rat(), fb.factor)
	return x.Cmp(y), true
}

// quantityToCanonical returns the value expressed in the unit's base dimension.
func quantityToCanonical(q Quantity) (*big.Rat, unitFactor, bool) {
	u, ok := ucumOf(q.Unit)
	if !ok {
		return nil, unitFactor{}, false
	}
	f, ok := parseUnit(u)
	if !ok {
		return nil, f, false
	}
	return new(big.Rat).Mul(q.Value.rat(), f.factor), f, true
}
