package fhirpath

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tokEOF      tokKind = iota
	tokIdent            // plain identifier (keywords are identifiers the parser recognises)
	tokDelimID          // `back-ticked` identifier: never a keyword
	tokString           // 'string'
	tokNumber           // 12 or 1.5
	tokDateTime         // @2012-01-01T..., @2012, @T12:00
	tokVar              // $this, $index, $total
	tokEnv              // %name
	tokOp               // punctuation and symbolic operators
)

type token struct {
	kind tokKind
	text string // identifier name, decoded string, number text, literal without '@', operator
	pos  int    // byte offset in the expression
}

// SyntaxError reports a lexical or grammatical error with its position.
type SyntaxError struct {
	Pos     int // byte offset
	Line    int
	Column  int
	Message string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("fhirpath: syntax error at %d:%d: %s", e.Line, e.Column, e.Message)
}

func newSyntaxError(src string, pos int, format string, args ...any) *SyntaxError {
	if pos > len(src) {
		pos = len(src)
	}
	line, col := 1, 1
	for _, r := range src[:pos] {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &SyntaxError{Pos: pos, Line: line, Column: col, Message: fmt.Sprintf(format, args...)}
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

// lex splits src into tokens; it fails on the first malformed token.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		// whitespace and comments
		for i < len(src) {
			c := src[i]
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' {
				i++
				continue
			}
			if c == '/' && i+1 < len(src) && src[i+1] == '/' {
				for i < len(src) && src[i] != '\n' {
					i++
				}
				continue
			}
			if c == '/' && i+1 < len(src) && src[i+1] == '*' {
				end := strings.Index(src[i+2:], "*/")
				if end < 0 {
					return nil, newSyntaxError(src, i, "unterminated comment")
				}
				i += 2 + end + 2
				continue
			}
			break
		}
		if i >= len(src) {
			toks = append(toks, token{kind: tokEOF, pos: i})
			return toks, nil
		}
		start := i
		c := src[i]
		switch {
		case isIdentStart(c):
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tokIdent, text: src[start:i], pos: start})
		case isDigit(c):
			for i < len(src) && isDigit(src[i]) {
				i++
			}
			// A '.' belongs to the number only when a digit follows: "1.abs()" is 1 then .abs().
			if i+1 < len(src) && src[i] == '.' && isDigit(src[i+1]) {
				i++
				for i < len(src) && isDigit(src[i]) {
					i++
				}
			}
			toks = append(toks, token{kind: tokNumber, text: src[start:i], pos: start})
		case c == '\'' || c == '`':
			s, n, err := unquote(src, i)
			if err != nil {
				return nil, err
			}
			i = n
			k := tokString
			if c == '`' {
				k = tokDelimID
				if s == "" {
					return nil, newSyntaxError(src, start, "empty identifier")
				}
			}
			toks = append(toks, token{kind: k, text: s, pos: start})
		case c == '@':
			n := scanDateTime(src, i+1)
			if n == i+1 {
				return nil, newSyntaxError(src, i, "malformed date/time literal")
			}
			i = n
			toks = append(toks, token{kind: tokDateTime, text: src[start+1 : i], pos: start})
		case c == '$':
			i++
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			name := src[start+1 : i]
			if name != "this" && name != "index" && name != "total" {
				return nil, newSyntaxError(src, start, "unknown variable $%s", name)
			}
			toks = append(toks, token{kind: tokVar, text: name, pos: start})
		case c == '%':
			i++
			var name string
			switch {
			case i < len(src) && (src[i] == '\'' || src[i] == '`'):
				s, n, err := unquote(src, i)
				if err != nil {
					return nil, err
				}
				name, i = s, n
			case i < len(src) && isIdentStart(src[i]):
				for i < len(src) && (isIdentPart(src[i]) || src[i] == '-' && (strings.HasPrefix(src[start+1:], "vs-") || strings.HasPrefix(src[start+1:], "ext-"))) {
					i++
				}
				name = src[start+1 : i]
			default:
				return nil, newSyntaxError(src, start, "expected environment variable name after %%")
			}
			toks = append(toks, token{kind: tokEnv, text: name, pos: start})
		default:
			op := ""
			if i+1 < len(src) {
				switch src[i : i+2] {
				case "<=", ">=", "!=", "!~":
					op = src[i : i+2]
				}
			}
			if op == "" {
				switch c {
				case '.', '[', ']', '(', ')', '{', '}', ',', '+', '-', '*', '/', '&', '|', '=', '~', '<', '>':
					op = src[i : i+1]
				default:
					r, _ := utf8.DecodeRuneInString(src[i:])
					return nil, newSyntaxError(src, i, "unexpected character %q", r)
				}
			}
			i += len(op)
			toks = append(toks, token{kind: tokOp, text: op, pos: start})
		}
	}
}

