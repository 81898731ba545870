package fhir

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// primKind enumerates the R4 primitive types so validation can switch on an
// int instead of comparing names.
type primKind uint8

const (
	primNone primKind = iota
	primBoolean
	primInteger
	primPositiveInt
	primUnsignedInt
	primDecimal
	primString
	primMarkdown
	primCode
	primID
	primURI
	primURL
	primCanonical
	primOID
	primUUID
	primDate
	primDateTime
	primInstant
	primTime
	primBase64
	primXHTML
)

func primKindOf(name string) primKind {
	switch name {
	case "boolean":
		return primBoolean
	case "integer":
		return primInteger
	case "positiveInt":
		return primPositiveInt
	case "unsignedInt":
		return primUnsignedInt
	case "decimal":
		return primDecimal
	case "string":
		return primString
	case "markdown":
		return primMarkdown
	case "code":
		return primCode
	case "id":
		return primID
	case "uri":
		return primURI
	case "url":
		return primURL
	case "canonical":
		return primCanonical
	case "oid":
		return primOID
	case "uuid":
		return primUUID
	case "date":
		return primDate
	case "dateTime":
		return primDateTime
	case "instant":
		return primInstant
	case "time":
		return primTime
	case "base64Binary":
		return primBase64
	case "xhtml":
		return primXHTML
	}
	return primNone
}

const maxStringBytes = 1 << 20

