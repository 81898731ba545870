package fhir

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want map[string]any
	}{
		{"empty object", `{}`, map[string]any{}},
		{"whitespace", " \r\n\t{ \"a\" : 1 } \n", map[string]any{"a": json.Number("1")}},
		{"bom", "\xef\xbb\xbf{}", map[string]any{}},
		{"numbers verbatim", `{"a":1.50,"b":-0.0e-10,"c":12345678901234567890.000001}`,
			map[string]any{"a": json.Number("1.50"), "b": json.Number("-0.0e-10"), "c": json.Number("12345678901234567890.000001")}},
		{"literals", `{"t":true,"f":false,"n":null}`, map[string]any{"t": true, "f": false, "n": nil}},
		{"nested", `{"a":[{"b":[]},"x",[1]]}`, map[string]any{"a": []any{map[string]any{"b": []any{}}, "x", []any{json.Number("1")}}}},
		{"escapes", `{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"}`, map[string]any{"s": "a\"b\\c/d\b\f\n\r\té😀"}},
		{"utf8", `{"s":"żółć 漢字"}`, map[string]any{"s": "żółć 漢字"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, issues := Decode([]byte(tc.in))
			if len(issues) != 0 {
				t.Fatalf("Decode(%q) issues: %+v", tc.in, issues)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Decode(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, diag string
	}{
		{"empty", ``, "line 1, column 1: empty document"},
		{"array root", `[1]`, "line 1, column 1: the document root must be a JSON object"},
		{"string root", `"x"`, "root must be a JSON object"},
		{"duplicate key", "{\"a\":1,\n  \"a\":2}", `line 2, column 3: duplicate key "a"`},
		{"duplicate nested key", `{"a":{"b":1,"b":1}}`, `line 1, column 13: duplicate key "b"`},
		{"trailing garbage", `{"a":1} x`, "line 1, column 9: unexpected data after the JSON object"},
		{"two objects", `{}{}`, "unexpected data after the JSON object"},
		{"unterminated object", `{"a":1`, "unexpected end of input in object"},
		{"unterminated string", `{"a":"x`, "unterminated string"},
		{"missing colon", `{"a" 1}`, "expected ':'"},
		{"trailing comma", `{"a":1,}`, "expected a quoted object key"},
		{"trailing comma array", `{"a":[1,]}`, "unexpected character ']'"},
		{"single quotes", `{'a':1}`, "expected a quoted object key"},
		{"bad literal", `{"a":tru}`, "invalid literal"},
		{"leading zero", `{"a":01}`, "expected ',' or '}'"},
		{"bare minus", `{"a":-}`, "invalid number"},
		{"bad fraction", `{"a":1.}`, "digits expected after '.'"},
		{"bad exponent", `{"a":1e}`, "digits expected in exponent"},
		{"plus sign", `{"a":+1}`, "unexpected character '+'"},
		{"NaN", `{"a":NaN}`, "unexpected character 'N'"},
		{"control char", "{\"a\":\"x\ny\"}", "line 1, column 8: control character in string"},
		{"bad escape", `{"a":"\x"}`, "invalid escape character 'x'"},
		{"bad unicode escape", `{"a":"\u12"}`, "invalid \\u escape"},
		{"lone surrogate", `{"a":"\ud800x"}`, "unpaired UTF-16 surrogate"},
		{"invalid utf8", "{\"a\":\"\xff\"}", "invalid UTF-8"},
		{"invalid utf8 with escape", "{\"a\":\"\\n\xff\"}", "invalid UTF-8"},
		{"too deep", strings.Repeat(`{"a":`, 300) + "1" + strings.Repeat("}", 300), "nesting deeper than"},
		{"column counts characters", `{"é":1,"é":2}`, "line 1, column 8: duplicate key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, issues := Decode([]byte(tc.in))
			if got != nil || len(issues) != 1 {
				t.Fatalf("Decode(%q) = %v, %+v; want one issue", tc.in, got, issues)
			}
			is := issues[0]
			if is.Severity != "error" || is.Code != "structure" || !strings.Contains(is.Diagnostics, tc.diag) {
				t.Errorf("Decode(%q) issue = %+v, want structure error containing %q", tc.in, is, tc.diag)
			}
			if !HasErrors(issues) {
				t.Error("HasErrors = false")
			}
		})
	}
}

// TestDecodeMatchesEncodingJSON compares with the standard library on the
// shared Synthea data (which has no duplicate keys).
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, line := range syntheaLines(t, "Patient.000.ndjson", 3) {
		got, issues := Decode(line)
		if len(issues) > 0 {
			t.Fatalf("Decode: %+v", issues)
		}
		var want map[string]any
		dec := json.NewDecoder(strings.NewReader(string(line)))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Error("Decode differs from encoding/json")
		}
	}
}
