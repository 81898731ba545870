package media

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestSocketsOpenAndClose(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"loopback with ICE-TCP", Options{Loopback: true, TCPPort: freeTCPPort(t)}},
		{"every interface, NAT 1:1", Options{PublicIPs: []string{"203.0.113.9"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.opts)
			if errors.Is(err, ErrBadOptions) && !tt.opts.Loopback {
				t.Skipf("no global unicast address on this machine: %v", err)
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			addrs := s.ICEAddrs()
			if len(addrs) == 0 {
				t.Fatal("no ICE socket")
			}
			if tt.opts.Loopback && !strings.HasPrefix(addrs[0], "127.0.0.1:") {
				t.Fatalf("loopback server listens on %v", addrs)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal("second Close:", err)
			}
			if _, err := s.getRoom("x", true); !errors.Is(err, ErrClosed) {
				t.Fatalf("room after Close: %v", err)
			}
		})
	}
}
