package turn

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// DefaultMaxAllocationsPerUser bounds the allocations one user id may hold
// when Options.MaxAllocationsPerUser is 0. A browser allocates once per TURN
// URL and local interface and again after an ICE restart, so a participant
// needs a handful; the bound stops one credential from exhausting the relay
// port range.
const DefaultMaxAllocationsPerUser = 16

// Options configures New. Realm, Secret and at least one of UDPAddr,
// TCPAddr and TLSAddr are required.
type Options struct {
	// Realm is the TURN realm (e.g. the server's host name). Clients learn
	// it from the server; it is part of the long-term key.
	Realm string
	// Secret is the shared secret of the TURN REST scheme, the same value as
	// coturn's static-auth-secret.
	Secret []byte

	// UDPAddr is the UDP listen address, e.g. ":3478"; "" = off.
	UDPAddr string
	// TCPAddr is the TCP listen address (usually the same port as UDP);
	// "" = off.
	TCPAddr string
	// TLSAddr is the TURNS listen address (e.g. ":5349" or ":443"); "" = off.
	// TLSConfig must then carry a certificate.
	TLSAddr   string
	TLSConfig *tls.Config

	// PublicIP is the relay address advertised to clients (the server's
	// public address behind a 1:1 NAT). Default: the IP of the first listen
	// address, or 127.0.0.1 when that is a wildcard (which only serves local
	// tests; production sets it).
	PublicIP net.IP
	// RelayPortMin and RelayPortMax bound the UDP ports relays listen on
	// (inclusive); both 0 lets the kernel choose. Open this range in the
	// firewall.
	RelayPortMin, RelayPortMax uint16

	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock for credential expiry; nil = time.Now.
	Now func() time.Time

	// MaxAllocationsPerUser bounds concurrent allocations per user id (the
	// part of the username after ':'); 0 = DefaultMaxAllocationsPerUser,
	// negative = unlimited.
	MaxAllocationsPerUser int

	// DenyPeers lists the peer ranges the relay refuses to send to. nil =
	// DefaultDenyPeers(); a non-nil empty slice denies nothing. Without this
	// filter TURN is an open proxy into the server's network (databases,
	// the cloud metadata service at 169.254.169.254, admin interfaces).
	DenyPeers []net.IPNet
	// AllowPeers are exceptions to DenyPeers, e.g. the SFU's own address
	// when it is private.
	AllowPeers []net.IPNet
	// AllowLoopbackPeers exempts 127.0.0.0/8 and ::1 from DenyPeers, so
	// tests can relay between clients on loopback. Never set in production.
	AllowLoopbackPeers bool
}

// DefaultDenyPeers returns the ranges refused as relay peers by default:
// "this network", RFC 1918 private, CGNAT, loopback, link-local (including
// cloud metadata services), IETF protocol assignments, documentation and
// benchmarking ranges, multicast and reserved IPv4; unspecified, loopback,
// local-use NAT64, unique-local, link-local, documentation and multicast
// IPv6. IPv4-mapped IPv6 peers are judged as the IPv4 address they carry.
func DefaultDenyPeers() []net.IPNet {
	cidrs := []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
		"169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
		"192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
		"224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b:1::/48", "fc00::/7",
		"fe80::/10", "2001:db8::/32", "ff00::/8",
	}
	return mustCIDRs(cidrs)
}

func loopbackPeers() []net.IPNet { return mustCIDRs([]string{"127.0.0.0/8", "::1/128"}) }

func mustCIDRs(cidrs []string) []net.IPNet {
	out := make([]net.IPNet, 0, len(cidrs))
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			panic(fmt.Sprintf("turn: bad built-in CIDR %q: %v", c, err))
		}
		out = append(out, *n)
	}
	return out
}

// peerFilter decides which peer IPs a relay may reach.
type peerFilter struct {
	allow, deny []net.IPNet
}

func newPeerFilter(o Options) peerFilter {
	deny := o.DenyPeers
	if deny == nil {
		deny = DefaultDenyPeers()
	}
	allow := append([]net.IPNet(nil), o.AllowPeers...)
	if o.AllowLoopbackPeers {
		allow = append(allow, loopbackPeers()...)
	}
	return peerFilter{allow: allow, deny: deny}
}

// allowed reports whether ip may be a relay peer. An IPv4-mapped IPv6
// address is judged as the IPv4 address it carries.
func (f peerFilter) allowed(ip net.IP) bool {
	if ip == nil {
		return false
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	for _, n := range f.allow {
		if n.Contains(ip) {
			return true
		}
	}
	for _, n := range f.deny {
		if n.Contains(ip) {
			return false
		}
	}
	return true
}

// withDefaults validates o and fills in defaults.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Realm == "":
		return o, fmt.Errorf("%w: realm is required", ErrInvalidOptions)
	case len(o.Secret) == 0:
		return o, fmt.Errorf("%w: shared secret is required", ErrInvalidOptions)
	case o.UDPAddr == "" && o.TCPAddr == "" && o.TLSAddr == "":
		return o, fmt.Errorf("%w: no listen address (UDP, TCP or TLS)", ErrInvalidOptions)
	case o.TLSAddr != "" && (o.TLSConfig == nil || (len(o.TLSConfig.Certificates) == 0 &&
		o.TLSConfig.GetCertificate == nil && o.TLSConfig.GetConfigForClient == nil)):
		return o, fmt.Errorf("%w: TLS listener needs a TLS config with a certificate", ErrInvalidOptions)
	case (o.RelayPortMin == 0) != (o.RelayPortMax == 0):
		return o, fmt.Errorf("%w: set both relay port bounds or neither", ErrInvalidOptions)
	case o.RelayPortMin > o.RelayPortMax:
		return o, fmt.Errorf("%w: relay port range %d-%d is empty", ErrInvalidOptions, o.RelayPortMin, o.RelayPortMax)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxAllocationsPerUser == 0 {
		o.MaxAllocationsPerUser = DefaultMaxAllocationsPerUser
	}
	if o.PublicIP == nil {
		listenIP, err := o.listenIP()
		if err != nil {
			return o, err
		}
		o.PublicIP = listenIP
		if listenIP == nil || listenIP.IsUnspecified() {
			o.PublicIP = net.IPv4(127, 0, 0, 1)
			o.Logger.Warn("turn: no public IP configured, advertising 127.0.0.1 as relay address; remote clients cannot use it")
		}
	}
	return o, nil
}

// listenIP is the host part of the first configured listen address, nil
// when it is empty (wildcard).
func (o Options) listenIP() (net.IP, error) {
	for _, a := range []string{o.UDPAddr, o.TCPAddr, o.TLSAddr} {
		if a == "" {
			continue
		}
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return nil, fmt.Errorf("%w: listen address %q: %w", ErrInvalidOptions, a, err)
		}
		if host == "" {
			return nil, nil
		}
		ip := net.ParseIP(host)
		if ip == nil {
			return nil, fmt.Errorf("%w: listen address %q must be an IP, not a name", ErrInvalidOptions, a)
		}
		return ip, nil
	}
	return nil, nil
}

// relayBindAddress is the local address relay sockets listen on: the
// listen IP when one is given, else the wildcard of PublicIP's family.
func (o Options) relayBindAddress() string {
	if ip, err := o.listenIP(); err == nil && ip != nil {
		return ip.String()
	}
	if o.PublicIP.To4() == nil {
		return "::"
	}
	return "0.0.0.0"
}
