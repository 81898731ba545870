package sqlite

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Batches of rows (index rows, and the versions and current pointers of
// BulkPut) go in with one statement per table and batch:
//
//	INSERT INTO idx_token (rid, pid, ...) SELECT value ->> 0, value ->> 1, ... FROM jsonb_each(?)
//
// whose argument is an array of rows in SQLite's binary JSON format
// (JSONB, https://sqlite.org/jsonb.html), written by encodeRows. A
// statement per row pays the driver's per-execution cost (database/sql,
// binding, a statement reset) twenty million times in a million-resource
// import, and multi-row VALUES lists bind thousands of parameters each; one
// argument holding the whole batch does neither. JSONB rather than JSON
// text: SQLite reads it without parsing, jsonb_each hands each row to ->>
// as JSONB too (json_each renders it as text for ->> to parse again), and
// strings travel as raw UTF-8 with no escaping: 6% faster imports.

// selectRows is the SELECT that reads n columns from an array of rows
// bound to the first parameter.
func selectRows(n int) string {
	sel := make([]string, n)
	for i := range sel {
		sel[i] = "value ->> " + strconv.Itoa(i)
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM jsonb_each(?1)"
}

// JSONB element types (the low four bits of an element's first byte).
const (
	jsonbNull    = 0
	jsonbInt     = 3  // payload: the integer in decimal ASCII
	jsonbFloat   = 5  // payload: the number as JSON text
	jsonbTextRaw = 10 // payload: UTF-8 text as it is, no escapes
	jsonbArray   = 11 // payload: the elements, one after another
)

// appendJSONBHeader appends the header of an element of type typ whose
// payload is n bytes long, in its shortest form.
func appendJSONBHeader(dst []byte, typ byte, n int) []byte {
	switch {
	case n <= 11:
		return append(dst, byte(n)<<4|typ)
	case n <= 0xff:
		return append(dst, 12<<4|typ, byte(n))
	case n <= 0xffff:
		return append(dst, 13<<4|typ, byte(n>>8), byte(n))
	}
	return append(dst, 14<<4|typ, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// openArray appends the header of an array whose size is not known yet: a
// four-byte size (JSONB allows a header longer than it needs to be) that
// closeArray fills in. It returns the header's offset.
func openArray(dst []byte) ([]byte, int) {
	return append(dst, 14<<4|jsonbArray, 0, 0, 0, 0), len(dst)
}

func closeArray(dst []byte, at int) []byte {
	n := len(dst) - at - 5
	dst[at+1], dst[at+2], dst[at+3], dst[at+4] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return dst
}

// encodeRows appends vals, rows of width values, to dst as a JSONB array
// of arrays for jsonb_each. Values are int64, float64 or string, as the
// Batch makes them; SQLite's ->> returns them as INTEGER, REAL and TEXT.
func encodeRows(dst []byte, vals []any, width int) ([]byte, error) {
	if len(vals) > math.MaxInt32/8 {
		return nil, fmt.Errorf("%d values in one batch", len(vals))
	}
	dst, outer := openArray(dst)
	row := 0
	var num [32]byte
	for i, v := range vals {
		if i%width == 0 {
			if i > 0 {
				dst = closeArray(dst, row)
			}
			dst, row = openArray(dst)
		}
		switch x := v.(type) {
		case int64:
			b := strconv.AppendInt(num[:0], x, 10)
			dst = append(appendJSONBHeader(dst, jsonbInt, len(b)), b...)
		case float64:
			if math.IsNaN(x) {
				dst = appendJSONBHeader(dst, jsonbNull, 0)
				break
			}
			b := appendJSONFloat(num[:0], x)
			dst = append(appendJSONBHeader(dst, jsonbFloat, len(b)), b...)
		case string:
			dst = append(appendJSONBHeader(dst, jsonbTextRaw, len(x)), x...)
		default:
			return nil, fmt.Errorf("index value of type %T", v)
		}
	}
	if len(vals) > 0 {
		dst = closeArray(dst, row)
	}
	if len(dst)-outer-5 > math.MaxInt32 {
		return nil, fmt.Errorf("batch of %d bytes", len(dst)-outer)
	}
	return closeArray(dst, outer), nil
}

// appendJSONFloat writes the shortest decimal that reads back as f (as
// bound parameters would store it). SQLite reads 9e999 as infinity. NaN is
// written as null by the caller, which the NOT NULL columns refuse, as
// they refuse a bound NaN.
func appendJSONFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "9e999"...)
	case math.IsInf(f, -1):
		return append(dst, "-9e999"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}
