package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/fhir"
)

// stored is a chain as the store returns it: bodies with id and meta, and
// the head after each event (heads[i] is the head after seq i+1).
type stored struct {
	bodies [][]byte
	heads  []Head
}

// buildChain seals n events after start and stores them as the FHIR store
// would (fhir.Stamp adds id and meta and re-encodes in definition order).
func buildChain(t testing.TB, start Head, n int) stored {
	t.Helper()
	var s stored
	prev := start
	if prev.Hash == "" {
		prev.Hash = GenesisHash
	}
	for i := range n {
		seq := prev.Seq + 1
		ev := Event{
			Time: testTime.Add(time.Duration(seq) * time.Second), Kind: KindRead,
			Agent:    Agent{Who: "Practitioner/d1", UserID: "u1", Role: RolePractitioner, Requestor: true},
			Source:   Source{IP: "192.0.2.1", Site: "https://fhir.example.org"},
			Entities: []Entity{{What: fmt.Sprintf("Observation/o%d", i)}}, Patients: []string{"Patient/p1"},
		}
		res, err := ev.Resource()
		if err != nil {
			t.Fatal(err)
		}
		h, err := (Chain{}).Seal(res, seq, prev.Hash)
		if err != nil {
			t.Fatal(err)
		}
		body, err := fhir.Stamp(res, fmt.Sprintf("ae%d", seq), 1, testTime)
		if err != nil {
			t.Fatal(err)
		}
		prev = Head{Seq: seq, Hash: h}
		s.bodies = append(s.bodies, body)
		s.heads = append(s.heads, prev)
	}
	return s
}

func reader(bodies [][]byte) func() ([]byte, bool, error) {
	i := 0
	return func() ([]byte, bool, error) {
		if i >= len(bodies) {
			return nil, false, nil
		}
		i++
		return bodies[i-1], true, nil
	}
}

