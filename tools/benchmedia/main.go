// Command benchmedia measures the SFU (internal/media): N two-party rooms
// of synthetic pion clients, each publishing VP8 720p24 at ~1.5 Mbit/s plus
// 20 ms Opus packets, with the server and the clients in separate
// processes pinned to different cores. For each N it prints the server's
// CPU time per forwarded packet, the forwarding rate, the loss at the
// nominal rate and the join latency (WebSocket dial to the first complete
// remote video frame), then the largest N with less than 1 % loss.
//
// Usage: go run ./tools/benchmedia [-rooms 5,10,25,50] [-window 8s]
//
// What the clients send: VP8 frames generated at start-up (mediatest's
// FramePool): a valid frame tag, keyframe start code and 1280×720
// dimensions, padded to the bitrate with pseudo-random bytes (keyframes
// 3× an average frame, one every 3 s and on PLI), packetised at 1200
// bytes with RFC 7741 descriptors; audio is 80-byte packets every 20 ms
// with the RFC 6464 level extension. NACK, TWCC and RTCP reports run on
// both sides as they would with browsers.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type config struct {
	rooms        []int
	warmup       time.Duration
	window       time.Duration
	bitrate      int
	parallel     int
	serverCPU    int
	clientCPU    int
	keepGoing    bool
	cpuProfile   string
	serverBinary string
	pionPath     bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "server" {
		if err := runServer(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "benchmedia server:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "reflect" {
		if err := runReflector(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "benchmedia reflect:", err)
			os.Exit(1)
		}
		return
	}
	floor := false
	var (
		cfg   config
		rooms string
	)
	flag.StringVar(&rooms, "rooms", "5,10,20,40,60,80,100,125,150", "comma-separated room counts to try, ascending")
	flag.DurationVar(&cfg.warmup, "warmup", 3*time.Second, "time after the last join before measuring")
	flag.DurationVar(&cfg.window, "window", 8*time.Second, "measurement window per step")
	flag.IntVar(&cfg.bitrate, "bitrate", 1_500_000, "video bitrate per publisher, bits/s")
	flag.IntVar(&cfg.parallel, "parallel", 6, "rooms joining at the same time")
	flag.IntVar(&cfg.serverCPU, "server-cpu", 0, "core for the server process")
	flag.IntVar(&cfg.clientCPU, "client-cpu", 1, "core for the client process")
	flag.BoolVar(&cfg.keepGoing, "keep-going", false, "continue after a step with ≥ 1 % loss")
	flag.StringVar(&cfg.cpuProfile, "server-cpuprofile", "", "write a CPU profile of the server for the last step")
	flag.BoolVar(&cfg.pionPath, "pion-path", false, "keep all media on pion's pipeline (no direct path), for comparison")
	flag.BoolVar(&floor, "floor", false, "measure the kernel's floor instead: a plain UDP reflector at the same datagram rates")
	flag.Parse()
	for _, f := range strings.Split(rooms, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "bad -rooms entry %q\n", f)
			os.Exit(2)
		}
		cfg.rooms = append(cfg.rooms, n)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg.serverBinary = exe
	if runtime.NumCPU() >= 2 {
		if err := pinSelf(cfg.clientCPU); err != nil {
			fmt.Fprintln(os.Stderr, "warning: could not pin the client process:", err)
		}
	}
	if floor {
		printMachine(cfg)
		if err := runFloor(cfg); err != nil {
			fmt.Fprintln(os.Stderr, "benchmedia:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "benchmedia:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	printMachine(cfg)
	nominal := nominalRate(cfg.bitrate)
	fmt.Printf("nominal rate: %.0f packets/s per room (both directions)\n", nominal)
	fmt.Printf("\n%6s %8s %10s %11s %10s %8s %10s %8s %9s %9s %7s %10s %6s\n",
		"rooms", "clients", "sent %nom", "fwd pkt/s", "server CPU", "µs/pkt", "dgram/call", "loss %", "join p50", "join p99", "failed", "client CPU", "load")
	best := 0
	for i, n := range cfg.rooms {
		profile := ""
		if i == len(cfg.rooms)-1 {
			profile = cfg.cpuProfile
		}
		r, err := runStep(cfg, n, profile)
		if err != nil {
			return fmt.Errorf("%d rooms: %w", n, err)
		}
		sentPct := 100 * r.sentRate / (nominal * float64(n))
		fmt.Printf("%6d %8d %9.1f%% %11.0f %9.1f%% %8.2f %10.1f %8.2f %9s %9s %7d %9.1f%% %6s\n",
			n, 2*n, sentPct, r.fwdRate, 100*r.serverCPU, r.usPerPacket, r.perCall, 100*r.loss,
			r.joinP50.Round(time.Millisecond), r.joinP99.Round(time.Millisecond), r.failed, 100*r.clientCPU, loadAverage())
		// At the nominal rate: clients that cannot keep up do not count.
		ok := r.loss < 0.01 && r.failed == 0 && sentPct >= 97
		if ok {
			best = n
		}
		if !ok && !cfg.keepGoing {
			break
		}
	}
	fmt.Printf("\nlargest N with < 1 %% loss at the nominal rate: %d two-party rooms\n", best)
	fmt.Println("(sent %nom < 97 % or a client CPU near 100 % means the client process, not the server, was the")
	fmt.Println(" limit; \"load\" is the 1-minute load average of the machine at the end of the step)")
	return nil
}

func printMachine(cfg config) {
	fmt.Printf("benchmedia %s, %s/%s, %s, %d CPUs", time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH,
		runtime.Version(), runtime.NumCPU())
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if line, _, ok := strings.Cut(string(b), "\n"); ok {
			fmt.Printf(", %s", strings.Join(strings.Fields(line), " "))
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, v, _ := strings.Cut(l, ":")
				fmt.Printf("\ncpu:%s", v)
				break
			}
		}
	}
	pin := "self-pinned (sched_setaffinity)"
	if _, err := exec.LookPath("taskset"); err == nil {
		pin = "taskset"
	}
	fmt.Printf("\nserver on core %d, clients on core %d (%s); per room: 2 publishers × (VP8 %d kbit/s 24 fps + Opus 50 pkt/s)\n",
		cfg.serverCPU, cfg.clientCPU, pin, cfg.bitrate/1000)
	if cfg.pionPath {
		fmt.Println("media path: pion's pipeline only (-pion-path)")
	} else {
		fmt.Println("media path: direct (SRTP on the socket reader), pion for signalling-side traffic")
	}
}
