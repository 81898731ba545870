package turn

import (
	"errors"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCredentialsCoturnVector(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		userID string
		now    time.Time
		ttl    time.Duration
		// wantUser and wantPass were computed once with coturn's documented
		// command: echo -n "$user" | openssl dgst -binary -sha1 -hmac "$secret" | base64
		wantUser, wantPass string
	}{
		{
			name: "practitioner", secret: "north-wing-turn-secret", userID: "Practitioner/abc-123",
			now: time.Unix(1700000000-3600, 0), ttl: time.Hour,
			wantUser: "1700000000:Practitioner/abc-123", wantPass: "dMXlctBpvvmnl55UHzIF4fGu46A=",
		},
		{
			name: "guest", secret: "s3cr3t", userID: "guest",
			now: time.Unix(1735689600, 0), ttl: 0,
			wantUser: "1735689600:guest", wantPass: "RAnvHaMbGB3pjnQBezgbcAhZ2PM=",
		},
	}
	_, lookErr := exec.LookPath("openssl")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			user, pass := Credentials([]byte(tc.secret), tc.userID, tc.ttl, tc.now)
			if user != tc.wantUser || pass != tc.wantPass {
				t.Fatalf("Credentials = %q, %q; want %q, %q", user, pass, tc.wantUser, tc.wantPass)
			}
			if lookErr != nil {
				t.Log("openssl not installed; compared with the recorded vector only")
				return
			}
			// The same pair, computed live by coturn's documented command.
			cmd := exec.Command("sh", "-c", `echo -n "$TURN_USER" | openssl dgst -binary -sha1 -hmac "$TURN_SECRET" | base64`)
			cmd.Env = append(os.Environ(), "TURN_USER="+user, "TURN_SECRET="+tc.secret)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("openssl: %v", err)
			}
			if got := strings.TrimSpace(string(out)); got != pass {
				t.Fatalf("openssl computed %q, Credentials %q", got, pass)
			}
		})
	}
}

func TestCheckUsername(t *testing.T) {
	now := time.Unix(1700000000, 0)
	tests := []struct {
		name       string
		username   string
		wantUserID string
		wantExpiry int64
		wantErr    error
	}{
		{"valid", "1700000100:Practitioner/1", "Practitioner/1", 1700000100, nil},
		{"expires now", "1700000000:u", "u", 1700000000, nil},
		{"colon in user id", "1700000100:a:b", "a:b", 1700000100, nil},
		{"bare timestamp", "1700000100", "", 1700000100, nil},
		{"empty user id", "1700000100:", "", 1700000100, nil},
		{"expired", "1699999999:u", "", 1699999999, ErrCredentialsExpired},
		{"zero", "0:u", "", 0, ErrCredentialsExpired},
		{"empty", "", "", 0, ErrMalformedUsername},
		{"no timestamp", ":u", "", 0, ErrMalformedUsername},
		{"name only", "alice", "", 0, ErrMalformedUsername},
		{"user first", "alice:1700000100", "", 0, ErrMalformedUsername},
		{"signed", "+1700000100:u", "", 0, ErrMalformedUsername},
		{"negative", "-1:u", "", 0, ErrMalformedUsername},
		{"fraction", "1700000100.5:u", "", 0, ErrMalformedUsername},
		{"space", " 1700000100:u", "", 0, ErrMalformedUsername},
		{"overflow", "99999999999999999999:u", "", 0, ErrMalformedUsername},
		{"year 9999", "253402300799:u", "u", 253402300799, nil},
		{"after year 9999", "253402300800:u", "", 0, ErrMalformedUsername},
		{"max int64", "9223372036854775807:u", "", 0, ErrMalformedUsername},
		{"beyond int64", "9223372036854775808:u", "", 0, ErrMalformedUsername},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			userID, expiry, err := CheckUsername(tc.username, now)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if userID != tc.wantUserID {
				t.Errorf("userID = %q, want %q", userID, tc.wantUserID)
			}
			if tc.wantErr != ErrMalformedUsername && expiry.Unix() != tc.wantExpiry {
				t.Errorf("expiry = %d, want %d", expiry.Unix(), tc.wantExpiry)
			}
		})
	}
}

func TestCredentialsRoundTrip(t *testing.T) {
	now := time.Unix(1700000000, 0)
	user, pass := Credentials([]byte("k"), "Patient/9", 10*time.Minute, now)
	tests := []struct {
		name    string
		at      time.Time
		wantErr error
	}{
		{"at issue", now, nil},
		{"at expiry", now.Add(10 * time.Minute), nil},
		{"after expiry", now.Add(10*time.Minute + time.Second), ErrCredentialsExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			userID, _, err := CheckUsername(user, tc.at)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && userID != "Patient/9" {
				t.Fatalf("userID = %q", userID)
			}
		})
	}
	if Password([]byte("k"), user) != pass {
		t.Fatal("Password does not reproduce the issued password")
	}
	if Password([]byte("other"), user) == pass {
		t.Fatal("a different secret produced the same password")
	}
}

func TestICEServers(t *testing.T) {
	creds := Creds{Username: "1700000000:u", Password: "pw"}
	tests := []struct {
		name                      string
		host                      string
		udpPort, tcpPort, tlsPort int
		want                      []ICEServer
	}{
		{
			name: "all", host: "turn.example.org", udpPort: 3478, tcpPort: 3478, tlsPort: 5349,
			want: []ICEServer{
				{URLs: []string{"stun:turn.example.org:3478"}},
				{URLs: []string{
					"turn:turn.example.org:3478?transport=udp",
					"turn:turn.example.org:3478?transport=tcp",
					"turns:turn.example.org:5349?transport=tcp",
				}, Username: "1700000000:u", Credential: "pw"},
			},
		},
		{
			name: "tls only", host: "turn.example.org", tlsPort: 443,
			want: []ICEServer{{URLs: []string{"turns:turn.example.org:443?transport=tcp"}, Username: "1700000000:u", Credential: "pw"}},
		},
		{
			name: "ipv6", host: "2001:db8::1", udpPort: 3478,
			want: []ICEServer{
				{URLs: []string{"stun:[2001:db8::1]:3478"}},
				{URLs: []string{"turn:[2001:db8::1]:3478?transport=udp"}, Username: "1700000000:u", Credential: "pw"},
			},
		},
		{name: "none", host: "h", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ICEServers(creds, tc.host, tc.udpPort, tc.tcpPort, tc.tlsPort)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ICEServers =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// FuzzCheckUsername: the username comes straight off the network.
func FuzzCheckUsername(f *testing.F) {
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, username string) {
		userID, expiry, err := CheckUsername(username, now)
		if err != nil {
			if userID != "" {
				t.Fatalf("refused username %q returned user id %q", username, userID)
			}
			return
		}
		if expiry.Before(now) {
			t.Fatalf("accepted expired username %q", username)
		}
		stamp, rest, _ := strings.Cut(username, ":")
		if rest != userID || stamp == "" {
			t.Fatalf("username %q parsed as user id %q", username, userID)
		}
	})
}
