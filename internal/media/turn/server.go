package turn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/housecall/housecall/internal/media/pionlog"
	"log/slog"
	"net"
	"sync"

	pionturn "github.com/pion/turn/v5"
)

// Server is the embedded TURN server. Create it with New, stop it with
// Close; it is safe for concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	peers    peerFilter
	counters counters
	pion     *pionturn.Server

	udpConn      net.PacketConn
	tcpLn, tlsLn net.Listener

	mu      sync.Mutex
	perUser map[string]int // live allocations by user id

	closeOnce sync.Once
	closeErr  error
}

// Stats is a snapshot of the server's counters, for /metrics.
type Stats struct {
	// ActiveAllocations is the number of live allocations.
	ActiveAllocations int
	// AllocationsTotal counts allocations created since start.
	AllocationsTotal uint64
	// BytesToPeers counts payload bytes relayed from clients to peers.
	BytesToPeers uint64
	// BytesFromPeers counts payload bytes received from peers on relay sockets.
	BytesFromPeers uint64
	// AuthFailures counts requests refused for malformed or expired
	// usernames or a failed MESSAGE-INTEGRITY check (wrong password or
	// secret).
	AuthFailures uint64
	// PeersDenied counts permissions, channel bindings and datagrams refused
	// because the peer is in a denied range.
	PeersDenied uint64
	// QuotaRejections counts allocations refused by MaxAllocationsPerUser.
	QuotaRejections uint64
}

// BytesRelayed is the total of both directions.
func (s Stats) BytesRelayed() uint64 { return s.BytesToPeers + s.BytesFromPeers }

// New listens on the configured addresses and starts serving TURN.
func New(opts Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, log: o.Logger, peers: newPeerFilter(o), perUser: map[string]int{}}
	if err := s.listen(); err != nil {
		s.closeListeners()
		return nil, err
	}

	relay := newRelayGenerator(o, s.peers, &s.counters)
	cfg := pionturn.ServerConfig{
		Realm:         o.Realm,
		AuthHandler:   s.authenticate,
		QuotaHandler:  s.quota,
		LoggerFactory: pionlog.Factory{Log: o.Logger},
		EventHandler: pionturn.EventHandler{
			OnAuth:              s.onAuth,
			OnAllocationCreated: s.onAllocationCreated,
			OnAllocationDeleted: s.onAllocationDeleted,
		},
	}
	if s.udpConn != nil {
		cfg.PacketConnConfigs = append(cfg.PacketConnConfigs, pionturn.PacketConnConfig{
			PacketConn: s.udpConn, RelayAddressGenerator: relay, PermissionHandler: s.permit,
		})
	}
	for _, ln := range []net.Listener{s.tcpLn, s.tlsLn} {
		if ln != nil {
			cfg.ListenerConfigs = append(cfg.ListenerConfigs, pionturn.ListenerConfig{
				Listener: ln, RelayAddressGenerator: relay, PermissionHandler: s.permit,
			})
		}
	}
	s.pion, err = pionturn.NewServer(cfg)
	if err != nil {
		s.closeListeners()
		return nil, fmt.Errorf("turn: start server: %w", err)
	}

	attrs := []any{"realm", o.Realm, "relay_ip", o.PublicIP.String()}
	if a := s.UDPAddr(); a != nil {
		attrs = append(attrs, "udp", a.String())
	}
	if a := s.TCPAddr(); a != nil {
		attrs = append(attrs, "tcp", a.String())
	}
	if a := s.TLSAddr(); a != nil {
		attrs = append(attrs, "tls", a.String())
	}
	if o.RelayPortMin != 0 {
		attrs = append(attrs, "relay_ports", fmt.Sprintf("%d-%d", o.RelayPortMin, o.RelayPortMax))
	}
	s.log.Info("turn: listening", attrs...)
	return s, nil
}

func (s *Server) listen() error {
	o := s.opts
	var err error
	if o.UDPAddr != "" {
		if s.udpConn, err = net.ListenPacket("udp", o.UDPAddr); err != nil { //nolint:noctx // long-lived listener.
			return fmt.Errorf("turn: listen udp %s: %w", o.UDPAddr, err)
		}
		if uc, ok := s.udpConn.(*net.UDPConn); ok {
			// One socket carries every client's media; a larger buffer
			// absorbs bursts. Best effort: the kernel may cap it.
			_ = uc.SetReadBuffer(4 << 20)
		}
	}
	if o.TCPAddr != "" {
		ln, err := net.Listen("tcp", o.TCPAddr) //nolint:noctx // long-lived listener.
		if err != nil {
			return fmt.Errorf("turn: listen tcp %s: %w", o.TCPAddr, err)
		}
		s.tcpLn = newTrackingListener(ln)
	}
	if o.TLSAddr != "" {
		ln, err := net.Listen("tcp", o.TLSAddr) //nolint:noctx // long-lived listener.
		if err != nil {
			return fmt.Errorf("turn: listen tls %s: %w", o.TLSAddr, err)
		}
		// Track the TCP connections beneath TLS: pion needs the *tls.Conn
		// the TLS listener returns to complete the handshake.
		s.tlsLn = tls.NewListener(newTrackingListener(ln), o.TLSConfig.Clone())
	}
	return nil
}

