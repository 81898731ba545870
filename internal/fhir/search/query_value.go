package search

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/fhir"
)

// values parses the comma-separated OR list of a clause.
func (p *qParser) values(c *Clause, full, raw string) ([]Value, error) {
	parts := qSplit(raw, ',')
	out := make([]Value, 0, len(parts))
	for _, part := range parts {
		if part == "" {
			return nil, qInvalid(full, "empty value in a comma-separated list")
		}
		var v Value
		var err error
		switch {
		case c.Modifier == ModifierMissing:
			v, err = qMissing(full, part)
		case c.Param.Type == "composite":
			v, err = p.composite(c.Param, full, part)
		default:
			v, err = p.value(c.Param, c.Modifier, c.TargetType, full, part)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func qMissing(full, part string) (Value, error) {
	switch part {
	case "true":
		return Value{Raw: part, Missing: true}, nil
	case "false":
		return Value{Raw: part}, nil
	}
	return Value{}, qInvalid(full, ":missing takes true or false")
}

// value parses one value (escapes still in place) of a non-composite
// parameter.
func (p *qParser) value(sp fhir.SearchParam, mod Modifier, target, full, part string) (Value, error) {
	switch sp.Type {
	case "string", "uri":
		return Value{Raw: qUnescape(part)}, nil
	case "token":
		return qToken(mod, full, part)
	case "number":
		pre, rest, err := qPrefix(sp, full, part)
		if err != nil {
			return Value{}, err
		}
		v, err := qNumber(full, rest)
		v.Prefix = pre
		return v, err
	case "date":
		pre, rest, err := qPrefix(sp, full, part)
		if err != nil {
			return Value{}, err
		}
		s := qUnescape(rest)
		lo, hi, ok := qParseDate(s)
		if !ok {
			return Value{}, qInvalid(full, "malformed date: expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.fff]][Z|+hh:mm|-hh:mm]")
		}
		return Value{Raw: s, Prefix: pre, DateLo: lo, DateHi: hi}, nil
	case "quantity":
		return qQuantity(sp, full, part)
	case "reference":
		if mod == ModifierIdentifier {
			return qToken(ModifierNone, full, part)
		}
		return p.reference(sp, target, full, qUnescape(part))
	}
	return Value{}, qIgnorable(full, "parameters of type "+sp.Type+" are not supported")
}

// qPrefixes are the R4 comparison prefixes.
var qPrefixes = []Prefix{PrefixEq, PrefixNe, PrefixGt, PrefixLt, PrefixGe, PrefixLe, PrefixSa, PrefixEb, PrefixAp}

// qPrefix strips a comparison prefix. Two leading lowercase letters are
// always a prefix attempt, since no number or date starts with a letter.
func qPrefix(sp fhir.SearchParam, full, part string) (Prefix, string, error) {
	if len(part) < 2 || part[0] < 'a' || part[0] > 'z' || part[1] < 'a' || part[1] > 'z' {
		return PrefixEq, part, nil
	}
	pre := Prefix(part[:2])
	known := false
	for _, k := range qPrefixes {
		known = known || k == pre
	}
	if !known {
		return "", "", qInvalid(full, "unknown prefix "+qShape(part[:2])+" (allowed: eq, ne, gt, lt, ge, le, sa, eb, ap)")
	}
	if len(sp.Comparator) > 0 {
		allowed := false
		for _, c := range sp.Comparator {
			allowed = allowed || c == string(pre)
		}
		if !allowed {
			return "", "", qInvalid(full, "prefix "+string(pre)+" is not allowed for "+sp.Code)
		}
	}
	return pre, part[2:], nil
}

// qMaxExp bounds the exponent of a number so that a hostile value cannot
// make big.Rat allocate without limit.
const qMaxExp = 400

// qNumber parses a decimal ("100", "-1.50", "1.0e2") and the range its
// written precision implies: half a unit of the last significant digit on
// either side. Note that the R4 page's example "1e2 -> [95, 105)" contradicts
// its own rule ("1 significant figure"); we follow the rule, so "1e2" is
// [50, 150) and "1.0e2" is [95, 105).
func qNumber(full, s string) (Value, error) {
	s = qUnescape(s)
	bad := qInvalid(full, "malformed number: expected a decimal such as 100, -2.5 or 1.5e3")
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == intStart {
		return Value{}, bad
	}
	frac := 0
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if frac = i - start; frac == 0 {
			return Value{}, bad
		}
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		start := i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		digits := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == digits || i-digits > 4 {
			return Value{}, bad
		}
		exp, _ = strconv.Atoi(s[start:i])
	}
	if i != len(s) || exp > qMaxExp || exp < -qMaxExp || frac > qMaxExp {
		return Value{}, bad
	}
	val, ok := new(big.Rat).SetString(s)
	if !ok {
		return Value{}, bad
	}
	// half = 5 * 10^(exp-frac-1)
	half := new(big.Rat).SetFrac64(1, 2)
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(qAbs(exp-frac))), nil))
	if exp-frac >= 0 {
		half.Mul(half, scale)
	} else {
		half.Quo(half, scale)
	}
	n, _ := val.Float64()
	lo, _ := new(big.Rat).Sub(val, half).Float64()
	hi, _ := new(big.Rat).Add(val, half).Float64()
	if math.IsInf(n, 0) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return Value{}, qInvalid(full, "number out of range")
	}
	// Beyond float64's precision the range can round to nothing; keep it a
	// non-empty range around the value so that [lo, hi) still matches it.
	lo = min(lo, n)
	if hi <= n {
		hi = math.Nextafter(n, math.Inf(1))
	}
	return Value{Raw: s, Number: n, NumberLo: lo, NumberHi: hi}, nil
}

