package fhirpath

import (
	"errors"
	"fmt"
	"time"
)

// EvalOptions configure one evaluation. The zero value works without a
// Model (types are then guessed from the JSON).
type EvalOptions struct {
	// Model supplies FHIR element types; without it choice elements and
	// primitive typing fall back to guesses.
	Model Model
	// LenientAs makes `as` (operator and function) filter collections like
	// ofType() instead of failing on more than one item. R4 search
	// parameter expressions rely on this.
	LenientAs bool
	// Strict turns navigation to unknown elements, concrete choice names
	// (valueQuantity) and type names that do not match the context into errors.
	Strict bool
	// Variables are the %name environment variables beyond the built-in ones.
	Variables map[string][]Item
	// Resolve looks up a reference that is not found in the resource or
	// Bundle being evaluated; nil means such references yield a typed
	// placeholder built from "Type/id".
	Resolve func(reference string) (map[string]any, bool)
	// Now fixes now()/today()/timeOfDay(); nil means time.Now.
	Now func() time.Time
	// Trace receives trace() output; nil discards it.
	Trace func(name string, items []Item)
}

// EvalError is returned for run-time failures (single() on many items,
// arithmetic on mismatched types, ...).
type EvalError struct {
	Expr string
	Err  error
}

func (e *EvalError) Error() string { return fmt.Sprintf("fhirpath: evaluating %q: %v", e.Expr, e.Err) }
func (e *EvalError) Unwrap() error { return e.Err }

// ErrSemantic marks errors a type checker would report before evaluation
// (unknown element in strict mode, wrong type name).
var ErrSemantic = errors.New("semantic error")

// ResourceItem wraps a decoded resource as the evaluation context.
func ResourceItem(res map[string]any) Item {
	t, _ := res["resourceType"].(string)
	return Item{Type: t, Value: res}
}

// Evaluate runs the expression with a resource as %context, %resource and $this.
func (e *Expression) Evaluate(res map[string]any, opts *EvalOptions) ([]Item, error) {
	st := &evalState{}
	st.root[0] = ResourceItem(res)
	return e.evaluate(st, st.root[:], opts)
}

// evalState is the per-evaluation state, allocated once.
type evalState struct {
	env  environment
	ctx  evalCtx
	root [1]Item
}

// EvaluateItems runs the expression over an arbitrary context collection.
func (e *Expression) EvaluateItems(context []Item, opts *EvalOptions) ([]Item, error) {
	return e.evaluate(&evalState{}, context, opts)
}

func (e *Expression) evaluate(st *evalState, context []Item, opts *EvalOptions) (out []Item, err error) {
	if opts == nil {
		opts = &EvalOptions{}
	}
	st.env = environment{opts: opts, model: opts.Model, context: context}
	if len(context) == 1 {
		st.env.resource = context
	}
	st.ctx = evalCtx{env: &st.env, this: context}
	c := &st.ctx
	defer func() {
		// evaluation never panics by design; this is a last line of defence so a
		// bug cannot take down a server that indexes untrusted resources.
		if r := recover(); r != nil {
			out, err = nil, &EvalError{Expr: e.src, Err: fmt.Errorf("internal error: %v", r)}
		}
	}()
	out, err = e.root.eval(c, context)
	if err != nil {
		return nil, &EvalError{Expr: e.src, Err: err}
	}
	return out, nil
}

// EvaluateBool evaluates as a predicate: true for a single true, false for
// a single false or an empty result, an error otherwise (except that any
// non-boolean single item counts as true, per the spec's singleton rule).
func (e *Expression) EvaluateBool(res map[string]any, opts *EvalOptions) (bool, error) {
	out, err := e.Evaluate(res, opts)
	if err != nil {
		return false, err
	}
	switch len(out) {
	case 0:
		return false, nil
	case 1:
		if b, ok := out[0].Value.(bool); ok {
			return b, nil
		}
		return true, nil
	}
	return false, &EvalError{Expr: e.src, Err: errors.New("predicate returned more than one item")}
}

type environment struct {
	opts     *EvalOptions
	model    Model
	context  []Item
	resource []Item
	now      time.Time // zero until now()/today()/timeOfDay() first asks
}

// clock returns the evaluation's fixed "now"; it is read lazily because
// most expressions never need it.
func (env *environment) clock() time.Time {
	if env.now.IsZero() {
		if env.opts.Now != nil {
			env.now = env.opts.Now()
		} else {
			env.now = time.Now()
		}
	}
	return env.now
}

type evalCtx struct {
	env   *environment
	this  []Item
	index int
	total []Item
	// inIteration is true inside where/select/... where $index is meaningful.
	inIteration bool
}

type node interface {
	eval(c *evalCtx, in []Item) ([]Item, error)
}

type literalNode struct{ items []Item }

func (n *literalNode) eval(*evalCtx, []Item) ([]Item, error) { return n.items, nil }

type varNode struct{ name string }

func (n *varNode) eval(c *evalCtx, in []Item) ([]Item, error) {
	switch n.name {
	case "this":
		return c.this, nil
	case "index":
		if !c.inIteration {
			return nil, nil
		}
		return []Item{{Value: int64(c.index)}}, nil
	case "total":
		return c.total, nil
	}
	return nil, fmt.Errorf("unknown variable $%s", n.name)
}