// unquote decodes a '...' or `...` literal starting at src[i]; it returns the
// decoded text and the offset just past the closing quote.
func unquote(src string, i int) (string, int, error) {
	q := src[i]
	start := i
	i++
	var b strings.Builder
	for i < len(src) {
		c := src[i]
		if c == q {
			return b.String(), i + 1, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(src) {
			break
		}
		e := src[i+1]
		i += 2
		switch e {
		case '\'', '"', '`', '\\', '/':
			b.WriteByte(e)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+4 > len(src) {
				return "", 0, newSyntaxError(src, i-2, "truncated \\u escape")
			}
			v, err := strconv.ParseUint(src[i:i+4], 16, 32)
			if err != nil {
				return "", 0, newSyntaxError(src, i-2, "invalid \\u escape")
			}
			b.WriteRune(rune(v))
			i += 4
		default:
			return "", 0, newSyntaxError(src, i-2, "invalid escape \\%c", e)
		}
	}
	return "", 0, newSyntaxError(src, start, "unterminated %c literal", q)
}

// scanDateTime returns the end offset of a date/time literal body starting at
// src[i] (just after '@'). Shapes: YYYY[-MM[-DD]][T[hh[:mm[:ss[.fff]]]][tz]] and Thh[:mm[:ss[.fff]]].
func scanDateTime(src string, i int) int {
	digits := func(j, n int) bool {
		if j+n > len(src) {
			return false
		}
		for k := j; k < j+n; k++ {
			if !isDigit(src[k]) {
				return false
			}
		}
		return true
	}
	timePart := func(j int) int {
		if !digits(j, 2) {
			return j
		}
		j += 2
		if j < len(src) && src[j] == ':' && digits(j+1, 2) {
			j += 3
			if j < len(src) && src[j] == ':' && digits(j+1, 2) {
				j += 3
				if j < len(src) && src[j] == '.' && digits(j+1, 1) {
					j++
					for j < len(src) && isDigit(src[j]) {
						j++
					}
				}
			}
		}
		return j
	}
	tz := func(j int) int {
		if j < len(src) && src[j] == 'Z' {
			return j + 1
		}
		if j < len(src) && (src[j] == '+' || src[j] == '-') && digits(j+1, 2) && j+3 < len(src) && src[j+3] == ':' && digits(j+4, 2) {
			return j + 6
		}
		return j
	}
	if i < len(src) && src[i] == 'T' {
		j := timePart(i + 1)
		if j == i+1 {
			return i
		}
		return tz(j) // a zone on a time is rejected later, with a clear message
	}
	if !digits(i, 4) {
		return i
	}
	j := i + 4
	if j < len(src) && src[j] == '-' && digits(j+1, 2) {
		j += 3
		if j < len(src) && src[j] == '-' && digits(j+1, 2) {
			j += 3
		}
	}
	if j < len(src) && src[j] == 'T' {
		j++
		j = timePart(j)
		j = tz(j)
	}
	return j
}
