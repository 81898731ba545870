package fhir

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Marshal encodes a resource as compact FHIR JSON: "resourceType" first, then
// elements in definition order (nested datatypes and backbone elements in
// their own order), each primitive's "_x" extension right after "x", and any
// keys unknown to the definitions sorted at the end. Numbers (json.Number)
// are written verbatim.
func Marshal(res map[string]any) ([]byte, error) {
	d := getDefs()
	e := encoder{d: d, buf: make([]byte, 0, 2048), elemKI: &keyInfo{typ: d.types["Element"]}}
	if err := e.resource(res); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// Stamp sets res.id, res.meta.versionId and res.meta.lastUpdated (UTC,
// microsecond precision, the store's resolution) and returns Marshal(res).
// It modifies res.
func Stamp(res map[string]any, id string, versionID int64, lastUpdated time.Time) ([]byte, error) {
	res["id"] = id
	meta, _ := res["meta"].(map[string]any)
	if meta == nil {
		meta = make(map[string]any, 2)
		res["meta"] = meta
	}
	meta["versionId"] = strconv.FormatInt(versionID, 10)
	meta["lastUpdated"] = lastUpdated.UTC().Format("2006-01-02T15:04:05.000000Z")
	return Marshal(res)
}

type rankedKey struct {
	rank int
	key  string
	ki   *keyInfo
}

const unknownRank = math.MaxInt32

type encoder struct {
	d       *defs
	buf     []byte
	scratch []rankedKey // shared stack of key lists, one frame per open object
	elemKI  *keyInfo    // the type of "_x" primitive extension objects
}

func (e *encoder) resource(obj map[string]any) error {
	rt, _ := obj["resourceType"].(string)
	td := e.d.types[rt]
	if td == nil || td.kind != "resource" {
		return e.generic(obj)
	}
	return e.object(obj, td, true)
}

func (e *encoder) object(obj map[string]any, td *typeDef, isResource bool) error {
	start := len(e.scratch)
	for k := range obj {
		rk := rankedKey{rank: unknownRank, key: k}
		switch ki := td.keys[k]; {
		case isResource && k == "resourceType":
			rk.rank = -1
		case ki != nil:
			rk.rank, rk.ki = ki.elem.order*2, ki
		case len(k) > 1 && k[0] == '_':
			if bki := td.keys[k[1:]]; bki != nil {
				rk.rank, rk.ki = bki.elem.order*2+1, e.elemKI
			}
		}
		e.scratch = append(e.scratch, rk)
	}
	keys := e.scratch[start:]
	slices.SortFunc(keys, func(a, b rankedKey) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return strings.Compare(a.key, b.key)
	})
	e.buf = append(e.buf, '{')
	for i, rk := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.str(rk.key)
		e.buf = append(e.buf, ':')
		if err := e.value(obj[rk.key], rk.ki); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	e.scratch = e.scratch[:start]
	return nil
}

// generic writes an object with no definition (unknown keys or types):
// "resourceType" first when present, then keys sorted.
func (e *encoder) generic(obj map[string]any) error {
	start := len(e.scratch)
	for k := range obj {
		rank := unknownRank
		if k == "resourceType" {
			rank = -1
		}
		e.scratch = append(e.scratch, rankedKey{rank: rank, key: k})
	}
	keys := e.scratch[start:]
	slices.SortFunc(keys, func(a, b rankedKey) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return strings.Compare(a.key, b.key)
	})
	e.buf = append(e.buf, '{')
	for i, rk := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.str(rk.key)
		e.buf = append(e.buf, ':')
		if err := e.value(obj[rk.key], nil); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	e.scratch = e.scratch[:start]
	return nil
}

func (e *encoder) value(v any, ki *keyInfo) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.str(x)
	case json.Number:
		if !ValidNumber(string(x)) {
			return fmt.Errorf("fhir: marshal: invalid json.Number %q", x)
		}
		e.buf = append(e.buf, x...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case map[string]any:
		switch {
		case ki != nil && ki.resource:
			return e.resource(x)
		case ki != nil && ki.typ != nil && ki.typ.kind != "primitive-type":
			return e.object(x, ki.typ, false)
		default:
			if _, ok := x["resourceType"]; ok && ki == nil {
				return e.resource(x)
			}
			return e.generic(x)
		}
	case []any:
		e.buf = append(e.buf, '[')
		for i, item := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(item, ki); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case []map[string]any:
		e.buf = append(e.buf, '[')
		for i, item := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(item, ki); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case []string:
		e.buf = append(e.buf, '[')
		for i, item := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.str(item)
		}
		e.buf = append(e.buf, ']')
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case uint32:
		e.buf = strconv.AppendUint(e.buf, uint64(x), 10)
	case uint64:
		e.buf = strconv.AppendUint(e.buf, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("fhir: marshal: %v is not a JSON number", x)
		}
		e.buf = strconv.AppendFloat(e.buf, x, 'g', -1, 64)
	default:
		return fmt.Errorf("fhir: marshal: unsupported value of type %T", v)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// str writes a JSON string. Invalid UTF-8 becomes U+FFFD so the output is
// always valid JSON; HTML characters are not escaped (xhtml stays readable).
func (e *encoder) str(s string) {
	e.buf = append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				e.buf = append(e.buf, s[start:i]...)
				e.buf = append(e.buf, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		e.buf = append(e.buf, s[start:i]...)
		switch c {
		case '"', '\\':
			e.buf = append(e.buf, '\\', c)
		case '\n':
			e.buf = append(e.buf, '\\', 'n')
		case '\r':
			e.buf = append(e.buf, '\\', 'r')
		case '\t':
			e.buf = append(e.buf, '\\', 't')
		default:
			e.buf = append(e.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	e.buf = append(e.buf, s[start:]...)
	e.buf = append(e.buf, '"')
}

// ValidNumber checks the RFC 8259 number grammar (for numbers built by
// callers rather than by Decode).
func ValidNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}
