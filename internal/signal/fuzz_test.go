package signal

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecode checks that Decode never panics, refuses only with protocol
// errors, and that whatever it accepts re-encodes to something it accepts
// again with the same meaning (compared as JSON: empty lists and absent
// ones are the same on the wire).
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"v":1,"type":"join","data":{"token":"x"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if !IsProtocolError(err) {
				t.Fatalf("Decode error not a protocol error: %v", err)
			}
			return
		}
		out, err := Encode(m.Type, m.ID, m.Body)
		if err != nil {
			t.Fatalf("accepted %q but cannot re-encode: %v", b, err)
		}
		m2, err := Decode(out)
		if err != nil {
			t.Fatalf("re-encoded %q refused: %v", out, err)
		}
		j1, _ := json.Marshal(m.Body)
		j2, _ := json.Marshal(m2.Body)
		if m.Type != m2.Type || m.ID != m2.ID || !bytes.Equal(j1, j2) {
			t.Fatalf("round trip changed %s into %s", j1, j2)
		}
	})
}
