package app

import (
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/media/turn"
	"github.com/housecall/housecall/internal/telemed"
)

// turnCredentialTTL outlasts any visit: the expiry is checked on every
// TURN request, so credentials that ran out would drop a relayed call.
const turnCredentialTTL = 24 * time.Hour

// mediaHost is the address clients reach media and relays on: public_ip,
// else the host of public_url, else the listen host (loopback in --dev).
func (a *App) mediaHost() string {
	if a.Config.PublicIP != "" {
		return a.Config.PublicIP
	}
	if u, err := url.Parse(a.Issuer); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "127.0.0.1"
}

// iceServers gives a participant STUN and TURN entries with TURN REST
// credentials (coturn's use-auth-secret scheme) for an opaque user id, so
// that no identifier of a person reaches TURN logs.
func (a *App) iceServers(participant string) []telemed.ICEServer {
	cfg := a.Config
	user := hex.EncodeToString(a.Accounts.MAC("turn-user", []byte(participant))[:12])
	username, password := turn.Credentials(a.turnSecret, user, turnCredentialTTL, time.Now())
	var out []telemed.ICEServer
	if cfg.TURNURLs != "" {
		var urls []string
		for u := range strings.SplitSeq(cfg.TURNURLs, ",") {
			if u = strings.TrimSpace(u); u != "" {
				urls = append(urls, u)
			}
		}
		return []telemed.ICEServer{{URLs: urls, Username: username, Credential: password}}
	}
	if cfg.TURNPort == 0 {
		return nil
	}
	for _, s := range turn.ICEServers(turn.Creds{Username: username, Password: password}, a.mediaHost(), cfg.TURNPort, cfg.TURNPort, cfg.TURNTLSPort) {
		out = append(out, telemed.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out
}

// StartTURN starts the embedded TURN server (UDP and TCP on turn_port, TLS
// on turn_tls_port) unless it is off or an external one is configured; the
// caller closes it.
func (a *App) StartTURN() (*turn.Server, error) {
	cfg := a.Config
	if cfg.TURNPort == 0 || cfg.TURNURLs != "" {
		return nil, nil
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("turn: addr: %w", err)
	}
	lo, hi, err := cfg.RelayPorts()
	if err != nil {
		return nil, err
	}
	o := turn.Options{Realm: "housecall", Secret: a.turnSecret, Logger: a.Logger,
		UDPAddr: net.JoinHostPort(host, strconv.Itoa(cfg.TURNPort)), TCPAddr: net.JoinHostPort(host, strconv.Itoa(cfg.TURNPort)),
		RelayPortMin: lo, RelayPortMax: hi,
		// In development the media server is on loopback too.
		AllowLoopbackPeers: cfg.Dev}
	if ip := net.ParseIP(a.mediaHost()); ip != nil {
		o.PublicIP = ip
	}
	if cfg.TURNTLSPort > 0 {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("turn tls: %w", err)
		}
		o.TLSAddr = net.JoinHostPort(host, strconv.Itoa(cfg.TURNTLSPort))
		o.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s, err := turn.New(o)
	if err != nil {
		return nil, fmt.Errorf("starting TURN: %w", err)
	}
	return s, nil
}