// editBody decodes a stored body, lets f change it and re-encodes it.
func editBody(t *testing.T, body []byte, f func(map[string]any)) []byte {
	t.Helper()
	res, issues := fhir.Decode(body)
	if len(issues) > 0 {
		t.Fatal(issues)
	}
	f(res)
	out, err := fhir.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reindent re-encodes a body with sorted keys and indentation.
func reindent(t *testing.T, body []byte) []byte {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(v, "\t ", "   ")
	if err != nil {
		t.Fatal(err)
	}
	return append(append([]byte("\n  "), out...), "\r\n"...)
}

func TestVerify(t *testing.T) {
	base := buildChain(t, Head{}, 50)
	h := func(seq int) Head { return base.heads[seq-1] }
	idx := func(seq int) int { return seq - 1 }

	tests := []struct {
		name    string
		mutate  func(t *testing.T, b [][]byte) [][]byte
		checked int64
		head    Head
		broken  int64  // 0: intact
		id      string // of the broken event
		reason  string // substring
	}{
		{name: "intact", mutate: func(_ *testing.T, b [][]byte) [][]byte { return b }, checked: 50, head: h(50)},
		{name: "edit a field in 17", mutate: func(t *testing.T, b [][]byte) [][]byte {
			b[idx(17)] = editBody(t, b[idx(17)], func(r map[string]any) { r["outcome"] = "4" })
			return b
		}, checked: 16, head: h(16), broken: 17, id: "ae17", reason: "edited"},
		{name: "edit the recorded time of 17", mutate: func(t *testing.T, b [][]byte) [][]byte {
			b[idx(17)] = editBody(t, b[idx(17)], func(r map[string]any) { r["recorded"] = "2025-03-14T08:27:10.589794Z" })
			return b
		}, checked: 16, head: h(16), broken: 17, id: "ae17", reason: "edited"},
		{name: "delete 17", mutate: func(_ *testing.T, b [][]byte) [][]byte {
			return append(b[:idx(17)], b[idx(18):]...)
		}, checked: 16, head: h(16), broken: 18, id: "ae18", reason: "deleted"},
		{name: "delete 49", mutate: func(_ *testing.T, b [][]byte) [][]byte {
			return append(b[:idx(49)], b[idx(50):]...)
		}, checked: 48, head: h(48), broken: 50, id: "ae50", reason: "deleted"},
		{name: "delete the first", mutate: func(_ *testing.T, b [][]byte) [][]byte { return b[1:] },
			checked: 0, head: Head{Hash: GenesisHash}, broken: 2, id: "ae2", reason: "deleted"},
		{name: "swap 17 and 18", mutate: func(_ *testing.T, b [][]byte) [][]byte {
			b[idx(17)], b[idx(18)] = b[idx(18)], b[idx(17)]
			return b
		}, checked: 16, head: h(16), broken: 17, id: "ae17", reason: "re-ordered"},
		{name: "17 duplicated", mutate: func(_ *testing.T, b [][]byte) [][]byte {
			return append(b[:idx(18)], append([][]byte{b[idx(17)]}, b[idx(18):]...)...)
		}, checked: 17, head: h(17), broken: 17, id: "ae17", reason: "duplicated"},
		{name: "chain extension removed from 17", mutate: func(t *testing.T, b [][]byte) [][]byte {
			b[idx(17)] = editBody(t, b[idx(17)], func(r map[string]any) { delete(r, "extension") })
			return b
		}, checked: 16, head: h(16), broken: 17, id: "ae17", reason: "missing chain extension"},
		{name: "hash of 17 removed", mutate: func(t *testing.T, b [][]byte) [][]byte {
			b[idx(17)] = editBody(t, b[idx(17)], func(r map[string]any) {
				ext := r["extension"].([]any)[0].(map[string]any)
				ext["extension"] = ext["extension"].([]any)[:2]
			})
			return b
		}, checked: 16, head: h(16), broken: 17, id: "ae17", reason: "64 lower-case hex"},
		{name: "17 re-sealed after another prev", mutate: func(t *testing.T, b [][]byte) [][]byte {
			b[idx(17)] = editBody(t, b[idx(17)], func(r map[string]any) {
				if _, err := (Chain{}).Seal(r, 17, strings.Repeat("ab", 32)); err != nil {
					t.Fatal(err)
				}
			})
			return b
		}, checked: 16, head: h(16), broken: 17, id: "ae17", reason: "prev does not match"},
		{name: "17 edited and re-sealed", mutate: func(t *testing.T, b [][]byte) [][]byte {
			b[idx(17)] = editBody(t, b[idx(17)], func(r map[string]any) {
				r["outcome"] = "8"
				if _, err := (Chain{}).Seal(r, 17, h(16).Hash); err != nil {
					t.Fatal(err)
				}
			})
			return b
		}, checked: 17, broken: 18, id: "ae18", reason: "prev does not match"},
		{name: "17 not JSON", mutate: func(_ *testing.T, b [][]byte) [][]byte {
			b[idx(17)] = b[idx(17)][:40]
			return b
		}, checked: 16, head: h(16), broken: 17, reason: "not a JSON object"},
		{name: "truncated tail still verifies", mutate: func(_ *testing.T, b [][]byte) [][]byte { return b[:40] },
			checked: 40, head: h(40)},
		{name: "reordered keys and whitespace", mutate: func(t *testing.T, b [][]byte) [][]byte {
			for i := range b {
				b[i] = reindent(t, b[i])
			}
			return b
		}, checked: 50, head: h(50)},
		{name: "meta and id changed", mutate: func(t *testing.T, b [][]byte) [][]byte {
			b[idx(17)] = editBody(t, b[idx(17)], func(r map[string]any) {
				r["id"] = "moved"
				r["meta"] = map[string]any{"versionId": "7", "lastUpdated": "2026-01-01T00:00:00Z"}
			})
			return b
		}, checked: 50, head: h(50)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bodies := tt.mutate(t, append([][]byte(nil), base.bodies...))
			rep, err := Chain{}.Verify(reader(bodies))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Checked != tt.checked {
				t.Errorf("Checked = %d, want %d", rep.Checked, tt.checked)
			}
			if tt.head.Hash != "" && rep.Head != tt.head {
				t.Errorf("Head = %+v, want %+v", rep.Head, tt.head)
			}
			if tt.broken == 0 {
				if rep.Broken != nil {
					t.Fatalf("Broken = %+v, want intact", rep.Broken)
				}
				return
			}
			if rep.Broken == nil {
				t.Fatal("chain verified, want a break")
			}
			if rep.Broken.Seq != tt.broken || rep.Broken.ID != tt.id || !strings.Contains(rep.Broken.Reason, tt.reason) {
				t.Errorf("Broken = %+v, want seq %d id %q reason ~%q", *rep.Broken, tt.broken, tt.id, tt.reason)
			}
			if err := VerifyHead(rep, h(50)); !errors.Is(err, ErrBroken) {
				t.Errorf("VerifyHead = %v, want ErrBroken", err)
			}
		})
	}
}

