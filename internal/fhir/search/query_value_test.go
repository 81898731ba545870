package search

import (
	"math"
	"reflect"
	"testing"
)

func TestQParseDate(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi string // RFC 3339, UTC; "" = must be rejected
	}{
		{"2024", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59.999999Z"},
		{"1999-12", "1999-12-01T00:00:00Z", "1999-12-31T23:59:59.999999Z"},
		{"2023-02", "2023-02-01T00:00:00Z", "2023-02-28T23:59:59.999999Z"},
		{"2024-02-29", "2024-02-29T00:00:00Z", "2024-02-29T23:59:59.999999Z"},
		{"2024-03-10T10:15", "2024-03-10T10:15:00Z", "2024-03-10T10:15:59.999999Z"},
		{"2024-03-10T10:15Z", "2024-03-10T10:15:00Z", "2024-03-10T10:15:59.999999Z"},
		{"2024-03-10T10:15:30", "2024-03-10T10:15:30Z", "2024-03-10T10:15:30.999999Z"},
		{"2024-03-10T10:15:30-05:00", "2024-03-10T15:15:30Z", "2024-03-10T15:15:30.999999Z"},
		{"2024-03-10T00:15:30+01:30", "2024-03-09T22:45:30Z", "2024-03-09T22:45:30.999999Z"},
		{"2024-03-10T10:15:30.1Z", "2024-03-10T10:15:30.1Z", "2024-03-10T10:15:30.199999Z"},
		{"2024-03-10T10:15:30.123Z", "2024-03-10T10:15:30.123Z", "2024-03-10T10:15:30.123999Z"},
		{"2024-03-10T10:15:30.123456Z", "2024-03-10T10:15:30.123456Z", "2024-03-10T10:15:30.123456Z"},
		{"2024-03-10T10:15:30.123456789Z", "2024-03-10T10:15:30.123456Z", "2024-03-10T10:15:30.123456Z"},
		{"2024-12-31T23:59:59.999999+14:00", "2024-12-31T09:59:59.999999Z", "2024-12-31T09:59:59.999999Z"},
		{"2024-03-10T10:15:30 05:00", "2024-03-10T05:15:30Z", "2024-03-10T05:15:30.999999Z"}, // unencoded '+'
		{"0001", "0001-01-01T00:00:00Z", "0001-12-31T23:59:59.999999Z"},
		{"9999-12-31", "9999-12-31T00:00:00Z", "9999-12-31T23:59:59.999999Z"},
		// rejected
		{"", "", ""}, {"202", "", ""}, {"20245", "", ""}, {"2024-", "", ""}, {"2024-1", "", ""},
		{"2024-00", "", ""}, {"2024-13", "", ""}, {"2024-01-", "", ""}, {"2024-01-00", "", ""},
		{"2024-04-31", "", ""}, {"2023-02-29", "", ""}, {"2024-01-01T", "", ""}, {"2024-01-01T1", "", ""},
		{"2024-01-01T10:5", "", ""}, {"2024-01-01T24:00", "", ""}, {"2024-01-01T10:60", "", ""},
		{"2024-01-01T10:00:", "", ""}, {"2024-01-01T10:00:60", "", ""}, {"2024-01-01T10:00:00.", "", ""},
		{"2024-01-01T10:00:00.x", "", ""}, {"2024-01-01T10:00+1:00", "", ""}, {"2024-01-01T10:00+15:00", "", ""},
		{"2024-01-01T10:00+01:60", "", ""}, {"2024-01-01T10:00+0100", "", ""}, {"2024-01-01T10:00ZZ", "", ""},
		{"2024-01-01 10:00", "", ""}, {"2024-01-01T10:00 ", "", ""}, {"2024-01-01T10:00 01", "", ""}, {"2024/01/01", "", ""}, {"0000", "", ""}, {"abcd", "", ""}, {"-2024", "", ""},
		{"2024-01-01T10:00:00.5+01:00x", "", ""}, {"２０２４", "", ""},
	}
	for _, tt := range tests {
		lo, hi, ok := qParseDate(tt.in)
		if tt.lo == "" {
			if ok {
				t.Errorf("%q accepted as [%d, %d]", tt.in, lo, hi)
			}
			continue
		}
		if !ok {
			t.Errorf("%q rejected", tt.in)
			continue
		}
		if lo != qMicros(tt.lo) || hi != qMicros(tt.hi) {
			t.Errorf("%q: [%d, %d], want [%s, %s]", tt.in, lo, hi, tt.lo, tt.hi)
		}
		if lo > hi {
			t.Errorf("%q: empty range", tt.in)
		}
	}
}

