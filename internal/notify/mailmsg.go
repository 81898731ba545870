package notify

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxLine is RFC 5322's hard limit on a line, without CRLF.
const maxLine = 998

// foldAt is the recommended line length that folding aims for.
const foldAt = 78

// reservedHeaders are written by compose and cannot be set through
// Message.Headers.
var reservedHeaders = map[string]bool{
	"date": true, "message-id": true, "from": true, "sender": true, "to": true, "cc": true, "bcc": true,
	"subject": true, "mime-version": true, "content-type": true, "content-transfer-encoding": true,
	"return-path": true, "received": true,
}

// compose builds the RFC 5322 message: Date, Message-ID, From, To,
// Subject (RFC 2047 encoded when not ASCII), MIME-Version, Auto-Submitted
// (RFC 3834, so that vacation responders stay quiet) unless the caller set
// it, the caller's headers in name order, then a quoted-printable
// text/plain body, or a multipart/alternative of text and HTML. Lines end
// in CRLF.
func (s *SMTP) compose(m Message, to interface{ String() string }) ([]byte, error) {
	var b bytes.Buffer
	id, err := s.token(16)
	if err != nil {
		return nil, err
	}
	domain := "housecall.invalid"
	if i := strings.LastIndexByte(s.from.Address, '@'); i >= 0 && i < len(s.from.Address)-1 {
		domain = s.from.Address[i+1:]
	}
	h := headerWriter{b: &b}
	h.field("Date", s.now().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	h.field("Message-ID", "<"+id+"@"+domain+">")
	h.field("From", s.from.String())
	h.field("To", to.String())
	if err := checkText("subject", m.Subject, true); err != nil {
		return nil, err
	}
	h.field("Subject", encodeWord(m.Subject))
	h.field("MIME-Version", "1.0")
	names := make([]string, 0, len(m.Headers))
	autoSubmitted := false
	for k := range m.Headers {
		if !validHeaderName(k) {
			return nil, fmt.Errorf("%w: malformed header name", ErrInvalidMessage)
		}
		if reservedHeaders[strings.ToLower(k)] {
			return nil, fmt.Errorf("%w: header %s is set by the driver", ErrInvalidMessage, k)
		}
		if err := checkText("header "+k, m.Headers[k], true); err != nil {
			return nil, err
		}
		autoSubmitted = autoSubmitted || strings.EqualFold(k, "Auto-Submitted")
		names = append(names, k)
	}
	if !autoSubmitted {
		h.field("Auto-Submitted", "auto-generated")
	}
	slices.Sort(names)
	for _, k := range names {
		h.field(k, encodeWord(m.Headers[k]))
	}
	if h.err != nil {
		return nil, h.err
	}

	if m.HTML == "" {
		h.field("Content-Type", "text/plain; charset=utf-8")
		h.field("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return nil, err
		}
		return b.Bytes(), h.err
	}
	boundary, err := s.token(12)
	if err != nil {
		return nil, err
	}
	boundary = "hc-alt-" + boundary
	h.field("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, fmt.Errorf("notify: MIME boundary: %w", err)
	}
	for _, part := range []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("notify: MIME part: %w", err)
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("notify: MIME: %w", err)
	}
	return b.Bytes(), h.err
}

// token returns n random bytes in hex.
func (s *SMTP) token(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(s.rand, buf); err != nil {
		return "", fmt.Errorf("notify: random: %w", err)
	}
	return hex.EncodeToString(buf), nil
}

// lineBreaks makes every line break (CRLF, LF or a lone CR) an LF.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// writeQP writes body quoted-printable encoded, with CRLF line breaks and
// lines within 76 characters.
func writeQP(w io.Writer, body string) error {
	body = lineBreaks.Replace(body)
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, body); err != nil {
		return fmt.Errorf("notify: quoted-printable: %w", err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("notify: quoted-printable: %w", err)
	}
	return nil
}

// encodeWord RFC 2047-encodes v when it is not plain printable ASCII.
func encodeWord(v string) string {
	return mime.QEncoding.Encode("utf-8", v)
}

// validHeaderName: RFC 5322 ftext, printable ASCII except colon.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// headerWriter writes folded header fields and remembers the first error.
type headerWriter struct {
	b   *bytes.Buffer
	err error
}

// field writes "name: value" folded at spaces to about 78 characters.
// Folding only puts CRLF before an existing space, so unfolding restores
// value exactly. Values are single-line (checked by Enqueue and here).
func (h *headerWriter) field(name, value string) {
	if h.err != nil {
		return
	}
	if strings.ContainsAny(value, "\r\n") || !utf8.ValidString(value) {
		h.err = fmt.Errorf("%w: line break in header %s", ErrInvalidMessage, name)
		return
	}
	line := len(name) + 1
	h.b.WriteString(name)
	h.b.WriteByte(':')
	for i, w := range strings.Split(value, " ") {
		switch {
		case w != "" && line+1+len(w) > foldAt && (i > 0 || len(w) <= foldAt-1):
			// At i == 0 this folds right after the colon, so that a
			// 75-character encoded word still gets a line of its own.
			h.b.WriteString("\r\n ")
			line = 1
		default:
			h.b.WriteByte(' ')
			line++
		}
		h.b.WriteString(w)
		line += len(w)
		if line > maxLine {
			h.err = fmt.Errorf("%w: header %s has a word too long for one line", ErrInvalidMessage, name)
			return
		}
	}
	h.b.WriteString("\r\n")
}
