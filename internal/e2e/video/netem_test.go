package video

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// How one participant loses its network for a few seconds, on a machine
// where everything runs on loopback: the browser's own network emulation
// (DevTools "offline") does not touch WebRTC's UDP sockets, and the
// participant cannot be moved to another network namespace without root.
// So that participant reaches the server only through two relays the test
// controls, and the outage switches both off:
//
//   - media: the SDK's forceRelay option (iceTransportPolicy "relay") makes
//     the browser send everything through TURN, and the TURN address in
//     its join answer is a UDP relay in front of the embedded TURN server;
//     while the link is down it drops every datagram both ways.
//   - signalling: the SignalingUrl in its join answer is a TCP relay in
//     front of /rtc; while the link is down it stalls both directions of
//     open connections (TCP keeps the bytes, as on a real lost link) and
//     holds new ones.
//
// The other participants connect directly, so their media keeps flowing
// and they see the lost participant go quiet and come back.

// link is the switchable network path of one participant.
type link struct {
	mu      sync.Mutex
	upAgain chan struct{} // closed when the link is up; nil while up
	dropped atomic.Int64
	stalled atomic.Int64
}

// fail takes the link down for d.
func (l *link) fail(d time.Duration) {
	l.mu.Lock()
	if l.upAgain == nil {
		ch := make(chan struct{})
		l.upAgain = ch
		time.AfterFunc(d, func() {
			l.mu.Lock()
			l.upAgain = nil
			l.mu.Unlock()
			close(ch)
		})
	}
	l.mu.Unlock()
}

func (l *link) down() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.upAgain
}

// wait blocks while the link is down.
func (l *link) wait() {
	if ch := l.down(); ch != nil {
		l.stalled.Add(1)
		<-ch
	}
}

// udpRelay forwards datagrams between clients and target, one upstream
// socket per client address (as a NAT would), unless the link is down.
type udpRelay struct {
	conn   *net.UDPConn
	target *net.UDPAddr
	l      *link
	mu     sync.Mutex
	peers  map[string]*net.UDPConn
}

func newUDPRelay(t *testing.T, target *net.UDPAddr, l *link) *udpRelay {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &udpRelay{conn: conn, target: target, l: l, peers: map[string]*net.UDPConn{}}
	t.Cleanup(r.close)
	go r.loop()
	return r
}

func (r *udpRelay) port() int { return r.conn.LocalAddr().(*net.UDPAddr).Port }

func (r *udpRelay) loop() {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if r.l.down() != nil {
			r.l.dropped.Add(1)
			continue
		}
		up, err := r.upstream(from)
		if err != nil {
			continue
		}
		_, _ = up.Write(buf[:n])
	}
}

func (r *udpRelay) upstream(client *net.UDPAddr) (*net.UDPConn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if up, ok := r.peers[client.String()]; ok {
		return up, nil
	}
	up, err := net.DialUDP("udp4", nil, r.target)
	if err != nil {
		return nil, err
	}
	r.peers[client.String()] = up
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := up.Read(buf)
			if err != nil {
				return
			}
			if r.l.down() != nil {
				r.l.dropped.Add(1)
				continue
			}
			_, _ = r.conn.WriteToUDP(buf[:n], client)
		}
	}()
	return up, nil
}

func (r *udpRelay) close() {
	_ = r.conn.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, up := range r.peers {
		_ = up.Close()
	}
}

// wsRelay passes WebSocket connections to target (the server's /rtc)
// through a link. It is an HTTP server so that the upgrade request reaches
// the server with the server's own Host, as the page's Origin expects.
type wsRelay struct {
	ts *httptest.Server
}

func newWSRelay(t *testing.T, targetURL string, l *link) *wsRelay {
	t.Helper()
	target := strings.TrimPrefix(targetURL, "http://")
	var conns sync.WaitGroup
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.wait() // a connection attempt during the outage hangs until it ends
		back, err := net.Dial("tcp", target)
		if err != nil {
			http.Error(w, "upstream down", http.StatusBadGateway)
			return
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			back.Close()
			http.Error(w, "no hijacking", http.StatusInternalServerError)
			return
		}
		client, rw, err := hj.Hijack()
		if err != nil {
			back.Close()
			return
		}
		r.Host = target
		r.URL.Host = target
		if err := r.Write(back); err != nil {
			client.Close()
			back.Close()
			return
		}
		conns.Add(2)
		go func() { defer conns.Done(); pipe(back, rw.Reader, l); closeWrite(back) }()
		go func() { defer conns.Done(); pipe(client, back, l); client.Close(); back.Close() }()
	})
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
	})
	return &wsRelay{ts: ts}
}

// URL is the ws:// address of /rtc through the relay.
func (r *wsRelay) URL() string { return "ws" + strings.TrimPrefix(r.ts.URL, "http") + "/rtc" }

// pipe copies src to dst, holding each chunk while the link is down.
func pipe(dst io.Writer, src io.Reader, l *link) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			l.wait()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}
