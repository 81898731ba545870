package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// defaultSMTPTimeout bounds a Send whose context has no deadline.
const defaultSMTPTimeout = 2 * time.Minute

// SMTP is the e-mail Driver. Each Send opens one connection: dial, EHLO,
// STARTTLS whenever the server offers it (never falling back to plain text
// if the handshake fails), AUTH if the URL has credentials, MAIL, RCPT,
// DATA, QUIT.
type SMTP struct {
	addr        string // host:port
	host        string
	implicitTLS bool
	user, pass  string
	auth        bool
	loopback    bool
	from        *mail.Address

	tls   *tls.Config
	dial  func(ctx context.Context, network, addr string) (net.Conn, error)
	hello string
	now   func() time.Time
	rand  io.Reader
}

var _ Driver = (*SMTP)(nil)

// SMTPOption adjusts an SMTP driver.
type SMTPOption func(*SMTP)

// WithSMTPTLS sets the TLS configuration for STARTTLS and smtps:// (e.g.
// RootCAs with a private or test CA). ServerName defaults to the URL's host.
func WithSMTPTLS(c *tls.Config) SMTPOption { return func(s *SMTP) { s.tls = c } }

// WithSMTPDialer replaces the TCP dialer (tests, proxies).
func WithSMTPDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) SMTPOption {
	return func(s *SMTP) { s.dial = dial }
}

// WithSMTPHello sets the name sent in EHLO (default: the host name if it
// is fully qualified, else "localhost").
func WithSMTPHello(name string) SMTPOption { return func(s *SMTP) { s.hello = name } }

// WithSMTPNow replaces the clock used for the Date header.
func WithSMTPNow(now func() time.Time) SMTPOption { return func(s *SMTP) { s.now = now } }

// WithSMTPRand replaces the randomness of Message-IDs and MIME boundaries.
func WithSMTPRand(r io.Reader) SMTPOption { return func(s *SMTP) { s.rand = r } }

// NewSMTP returns a driver for rawURL, either smtp://[user[:pass]@]host[:port]
// (default port 587; STARTTLS is used whenever the server offers it, and
// credentials are sent over a connection without TLS only to a loopback
// host) or smtps://[user[:pass]@]host[:port] (implicit TLS, default port
// 465). User and password are percent-decoded. from is the sender, e.g.
// "Housecall <noreply@clinic.example>". Errors never quote the URL, which
// may hold a password.
func NewSMTP(rawURL, from string, opts ...SMTPOption) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("notify: SMTP URL: %w", err)
	}
	s := &SMTP{}
	port := "587"
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.implicitTLS, port = true, "465"
	default:
		return nil, errors.New("notify: SMTP URL: scheme must be smtp or smtps")
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("notify: SMTP URL: only scheme, credentials, host and port are allowed")
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("notify: SMTP URL: no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, errors.New("notify: SMTP URL: bad port")
		}
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		s.auth = s.user != ""
		if strings.ContainsAny(s.user+s.pass, "\x00\r\n") {
			return nil, errors.New("notify: SMTP URL: control character in credentials")
		}
	}
	s.loopback = s.host == "localhost"
	if ip := net.ParseIP(s.host); ip != nil && ip.IsLoopback() {
		s.loopback = true
	}
	if s.from, err = mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("notify: SMTP sender address: %w", err)
	}
	for _, o := range opts {
		o(s)
	}
	if s.dial == nil {
		d := &net.Dialer{Timeout: 30 * time.Second}
		s.dial = d.DialContext
	}
	if s.hello == "" {
		s.hello = "localhost"
		if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") {
			s.hello = h
		}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	return s, nil
}

// smtpError is a failure at one stage of the SMTP conversation. Its text
// keeps the reply code but not the server's free text, which often
// echoes the recipient's address.
type smtpError struct {
	stage string
	err   error
}

func (e *smtpError) Error() string {
	var p *textproto.Error
	if errors.As(e.err, &p) {
		msg := "smtp " + e.stage + ": server replied " + strconv.Itoa(p.Code)
		if f := strings.Fields(p.Msg); len(f) > 0 && isEnhancedCode(f[0]) {
			msg += " " + f[0]
		}
		return msg
	}
	return "smtp " + e.stage + ": " + e.err.Error()
}

