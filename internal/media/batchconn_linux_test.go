package media

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// The batched socket sends groups of equal-sized datagrams to one address
// with segmentation offload; every datagram must arrive intact and in order.
func TestBatchConnSegmentsFrames(t *testing.T) {
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	raw := listen()
	pc, err := newBatchConn(raw)
	if err != nil {
		t.Fatal(err)
	}
	ds := pc.(directSocket)
	a, b := listen(), listen()
	type dgram struct {
		to   *net.UDPConn
		size int
	}
	// A frame of five full packets and a short one to a, interleaved audio
	// to b, then packets of rising size (which must not be grouped).
	plan := []dgram{{a, 1200}, {a, 1200}, {a, 1200}, {a, 1200}, {a, 1200}, {a, 700}, {b, 90},
		{a, 1200}, {b, 100}, {b, 100}, {a, 500}, {a, 600}, {a, 700}}
	want := map[*net.UDPConn][][]byte{}
	for i, d := range plan {
		p := bytes.Repeat([]byte{byte(i)}, d.size)
		want[d.to] = append(want[d.to], p)
		if _, err := ds.WriteToAddrPort(p, d.to.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*net.UDPConn{a, b} {
		buf := make([]byte, 2000)
		for i, w := range want[c] {
			n, _, err := c.ReadFromUDP(buf)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf[:n], w) {
				t.Fatalf("datagram %d: got %d bytes of %d, want %d bytes of %d", i, n, buf[0], len(w), w[0])
			}
		}
	}
	// The flusher counts after sendmmsg returns, which may be after the
	// datagrams were read.
	counts := pc.(interface{ socketCounts() *socketCounts }).socketCounts()
	eventually(t, 2*time.Second, "the datagrams counted", func() bool { return counts.writeDatagrams.Load() == uint64(len(plan)) })
	t.Logf("%d datagrams in %d system calls (segmentation offload: %v)", len(plan), counts.writeCalls.Load(), pc.(*batchConn).gso)
}
