package signal

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

// TestDocumentedExamplesDecode keeps docs/signalling.md honest: every JSON
// example in it must be a message Decode accepts.
func TestDocumentedExamplesDecode(t *testing.T) {
	doc, err := os.ReadFile("../../docs/signalling.md")
	if err != nil {
		t.Fatalf("read the protocol document: %v", err)
	}
	seen := map[Type]bool{}
	blocks := strings.Split(string(doc), "```json\n")
	for _, b := range blocks[1:] {
		body, _, _ := strings.Cut(b, "```")
		dec := json.NewDecoder(strings.NewReader(body))
		for {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("example is not JSON: %v\n%s", err, body)
			}
			var compact bytes.Buffer
			_ = json.Compact(&compact, raw)
			m, err := Decode(compact.Bytes())
			if err != nil {
				t.Errorf("documented example refused: %v\n%s", err, compact.String())
				continue
			}
			seen[m.Type] = true
		}
	}
	for t2 := range bodies {
		if !seen[t2] {
			t.Errorf("message type %q has no example in docs/signalling.md", t2)
		}
	}
}
