package notify

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var textprotoErr550 = textproto.Error{Code: 550, Msg: "5.1.1 <pat@example.test> unknown"}

// fixedRand is an endless stream of one byte.
type fixedRand byte

func (r fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

var sendTime = time.Date(2026, 3, 1, 9, 30, 0, 0, time.FixedZone("", -5*3600))

func newTestSMTP(t *testing.T, rawURL string, opts ...SMTPOption) *SMTP {
	t.Helper()
	all := append([]SMTPOption{
		WithSMTPTLS(&tls.Config{RootCAs: getPKI(t).roots}),
		WithSMTPNow(func() time.Time { return sendTime }),
		WithSMTPRand(fixedRand(0xab)),
		WithSMTPHello("node1.clinic.test"),
	}, opts...)
	d, err := NewSMTP(rawURL, "Housecall <noreply@clinic.test>", all...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func sendCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSMTPStartTLSAuthAndMessage(t *testing.T) {
	srv := startSMTP(t, &smtpServer{starttls: true, mechs: "PLAIN LOGIN", user: "mailer", pass: "s3cr:t@%"})
	d := newTestSMTP(t, "smtp://mailer:s3cr%3At%40%25@127.0.0.1:"+srv.port())
	m := Message{
		ID: 7, Channel: ChannelEmail, To: "Zoë Patient <zoe@example.test>",
		Subject: "Votre code de connexion — Housecall",
		Text:    "Bonjour Zoë,\nVotre code : 123456\n.hidden line starts with a dot\n" + strings.Repeat("long ", 40) + "\n",
		HTML:    "<p>Bonjour Zoë,</p>\n<p>Votre code&nbsp;: <b>123456</b></p>",
		Headers: map[string]string{"Reply-To": "desk@clinic.test", "X-Clinic": "Café"},
	}
	if err := d.Send(sendCtx(t), m); err != nil {
		t.Fatal(err)
	}
	ss := srv.Sessions()
	if len(ss) != 1 {
		t.Fatalf("%d sessions, want 1", len(ss))
	}
	s := ss[0]
	wantCmds := []string{"EHLO", "STARTTLS", "EHLO+tls", "AUTH+tls", "MAIL+tls", "RCPT+tls", "DATA+tls", "QUIT+tls"}
	if !slices.Equal(s.cmds, wantCmds) {
		t.Fatalf("commands %v, want %v", s.cmds, wantCmds)
	}
	if s.helo != "node1.clinic.test" || s.authUser != "mailer" || s.from != "noreply@clinic.test" ||
		!slices.Equal(s.rcpt, []string{"zoe@example.test"}) {
		t.Fatalf("session %+v", s)
	}
	checkWireFormat(t, s.data)

	msg, err := mail.ReadMessage(strings.NewReader(s.data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	dec := new(mime.WordDecoder)
	decode := func(k string) string {
		v, err := dec.DecodeHeader(h.Get(k))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return v
	}
	headerTests := []struct{ name, raw, decoded string }{
		{"Date", "Sun, 01 Mar 2026 09:30:00 -0500", ""},
		{"Message-Id", "<abababababababababababababababab@clinic.test>", ""},
		{"From", `"Housecall" <noreply@clinic.test>`, ""},
		{"To", "", "Zoë Patient <zoe@example.test>"},
		{"Subject", "", m.Subject},
		{"Mime-Version", "1.0", ""},
		{"Auto-Submitted", "auto-generated", ""},
		{"Reply-To", "desk@clinic.test", ""},
		{"X-Clinic", "=?utf-8?q?Caf=C3=A9?=", "Café"},
	}
	for _, ht := range headerTests {
		if ht.raw != "" && h.Get(ht.name) != ht.raw {
			t.Errorf("%s = %q, want %q", ht.name, h.Get(ht.name), ht.raw)
		}
		if ht.decoded != "" && decode(ht.name) != ht.decoded {
			t.Errorf("%s decodes to %q, want %q", ht.name, decode(ht.name), ht.decoded)
		}
	}
	if !strings.HasPrefix(h.Get("Subject"), "=?utf-8?q?") {
		t.Errorf("Subject not RFC 2047 encoded: %q", h.Get("Subject"))
	}
	if d, err := h.Date(); err != nil || !d.Equal(sendTime) {
		t.Errorf("Date parses to %v, %v", d, err)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q", h.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for _, want := range []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", strings.ReplaceAll(m.Text, "\n", "\r\n")},
		{"text/html; charset=utf-8", strings.ReplaceAll(m.HTML, "\n", "\r\n")},
	} {
		p, err := mr.NextRawPart()
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Type") != want.ctype || p.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Fatalf("part header %v", p.Header)
		}
		raw, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), "=C3=AB") {
			t.Errorf("part %s not quoted-printable: %q", want.ctype, raw)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(raw))))
		if err != nil || string(body) != want.body {
			t.Errorf("part %s decodes to %q, %v; want %q", want.ctype, body, err, want.body)
		}
	}
	if _, err := mr.NextRawPart(); err != io.EOF {
		t.Fatalf("more than two parts: %v", err)
	}
}

