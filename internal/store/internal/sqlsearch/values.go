package sqlsearch

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/housecall/housecall/internal/fhir/search"
)

// value compiles one search value into alternatives (ORed conjunctions) on
// the columns of alias a of table t. Each alternative is written so that an
// index on (pid, <first column>) can serve it.
func (c *compiler) value(cl *search.Clause, t *Table, a string, v *search.Value) ([]frag, error) {
	switch cl.Param.Type {
	case "string":
		return c.stringValue(cl.Modifier, a, v)
	case "token":
		return c.tokenValue(cl, a, v)
	case "reference":
		return c.referenceValue(cl, a, v)
	case "date":
		return c.dateValue(a, v), nil
	case "number":
		return numberValue(a, v), nil
	case "quantity":
		return quantityValue(a, v), nil
	case "uri":
		return uriValue(cl.Modifier, a+".uri", v)
	}
	return nil, unsupported("parameter %s of type %s", cl.Param.Code, cl.Param.Type)
}

// prefixMatch is "col starts with p" as an index range.
func prefixMatch(col, p string) frag {
	if p == "" {
		return f("1 = 1")
	}
	if up, ok := prefixUpper(p); ok {
		return f(col+" >= ? AND "+col+" < ?", p, up)
	}
	return f("substr("+col+", 1, ?) = ?", int64(utf8.RuneCountInString(p)), p)
}

func (c *compiler) stringValue(mod search.Modifier, a string, v *search.Value) ([]frag, error) {
	n := search.Normalize(v.Raw)
	switch mod {
	case search.ModifierNone:
		return []frag{prefixMatch(a+".norm", n)}, nil
	case search.ModifierExact:
		return []frag{f(a+".norm = ? AND "+a+".exact = ?", n, v.Raw)}, nil
	case search.ModifierContains:
		return []frag{f(c.d.Contains(a+".norm"), n)}, nil
	}
	return nil, unsupported("modifier :%s on a string parameter", mod)
}

// tokenCode is the system/code match of a token value on columns
// a.system and a.code.
func tokenCode(a string, v *search.Value) frag {
	switch {
	case !v.SystemGiven:
		return f(a+".code = ?", v.Code)
	case v.Code == "":
		return f(a+".system = ?", v.System)
	default:
		return f(a+".code = ? AND "+a+".system = ?", v.Code, v.System)
	}
}

func (c *compiler) tokenValue(cl *search.Clause, a string, v *search.Value) ([]frag, error) {
	switch cl.Modifier {
	case search.ModifierNone, search.ModifierNot:
		return []frag{tokenCode(a, v)}, nil
	case search.ModifierText:
		return []frag{prefixMatch(a+".text", search.Normalize(v.Raw))}, nil
	case search.ModifierOfType:
		return []frag{f(a+".code = ? AND "+a+".system = ? AND "+a+".text = ?", v.Code, v.System, v.IdentifierValue)}, nil
	}
	return nil, unsupported("modifier :%s on token parameter %s (needs terminology services)", cl.Modifier, cl.Param.Code)
}

func (c *compiler) referenceValue(cl *search.Clause, a string, v *search.Value) ([]frag, error) {
	switch cl.Modifier {
	case search.ModifierIdentifier:
		m := tokenCode(a, v)
		// The literal keeps the partial index on identifier references usable.
		m.sql += " AND " + a + ".code <> ''"
		return []frag{m}, nil
	case search.ModifierAbove, search.ModifierBelow:
		if v.URL == "" {
			return nil, unsupported(":%s on reference %s needs an absolute or canonical URL", cl.Modifier, cl.Param.Code)
		}
		alts, err := uriValue(cl.Modifier, a+".ref_url", &search.Value{Raw: v.URL})
		for i := range alts {
			alts[i].sql += " AND " + a + ".ref_url <> ''"
		}
		return alts, err
	case search.ModifierNone, search.ModifierType:
	default:
		return nil, unsupported("modifier :%s on reference parameter %s", cl.Modifier, cl.Param.Code)
	}
	if v.URL != "" {
		// A canonical without a version matches every version of it
		// (stored as "url|version").
		if v.Version != "" {
			return []frag{f(a+".ref_url = ? AND "+a+".ref_url <> ''", v.URL+"|"+v.Version)}, nil
		}
		return []frag{
			f(a+".ref_url = ? AND "+a+".ref_url <> ''", v.URL),
			f(a+".ref_url >= ? AND "+a+".ref_url < ? AND "+a+".ref_url <> ''", v.URL+"|", v.URL+"}"),
		}, nil
	}
	m := f(a+".ref_id = ?", v.ID)
	if v.Type != "" {
		m.sql += " AND " + a + ".ref_type = ?"
		m.args = append(m.args, v.Type)
	}
	if v.Version != "" {
		m.sql += " AND " + a + ".ref_version = ?"
		m.args = append(m.args, v.Version)
	}
	return []frag{m}, nil
}

