package scope

import "testing"

func TestGrant(t *testing.T) {
	tests := []struct {
		name, requested, allowed, want string
	}{
		{"narrow wildcard request", "patient/*.cruds", "patient/Observation.rs", "patient/Observation.rs"},
		{"narrow permissions", "patient/Observation.cruds", "patient/*.rs", "patient/Observation.rs"},
		{"exact", "patient/Observation.rs", "patient/Observation.rs", "patient/Observation.rs"},
		{"nothing in common", "patient/Observation.cud", "patient/*.rs", ""},
		{"types differ", "patient/Condition.rs", "patient/Observation.rs", ""},
		{"contexts never mix", "user/*.rs", "patient/*.rs", ""},
		{"v1 request", "patient/*.read", "patient/*.cruds", "patient/*.rs"},
		{"v1 allowed", "user/Patient.cruds", "user/*.write", "user/Patient.cud"},
		{"several allowed", "patient/*.rs", "patient/Observation.r patient/Condition.rs",
			"patient/Condition.rs patient/Observation.r"},
		{"covered results dropped", "patient/*.rs", "patient/*.r patient/Observation.rs",
			"patient/*.r patient/Observation.rs"},
		{"subsumed by wildcard", "patient/Observation.rs patient/*.rs", "patient/*.rs", "patient/*.rs"},
		{"allowed query restricts", "patient/*.rs", "patient/Observation.rs?category=laboratory",
			"patient/Observation.rs?category=laboratory"},
		{"requested query kept", "patient/Observation.rs?category=laboratory", "patient/*.cruds",
			"patient/Observation.rs?category=laboratory"},
		{"queries merge", "patient/Observation.rs?category=laboratory", "patient/Observation.r?_security=N",
			"patient/Observation.r?_security=N&category=laboratory"},
		{"same query parameter keeps both values", "patient/Observation.rs?code=a", "patient/Observation.rs?code=b",
			"patient/Observation.rs?code=a&code=b"},
		{"unrestricted covers restricted", "patient/Observation.rs patient/Observation.rs?code=a", "patient/*.rs",
			"patient/Observation.rs"},
		{"others need allowance", "openid fhirUser launch/patient offline_access",
			"openid launch/patient", "launch/patient openid"},
		{"others not added", "patient/*.rs", "openid patient/*.rs", "patient/*.rs"},
		{"mixed", "openid fhirUser patient/*.cruds user/Practitioner.rs system/*.rs",
			"openid fhirUser patient/Observation.rs patient/Condition.r user/*.r",
			"fhirUser openid patient/Condition.r patient/Observation.rs user/Practitioner.r"},
		{"empty request", "", "patient/*.cruds openid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Grant(mustParse(t, tt.requested), mustParse(t, tt.allowed))
			if s := got.String(); s != tt.want {
				t.Fatalf("Grant(%q, %q) = %q, want %q", tt.requested, tt.allowed, s, tt.want)
			}
			if !got.Equal(mustParse(t, tt.want)) {
				t.Fatalf("granted Set %+v does not equal Parse(%q)", got, tt.want)
			}
			for _, sc := range got.Resources {
				if sc.Raw != sc.String() {
					t.Errorf("Raw = %q, want canonical %q", sc.Raw, sc.String())
				}
			}
		})
	}
}

// TestGrantNeverWidens checks on a grid of scopes that whatever Grant
// returns is allowed both by the request and by the allowance.
func TestGrantNeverWidens(t *testing.T) {
	scopes := []string{"patient/*.cruds", "patient/Observation.rs", "patient/Condition.r", "user/*.rs",
		"user/Patient.cud", "system/*.s", "patient/*.read", "patient/Observation.s?category=lab"}
	for _, r := range scopes {
		for _, a := range scopes {
			req, all := mustParse(t, r), mustParse(t, a)
			got := Grant(req, all)
			for _, sc := range got.Resources {
				for _, b := range []Perm{Create, Read, Update, Delete, Search} {
					if sc.Perms&b == 0 {
						continue
					}
					typ := sc.Type
					if typ == "*" {
						typ = "Anything"
					}
					if len(sc.Query) == 0 && (!req.Allows(sc.Context, typ, b) || !all.Allows(sc.Context, typ, b)) {
						t.Errorf("Grant(%q, %q) gave %s which is not allowed by both", r, a, sc)
					}
				}
			}
		}
	}
}
