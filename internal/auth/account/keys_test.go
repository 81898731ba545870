package account

import (
	"errors"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/auth/token"
)

func TestKeySetStorage(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			ctx := t.Context()
			opts := token.KeySetOptions{Now: c.Now, RotateEvery: 24 * time.Hour, Retain: 2 * time.Hour}
			node1, node2 := open(t, db, c, nil), open(t, db, c, nil)
			ks1, err := node1.LoadOrCreateKeySet(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			ks2, err := node2.LoadOrCreateKeySet(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			if ks1.CurrentKeyID() != ks2.CurrentKeyID() {
				t.Fatal("two nodes created different key sets")
			}
			var sealed string
			if err := db.QueryRow(ctx, "SELECT sealed FROM account_keys").Scan(&sealed); err != nil || len(sealed) < 100 || sealed[:3] != "v1." {
				t.Fatalf("stored key set is not sealed: %v", err)
			}
			// Not due: nothing changes.
			if _, changed, err := node1.RotateKeySet(ctx); err != nil || changed {
				t.Fatalf("early rotation: %v, %v", changed, err)
			}
			c.Advance(25 * time.Hour)
			rot, changed, err := node1.RotateKeySet(ctx)
			if err != nil || !changed || rot.CurrentKeyID() == ks1.CurrentKeyID() {
				t.Fatalf("rotation: changed=%v err=%v", changed, err)
			}
			// node2 still holds the old version: its save conflicts, and its
			// rotation returns node1's keys instead of rotating again.
			if err := node2.SaveKeySet(ctx, ks2); !errors.Is(err, ErrConflict) {
				t.Fatalf("stale save: %v", err)
			}
			again, changed, err := node2.RotateKeySet(ctx)
			if err != nil || changed || again.CurrentKeyID() != rot.CurrentKeyID() {
				t.Fatalf("second node rotation: changed=%v err=%v", changed, err)
			}
			// A token signed with the old key still verifies during Retain,
			// and the old key is pruned after it.
			tok, err := rot.Sign(token.Claims{Issuer: "i", Audience: []string{"a"}, ExpiresAt: c.Now().Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := again.Verify(tok, token.Verifier{Issuer: "i", Audience: "a", Now: c.Now}); err != nil {
				t.Fatalf("token from the other node: %v", err)
			}
			c.Advance(3 * time.Hour)
			pruned, changed, err := node2.RotateKeySet(ctx)
			if err != nil || !changed {
				t.Fatalf("prune: %v %v", changed, err)
			}
			jwks, _ := pruned.JWKS()
			if n := countKeys(t, jwks); n != 1 {
				t.Fatalf("after prune %d keys, want 1", n)
			}
			// The wrong server secret cannot open the stored keys.
			other := open(t, db, c, func(o *Options) { o.Secret = []byte("ffffffffffffffffffffffffffffffff") })
			if _, err := other.LoadKeySet(ctx); err == nil {
				t.Fatal("key set opened with the wrong secret")
			}
		})
	}
}

func countKeys(t *testing.T, jwks []byte) int {
	t.Helper()
	var doc struct{ Keys []any }
	if err := jsonUnmarshal(jwks, &doc); err != nil {
		t.Fatal(err)
	}
	return len(doc.Keys)
}