func (e *smtpError) Unwrap() error { return e.err }

// ErrorClass is the stage and, for server replies, the reply code.
func (e *smtpError) ErrorClass() string {
	var p *textproto.Error
	if errors.As(e.err, &p) {
		return "smtp " + e.stage + " " + strconv.Itoa(p.Code)
	}
	inner := ErrorClass(e.err)
	return "smtp " + e.stage + " " + inner
}

// isEnhancedCode matches RFC 3463 codes like 5.1.1.
func isEnhancedCode(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(s) > 11 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// rejected wraps a server refusal of the message itself (5xx at RCPT or
// DATA) as permanent; temporary (4xx) and connection errors are retried.
func rejected(stage string, err error) error {
	e := &smtpError{stage: stage, err: err}
	var p *textproto.Error
	if errors.As(err, &p) && p.Code >= 500 && p.Code < 600 {
		return Permanent(e)
	}
	return e
}

// Send delivers m to m.To.
func (s *SMTP) Send(ctx context.Context, m Message) (err error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return Permanent(fmt.Errorf("%w: recipient is not an e-mail address", ErrInvalidMessage))
	}
	msg, err := s.compose(m, to)
	if err != nil {
		return Permanent(err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultSMTPTimeout)
		defer cancel()
	}
	conn, err := s.dial(ctx, "tcp", s.addr)
	if err != nil {
		return &smtpError{"connect", err}
	}
	defer conn.Close()
	// Every read and write fails once ctx ends; ctx.Err() is then set, so
	// the error says why.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	defer func() {
		if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
	}()

	if s.implicitTLS {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return &smtpError{"tls", err}
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return &smtpError{"greeting", err}
	}
	defer c.Close()
	if err := c.Hello(s.hello); err != nil {
		return &smtpError{"ehlo", err}
	}
	secure := s.implicitTLS
	if !secure {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return &smtpError{"starttls", err}
			}
			secure = true
		}
	}
	if s.auth {
		if !secure && !s.loopback {
			return &smtpError{"auth", ErrInsecureAuth}
		}
		a, err := s.authFor(c)
		if err != nil {
			return &smtpError{"auth", err}
		}
		if err := c.Auth(a); err != nil {
			return &smtpError{"auth", err}
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return &smtpError{"mail", err}
	}
	if err := c.Rcpt(to.Address); err != nil {
		return rejected("rcpt", err)
	}
	w, err := c.Data()
	if err != nil {
		return rejected("data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return &smtpError{"data", err}
	}
	if err := w.Close(); err != nil {
		return rejected("data", err)
	}
	// The message is accepted; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

func (s *SMTP) tlsConfig() *tls.Config {
	c := &tls.Config{}
	if s.tls != nil {
		c = s.tls.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.host
	}
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// authFor picks PLAIN, else LOGIN, from the mechanisms the server offers.
func (s *SMTP) authFor(c *smtp.Client) (smtp.Auth, error) {
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return nil, errors.New("server offers no AUTH although credentials are configured")
	}
	var login bool
	for _, m := range strings.Fields(strings.ToUpper(mechs)) {
		switch m {
		case "PLAIN":
			return &plainAuth{s: s}, nil
		case "LOGIN":
			login = true
		}
	}
	if login {
		return &loginAuth{s: s}, nil
	}
	return nil, errors.New("server offers neither AUTH PLAIN nor LOGIN")
}

// plainAuth is RFC 4616 PLAIN. Unlike net/smtp's PlainAuth it applies this
// package's loopback rule (any loopback address, not only 127.0.0.1).
type plainAuth struct{ s *SMTP }

func (a *plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.s.loopback {
		return "", nil, ErrInsecureAuth
	}
	return "PLAIN", []byte("\x00" + a.s.user + "\x00" + a.s.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected AUTH PLAIN challenge")
	}
	return nil, nil
}

// loginAuth is the obsolete but common LOGIN mechanism: the server asks
// for the user name, then the password.
type loginAuth struct {
	s    *SMTP
	step int
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.s.loopback {
		return "", nil, ErrInsecureAuth
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch a.step {
	case 1:
		return []byte(a.s.user), nil
	case 2:
		return []byte(a.s.pass), nil
	}
	return nil, errors.New("unexpected AUTH LOGIN challenge")
}
