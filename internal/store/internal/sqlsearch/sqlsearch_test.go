package sqlsearch

import (
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/fhir/search"
)

// TestPIDsDoNotCollide: every (type, code) the index can hold, including
// :of-type and composite component codes, has its own pid.
func TestPIDsDoNotCollide(t *testing.T) {
	seen := map[int64]string{}
	n := 0
	check := func(typ, code string) {
		n++
		p := PID(typ, code)
		k := typ + "." + code
		if p < 0 || p > math.MaxInt32 {
			t.Fatalf("%s: pid %d does not fit 31 bits", k, p)
		}
		if prev, ok := seen[p]; ok && prev != k {
			t.Fatalf("pid collision: %s and %s", prev, k)
		}
		seen[p] = k
	}
	for _, typ := range fhir.ResourceTypes() {
		for _, sp := range fhir.SearchParams(typ) {
			check(typ, sp.Code)
			if sp.Type == "token" {
				check(typ, sp.Code+":of-type")
			}
			for i := range sp.Component {
				check(typ, componentCode(sp.Code, i))
			}
		}
	}
	if n < 3000 {
		t.Fatalf("only %d parameters checked: definitions missing?", n)
	}
}

func TestNormalizeMatchesIndexer(t *testing.T) {
	ix, err := search.NewIndexer(search.IndexerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Zoë", "  ÉLODIE   de\tla Cruz ", "Øresund", "Straße", "ﬁne", "İstanbul", "한국어", "Ångström", "plain", "MIXED Case"}
	for _, n := range names {
		res := map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": n}}}
		es, err := ix.Extract(res)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range es {
			if e.Param == "family" {
				found = true
				if got := search.Normalize(n); got != e.Norm {
					t.Errorf("search.Normalize(%q) = %q, indexer has %q", n, got, e.Norm)
				}
			}
		}
		if !found {
			t.Fatalf("no family entry for %q", n)
		}
	}
}

func TestPrefixUpper(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"abc", "abd", true},
		{"zo", "zp", true},
		{"é", "ê", true},
		{"a\uD7FF", "a\uE000", true},
		{"a\U0010FFFF", "", false},
		{"", "", false},
	} {
		got, ok := prefixUpper(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("prefixUpper(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok {
			for _, s := range []string{tc.in, tc.in + "zzz", tc.in + "\U0010FFFF"} {
				if !(s >= tc.in && s < got) {
					t.Errorf("%q is outside [%q, %q)", s, tc.in, got)
				}
			}
		}
	}
}