var (
	oidRe  = regexp.MustCompile(`^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$`)
	uuidRe = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// checkPrimitive validates one JSON value against a primitive type and
// returns a diagnostic ("" when valid) and the issue code. Diagnostics
// describe the expected shape only, never the value, which may be patient data.
func checkPrimitive(v any, k primKind) (diag, code string) {
	diag = checkPrimitiveValue(v, k)
	if diag == "" {
		return "", ""
	}
	if strings.HasPrefix(diag, "expected a JSON") {
		return diag, "structure"
	}
	return diag, "value"
}

func checkPrimitiveValue(v any, k primKind) string {
	switch k {
	case primBoolean:
		if _, ok := v.(bool); !ok {
			return "expected a JSON boolean, got " + jsonKind(v)
		}
		return ""
	case primInteger, primPositiveInt, primUnsignedInt:
		n, ok := v.(json.Number)
		if !ok {
			return "expected a JSON number, got " + jsonKind(v)
		}
		i, err := strconv.ParseInt(string(n), 10, 32)
		if err != nil {
			return "expected an integer in the 32-bit signed range without fraction or exponent"
		}
		if k == primPositiveInt && i < 1 {
			return "positiveInt must be >= 1"
		}
		if k == primUnsignedInt && i < 0 {
			return "unsignedInt must be >= 0"
		}
		return ""
	case primDecimal:
		if _, ok := v.(json.Number); !ok {
			return "expected a JSON number, got " + jsonKind(v)
		}
		return "" // the decoder accepts only RFC 8259 numbers, which is the R4 decimal grammar
	}
	s, ok := v.(string)
	if !ok {
		return "expected a JSON string, got " + jsonKind(v)
	}
	if s == "" {
		return "empty string is not allowed (omit the element instead)"
	}
	// R4 limits string (and its specializations) to 1024*1024 characters;
	// xhtml, uri and base64Binary have no such limit.
	if len(s) > maxStringBytes && (k == primString || k == primMarkdown || k == primCode || k == primID) &&
		utf8.RuneCountInString(s) > maxStringBytes {
		return "string longer than 1024*1024 characters"
	}
	switch k {
	case primString, primMarkdown:
		return ""
	case primCode:
		if !validCode(s) {
			return "code must not have leading, trailing or repeated whitespace"
		}
	case primID:
		if !IsValidID(s) {
			return "id must be 1-64 characters of A-Z a-z 0-9 - ."
		}
	case primURI, primURL, primCanonical:
		if strings.ContainsAny(s, " \t\r\n") {
			return "uri must not contain whitespace"
		}
	case primOID:
		if !oidRe.MatchString(s) {
			return "oid must look like urn:oid:1.2.3"
		}
	case primUUID:
		if !uuidRe.MatchString(s) {
			return "uuid must look like urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (lower case)"
		}
	case primDate:
		if !validDate(s) {
			return "date must be YYYY, YYYY-MM or YYYY-MM-DD"
		}
	case primDateTime:
		if !validDateTime(s) {
			return "dateTime must be YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.f]+zz:zz"
		}
	case primInstant:
		if !validInstant(s) {
			return "instant must be YYYY-MM-DDThh:mm:ss[.f]+zz:zz"
		}
	case primTime:
		if n := timeLen(s); n != len(s) {
			return "time must be hh:mm:ss[.f]"
		}
	case primBase64:
		if !validBase64(s) {
			return "invalid base64 content"
		}
	case primXHTML:
		if !strings.HasPrefix(strings.TrimLeft(s, " \t\r\n"), "<div") {
			return "xhtml must be a <div> element"
		}
	}
	return ""
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64, int, int64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unsupported value"
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// validCode implements [^\s]+(\s[^\s]+)*.
func validCode(s string) bool {
	if isSpace(s[0]) || isSpace(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if isSpace(s[i]) && isSpace(s[i-1]) {
			return false
		}
	}
	return true
}

// IsValidID reports whether s is a FHIR logical id: [A-Za-z0-9\-\.]{1,64}.
func IsValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func digits(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for j := i; j < i+n; j++ {
		if s[j] < '0' || s[j] > '9' {
			return false
		}
	}
	return true
}

func num2(s string, i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }

// dateLen returns how many bytes of s form a valid R4 partial date (YYYY,
// YYYY-MM, YYYY-MM-DD), 0 if none. The day is checked against the month
// (leap years included) — the regex alone would accept 2019-02-30.
func dateLen(s string) int {
	if !digits(s, 0, 4) || s[:4] == "0000" {
		return 0
	}
	if len(s) < 7 || s[4] != '-' {
		return 4
	}
	if !digits(s, 5, 2) {
		return 0
	}
	m := num2(s, 5)
	if m < 1 || m > 12 {
		return 0
	}
	if len(s) < 10 || s[7] != '-' {
		return 7
	}
	if !digits(s, 8, 2) {
		return 0
	}
	day := num2(s, 8)
	y, _ := strconv.Atoi(s[:4])
	if day < 1 || day > daysIn(m, y) {
		return 0
	}
	return 10
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// timeLen: hh:mm:ss(.f+)? -> length consumed, 0 if invalid.
func timeLen(s string) int {
	if len(s) < 8 || !digits(s, 0, 2) || s[2] != ':' || !digits(s, 3, 2) || s[5] != ':' || !digits(s, 6, 2) {
		return 0
	}
	if num2(s, 0) > 23 || num2(s, 3) > 59 || num2(s, 6) > 60 {
		return 0
	}
	i := 8
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return 0
		}
		i = j
	}
	return i
}

// zoneOK: Z or (+|-)hh:mm with hh 00-13 or 14:00.
func zoneOK(s string) bool {
	if s == "Z" {
		return true
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || !digits(s, 1, 2) || s[3] != ':' || !digits(s, 4, 2) {
		return false
	}
	h, m := num2(s, 1), num2(s, 4)
	return (h <= 13 && m <= 59) || (h == 14 && m == 0)
}

func validDate(s string) bool { n := dateLen(s); return n > 0 && n == len(s) }

func validDateTime(s string) bool {
	n := dateLen(s)
	if n == 0 {
		return false
	}
	if n == len(s) {
		return true
	}
	if n != 10 || s[10] != 'T' {
		return false
	}
	t := timeLen(s[11:])
	return t > 0 && zoneOK(s[11+t:])
}

func validInstant(s string) bool {
	return dateLen(s) == 10 && len(s) > 11 && s[10] == 'T' && validDateTime(s)
}

func validBase64(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, s)
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}

var (
	regexOnce  sync.Once
	regexCache map[string]*regexp.Regexp
)

// primitiveRegex returns the anchored official regex of a primitive type, for
// tests that cross-check the hand-written validators.
func primitiveRegex(typeName string) *regexp.Regexp {
	regexOnce.Do(func() {
		regexCache = map[string]*regexp.Regexp{}
		for name, re := range getDefs().regex {
			if c, err := regexp.Compile(`^(?:` + re + `)$`); err == nil {
				regexCache[name] = c
			}
		}
	})
	return regexCache[typeName]
}