func (s *Server) closeListeners() {
	if s.udpConn != nil {
		_ = s.udpConn.Close()
	}
	for _, ln := range []net.Listener{s.tcpLn, s.tlsLn} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// Close stops listening and releases every allocation. Calling it again
// returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if err := s.pion.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("turn: close: %w", err)
		}
	})
	return s.closeErr
}

// UDPAddr is the UDP listen address, nil when UDP is off.
func (s *Server) UDPAddr() *net.UDPAddr {
	if s.udpConn == nil {
		return nil
	}
	a, _ := s.udpConn.LocalAddr().(*net.UDPAddr)
	return a
}

// TCPAddr is the TCP listen address, nil when TCP is off.
func (s *Server) TCPAddr() *net.TCPAddr { return listenerAddr(s.tcpLn) }

// TLSAddr is the TURNS listen address, nil when TLS is off.
func (s *Server) TLSAddr() *net.TCPAddr { return listenerAddr(s.tlsLn) }

func listenerAddr(ln net.Listener) *net.TCPAddr {
	if ln == nil {
		return nil
	}
	a, _ := ln.Addr().(*net.TCPAddr)
	return a
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	return Stats{
		ActiveAllocations: s.pion.AllocationCount(),
		AllocationsTotal:  s.counters.allocationsTotal.Load(),
		BytesToPeers:      s.counters.bytesToPeers.Load(),
		BytesFromPeers:    s.counters.bytesFromPeers.Load(),
		AuthFailures:      s.counters.authFailures.Load(),
		PeersDenied:       s.counters.peersDenied.Load(),
		QuotaRejections:   s.counters.quotaRejections.Load(),
	}
}

// authenticate is pion's AuthHandler: it checks the username's expiry and
// returns the long-term key derived from the recomputed REST password;
// pion then verifies MESSAGE-INTEGRITY with it in constant time. The realm
// is ours, not the client's, so a client that sends another realm fails
// the integrity check. Stateless, like coturn.
func (s *Server) authenticate(ra *pionturn.RequestAttributes) (userID string, key []byte, ok bool) {
	userID, _, err := CheckUsername(ra.Username, s.opts.Now())
	if err != nil {
		s.counters.authFailures.Add(1)
		reason := "malformed username"
		if errors.Is(err, ErrCredentialsExpired) {
			reason = "expired credentials"
		}
		s.log.Debug("turn: request refused", "reason", reason, "client", addrString(ra.SrcAddr))
		return "", nil, false
	}
	if userID == "" {
		// A bare-timestamp username: the credential itself is the identity
		// the allocation quota counts.
		userID = ra.Username
	}
	password := Password(s.opts.Secret, ra.Username)
	return userID, pionturn.GenerateAuthKey(ra.Username, s.opts.Realm, password), true
}

func (s *Server) onAuth(src, _ net.Addr, _, _, _, method string, verdict bool) {
	if !verdict {
		s.counters.authFailures.Add(1)
		s.log.Debug("turn: request refused", "reason", "integrity check failed",
			"method", method, "client", addrString(src))
	}
}

// quota refuses a new allocation when the user already holds
// MaxAllocationsPerUser. The check and the count update are separate pion
// callbacks, so concurrent requests over TCP may overshoot by a few.
func (s *Server) quota(userID, _ string, src net.Addr) bool {
	if s.opts.MaxAllocationsPerUser < 0 {
		return true
	}
	s.mu.Lock()
	n := s.perUser[userID]
	s.mu.Unlock()
	if n >= s.opts.MaxAllocationsPerUser {
		s.counters.quotaRejections.Add(1)
		s.log.Debug("turn: allocation quota reached", "client", addrString(src), "limit", s.opts.MaxAllocationsPerUser)
		return false
	}
	return true
}

func (s *Server) onAllocationCreated(src, _ net.Addr, protocol, userID, _ string, relay net.Addr, _ int) {
	s.counters.allocationsTotal.Add(1)
	s.mu.Lock()
	s.perUser[userID]++
	s.mu.Unlock()
	s.log.Debug("turn: allocation created", "client", addrString(src), "transport", protocol, "relay", addrString(relay))
}

func (s *Server) onAllocationDeleted(src, _ net.Addr, protocol, userID, _ string) {
	s.mu.Lock()
	if s.perUser[userID] <= 1 {
		delete(s.perUser, userID)
	} else {
		s.perUser[userID]--
	}
	s.mu.Unlock()
	s.log.Debug("turn: allocation deleted", "client", addrString(src), "transport", protocol)
}

// permit is pion's PermissionHandler for CreatePermission and ChannelBind.
func (s *Server) permit(client net.Addr, peer net.IP) bool {
	if s.peers.allowed(peer) {
		return true
	}
	s.counters.peersDenied.Add(1)
	s.log.Debug("turn: peer denied", "client", addrString(client), "peer", peer.String())
	return false
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
