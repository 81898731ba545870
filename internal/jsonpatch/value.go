package jsonpatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// decodeStrict parses exactly one JSON value with numbers kept as
// json.Number. Duplicate object keys are rejected: RFC 6902 Appendix A.13
// shows an operation with two "op" members, whose meaning is ambiguous.
func decodeStrict(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("trailing data after JSON value at offset %d", dec.InputOffset())
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("unexpected end of JSON input")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key expected at offset %d", dec.InputOffset())
				}
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("duplicate object key %q at offset %d", k, dec.InputOffset())
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				m[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %v at offset %d", t, dec.InputOffset())
	default:
		return tok, nil
	}
}

// deepCopy copies the containers of a decoded JSON value; scalars are
// immutable and shared.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = deepCopy(e)
		}
		return a
	}
	return v
}

// equal compares JSON values as RFC 6902 section 4.6 requires: numbers by
// numeric value, objects ignoring member order, arrays element-wise.
func equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	xn, ok := normNumber(a)
	if !ok {
		return false
	}
	yn, ok := normNumber(b)
	return ok && xn == yn
}

// number is a JSON number in canonical form: value = 0.digits x 10^exp,
// digits without leading or trailing zeros. Comparing canonical forms is
// exact (1, 1.0 and 10e-1 are equal) and, unlike big.Rat, costs nothing
// for a hostile exponent such as 1e999999999.
type number struct {
	neg    bool
	digits string
	exp    string // decimal exponent, canonical big.Int text
}

func normNumber(v any) (number, bool) {
	var s string
	switch n := v.(type) {
	case json.Number:
		s = string(n)
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return number{}, false
		}
		s = strconv.FormatFloat(n, 'g', -1, 64)
	case int:
		s = strconv.Itoa(n)
	case int64:
		s = strconv.FormatInt(n, 10)
	default:
		return number{}, false
	}
	var out number
	if strings.HasPrefix(s, "-") {
		out.neg = true
		s = s[1:]
	}
	mant, expText := s, "0"
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, expText = s[:i], strings.TrimPrefix(s[i+1:], "+")
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	exp, ok := new(big.Int).SetString(expText, 10)
	if !ok || !allDigits(intPart) || !allDigits(frac) || intPart == "" {
		return number{}, false
	}
	digits := intPart + frac
	exp.Add(exp, big.NewInt(int64(len(intPart))))
	trimmed := strings.TrimLeft(digits, "0")
	exp.Sub(exp, big.NewInt(int64(len(digits)-len(trimmed))))
	trimmed = strings.TrimRight(trimmed, "0")
	if trimmed == "" {
		return number{}, true // every zero, including -0, is the same value
	}
	out.digits = trimmed
	out.exp = exp.String()
	return out, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
