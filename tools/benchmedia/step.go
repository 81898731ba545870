package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/housecall/housecall/internal/media/mediatest"
)

type stepResult struct {
	sentRate    float64 // packets the publishers sent per second
	fwdRate     float64 // packets forwarded per second
	serverCPU   float64 // fraction of one core
	usPerPacket float64
	loss        float64
	joinP50     time.Duration
	joinP99     time.Duration
	failed      int
	clientCPU   float64
	perCall     float64 // datagrams per socket system call
}

type roomPair struct {
	a, b *mediatest.Client
}

// startServer launches the server process on its core and returns its
// address and a stop function.
func startServer(cfg config, secret, profile string) (string, func(), error) {
	args := []string{"server"}
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	if cfg.pionPath {
		args = append(args, "-pion-path")
	}
	var cmd *exec.Cmd
	if ts, err := exec.LookPath("taskset"); err == nil {
		cmd = exec.Command(ts, append([]string{"-c", fmt.Sprint(cfg.serverCPU), cfg.serverBinary}, args...)...)
	} else {
		cmd = exec.Command(cfg.serverBinary, append(args, "-cpu", fmt.Sprint(cfg.serverCPU))...)
	}
	cmd.Env = append(os.Environ(), "BENCHMEDIA_SECRET="+secret)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTEN ")
	if err != nil || !ok {
		_ = cmd.Process.Kill()
		return "", nil, fmt.Errorf("server did not start: %q %v", line, err)
	}
	stop := func() {
		if resp, err := http.Get("http://" + addr + "/quit"); err == nil {
			resp.Body.Close()
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	return addr, stop, nil
}

func fetchStats(addr string) (serverStats, error) {
	var st serverStats
	resp, err := http.Get("http://" + addr + "/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

func runStep(cfg config, n int, profile string) (stepResult, error) {
	var res stepResult
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	secret := hex.EncodeToString(key)
	addr, stop, err := startServer(cfg, secret, profile)
	if err != nil {
		return res, err
	}
	defer stop()
	url := "ws://" + addr + "/rtc"

	pairs := make([]roomPair, n)
	lat := make([]time.Duration, 0, n)
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, cfg.parallel)
	)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			p, d, err := joinRoom(url, []byte(secret), fmt.Sprintf("room-%04d", i), cfg.bitrate)
			mu.Lock()
			defer mu.Unlock()
			pairs[i] = p
			if err != nil {
				res.failed++
				fmt.Fprintf(os.Stderr, "room %d: %v\n", i, err)
				return
			}
			lat = append(lat, d)
		}(i)
	}
	wg.Wait()
	defer closeAll(pairs)
	time.Sleep(cfg.warmup)

	if profile != "" {
		if resp, err := http.Get("http://" + addr + "/profile/start"); err == nil {
			resp.Body.Close()
		}
	}
	s0, err := fetchStats(addr)
	if err != nil {
		return res, err
	}
	sent0, recv0 := counters(pairs)
	c0, t0 := cpuMicros(), time.Now()
	time.Sleep(cfg.window)
	s1, err := fetchStats(addr)
	if err != nil {
		return res, err
	}
	sent1, recv1 := counters(pairs)
	c1, elapsed := cpuMicros(), time.Since(t0)
	if profile != "" {
		if resp, err := http.Get("http://" + addr + "/profile/stop"); err == nil {
			resp.Body.Close()
		}
	}

	fwd := float64(s1.PacketsOut - s0.PacketsOut)
	cpu := float64(s1.CPUMicros - s0.CPUMicros)
	res.fwdRate = fwd / elapsed.Seconds()
	res.sentRate = float64(sent1-sent0) / elapsed.Seconds()
	res.serverCPU = cpu / float64(elapsed.Microseconds())
	if fwd > 0 {
		res.usPerPacket = cpu / fwd
	}
	if sent := float64(sent1 - sent0); sent > 0 {
		res.loss = max(0, 1-float64(recv1-recv0)/sent)
	}
	res.clientCPU = float64(c1-c0) / float64(elapsed.Microseconds())
	if calls := s1.Syscalls - s0.Syscalls; calls > 0 {
		res.perCall = float64(s1.Datagrams-s0.Datagrams) / float64(calls)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		res.joinP50 = lat[len(lat)/2]
		res.joinP99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return res, nil
}

// joinRoom connects the first participant, waits until it is connected,
// then times the second one from dialling to its first complete frame of
// the first one's video.
func joinRoom(url string, secret []byte, room string, bitrate int) (roomPair, time.Duration, error) {
	var p roomPair
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := func(pid string) mediatest.Config {
		return mediatest.Config{URL: url, Token: benchToken(secret, room, pid), Audio: true, Video: true,
			Bitrate: bitrate, Speaking: pid == "a", Simulcast: mediatest.SimulcastOff}
	}
	a, err := mediatest.Dial(ctx, cfg("a"))
	if err != nil {
		return p, 0, err
	}
	p.a = a
	for a.PeerConnection().ConnectionState() != webrtc.PeerConnectionStateConnected {
		if ctx.Err() != nil {
			return p, 0, errors.New("first participant never connected")
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	b, err := mediatest.Dial(ctx, cfg("b"))
	if err != nil {
		return p, 0, err
	}
	p.b = b
	for {
		for _, s := range b.Remote() {
			if s.ParticipantID == "a" && s.Kind == "camera" && !s.FirstFrame.IsZero() {
				return p, s.FirstFrame.Sub(start), nil
			}
		}
		if ctx.Err() != nil {
			return p, 0, errors.New("no video from the first participant")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// nominalRate is the packets per second one room's two publishers send:
// 50 audio packets, 24 video frames (one keyframe every KeyframeInterval).
func nominalRate(bitrate int) float64 {
	pool := mediatest.PoolFor(1280, 720, 24, bitrate)
	pkts := func(frames [][]byte) float64 {
		sum := 0
		for _, f := range frames {
			sum += (len(f) + mediatest.PayloadRoom - 1) / mediatest.PayloadRoom
		}
		return float64(sum) / float64(len(frames))
	}
	inter, key := pkts(pool.Inter), pkts(pool.Key)
	keyEvery := mediatest.DefaultKeyframeInterval.Seconds()
	video := 24*inter + (key-inter)/keyEvery
	return 2 * (50 + video)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// counters sums the RTP packets all publishers sent and all subscribers received.
func counters(pairs []roomPair) (sent, recv uint64) {
	for _, p := range pairs {
		for _, c := range []*mediatest.Client{p.a, p.b} {
			if c == nil {
				continue
			}
			for _, pub := range c.Publications() {
				sent += pub.Sent
			}
			for _, s := range c.Remote() {
				recv += s.Packets
			}
		}
	}
	return sent, recv
}

func closeAll(pairs []roomPair) {
	var wg sync.WaitGroup
	for _, p := range pairs {
		for _, c := range []*mediatest.Client{p.a, p.b} {
			if c != nil {
				wg.Add(1)
				go func() { defer wg.Done(); c.Close() }()
			}
		}
	}
	wg.Wait()
}
