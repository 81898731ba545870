package jsonpatch

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	v, err := decodeStrict([]byte(s))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

// TestRFC6902AppendixA runs every example of RFC 6902 Appendix A.
func TestRFC6902AppendixA(t *testing.T) {
	tests := []struct {
		name, doc, patch, want string
		kind                   Kind // when want == ""
		index                  int
	}{
		{name: "A.1 adding an object member",
			doc:   `{"foo": "bar"}`,
			patch: `[{ "op": "add", "path": "/baz", "value": "qux" }]`,
			want:  `{"baz": "qux", "foo": "bar"}`},
		{name: "A.2 adding an array element",
			doc:   `{"foo": [ "bar", "baz" ]}`,
			patch: `[{ "op": "add", "path": "/foo/1", "value": "qux" }]`,
			want:  `{"foo": [ "bar", "qux", "baz" ]}`},
		{name: "A.3 removing an object member",
			doc:   `{"baz": "qux", "foo": "bar"}`,
			patch: `[{ "op": "remove", "path": "/baz" }]`,
			want:  `{"foo": "bar"}`},
		{name: "A.4 removing an array element",
			doc:   `{"foo": [ "bar", "qux", "baz" ]}`,
			patch: `[{ "op": "remove", "path": "/foo/1" }]`,
			want:  `{"foo": [ "bar", "baz" ]}`},
		{name: "A.5 replacing a value",
			doc:   `{"baz": "qux", "foo": "bar"}`,
			patch: `[{ "op": "replace", "path": "/baz", "value": "boo" }]`,
			want:  `{"baz": "boo", "foo": "bar"}`},
		{name: "A.6 moving a value",
			doc:   `{"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}}`,
			patch: `[{ "op": "move", "from": "/foo/waldo", "path": "/qux/thud" }]`,
			want:  `{"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}`},
		{name: "A.7 moving an array element",
			doc:   `{"foo": [ "all", "grass", "cows", "eat" ]}`,
			patch: `[{ "op": "move", "from": "/foo/1", "path": "/foo/3" }]`,
			want:  `{"foo": [ "all", "cows", "eat", "grass" ]}`},
		{name: "A.8 testing a value: success",
			doc: `{"baz": "qux", "foo": [ "a", 2, "c" ]}`,
			patch: `[{ "op": "test", "path": "/baz", "value": "qux" },
			         { "op": "test", "path": "/foo/1", "value": 2 }]`,
			want: `{"baz": "qux", "foo": [ "a", 2, "c" ]}`},
		{name: "A.9 testing a value: error",
			doc:   `{"baz": "qux"}`,
			patch: `[{ "op": "test", "path": "/baz", "value": "bar" }]`,
			kind:  TestFailed},
		{name: "A.10 adding a nested member object",
			doc:   `{"foo": "bar"}`,
			patch: `[{ "op": "add", "path": "/child", "value": { "grandchild": { } } }]`,
			want:  `{"foo": "bar", "child": {"grandchild": {}}}`},
		{name: "A.11 ignoring unrecognized elements",
			doc:   `{"foo": "bar"}`,
			patch: `[{ "op": "add", "path": "/baz", "value": "qux", "xyz": 123 }]`,
			want:  `{"foo": "bar", "baz": "qux"}`},
		{name: "A.12 adding to a nonexistent target",
			doc:   `{"foo": "bar"}`,
			patch: `[{ "op": "add", "path": "/baz/bat", "value": "qux" }]`,
			kind:  NotFound},
		{name: "A.13 invalid JSON patch document",
			doc:   `{"foo": "bar"}`,
			patch: `[{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }]`,
			kind:  Malformed, index: -1},
		{name: "A.14 ~ escape ordering",
			doc:   `{"/": 9, "~1": 10}`,
			patch: `[{"op": "test", "path": "/~01", "value": 10}]`,
			want:  `{"/": 9, "~1": 10}`},
		{name: "A.15 comparing strings and numbers",
			doc:   `{"/": 9, "~1": 10}`,
			patch: `[{"op": "test", "path": "/~01", "value": "10"}]`,
			kind:  TestFailed},
		{name: "A.16 adding an array value",
			doc:   `{"foo": ["bar"]}`,
			patch: `[{ "op": "add", "path": "/foo/-", "value": ["abc", "def"] }]`,
			want:  `{"foo": ["bar", ["abc", "def"]]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkApply(t, tc.doc, tc.patch, tc.want, tc.kind, tc.index)
		})
	}
}

// checkApply applies patch to doc and checks the result or the error kind
// and index, and that the input document was not modified.
func checkApply(t *testing.T, doc, patch, want string, kind Kind, index int) {
	t.Helper()
	in := mustJSON(t, doc)
	before := deepCopy(in)
	var got any
	p, err := Decode([]byte(patch))
	if err == nil {
		got, err = Apply(in, p)
	}
	if !equal(in, before) {
		t.Errorf("input document was modified")
	}
	if want != "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		if w := mustJSON(t, want); !equal(got, w) {
			g, _ := json.Marshal(got)
			t.Fatalf("got %s, want %s", g, want)
		}
		return
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("got error %v (%T), want *Error of kind %v", err, err, kind)
	}
	if pe.Kind != kind || pe.Index != index {
		t.Fatalf("got kind %v index %d (%v), want kind %v index %d", pe.Kind, pe.Index, pe, kind, index)
	}
}

func TestOperations(t *testing.T) {
	tests := []struct {
		name, doc, patch, want string
		kind                   Kind
		index                  int
	}{
		{name: "add replaces an existing member", doc: `{"a":1}`, patch: `[{"op":"add","path":"/a","value":2}]`, want: `{"a":2}`},
		{name: "add at array end index", doc: `{"a":[1]}`, patch: `[{"op":"add","path":"/a/1","value":2}]`, want: `{"a":[1,2]}`},
		{name: "add at array start", doc: `[1,2]`, patch: `[{"op":"add","path":"/0","value":0}]`, want: `[0,1,2]`},
		{name: "add null value", doc: `{}`, patch: `[{"op":"add","path":"/a","value":null}]`, want: `{"a":null}`},
		{name: "add empty key", doc: `{}`, patch: `[{"op":"add","path":"/","value":1}]`, want: `{"":1}`},
		{name: "add replaces root", doc: `{"a":1}`, patch: `[{"op":"add","path":"","value":[1]}]`, want: `[1]`},
		{name: "add past array end", doc: `{"a":[1]}`, patch: `[{"op":"add","path":"/a/2","value":2}]`, kind: NotFound},
		{name: "add with leading zero index", doc: `{"a":[1,2]}`, patch: `[{"op":"add","path":"/a/01","value":2}]`, kind: NotFound},
		{name: "add to scalar parent", doc: `{"a":"s"}`, patch: `[{"op":"add","path":"/a/b","value":2}]`, kind: NotFound},
		{name: "add with negative index", doc: `{"a":[1]}`, patch: `[{"op":"add","path":"/a/-1","value":2}]`, kind: NotFound},
		{name: "add with huge index", doc: `{"a":[1]}`, patch: `[{"op":"add","path":"/a/99999999999999999999","value":2}]`, kind: NotFound},
		{name: "escaped keys", doc: `{"a/b":{"c~d":1}}`, patch: `[{"op":"replace","path":"/a~1b/c~0d","value":2}]`, want: `{"a/b":{"c~d":2}}`},
		{name: "remove missing member", doc: `{"a":1}`, patch: `[{"op":"remove","path":"/b"}]`, kind: NotFound},
		{name: "remove with dash", doc: `{"a":[1]}`, patch: `[{"op":"remove","path":"/a/-"}]`, kind: NotFound},
		{name: "remove root", doc: `{"a":1}`, patch: `[{"op":"remove","path":""}]`, kind: Conflict},
		{name: "remove last array element", doc: `[1,2,3]`, patch: `[{"op":"remove","path":"/2"}]`, want: `[1,2]`},
		{name: "replace missing member", doc: `{"a":1}`, patch: `[{"op":"replace","path":"/b","value":1}]`, kind: NotFound},
		{name: "replace array element", doc: `[1,2,3]`, patch: `[{"op":"replace","path":"/1","value":9}]`, want: `[1,9,3]`},
		{name: "replace root", doc: `{"a":1}`, patch: `[{"op":"replace","path":"","value":{"b":2}}]`, want: `{"b":2}`},
		{name: "move into own child", doc: `{"a":{"b":1}}`, patch: `[{"op":"move","from":"/a","path":"/a/b/c"}]`, kind: Malformed},
		{name: "move onto itself", doc: `{"a":{"b":1}}`, patch: `[{"op":"move","from":"/a","path":"/a"}]`, want: `{"a":{"b":1}}`},
		{name: "move missing from", doc: `{"a":1}`, patch: `[{"op":"move","from":"/x","path":"/y"}]`, kind: NotFound},
		{name: "move to sibling prefix name", doc: `{"a":1}`, patch: `[{"op":"move","from":"/a","path":"/ab"}]`, want: `{"ab":1}`},
		{name: "copy object is deep", doc: `{"a":{"b":1}}`,
			patch: `[{"op":"copy","from":"/a","path":"/c"},{"op":"replace","path":"/c/b","value":2}]`,
			want:  `{"a":{"b":1},"c":{"b":2}}`},
		{name: "copy to array end", doc: `{"a":[1],"b":2}`, patch: `[{"op":"copy","from":"/b","path":"/a/-"}]`, want: `{"a":[1,2],"b":2}`},
		{name: "copy missing from", doc: `{"a":1}`, patch: `[{"op":"copy","from":"/x","path":"/y"}]`, kind: NotFound},
		{name: "test numbers by value", doc: `{"a":1.0,"b":[10e-1]}`,
			patch: `[{"op":"test","path":"/a","value":1},{"op":"test","path":"/b/0","value":1.00}]`, want: `{"a":1.0,"b":[10e-1]}`},
		{name: "test objects ignore key order", doc: `{"a":{"x":1,"y":[true,null]}}`,
			patch: `[{"op":"test","path":"/a","value":{"y":[true,null],"x":1}}]`, want: `{"a":{"x":1,"y":[true,null]}}`},
		{name: "test array order matters", doc: `{"a":[1,2]}`, patch: `[{"op":"test","path":"/a","value":[2,1]}]`, kind: TestFailed},
		{name: "test extra member fails", doc: `{"a":{"x":1}}`, patch: `[{"op":"test","path":"/a","value":{"x":1,"y":2}}]`, kind: TestFailed},
		{name: "test null vs missing", doc: `{"a":null}`, patch: `[{"op":"test","path":"/b","value":null}]`, kind: NotFound},
		{name: "test different numbers", doc: `{"a":1}`, patch: `[{"op":"test","path":"/a","value":1.0000001}]`, kind: TestFailed},
		{name: "test zero and negative zero", doc: `{"a":0}`, patch: `[{"op":"test","path":"/a","value":-0.0}]`, want: `{"a":0}`},
		{name: "test bool vs number", doc: `{"a":true}`, patch: `[{"op":"test","path":"/a","value":1}]`, kind: TestFailed},
		{name: "test whole document", doc: `{"a":1}`, patch: `[{"op":"test","path":"","value":{"a":1}}]`, want: `{"a":1}`},
		{name: "failure names its index", doc: `{"a":1}`,
			patch: `[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":1},{"op":"remove","path":"/zz"}]`,
			kind:  NotFound, index: 2},
		{name: "empty patch", doc: `{"a":1}`, patch: `[]`, want: `{"a":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkApply(t, tc.doc, tc.patch, tc.want, tc.kind, tc.index)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, patch string
		index       int
	}{
		{"not JSON", `[{"op":`, -1},
		{"trailing data", `[] []`, -1},
		{"object root", `{"op":"add","path":"/a","value":1}`, -1},
		{"operation not object", `[1]`, 0},
		{"missing op", `[{"path":"/a"}]`, 0},
		{"op not string", `[{"op":1,"path":"/a"}]`, 0},
		{"unknown op", `[{"op":"merge","path":"/a"}]`, 0},
		{"missing path", `[{"op":"remove"}]`, 0},
		{"path without slash", `[{"op":"remove","path":"a"}]`, 0},
		{"bad escape", `[{"op":"remove","path":"/a~2"}]`, 0},
		{"dangling tilde", `[{"op":"remove","path":"/a~"}]`, 0},
		{"missing value", `[{"op":"add","path":"/a"}]`, 0},
		{"missing value for test", `[{"op":"remove","path":"/a"},{"op":"test","path":"/a"}]`, 1},
		{"missing from", `[{"op":"copy","path":"/a"}]`, 0},
		{"bad from", `[{"op":"move","from":"x","path":"/a"}]`, 0},
		{"duplicate member", `[{"op":"remove","path":"/a","path":"/b"}]`, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.patch))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want *Error", err)
			}
			if pe.Kind != Malformed || pe.Index != tc.index {
				t.Fatalf("got kind %v index %d (%v), want Malformed index %d", pe.Kind, pe.Index, pe, tc.index)
			}
			if pe.Status() != http.StatusBadRequest || pe.IssueCode() != "invalid" {
				t.Fatalf("status %d, want 400", pe.Status())
			}
		})
	}
}

func TestErrorStatusAndMessage(t *testing.T) {
	_, err := ApplyBytes([]byte(`{"name":"Secret Name"}`), []byte(`[{"op":"test","path":"/name","value":"Other Name"}]`))
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want *Error", err)
	}
	if pe.Status() != http.StatusUnprocessableEntity || pe.IssueCode() != "processing" || pe.Path != "/name" || pe.Op != "test" || pe.Index != 0 {
		t.Fatalf("unexpected error fields: %+v", pe)
	}
	msg := pe.Error()
	for _, leak := range []string{"Secret", "Other"} {
		if strings.Contains(msg, leak) {
			t.Fatalf("error message %q leaks document value %q", msg, leak)
		}
	}
}

func TestParsePointer(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"/", []string{""}, true},
		{"/foo/0", []string{"foo", "0"}, true},
		{"/a~1b", []string{"a/b"}, true},
		{"/m~0n", []string{"m~n"}, true},
		{"/~01", []string{"~1"}, true},
		{"/~10", []string{"/0"}, true},
		{"//", []string{"", ""}, true},
		{"foo", nil, false},
		{"/~", nil, false},
		{"/~2", nil, false},
	}
	for _, tc := range tests {
		got, err := parsePointer(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("parsePointer(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && !equalTokens(got, tc.want) {
			t.Errorf("parsePointer(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHandBuiltOperations(t *testing.T) {
	doc := map[string]any{"a": []any{json.Number("1")}}
	out, err := Apply(doc, Patch{{Op: "add", Path: "/a/-", Value: json.Number("2")}, {Op: "copy", From: "/a/0", Path: "/b"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := mustJSON(t, `{"a":[1,2],"b":1}`); !equal(out, want) {
		t.Fatalf("got %v", out)
	}
	if len(doc["a"].([]any)) != 1 {
		t.Fatal("input modified")
	}
	if _, err := Apply(doc, Patch{{Op: "remove", Path: "bad"}}); err == nil {
		t.Fatal("expected an error for an invalid hand-built pointer")
	}
}

func TestCopyBudget(t *testing.T) {
	// Each copy doubles the document; 40 of them would need 2^40 nodes.
	patch := "["
	for i := range 40 {
		if i > 0 {
			patch += ","
		}
		patch += `{"op":"copy","from":"/a","path":"/a/-"}`
	}
	patch += "]"
	_, err := ApplyBytes([]byte(`{"a":[1]}`), []byte(patch))
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != Conflict {
		t.Fatalf("got %v, want a Conflict error", err)
	}
}
