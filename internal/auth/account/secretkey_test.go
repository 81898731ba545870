package account

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/housecall/housecall/internal/config"
	"github.com/housecall/housecall/internal/store/sqlite"
)

var jsonUnmarshal = json.Unmarshal

func TestSecretKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	got, err := SecretKey(config.Config{SecretKey: base64.StdEncoding.EncodeToString(key)})
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("from config: %v", err)
	}
	if _, err := SecretKey(config.Config{SecretKey: "c2hvcnQ="}); err == nil {
		t.Fatal("short key accepted")
	}
	if _, err := SecretKey(config.Config{}); err == nil {
		t.Fatal("no key and no data dir accepted")
	}
	dir := filepath.Join(t.TempDir(), "data")
	cfg := config.Config{DataDir: dir}
	// Concurrent first starts agree on one key.
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := SecretKey(cfg)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) || len(k) != 32 {
			t.Fatal("concurrent starts disagree on the key")
		}
	}
	st, err := os.Stat(filepath.Join(dir, SecretKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", st.Mode(), err)
	}
	again, err := SecretKey(cfg)
	if err != nil || !bytes.Equal(again, keys[0]) {
		t.Fatal("key changed on reload")
	}
	if err := os.WriteFile(filepath.Join(dir, SecretKeyFile), []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := SecretKey(cfg); err == nil {
		t.Fatal("garbage key file accepted")
	}
}

func TestSeal(t *testing.T) {
	lite, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "seal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	a := open(t, lite.Ops(), newClock(), nil)
	s, err := a.seal("totp:u1", []byte("JBSWY3DPEHPK3PXP"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := a.open("totp:u1", s); err != nil || string(p) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open = %q, %v", p, err)
	}
	if _, err := a.open("totp:u2", s); err == nil {
		t.Fatal("sealed value moved to another row opened")
	}
	tampered := []byte(s)
	tampered[len(tampered)-2] ^= 1
	if _, err := a.open("totp:u1", string(tampered)); err == nil {
		t.Fatal("tampered value opened")
	}
	if bytes.Equal(a.MAC("csrf", []byte("x")), a.MAC("other", []byte("x"))) {
		t.Fatal("MAC purposes are not separated")
	}
}
