package notify

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
)

// FuzzCompose: whatever the subject, header value and bodies (they may
// carry user-supplied names), compose either refuses the message or
// produces one whose header set is exactly the expected one (no injected
// Bcc or second To) and whose fields decode back to the input.
func FuzzCompose(f *testing.F) {
	f.Add("Your sign-in code", "desk@clinic.test", "Code: 123456\n", "")
	f.Add("Zoë — rendez-vous", "Café", "line\r\n.dot\n", "<p>x</p>")
	f.Add("x\r\nBcc: spy@evil.test", "v", "", "")
	f.Add("=?utf-8?q?spoof?=", "a\nTo: b@c.test", "\r\n\r\n", "--hc-alt-0101")
	f.Fuzz(func(t *testing.T, subject, header, text, html string) {
		m := Message{To: "Pat <pat@example.test>", Subject: subject, Text: text, HTML: html,
			Headers: map[string]string{"X-Note": header}}
		raw, err := composeTest(t, m)
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("compose error %v is not ErrInvalidMessage", err)
			}
			return
		}
		for _, l := range strings.SplitAfter(raw, "\r\n") {
			if len(strings.TrimSuffix(l, "\r\n")) > maxLine || strings.ContainsAny(strings.TrimSuffix(l, "\r\n"), "\r\n") {
				t.Fatalf("bad line %q", l)
			}
		}
		msg, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{"Date": true, "Message-Id": true, "From": true, "To": true, "Subject": true,
			"Mime-Version": true, "Auto-Submitted": true, "X-Note": true, "Content-Type": true}
		if html == "" {
			want["Content-Transfer-Encoding"] = true
		}
		for k, v := range msg.Header {
			if !want[k] || len(v) != 1 {
				t.Fatalf("unexpected header %s: %q", k, v)
			}
		}
		if len(msg.Header) != len(want) {
			t.Fatalf("headers %v", msg.Header)
		}
		dec := new(mime.WordDecoder)
		for k, in := range map[string]string{"Subject": subject, "X-Note": header} {
			got, err := dec.DecodeHeader(msg.Header.Get(k))
			// net/textproto trims the raw value, so plain text loses
			// outer white space that encoded words keep.
			if err != nil || got != in && got != strings.Trim(in, " \t") && !strings.Contains(in, "=?") {
				t.Fatalf("%s: %q decodes to %q, %v", k, in, got, err)
			}
		}
		wantText := strings.ReplaceAll(lineBreaks.Replace(text), "\n", "\r\n")
		body := io.Reader(msg.Body)
		if html != "" {
			_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := multipart.NewReader(msg.Body, params["boundary"]).NextRawPart()
			if err != nil {
				t.Fatal(err)
			}
			body = p
		}
		got, err := io.ReadAll(quotedprintable.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if html == "" {
			got = []byte(strings.TrimSuffix(string(got), "\r\n"))
			wantText = strings.TrimSuffix(wantText, "\r\n")
		}
		if string(got) != wantText {
			t.Fatalf("text %q decodes to %q", text, got)
		}
	})
}
