package sqlite

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
	"github.com/housecall/housecall/internal/store/internal/sqlsearch"
)

// TestEncodeRows renders the JSONB that encodeRows writes as JSON text with
// SQLite's own json(): SQLite must read every element as intended.
func TestEncodeRows(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	long := strings.Repeat("x", 70000) // a string whose size needs a four-byte header
	for _, tc := range []struct {
		name  string
		vals  []any
		width int
		want  string
	}{
		{"empty", nil, 3, `[]`},
		{"one row", []any{int64(1), "a", 2.5}, 3, `[[1,"a",2.5]]`},
		{"two rows", []any{int64(1), "a", int64(2), "b"}, 2, `[[1,"a"],[2,"b"]]`},
		{"int64 ends", []any{int64(math.MinInt64), int64(math.MaxInt64)}, 2, `[[-9223372036854775808,9223372036854775807]]`},
		{"escapes", []any{"q\"b\\n\nt\tr\r\x01\x1f<>&é"}, 1, `[["q\"b\\n\nt\tr\r\u0001\u001f<>&é"]]`},
		{"floats", []any{0.1, 1e21, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN()}, 6, `[[0.1,1e+21,-0,9e999,-9e999,null]]`},
		{"header sizes", []any{"12345678901", "123456789012", strings.Repeat("y", 255), strings.Repeat("z", 256), long}, 5,
			`[["12345678901","123456789012","` + strings.Repeat("y", 255) + `","` + strings.Repeat("z", 256) + `","` + long + `"]]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blob, err := encodeRows(nil, tc.vals, tc.width)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if err := db.QueryRow(`SELECT json(?)`, blob).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := encodeRows(nil, []any{true}, 1); err == nil {
		t.Error("a bool encoded without error")
	}
}

// TestIndexRowsRoundTrip writes index entries with edge values through
// both write paths (BulkPut and Tx.Write) and reads the rows back: the JSON
// text the rows travel in must not change a value or its SQL type.
func TestIndexRowsRoundTrip(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "rows.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text := "Zoë \"quoted\" back\\slash\nnew line\ttab \x01 ctl <&> 漢字 🙂"
	entries := []search.Entry{
		{Param: "name", Kind: search.KindString, Norm: text, Exact: text},
		{Param: "identifier", Kind: search.KindToken, System: "urn:x", Code: "", Text: text},
		{Param: "general-practitioner", Kind: search.KindReference, RefType: "Practitioner", RefID: "p-1", RefURL: "http://x/y", RefVersion: "3"},
		{Param: "birthdate", Kind: search.KindDate, DateLo: math.MinInt64, DateHi: math.MaxInt64},
		{Param: "death-date", Kind: search.KindDate, DateLo: -62135596800000000, DateHi: 253402300799999999},
	}
	floats := []float64{0, 0.1, 1.0 / 3, 123456789.123456789, 1e308, -1e-308, 5e-324, math.MaxFloat64, 2.5e-5, 1 << 60}
	// RiskAssessment.probability is a number, Observation.value-quantity a
	// quantity: one entry per edge value.
	var numEntries, qtyEntries []search.Entry
	for _, f := range floats {
		numEntries = append(numEntries, search.Entry{Param: "probability", Kind: search.KindNumber, Value: f, Lo: math.Nextafter(f, -math.MaxFloat64), Hi: f})
		qtyEntries = append(qtyEntries, search.Entry{Param: "value-quantity", Kind: search.KindQuantity, Value: -f, Lo: -f, Hi: -f, System: "http://unitsofmeasure.org", Code: "mg", Unit: text})
	}
	stamp := func(int64, time.Time) ([]byte, error) { return []byte(`{}`), nil }
	writes := []store.Write{
		{Type: "Patient", ID: "bulk", Method: "PUT", Index: entries, Stamp: stamp},
		{Type: "RiskAssessment", ID: "bulk", Method: "PUT", Index: numEntries, Stamp: stamp},
		{Type: "Observation", ID: "bulk", Method: "PUT", Index: qtyEntries, Stamp: stamp},
	}
	if _, err := s.BulkPut(ctx, writes); err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		for _, w := range writes {
			w.ID = "single"
			if _, err := tx.Write(ctx, w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Expected rows: what the Batch hands to the store, for each write.
	for _, w := range writes {
		for _, id := range []string{"bulk", "single"} {
			r, err := s.Read(ctx, w.Type, id)
			if err != nil {
				t.Fatal(err)
			}
			var seq int64
			if err := s.rdb.QueryRowContext(ctx, `SELECT seq FROM resources WHERE type = ? AND id = ?`, w.Type, id).Scan(&seq); err != nil {
				t.Fatal(err)
			}
			b := sqlsearch.NewBatch()
			b.Add(w.Type, seq, w.Index, r.LastUpdated)
			for _, tb := range sqlsearch.Tables {
				want := b.Rows[tb]
				got := readRows(ctx, t, s, tb, seq)
				if !slices.Equal(got, want) {
					t.Errorf("%s/%s %s:\n got %v\nwant %v", w.Type, id, tb.Name, got, want)
				}
			}
		}
	}
}

// readRows returns the rows of rid in tb, flattened, in entry order (ord),
// with their SQL types checked against the Go types the Batch uses.
func readRows(ctx context.Context, t *testing.T, s *Store, tb *sqlsearch.Table, rid int64) []any {
	t.Helper()
	cols := tb.AllCols()
	q := "SELECT "
	for i, c := range cols {
		if i > 0 {
			q += ", "
		}
		q += c
	}
	rows, err := s.rdb.QueryContext(ctx, q+" FROM "+tb.Name+" WHERE rid = ? ORDER BY ord", rid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
