package sqlsearch

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/housecall/housecall/internal/fhir/search"
)

// sortKey is one compiled _sort key.
type sortKey struct {
	expr frag   // correlated on v.seq; NULL when the resource has no value
	desc bool   // requested direction
	kind string // "s" text, "i" integer, "f" float: how cursor values decode
}

// sortKeys compiles Query.Sort. Text keys compare bytewise on both
// backends (BINARY in SQLite, COLLATE "C" columns in PostgreSQL).
func (c *compiler) sortKeys(q *search.Query) ([]sortKey, error) {
	keys := make([]sortKey, 0, len(q.Sort))
	for _, sk := range q.Sort {
		code := sk.Param.Code
		if code == "_id" {
			keys = append(keys, sortKey{expr: f("v.id"), desc: sk.Descending, kind: "s"})
			continue
		}
		t := tableOfType(sk.Param.Type)
		if t == nil {
			return nil, unsupported("sorting by %s parameter %s", sk.Param.Type, code)
		}
		agg := "MIN"
		if sk.Descending {
			agg = "MAX"
		}
		a := c.alias("s")
		var col, kind, extra string
		switch t {
		case TString:
			col, kind = a+".norm", "s"
		case TToken:
			col, kind, extra = a+".code", "s", " AND "+a+".code <> ''"
		case TReference:
			col, kind = "CASE WHEN "+a+".ref_id <> '' THEN "+a+".ref_type || '/' || "+a+".ref_id ELSE "+a+".ref_url END", "s"
			extra = " AND (" + a + ".ref_id <> '' OR " + a + ".ref_url <> '')"
		case TDate:
			// Ascending by the earliest start, descending by the latest end.
			col, kind = a+".lo", "i"
			if sk.Descending {
				col = a + ".hi"
			}
		case TNumber, TQuantity:
			col, kind = a+".value", "f"
		case TURI:
			col, kind = a+".uri", "s"
		}
		expr := fmt.Sprintf("(SELECT %s(%s) FROM %s %s%s WHERE %s.rid = v.seq AND %s.pid = %d%s)",
			agg, col, t.Name, a, c.d.ByRID(t.Name), a, a, PID(q.Type, code), extra)
		keys = append(keys, sortKey{expr: f(expr), desc: sk.Descending, kind: kind})
	}
	return keys, nil
}

// cursor is the decoded paging position: the sort key values and seq of a
// row, exclusive, and the direction to read from it.
type cursor struct {
	Prev bool   `json:"p,omitempty"`
	Incl bool   `json:"n,omitempty"` // the cursor row itself is included
	Keys []any  `json:"k,omitempty"`
	Seq  int64  `json:"s"`
	FP   uint32 `json:"f"`
}

// fingerprint ties cursors to the query's type and sort order, so that a
// cursor cannot be replayed against a search it does not fit.
func fingerprint(q *search.Query) uint32 {
	h := fnv.New32a()
	h.Write([]byte(q.Type))
	for _, s := range q.Sort {
		h.Write([]byte{0})
		h.Write([]byte(s.Param.Code))
		if s.Descending {
			h.Write([]byte{'-'})
		}
	}
	return h.Sum32()
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c) // only strings and numbers: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, q *search.Query, keys []sortKey) (*cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64url", ErrCursor)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var c cursor
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: malformed", ErrCursor)
	}
	if c.FP != fingerprint(q) || len(c.Keys) != len(keys) || c.Seq <= 0 {
		return nil, fmt.Errorf("%w: it belongs to another search", ErrCursor)
	}
	for i, k := range keys {
		v := c.Keys[i]
		if v == nil {
			continue
		}
		switch k.kind {
		case "s":
			if _, ok := v.(string); !ok {
				return nil, fmt.Errorf("%w: key %d is not text", ErrCursor, i)
			}
		case "i", "f":
			n, ok := v.(json.Number)
			if !ok {
				return nil, fmt.Errorf("%w: key %d is not a number", ErrCursor, i)
			}
			if k.kind == "i" {
				iv, err := strconv.ParseInt(string(n), 10, 64)
				if err != nil {
					return nil, fmt.Errorf("%w: key %d", ErrCursor, i)
				}
				c.Keys[i] = iv
			} else {
				fv, err := strconv.ParseFloat(string(n), 64)
				if err != nil {
					return nil, fmt.Errorf("%w: key %d", ErrCursor, i)
				}
				c.Keys[i] = fv
			}
		}
	}
	return &c, nil
}

// after is the keyset condition "the row comes after the cursor" in the
// order given by keys read forwards (reverse=false) or backwards. Forwards
// every key has its NULLs last; backwards the order is mirrored. The
// tie-breaker (and the whole order when no _sort is given) is the seq of
// the current version, ascending forwards: the order of last change. Index
// rows are kept in that order, so a page of an unsorted search reads only
// the rows it returns instead of sorting every match by id; a resource
// updated while a client pages moves to the end, where the client sees its
// new version.
func after(keys []sortKey, names []string, c *cursor, reverse bool) frag {
	// Built from the last key outwards: P = after(k) OR (equal(k) AND P').
	idOp := ">"
	if reverse {
		idOp = "<"
	}
	if c.Incl {
		idOp += "="
	}
	p := f("t.seq "+idOp+" ?", c.Seq)
	for i := len(keys) - 1; i >= 0; i-- {
		k, col, val := keys[i], names[i], c.Keys[i]
		desc := k.desc != reverse
		nullsLast := !reverse
		var gt, eq frag
		if val == nil {
			eq = f(col + " IS NULL")
			if nullsLast {
				gt = f("1 = 0")
			} else {
				gt = f(col + " IS NOT NULL")
			}
		} else {
			op := ">"
			if desc {
				op = "<"
			}
			eq = f(col+" = ?", val)
			gt = f(col+" "+op+" ?", val)
			if nullsLast {
				gt.sql = "(" + gt.sql + " OR " + col + " IS NULL)"
			}
		}
		p = join(" OR ", []frag{gt, join(" AND ", []frag{eq, wrap(p)})})
		p = wrap(p)
	}
	return p
}

func wrap(x frag) frag { return frag{"(" + x.sql + ")", x.args} }

// orderBy is the ORDER BY list for keys named names, forwards or reversed.
func orderBy(keys []sortKey, names []string, reverse bool) string {
	var b bytes.Buffer
	for i, k := range keys {
		desc := k.desc != reverse
		b.WriteString(names[i])
		if desc {
			b.WriteString(" DESC")
		} else {
			b.WriteString(" ASC")
		}
		if reverse {
			b.WriteString(" NULLS FIRST, ")
		} else {
			b.WriteString(" NULLS LAST, ")
		}
	}
	b.WriteString("t.seq")
	if reverse {
		b.WriteString(" DESC")
	}
	return b.String()
}
