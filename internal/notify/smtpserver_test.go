package notify

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPKI is a throw-away CA and a server certificate for
// mail.example.test, localhost and 127.0.0.1.
type testPKI struct {
	server *tls.Config
	roots  *x509.CertPool
}

var (
	pkiOnce sync.Once
	pki     testPKI
	pkiErr  error
)

func getPKI(t *testing.T) testPKI {
	t.Helper()
	pkiOnce.Do(func() { pki, pkiErr = makePKI() })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pki
}

func makePKI() (testPKI, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return testPKI{}, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Housecall test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return testPKI{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return testPKI{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return testPKI{}, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "mail.example.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"mail.example.test", "localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return testPKI{}, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return testPKI{
		server: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}}},
		roots:  roots,
	}, nil
}

// smtpServer is a small SMTP server for the driver tests: EHLO/HELO,
// STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA (with dot-unstuffing),
// RSET, NOOP, QUIT. It records every session.
type smtpServer struct {
	ln        net.Listener
	tlsConf   *tls.Config
	starttls  bool   // offer STARTTLS
	implicit  bool   // TLS from the first byte (smtps)
	mechs     string // advertised AUTH mechanisms; "" for no AUTH
	user      string
	pass      string
	rcptReply map[string]string // recipient → reply instead of 250
	dataReply string            // reply after the message; default 250

	mu       sync.Mutex
	sessions []*session
	wg       sync.WaitGroup
}

type session struct {
	helo     string
	tls      bool
	authUser string
	from     string
	rcpt     []string
	data     string
	cmds     []string // verbs, with "+tls" when sent over TLS
}

// startSMTP listens on 127.0.0.1 and serves until the test ends.
func startSMTP(t *testing.T, s *smtpServer) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	if s.tlsConf == nil {
		s.tlsConf = getPKI(t).server
	}
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.handle(conn) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *smtpServer) addr() string { return s.ln.Addr().String() }

func (s *smtpServer) port() string {
	_, p, _ := net.SplitHostPort(s.addr())
	return p
}

// dialer connects any address to this server (for host names that are
// not loopback).
func (s *smtpServer) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, s.addr())
	}
}

func (s *smtpServer) Sessions() []session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]session, len(s.sessions))
	for i, p := range s.sessions {
		out[i] = *p
		out[i].cmds = append([]string(nil), p.cmds...)
	}
	return out
}

func (s *smtpServer) handle(conn net.Conn) {
	defer func() { conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	sess := &session{tls: s.implicit}
	s.mu.Lock()
	s.sessions = append(s.sessions, sess)
	s.mu.Unlock()
	if s.implicit {
		tc := tls.Server(conn, s.tlsConf)
		if tc.Handshake() != nil {
			return
		}
		conn = tc
	}
	r := bufio.NewReader(conn)
	write := func(lines ...string) {
		_, _ = conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	}
	readLine := func() (string, bool) {
		l, err := r.ReadString('\n')
		if err != nil {
			return "", false
		}
		return strings.TrimRight(l, "\r\n"), true
	}
	write("220 mail.example.test ESMTP test")
	for {
		line, ok := readLine()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		s.mu.Lock()
		if sess.tls {
			sess.cmds = append(sess.cmds, verb+"+tls")
		} else {
			sess.cmds = append(sess.cmds, verb)
		}
		s.mu.Unlock()
		switch verb {
		case "EHLO", "HELO":
			s.mu.Lock()
			sess.helo = arg
			s.mu.Unlock()
			ext := []string{"mail.example.test greets " + arg, "8BITMIME", "SIZE 10000000"}
			if s.starttls && !sess.tls {
				ext = append(ext, "STARTTLS")
			}
			if s.mechs != "" {
				ext = append(ext, "AUTH "+s.mechs)
			}
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				ext[i] = "250" + sep + e
			}
			write(ext...)
		case "STARTTLS":
			if !s.starttls || sess.tls {
				write("502 5.5.1 not offered")
				continue
			}
			write("220 2.0.0 ready for TLS")
			tc := tls.Server(conn, s.tlsConf)
			if tc.Handshake() != nil {
				return
			}
			conn = tc
			r = bufio.NewReader(conn)
			s.mu.Lock()
			sess.tls = true
			s.mu.Unlock()
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			var user, pass string
			switch strings.ToUpper(mech) {
			case "PLAIN":
				if initial == "" {
					write("334 ")
					if initial, ok = readLine(); !ok {
						return
					}
				}
				b, _ := base64.StdEncoding.DecodeString(initial)
				parts := strings.Split(string(b), "\x00")
				if len(parts) == 3 {
					user, pass = parts[1], parts[2]
				}
			case "LOGIN":
				write("334 " + base64.StdEncoding.EncodeToString([]byte("Username:")))
				l, ok := readLine()
				if !ok {
					return
				}
				b, _ := base64.StdEncoding.DecodeString(l)
				user = string(b)
				write("334 " + base64.StdEncoding.EncodeToString([]byte("Password:")))
				if l, ok = readLine(); !ok {
					return
				}
				b, _ = base64.StdEncoding.DecodeString(l)
				pass = string(b)
			default:
				write("504 5.5.4 mechanism not supported")
				continue
			}
			if user != s.user || pass != s.pass {
				write("535 5.7.8 authentication credentials invalid")
				continue
			}
			s.mu.Lock()
			sess.authUser = user
			s.mu.Unlock()
			write("235 2.7.0 authenticated")
		case "MAIL":
			s.mu.Lock()
			sess.from = angle(arg)
			s.mu.Unlock()
			write("250 2.1.0 ok")
		case "RCPT":
			a := angle(arg)
			if reply, ok := s.rcptReply[a]; ok {
				write(reply)
				continue
			}
			s.mu.Lock()
			sess.rcpt = append(sess.rcpt, a)
			s.mu.Unlock()
			write("250 2.1.5 ok")
		case "DATA":
			write("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				if strings.HasPrefix(l, ".") {
					l = l[1:]
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			sess.data = b.String()
			s.mu.Unlock()
			if s.dataReply != "" {
				write(s.dataReply)
			} else {
				write("250 2.0.0 queued")
			}
		case "RSET", "NOOP":
			write("250 2.0.0 ok")
		case "QUIT":
			write("221 2.0.0 bye")
			return
		default:
			write("502 5.5.2 unknown command")
		}
	}
}

// angle extracts the address from "FROM:<a@b> SIZE=1".
func angle(arg string) string {
	i, j := strings.IndexByte(arg, '<'), strings.IndexByte(arg, '>')
	if i < 0 || j < i {
		return ""
	}
	return arg[i+1 : j]
}
