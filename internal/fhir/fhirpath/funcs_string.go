package fhirpath

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// focusString reads the function focus as a single String (empty -> ok=false).
func focusString(k *call) (string, bool, error) {
	if len(k.focus) > 1 {
		return "", false, errors.New("input has more than one item")
	}
	return singleString(k.focus)
}

func strFunc(f func(k *call, s string) ([]Item, error)) func(*call) ([]Item, error) {
	return func(k *call) ([]Item, error) {
		s, ok, err := focusString(k)
		if err != nil || !ok {
			return nil, err
		}
		return f(k, s)
	}
}

// strArgs evaluates all arguments as strings; any empty argument empties the result.
func strArgs(k *call) ([]string, bool, error) {
	out := make([]string, len(k.node.args))
	for i := range k.node.args {
		s, ok, err := k.argString(i)
		if err != nil || !ok {
			return nil, false, err
		}
		out[i] = s
	}
	return out, true, nil
}

var regexCache sync.Map // pattern -> *regexp.Regexp

func compileRegex(p string) (*regexp.Regexp, error) {
	if r, ok := regexCache.Load(p); ok {
		return r.(*regexp.Regexp), nil
	}
	// FHIRPath regexes use single-line (dot-all) mode
	r, err := regexp.Compile("(?s)" + p)
	if err != nil {
		return nil, err
	}
	regexCache.Store(p, r)
	return r, nil
}

