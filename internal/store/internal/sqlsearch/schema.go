package sqlsearch

import (
	"cmp"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/fhir/search"
)

// PID identifies a search parameter of a resource type in the index
// tables: FNV-1a of "type\x00code", masked to 31 bits so that it fits a
// 4-byte integer in both databases. The R4 definitions are fixed, and a
// test proves no two of their (type, code) pairs collide.
func PID(typ, code string) int64 {
	h := fnv.New32a()
	h.Write([]byte(typ))
	h.Write([]byte{0})
	h.Write([]byte(code))
	return int64(h.Sum32() & 0x7fffffff)
}

// componentCode is the code under which component i of a composite
// parameter is stored.
func componentCode(code string, i int) string { return code + "$" + strconv.Itoa(i) }

// Table describes one index table: its name and the value columns that
// follow rid, pid and ord.
type Table struct {
	Name string
	Cols []string
}

// The index tables, by search.Kind. Composite entries go to the tables of
// their components.
var (
	TString    = &Table{"idx_string", []string{"norm", "exact"}}
	TToken     = &Table{"idx_token", []string{"system", "code", "text"}}
	TReference = &Table{"idx_reference", []string{"ref_type", "ref_id", "ref_version", "ref_url", "system", "code"}}
	TDate      = &Table{"idx_date", []string{"lo", "hi", "span"}}
	TNumber    = &Table{"idx_number", []string{"value", "lo", "hi"}}
	TQuantity  = &Table{"idx_quantity", []string{"value", "lo", "hi", "system", "code", "unit"}}
	TURI       = &Table{"idx_uri", []string{"uri"}}
)

// Tables lists every index table, in a fixed order.
var Tables = []*Table{TString, TToken, TReference, TDate, TNumber, TQuantity, TURI}

// AllCols is rid, pid, ord and the value columns.
func (t *Table) AllCols() []string {
	return append([]string{"rid", "pid", "ord"}, t.Cols...)
}

func tableOfKind(k search.Kind) *Table {
	switch k {
	case search.KindString:
		return TString
	case search.KindToken:
		return TToken
	case search.KindReference:
		return TReference
	case search.KindDate:
		return TDate
	case search.KindNumber:
		return TNumber
	case search.KindQuantity:
		return TQuantity
	case search.KindURI:
		return TURI
	}
	return nil
}

// tableOfType maps a SearchParameter.type code to its table.
func tableOfType(t string) *Table {
	switch t {
	case "string":
		return TString
	case "token":
		return TToken
	case "reference":
		return TReference
	case "date":
		return TDate
	case "number":
		return TNumber
	case "quantity":
		return TQuantity
	case "uri":
		return TURI
	}
	return nil
}

// Batch accumulates index rows for many resources, per table, as flat
// argument lists (len(Cols)+3 values per row) ready for multi-row INSERTs or
// COPY.
type Batch struct {
	Rows map[*Table][]any
}

// NewBatch returns an empty batch.
func NewBatch() *Batch { return &Batch{Rows: make(map[*Table][]any, len(Tables))} }

// Len is the number of rows of t in the batch.
func (b *Batch) Len(t *Table) int { return len(b.Rows[t]) / (len(t.Cols) + 3) }

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	for t, r := range b.Rows {
		clear(r)
		b.Rows[t] = r[:0]
	}
}

// Add appends the rows of one resource version: its entries (minus _id,
// which the resources table answers, and any _lastUpdated, which the store
// owns) plus the _lastUpdated entry of lastUpdated.
func (b *Batch) Add(typ string, rid int64, entries []search.Entry, lastUpdated time.Time) {
	ord := int64(0)
	us := lastUpdated.UnixMicro()
	b.add(TDate, rid, PID(typ, "_lastUpdated"), ord, us, us, int64(0))
	for i := range entries {
		e := &entries[i]
		if e.Param == "_id" || e.Param == "_lastUpdated" || redundantText(entries, i) {
			continue
		}
		ord++
		if e.Kind == search.KindComposite {
			for ci := range e.Components {
				c := &e.Components[ci]
				if t := tableOfKind(c.Kind); t != nil {
					b.addEntry(t, rid, PID(typ, componentCode(e.Param, ci)), ord, c)
				}
			}
			continue
		}
		if t := tableOfKind(e.Kind); t != nil {
			b.addEntry(t, rid, PID(typ, e.Param), ord, e)
		}
	}
}

// redundantText reports whether entries[i] is a text-only token entry (a
// CodeableConcept.text) whose text a coded entry of the same parameter
// already carries: :text finds the resource through that row, and :missing
// and :not are unaffected, so the row would only cost import time (a tenth
// of the rows of a Synthea import).
func redundantText(entries []search.Entry, i int) bool {
	e := &entries[i]
	if e.Kind != search.KindToken || e.Code != "" || e.System != "" || e.Text == "" {
		return false
	}
	for j := range entries {
		o := &entries[j]
		if j != i && o.Param == e.Param && o.Kind == search.KindToken && o.Code != "" && o.Text == e.Text {
			return true
		}
	}
	return false
}

func (b *Batch) addEntry(t *Table, rid, pid, ord int64, e *search.Entry) {
	switch t {
	case TString:
		b.add(t, rid, pid, ord, e.Norm, e.Exact)
	case TToken:
		b.add(t, rid, pid, ord, e.System, e.Code, e.Text)
	case TReference:
		b.add(t, rid, pid, ord, e.RefType, e.RefID, e.RefVersion, e.RefURL, e.System, e.Code)
	case TDate:
		b.add(t, rid, pid, ord, e.DateLo, e.DateHi, SpanBucket(e.DateLo, e.DateHi))
	case TNumber:
		b.add(t, rid, pid, ord, e.Value, e.Lo, e.Hi)
	case TQuantity:
		b.add(t, rid, pid, ord, e.Value, e.Lo, e.Hi, e.System, e.Code, e.Unit)
	case TURI:
		b.add(t, rid, pid, ord, e.Exact)
	}
}

func (b *Batch) add(t *Table, vals ...any) {
	b.Rows[t] = append(b.Rows[t], vals...)
}

// SortBySearchKey orders the rows of every table by the prefix of its
// search index: pid and the first two value columns (pid, span, lo for
// dates). Inserting a
// large batch in that order visits each index page once instead of at
// random, which is most of the cost of a bulk import on SQLite.
func (b *Batch) SortBySearchKey() {
	for t, vals := range b.Rows {
		w := len(t.Cols) + 3
		n := len(vals) / w
		if n < 2 {
			continue
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(x, y int) int {
			a, c := vals[x*w:x*w+w], vals[y*w:y*w+w]
			cols := [...]int{1, 3, 4}
			if t == TDate {
				cols = [...]int{1, 5, 3}
			}
			for _, col := range cols {
				if col >= w {
					break
				}
				if r := compareAny(a[col], c[col]); r != 0 {
					return r
				}
			}
			return 0
		})
		sorted := make([]any, 0, len(vals))
		for _, i := range idx {
			sorted = append(sorted, vals[i*w:i*w+w]...)
		}
		b.Rows[t] = sorted
	}
}

func compareAny(a, b any) int {
	switch x := a.(type) {
	case int64:
		return cmp.Compare(x, b.(int64))
	case float64:
		return cmp.Compare(x, b.(float64))
	case string:
		return strings.Compare(x, b.(string))
	}
	return 0
}
