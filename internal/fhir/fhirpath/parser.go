package fhirpath

import (
	"strconv"
	"strings"
)

// Expression is a compiled FHIRPath expression. It is immutable apart from
// internal lookup caches that are safe for concurrent use, so one Expression
// may be evaluated from many goroutines.
type Expression struct {
	src  string
	root node
}

// String returns the source text.
func (e *Expression) String() string { return e.src }

// Compile parses expr and resolves its functions. Errors are *SyntaxError for
// malformed text and for unknown functions or wrong argument counts.
func Compile(expr string) (e *Expression, err error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	if len(toks) > maxTokens {
		return nil, newSyntaxError(expr, toks[maxTokens].pos, "expression too long (more than %d tokens)", maxTokens)
	}
	p := &parser{src: expr, toks: toks}
	defer func() {
		// The parser reports errors by panicking with *SyntaxError to keep the
		// recursive descent readable; nothing else may panic through here.
		if r := recover(); r != nil {
			se, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			e, err = nil, se
		}
	}()
	n := p.parseExpr(0)
	if t := p.peek(); t.kind != tokEOF {
		p.fail(t.pos, "unexpected %s", describe(t))
	}
	return &Expression{src: expr, root: n}, nil
}

// MustCompile is Compile for expressions known to be valid; it panics on error.
func MustCompile(expr string) *Expression {
	e, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return e
}

type parser struct {
	src  string
	toks []token
	pos  int
	// depth bounds recursion so hostile input cannot exhaust the stack.
	depth int
}

// Limits that keep hostile input from exhausting the stack: evaluation
// recurses once per AST node along a path.
const (
	maxDepth  = 200
	maxTokens = 10000
)

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *parser) fail(pos int, format string, args ...any) {
	panic(newSyntaxError(p.src, pos, format, args...))
}

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokString:
		return "string '" + t.text + "'"
	case tokDelimID:
		return "identifier `" + t.text + "`"
	case tokDateTime:
		return "@" + t.text
	case tokVar:
		return "$" + t.text
	case tokEnv:
		return "%" + t.text
	}
	return "'" + t.text + "'"
}

func (p *parser) isOp(text string) bool {
	t := p.peek()
	return t.kind == tokOp && t.text == text
}

func (p *parser) expectOp(text string) token {
	t := p.next()
	if t.kind != tokOp || t.text != text {
		p.fail(t.pos, "expected '%s' but found %s", text, describe(t))
	}
	return t
}

// binary operator precedence; higher binds tighter.
func binaryPrec(t token) (string, int) {
	switch t.kind {
	case tokOp:
		switch t.text {
		case "*", "/":
			return t.text, 10
		case "+", "-", "&":
			return t.text, 9
		case "|":
			return t.text, 7
		case "<", ">", "<=", ">=":
			return t.text, 6
		case "=", "~", "!=", "!~":
			return t.text, 5
		}
	case tokIdent:
		switch t.text {
		case "div", "mod":
			return t.text, 10
		case "is", "as":
			return t.text, 8
		case "in", "contains":
			return t.text, 4
		case "and":
			return t.text, 3
		case "or", "xor":
			return t.text, 2
		case "implies":
			return t.text, 1
		}
	}
	return "", 0
}

func (p *parser) parseExpr(minPrec int) node {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.peek().pos, "expression nested too deeply")
	}
	defer func() { p.depth-- }()
	left := p.parseUnary()
	for {
		t := p.peek()
		op, prec := binaryPrec(t)
		if prec == 0 || prec <= minPrec {
			return left
		}
		p.next()
		if op == "is" || op == "as" {
			ts := p.parseTypeSpec()
			left = &typeOpNode{op: op, x: left, ts: ts}
			continue
		}
		right := p.parseExpr(prec)
		left = newBinary(op, left, right)
	}
}

func (p *parser) parseTypeSpec() typeSpec {
	t := p.next()
	if t.kind != tokIdent && t.kind != tokDelimID {
		p.fail(t.pos, "expected a type name but found %s", describe(t))
	}
	name := t.text
	if p.isOp(".") {
		p.next()
		u := p.next()
		if u.kind != tokIdent && u.kind != tokDelimID {
			p.fail(u.pos, "expected a type name after '%s.'", name)
		}
		return typeSpec{ns: name, name: u.text}
	}
	return typeSpec{name: name}
}

func (p *parser) parseUnary() node {
	t := p.peek()
	if t.kind == tokOp && (t.text == "+" || t.text == "-") {
		p.next()
		p.depth++
		if p.depth > maxDepth {
			p.fail(t.pos, "expression nested too deeply")
		}
		x := p.parseUnary()
		p.depth--
		if t.text == "+" {
			return &unaryNode{neg: false, x: x}
		}
		// fold negative numeric literals so "-1" is a literal, but not "-1.abs()"
		if lit, ok := x.(*literalNode); ok && len(lit.items) == 1 {
			switch v := lit.items[0].Value.(type) {
			case int64:
				return &literalNode{items: []Item{{Value: -v}}}
			case Decimal:
				return &literalNode{items: []Item{{Value: negDecimal(v)}}}
			case Quantity:
				return &literalNode{items: []Item{{Value: Quantity{Value: negDecimal(v.Value), Unit: v.Unit}}}}
			}
		}
		return &unaryNode{neg: true, x: x}
	}
	return p.parsePostfix(p.parseTerm())
}