func qAbs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// qToken parses code, system|code, |code, system| and, for :of-type,
// system|code|value. With :text the whole value is text.
func qToken(mod Modifier, full, part string) (Value, error) {
	if mod == ModifierText {
		return Value{Raw: qUnescape(part)}, nil
	}
	pieces := qSplit(part, '|')
	v := Value{Raw: qUnescape(part)}
	if mod == ModifierOfType {
		if len(pieces) != 3 || pieces[1] == "" || pieces[2] == "" {
			return Value{}, qInvalid(full, ":of-type takes system|code|value (the identifier type and value)")
		}
		v.System, v.SystemGiven, v.Code, v.IdentifierValue = qUnescape(pieces[0]), true, qUnescape(pieces[1]), qUnescape(pieces[2])
		return v, nil
	}
	switch len(pieces) {
	case 1:
		v.Code = qUnescape(pieces[0])
	case 2:
		v.System, v.SystemGiven, v.Code = qUnescape(pieces[0]), true, qUnescape(pieces[1])
		if v.System == "" && v.Code == "" {
			return Value{}, qInvalid(full, "a token needs a system, a code or both")
		}
	default:
		return Value{}, qInvalid(full, "a token takes code, system|code, |code or system| (escape a literal '|' as '\\|')")
	}
	return v, nil
}

// qQuantity parses [prefix]number[|system|code].
func qQuantity(sp fhir.SearchParam, full, part string) (Value, error) {
	pre, rest, err := qPrefix(sp, full, part)
	if err != nil {
		return Value{}, err
	}
	pieces := qSplit(rest, '|')
	if len(pieces) != 1 && len(pieces) != 3 {
		return Value{}, qInvalid(full, "a quantity takes number, number|system|code or number||code")
	}
	v, err := qNumber(full, pieces[0])
	if err != nil {
		return Value{}, err
	}
	v.Prefix, v.Raw = pre, qUnescape(rest)
	if len(pieces) == 3 {
		v.System, v.Code = qUnescape(pieces[1]), qUnescape(pieces[2])
		v.SystemGiven = v.System != ""
	}
	return v, nil
}

// qSplit splits s on every sep not escaped by a backslash, keeping escapes.
func qSplit(s string, sep byte) []string {
	if strings.IndexByte(s, sep) < 0 {
		return []string{s}
	}
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // skip the escaped byte
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// qUnescape resolves \, \$ \| and \\; any other backslash is literal.
func qUnescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case ',', '$', '|', '\\':
				b.WriteByte(s[i+1])
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// qShape renders a short syntactic token (a prefix, a type name) for a
// message; anything long or unusual is elided so that messages never carry
// free text.
func qShape(s string) string {
	if len(s) > 24 {
		return "(value too long to show)"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "(value with unexpected characters)"
		}
	}
	return strconv.Quote(s)
}
