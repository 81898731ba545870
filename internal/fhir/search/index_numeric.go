package search

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/fhir/fhirpath"
)

// Precisions of fhirpath.DateTime.Prec (1=year ... 6=second, 7=fraction).
const (
	idxPrecYear = iota + 1
	idxPrecMonth
	idxPrecDay
	idxPrecHour
	idxPrecMinute
	idxPrecSecond
	idxPrecFraction
)

func idxAddDate(dst []Entry, code, t string, v any, m map[string]any) []Entry {
	switch t {
	case "date", "dateTime", "instant", "string":
		s, _ := v.(string)
		if lo, hi, ok := idxDateRange(s); ok {
			dst = append(dst, Entry{Param: code, Kind: KindDate, DateLo: lo, DateHi: hi})
		}
	case "Period":
		if lo, hi, ok := idxPeriodRange(m); ok {
			dst = append(dst, Entry{Param: code, Kind: KindDate, DateLo: lo, DateHi: hi})
		}
	case "Timing":
		lo, hi, found := int64(math.MaxInt64), int64(math.MinInt64), false
		for _, ev := range idxStrs(m, "event") {
			s, _ := ev.(string)
			if l, h, ok := idxDateRange(s); ok {
				lo, hi, found = min(lo, l), max(hi, h), true
			}
		}
		if rep, ok := m["repeat"].(map[string]any); ok {
			if bp, ok := rep["boundsPeriod"].(map[string]any); ok {
				if l, h, ok := idxPeriodRange(bp); ok {
					lo, hi, found = min(lo, l), max(hi, h), true
				}
			}
		}
		if found {
			dst = append(dst, Entry{Param: code, Kind: KindDate, DateLo: lo, DateHi: hi})
		}
	}
	return dst
}

// idxPeriodRange: a missing start or end leaves that side open.
func idxPeriodRange(m map[string]any) (lo, hi int64, ok bool) {
	lo, hi = math.MinInt64, math.MaxInt64
	s, e := idxStr(m, "start"), idxStr(m, "end")
	if s == "" && e == "" {
		return 0, 0, false
	}
	if s != "" {
		l, _, ok := idxDateRange(s)
		if !ok {
			return 0, 0, false
		}
		lo = l
	}
	if e != "" {
		_, h, ok := idxDateRange(e)
		if !ok {
			return 0, 0, false
		}
		hi = h
	}
	return lo, hi, true
}

// idxDateRange parses a FHIR date, dateTime or instant into the inclusive
// UTC microsecond range it denotes.
func idxDateRange(s string) (lo, hi int64, ok bool) {
	if s == "" {
		return 0, 0, false
	}
	d, ok := fhirpath.ParseDate(s, fhirpath.KindDateTime)
	if !ok {
		return 0, 0, false
	}
	return idxDateTimeRange(d)
}

// idxDateTimeRange: values without a zone are UTC; the high end is the
// start of the next unit of the written precision, minus one microsecond.
func idxDateTimeRange(d fhirpath.DateTime) (lo, hi int64, ok bool) {
	if d.Kind == fhirpath.KindTime || d.Prec < idxPrecYear {
		return 0, 0, false
	}
	start := d.Time()
	var end time.Time
	switch d.Prec {
	case idxPrecYear:
		end = start.AddDate(1, 0, 0)
	case idxPrecMonth:
		end = start.AddDate(0, 1, 0)
	case idxPrecDay:
		end = start.AddDate(0, 0, 1)
	case idxPrecHour:
		end = start.Add(time.Hour)
	case idxPrecMinute:
		end = start.Add(time.Minute)
	case idxPrecSecond:
		end = start.Add(time.Second)
	default:
		// "10:00:00.12" covers 10:00:00.120000-.129999; past microseconds
		// the value is its own range.
		step := time.Microsecond
		if n := d.FracDigits; n < 6 {
			step = time.Duration(math.Pow10(9 - n))
		}
		end = start.Truncate(time.Microsecond).Add(step)
	}
	return start.UnixMicro(), end.UnixMicro() - 1, true
}