// forge truncates the chain after keep events and appends n events sealed
// by someone with database access.
func forge(t *testing.T, base stored, keep, n int) [][]byte {
	forged := buildChain(t, base.heads[keep-1], n)
	return append(append([][]byte(nil), base.bodies[:keep]...), forged.bodies...)
}

func TestVerifyHead(t *testing.T) {
	base := buildChain(t, Head{}, 50)
	anchor := base.heads[49]
	tests := []struct {
		name   string
		bodies [][]byte
		chain  Chain
		anchor Head
		want   error
	}{
		{"intact at the anchor", base.bodies, Chain{}, anchor, nil},
		{"no anchor yet", base.bodies, Chain{}, Head{}, nil},
		{"tail truncated", base.bodies[:45], Chain{}, anchor, ErrTruncated},
		{"everything deleted", nil, Chain{}, anchor, ErrTruncated},
		{"tail re-forged to the same length", forge(t, base, 40, 10), Chain{}, anchor, ErrAnchorMismatch},
		{"anchor behind the head, checked", base.bodies, Chain{Anchor: base.heads[29]}, base.heads[29], nil},
		{"anchor behind the head, not checked", base.bodies, Chain{}, base.heads[29], ErrAnchorUnchecked},
		{"re-forged past the anchor", forge(t, base, 40, 20), Chain{Anchor: anchor}, anchor, ErrBroken},
		{"re-forged past an unchecked anchor", forge(t, base, 40, 20), Chain{}, anchor, ErrAnchorUnchecked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := tt.chain.Verify(reader(tt.bodies))
			if err != nil {
				t.Fatal(err)
			}
			err = VerifyHead(rep, tt.anchor)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("VerifyHead = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyFromStart(t *testing.T) {
	base := buildChain(t, Head{}, 50)
	rep, err := Chain{Start: base.heads[19]}.Verify(reader(base.bodies[20:]))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Broken != nil || rep.Checked != 30 || rep.Head != base.heads[49] {
		t.Errorf("report = %+v", rep)
	}
	// From the genesis, the same tail starts with a gap.
	rep, _ = Chain{}.Verify(reader(base.bodies[20:]))
	if rep.Broken == nil || rep.Broken.Seq != 21 {
		t.Errorf("from genesis: %+v", rep.Broken)
	}
}

func TestVerifyReadError(t *testing.T) {
	base := buildChain(t, Head{}, 3)
	boom := errors.New("connection reset")
	i := 0
	rep, err := Chain{}.Verify(func() ([]byte, bool, error) {
		if i == 2 {
			return nil, false, boom
		}
		i++
		return base.bodies[i-1], true, nil
	})
	if !errors.Is(err, boom) || rep.Checked != 2 {
		t.Errorf("Verify = %+v, %v", rep, err)
	}
}

func TestSeal(t *testing.T) {
	res, err := fullEvent().Resource()
	if err != nil {
		t.Fatal(err)
	}
	other := map[string]any{"url": "https://example.org/x", "valueString": "kept"}
	res["extension"] = []any{other, map[string]any{"url": ChainURL, "valueString": "stale"}}
	h1, err := Chain{}.Seal(res, 7, strings.Repeat("1", 64))
	if err != nil {
		t.Fatal(err)
	}
	exts := res["extension"].([]any)
	if len(exts) != 2 || exts[0].(map[string]any)["valueString"] != "kept" {
		t.Fatalf("extensions = %v", exts)
	}
	subs := exts[1].(map[string]any)["extension"].([]any)
	want := []string{"seq=7", "prev=" + strings.Repeat("1", 64), "hash=" + h1}
	for i, s := range subs {
		m := s.(map[string]any)
		if got := m["url"].(string) + "=" + m["valueString"].(string); got != want[i] {
			t.Errorf("sub-extension %d = %s, want %s", i, got, want[i])
		}
	}
	body, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	head, err := HeadOf(body)
	if err != nil || head != (Head{7, h1}) {
		t.Errorf("HeadOf = %+v, %v", head, err)
	}
	// Sealing again is idempotent; id and meta do not count.
	res["id"], res["meta"] = "x", map[string]any{"versionId": "1"}
	if h2, err := (Chain{}).Seal(res, 7, strings.Repeat("1", 64)); err != nil || h2 != h1 {
		t.Errorf("re-seal = %s, %v; want %s", h2, err, h1)
	}
	if h3, _ := (Chain{}).Seal(res, 8, strings.Repeat("1", 64)); h3 == h1 {
		t.Error("seq is not covered by the hash")
	}
}

func TestSealErrors(t *testing.T) {
	good := func() map[string]any {
		res, err := fullEvent().Resource()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	tests := []struct {
		name string
		res  map[string]any
		seq  int64
		prev string
	}{
		{"seq 0", good(), 0, GenesisHash},
		{"short prev", good(), 1, "00"},
		{"upper-case prev", good(), 1, strings.Repeat("A", 64)},
		{"not an AuditEvent", map[string]any{"resourceType": "Patient"}, 1, GenesisHash},
		{"extension not a list", func() map[string]any { r := good(); r["extension"] = "x"; return r }(), 1, GenesisHash},
		{"float in the resource", func() map[string]any { r := good(); r["outcomeDesc"] = 1.5; return r }(), 1, GenesisHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if h, err := (Chain{}).Seal(tt.res, tt.seq, tt.prev); !errors.Is(err, ErrSeal) || h != "" {
				t.Errorf("Seal = %q, %v; want ErrSeal", h, err)
			}
		})
	}
}

// TestHashKnownAnswer pins the hashed form to the documented one, computed
// here by hand rather than by the package's encoder.
func TestHashKnownAnswer(t *testing.T) {
	res := map[string]any{
		"resourceType": "AuditEvent",
		"recorded":     "2025-01-01T00:00:00Z",
		"outcomeDesc":  "a\"b\\c\nd\x01é<>&\u2028",
		"type":         map[string]any{"system": "s", "code": "rest"},
		"id":           "ignored",
		"meta":         map[string]any{"versionId": "3"},
	}
	got, err := Chain{}.Seal(res, 12, GenesisHash)
	if err != nil {
		t.Fatal(err)
	}
	canon := `{"extension":[{"extension":[{"url":"seq","valueString":"12"},{"url":"prev","valueString":"` + GenesisHash + `"}],` +
		`"url":"` + ChainURL + `"}],"outcomeDesc":"a\"b\\c\nd\u0001é<>&` + "\u2028" + `","recorded":"2025-01-01T00:00:00Z",` +
		`"resourceType":"AuditEvent","type":{"code":"rest","system":"s"}}`
	sum := sha256.Sum256([]byte("housecall-audit-v1\n12\n" + GenesisHash + "\n" + canon))
	if want := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("hash = %s, want %s", got, want)
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{map[string]any{"b": 1, "a": []any{true, false, nil}, "A": json.Number("1.50e+3")}, `{"A":1.50e+3,"a":[true,false,null],"b":1}`},
		{"tab\there\x7f\x1f", `"tab\there` + "\x7f" + `\u001f"`},
		{[]map[string]any{{"x": "y"}}, `[{"x":"y"}]`},
		{[]string{"a", "b"}, `["a","b"]`},
		{map[string]any{"é": 1, "z": 2}, `{"z":2,"é":1}`},
		{int64(-5), `-5`},
		{map[string]any{}, `{}`},
	}
	for _, tt := range tests {
		got, err := appendCanonical(nil, tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("canonical(%#v) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []any{1.5, json.Number("01"), json.Number("1."), json.Number("1,2"), "\xff", map[string]any{"\xff": 1}, struct{}{}} {
		if got, err := appendCanonical(nil, bad); err == nil {
			t.Errorf("canonical(%#v) = %s, want an error", bad, got)
		}
	}
}

func TestHeadOfErrors(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"resourceType":"Patient"}`, `{"resourceType":"AuditEvent"}`,
		`{"resourceType":"AuditEvent","extension":[{"url":"` + ChainURL + `","extension":[{"url":"seq","valueString":"01"}]}]}`} {
		if _, err := HeadOf([]byte(body)); !errors.Is(err, ErrNoChain) {
			t.Errorf("HeadOf(%s) = %v, want ErrNoChain", body, err)
		}
	}
}

// FuzzVerifyBody: no stored body makes Verify panic, and one that verifies
// as the first event has exactly the head it claims.
func FuzzVerifyBody(f *testing.F) {
	base := buildChain(f, Head{}, 2)
	f.Add(base.bodies[0])
	f.Add(base.bodies[1])
	f.Fuzz(func(t *testing.T, body []byte) {
		rep, err := Chain{}.Verify(reader([][]byte{body, body}))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Broken == nil {
			t.Fatalf("the same event twice verified: %+v", rep)
		}
		if rep.Checked == 1 {
			h, err := HeadOf(body)
			if err != nil || h != rep.Head || h.Seq != 1 {
				t.Fatalf("HeadOf = %+v, %v; report head %+v", h, err, rep.Head)
			}
		}
	})
}
