package scope

import (
	"net/url"
	"reflect"
	"testing"
)

func mustParse(t *testing.T, s string) Set {
	t.Helper()
	set, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return set
}

func TestAllows(t *testing.T) {
	tests := []struct {
		scopes string
		ctx    Context
		typ    string
		p      Perm
		want   bool
	}{
		{"patient/Observation.rs", Patient, "Observation", Read, true},
		{"patient/Observation.rs", Patient, "Observation", Search, true},
		{"patient/Observation.rs", Patient, "Observation", Read | Search, true},
		{"patient/Observation.rs", Patient, "Observation", Update, false},
		{"patient/Observation.rs", Patient, "Observation", Read | Update, false},
		{"patient/Observation.rs", Patient, "Condition", Read, false},
		{"patient/Observation.rs", User, "Observation", Read, false},
		{"patient/*.rs", Patient, "Condition", Search, true},
		{"patient/*.rs", Patient, "Condition", Create, false},
		{"user/*.cruds", User, "Patient", AllPerms, true},
		{"user/*.cruds", Patient, "Patient", Read, false},
		{"system/*.read", System, "Patient", Search, true},
		{"system/*.write", System, "Patient", Delete, true},
		{"system/*.write", System, "Patient", Read, false},
		// permissions add up across unrestricted scopes
		{"patient/Observation.r patient/*.s", Patient, "Observation", Read | Search, true},
		// restricted scopes do not count
		{"patient/Observation.rs?category=laboratory", Patient, "Observation", Read, false},
		{"", Patient, "Observation", Read, false},
		{"patient/*.cruds", Patient, "Observation", 0, false},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.scopes)
		if got := s.Allows(tt.ctx, tt.typ, tt.p); got != tt.want {
			t.Errorf("%q.Allows(%s, %s, %s) = %v, want %v", tt.scopes, tt.ctx, tt.typ, tt.p, got, tt.want)
		}
	}
}

func TestFilters(t *testing.T) {
	tests := []struct {
		name         string
		scopes       string
		typ          string
		p            Perm
		unrestricted bool
		filters      []url.Values
	}{
		{"unrestricted wins", "patient/Observation.rs patient/Observation.rs?category=laboratory",
			"Observation", Read, true, nil},
		{"one filter", "patient/Observation.rs?category=laboratory",
			"Observation", Search, false, []url.Values{{"category": {"laboratory"}}}},
		{"two filters in canonical order", "patient/Observation.rs?category=vital-signs patient/*.r?_security=N",
			"Observation", Read, false, []url.Values{{"_security": {"N"}}, {"category": {"vital-signs"}}}},
		{"filter lacking the permission", "patient/Observation.r?category=laboratory",
			"Observation", Search, false, nil},
		{"other type", "patient/Observation.rs?category=laboratory",
			"Condition", Read, false, nil},
		{"nothing", "openid", "Observation", Read, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.scopes)
			unr, f := s.Filters(Patient, tt.typ, tt.p)
			if unr != tt.unrestricted || !reflect.DeepEqual(f, tt.filters) {
				t.Fatalf("Filters = %v, %v; want %v, %v", unr, f, tt.unrestricted, tt.filters)
			}
		})
	}
}

func TestFiltersReturnsCopies(t *testing.T) {
	s := mustParse(t, "patient/Observation.rs?category=laboratory")
	_, f := s.Filters(Patient, "Observation", Read)
	f[0].Set("category", "changed")
	if got := s.Resources[0].Query.Get("category"); got != "laboratory" {
		t.Fatalf("mutating a filter changed the Set: %q", got)
	}
}

func TestHas(t *testing.T) {
	s := mustParse(t, "openid launch/patient patient/*.rs")
	tests := []struct {
		tok  string
		want bool
	}{
		{"openid", true},
		{"launch/patient", true},
		{"launch", false},
		{"patient/*.rs", false}, // resource scopes are not Other
		{"OPENID", false},
	}
	for _, tt := range tests {
		if got := s.Has(tt.tok); got != tt.want {
			t.Errorf("Has(%q) = %v, want %v", tt.tok, got, tt.want)
		}
	}
}

func TestSetString(t *testing.T) {
	tests := []struct {
		set  Set
		want string
	}{
		{Set{}, ""},
		{Set{
			Resources: []Scope{
				{Context: User, Type: "Patient", Perms: Search | Read, Raw: "user/Patient.read"},
				{Context: Patient, Type: "*", Perms: Read},
				{Context: User, Type: "Patient", Perms: Read | Search},
			},
			Other: []string{"openid", "fhirUser", "openid"},
		}, "fhirUser openid patient/*.r user/Patient.rs"},
		{Set{Resources: []Scope{{Context: Patient, Type: "Observation", Perms: Read,
			Query: url.Values{"z": {"2", "1"}, "a": {"x y"}}}}},
			"patient/Observation.r?a=x%20y&z=1&z=2"},
	}
	for _, tt := range tests {
		if got := tt.set.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestContexts(t *testing.T) {
	tests := []struct {
		scopes string
		want   []Context
	}{
		{"openid", nil},
		{"user/*.rs patient/Observation.r patient/*.s", []Context{Patient, User}},
		{"system/*.rs", []Context{System}},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.scopes).Contexts(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Contexts(%q) = %v, want %v", tt.scopes, got, tt.want)
		}
	}
}

func TestSetEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"openid patient/*.read", "patient/*.rs openid openid", true},
		{"patient/*.rs", "patient/*.r", false},
		{"patient/*.rs", "user/*.rs", false},
		{"patient/Observation.rs?a=1", "patient/Observation.rs?a=2", false},
		{"patient/Observation.rs?a=1&a=2", "patient/Observation.rs?a=2&a=1", true},
		{"openid", "profile", false},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.a).Equal(mustParse(t, tt.b)); got != tt.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
