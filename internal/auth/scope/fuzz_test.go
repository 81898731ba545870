package scope

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error wraps
// ErrInvalid, and that every accepted input round-trips: the canonical
// String parses back to an equal Set that prints the same string.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"openid fhirUser launch/patient offline_access patient/*.rs",
		"patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
		"user/*.cruds system/Patient.read patient/Observation.write user/Condition.*",
		"patient/Observation.rs?code=a&code=b&category=x%20y+z",
		"user/Observation.r?a=%26%3D%25%2B%3B  launch",
		"patient/Observation.sr",
		"patient/Observation.read?code=x",
		"openid\tprofile",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s1, err := Parse(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrInvalid", in, err)
			}
			return
		}
		canon := s1.String()
		s2, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) ok but its String %q fails: %v", in, canon, err)
		}
		if !s1.Equal(s2) {
			t.Fatalf("round trip of %q via %q: %+v != %+v", in, canon, s1, s2)
		}
		if len(s1.Resources) != len(s2.Resources) || len(s1.Other) != len(s2.Other) {
			t.Fatalf("round trip of %q changed sizes: %+v vs %+v", in, s1, s2)
		}
		for i := range s1.Resources {
			if !s1.Resources[i].Equal(s2.Resources[i]) {
				t.Fatalf("round trip of %q: scope %d %+v != %+v", in, i, s1.Resources[i], s2.Resources[i])
			}
			if s1.Resources[i].Perms == 0 {
				t.Fatalf("Parse(%q) produced a scope with no permissions", in)
			}
		}
		for i := range s1.Other {
			if s1.Other[i] != s2.Other[i] {
				t.Fatalf("round trip of %q: other %d %q != %q", in, i, s1.Other[i], s2.Other[i])
			}
		}
		if again := s2.String(); again != canon {
			t.Fatalf("String not stable: %q then %q", canon, again)
		}
	})
}