// checkWireFormat: CRLF line ends only, no line over 998 octets, headers
// folded to at most 78 where they have spaces.
func checkWireFormat(t *testing.T, data string) {
	t.Helper()
	if !strings.HasSuffix(data, "\r\n") {
		t.Error("message does not end with CRLF")
	}
	inHeader := true
	for i, l := range strings.SplitAfter(data, "\r\n") {
		if l == "" {
			continue
		}
		if !strings.HasSuffix(l, "\r\n") || strings.ContainsAny(strings.TrimSuffix(l, "\r\n"), "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i, l)
		}
		if len(l)-2 > 78 && (inHeader || !strings.HasPrefix(l, "--")) {
			t.Errorf("line %d is %d octets: %q", i, len(l)-2, l)
		}
		if l == "\r\n" {
			inHeader = false
		}
	}
}

func TestSMTPImplicitTLSWithLogin(t *testing.T) {
	srv := startSMTP(t, &smtpServer{implicit: true, mechs: "LOGIN", user: "mailer", pass: "pw"})
	d := newTestSMTP(t, "smtps://mailer:pw@localhost:"+srv.port())
	if err := d.Send(sendCtx(t), mail1("tls")); err != nil {
		t.Fatal(err)
	}
	s := srv.Sessions()[0]
	if !s.tls || s.authUser != "mailer" || !slices.Contains(s.cmds, "AUTH+tls") || slices.Contains(s.cmds, "STARTTLS+tls") {
		t.Fatalf("session %+v", s)
	}
	ct := regexp.MustCompile(`(?m)^Content-Type: text/plain; charset=utf-8\r$`)
	if !ct.MatchString(s.data) || !strings.Contains(s.data, "\r\n\r\nHello tls") {
		t.Fatalf("text-only message:\n%s", s.data)
	}
}

