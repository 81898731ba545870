package media

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/media/mediatest"
)

// testClaims is what the test control plane signs into a token.
type testClaims struct {
	Aud         string `json:"aud"`
	Room        string `json:"room"`
	Sub         string `json:"sub"`
	Name        string `json:"name"`
	Role        string `json:"role"`
	CanPublish  bool   `json:"pub"`
	CanModerate bool   `json:"mod"`
	Exp         int64  `json:"exp"`
}

const testAudience = "housecall-rtc"

var errBadToken = errors.New("bad token")

// signToken makes an HMAC-SHA256 token: base64url(claims) "." base64url(mac).
func signToken(key []byte, c testClaims) string {
	body, _ := json.Marshal(c)
	b := base64.RawURLEncoding.EncodeToString(body)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(b))
	return b + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// hmacAuthenticator is the test's control plane: it checks the signature,
// the audience, the expiry and that the subject is on the room's roster.
func hmacAuthenticator(key []byte, roster func(room, sub string) bool, now func() time.Time) Authenticator {
	return func(_ context.Context, token string) (Grant, error) {
		body, sig, ok := strings.Cut(token, ".")
		if !ok {
			return Grant{}, errBadToken
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(body))
		want := m.Sum(nil)
		got, err := base64.RawURLEncoding.DecodeString(sig)
		if err != nil || !hmac.Equal(got, want) {
			return Grant{}, fmt.Errorf("%w: signature", errBadToken)
		}
		raw, err := base64.RawURLEncoding.DecodeString(body)
		if err != nil {
			return Grant{}, errBadToken
		}
		var c testClaims
		if err := json.Unmarshal(raw, &c); err != nil {
			return Grant{}, errBadToken
		}
		if c.Aud != testAudience {
			return Grant{}, fmt.Errorf("%w: audience", errBadToken)
		}
		exp := time.Unix(c.Exp, 0)
		if !now().Before(exp) {
			return Grant{}, fmt.Errorf("%w: expired", errBadToken)
		}
		if roster != nil && !roster(c.Room, c.Sub) {
			return Grant{}, fmt.Errorf("%w: not a participant", errBadToken)
		}
		return Grant{RoomID: c.Room, ParticipantID: c.Sub, Name: c.Name, Role: c.Role,
			CanPublish: c.CanPublish, CanModerate: c.CanModerate, Expires: exp}, nil
	}
}

type harness struct {
	t      *testing.T
	srv    *Server
	http   *httptest.Server
	url    string
	key    []byte
	mu     sync.Mutex
	events []Event
	roster map[string]bool // "room/sub" allowed; nil allows everyone
}

func newHarness(t *testing.T, tweak func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, key: []byte("test-key-0123456789abcdef")}
	opts := Options{Loopback: true, OnEvent: h.onEvent, QualityInterval: time.Second}
	if tweak != nil {
		tweak(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.srv = srv
	auth := hmacAuthenticator(h.key, h.allowed, time.Now)
	h.http = httptest.NewServer(srv.Handler(auth))
	h.url = "ws" + strings.TrimPrefix(h.http.URL, "http")
	t.Cleanup(func() {
		h.http.CloseClientConnections()
		_ = srv.Close()
		h.http.Close()
	})
	return h
}

func (h *harness) allowed(room, sub string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.roster == nil || h.roster[room+"/"+sub]
}

func (h *harness) onEvent(e Event) {
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
}

func (h *harness) eventsFor(pid string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		if e.ParticipantID == pid {
			out = append(out, e.Type)
		}
	}
	return out
}

func (h *harness) token(room, sub, role string) string {
	return signToken(h.key, testClaims{Aud: testAudience, Room: room, Sub: sub, Name: "Test " + sub, Role: role,
		CanPublish: true, CanModerate: role == RoleHost, Exp: time.Now().Add(time.Hour).Unix()})
}

// dial connects a synthetic participant with small, fast media.
func (h *harness) dial(room, sub, role string, tweak func(*mediatest.Config)) *mediatest.Client {
	h.t.Helper()
	cfg := mediatest.Config{URL: h.url, Token: h.token(room, sub, role), Audio: true, Video: true,
		Bitrate: 400_000, KeyframeInterval: time.Second, Speaking: true}
	if tweak != nil {
		tweak(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mediatest.Dial(ctx, cfg)
	if err != nil {
		h.t.Fatalf("dial %s: %v", sub, err)
	}
	h.t.Cleanup(c.Close)
	return c
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// from returns c's stats for the track of kind published by pid.
func from(c *mediatest.Client, pid, kind string) (mediatest.TrackStats, bool) {
	for _, s := range c.Remote() {
		if s.ParticipantID == pid && string(s.Kind) == kind {
			return s, true
		}
	}
	return mediatest.TrackStats{}, false
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dumpServer logs every subscription's state (for failures).
func dumpServer(t *testing.T, s *Server) {
	t.Helper()
	for _, r := range s.roomList() {
		for _, p := range r.members() {
			p.mu.Lock()
			for up, d := range p.subs {
				t.Logf("%s <- %s/%s bound=%v packets=%d layer=%d target=%d", p.id, up.owner.id, up.id,
					d.bound.Load(), d.packets.Load(), d.current.Load(), d.target.Load())
			}
			p.mu.Unlock()
		}
	}
}
