package jsonpatch

import (
	"fmt"
	"slices"
)

// apply runs one operation on doc (already a private copy) and returns the
// new root. Errors carry Kind, Op and Path; Apply fills in the index.
func (op *Operation) apply(doc any, budget *copyBudget) (any, error) {
	if err := op.prepare(); err != nil {
		return nil, err
	}
	switch op.Op {
	case "add":
		return add(doc, op.path, deepCopy(op.Value), op)
	case "remove":
		out, _, err := remove(doc, op.path, op, op.Path)
		return out, err
	case "replace":
		if _, err := get(doc, op.path, op, op.Path); err != nil {
			return nil, err
		}
		if len(op.path) == 0 {
			return deepCopy(op.Value), nil
		}
		out, _, err := remove(doc, op.path, op, op.Path)
		if err != nil {
			return nil, err
		}
		return add(out, op.path, deepCopy(op.Value), op)
	case "move":
		if isProperPrefix(op.from, op.path) {
			return nil, op.fail(Conflict, op.From, "cannot move a value into one of its own children")
		}
		if equalTokens(op.from, op.path) {
			// Moving a value onto itself is a no-op, but the location must exist.
			_, err := get(doc, op.from, op, op.From)
			return doc, err
		}
		out, v, err := remove(doc, op.from, op, op.From)
		if err != nil {
			return nil, err
		}
		return add(out, op.path, v, op)
	case "copy":
		v, err := get(doc, op.from, op, op.From)
		if err != nil {
			return nil, err
		}
		// Repeated copies of a subtree into itself double the document each
		// time; a budget keeps a small hostile patch from exhausting memory.
		if budget.n -= countNodes(v, budget.n); budget.n < 0 {
			return nil, op.fail(Conflict, op.From, "copies would make the document too large")
		}
		return add(doc, op.path, deepCopy(v), op)
	case "test":
		v, err := get(doc, op.path, op, op.Path)
		if err != nil {
			return nil, err
		}
		if !equal(v, op.Value) {
			return nil, op.fail(TestFailed, op.Path, "value differs from the expected value")
		}
		return doc, nil
	}
	return nil, op.fail(Malformed, op.Path, fmt.Sprintf("unknown op %q", op.Op))
}

// prepare parses the pointers of an Operation built by hand rather than by Decode.
func (op *Operation) prepare() error {
	var err error
	if op.path == nil && op.Path != "" {
		if op.path, err = parsePointer(op.Path); err != nil {
			return op.fail(Malformed, op.Path, "invalid path: "+err.Error())
		}
	}
	if (op.Op == "move" || op.Op == "copy") && op.from == nil && op.From != "" {
		if op.from, err = parsePointer(op.From); err != nil {
			return op.fail(Malformed, op.From, "invalid from: "+err.Error())
		}
	}
	return nil
}

func (op *Operation) fail(k Kind, path, reason string) *Error {
	return &Error{Op: op.Op, Path: path, Kind: k, Reason: reason}
}

func equalTokens(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// get resolves tokens against doc. ptr is the pointer text for errors.
func get(doc any, tokens []string, op *Operation, ptr string) (any, error) {
	cur := doc
	for _, tok := range tokens {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, op.fail(NotFound, ptr, "location does not exist")
			}
			cur = v
		case []any:
			i, ok := arrayIndex(tok, len(c), false)
			if !ok {
				return nil, op.fail(NotFound, ptr, "array index is invalid or out of bounds")
			}
			cur = c[i]
		default:
			return nil, op.fail(NotFound, ptr, "location does not exist (parent is not an object or array)")
		}
	}
	return cur, nil
}

// edit walks to the container that holds the last token and lets fn
// replace that container; slices change length, so each level stores the
// returned child back into its parent.
func edit(node any, tokens []string, op *Operation, ptr string, fn func(parent any, last string) (any, error)) (any, error) {
	if len(tokens) == 1 {
		return fn(node, tokens[0])
	}
	tok := tokens[0]
	switch c := node.(type) {
	case map[string]any:
		child, ok := c[tok]
		if !ok {
			return nil, op.fail(NotFound, ptr, "location does not exist")
		}
		nc, err := edit(child, tokens[1:], op, ptr, fn)
		if err != nil {
			return nil, err
		}
		c[tok] = nc
		return c, nil
	case []any:
		i, ok := arrayIndex(tok, len(c), false)
		if !ok {
			return nil, op.fail(NotFound, ptr, "array index is invalid or out of bounds")
		}
		nc, err := edit(c[i], tokens[1:], op, ptr, fn)
		if err != nil {
			return nil, err
		}
		c[i] = nc
		return c, nil
	}
	return nil, op.fail(NotFound, ptr, "location does not exist (parent is not an object or array)")
}

// add implements RFC 6902 section 4.1; the empty path replaces the document.
func add(doc any, tokens []string, v any, op *Operation) (any, error) {
	if len(tokens) == 0 {
		return v, nil
	}
	return edit(doc, tokens, op, op.Path, func(parent any, last string) (any, error) {
		switch c := parent.(type) {
		case map[string]any:
			c[last] = v
			return c, nil
		case []any:
			i, ok := arrayIndex(last, len(c), true)
			if !ok {
				return nil, op.fail(NotFound, op.Path, "array index is invalid or out of bounds")
			}
			return slices.Insert(c, i, v), nil
		}
		return nil, op.fail(NotFound, op.Path, "parent of the target is not an object or array")
	})
}

// remove implements RFC 6902 section 4.2 and returns the removed value.
func remove(doc any, tokens []string, op *Operation, ptr string) (any, any, error) {
	if len(tokens) == 0 {
		return nil, nil, op.fail(Conflict, ptr, "cannot remove the whole document")
	}
	var removed any
	out, err := edit(doc, tokens, op, ptr, func(parent any, last string) (any, error) {
		switch c := parent.(type) {
		case map[string]any:
			v, ok := c[last]
			if !ok {
				return nil, op.fail(NotFound, ptr, "location does not exist")
			}
			removed = v
			delete(c, last)
			return c, nil
		case []any:
			i, ok := arrayIndex(last, len(c), false)
			if !ok {
				return nil, op.fail(NotFound, ptr, "array index is invalid or out of bounds")
			}
			removed = c[i]
			// In place is safe: Apply works on its own deep copy.
			return slices.Delete(c, i, i+1), nil
		}
		return nil, op.fail(NotFound, ptr, "location does not exist (parent is not an object or array)")
	})
	return out, removed, err
}

// MaxCopiedNodes bounds the JSON values (objects, arrays and scalars) that
// "copy" operations of one Apply may duplicate.
const MaxCopiedNodes = 1 << 20

type copyBudget struct{ n int }

// countNodes counts the values in v, stopping once the count exceeds limit.
func countNodes(v any, limit int) int {
	n := 1
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			if n > limit {
				break
			}
			n += countNodes(e, limit-n)
		}
	case []any:
		for _, e := range t {
			if n > limit {
				break
			}
			n += countNodes(e, limit-n)
		}
	}
	return n
}