func (p *parser) parsePostfix(n node) node {
	for {
		switch {
		case p.isOp("."):
			p.next()
			t := p.next()
			if t.kind != tokIdent && t.kind != tokDelimID {
				p.fail(t.pos, "expected a name after '.' but found %s", describe(t))
			}
			if t.kind == tokIdent && p.isOp("(") {
				n = p.parseCall(n, t)
			} else {
				n = &memberNode{focus: n, name: t.text}
			}
		case p.isOp("["):
			p.next()
			idx := p.parseExpr(0)
			p.expectOp("]")
			n = &indexerNode{x: n, index: idx}
		default:
			return n
		}
	}
}

func (p *parser) parseCall(focus node, name token) node {
	p.expectOp("(")
	var args []node
	if !p.isOp(")") {
		for {
			args = append(args, p.parseExpr(0))
			if p.isOp(",") {
				p.next()
				continue
			}
			break
		}
	}
	p.expectOp(")")
	def, ok := functions[name.text]
	if !ok {
		p.fail(name.pos, "unknown function %s()", name.text)
	}
	if len(args) < def.minArgs || len(args) > def.maxArgs {
		p.fail(name.pos, "function %s() takes %s, got %d", name.text, arity(def), len(args))
	}
	f := &funcNode{focus: focus, name: name.text, args: args, def: def}
	if def.typeArg {
		ts, ok := typeSpecOf(args[0])
		if !ok {
			p.fail(name.pos, "function %s() needs a type name argument", name.text)
		}
		f.ts = ts
	}
	return f
}

func arity(d *funcDef) string {
	if d.minArgs == d.maxArgs {
		return strconv.Itoa(d.minArgs) + " argument(s)"
	}
	return strconv.Itoa(d.minArgs) + " to " + strconv.Itoa(d.maxArgs) + " arguments"
}

// typeSpecOf reads a type name written as a function argument: Quantity, FHIR.Patient, `System`.String.
func typeSpecOf(n node) (typeSpec, bool) {
	m, ok := n.(*memberNode)
	if !ok {
		return typeSpec{}, false
	}
	if m.focus == nil {
		return typeSpec{name: m.name}, true
	}
	q, ok := m.focus.(*memberNode)
	if !ok || q.focus != nil {
		return typeSpec{}, false
	}
	return typeSpec{ns: q.name, name: m.name}, true
}

func (p *parser) parseTerm() node {
	t := p.next()
	switch t.kind {
	case tokNumber:
		return p.numberLiteral(t)
	case tokString:
		return &literalNode{items: []Item{{Value: t.text}}}
	case tokDateTime:
		return p.dateLiteral(t)
	case tokVar:
		return &varNode{name: t.text}
	case tokEnv:
		return &envNode{name: t.text}
	case tokDelimID:
		return &memberNode{name: t.text}
	case tokIdent:
		switch t.text {
		case "true":
			return &literalNode{items: []Item{{Value: true}}}
		case "false":
			return &literalNode{items: []Item{{Value: false}}}
		}
		if p.isOp("(") {
			return p.parseCall(nil, t)
		}
		return &memberNode{name: t.text}
	case tokOp:
		switch t.text {
		case "(":
			n := p.parseExpr(0)
			p.expectOp(")")
			return n
		case "{":
			p.expectOp("}")
			return &literalNode{}
		}
	}
	p.fail(t.pos, "unexpected %s", describe(t))
	return nil
}

func (p *parser) numberLiteral(t token) node {
	var num Item
	if strings.Contains(t.text, ".") {
		d, ok := ParseDecimal(t.text)
		if !ok {
			p.fail(t.pos, "invalid number %s", t.text)
		}
		num = Item{Value: d}
	} else {
		i, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			p.fail(t.pos, "integer %s out of range", t.text)
		}
		num = Item{Value: i}
	}
	// quantity: number followed by a unit string or a calendar keyword
	u := p.peek()
	unit := ""
	switch {
	case u.kind == tokString:
		unit = u.text
	case u.kind == tokIdent && isCalendarUnit(u.text):
		unit = normalizeCalendar(u.text)
	default:
		return &literalNode{items: []Item{num}}
	}
	p.next()
	var d Decimal
	switch v := num.Value.(type) {
	case int64:
		d = DecimalFromInt(v)
	case Decimal:
		d = v
	}
	return &literalNode{items: []Item{{Value: Quantity{Value: d, Unit: unit}}}}
}

func (p *parser) dateLiteral(t token) node {
	text := t.text
	kind := KindDate
	switch {
	case strings.HasPrefix(text, "T"):
		kind = KindTime
		text = text[1:]
	case strings.Contains(text, "T"):
		kind = KindDateTime
	}
	d, ok := ParseDate(text, kind)
	if !ok {
		p.fail(t.pos, "invalid date/time literal @%s", t.text)
	}
	return &literalNode{items: []Item{{Value: d}}}
}
