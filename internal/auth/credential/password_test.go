package credential

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// cheap keeps tests fast; Default costs 64 MiB and a noticeable fraction
// of a second per hash.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// seqBytes returns the bytes start, start+1, ... (n of them).
func seqBytes(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// seq returns a reader of seqBytes(start, n).
func seq(start byte, n int) *bytes.Reader { return bytes.NewReader(seqBytes(start, n)) }

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("entropy pool on fire") }

func TestHashFormat(t *testing.T) {
	got, err := Hash("correct horse battery staple", cheap, seq(0, 16))
	if err != nil {
		t.Fatal(err)
	}
	salt := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	key := argon2.IDKey([]byte("correct horse battery staple"), salt, 1, 64, 1, 32)
	want := "$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$" + base64.RawStdEncoding.EncodeToString(key)
	if got != want {
		t.Errorf("Hash = %s\nwant   %s", got, want)
	}
	// A fresh salt each time.
	a, _ := Hash("same", cheap, nil)
	b, _ := Hash("same", cheap, nil)
	if a == b {
		t.Error("two hashes of the same password are equal")
	}
}

func TestHashErrors(t *testing.T) {
	tests := []struct {
		name     string
		password string
		p        Params
		rand     io.Reader
		want     error
	}{
		{"empty", "", cheap, nil, ErrPasswordEmpty},
		{"too long", strings.Repeat("x", 1025), cheap, nil, ErrPasswordTooLong},
		{"no memory", "pw", Params{Memory: 0, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, nil, ErrParams},
		{"memory below 8 per thread", "pw", Params{Memory: 16, Time: 1, Threads: 4, SaltLen: 16, KeyLen: 32}, nil, ErrParams},
		{"too much memory", "pw", Params{Memory: 1 << 30, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, nil, ErrParams},
		{"short salt", "pw", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}, nil, ErrParams},
		{"short key", "pw", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8}, nil, ErrParams},
		{"zero params", "pw", Params{}, nil, ErrParams},
		{"short randomness", "pw", cheap, seq(0, 3), nil},
		{"failing randomness", "pw", cheap, failReader{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Hash(tt.password, tt.p, tt.rand)
			if err == nil || got != "" || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Hash = %q, %v; want error %v", got, err, tt.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	const pw = "correct horse battery staple"
	enc, err := Hash(pw, cheap, seq(7, 16))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(enc, "$")
	withKey := func(key string) string { return strings.Join(append(parts[:5:5], key), "$") }
	flipped := []byte(parts[5])
	if flipped[3] == 'A' { // another base64 symbol
		flipped[3] = 'B'
	} else {
		flipped[3] = 'A'
	}
	tests := []struct {
		name     string
		password string
		encoded  string
		ok       bool
		want     error
	}{
		{"right password", pw, enc, true, nil},
		{"wrong password", "correct horse battery stapler", enc, false, nil},
		{"case matters", strings.ToUpper(pw), enc, false, nil},
		{"empty password", "", enc, false, ErrPasswordEmpty},
		{"too long password", strings.Repeat("a", 1025), enc, false, ErrPasswordTooLong},
		{"hash byte changed", pw, withKey(string(flipped)), false, nil},
		{"hash truncated", pw, withKey(parts[5][:24]), false, nil},
		{"argon2i", pw, strings.Replace(enc, "$argon2id$", "$argon2i$", 1), false, ErrMalformedHash},
		{"version 16", pw, strings.Replace(enc, "v=19", "v=16", 1), false, ErrMalformedHash},
		{"no version", pw, strings.Replace(enc, "$v=19", "", 1), false, ErrMalformedHash},
		{"params reordered", pw, strings.Replace(enc, "m=64,t=1", "t=1,m=64", 1), false, ErrMalformedHash},
		{"leading zero", pw, strings.Replace(enc, "m=64", "m=064", 1), false, ErrMalformedHash},
		{"memory changed", pw, strings.Replace(enc, "m=64", "m=72", 1), false, nil},
		{"memory huge", pw, strings.Replace(enc, "m=64", "m=4294967295", 1), false, ErrMalformedHash},
		{"memory overflow", pw, strings.Replace(enc, "m=64", "m=4294967296", 1), false, ErrMalformedHash},
		{"time huge", pw, strings.Replace(enc, "t=1", "t=1000000", 1), false, ErrMalformedHash},
		{"threads zero", pw, strings.Replace(enc, "p=1", "p=0", 1), false, ErrMalformedHash},
		{"threads 256", pw, strings.Replace(enc, "p=1", "p=256", 1), false, ErrMalformedHash},
		{"negative", pw, strings.Replace(enc, "t=1", "t=-1", 1), false, ErrMalformedHash},
		{"padded salt", pw, strings.Replace(enc, parts[4], parts[4]+"==", 1), false, ErrMalformedHash},
		{"salt too short", pw, strings.Replace(enc, parts[4], "AAAA", 1), false, ErrMalformedHash},
		{"extra field", pw, enc + "$x", false, ErrMalformedHash},
		{"empty", pw, "", false, ErrMalformedHash},
		{"bcrypt", pw, "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", false, ErrMalformedHash},
		{"very long", pw, enc + strings.Repeat("A", 300), false, ErrMalformedHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := VerifyWith(tt.password, tt.encoded, cheap)
			if ok != tt.ok || rehash || !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("VerifyWith = %v, %v, %v; want %v, false, %v", ok, rehash, err, tt.ok, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), pw) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	const pw = "correct horse battery staple"
	enc, err := Hash(pw, cheap, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		current Params
		rehash  bool
	}{
		{"same params", cheap, false},
		{"more time", Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more memory", Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more threads", Params{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}, true},
		{"longer salt", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32}, true},
		{"longer key", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64}, true},
		{"the default", Default, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := VerifyWith(pw, enc, tt.current)
			if !ok || rehash != tt.rehash || err != nil {
				t.Errorf("VerifyWith = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.rehash)
			}
		})
	}
	if ok, rehash, err := Verify(pw, enc); !ok || !rehash || err != nil {
		t.Errorf("Verify of a cheap hash = %v, %v, %v; want a rehash", ok, rehash, err)
	}
	// No rehash on a wrong password, whatever the parameters.
	if ok, rehash, _ := Verify("not it at all!", enc); ok || rehash {
		t.Errorf("wrong password: ok=%v rehash=%v", ok, rehash)
	}
}

// TestDefaultAndNoAccount uses real Default parameters (the placeholder
// hash of VerifyNoAccount is one).
func TestDefaultAndNoAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("Default parameters cost 64 MiB and about 0.2 s per hash")
	}
	if VerifyNoAccount("correct horse battery staple") {
		t.Error("VerifyNoAccount returned true")
	}
	if VerifyNoAccount("") {
		t.Error("VerifyNoAccount of an empty password returned true")
	}
	enc := absent()
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=65536,t=2,p=1$") {
		t.Errorf("Default PHC prefix: %s", enc)
	}
	ok, rehash, err := Verify("housecall-no-such-account", enc)
	if !ok || rehash || err != nil {
		t.Errorf("Verify of a Default hash = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}
