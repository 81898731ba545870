package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/jsonenc"
)

// appendCanonical writes v in the canonical JSON form described in the
// package comment. It accepts the shapes a JSON decoder produces
// (map[string]any, []any, string, bool, nil, json.Number) plus Go integers
// and the typed slices a caller may have put into a resource; float64 is
// refused because its text form is not what the store will hold.
func appendCanonical(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case string:
		return appendString(buf, x)
	case json.Number:
		// The grammar check keeps a json.Number made by hand from injecting
		// structure into the hashed text.
		if !fhir.ValidNumber(string(x)) {
			return nil, errors.New("invalid JSON number")
		}
		return append(buf, x...), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys) // Go compares strings by bytes: UTF-8 byte order
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendString(buf, k); err != nil {
				return nil, err
			}
			buf = append(buf, ':')
			if buf, err = appendCanonical(buf, x[k]); err != nil {
				return nil, fmt.Errorf("%q: %w", k, err)
			}
		}
		return append(buf, '}'), nil
	case []any:
		return appendArray(buf, x)
	case []map[string]any:
		return appendArray(buf, x)
	case []string:
		return appendArray(buf, x)
	}
	return nil, fmt.Errorf("unsupported value of type %T in canonical JSON", v)
}

func appendArray[T any](buf []byte, items []T) ([]byte, error) {
	buf = append(buf, '[')
	for i, it := range items {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendCanonical(buf, it); err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return append(buf, ']'), nil
}

func appendString(buf []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("string is not valid UTF-8")
	}
	return jsonenc.AppendString(buf, s), nil
}
