package fhirpath

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// DateKind distinguishes the three System temporal types.
type DateKind uint8

const (
	KindDateTime DateKind = iota
	KindDate
	KindTime
)

// Precision of a temporal value; seconds and fractions compare as one precision.
const (
	precYear = iota + 1
	precMonth
	precDay
	precHour
	precMinute
	precSecond
	precMillis
)

// DateTime is a System.Date, System.DateTime or System.Time with its precision.
type DateTime struct {
	Kind                             DateKind
	Year, Month, Day                 int
	Hour, Minute, Second, Nanosecond int
	Prec                             int // 1=year ... 6=second, 7=fraction
	FracDigits                       int // digits written after the seconds' '.'
	HasTZ                            bool
	TZOffset                         int // seconds east of UTC
}

// ParseDate parses a FHIR/FHIRPath date, dateTime, instant or time text.
// kind selects the shape; for KindDateTime a date-only text is accepted
// (it is then a DateTime with day or coarser precision).
func ParseDate(s string, kind DateKind) (DateTime, bool) {
	var d DateTime
	d.Kind = kind
	i := 0
	num := func(n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for k := i; k < i+n; k++ {
			if !isDigit(s[k]) {
				return 0, false
			}
			v = v*10 + int(s[k]-'0')
		}
		i += n
		return v, true
	}
	var ok bool
	if kind != KindTime {
		if d.Year, ok = num(4); !ok {
			return d, false
		}
		d.Prec = precYear
		if i < len(s) && s[i] == '-' {
			i++
			if d.Month, ok = num(2); !ok || d.Month < 1 || d.Month > 12 {
				return d, false
			}
			d.Prec = precMonth
			if i < len(s) && s[i] == '-' {
				i++
				if d.Day, ok = num(2); !ok || d.Day < 1 || d.Day > daysIn(d.Year, d.Month) {
					return d, false
				}
				d.Prec = precDay
			}
		}
		if i == len(s) {
			return d, true
		}
		if kind == KindDate || s[i] != 'T' {
			return d, false
		}
		i++
		if i == len(s) { // "2015T" / "2015-02-04T": a DateTime at date precision
			return d, true
		}
	} else if i < len(s) && s[i] == 'T' {
		i++
	}
	if d.Hour, ok = num(2); !ok || d.Hour > 23 {
		return d, false
	}
	d.Prec = precHour
	if i < len(s) && s[i] == ':' {
		i++
		if d.Minute, ok = num(2); !ok || d.Minute > 59 {
			return d, false
		}
		d.Prec = precMinute
		if i < len(s) && s[i] == ':' {
			i++
			if d.Second, ok = num(2); !ok || d.Second > 60 {
				return d, false
			}
			d.Prec = precSecond
			if i < len(s) && s[i] == '.' {
				i++
				st := i
				for i < len(s) && isDigit(s[i]) {
					i++
				}
				if i == st {
					return d, false
				}
				frac := s[st:i]
				d.FracDigits = len(frac)
				if len(frac) > 9 {
					frac = frac[:9]
				}
				n, _ := strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
				d.Nanosecond = n
				d.Prec = precMillis
			}
		}
	}
	if i == len(s) {
		return d, true
	}
	if kind == KindTime {
		return d, false
	}
	switch s[i] {
	case 'Z':
		d.HasTZ = true
		i++
	case '+', '-':
		sign := 1
		if s[i] == '-' {
			sign = -1
		}
		i++
		h, ok1 := num(2)
		if !ok1 || i >= len(s) || s[i] != ':' {
			return d, false
		}
		i++
		m, ok2 := num(2)
		if !ok2 || h > 14 || m > 59 {
			return d, false
		}
		d.HasTZ = true
		d.TZOffset = sign * (h*3600 + m*60)
	default:
		return d, false
	}
	return d, i == len(s)
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (d DateTime) String() string {
	var b strings.Builder
	if d.Kind != KindTime {
		fmt.Fprintf(&b, "%04d", d.Year)
		if d.Prec >= precMonth {
			fmt.Fprintf(&b, "-%02d", d.Month)
		}
		if d.Prec >= precDay {
			fmt.Fprintf(&b, "-%02d", d.Day)
		}
		if d.Kind == KindDate {
			return b.String()
		}
		if d.Prec < precHour {
			return b.String()
		}
		b.WriteByte('T')
	}
	fmt.Fprintf(&b, "%02d", d.Hour)
	if d.Prec >= precMinute {
		fmt.Fprintf(&b, ":%02d", d.Minute)
	}
	if d.Prec >= precSecond {
		fmt.Fprintf(&b, ":%02d", d.Second)
	}
	if d.Prec >= precMillis {
		n := d.FracDigits
		if n < 3 {
			n = 3
		}
		if n > 9 {
			n = 9
		}
		frac := fmt.Sprintf("%09d", d.Nanosecond)[:n]
		b.WriteString("." + frac)
	}
	if d.HasTZ && d.Kind != KindTime {
		if d.TZOffset == 0 {
			b.WriteByte('Z')
		} else {
			off := d.TZOffset
			sign := '+'
			if off < 0 {
				sign = '-'
				off = -off
			}
			fmt.Fprintf(&b, "%c%02d:%02d", sign, off/3600, off/60%60)
		}
	}
	return b.String()
}

// Time converts to a time.Time (missing parts are their minimum; no zone = UTC).
func (d DateTime) Time() time.Time {
	y, mo, da := d.Year, d.Month, d.Day
	if d.Kind == KindTime {
		y, mo, da = 1970, 1, 1
	}
	if mo == 0 {
		mo = 1
	}
	if da == 0 {
		da = 1
	}
	loc := time.UTC
	if d.HasTZ && d.TZOffset != 0 {
		loc = time.FixedZone("", d.TZOffset)
	}
	return time.Date(y, time.Month(mo), da, d.Hour, d.Minute, d.Second, d.Nanosecond, loc)
}

func dateTimeFromTime(t time.Time, kind DateKind, prec int) DateTime {
	_, off := t.Zone()
	d := DateTime{Kind: kind, Year: t.Year(), Month: int(t.Month()), Day: t.Day(),
		Hour: t.Hour(), Minute: t.Minute(), Second: t.Second(), Nanosecond: t.Nanosecond(),
		Prec: prec, HasTZ: kind == KindDateTime && prec >= precHour, TZOffset: off}
	if prec == precMillis {
		d.FracDigits = 3
		d.Nanosecond = d.Nanosecond / 1e6 * 1e6
	}
	return d
}

// normalized shifts a zoned value to UTC so fields can be compared directly.
func (d DateTime) normalized() DateTime {
	if !d.HasTZ || d.TZOffset == 0 || d.Prec < precHour {
		return d
	}
	t := d.Time().UTC()
	n := d
	n.Year, n.Month, n.Day = t.Year(), int(t.Month()), t.Day()
	n.Hour, n.Minute = t.Hour(), t.Minute()
	n.TZOffset = 0
	return n
}

func (d DateTime) field(p int) int {
	switch p {
	case precYear:
		return d.Year
	case precMonth:
		return d.Month
	case precDay:
		return d.Day
	case precHour:
		return d.Hour
	case precMinute:
		return d.Minute
	}
	return d.Second*1e9 + d.Nanosecond
}

// compareDates returns -1/0/1, or ok=false when the answer is unknown because
// the precisions differ and the common part is equal.
func compareDates(a, b DateTime) (int, bool) {
	if a.HasTZ && b.HasTZ {
		a, b = a.normalized(), b.normalized()
	} else if a.HasTZ != b.HasTZ && a.Prec >= precHour && b.Prec >= precHour {
		// one side has no zone: the instant it denotes is unknown
		return 0, false
	}
	start := precYear
	if a.Kind == KindTime {
		start = precHour
	}
	pa, pb := a.Prec, b.Prec
	if pa == precMillis {
		pa = precSecond
	}
	if pb == precMillis {
		pb = precSecond
	}
	for p := start; p <= precSecond; p++ {
		if p > pa || p > pb {
			if pa == pb {
				return 0, true
			}
			return 0, false
		}
		x, y := a.field(p), b.field(p)
		if x != y {
			if x < y {
				return -1, true
			}
			return 1, true
		}
	}
	return 0, true
}

// addDuration adds n units of a calendar/UCUM time unit.
func addDuration(d DateTime, amount Decimal, unit string) (DateTime, error) {
	cu, ok := calendarUnitOf(unit)
	if !ok {
		return d, fmt.Errorf("cannot add a quantity in %q to a date/time", unit)
	}
	if !amount.rat().IsInt() && cu < cuSecond {
		// fractional calendar amounts are truncated (spec: only whole units)
		amount = Decimal{r: new(big.Rat).SetInt(new(big.Int).Quo(amount.rat().Num(), amount.rat().Denom()))}
	}
	f := amount.Float64()
	n := int(f)
	t := d.Time()
	switch cu {
	case cuYear:
		t = addMonthsClamped(t, 12*n)
	case cuMonth:
		t = addMonthsClamped(t, n)
	case cuWeek:
		t = t.AddDate(0, 0, 7*n)
	case cuDay:
		t = t.AddDate(0, 0, n)
	case cuHour:
		t = t.Add(time.Duration(n) * time.Hour)
	case cuMinute:
		t = t.Add(time.Duration(n) * time.Minute)
	case cuSecond:
		t = t.Add(time.Duration(f * float64(time.Second)))
	case cuMillisecond:
		t = t.Add(time.Duration(f * float64(time.Millisecond)))
	}
	if d.Kind == KindDate && cu >= cuHour {
		// a Date cannot carry hours: convert to days (truncating), per spec
		return d, fmt.Errorf("cannot add %s to a Date", unit)
	}
	r := d
	r.Year, r.Month, r.Day = t.Year(), int(t.Month()), t.Day()
	r.Hour, r.Minute, r.Second, r.Nanosecond = t.Hour(), t.Minute(), t.Second(), t.Nanosecond()
	if d.Prec < precMonth {
		r.Month = 0
	}
	if d.Prec < precDay {
		r.Day = 0
	}
	if d.Kind == KindTime {
		r.Year, r.Month, r.Day = 0, 0, 0
	}
	if cu >= cuSecond && r.Nanosecond != 0 && r.Prec == precSecond {
		r.Prec = precMillis
		r.FracDigits = 3
	}
	return r, nil
}

func addMonthsClamped(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	total := int(m) - 1 + months
	ny := y + total/12
	nm := total % 12
	if nm < 0 {
		nm += 12
		ny--
	}
	if max := daysIn(ny, nm+1); d > max {
		d = max
	}
	return time.Date(ny, time.Month(nm+1), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}
