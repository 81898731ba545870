package media

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batchConn is a shared ICE UDP socket with batched system calls.
//
// Reads: one recvmmsg(2) returns up to batchSize datagrams, which pion's
// UDP mux then takes one by one. Under load this replaces most per-packet
// recvfrom calls (and the EAGAIN/netpoll round trip after each). Only the
// mux's single reader goroutine reads, so the read batch needs no lock.
//
// Writes: datagrams are copied into a queue and a flusher goroutine sends
// whatever has accumulated with one sendmmsg(2). The flusher is woken when
// the queue becomes non-empty and runs as soon as the writing goroutine
// blocks, so a burst (a keyframe, a fan-out to several subscribers, the
// packets of one read batch) leaves in one call while an isolated packet
// waits only for a goroutine switch. UDP semantics are kept: a write never
// blocks the forwarder and a full queue drops, like a full socket buffer.
type batchConn struct {
	*net.UDPConn
	raw   syscall.RawConn
	msgs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrAny
	bufs  [][]byte
	n, i  int

	wmu    sync.Mutex
	wq     []queued
	spare  []queued
	free   [][]byte
	wake   chan struct{}
	closed chan struct{}
	once   sync.Once
	sendMu sync.Mutex // serialises flush: out, spare
	out    sendBatch
	// batching is set while the reader works through a read batch.
	batching atomic.Bool

	// Direct path (direct.go): remote address → peer whose SRTP packets
	// are decrypted and forwarded right here on the reader goroutine.
	routes cowMap[netip.AddrPort, *directPeer]
	plain  []byte                        // reader only: decrypted packet
	bySSRC func(ssrc uint32) *directPeer // set before the first read

	counts socketCounts
	gso    bool // UDP segmentation offload works on this socket; under sendMu
}

type queued struct {
	buf  []byte
	addr netip.AddrPort
}

type sendBatch struct {
	msgs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
	cmsgs [][]byte // one UDP_SEGMENT control message per msg
	segs  []int    // datagrams in each msg
	first []int    // queue index of each msg's first datagram
}

// maxSegments bounds the datagrams of one segmentation-offload send (the
// kernel's UDP_MAX_SEGMENTS) and maxGSOBytes its payload.
const (
	maxSegments = 64
	maxGSOBytes = 65000
)

const maxQueued = 4096

type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

const batchSize = 32

func newBatchConn(c *net.UDPConn) (net.PacketConn, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	b := &batchConn{
		UDPConn: c, raw: raw,
		msgs:   make([]mmsghdr, batchSize),
		iovs:   make([]unix.Iovec, batchSize),
		names:  make([]unix.RawSockaddrAny, batchSize),
		bufs:   make([][]byte, batchSize),
		wake:   make(chan struct{}, 1),
		closed: make(chan struct{}),
		plain:  make([]byte, 1500),
		out: sendBatch{
			msgs:  make([]mmsghdr, sendBatchSize),
			iovs:  make([]unix.Iovec, sendBatchSize),
			names: make([]unix.RawSockaddrInet6, sendBatchSize),
			cmsgs: make([][]byte, sendBatchSize),
			segs:  make([]int, sendBatchSize),
			first: make([]int, sendBatchSize),
		},
		gso: gsoSupported(raw),
	}
	for i := range b.out.msgs {
		b.out.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&b.out.names[i]))
		b.out.cmsgs[i] = make([]byte, unix.CmsgSpace(2))
	}
	for i := range b.msgs {
		b.bufs[i] = make([]byte, 1500)
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(len(b.bufs[i]))
		b.msgs[i].hdr.Iov = &b.iovs[i]
		b.msgs[i].hdr.SetIovlen(1)
		b.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
	}
	go b.flushLoop()
	return b, nil
}

const sendBatchSize = 64

// ReadFromAddrPort implements ice.AddrPortReaderWriter. Media from a peer
// on the direct path is handled here and never reaches pion.
func (b *batchConn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	for {
		if b.i >= b.n {
			b.batching.Store(false)
			b.flush()
			for b.i >= b.n {
				if err := b.fill(); err != nil {
					return 0, netip.AddrPort{}, err
				}
			}
			b.batching.Store(true)
		}
		m := &b.msgs[b.i]
		pkt := b.bufs[b.i][:m.len]
		addr := sockaddrToAddrPort(&b.names[b.i])
		b.i++
		if isRTP(pkt) && b.direct(pkt, addr) {
			continue
		}
		if isRTCP(pkt) && b.directRTCP(pkt, addr) {
			continue
		}
		return copy(p, pkt), addr, nil
	}
}

