package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 256

// Decode parses exactly one JSON object. Numbers are kept as json.Number so
// decimals round-trip exactly. Duplicate keys, trailing data, invalid UTF-8
// and non-object roots are rejected with a single "structure" issue whose
// Diagnostics carry line:column.
func Decode(data []byte) (map[string]any, []Issue) {
	// One copy of the document backs every unescaped string and number,
	// which saves an allocation per value.
	p := parser{data: data, src: string(data), names: getDefs().keyNames}
	// Some clients prepend a UTF-8 byte order mark; it carries no content.
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		p.pos = 3
	}
	p.skipWS()
	if p.pos >= len(p.data) {
		return nil, p.fail("empty document: expected a JSON object")
	}
	if p.data[p.pos] != '{' {
		return nil, p.fail("the document root must be a JSON object")
	}
	v, ok := p.value(0)
	if !ok {
		return nil, []Issue{p.issue}
	}
	p.skipWS()
	if p.pos < len(p.data) {
		return nil, p.fail("unexpected data after the JSON object")
	}
	return v.(map[string]any), nil
}

type parser struct {
	data  []byte
	pos   int
	issue Issue
	buf   []byte // scratch for strings with escapes
	names map[string]string
	src   string // string(data)
}

// errorf records the first syntax error at the current position.
func (p *parser) errorf(format string, args ...any) {
	line, col := 1, 1
	end := min(p.pos, len(p.data))
	for _, c := range p.data[:end] {
		if c == '\n' {
			line++
			col = 1
		} else if c&0xC0 != 0x80 { // count characters, not UTF-8 continuation bytes
			col++
		}
	}
	p.issue = Issue{Severity: "error", Code: "structure",
		Diagnostics: fmt.Sprintf("invalid JSON at line %d, column %d: %s", line, col, fmt.Sprintf(format, args...))}
}

func (p *parser) fail(msg string) []Issue {
	p.errorf("%s", msg)
	return []Issue{p.issue}
}

func (p *parser) skipWS() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, bool) {
	if depth > maxDepth {
		p.errorf("nesting deeper than %d levels", maxDepth)
		return nil, false
	}
	p.skipWS()
	if p.pos >= len(p.data) {
		p.errorf("unexpected end of input")
		return nil, false
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, ok := p.str()
		return s, ok
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		p.errorf("unexpected character %s", quoteByte(c))
		return nil, false
	}
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (p *parser) literal(lit string) bool {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(lit)) {
		p.errorf("invalid literal, expected %s", lit)
		return false
	}
	p.pos += len(lit)
	return true
}

func (p *parser) object(depth int) (any, bool) {
	p.pos++ // {
	m := make(map[string]any, 8)
	p.skipWS()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return m, true
	}
	for {
		p.skipWS()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			p.errorf("expected a quoted object key")
			return nil, false
		}
		keyPos := p.pos
		key, ok := p.key()
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			p.pos = keyPos
			p.errorf("duplicate key %q", key)
			return nil, false
		}
		p.skipWS()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			p.errorf("expected ':' after object key")
			return nil, false
		}
		p.pos++
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[key] = v
		p.skipWS()
		if p.pos >= len(p.data) {
			p.errorf("unexpected end of input in object")
			return nil, false
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return m, true
		default:
			p.errorf("expected ',' or '}' in object")
			return nil, false
		}
	}
}

func (p *parser) array(depth int) (any, bool) {
	p.pos++ // [
	a := make([]any, 0, 4)
	p.skipWS()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return a, true
	}
	for {
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		p.skipWS()
		if p.pos >= len(p.data) {
			p.errorf("unexpected end of input in array")
			return nil, false
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return a, true
		default:
			p.errorf("expected ',' or ']' in array")
			return nil, false
		}
	}
}

// key parses an object key, reusing the string of a known element name so
// the keys of typical resources cost no allocation.
func (p *parser) key() (string, bool) {
	d := p.data
	i := p.pos + 1
	for i < len(d) && d[i] != '"' && d[i] != '\\' && d[i] >= 0x20 {
		i++
	}
	if i < len(d) && d[i] == '"' {
		if k, ok := p.names[string(d[p.pos+1:i])]; ok {
			p.pos = i + 1
			return k, true
		}
	}
	return p.str()
}

// number validates the RFC 8259 number grammar and keeps the text verbatim.
func (p *parser) number() (any, bool) {
	start := p.pos
	d := p.data
	i := p.pos
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		p.errorf("invalid number")
		return nil, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			p.pos = i
			p.errorf("invalid number: digits expected after '.'")
			return nil, false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			p.pos = i
			p.errorf("invalid number: digits expected in exponent")
			return nil, false
		}
	}
	p.pos = i
	return json.Number(p.src[start:i]), true
}

// str parses a string starting at the opening quote. Invalid UTF-8 is an
// error rather than being silently replaced: FHIR JSON is UTF-8.
func (p *parser) str() (string, bool) {
	d := p.data
	i := p.pos + 1
	start := i
	// Fast path: no escapes, ASCII or valid UTF-8.
	ascii := true
	for i < len(d) {
		c := d[i]
		if c == '"' {
			if !ascii && !utf8.Valid(d[start:i]) {
				p.pos = start
				p.errorf("invalid UTF-8 in string")
				return "", false
			}
			p.pos = i + 1
			return p.src[start:i], true
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			p.pos = i
			p.errorf("control character in string must be escaped")
			return "", false
		}
		if c >= 0x80 {
			ascii = false
		}
		i++
	}
	if i >= len(d) {
		p.pos = i
		p.errorf("unterminated string")
		return "", false
	}
	// Slow path with escapes.
	buf := append(p.buf[:0], d[start:i]...)
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				p.pos = start
				p.errorf("invalid UTF-8 in string")
				return "", false
			}
			p.pos = i + 1
			p.buf = buf
			return string(buf), true
		case c < 0x20:
			p.pos = i
			p.errorf("control character in string must be escaped")
			return "", false
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		i++
		if i >= len(d) {
			break
		}
		switch e := d[i]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(d, i+1)
			if !ok {
				p.pos = i
				p.errorf("invalid \\u escape")
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok2 := rune(-1), false
				if i+2 < len(d) && d[i+1] == '\\' && d[i+2] == 'u' {
					r2, ok2 = hex4(d, i+3)
				}
				if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					p.pos = i
					p.errorf("unpaired UTF-16 surrogate in \\u escape")
					return "", false
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			p.pos = i
			p.errorf("invalid escape character %s", quoteByte(e))
			return "", false
		}
		i++
	}
	p.pos = i
	p.errorf("unterminated string")
	return "", false
}

func hex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}
