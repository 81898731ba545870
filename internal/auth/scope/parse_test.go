package scope

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	lab := url.Values{"category": {"http://terminology.hl7.org/CodeSystem/observation-category|laboratory"}}
	tests := []struct {
		name  string
		in    string
		res   []Scope // Raw is checked separately
		other []string
		canon string
	}{
		{"empty", "", nil, nil, ""},
		{"only spaces", "   ", nil, nil, ""},
		{"v2 rs", "patient/Observation.rs",
			[]Scope{{Context: Patient, Type: "Observation", Perms: Read | Search}}, nil,
			"patient/Observation.rs"},
		{"v2 cruds wildcard", "user/*.cruds",
			[]Scope{{Context: User, Type: "*", Perms: AllPerms}}, nil, "user/*.cruds"},
		{"v2 cud", "system/Patient.cud",
			[]Scope{{Context: System, Type: "Patient", Perms: Create | Update | Delete}}, nil, "system/Patient.cud"},
		{"v2 single s", "patient/Condition.s",
			[]Scope{{Context: Patient, Type: "Condition", Perms: Search}}, nil, "patient/Condition.s"},
		{"v1 read", "patient/Observation.read",
			[]Scope{{Context: Patient, Type: "Observation", Perms: Read | Search}}, nil, "patient/Observation.rs"},
		{"v1 write", "user/Encounter.write",
			[]Scope{{Context: User, Type: "Encounter", Perms: Create | Update | Delete}}, nil, "user/Encounter.cud"},
		{"v1 star", "system/*.*",
			[]Scope{{Context: System, Type: "*", Perms: AllPerms}}, nil, "system/*.cruds"},
		{"v1 and v2 spelling dedupe", "patient/Observation.read patient/Observation.rs",
			[]Scope{{Context: Patient, Type: "Observation", Perms: Read | Search}}, nil, "patient/Observation.rs"},
		{"query", "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
			[]Scope{{Context: Patient, Type: "Observation", Perms: Read | Search, Query: lab}}, nil,
			"patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory"},
		{"query sorted, escapes decoded", "patient/Observation.rs?code=b&code=a&category=x%20y+z",
			[]Scope{{Context: Patient, Type: "Observation", Perms: Read | Search,
				Query: url.Values{"code": {"a", "b"}, "category": {"x y z"}}}}, nil,
			"patient/Observation.rs?category=x%20y%20z&code=a&code=b"},
		{"query special chars re-escaped", "user/Observation.r?a=%26%3D%25%2B%3B",
			[]Scope{{Context: User, Type: "Observation", Perms: Read, Query: url.Values{"a": {"&=%+;"}}}}, nil,
			"user/Observation.r?a=%26%3D%25%2B%3B"},
		{"others verbatim and sorted", "openid fhirUser launch/patient offline_access my:custom",
			nil, []string{"fhirUser", "launch/patient", "my:custom", "offline_access", "openid"},
			"fhirUser launch/patient my:custom offline_access openid"},
		{"launch context not a resource scope", "launch launch/encounter online_access profile",
			nil, []string{"launch", "launch/encounter", "online_access", "profile"},
			"launch launch/encounter online_access profile"},
		{"other slash prefixes are others", "Patient/Observation.rs https://x/y",
			nil, []string{"Patient/Observation.rs", "https://x/y"}, "Patient/Observation.rs https://x/y"},
		{"repeated spaces mixed", "  openid   patient/*.rs  openid user/Practitioner.r ",
			[]Scope{{Context: Patient, Type: "*", Perms: Read | Search}, {Context: User, Type: "Practitioner", Perms: Read}},
			[]string{"openid"}, "openid patient/*.rs user/Practitioner.r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			want := Set{Resources: tt.res, Other: tt.other}
			if !got.Equal(want) {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.in, got, want)
			}
			if len(got.Resources) != len(tt.res) {
				t.Fatalf("got %d resource scopes, want %d", len(got.Resources), len(tt.res))
			}
			for i := range tt.res {
				if !got.Resources[i].Equal(tt.res[i]) {
					t.Errorf("resource %d = %+v, want %+v (order)", i, got.Resources[i], tt.res[i])
				}
				if !strings.Contains(tt.in, got.Resources[i].Raw) || got.Resources[i].Raw == "" {
					t.Errorf("Raw %q not taken from input", got.Resources[i].Raw)
				}
			}
			if s := got.String(); s != tt.canon {
				t.Errorf("String() = %q, want %q", s, tt.canon)
			}
		})
	}
}