func TestRebindDollar(t *testing.T) {
	if got := RebindDollar("a = ? AND b IN (?) LIMIT ?"); got != "a = $1 AND b IN ($2) LIMIT $3" {
		t.Fatal(got)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	q, _, err := search.ParseQuery("Encounter", url.Values{"_sort": {"date,-subject,length"}}, search.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := &compiler{d: testDialect{}, now: time.Now}
	keys, err := c.sortKeys(q)
	if err != nil {
		t.Fatal(err)
	}
	in := cursor{Prev: true, Keys: []any{int64(math.MaxInt64), nil, 1.25}, Seq: 42, FP: fingerprint(q)}
	out, err := decodeCursor(encodeCursor(in), q, keys)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Prev || out.Seq != 42 || out.Keys[0] != int64(math.MaxInt64) || out.Keys[1] != nil || out.Keys[2] != 1.25 {
		t.Fatalf("round trip: %+v", out)
	}
	q2, _, _ := search.ParseQuery("Encounter", url.Values{"_sort": {"-date"}}, search.ParseOptions{})
	if _, err := decodeCursor(encodeCursor(in), q2, keys[:1]); err == nil {
		t.Fatal("cursor of another sort accepted")
	}
	if _, err := decodeCursor("%%%", q, keys); err == nil || !IsCallerError(err) {
		t.Fatalf("bad cursor: %v", err)
	}
}

// TestKeysetPredicate checks the shape of the keyset condition, NULLs
// included, against an evaluation in Go.
func TestKeysetPredicate(t *testing.T) {
	keys := []sortKey{{desc: false}, {desc: true}}
	names := []string{"t.k0", "t.k1"}
	p := after(keys, names, &cursor{Keys: []any{int64(5), nil}, Seq: 7}, false)
	// AND binds tighter than OR.
	want := "((t.k0 > ? OR t.k0 IS NULL) OR t.k0 = ? AND ((1 = 0 OR t.k1 IS NULL AND (t.seq > ?))))"
	if p.sql != want || len(p.args) != 3 {
		t.Fatalf("got %s %v\nwant %s", p.sql, p.args, want)
	}
	r := after(keys, names, &cursor{Keys: []any{int64(5), nil}, Seq: 7}, true)
	if !strings.Contains(r.sql, "t.k1 IS NOT NULL") || !strings.Contains(r.sql, "t.k0 < ?") || strings.Contains(r.sql, "t.k0 IS NULL)") {
		t.Fatalf("reverse: %s", r.sql)
	}
	if got := orderBy(keys, names, true); got != "t.k0 DESC NULLS FIRST, t.k1 ASC NULLS FIRST, t.seq DESC" {
		t.Fatal(got)
	}
}

func TestBatchSkipsIDAndOwnsLastUpdated(t *testing.T) {
	b := NewBatch()
	lu := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	b.Add("Patient", 7, []search.Entry{
		{Param: "_id", Kind: search.KindToken, Code: "x"},
		{Param: "_lastUpdated", Kind: search.KindDate, DateLo: 1, DateHi: 2},
		{Param: "gender", Kind: search.KindToken, Code: "male"},
		{Param: "x", Kind: search.KindComposite, Components: []search.Entry{
			{Kind: search.KindToken, Code: "c"}, {Kind: search.KindQuantity, Value: 1}}},
	}, lu)
	if n := b.Len(TDate); n != 1 || b.Rows[TDate][3] != lu.UnixMicro() {
		t.Fatalf("date rows %v", b.Rows[TDate])
	}
	if n := b.Len(TToken); n != 2 {
		t.Fatalf("token rows %d, want gender and a component", n)
	}
	tok := b.Rows[TToken]
	if tok[1] != PID("Patient", "gender") || tok[7] != PID("Patient", "x$0") || tok[8] != int64(2) {
		t.Fatalf("token rows %v", tok)
	}
	if b.Len(TQuantity) != 1 || b.Rows[TQuantity][2] != tok[8] {
		t.Fatalf("composite parts must share ord: %v %v", tok, b.Rows[TQuantity])
	}
	b.Reset()
	if b.Len(TToken) != 0 {
		t.Fatal("reset kept rows")
	}
}

func TestBatchDropsRedundantText(t *testing.T) {
	b := NewBatch()
	b.Add("Condition", 1, []search.Entry{
		{Param: "code", Kind: search.KindToken, System: "s", Code: "c", Text: "sepsis"},
		{Param: "code", Kind: search.KindToken, Text: "sepsis"},      // same text as the coding: dropped
		{Param: "code", Kind: search.KindToken, Text: "other words"}, // kept
		{Param: "category", Kind: search.KindToken, Text: "sepsis"},  // another parameter: kept
	}, time.Unix(0, 0))
	if n := b.Len(TToken); n != 3 {
		t.Fatalf("%d token rows, want 3: %v", n, b.Rows[TToken])
	}
}

type testDialect struct{}

func (testDialect) Rebind(q string) string            { return q }
func (testDialect) IntList(v []int64) (string, any)   { return "SELECT ?", v }
func (testDialect) TextList(v []string) (string, any) { return "SELECT ?", v }
func (testDialect) Contains(col string) string        { return "contains(" + col + ", ?)" }
func (testDialect) False() string                     { return "0" }
func (testDialect) ByRID(string) string               { return "" }
func (testDialect) VersionsByType() string            { return "" }
func (testDialect) LiveBySeq() string                 { return "" }
func (testDialect) PerRow(filter string) string       { return filter }
func (testDialect) ProbeDrivers() bool                { return false }