// direct offers an RTP packet to the direct path: first by the sender's
// address, else by its SSRC — a peer may send from another address than
// its selected pair's (a second host address, a new relay after a network
// change); a packet that authenticates with that stream's keys teaches the
// socket the address.
func (b *batchConn) direct(pkt []byte, addr netip.AddrPort) bool {
	if dp := b.routes.get(addr); dp != nil {
		return dp.receive(pkt, b.plain, false)
	}
	if b.bySSRC == nil {
		return false
	}
	dp := b.bySSRC(binary.BigEndian.Uint32(pkt[8:12]))
	if dp == nil || !dp.receive(pkt, b.plain, true) {
		return false
	}
	dp.learnRoute(b, addr)
	return true
}

// directRTCP offers an RTCP packet from a peer on the direct path.
func (b *batchConn) directRTCP(pkt []byte, addr netip.AddrPort) bool {
	if dp := b.routes.get(addr); dp != nil {
		return dp.receiveRTCP(pkt, b.plain)
	}
	return false
}

// setLookup installs the SSRC lookup; before the socket is first read.
func (b *batchConn) setLookup(f func(uint32) *directPeer) { b.bySSRC = f }

// setRoute sends what arrives from addr to dp.
func (b *batchConn) setRoute(addr netip.AddrPort, dp *directPeer) { b.routes.set(addr, dp) }

// dropRoute gives addr back to pion, unless another peer has taken it since.
func (b *batchConn) dropRoute(addr netip.AddrPort, dp *directPeer) { b.routes.deleteIf(addr, dp) }

func (b *batchConn) fill() error {
	for i := range b.msgs {
		b.msgs[i].hdr.Namelen = uint32(unsafe.Sizeof(b.names[i]))
		b.msgs[i].len = 0
	}
	var (
		n     uintptr
		errno syscall.Errno
	)
	err := b.raw.Read(func(fd uintptr) bool {
		n, _, errno = unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.msgs[0])), uintptr(len(b.msgs)), 0, 0, 0)
		return errno != unix.EAGAIN
	})
	if err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	b.n, b.i = int(n), 0
	b.counts.readCalls.Add(1)
	b.counts.readDatagrams.Add(uint64(n))
	return nil
}