func TestQNumber(t *testing.T) {
	tests := []struct {
		in          string
		val, lo, hi float64
		wantErr     bool
	}{
		{"100", 100, 99.5, 100.5, false},
		{"100.00", 100, 99.995, 100.005, false},
		{"1e2", 100, 50, 150, false},
		{"1.0e2", 100, 95, 105, false},
		{"1.5E-3", 0.0015, 0.00145, 0.00155, false},
		{"1e+2", 100, 50, 150, false},
		{"0", 0, -0.5, 0.5, false},
		{"-0.5", -0.5, -0.55, -0.45, false},
		{"007", 7, 6.5, 7.5, false},
		{"12345678901234567890", 12345678901234567890, 12345678901234567890, math.Nextafter(12345678901234567890, math.Inf(1)), false},
		{"", 0, 0, 0, true}, {"-", 0, 0, 0, true}, {"+1", 0, 0, 0, true}, {"1.", 0, 0, 0, true},
		{".1", 0, 0, 0, true}, {"1e", 0, 0, 0, true}, {"1e+", 0, 0, 0, true}, {"1.2.3", 0, 0, 0, true},
		{"1,5", 0, 0, 0, true}, {"1 ", 0, 0, 0, true}, {"0x10", 0, 0, 0, true}, {"NaN", 0, 0, 0, true},
		{"Inf", 0, 0, 0, true}, {"1e401", 0, 0, 0, true}, {"1e12345", 0, 0, 0, true}, {"9e308", 0, 0, 0, true}, {"1e308", 1e308, 0.5e308, 1.5e308, false},
	}
	for _, tt := range tests {
		v, err := qNumber("p", tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%q accepted: %+v", tt.in, v)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if v.Number != tt.val || v.NumberLo != tt.lo || v.NumberHi != tt.hi {
			t.Errorf("%q: %v [%v, %v), want %v [%v, %v)", tt.in, v.Number, v.NumberLo, v.NumberHi, tt.val, tt.lo, tt.hi)
		}
		if !(v.NumberLo <= v.Number && v.Number < v.NumberHi) {
			t.Errorf("%q: bad range", tt.in)
		}
	}
}

func TestQSplitUnescape(t *testing.T) {
	tests := []struct {
		in   string
		sep  byte
		want []string // after unescaping each part
	}{
		{"a,b,c", ',', []string{"a", "b", "c"}},
		{`a\,b,c`, ',', []string{"a,b", "c"}},
		{`a\\,b`, ',', []string{`a\`, "b"}},
		{`a\\\,b`, ',', []string{`a\,b`}},
		{`,`, ',', []string{"", ""}},
		{`a\`, ',', []string{`a\`}},
		{`a\|b|c`, '|', []string{"a|b", "c"}},
		{`x$y\$z`, '$', []string{"x", "y$z"}},
		{`a\qb`, ',', []string{`a\qb`}},
		{"", ',', []string{""}},
	}
	for _, tt := range tests {
		parts := qSplit(tt.in, tt.sep)
		got := make([]string, len(parts))
		for i, p := range parts {
			got[i] = qUnescape(p)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q on %q: %q, want %q", tt.in, tt.sep, got, tt.want)
		}
	}
}

func TestQShape(t *testing.T) {
	for in, want := range map[string]string{
		"xx":                         `"xx"`,
		"Patient":                    `"Patient"`,
		"Jane Doe":                   "(value with unexpected characters)",
		"averyveryveryverylongtoken": "(value too long to show)",
	} {
		if got := qShape(in); got != want {
			t.Errorf("qShape(%q) = %s, want %s", in, got, want)
		}
	}
}