func idxAddNumber(dst []Entry, code, t string, v any) []Entry {
	s := idxNumberText(v)
	if s == "" {
		return dst
	}
	if t == "integer" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return dst
		}
		return append(dst, Entry{Param: code, Kind: KindNumber, Value: f, Lo: f, Hi: f})
	}
	val, lo, hi, ok := idxDecimalRange(s)
	if !ok {
		return dst
	}
	return append(dst, Entry{Param: code, Kind: KindNumber, Value: val, Lo: lo, Hi: hi})
}

func idxNumberText(v any) string {
	switch n := v.(type) {
	case json.Number:
		return n.String()
	case string:
		return n
	case float64:
		return strconv.FormatFloat(n, 'g', -1, 64)
	}
	return ""
}

// idxDecimalRange returns a decimal literal's value and the half-open
// range [lo, hi) its significant figures imply: half a unit of the last
// written digit either side ("100" -> [99.5, 100.5), "1.50" -> [1.495,
// 1.505), "1e2" -> [50, 150)). The ends are computed exactly and then
// rounded once to float64.
func idxDecimalRange(s string) (val, lo, hi float64, ok bool) {
	val, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(val, 0) || math.IsNaN(val) {
		return 0, 0, 0, false
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		if exp, err = strconv.Atoi(s[i+1:]); err != nil {
			return 0, 0, 0, false
		}
	}
	frac := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		frac = len(mant) - i - 1
	}
	// half a unit of the last digit: 5 * 10^(exp-frac-1)
	p := exp - frac - 1
	if p > 300 || p < -300 {
		return val, val, val, true
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, 0, 0, false
	}
	half := new(big.Rat).SetInt64(5)
	pow := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(idxAbs(p))), nil))
	if p >= 0 {
		half.Mul(half, pow)
	} else {
		half.Quo(half, pow)
	}
	lo, _ = new(big.Rat).Sub(r, half).Float64()
	hi, _ = new(big.Rat).Add(r, half).Float64()
	return val, lo, hi, true
}

func idxAbs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func idxAddQuantity(dst []Entry, code, t string, v any, m map[string]any) []Entry {
	switch t {
	case "Quantity":
		e, ok := idxQuantity(code, m)
		if !ok {
			return dst
		}
		switch idxStr(m, "comparator") {
		case "<", "<=":
			e.Lo = -math.MaxFloat64
		case ">", ">=":
			e.Hi = math.MaxFloat64
		}
		return append(dst, e)
	case "Money":
		e, ok := idxQuantity(code, m)
		if !ok {
			return dst
		}
		cur := idxStr(m, "currency")
		e.System, e.Code, e.Unit = "", cur, cur
		if cur != "" {
			e.System = "urn:iso:std:iso:4217"
		}
		return append(dst, e)
	case "Range":
		low, _ := m["low"].(map[string]any)
		high, _ := m["high"].(map[string]any)
		l, lok := idxQuantity(code, low)
		h, hok := idxQuantity(code, high)
		switch {
		case lok && hok:
			l.Hi = h.Value
			l.Lo = l.Value
			return append(dst, l)
		case lok:
			l.Lo, l.Hi = l.Value, math.MaxFloat64
			return append(dst, l)
		case hok:
			h.Lo, h.Hi = -math.MaxFloat64, h.Value
			return append(dst, h)
		}
		return dst
	case "integer", "decimal":
		n := len(dst)
		dst = idxAddNumber(dst, code, t, v)
		for i := n; i < len(dst); i++ {
			dst[i].Kind = KindQuantity
		}
	}
	return dst
}

// idxQuantity reads value, system, code and unit of a Quantity-shaped
// object; ok is false without a usable value.
func idxQuantity(code string, m map[string]any) (Entry, bool) {
	if m == nil {
		return Entry{}, false
	}
	s := idxNumberText(m["value"])
	if s == "" {
		return Entry{}, false
	}
	val, lo, hi, ok := idxDecimalRange(s)
	if !ok {
		return Entry{}, false
	}
	return Entry{
		Param: code, Kind: KindQuantity,
		Value: val, Lo: lo, Hi: hi,
		System: idxStr(m, "system"), Code: idxStr(m, "code"), Unit: idxStr(m, "unit"),
	}, true
}
