//go:build !linux

package media

import "net"

// newBatchConn is the plain socket where recvmmsg(2) is not available.
func newBatchConn(c *net.UDPConn) (net.PacketConn, error) { return c, nil }