func absInt64(n int64) int64 {
	if n < 0 {
		if n == math.MinInt64 {
			return math.MaxInt64
		}
		return -n
	}
	return n
}

// satAdd adds without wrapping around.
func satAdd(a, b int64) int64 {
	s := a + b
	if b > 0 && s < a {
		return math.MaxInt64
	}
	if b < 0 && s > a {
		return math.MinInt64
	}
	return s
}

// numberPred compares the stored value (and its implied range [lo, hi))
// with a search number. eq, ne and ap honour the precision of the search
// value ("100" means [99.5, 100.5)); the other prefixes treat it as exact,
// as the specification says.
func numberPred(val, lo, hi string, v *search.Value) []frag {
	q := v.Number
	switch v.Prefix {
	case search.PrefixNe:
		return []frag{f(val+" < ?", v.NumberLo), f(val+" >= ?", v.NumberHi)}
	case search.PrefixGt:
		return []frag{f(val+" > ?", q)}
	case search.PrefixLt:
		return []frag{f(val+" < ?", q)}
	case search.PrefixGe:
		return []frag{f(val+" >= ?", q)}
	case search.PrefixLe:
		return []frag{f(val+" <= ?", q)}
	case search.PrefixSa:
		return []frag{f(val+" > ? AND "+lo+" > ?", q, q)}
	case search.PrefixEb:
		return []frag{f(val+" < ? AND "+hi+" < ?", q, q)}
	case search.PrefixAp:
		d := math.Abs(q) / 10
		return []frag{f(val+" >= ? AND "+val+" <= ?", min(q-d, v.NumberLo), max(q+d, v.NumberHi))}
	}
	return []frag{f(val+" >= ? AND "+val+" < ?", v.NumberLo, v.NumberHi)}
}

func numberValue(a string, v *search.Value) []frag {
	return numberPred(a+".value", a+".lo", a+".hi", v)
}

// quantityValue adds the unit: system|code must both match; with only a
// code ("5||mg") the code or the human-readable unit may match.
func quantityValue(a string, v *search.Value) []frag {
	alts := numberPred(a+".value", a+".lo", a+".hi", v)
	var unit frag
	switch {
	case v.System != "" && v.Code != "":
		unit = f(a+".system = ? AND "+a+".code = ?", v.System, v.Code)
	case v.Code != "":
		unit = f("("+a+".code = ? OR "+a+".unit = ?)", v.Code, v.Code)
	case v.System != "":
		unit = f(a+".system = ?", v.System)
	default:
		return alts
	}
	for i := range alts {
		alts[i] = join(" AND ", []frag{alts[i], unit})
	}
	return alts
}

// uriValue: exact match, :below (the stored URI starts with the value) or
// :above (the stored URI is the value or one of its '/'-bounded prefixes).
func uriValue(mod search.Modifier, col string, v *search.Value) ([]frag, error) {
	switch mod {
	case search.ModifierNone:
		return []frag{f(col+" = ?", v.Raw)}, nil
	case search.ModifierBelow:
		return []frag{prefixMatch(col, v.Raw)}, nil
	case search.ModifierAbove:
		var alts []frag
		start := strings.Index(v.Raw, "://")
		if start < 0 {
			start = 0
		} else {
			start += 3
		}
		for i := start; i < len(v.Raw); i++ {
			if v.Raw[i] == '/' {
				alts = append(alts, f(col+" = ?", v.Raw[:i]))
			}
		}
		return append(alts, f(col+" = ?", v.Raw)), nil
	}
	return nil, unsupported("modifier :%s on a uri parameter", mod)
}
