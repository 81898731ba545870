package turn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRelayToPlainPeer(t *testing.T) {
	for _, transport := range []string{"udp", "tcp", "tls"} {
		t.Run(transport, func(t *testing.T) {
			s := newTestServer(t, nil)
			user, pass := validCreds("Practitioner/" + transport)
			client := dialClient(t, s, transport, user, pass)

			if transport == "udp" {
				mapped, err := client.SendBindingRequest()
				if err != nil {
					t.Fatalf("STUN binding: %v", err)
				}
				if ip := mapped.(*net.UDPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
					t.Fatalf("mapped address %v", mapped)
				}
			}

			relay, err := client.Allocate()
			if err != nil {
				t.Fatalf("Allocate: %v", err)
			}
			defer relay.Close()
			relayAddr := relay.LocalAddr().(*net.UDPAddr)
			if !relayAddr.IP.Equal(net.IPv4(127, 0, 0, 1)) || relayAddr.Port == 0 {
				t.Fatalf("relayed address %v", relayAddr)
			}

			peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()

			if _, err := relay.WriteTo([]byte("hello peer"), peer.LocalAddr()); err != nil {
				t.Fatalf("relay write: %v", err)
			}
			got, from := readWithin(t, peer, 2*time.Second)
			if string(got) != "hello peer" {
				t.Fatalf("peer got %q", got)
			}
			if from.(*net.UDPAddr).Port != relayAddr.Port {
				t.Fatalf("peer got data from %v, want the relay %v", from, relayAddr)
			}

			if _, err := peer.WriteTo([]byte("hello client"), from); err != nil {
				t.Fatal(err)
			}
			got, from = readWithin(t, relay, 2*time.Second)
			if string(got) != "hello client" || from.String() != peer.LocalAddr().String() {
				t.Fatalf("client got %q from %v", got, from)
			}

			// The server counts after its write returns, which may be after
			// the peer has read the datagram.
			waitFor(t, "relayed bytes to be counted", func() bool {
				st := s.Stats()
				return st.BytesToPeers != 0 && st.BytesFromPeers != 0
			})
			st := s.Stats()
			if st.ActiveAllocations != 1 || st.AllocationsTotal != 1 {
				t.Errorf("allocations: active %d, total %d; want 1, 1", st.ActiveAllocations, st.AllocationsTotal)
			}
			if st.BytesToPeers != uint64(len("hello peer")) || st.BytesFromPeers != uint64(len("hello client")) {
				t.Errorf("bytes: to peers %d, from peers %d", st.BytesToPeers, st.BytesFromPeers)
			}
			if st.BytesRelayed() != st.BytesToPeers+st.BytesFromPeers || st.AuthFailures != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestRelayBetweenClients relays between two clients' relayed addresses,
// the path two browsers behind symmetric NATs use.
func TestRelayBetweenClients(t *testing.T) {
	pairs := [][2]string{{"udp", "tcp"}, {"tls", "udp"}}
	for _, p := range pairs {
		t.Run(p[0]+"-"+p[1], func(t *testing.T) {
			s := newTestServer(t, nil)
			ua, pa := validCreds("alice")
			ub, pb := validCreds("bob")
			relayA, err := dialClient(t, s, p[0], ua, pa).Allocate()
			if err != nil {
				t.Fatalf("Allocate A: %v", err)
			}
			defer relayA.Close()
			relayB, err := dialClient(t, s, p[1], ub, pb).Allocate()
			if err != nil {
				t.Fatalf("Allocate B: %v", err)
			}
			defer relayB.Close()

			// B opens its permission for A first; A's datagrams are then
			// accepted by B's relay.
			if _, err := relayB.WriteTo([]byte("open"), relayA.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			payload := []byte("media over two relays")
			var got []byte
			for attempt := 0; attempt < 10 && got == nil; attempt++ {
				if _, err := relayA.WriteTo(payload, relayB.LocalAddr()); err != nil {
					t.Fatal(err)
				}
				_ = relayB.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				buf := make([]byte, 1500)
				n, from, err := relayB.ReadFrom(buf)
				if err == nil && from.String() == relayA.LocalAddr().String() {
					got = buf[:n]
				}
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("B received %q, want %q", got, payload)
			}
			waitFor(t, "relayed bytes to be counted", func() bool { return s.Stats().BytesToPeers != 0 })
			if st := s.Stats(); st.ActiveAllocations != 2 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestAuthRefused(t *testing.T) {
	now := time.Unix(1700000000, 0)
	valid, validPass := Credentials(testSecret, "Practitioner/1", time.Hour, now)
	expired, expiredPass := Credentials(testSecret, "Practitioner/1", -time.Second, now)
	foreign, foreignPass := Credentials([]byte("another-secret"), "Practitioner/1", time.Hour, now)
	tests := []struct {
		name      string
		user      string
		pass      string
		transport string
		wantOK    bool
	}{
		{"valid udp", valid, validPass, "udp", true},
		{"valid tcp", valid, validPass, "tcp", true},
		{"expired", expired, expiredPass, "udp", false},
		{"expired tcp", expired, expiredPass, "tcp", false},
		{"wrong password", valid, "d3JvbmcgcGFzc3dvcmQ=", "udp", false},
		{"wrong password tcp", valid, "d3JvbmcgcGFzc3dvcmQ=", "tcp", false},
		{"signed with another secret", foreign, foreignPass, "udp", false},
		{"password of another username", valid, expiredPass, "udp", false},
		{"not a REST username", "alice", Password(testSecret, "alice"), "udp", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, func(o *Options) { o.Now = func() time.Time { return now } })
			relay, err := dialClient(t, s, tc.transport, tc.user, tc.pass).Allocate()
			st := s.Stats()
			if tc.wantOK {
				if err != nil {
					t.Fatalf("Allocate: %v", err)
				}
				relay.Close()
				if st.AuthFailures != 0 || st.AllocationsTotal != 1 {
					t.Fatalf("stats %+v", st)
				}
				return
			}
			if err == nil {
				relay.Close()
				t.Fatal("Allocate succeeded with bad credentials")
			}
			if st.AuthFailures != 1 || st.ActiveAllocations != 0 || st.AllocationsTotal != 0 {
				t.Fatalf("stats %+v; want one auth failure and no allocation", st)
			}
		})
	}
}

// TestExpiryUsesClock: the server's clock, not the client's, decides.
func TestExpiryUsesClock(t *testing.T) {
	issued := time.Unix(1700000000, 0)
	user, pass := Credentials(testSecret, "u", time.Minute, issued)
	tests := []struct {
		name   string
		now    time.Time
		wantOK bool
	}{
		{"before expiry", issued.Add(59 * time.Second), true},
		{"after expiry", issued.Add(61 * time.Second), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, func(o *Options) { o.Now = func() time.Time { return tc.now } })
			relay, err := dialClient(t, s, "udp", user, pass).Allocate()
			if (err == nil) != tc.wantOK {
				t.Fatalf("Allocate err = %v, want ok=%v", err, tc.wantOK)
			}
			if err == nil {
				relay.Close()
			}
		})
	}
}

func TestDeniedPeers(t *testing.T) {
	_, loop, _ := net.ParseCIDR("127.0.0.0/8")
	tests := []struct {
		name   string
		modify func(*Options)
		peer   net.IP
		wantOK bool
	}{
		{"loopback denied by default", func(o *Options) { o.AllowLoopbackPeers = false }, net.IPv4(127, 0, 0, 1), false},
		{"private denied", func(o *Options) { o.AllowLoopbackPeers = false }, net.IPv4(10, 0, 0, 1), false},
		{"metadata denied", func(o *Options) { o.AllowLoopbackPeers = false }, net.IPv4(169, 254, 169, 254), false},
		{"private denied in tests too", nil, net.IPv4(192, 168, 1, 10), false},
		{"public allowed", func(o *Options) { o.AllowLoopbackPeers = false }, net.IPv4(93, 184, 216, 34), true},
		{"loopback allowed in tests", nil, net.IPv4(127, 0, 0, 1), true},
		{"allow list exception", func(o *Options) {
			o.AllowLoopbackPeers = false
			o.AllowPeers = []net.IPNet{*loop}
		}, net.IPv4(127, 0, 0, 1), true},
	}
	for _, tc := range tests {
		for _, transport := range []string{"udp", "tcp"} {
			t.Run(tc.name+"/"+transport, func(t *testing.T) {
				s := newTestServer(t, tc.modify)
				user, pass := validCreds("u")
				client := dialClient(t, s, transport, user, pass)
				relay, err := client.Allocate()
				if err != nil {
					t.Fatalf("Allocate: %v", err)
				}
				defer relay.Close()
				err = client.CreatePermission(&net.UDPAddr{IP: tc.peer, Port: 5000})
				if (err == nil) != tc.wantOK {
					t.Fatalf("CreatePermission(%v) err = %v, want ok=%v", tc.peer, err, tc.wantOK)
				}
				wantDenied := uint64(0)
				if !tc.wantOK {
					wantDenied = 1
				}
				if got := s.Stats().PeersDenied; got != wantDenied {
					t.Fatalf("PeersDenied = %d, want %d", got, wantDenied)
				}
			})
		}
	}
}

// TestDeniedPeerGetsNoData: with the default filter a client cannot make
// the relay send to a service on the server's loopback.
func TestDeniedPeerGetsNoData(t *testing.T) {
	s := newTestServer(t, func(o *Options) { o.AllowLoopbackPeers = false })
	victim, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	user, pass := validCreds("u")
	relay, err := dialClient(t, s, "udp", user, pass).Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	_, _ = relay.WriteTo([]byte("attack"), victim.LocalAddr())
	_ = victim.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, _, err := victim.ReadFrom(make([]byte, 100)); err == nil {
		t.Fatalf("loopback service received %d bytes through the relay", n)
	}
	if st := s.Stats(); st.BytesToPeers != 0 || st.PeersDenied == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAllocationQuota(t *testing.T) {
	s := newTestServer(t, func(o *Options) { o.MaxAllocationsPerUser = 1 })
	user, pass := validCreds("Patient/1")

	first, err := dialClient(t, s, "udp", user, pass).Allocate()
	if err != nil {
		t.Fatalf("first Allocate: %v", err)
	}
	if second, err := dialClient(t, s, "tcp", user, pass).Allocate(); err == nil {
		second.Close()
		t.Fatal("second allocation for the same user was accepted")
	}
	if got := s.Stats().QuotaRejections; got != 1 {
		t.Fatalf("QuotaRejections = %d, want 1", got)
	}
	otherUser, otherPass := validCreds("Practitioner/2")
	other, err := dialClient(t, s, "udp", otherUser, otherPass).Allocate()
	if err != nil {
		t.Fatalf("another user's Allocate: %v", err)
	}
	defer other.Close()

	// Releasing the first allocation frees the user's slot.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the allocation to be released", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.perUser["Patient/1"] == 0 && s.Stats().ActiveAllocations == 1
	})
	third, err := dialClient(t, s, "udp", user, pass).Allocate()
	if err != nil {
		t.Fatalf("Allocate after release: %v", err)
	}
	third.Close()
}

func TestRelayPortRangeAndPublicIP(t *testing.T) {
	const minPort, maxPort = 49152 + 3478, 49152 + 3488
	s := newTestServer(t, func(o *Options) {
		o.PublicIP = net.ParseIP("203.0.113.7")
		o.RelayPortMin, o.RelayPortMax = minPort, maxPort
	})
	for i := 0; i < 3; i++ {
		user, pass := validCreds(fmt.Sprintf("u%d", i))
		relay, err := dialClient(t, s, "udp", user, pass).Allocate()
		if err != nil {
			t.Fatalf("Allocate: %v", err)
		}
		defer relay.Close()
		addr := relay.LocalAddr().(*net.UDPAddr)
		if !addr.IP.Equal(net.ParseIP("203.0.113.7")) {
			t.Fatalf("relay advertised %v, want the public IP", addr.IP)
		}
		if addr.Port < minPort || addr.Port > maxPort {
			t.Fatalf("relay port %d outside %d-%d", addr.Port, minPort, maxPort)
		}
	}
}

// TestTCPRelayRefused: RFC 6062 TCP relays are not offered.
func TestTCPRelayRefused(t *testing.T) {
	s := newTestServer(t, nil)
	user, pass := validCreds("u")
	if alloc, err := dialClient(t, s, "tcp", user, pass).AllocateTCP(); err == nil {
		_ = alloc.Close()
		t.Fatal("TCP relay allocation accepted")
	}
	if got := s.Stats().ActiveAllocations; got != 0 {
		t.Fatalf("ActiveAllocations = %d", got)
	}
}

func TestCloseEndsSessions(t *testing.T) {
	s := newTestServer(t, nil)
	conn, err := net.DialTimeout("tcp", s.TCPAddr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitFor(t, "the connection to be accepted", func() bool {
		ln := s.tcpLn.(*trackingListener)
		ln.mu.Lock()
		defer ln.mu.Unlock()
		return len(ln.conns) == 1
	})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read after Close = %v, want EOF", err)
	}
	if _, err := net.DialTimeout("tcp", s.TCPAddr().String(), time.Second); err == nil {
		t.Fatal("server still accepts after Close")
	}
}

// TestLogsCarryNoCredentials: neither usernames nor passwords reach the
// log, even at debug level and on failures.
func TestLogsCarryNoCredentials(t *testing.T) {
	var buf lockedBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	now := time.Unix(1700000000, 0)
	s := newTestServer(t, func(o *Options) {
		o.Logger = logger
		o.Now = func() time.Time { return now }
		o.AllowLoopbackPeers = false
	})
	good, goodPass := Credentials(testSecret, "Practitioner/secret-id", time.Hour, now)
	expired, expiredPass := Credentials(testSecret, "Practitioner/expired-id", -time.Hour, now)
	client := dialClient(t, s, "udp", good, goodPass)
	relay, err := client.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	_ = client.CreatePermission(&net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 1})
	relay.Close()
	if _, err := dialClient(t, s, "udp", good, "wrong-password").Allocate(); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, err := dialClient(t, s, "tcp", expired, expiredPass).Allocate(); err == nil {
		t.Fatal("expired credentials accepted")
	}
	logs := buf.String()
	for _, want := range []string{"integrity check failed", "expired credentials", "peer denied", "allocation created"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{goodPass, expiredPass, "wrong-password", string(testSecret), "secret-id", "expired-id", good, expired} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains credential material %q", secret)
		}
	}
}

// TestExpiryAppliesToEveryRequest: like coturn, credentials are checked on
// every authenticated request, so an allocation cannot be extended (or get
// new permissions) once its credentials have expired. The credential TTL
// must therefore outlast the visit.
func TestExpiryAppliesToEveryRequest(t *testing.T) {
	issued := time.Unix(1700000000, 0)
	var clock atomic.Int64
	clock.Store(issued.Unix())
	s := newTestServer(t, func(o *Options) { o.Now = func() time.Time { return time.Unix(clock.Load(), 0) } })
	user, pass := Credentials(testSecret, "u", time.Minute, issued)
	client := dialClient(t, s, "udp", user, pass)
	relay, err := client.Allocate()
	if err != nil {
		t.Fatalf("Allocate: %v", err)
	}
	defer relay.Close()
	peer := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000}
	if err := client.CreatePermission(peer); err != nil {
		t.Fatalf("CreatePermission before expiry: %v", err)
	}
	clock.Store(issued.Add(2 * time.Minute).Unix())
	if err := client.CreatePermission(peer); err == nil {
		t.Fatal("CreatePermission accepted after the credentials expired")
	}
	if got := s.Stats().AuthFailures; got != 1 {
		t.Fatalf("AuthFailures = %d, want 1", got)
	}
}