func registerStrings(add func(string, int, int, func(*call) ([]Item, error))) {
	add("indexOf", 1, 1, strFunc(func(k *call, s string) ([]Item, error) {
		a, ok, err := strArgs(k)
		if err != nil || !ok {
			return nil, err
		}
		i := strings.Index(s, a[0])
		if i > 0 {
			i = utf8.RuneCountInString(s[:i])
		}
		return []Item{{Value: int64(i)}}, nil
	}))
	add("substring", 1, 2, strFunc(func(k *call, s string) ([]Item, error) {
		start, ok, err := k.argInt(0)
		if err != nil || !ok {
			return nil, err
		}
		r := []rune(s)
		if start < 0 || start >= int64(len(r)) {
			return nil, nil
		}
		end := int64(len(r))
		if len(k.node.args) > 1 {
			n, ok, err := k.argInt(1)
			if err != nil {
				return nil, err
			}
			if ok {
				if n < 0 {
					n = 0
				}
				if start+n < end {
					end = start + n
				}
			}
		}
		return []Item{{Value: string(r[start:end])}}, nil
	}))
	strPred := func(f func(s, a string) bool) func(*call) ([]Item, error) {
		return strFunc(func(k *call, s string) ([]Item, error) {
			a, ok, err := strArgs(k)
			if err != nil || !ok {
				return nil, err
			}
			return boolResult(f(s, a[0])), nil
		})
	}
	add("startsWith", 1, 1, strPred(strings.HasPrefix))
	add("endsWith", 1, 1, strPred(strings.HasSuffix))
	add("contains", 1, 1, strPred(strings.Contains))
	add("upper", 0, 0, strFunc(func(k *call, s string) ([]Item, error) { return []Item{{Value: strings.ToUpper(s)}}, nil }))
	add("lower", 0, 0, strFunc(func(k *call, s string) ([]Item, error) { return []Item{{Value: strings.ToLower(s)}}, nil }))
	add("replace", 2, 2, strFunc(func(k *call, s string) ([]Item, error) {
		a, ok, err := strArgs(k)
		if err != nil || !ok {
			return nil, err
		}
		return []Item{{Value: strings.ReplaceAll(s, a[0], a[1])}}, nil
	}))
	add("matches", 1, 1, strFunc(func(k *call, s string) ([]Item, error) {
		a, ok, err := strArgs(k)
		if err != nil || !ok {
			return nil, err
		}
		re, err := compileRegex(a[0])
		if err != nil {
			return nil, err
		}
		return boolResult(re.MatchString(s)), nil
	}))
	add("matchesFull", 1, 1, strFunc(func(k *call, s string) ([]Item, error) {
		a, ok, err := strArgs(k)
		if err != nil || !ok {
			return nil, err
		}
		re, err := compileRegex("^(?:" + a[0] + ")$")
		if err != nil {
			return nil, err
		}
		return boolResult(re.MatchString(s)), nil
	}))
	add("replaceMatches", 2, 2, strFunc(func(k *call, s string) ([]Item, error) {
		a, ok, err := strArgs(k)
		if err != nil || !ok {
			return nil, err
		}
		if a[0] == "" {
			return []Item{{Value: s}}, nil
		}
		re, err := compileRegex(a[0])
		if err != nil {
			return nil, err
		}
		// FHIRPath substitutions are $1-style, like Go's Expand syntax
		return []Item{{Value: re.ReplaceAllString(s, a[1])}}, nil
	}))
	add("length", 0, 0, strFunc(func(k *call, s string) ([]Item, error) {
		return []Item{{Value: int64(utf8.RuneCountInString(s))}}, nil
	}))
	add("toChars", 0, 0, strFunc(func(k *call, s string) ([]Item, error) {
		var out []Item
		for _, r := range s {
			out = append(out, Item{Value: string(r)})
		}
		return out, nil
	}))
	add("trim", 0, 0, strFunc(func(k *call, s string) ([]Item, error) {
		return []Item{{Value: strings.TrimSpace(s)}}, nil
	}))
	add("split", 1, 1, strFunc(func(k *call, s string) ([]Item, error) {
		a, ok, err := strArgs(k)
		if err != nil || !ok {
			return nil, err
		}
		var out []Item
		for _, p := range strings.Split(s, a[0]) {
			out = append(out, Item{Value: p})
		}
		return out, nil
	}))
	add("join", 0, 1, func(k *call) ([]Item, error) {
		sep := ""
		if len(k.node.args) > 0 {
			s, ok, err := k.argString(0)
			if err != nil {
				return nil, err
			}
			if ok {
				sep = s
			}
		}
		parts := make([]string, 0, len(k.focus))
		for _, it := range k.focus {
			s, ok := itemString(it)
			if !ok {
				return nil, errors.New("join() on a non-string item")
			}
			parts = append(parts, s)
		}
		return []Item{{Value: strings.Join(parts, sep)}}, nil
	})
	add("encode", 1, 1, strFunc(func(k *call, s string) ([]Item, error) {
		a, ok, err := strArgs(k)
		if err != nil || !ok {
			return nil, err
		}
		switch a[0] {
		case "base64":
			return []Item{{Value: base64.StdEncoding.EncodeToString([]byte(s))}}, nil
		case "urlbase64":
			return []Item{{Value: base64.URLEncoding.EncodeToString([]byte(s))}}, nil
		case "hex":
			return []Item{{Value: hex.EncodeToString([]byte(s))}}, nil
		}
		return nil, errors.New("unknown encoding " + a[0])
	}))
	add("decode", 1, 1, strFunc(func(k *call, s string) ([]Item, error) {
		a, ok, err := strArgs(k)
		if err != nil || !ok {
			return nil, err
		}
		var b []byte
		switch a[0] {
		case "base64":
			b, err = base64.StdEncoding.DecodeString(s)
		case "urlbase64":
			b, err = base64.URLEncoding.DecodeString(s)
		case "hex":
			b, err = hex.DecodeString(s)
		default:
			return nil, errors.New("unknown encoding " + a[0])
		}
		if err != nil {
			return nil, nil
		}
		return []Item{{Value: string(b)}}, nil
	}))
	add("escape", 1, 1, strFunc(func(k *call, s string) ([]Item, error) {
		a, ok, err := strArgs(k)
		if err != nil || !ok {
			return nil, err
		}
		switch a[0] {
		case "html":
			return []Item{{Value: htmlEscaper.Replace(s)}}, nil
		case "json":
			var buf strings.Builder
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(s); err != nil {
				return nil, err
			}
			out := strings.TrimSuffix(buf.String(), "\n")
			return []Item{{Value: out[1 : len(out)-1]}}, nil
		}
		return nil, errors.New("unknown escape target " + a[0])
	}))
	add("unescape", 1, 1, strFunc(func(k *call, s string) ([]Item, error) {
		a, ok, err := strArgs(k)
		if err != nil || !ok {
			return nil, err
		}
		switch a[0] {
		case "html":
			return []Item{{Value: html.UnescapeString(s)}}, nil
		case "json":
			var out string
			if err := json.Unmarshal([]byte(`"`+quoteBare(s)+`"`), &out); err != nil {
				return nil, nil
			}
			return []Item{{Value: out}}, nil
		}
		return nil, errors.New("unknown escape target " + a[0])
	}))
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// quoteBare escapes double quotes not already escaped so the text can be
// decoded as the body of a JSON string.
func quoteBare(s string) string {
	var b strings.Builder
	esc := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' && !esc {
			b.WriteByte('\\')
		}
		esc = c == '\\' && !esc
		b.WriteByte(c)
	}
	return b.String()
}
