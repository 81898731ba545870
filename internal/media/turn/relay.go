package turn

import (
	"fmt"
	"net"
	"sync/atomic"

	pionturn "github.com/pion/turn/v5"
)

// relayGenerator creates the UDP sockets allocations relay through. It wraps
// one of pion's generators to count relayed bytes and to refuse denied
// peers a second time at the socket, in case a code path of pion ever
// writes without a permission check.
type relayGenerator struct {
	inner    pionturn.RelayAddressGenerator
	peers    peerFilter
	counters *counters
}

func newRelayGenerator(o Options, peers peerFilter, c *counters) *relayGenerator {
	var inner pionturn.RelayAddressGenerator
	if o.RelayPortMin == 0 {
		inner = &pionturn.RelayAddressGeneratorStatic{RelayAddress: o.PublicIP, Address: o.relayBindAddress()}
	} else {
		inner = &pionturn.RelayAddressGeneratorPortRange{
			RelayAddress: o.PublicIP,
			Address:      o.relayBindAddress(),
			MinPort:      o.RelayPortMin,
			MaxPort:      o.RelayPortMax,
			// Random probing; a nearly full range needs more than pion's 10 tries.
			MaxRetries: 50,
		}
	}
	return &relayGenerator{inner: inner, peers: peers, counters: c}
}

func (g *relayGenerator) Validate() error {
	if err := g.inner.Validate(); err != nil {
		return fmt.Errorf("turn: relay address generator: %w", err)
	}
	return nil
}

func (g *relayGenerator) AllocatePacketConn(conf pionturn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	conn, addr, err := g.inner.AllocatePacketConn(conf)
	if err != nil {
		return nil, nil, fmt.Errorf("turn: allocate relay socket: %w", err)
	}
	return &countingConn{PacketConn: conn, peers: g.peers, counters: g.counters}, addr, nil
}

// AllocateListener refuses RFC 6062 TCP relays; see the package comment.
func (g *relayGenerator) AllocateListener(pionturn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, ErrTCPRelayUnsupported
}

// AllocateConn refuses RFC 6062 TCP relays; see the package comment.
func (g *relayGenerator) AllocateConn(pionturn.AllocateConnConfig) (net.Conn, error) {
	return nil, ErrTCPRelayUnsupported
}

// countingConn is a relay socket that counts the bytes it relays.
type countingConn struct {
	net.PacketConn
	peers    peerFilter
	counters *counters
}

// ReadFrom counts bytes arriving from peers. pion drops datagrams from
// peers without a permission after reading them, so this counts what
// reached the relay, a slight over-estimate of what was forwarded.
func (c *countingConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(p)
	if n > 0 {
		c.counters.bytesFromPeers.Add(uint64(n))
	}
	return n, addr, err
}

// WriteTo sends a client's datagram to a peer, unless the peer is denied.
func (c *countingConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if !c.peers.allowed(addrIP(addr)) {
		c.counters.peersDenied.Add(1)
		return 0, ErrPeerDenied
	}
	n, err := c.PacketConn.WriteTo(p, addr)
	if n > 0 {
		c.counters.bytesToPeers.Add(uint64(n))
	}
	return n, err
}

func addrIP(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.IP
	case *net.TCPAddr:
		return a.IP
	}
	return nil
}

// counters are the server's statistics, updated lock-free on the hot path.
type counters struct {
	allocationsTotal atomic.Uint64
	bytesToPeers     atomic.Uint64
	bytesFromPeers   atomic.Uint64
	authFailures     atomic.Uint64
	peersDenied      atomic.Uint64
	quotaRejections  atomic.Uint64
}
