package jsonpatch

import (
	"errors"
	"testing"
)

// FuzzApply checks that no document/patch pair panics, that every failure
// is an *Error, and that a failed Apply leaves the input unchanged.
func FuzzApply(f *testing.F) {
	seeds := [][2]string{
		{`{"foo":"bar"}`, `[{"op":"add","path":"/baz","value":"qux"}]`},
		{`{"foo":["bar","baz"]}`, `[{"op":"add","path":"/foo/1","value":"qux"}]`},
		{`{"foo":["all","grass","cows","eat"]}`, `[{"op":"move","from":"/foo/1","path":"/foo/3"}]`},
		{`{"a":{"b":[1,2,{"c":null}]}}`, `[{"op":"copy","from":"/a/b","path":"/a/b/-"},{"op":"remove","path":"/a/b/2/c"},{"op":"test","path":"/a/b/0","value":1.0}]`},
		{`{"/":9,"~1":10}`, `[{"op":"test","path":"/~01","value":10}]`},
		{`[1,2,3]`, `[{"op":"replace","path":"","value":{}},{"op":"add","path":"/x","value":1e999999999}]`},
		{`{"a":1}`, `[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":2}]`},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, docData, patchData []byte) {
		doc, err := decodeStrict(docData)
		if err != nil {
			return
		}
		p, err := Decode(patchData)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != Malformed {
				t.Fatalf("Decode error is not a Malformed *Error: %v", err)
			}
			return
		}
		before := deepCopy(doc)
		out, err := Apply(doc, p)
		if !equal(doc, before) {
			t.Fatalf("Apply modified its input (err=%v)", err)
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Index < 0 || pe.Index >= len(p) {
				t.Fatalf("Apply error lacks a valid operation index: %v", err)
			}
			return
		}
		// Applying the same patch twice from the same input is deterministic.
		again, err := Apply(doc, p)
		if err != nil || !equal(out, again) {
			t.Fatalf("second Apply differs: %v", err)
		}
	})
}
