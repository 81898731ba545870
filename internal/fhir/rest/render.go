package rest

import (
	"bytes"
	"encoding/json"
	"sort"
)

// rawJSON is an already encoded resource embedded in a response as is.
type rawJSON = json.RawMessage

// keyRank orders the keys of responses the engine builds (bundles,
// outcomes, capability statements) the way FHIR's definitions list them;
// keys not listed follow in alphabetical order.
var keyRank = func() map[string]int {
	keys := []string{"resourceType", "id", "meta", "url", "version", "name", "status", "date", "publisher", "kind",
		"software", "implementation", "fhirVersion", "format", "patchFormat", "type", "timestamp", "total", "link",
		"relation", "entry", "fullUrl", "resource", "search", "mode", "request", "method", "response",
		"location", "etag", "lastModified", "outcome", "issue", "severity", "code", "diagnostics", "expression"}
	m := make(map[string]int, len(keys))
	for i, k := range keys {
		m[k] = i
	}
	return m
}()

// encode writes decoded JSON with resources' keys in FHIR order.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeValue(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodeValue(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			ri, iok := keyRank[keys[i]]
			rj, jok := keyRank[keys[j]]
			switch {
			case iok && jok:
				return ri < rj
			case iok != jok:
				return iok
			}
			return keys[i] < keys[j]
		})
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			kb, err := json.Marshal(k)
			if err != nil {
				return err
			}
			buf.Write(kb)
			buf.WriteByte(':')
			if err := encodeValue(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, c := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeValue(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case json.RawMessage:
		buf.Write(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	return nil
}
