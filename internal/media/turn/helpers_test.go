package turn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"github.com/housecall/housecall/internal/media/pionlog"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"
)

var testSecret = []byte("test-shared-secret")

// testCert is a self-signed certificate for 127.0.0.1, generated per test
// run, and the pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "housecall-turn-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

type testServer struct {
	*Server
	roots *x509.CertPool
}

// newTestServer starts a server on loopback with UDP, TCP and TLS and lets
// modify adjust the options first.
func newTestServer(t *testing.T, modify func(*Options)) *testServer {
	t.Helper()
	cert, roots := testCert(t)
	o := Options{
		Realm:              "housecall.test",
		Secret:             testSecret,
		UDPAddr:            "127.0.0.1:0",
		TCPAddr:            "127.0.0.1:0",
		TLSAddr:            "127.0.0.1:0",
		TLSConfig:          &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		AllowLoopbackPeers: true,
	}
	if modify != nil {
		modify(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testServer{Server: s, roots: roots}
}

// dialClient connects a pion TURN client to the server over transport
// ("udp", "tcp" or "tls").
func dialClient(t *testing.T, s *testServer, transport, username, password string) *pionturn.Client {
	t.Helper()
	var (
		conn net.PacketConn
		addr string
	)
	switch transport {
	case "udp":
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn, addr = pc, s.UDPAddr().String()
	case "tcp":
		addr = s.TCPAddr().String()
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conn = pionturn.NewSTUNConn(c)
	case "tls":
		addr = s.TLSAddr().String()
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr,
			&tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12})
		if err != nil {
			t.Fatal(err)
		}
		conn = pionturn.NewSTUNConn(c)
	default:
		t.Fatalf("unknown transport %q", transport)
	}
	client, err := pionturn.NewClient(&pionturn.ClientConfig{
		STUNServerAddr: addr,
		TURNServerAddr: addr,
		Conn:           conn,
		Username:       username,
		Password:       password,
		LoggerFactory:  pionlog.Factory{Log: slog.New(slog.DiscardHandler)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.Close()
		_ = conn.Close()
	})
	return client
}

// validCreds issues credentials for userID from the shared test secret.
func validCreds(userID string) (string, string) {
	return Credentials(testSecret, userID, time.Hour, time.Now())
}

// readWithin reads one datagram or fails the test after d.
func readWithin(t *testing.T, pc net.PacketConn, d time.Duration) ([]byte, net.Addr) {
	t.Helper()
	if err := pc.SetReadDeadline(time.Now().Add(d)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, from, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return buf[:n], from
}

// waitFor polls cond until it holds or fails the test after two seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer safe for the server's concurrent logging.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
