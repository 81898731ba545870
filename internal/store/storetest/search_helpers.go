package storetest

import (
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/fhir/search"
	"github.com/housecall/housecall/internal/store"
)

// Index entries built by hand, so that the suite tests the store and not
// the indexer.

func eStr(param, exact string) search.Entry {
	return search.Entry{Param: param, Kind: search.KindString, Norm: strings.ToLower(exact), Exact: exact}
}

func eTok(param, system, code, text string) search.Entry {
	return search.Entry{Param: param, Kind: search.KindToken, System: system, Code: code, Text: text}
}

func eRef(param, typ, id string) search.Entry {
	return search.Entry{Param: param, Kind: search.KindReference, RefType: typ, RefID: id}
}

func eRefURL(param, u, version string) search.Entry {
	return search.Entry{Param: param, Kind: search.KindReference, RefURL: u, RefVersion: version}
}

// eDate covers [lo, hi] given as RFC 3339 instants (hi inclusive); "" is an
// open end.
func eDate(param, lo, hi string) search.Entry {
	e := search.Entry{Param: param, Kind: search.KindDate, DateLo: math.MinInt64, DateHi: math.MaxInt64}
	if lo != "" {
		e.DateLo = mustTime(lo).UnixMicro()
	}
	if hi != "" {
		e.DateHi = mustTime(hi).UnixMicro()
	}
	return e
}

// eDay is a date of day precision: the whole UTC day.
func eDay(param, day string) search.Entry {
	t := mustTime(day + "T00:00:00Z")
	return search.Entry{Param: param, Kind: search.KindDate, DateLo: t.UnixMicro(), DateHi: t.AddDate(0, 0, 1).UnixMicro() - 1}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func eNum(param string, v, lo, hi float64) search.Entry {
	return search.Entry{Param: param, Kind: search.KindNumber, Value: v, Lo: lo, Hi: hi}
}

func eQty(param string, v float64, system, code, unit string) search.Entry {
	return search.Entry{Param: param, Kind: search.KindQuantity, Value: v, Lo: v, Hi: v, System: system, Code: code, Unit: unit}
}

func eURI(param, u string) search.Entry {
	return search.Entry{Param: param, Kind: search.KindURI, Exact: u}
}

func eComp(param string, parts ...search.Entry) search.Entry {
	return search.Entry{Param: param, Kind: search.KindComposite, Components: parts}
}

// idxPut is a PUT of typ/id whose index entries are es.
func idxPut(typ, id string, es ...search.Entry) store.Write {
	w := put(nil, "PUT", typ, id, "")
	w.Index = es
	return w
}

func (f *fixture) index(typ, id string, es ...search.Entry) *store.Resource {
	f.t.Helper()
	return f.mustWrite(idxPut(typ, id, es...))
}

// query parses a search URL query string for typ.
func (f *fixture) query(typ, raw string) *search.Query {
	f.t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		f.t.Fatalf("bad test query %q: %v", raw, err)
	}
	q, unsupported, err := search.ParseQuery(typ, v, search.ParseOptions{DefaultCount: 50, MaxCount: 1000, BaseURL: "https://hc.example/fhir/r4"})
	if err != nil {
		f.t.Fatalf("parse %s?%s: %v", typ, raw, err)
	}
	if len(unsupported) > 0 {
		f.t.Fatalf("parse %s?%s: unsupported %v", typ, raw, unsupported[0])
	}
	return q
}

func (f *fixture) search(r store.Reader, typ, raw, cursor string) *store.SearchResult {
	f.t.Helper()
	res, err := r.Search(f.ctx, store.SearchRequest{Query: f.query(typ, raw), Cursor: cursor})
	if err != nil {
		f.t.Fatalf("search %s?%s: %v", typ, raw, err)
	}
	return res
}

// ids returns the ids of the matches of typ?raw, in result order.
func (f *fixture) ids(typ, raw string) []string {
	f.t.Helper()
	return idsOf(f.search(f.s, typ, raw, "").Matches)
}

func idsOf(rs []store.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// expect checks the matches of typ?raw, in order.
func (f *fixture) expect(typ, raw string, want ...string) {
	f.t.Helper()
	got := f.ids(typ, raw)
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		f.t.Errorf("%s?%s: got %q, want %q", typ, raw, got, want)
	}
}

// refs renders resources as sorted "Type/id".
func refs(rs []store.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Type + "/" + r.ID
	}
	slices.Sort(out)
	return out
}
