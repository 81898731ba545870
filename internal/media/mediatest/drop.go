package mediatest

import (
	"math/rand/v2"
	"net"
	"sync"
)

// lossyConn injects random RTP loss on a client's UDP socket, below SRTP,
// exactly where a real network loses packets (so a retransmission is not
// refused as an SRTP replay). STUN, DTLS and RTCP pass untouched
// (RFC 7983 demultiplexing: RTP and RTCP start with 128–191, RTCP packet
// types are 192–223).
type lossyConn struct {
	net.PacketConn
	in, out float64
	mu      sync.Mutex
	rng     *rand.Rand
	dropped int
	cut     bool
}

func (c *lossyConn) setCut(cut bool) {
	c.mu.Lock()
	c.cut = cut
	c.mu.Unlock()
}

func isRTP(b []byte) bool {
	return len(b) >= 12 && b[0] >= 128 && b[0] <= 191 && (b[1] < 192 || b[1] > 223)
}

func (c *lossyConn) drop(in bool, b []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return true // network gone: everything is lost, STUN included
	}
	rate := c.out
	if in {
		rate = c.in
	}
	if rate <= 0 || !isRTP(b) {
		return false
	}
	if c.rng.Float64() < rate {
		c.dropped++
		return true
	}
	return false
}

func (c *lossyConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.PacketConn.ReadFrom(b)
		if err != nil || !c.drop(true, b[:n]) {
			return n, a, err
		}
	}
}

func (c *lossyConn) WriteTo(b []byte, a net.Addr) (int, error) {
	if c.drop(false, b) {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, a)
}

func (c *lossyConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}
