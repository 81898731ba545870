package webapp

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth/credential"
	"github.com/housecall/housecall/internal/e2e/e2etest"
)

type totpReport struct {
	OK    bool     `json:"ok"`
	Error string   `json:"error"`
	Codes []string `json:"codes"`
}

func (r totpReport) Succeeded() bool { return r.OK }

// TestScriptTOTPAgreesWithServer checks the browser script's RFC 6238
// codes (tools/web-e2e/lib/totp.mjs, node:crypto) against RFC 6238's own
// SHA-1 vectors and against the server's validator for a fresh secret, so
// that a refused sign-in in the browser run points at the app, not at the
// test's arithmetic.
func TestScriptTOTPAgreesWithServer(t *testing.T) {
	node := e2etest.NodePath(t)
	tool := e2etest.RepoTool(t, "web-e2e")

	// RFC 6238 appendix B, SHA-1 ("12345678901234567890"): the 8-digit
	// values' last six digits.
	rfc := e2etest.RunNode[totpReport](t, node, tool, "totp.mjs", 10*time.Second, map[string]string{
		"TOTP_SECRET": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "TOTP_TIMES": "59,1111111109,1111111111,1234567890,2000000000,20000000000"})
	if got, want := strings.Join(rfc.Codes, ","), "287082,081804,050471,005924,279037,353130"; got != want {
		t.Errorf("RFC 6238 vectors: got %s, want %s", got, want)
	}

	secret, _, err := credential.NewTOTP("Housecall", "e2e@example.org", nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	times := []int64{now - 30, now, now + 30, 1_700_000_000}
	var list []string
	for _, ts := range times {
		list = append(list, fmt.Sprint(ts))
	}
	rep := e2etest.RunNode[totpReport](t, node, tool, "totp.mjs", 10*time.Second, map[string]string{
		"TOTP_SECRET": secret, "TOTP_TIMES": strings.Join(list, ",")})
	if len(rep.Codes) != len(times) {
		t.Fatalf("got %d codes for %d times", len(rep.Codes), len(times))
	}
	for i, ts := range times {
		step, ok := credential.ValidateTOTP(secret, rep.Codes[i], time.Unix(ts, 0), 0)
		if !ok || step != ts/credential.TOTPPeriod {
			t.Errorf("code %s for %d: server says ok=%v step=%d, want step %d", rep.Codes[i], ts, ok, step, ts/credential.TOTPPeriod)
		}
	}
}
