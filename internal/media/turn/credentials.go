package turn

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // SHA-1 is what coturn's use-auth-secret scheme specifies.
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Credentials issues a TURN REST (coturn `use-auth-secret`) credential pair
// for userID, valid until now+ttl:
//
//	username = "<unix expiry>:<userID>"
//	password = base64(HMAC-SHA1(secret, username))
//
// Any TURN server configured with the same shared secret accepts the pair
// until the expiry, so an external coturn cluster can replace the embedded
// server. userID is opaque to the server; it must not contain patient data
// because TURN servers (coturn in particular) may log it.
func Credentials(secret []byte, userID string, ttl time.Duration, now time.Time) (username, password string) {
	username = strconv.FormatInt(now.Add(ttl).Unix(), 10) + ":" + userID
	return username, Password(secret, username)
}

// Password computes the coturn-compatible password for username:
// base64(HMAC-SHA1(secret, username)), the value of
// `echo -n "$username" | openssl dgst -binary -sha1 -hmac "$secret" | base64`.
func Password(secret []byte, username string) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(username)) // hash.Hash.Write never fails.
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// maxExpiryUnix (9999-12-31T23:59:59Z) bounds the expiry CheckUsername
// accepts; beyond it time.Time arithmetic overflows, and no sane issuer
// signs credentials for that long.
const maxExpiryUnix = 253402300799

// CheckUsername parses a TURN REST username and refuses it when it is
// malformed (ErrMalformedUsername, also for an expiry after the year 9999)
// or its expiry is before now (ErrCredentialsExpired). It returns the user id (the part after the first
// ':', "" when there is none — coturn accepts a bare timestamp) and the
// expiry. It does not check the password; see the package comment.
func CheckUsername(username string, now time.Time) (userID string, expiry time.Time, err error) {
	stamp, userID, _ := strings.Cut(username, ":")
	if stamp == "" || len(stamp) > 19 { // 19 digits: the int64 range.
		return "", time.Time{}, ErrMalformedUsername
	}
	for _, c := range []byte(stamp) {
		if c < '0' || c > '9' {
			return "", time.Time{}, ErrMalformedUsername
		}
	}
	secs, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil || secs > maxExpiryUnix {
		return "", time.Time{}, ErrMalformedUsername
	}
	expiry = time.Unix(secs, 0)
	if secs < now.Unix() {
		return "", expiry, ErrCredentialsExpired
	}
	return userID, expiry, nil
}

// Creds is a TURN REST credential pair as returned by Credentials.
type Creds struct {
	Username string
	Password string
}

// ICEServer is one entry of a WebRTC ICE server list. The integrator
// converts it to webrtc.ICEServer and to the Chime-style join response;
// Credential is the TURN password (empty for STUN).
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// ICEServers returns the ICE server list a client needs to reach the TURN
// server at host: a STUN entry (when udpPort is set) and one TURN entry with
// creds whose URLs are, for each non-zero port,
// turn:host:udpPort?transport=udp, turn:host:tcpPort?transport=tcp and
// turns:host:tlsPort?transport=tcp. host may be a name or an IP literal
// (IPv6 is bracketed). It returns nil when every port is zero.
func ICEServers(creds Creds, host string, udpPort, tcpPort, tlsPort int) []ICEServer {
	hostPort := func(port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
	var servers []ICEServer
	if udpPort > 0 {
		servers = append(servers, ICEServer{URLs: []string{"stun:" + hostPort(udpPort)}})
	}
	var urls []string
	if udpPort > 0 {
		urls = append(urls, fmt.Sprintf("turn:%s?transport=udp", hostPort(udpPort)))
	}
	if tcpPort > 0 {
		urls = append(urls, fmt.Sprintf("turn:%s?transport=tcp", hostPort(tcpPort)))
	}
	if tlsPort > 0 {
		urls = append(urls, fmt.Sprintf("turns:%s?transport=tcp", hostPort(tlsPort)))
	}
	if len(urls) > 0 {
		servers = append(servers, ICEServer{URLs: urls, Username: creds.Username, Credential: creds.Password})
	}
	return servers
}
