package sqlite

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/housecall/housecall/internal/jsonenc"
)

// Batches of rows (index rows, and the versions and current pointers of
// BulkPut) go in with one statement per table and batch:
//
//	INSERT INTO idx_token (rid, pid, ...) SELECT value ->> 0, value ->> 1, ... FROM json_each(?)
//
// whose argument is a JSON array of rows (encodeRows).
// modernc.org/sqlite compiles a statement on every execution, prepared or
// not, and matches arguments to parameters in quadratic time, so multi-row
// VALUES statements spent more time in the SQL parser and in argument
// binding than in the B-trees; one JSON text is parsed far faster than
// thousands of bound parameters. One statement per batch also journals
// each page once: a statement that may fail half way first copies every
// page it changes to the statement journal, so 16-row statements copied
// the same hot index pages again and again (a sixth of an import).

// selectRows is the SELECT that reads n columns from a JSON array of rows
// bound to the first parameter.
func selectRows(n int) string {
	sel := make([]string, n)
	for i := range sel {
		sel[i] = "value ->> " + strconv.Itoa(i)
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM json_each(?1)"
}

// encodeRows appends vals, rows of width values, to dst as a JSON array of
// arrays for json_each. Values are int64, float64 or string, as the Batch
// makes them; SQLite's ->> returns them as INTEGER, REAL and TEXT.
func encodeRows(dst []byte, vals []any, width int) ([]byte, error) {
	dst = append(dst, '[')
	for i, v := range vals {
		switch {
		case i == 0:
			dst = append(dst, '[')
		case i%width == 0:
			dst = append(dst, "],["...)
		default:
			dst = append(dst, ',')
		}
		switch x := v.(type) {
		case int64:
			dst = strconv.AppendInt(dst, x, 10)
		case float64:
			dst = appendJSONFloat(dst, x)
		case string:
			dst = jsonenc.AppendString(dst, x) // the text was valid UTF-8 JSON when decoded
		default:
			return nil, fmt.Errorf("index value of type %T", v)
		}
	}
	if len(vals) > 0 {
		dst = append(dst, ']')
	}
	return append(dst, ']'), nil
}

// appendJSONFloat writes the shortest decimal that reads back as f (as
// bound parameters would store it). SQLite's JSON reader takes 9e999 for
// infinity; NaN becomes null, which the NOT NULL columns refuse, as they
// refuse a bound NaN.
func appendJSONFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "null"...)
	case math.IsInf(f, 1):
		return append(dst, "9e999"...)
	case math.IsInf(f, -1):
		return append(dst, "-9e999"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}