func TestSMTPTransportSecurity(t *testing.T) {
	tests := []struct {
		name      string
		srv       *smtpServer
		url       string // HOST is replaced by the server's port
		viaDialer bool   // connect a non-loopback name to the server
		noRoots   bool
		wantErr   error
		wantClass string
		wantAuth  bool
		wantTLS   bool
	}{
		{name: "no TLS offered: no AUTH to a remote host",
			srv: &smtpServer{mechs: "PLAIN", user: "u", pass: "p"}, url: "smtp://u:p@mail.example.test:587", viaDialer: true,
			wantErr: ErrInsecureAuth, wantClass: "smtp auth insecure auth"},
		{name: "no TLS offered: AUTH to loopback allowed",
			srv: &smtpServer{mechs: "PLAIN", user: "u", pass: "p"}, url: "smtp://u:p@127.0.0.1:PORT", wantAuth: true},
		{name: "no TLS offered, no credentials: sent",
			srv: &smtpServer{}, url: "smtp://mail.example.test", viaDialer: true},
		{name: "STARTTLS offered to a remote host: used",
			srv: &smtpServer{starttls: true, mechs: "PLAIN", user: "u", pass: "p"}, url: "smtp://u:p@mail.example.test", viaDialer: true,
			wantAuth: true, wantTLS: true},
		{name: "STARTTLS with an untrusted certificate: no fallback",
			srv: &smtpServer{starttls: true}, url: "smtp://mail.example.test", viaDialer: true, noRoots: true, wantClass: "smtp starttls tls"},
		{name: "credentials but no AUTH offered",
			srv: &smtpServer{starttls: true}, url: "smtp://u:p@mail.example.test", viaDialer: true, wantClass: "smtp auth error", wantTLS: true},
		{name: "wrong password",
			srv: &smtpServer{starttls: true, mechs: "PLAIN", user: "u", pass: "p"}, url: "smtp://u:nope@mail.example.test", viaDialer: true,
			wantClass: "smtp auth 535", wantTLS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, tt.srv)
			var opts []SMTPOption
			if tt.viaDialer {
				opts = append(opts, WithSMTPDialer(srv.dialer()))
			}
			if tt.noRoots {
				opts = append(opts, WithSMTPTLS(nil))
			}
			d := newTestSMTP(t, strings.Replace(tt.url, "PORT", srv.port(), 1), opts...)
			err := d.Send(sendCtx(t), mail1("security"))
			wantFail := tt.wantErr != nil || tt.wantClass != ""
			if wantFail != (err != nil) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Send = %v", err)
			}
			if err != nil {
				if ErrorClass(err) != tt.wantClass || IsPermanent(err) {
					t.Fatalf("error %v: class %q permanent %v; want %q, retryable", err, ErrorClass(err), IsPermanent(err), tt.wantClass)
				}
				if strings.Contains(err.Error(), "nope") {
					t.Fatalf("error shows the password: %v", err)
				}
			}
			s := srv.Sessions()[0]
			authed := slices.ContainsFunc(s.cmds, func(c string) bool { return strings.HasPrefix(c, "AUTH") })
			if tt.wantAuth != (s.authUser != "") || (!tt.wantAuth && tt.wantErr != nil && authed) {
				t.Fatalf("auth: commands %v, user %q", s.cmds, s.authUser)
			}
			if s.tls != tt.wantTLS {
				t.Fatalf("TLS = %v, want %v", s.tls, tt.wantTLS)
			}
			if sent := s.data != ""; sent != (err == nil) {
				t.Fatalf("message delivered = %v with error %v", sent, err)
			}
		})
	}
}

func TestSMTPRejections(t *testing.T) {
	tests := []struct {
		name      string
		srv       *smtpServer
		permanent bool
		class     string
		text      string
	}{
		{"unknown recipient", &smtpServer{rcptReply: map[string]string{"pat@example.test": "550 5.1.1 <pat@example.test>: user unknown"}},
			true, "permanent smtp rcpt 550", "smtp rcpt: server replied 550 5.1.1"},
		{"mailbox busy", &smtpServer{rcptReply: map[string]string{"pat@example.test": "450 4.2.1 <pat@example.test> try later"}},
			false, "smtp rcpt 450", "smtp rcpt: server replied 450 4.2.1"},
		{"content rejected", &smtpServer{dataReply: "554 5.7.1 message refused"}, true, "permanent smtp data 554", "554 5.7.1"},
		{"queue full", &smtpServer{dataReply: "452 4.3.1 insufficient storage"}, false, "smtp data 452", "452 4.3.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, tt.srv)
			d := newTestSMTP(t, "smtp://127.0.0.1:"+srv.port())
			err := d.Send(sendCtx(t), mail1("rejected"))
			if err == nil || IsPermanent(err) != tt.permanent || ErrorClass(err) != tt.class || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("Send = %v (class %q, permanent %v); want %q, %v", err, ErrorClass(err), IsPermanent(err), tt.class, tt.permanent)
			}
			if strings.Contains(err.Error(), "pat@") {
				t.Fatalf("error quotes the recipient: %v", err)
			}
		})
	}
}

