package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

// The floor: what this machine's kernel charges per forwarded packet
// before any SFU work. A reflector process on the server's core echoes
// every UDP datagram back to its sender with recvmmsg/sendmmsg (batches of
// 32, no RTP, no SRTP), while the client process sends the same traffic
// as the two-party rooms of the main benchmark (2 × rooms sockets, each
// a 1.5 Mbit/s video frame every 1/24 s in 1,200-byte datagrams plus 50
// audio datagrams per second). CPU per echoed datagram is measured the
// same way as the SFU's per forwarded packet.

// runReflector is the "reflect" subcommand.
func runReflector(args []string) error {
	if len(args) == 1 {
		cpu, err := strconv.Atoi(args[0])
		if err != nil {
			return err
		}
		if err := pinSelf(cpu); err != nil {
			return err
		}
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	_ = conn.SetReadBuffer(4 << 20)
	_ = conn.SetWriteBuffer(4 << 20)
	fmt.Println(conn.LocalAddr().(*net.UDPAddr).Port)
	pc := ipv4.NewPacketConn(conn)
	in := make([]ipv4.Message, 32)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, 1500)}
	}
	out := make([]ipv4.Message, 32)
	for i := range out {
		out[i].Buffers = make([][]byte, 1)
	}
	for {
		n, err := pc.ReadBatch(in, 0)
		if err != nil {
			return err
		}
		for i := range n {
			out[i].Buffers[0] = in[i].Buffers[0][:in[i].N]
			out[i].Addr = in[i].Addr
		}
		for sent := 0; sent < n; {
			k, err := pc.WriteBatch(out[sent:n], 0)
			if err != nil {
				return err
			}
			sent += k
		}
	}
}

// processCPU reads a process's user+system CPU time from /proc.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ
}

type floorResult struct {
	echoRate, cpu, usPerPacket float64
}

// runFloor measures the reflector at each room count.
func runFloor(cfg config) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := pinSelf(cfg.clientCPU); err != nil {
		return err
	}
	fmt.Printf("floor: a UDP reflector (recvmmsg/sendmmsg, no RTP or SRTP) on core %d, the same datagram rates from core %d\n\n",
		cfg.serverCPU, cfg.clientCPU)
	fmt.Printf("%6s %12s %10s %8s\n", "rooms", "echo pkt/s", "CPU", "µs/pkt")
	for _, n := range cfg.rooms {
		r, err := floorStep(self, cfg, n)
		if err != nil {
			return fmt.Errorf("%d rooms: %w", n, err)
		}
		fmt.Printf("%6d %12.0f %9.1f%% %8.2f\n", n, r.echoRate, 100*r.cpu, r.usPerPacket)
	}
	return nil
}

func floorStep(self string, cfg config, rooms int) (floorResult, error) {
	var res floorResult
	cmd := exec.Command(self, "reflect", strconv.Itoa(cfg.serverCPU))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return res, fmt.Errorf("reflector: %w", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return res, fmt.Errorf("reflector port %q: %w", line, err)
	}
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}

	const payload = 1200
	frameBytes := cfg.bitrate / 8 / 24
	perFrame := (frameBytes + payload - 1) / payload
	var echoed atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 2 * rooms {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return res, err
		}
		defer c.Close()
		wg.Add(2)
		go func() { // drain the echoes
			defer wg.Done()
			buf := make([]byte, 1500)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
				echoed.Add(1)
			}
		}()
		go func(offset time.Duration) { // a publisher: video frames and audio
			defer wg.Done()
			video := make([]byte, payload)
			audio := make([]byte, 100)
			frame := time.NewTicker(time.Second / 24)
			voice := time.NewTicker(20 * time.Millisecond)
			defer frame.Stop()
			defer voice.Stop()
			time.Sleep(offset)
			for {
				select {
				case <-stop:
					return
				case <-frame.C:
					for range perFrame {
						_, _ = c.WriteToUDP(video, dst)
					}
				case <-voice.C:
					_, _ = c.WriteToUDP(audio, dst)
				}
			}
		}(time.Duration(i) * time.Second / 24 / time.Duration(2*rooms))
	}
	time.Sleep(cfg.warmup)
	c0, err := processCPU(cmd.Process.Pid)
	if err != nil {
		return res, err
	}
	e0, t0 := echoed.Load(), time.Now()
	time.Sleep(cfg.window)
	c1, err := processCPU(cmd.Process.Pid)
	if err != nil {
		return res, err
	}
	e1, elapsed := echoed.Load(), time.Since(t0)
	close(stop)
	res.echoRate = float64(e1-e0) / elapsed.Seconds()
	res.cpu = (c1 - c0).Seconds() / elapsed.Seconds()
	if e1 > e0 {
		res.usPerPacket = float64((c1 - c0).Microseconds()) / float64(e1-e0)
	}
	return res, nil
}
