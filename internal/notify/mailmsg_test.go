package notify

import (
	"errors"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func composeTest(t *testing.T, m Message) (string, error) {
	t.Helper()
	s, err := NewSMTP("smtp://mail.example.test", "Clinique Zoë <noreply@clinic.test>",
		WithSMTPNow(func() time.Time { return sendTime }), WithSMTPRand(fixedRand(1)))
	if err != nil {
		t.Fatal(err)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.compose(m, to)
	return string(b), err
}

func TestComposeHeaders(t *testing.T) {
	long := strings.Repeat("Rappel de rendez-vous très important ", 6)
	tests := []struct {
		name    string
		m       Message
		want    []string // substrings of the header block
		notWant []string
		subject string // decoded Subject, if set
		wantErr bool
	}{
		{name: "text only",
			m: Message{To: "a@b.test", Subject: "Plain", Text: "x"},
			want: []string{"From: =?utf-8?q?Clinique_Zo=C3=AB?= <noreply@clinic.test>\r\n", "To: <a@b.test>\r\n",
				"Subject: Plain\r\n", "Auto-Submitted: auto-generated\r\n",
				"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx"},
			notWant: []string{"multipart"}},
		{name: "caller's Auto-Submitted wins",
			m:       Message{To: "a@b.test", Text: "x", Headers: map[string]string{"auto-submitted": "auto-replied"}},
			want:    []string{"auto-submitted: auto-replied\r\n"},
			notWant: []string{"auto-generated"}},
		{name: "headers sorted",
			m:    Message{To: "a@b.test", Text: "x", Headers: map[string]string{"X-B": "2", "X-A": "1"}},
			want: []string{"X-A: 1\r\nX-B: 2\r\n"}},
		{name: "long non-ASCII subject folded",
			m: Message{To: "a@b.test", Subject: long, Text: "x"}, subject: long},
		{name: "long ASCII subject folded",
			m: Message{To: "a@b.test", Subject: strings.Repeat("word ", 40) + "end", Text: "x"}, subject: strings.Repeat("word ", 40) + "end"},
		{name: "non-ASCII display name of the recipient",
			m:    Message{To: "Zoë <zoe@b.test>", Text: "x"},
			want: []string{"To: =?utf-8?q?Zo=C3=AB?= <zoe@b.test>\r\n"}},
		{name: "reserved header", m: Message{To: "a@b.test", Headers: map[string]string{"Content-Type": "text/html"}}, wantErr: true},
		{name: "Bcc smuggled", m: Message{To: "a@b.test", Headers: map[string]string{"bcc": "x@y.test"}}, wantErr: true},
		{name: "bad header name", m: Message{To: "a@b.test", Headers: map[string]string{"X Y": "1"}}, wantErr: true},
		{name: "line break in header", m: Message{To: "a@b.test", Headers: map[string]string{"X-A": "1\nBcc: x"}}, wantErr: true},
		{name: "unbreakable header over 998", m: Message{To: "a@b.test", Subject: strings.Repeat("x", 1000)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := composeTest(t, tt.m)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidMessage) {
					t.Fatalf("compose = %v, want ErrInvalidMessage", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkWireFormat(t, got+"\r\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %q in\n%s", w, got)
				}
			}
			msg, err := mail.ReadMessage(strings.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			if tt.subject != "" {
				dec, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
				if err != nil || dec != tt.subject {
					t.Fatalf("Subject decodes to %q, %v; want %q", dec, err, tt.subject)
				}
				if !strings.Contains(got, "Subject:") || !strings.Contains(strings.SplitN(got, "Subject:", 2)[1], "\r\n ") {
					t.Fatalf("long subject not folded:\n%s", got)
				}
			}
		})
	}
}
