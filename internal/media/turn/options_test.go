package turn

import (
	"crypto/tls"
	"errors"
	"net"
	"testing"
)

func TestOptionsValidation(t *testing.T) {
	base := func() Options {
		return Options{Realm: "r", Secret: []byte("s"), UDPAddr: "127.0.0.1:0"}
	}
	tests := []struct {
		name   string
		modify func(*Options)
	}{
		{"no realm", func(o *Options) { o.Realm = "" }},
		{"no secret", func(o *Options) { o.Secret = nil }},
		{"no listener", func(o *Options) { o.UDPAddr = "" }},
		{"tls without config", func(o *Options) { o.TLSAddr = "127.0.0.1:0" }},
		{"tls without certificate", func(o *Options) { o.TLSAddr = "127.0.0.1:0"; o.TLSConfig = &tls.Config{} }},
		{"only min port", func(o *Options) { o.RelayPortMin = 50000 }},
		{"only max port", func(o *Options) { o.RelayPortMax = 50000 }},
		{"inverted range", func(o *Options) { o.RelayPortMin, o.RelayPortMax = 50010, 50000 }},
		{"host name", func(o *Options) { o.UDPAddr = "localhost:3478" }},
		{"no port", func(o *Options) { o.UDPAddr = "127.0.0.1" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			tc.modify(&o)
			s, err := New(o)
			if err == nil {
				_ = s.Close()
				t.Fatal("New accepted invalid options")
			}
			if !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("err = %v, want ErrInvalidOptions", err)
			}
		})
	}
}

func TestOptionsPublicIPDefault(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		wantIP   string
		wantBind string
	}{
		{"listen ip", Options{UDPAddr: "127.0.0.2:3478"}, "127.0.0.2", "127.0.0.2"},
		{"wildcard", Options{UDPAddr: ":3478"}, "127.0.0.1", "0.0.0.0"},
		{"tcp only", Options{TCPAddr: "127.0.0.3:3478"}, "127.0.0.3", "127.0.0.3"},
		{"explicit", Options{UDPAddr: ":3478", PublicIP: net.ParseIP("203.0.113.7")}, "203.0.113.7", "0.0.0.0"},
		{"explicit v6", Options{UDPAddr: ":3478", PublicIP: net.ParseIP("2001:db8::7")}, "2001:db8::7", "::"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Realm, tc.opts.Secret = "r", []byte("s")
			o, err := tc.opts.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			if o.PublicIP.String() != tc.wantIP {
				t.Errorf("PublicIP = %s, want %s", o.PublicIP, tc.wantIP)
			}
			if got := o.relayBindAddress(); got != tc.wantBind {
				t.Errorf("relay bind = %s, want %s", got, tc.wantBind)
			}
			if o.MaxAllocationsPerUser != DefaultMaxAllocationsPerUser || o.Now == nil || o.Logger == nil {
				t.Errorf("defaults not applied: %+v", o)
			}
		})
	}
}

func TestPeerFilter(t *testing.T) {
	_, sfuNet, _ := net.ParseCIDR("10.1.2.3/32")
	tests := []struct {
		name string
		opts Options
		peer string
		want bool
	}{
		{"public v4", Options{}, "93.184.216.34", true},
		{"public v6", Options{}, "2606:4700::1111", true},
		{"loopback", Options{}, "127.0.0.1", false},
		{"loopback high", Options{}, "127.255.0.9", false},
		{"mapped loopback", Options{}, "::ffff:127.0.0.1", false},
		{"unspecified", Options{}, "0.0.0.0", false},
		{"rfc1918 10", Options{}, "10.0.0.5", false},
		{"rfc1918 172", Options{}, "172.20.1.1", false},
		{"rfc1918 192", Options{}, "192.168.1.1", false},
		{"cgnat", Options{}, "100.64.0.1", false},
		{"metadata", Options{}, "169.254.169.254", false},
		{"multicast", Options{}, "239.1.1.1", false},
		{"broadcast", Options{}, "255.255.255.255", false},
		{"v6 loopback", Options{}, "::1", false},
		{"v6 unspecified", Options{}, "::", false},
		{"v6 ula", Options{}, "fd00::1", false},
		{"v6 link-local", Options{}, "fe80::1", false},
		{"loopback allowed in tests", Options{AllowLoopbackPeers: true}, "127.0.0.1", true},
		{"v6 loopback allowed in tests", Options{AllowLoopbackPeers: true}, "::1", true},
		{"tests still deny private", Options{AllowLoopbackPeers: true}, "10.0.0.5", false},
		{"tests still deny unspecified", Options{AllowLoopbackPeers: true}, "0.0.0.0", false},
		{"allow exception", Options{AllowPeers: []net.IPNet{*sfuNet}}, "10.1.2.3", true},
		{"exception is narrow", Options{AllowPeers: []net.IPNet{*sfuNet}}, "10.1.2.4", false},
		{"empty deny list", Options{DenyPeers: []net.IPNet{}}, "127.0.0.1", true},
		{"custom deny list", Options{DenyPeers: []net.IPNet{*sfuNet}}, "10.1.2.3", false},
		{"custom deny list replaces defaults", Options{DenyPeers: []net.IPNet{*sfuNet}}, "192.168.1.1", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := newPeerFilter(tc.opts).allowed(net.ParseIP(tc.peer)); got != tc.want {
				t.Fatalf("allowed(%s) = %v, want %v", tc.peer, got, tc.want)
			}
		})
	}
	if newPeerFilter(Options{}).allowed(nil) {
		t.Fatal("nil peer IP allowed")
	}
}

func TestRelaySocketRefusesDeniedPeer(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c := &counters{}
	conn := &countingConn{PacketConn: pc, peers: newPeerFilter(Options{}), counters: c}
	n, err := conn.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(169, 254, 169, 254), Port: 80})
	if !errors.Is(err, ErrPeerDenied) || n != 0 {
		t.Fatalf("WriteTo denied peer = %d, %v; want 0, ErrPeerDenied", n, err)
	}
	if c.peersDenied.Load() != 1 || c.bytesToPeers.Load() != 0 {
		t.Fatalf("counters: denied %d, bytes %d", c.peersDenied.Load(), c.bytesToPeers.Load())
	}
}