type envNode struct{ name string }

func (n *envNode) eval(c *evalCtx, in []Item) ([]Item, error) {
	switch n.name {
	case "context":
		return c.env.context, nil
	case "resource", "rootResource":
		return c.env.resource, nil
	case "ucum":
		return []Item{{Value: "http://unitsofmeasure.org"}}, nil
	case "sct":
		return []Item{{Value: "http://snomed.info/sct"}}, nil
	case "loinc":
		return []Item{{Value: "http://loinc.org"}}, nil
	}
	if v, ok := c.env.opts.Variables[n.name]; ok {
		return v, nil
	}
	if len(n.name) > 3 && n.name[:3] == "vs-" {
		return []Item{{Value: "http://hl7.org/fhir/ValueSet/" + n.name[3:]}}, nil
	}
	if len(n.name) > 4 && n.name[:4] == "ext-" {
		return []Item{{Value: "http://hl7.org/fhir/StructureDefinition/" + n.name[4:]}}, nil
	}
	return nil, fmt.Errorf("undefined environment variable %%%s", n.name)
}

type indexerNode struct{ x, index node }

func (n *indexerNode) eval(c *evalCtx, in []Item) ([]Item, error) {
	xs, err := n.x.eval(c, in)
	if err != nil {
		return nil, err
	}
	idx, err := n.index.eval(c, in)
	if err != nil {
		return nil, err
	}
	i, ok, err := singleInt(idx)
	if err != nil || !ok {
		return nil, err
	}
	if i < 0 || i >= int64(len(xs)) {
		return nil, nil
	}
	return xs[i : i+1 : i+1], nil
}

type unaryNode struct {
	neg bool
	x   node
}

func (n *unaryNode) eval(c *evalCtx, in []Item) ([]Item, error) {
	xs, err := n.x.eval(c, in)
	if err != nil || len(xs) == 0 {
		return nil, err
	}
	if len(xs) > 1 {
		return nil, errors.New("unary operator on a collection of more than one item")
	}
	v, ok := sysValue(xs[0])
	if !ok {
		return nil, errors.New("unary operator on a non-numeric value")
	}
	if !n.neg {
		switch v.(type) {
		case int64, Decimal, Quantity:
			return []Item{{Value: v}}, nil
		}
		return nil, fmt.Errorf("unary + on %s", systemTypeName(v))
	}
	switch x := v.(type) {
	case int64:
		return []Item{{Value: -x}}, nil
	case Decimal:
		return []Item{{Value: negDecimal(x)}}, nil
	case Quantity:
		return []Item{{Value: Quantity{Value: negDecimal(x.Value), Unit: x.Unit}}}, nil
	}
	return nil, fmt.Errorf("unary - on %s", systemTypeName(v))
}

// typeSpec is a possibly qualified type name: Patient, FHIR.Patient, System.String.
type typeSpec struct{ ns, name string }

func (t typeSpec) String() string {
	if t.ns == "" {
		return t.name
	}
	return t.ns + "." + t.name
}

type typeOpNode struct {
	op string // "is" or "as"
	x  node
	ts typeSpec
}

func (n *typeOpNode) eval(c *evalCtx, in []Item) ([]Item, error) {
	xs, err := n.x.eval(c, in)
	if err != nil {
		return nil, err
	}
	if n.op == "is" {
		return isOp(c, xs, n.ts)
	}
	return asOp(c, xs, n.ts)
}

type funcNode struct {
	focus node // nil: the function applies to the input collection
	name  string
	args  []node
	def   *funcDef
	ts    typeSpec // for type-argument functions
}

func (n *funcNode) eval(c *evalCtx, in []Item) ([]Item, error) {
	focus := in
	if n.focus != nil {
		var err error
		if focus, err = n.focus.eval(c, in); err != nil {
			return nil, err
		}
	}
	// Arguments are evaluated against the input of the enclosing expression
	// ($this), not the function's focus.
	call := &call{c: c, in: in, focus: focus, node: n}
	out, err := n.def.fn(call)
	if err != nil {
		return nil, fmt.Errorf("%s(): %w", n.name, err)
	}
	return out, nil
}

// call bundles what a function implementation needs.
type call struct {
	c     *evalCtx
	in    []Item
	focus []Item
	node  *funcNode
}

// arg evaluates argument i against the enclosing input.
func (k *call) arg(i int) ([]Item, error) {
	return k.node.args[i].eval(k.c, k.in)
}

// iterate evaluates argument i once per focus item with $this/$index bound.
func (k *call) iterate(i int, each func(idx int, it Item, res []Item) (stop bool, err error)) error {
	sub := *k.c
	sub.inIteration = true
	for idx, it := range k.focus {
		one := k.focus[idx : idx+1 : idx+1]
		sub.this = one
		sub.index = idx
		res, err := k.node.args[i].eval(&sub, one)
		if err != nil {
			return err
		}
		stop, err := each(idx, it, res)
		if err != nil || stop {
			return err
		}
	}
	return nil
}
