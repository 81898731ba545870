package credential

import (
	"errors"
	"testing"
)

// FuzzVerifyPHC: no stored string makes Verify panic; every error is one
// of the documented ones; a string that verifies is exactly what Hash
// would write for its parameters. The parameter limits are lowered so
// that each input costs microseconds.
func FuzzVerifyPHC(f *testing.F) {
	saved := limits
	limits.maxParams = Params{Memory: 256, Time: 2, Threads: 4, SaltLen: 64, KeyLen: 64}
	f.Cleanup(func() { limits = saved })

	good, err := Hash("correct horse battery staple", cheap, seq(0, 16))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "correct horse battery staple")
	f.Add(good, "wrong")
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x")
	f.Fuzz(func(t *testing.T, encoded, password string) {
		ok, rehash, err := VerifyWith(password, encoded, cheap)
		if err != nil {
			if ok || rehash {
				t.Fatalf("error with ok=%v rehash=%v", ok, rehash)
			}
			if !errors.Is(err, ErrMalformedHash) && !errors.Is(err, ErrPasswordEmpty) && !errors.Is(err, ErrPasswordTooLong) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		if !ok && rehash {
			t.Fatal("rehash without a match")
		}
		p, salt, key, err := decodePHC(encoded)
		if err != nil {
			t.Fatalf("Verify accepted a string decodePHC rejects: %v", err)
		}
		if encodePHC(p, salt, key) != encoded {
			t.Fatalf("accepted a non-canonical PHC string %q", encoded)
		}
	})
}
