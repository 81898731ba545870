package search

import "time"

// qParseDate parses a search date at any R4 precision — YYYY, YYYY-MM,
// YYYY-MM-DD, YYYY-MM-DDThh:mm, ...:ss, ...:ss.f (any number of fraction
// digits), each time optionally followed by Z or ±hh:mm — into the inclusive
// range [lo, hi] of UTC microseconds it covers. A value without a zone is
// taken as UTC: the server has no better guess, and UTC keeps results
// independent of the host's time zone. Fractions finer than a microsecond
// are truncated (lo == hi). A space in place of the '+' of a zone offset is
// accepted (see below).
func qParseDate(s string) (lo, hi int64, ok bool) {
	n := len(s)
	if n < 4 || !qDigits(s, 0, 4) {
		return 0, 0, false
	}
	year := qAtoi(s[0:4])
	if year == 0 {
		return 0, 0, false
	}
	month, day := 1, 1
	switch {
	case n == 4:
		start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		return qRange(start, start.AddDate(1, 0, 0))
	case n >= 7 && s[4] == '-' && qDigits(s, 5, 2):
		month = qAtoi(s[5:7])
		if month < 1 || month > 12 {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	if n == 7 {
		start := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
		return qRange(start, start.AddDate(0, 1, 0))
	}
	if n < 10 || s[7] != '-' || !qDigits(s, 8, 2) {
		return 0, 0, false
	}
	day = qAtoi(s[8:10])
	if day < 1 || day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return 0, 0, false
	}
	if n == 10 {
		start := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		return qRange(start, start.AddDate(0, 0, 1))
	}
	// Time: Thh:mm[:ss[.f+]][zone]
	if n < 16 || s[10] != 'T' || !qDigits(s, 11, 2) || s[13] != ':' || !qDigits(s, 14, 2) {
		return 0, 0, false
	}
	hour, minute := qAtoi(s[11:13]), qAtoi(s[14:16])
	if hour > 23 || minute > 59 {
		return 0, 0, false
	}
	i := 16
	sec, micro, step := 0, 0, time.Minute
	if i < n && s[i] == ':' {
		if !qDigits(s, i+1, 2) {
			return 0, 0, false
		}
		if sec = qAtoi(s[i+1 : i+3]); sec > 59 {
			return 0, 0, false
		}
		i += 3
		step = time.Second
		if i < n && s[i] == '.' {
			i++
			start := i
			for i < n && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			digits := i - start
			if digits == 0 {
				return 0, 0, false
			}
			frac := s[start:i]
			if digits > 6 {
				frac, digits = frac[:6], 6
			}
			micro = qAtoi(frac)
			step = time.Microsecond
			for d := digits; d < 6; d++ {
				micro *= 10
				step *= 10
			}
		}
	}
	loc := time.UTC
	switch {
	case i == n:
	case s[i] == 'Z' && i+1 == n:
	// ' ' is a '+' that a client forgot to percent-encode: form decoding
	// turns "+02:00" into " 02:00", and no other reading of it is possible.
	case (s[i] == '+' || s[i] == '-' || s[i] == ' ') && n-i == 6 && qDigits(s, i+1, 2) && s[i+3] == ':' && qDigits(s, i+4, 2):
		zh, zm := qAtoi(s[i+1:i+3]), qAtoi(s[i+4:i+6])
		if zh > 14 || zm > 59 {
			return 0, 0, false
		}
		off := zh*3600 + zm*60
		if s[i] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	default:
		return 0, 0, false
	}
	start := time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, loc)
	return qRange(start, start.Add(step))
}

// qRange turns [start, end) into inclusive microsecond bounds.
func qRange(start, end time.Time) (int64, int64, bool) {
	return start.UnixMicro(), end.UnixMicro() - 1, true
}

func qDigits(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// qAtoi converts a run of ASCII digits already checked by qDigits.
func qAtoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