func TestSMTPBadMessageIsPermanent(t *testing.T) {
	srv := startSMTP(t, &smtpServer{})
	d := newTestSMTP(t, "smtp://127.0.0.1:"+srv.port())
	for _, m := range []Message{
		{Channel: ChannelEmail, To: "not an address", Text: "x"},
		{Channel: ChannelEmail, To: "a@b.test", Headers: map[string]string{"Bcc": "spy@evil.test"}},
		{Channel: ChannelEmail, To: "a@b.test", Subject: "x\r\nBcc: spy@evil.test"},
	} {
		err := d.Send(sendCtx(t), m)
		if !IsPermanent(err) || !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("Send(%+v) = %v, want permanent ErrInvalidMessage", m, err)
		}
	}
	if n := len(srv.Sessions()); n != 0 {
		t.Fatalf("%d connections for invalid messages", n)
	}
}

// TestSMTPContext: a server that never greets does not hang Send past its
// context.
func TestSMTPContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = bufio.NewReader(c).ReadString('\n'); c.Close() }()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	d := newTestSMTP(t, "smtp://127.0.0.1:"+port)
	tests := []struct {
		name   string
		cancel bool
	}{{"deadline", false}, {"canceled", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			if tt.cancel {
				ctx, cancel = context.WithCancel(t.Context())
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			start := time.Now()
			err := d.Send(ctx, mail1("slow"))
			if err == nil || time.Since(start) > 5*time.Second {
				t.Fatalf("Send = %v after %v", err, time.Since(start))
			}
			if !errors.Is(err, ctx.Err()) {
				t.Fatalf("error %v does not carry %v", err, ctx.Err())
			}
			if c := ErrorClass(err); !strings.HasPrefix(c, "smtp greeting ") {
				t.Fatalf("class %q, want the greeting stage", c)
			}
		})
	}
}

func TestNewSMTP(t *testing.T) {
	tests := []struct {
		url, from string
		wantErr   bool
		addr      string
		implicit  bool
		user      string
		pass      string
		loopback  bool
	}{
		{url: "smtp://mail.example.test", addr: "mail.example.test:587"},
		{url: "smtp://u:p%40ss@mail.example.test:25", addr: "mail.example.test:25", user: "u", pass: "p@ss"},
		{url: "smtps://mail.example.test", addr: "mail.example.test:465", implicit: true},
		{url: "smtp://[::1]:2525/", addr: "[::1]:2525", loopback: true},
		{url: "smtp://localhost", addr: "localhost:587", loopback: true},
		{url: "smtp://127.0.0.2:25", addr: "127.0.0.2:25", loopback: true},
		{url: "http://mail.example.test", wantErr: true},
		{url: "smtp://", wantErr: true},
		{url: "smtp://u:secret@mail.example.test:99999", wantErr: true},
		{url: "smtp://u:secret@mail.example.test?tls=off", wantErr: true},
		{url: "smtp://u:secret@mail.example.test/path", wantErr: true},
		{url: "smtp://u:sec%0Aret@mail.example.test", wantErr: true},
		{url: "smtp://u:secret@mail example.test", wantErr: true},
		{url: "smtp://mail.example.test", from: "not an address", wantErr: true},
	}
	for _, tt := range tests {
		from := tt.from
		if from == "" {
			from = "noreply@clinic.test"
		}
		s, err := NewSMTP(tt.url, from)
		if tt.wantErr {
			if err == nil {
				t.Errorf("NewSMTP(%q) succeeded", tt.url)
			} else if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "sec\n") {
				t.Errorf("NewSMTP(%q) error shows the password: %v", tt.url, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewSMTP(%q) = %v", tt.url, err)
			continue
		}
		if s.addr != tt.addr || s.implicitTLS != tt.implicit || s.user != tt.user || s.pass != tt.pass || s.loopback != tt.loopback {
			t.Errorf("NewSMTP(%q) = addr %q implicit %v user %q pass %q loopback %v", tt.url, s.addr, s.implicitTLS, s.user, s.pass, s.loopback)
		}
	}
}