// WriteToAddrPort implements ice.AddrPortReaderWriter: it queues.
func (b *batchConn) WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	b.wmu.Lock()
	if len(b.wq) >= maxQueued {
		b.wmu.Unlock()
		return len(p), nil
	}
	var buf []byte
	if n := len(b.free); n > 0 {
		buf, b.free = b.free[n-1], b.free[:n-1]
	} else {
		buf = make([]byte, 0, 1500)
	}
	b.wq = append(b.wq, queued{buf: append(buf[:0], p...), addr: addr})
	first := len(b.wq) == 1
	b.wmu.Unlock()
	// While the reader is working through a batch it flushes at the end of
	// it; otherwise the flusher goroutine is woken.
	if first && !b.batching.Load() {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// WriteTo serves net.PacketConn users.
func (b *batchConn) WriteTo(p []byte, a net.Addr) (int, error) {
	ua, ok := a.(*net.UDPAddr)
	if !ok {
		return 0, net.InvalidAddrError("not a UDP address")
	}
	return b.WriteToAddrPort(p, ua.AddrPort())
}

func (b *batchConn) flushLoop() {
	for {
		select {
		case <-b.wake:
		case <-b.closed:
			return
		}
		b.flush()
	}
}

// flush sends everything queued. The flusher goroutine calls it when woken,
// and the reader at the end of each read batch: what the direct path
// forwarded from that batch then leaves without a goroutine switch.
func (b *batchConn) flush() {
	b.sendMu.Lock()
	defer b.sendMu.Unlock()
	for {
		b.wmu.Lock()
		q := b.wq
		b.wq, b.spare = b.spare[:0], nil // two arrays alternate; never share one
		b.wmu.Unlock()
		if len(q) == 0 {
			return
		}
		for off := 0; off < len(q); off += sendBatchSize {
			b.send(q[off:min(off+sendBatchSize, len(q))])
		}
		b.wmu.Lock()
		for i := range q {
			b.free = append(b.free, q[i].buf)
			q[i] = queued{}
		}
		b.spare = q[:0]
		b.wmu.Unlock()
	}
}

// send writes up to sendBatchSize datagrams; errors are dropped, as UDP
// errors would be.
//
// With UDP segmentation offload (Linux 4.18+), consecutive datagrams to the
// same address that are all of one size except a shorter last one — the
// packets of one video frame — leave as one message: the kernel runs its
// UDP/IP send path and wakes the receiver once for the whole group, and a
// NIC that offloads segmentation cuts them up in hardware.
func (b *batchConn) send(q []queued) {
	o := &b.out
	nm := 0
	for i := 0; i < len(q); nm++ {
		j := i + 1
		if b.gso {
			size, total := len(q[i].buf), len(q[i].buf)
			for j < len(q) && j-i < maxSegments && q[j].addr == q[i].addr &&
				len(q[j-1].buf) == size && len(q[j].buf) <= size && total+len(q[j].buf) <= maxGSOBytes {
				total += len(q[j].buf)
				j++
			}
		}
		for k := i; k < j; k++ {
			o.iovs[k].Base = unsafe.SliceData(q[k].buf)
			o.iovs[k].SetLen(len(q[k].buf))
		}
		m := &o.msgs[nm]
		m.hdr.Iov = &o.iovs[i]
		m.hdr.SetIovlen(j - i)
		m.hdr.Namelen = addrPortToSockaddr(q[i].addr, &o.names[nm])
		m.len = 0
		if j-i > 1 {
			c := o.cmsgs[nm]
			h := (*unix.Cmsghdr)(unsafe.Pointer(&c[0]))
			h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
			h.SetLen(unix.CmsgLen(2))
			*(*uint16)(unsafe.Pointer(&c[unix.CmsgLen(0)])) = uint16(len(q[i].buf))
			m.hdr.Control = &c[0]
			m.hdr.SetControllen(len(c))
		} else {
			m.hdr.Control = nil
			m.hdr.SetControllen(0)
		}
		o.segs[nm], o.first[nm] = j-i, i
		i = j
	}
	for sent := 0; sent < nm; {
		var (
			n     uintptr
			errno syscall.Errno
		)
		err := b.raw.Write(func(fd uintptr) bool {
			n, _, errno = unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&o.msgs[sent])), uintptr(nm-sent), 0, 0, 0)
			return errno != unix.EAGAIN
		})
		if err != nil {
			return
		}
		b.counts.writeCalls.Add(1)
		if errno != 0 {
			if o.segs[sent] > 1 && (errno == unix.EIO || errno == unix.EINVAL || errno == unix.EOPNOTSUPP) {
				// The device cannot segment (some drivers without checksum
				// offload): send the rest one by one from now on.
				b.gso = false
				b.send(q[o.first[sent]:])
				return
			}
			sent++ // skip the message the kernel refused
			continue
		}
		for k := sent; k < sent+int(n); k++ {
			b.counts.writeDatagrams.Add(uint64(o.segs[k]))
		}
		sent += int(n)
	}
}

// gsoSupported reports whether the kernel knows UDP_SEGMENT.
func gsoSupported(raw syscall.RawConn) bool {
	ok := false
	_ = raw.Control(func(fd uintptr) {
		_, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT)
		ok = err == nil
	})
	return ok
}

func (b *batchConn) socketCounts() *socketCounts { return &b.counts }

// Close stops the flusher and closes the socket.
func (b *batchConn) Close() error {
	b.once.Do(func() { close(b.closed) })
	return b.UDPConn.Close()
}

// addrPortToSockaddr fills sa (a sockaddr_in or sockaddr_in6) and returns its length.
func addrPortToSockaddr(a netip.AddrPort, sa *unix.RawSockaddrInet6) uint32 {
	ip := a.Addr()
	port := a.Port()
	if ip.Is4() || ip.Is4In6() {
		s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		s4.Family = unix.AF_INET
		p := (*[2]byte)(unsafe.Pointer(&s4.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		s4.Addr = ip.Unmap().As4()
		return uint32(unsafe.Sizeof(*s4))
	}
	sa.Family = unix.AF_INET6
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	sa.Addr = ip.As16()
	sa.Scope_id = 0
	return uint32(unsafe.Sizeof(*sa))
}

// ReadFrom serves net.PacketConn users other than the mux (none today).
func (b *batchConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, a, err := b.ReadFromAddrPort(p)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(a), nil
}

func sockaddrToAddrPort(sa *unix.RawSockaddrAny) netip.AddrPort {
	switch sa.Addr.Family {
	case unix.AF_INET:
		s := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		port := (*[2]byte)(unsafe.Pointer(&s.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(s.Addr), uint16(port[0])<<8|uint16(port[1]))
	case unix.AF_INET6:
		s := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		port := (*[2]byte)(unsafe.Pointer(&s.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(s.Addr).Unmap(), uint16(port[0])<<8|uint16(port[1]))
	}
	return netip.AddrPort{}
}