func TestParseRaw(t *testing.T) {
	s, err := Parse("patient/Observation.read")
	if err != nil {
		t.Fatal(err)
	}
	if s.Resources[0].Raw != "patient/Observation.read" {
		t.Fatalf("Raw = %q", s.Resources[0].Raw)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		mention  string // substring the error must contain
	}{
		{"perms out of order", "patient/Observation.sr", "patient/Observation.sr"},
		{"perms repeated", "patient/Observation.rr", "patient/Observation.rr"},
		{"perms unknown letter", "user/*.rx", "user/*.rx"},
		{"perms empty", "user/Patient.", "user/Patient."},
		{"no perms", "patient/Observation", "patient/Observation"},
		{"v1 typo", "patient/Observation.reads", "patient/Observation.reads"},
		{"v1 upper", "patient/Observation.READ", "patient/Observation.READ"},
		{"lowercase type", "patient/observation.rs", "patient/observation.rs"},
		{"type with digit", "patient/Obs2.rs", "patient/Obs2.rs"},
		{"one letter type", "patient/O.rs", "patient/O.rs"},
		{"empty type", "system/.rs", "system/.rs"},
		{"nothing after context", "user/", "user/"},
		{"bad token among good", "openid patient/*.rs user/*.rsc", "user/*.rsc"},
		{"v1 with query", "patient/Observation.read?code=x", "patient/Observation.read?..."},
		{"empty query", "patient/Observation.rs?", "patient/Observation.rs?..."},
		{"query only separators", "patient/Observation.rs?&&", "patient/Observation.rs?..."},
		{"query empty value", "patient/Observation.rs?code=", "patient/Observation.rs?..."},
		{"query no value", "patient/Observation.rs?code", "patient/Observation.rs?..."},
		{"query empty name", "patient/Observation.rs?=x", "patient/Observation.rs?..."},
		{"query semicolon", "patient/Observation.rs?a=1;b=2", "patient/Observation.rs?..."},
		{"query bad escape", "patient/Observation.rs?a=%zz", "patient/Observation.rs?..."},
		{"tab", "openid\tprofile", "0x09"},
		{"newline", "openid\nprofile", "0x0a"},
		{"nul", "openid\x00", "0x00"},
		{"del", "openid\x7f", "0x7f"},
		{"non-ascii", "openid é", "0xc3"},
		{"double quote", `openid "x"`, "0x22"},
		{"backslash", `a\b`, "0x5c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error", tt.in, got)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			if _, q, ok := strings.Cut(tt.in, "?"); ok && q != "" && strings.Contains(err.Error(), q) {
				t.Errorf("error %q leaks the query", err)
			}
		})
	}
}

func TestParseWith(t *testing.T) {
	known := func(s string) bool { return s == "Observation" || s == "X" }
	tests := []struct {
		in string
		ok bool
	}{
		{"patient/Observation.rs", true},
		{"patient/X.rs", true}, // the validator decides, not the syntax
		{"patient/*.rs", true}, // "*" needs no validator
		{"patient/Foo.rs", false},
		{"patient/Patient.rs", false},
	}
	for _, tt := range tests {
		_, err := ParseWith(tt.in, known)
		if (err == nil) != tt.ok {
			t.Errorf("ParseWith(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}

func TestPermString(t *testing.T) {
	tests := []struct {
		p    Perm
		want string
	}{
		{0, ""},
		{Read, "r"},
		{Search | Read, "rs"},
		{AllPerms, "cruds"},
		{Delete | Create, "cd"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("Perm(%d).String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}
