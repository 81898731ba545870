// Package jsonpatch implements RFC 6902 JSON Patch over documents decoded as
// map[string]any / []any with json.Number numbers (the shape fhir.Decode
// produces), for the FHIR "patch" interaction.
//
// Patches are applied atomically: Apply works on a deep copy, so a failed
// operation leaves the caller's document untouched. Every failure is an
// *Error that names the operation index and pointer and says whether the
// patch was malformed (HTTP 400) or could not be applied (HTTP 422).
package jsonpatch

import (
	"fmt"
)

// Operation is one validated patch operation.
type Operation struct {
	Op    string // add, remove, replace, move, copy, test
	Path  string // RFC 6901 pointer as written in the patch
	From  string // for move and copy
	Value any    // for add, replace and test; json.Number numbers

	path, from []string // unescaped reference tokens
}

// Patch is a validated JSON Patch document.
type Patch []Operation

// Decode parses and validates a JSON Patch document: an array of operation
// objects with a known "op", valid pointers in "path" (and "from" for move
// and copy) and a "value" where the operation needs one. Members other than
// those are ignored (RFC 6902 section 4); duplicate members are rejected.
func Decode(data []byte) (Patch, error) {
	root, err := decodeStrict(data)
	if err != nil {
		return nil, &Error{Index: -1, Kind: Malformed, Reason: "invalid JSON: " + err.Error()}
	}
	arr, ok := root.([]any)
	if !ok {
		return nil, &Error{Index: -1, Kind: Malformed, Reason: "a JSON Patch document must be an array of operations"}
	}
	p := make(Patch, 0, len(arr))
	for i, el := range arr {
		op, err := decodeOperation(i, el)
		if err != nil {
			return nil, err
		}
		p = append(p, op)
	}
	return p, nil
}

func decodeOperation(i int, el any) (Operation, error) {
	obj, ok := el.(map[string]any)
	if !ok {
		return Operation{}, &Error{Index: i, Kind: Malformed, Reason: "operation must be a JSON object"}
	}
	bad := func(op, path, reason string) error {
		return &Error{Index: i, Op: op, Path: path, Kind: Malformed, Reason: reason}
	}
	opName, ok := obj["op"].(string)
	if !ok {
		return Operation{}, bad("", "", `member "op" is missing or not a string`)
	}
	switch opName {
	case "add", "remove", "replace", "move", "copy", "test":
	default:
		return Operation{}, bad("", "", fmt.Sprintf("unknown op %q", opName))
	}
	op := Operation{Op: opName}
	if op.Path, ok = obj["path"].(string); !ok {
		return Operation{}, bad(opName, "", `member "path" is missing or not a string`)
	}
	var err error
	if op.path, err = parsePointer(op.Path); err != nil {
		return Operation{}, bad(opName, op.Path, "invalid path: "+err.Error())
	}
	switch opName {
	case "move", "copy":
		if op.From, ok = obj["from"].(string); !ok {
			return Operation{}, bad(opName, op.Path, `member "from" is missing or not a string`)
		}
		if op.from, err = parsePointer(op.From); err != nil {
			return Operation{}, bad(opName, op.From, "invalid from: "+err.Error())
		}
		if opName == "move" && isProperPrefix(op.from, op.path) {
			return Operation{}, bad(opName, op.From, "cannot move a value into one of its own children")
		}
	case "add", "replace", "test":
		// "value": null is a legitimate value, so presence is what matters.
		if op.Value, ok = obj["value"]; !ok {
			return Operation{}, bad(opName, op.Path, `member "value" is missing`)
		}
	}
	return op, nil
}

// Apply applies p to a deep copy of doc and returns the result. On error
// doc is untouched and the error is an *Error.
func Apply(doc any, p Patch) (any, error) {
	out := deepCopy(doc)
	budget := &copyBudget{n: MaxCopiedNodes}
	for i := range p {
		var err error
		out, err = p[i].apply(out, budget)
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Index = i
				return nil, e
			}
			return nil, err
		}
	}
	return out, nil
}

// ApplyBytes decodes a document and a patch and applies it; a convenience
// for callers and tests that hold raw JSON. A malformed document is reported
// as a Malformed error with Index -1.
func ApplyBytes(doc, patch []byte) (any, error) {
	p, err := Decode(patch)
	if err != nil {
		return nil, err
	}
	d, err := decodeStrict(doc)
	if err != nil {
		return nil, &Error{Index: -1, Kind: Malformed, Reason: "invalid document: " + err.Error()}
	}
	return Apply(d, p)
}
