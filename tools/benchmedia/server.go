package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/housecall/housecall/internal/media"
)

// serverStats is what the server process reports at /stats.
type serverStats struct {
	CPUMicros    int64  `json:"cpu_us"`
	PacketsIn    uint64 `json:"packets_in"`
	PacketsOut   uint64 `json:"packets_out"`
	BytesOut     uint64 `json:"bytes_out"`
	Rooms        int    `json:"rooms"`
	Participants int    `json:"participants"`
	NACKs        uint64 `json:"nacks"`
	PLIs         uint64 `json:"plis"`
	Syscalls     uint64 `json:"syscalls"`  // batched socket reads and writes
	Datagrams    uint64 `json:"datagrams"` // datagrams they carried
}

func cpuMicros() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Sec*1e6 + ru.Utime.Usec + ru.Stime.Sec*1e6 + ru.Stime.Usec
}

// benchToken is "room|participant|hex(HMAC-SHA256(secret, room|participant))".
func benchToken(secret []byte, room, pid string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(room + "|" + pid))
	return room + "|" + pid + "|" + hex.EncodeToString(m.Sum(nil))
}

func benchAuth(secret []byte) media.Authenticator {
	return func(_ context.Context, token string) (media.Grant, error) {
		parts := strings.Split(token, "|")
		if len(parts) != 3 || !hmac.Equal([]byte(benchToken(secret, parts[0], parts[1])), []byte(token)) {
			return media.Grant{}, errors.New("bad token")
		}
		return media.Grant{RoomID: parts[0], ParticipantID: parts[1], Role: media.RoleParticipant,
			CanPublish: true, Expires: time.Now().Add(time.Hour)}, nil
	}
}

func runServer(args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	profile := fs.String("cpuprofile", "", "write a CPU profile here until the process is told to stop")
	cpu := fs.Int("cpu", -1, "pin to this core (when taskset is not available)")
	pionPath := fs.Bool("pion-path", false, "disable the direct media path")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpu >= 0 {
		if err := pinSelf(*cpu); err != nil {
			return err
		}
	}
	secret := []byte(os.Getenv("BENCHMEDIA_SECRET"))
	srv, err := media.New(media.Options{Loopback: true, MaxParticipants: 2, EmptyRoomTimeout: time.Minute, DisableDirectPath: *pionPath})
	if err != nil {
		return err
	}
	defer srv.Close()
	mux := http.NewServeMux()
	mux.Handle("/rtc", srv.Handler(benchAuth(secret)))
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		st := srv.Stats()
		_ = json.NewEncoder(w).Encode(serverStats{CPUMicros: cpuMicros(), PacketsIn: st.PacketsIn, PacketsOut: st.PacketsOut,
			BytesOut: st.BytesOut, Rooms: st.Rooms, Participants: st.Participants, NACKs: st.NACKs, PLIs: st.PLIs,
			Syscalls: st.ReadCalls + st.WriteCalls, Datagrams: st.ReadDatagrams + st.WriteDatagrams})
	})
	stop := make(chan struct{})
	mux.HandleFunc("/profile/start", func(w http.ResponseWriter, _ *http.Request) {
		if *profile == "" {
			return
		}
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/profile/stop", func(http.ResponseWriter, *http.Request) { pprof.StopCPUProfile() })
	mux.HandleFunc("/quit", func(http.ResponseWriter, *http.Request) { close(stop) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("LISTEN", ln.Addr().String())
	go func() { _ = http.Serve(ln, mux) }()
	<-stop
	return nil
}
