package auth

import (
	"testing"

	"github.com/housecall/housecall/internal/auth/scope"
)

func TestIsPatient(t *testing.T) {
	sc := func(s string) scope.Set {
		set, err := scope.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	tests := []struct {
		name string
		id   Identity
		want bool
	}{
		{"patient user", Identity{Kind: KindUser, Role: RolePatient}, true},
		{"practitioner", Identity{Kind: KindUser, Role: RolePractitioner, Scopes: sc("user/*.rs")}, false},
		{"practitioner with a patient launch", Identity{Kind: KindUser, Role: RolePractitioner, Patient: "1", Scopes: sc("user/*.rs patient/*.rs")}, false},
		{"app with patient scopes", Identity{Kind: KindUser, Role: RolePractitioner, Patient: "1", Scopes: sc("patient/*.rs")}, true},
		{"client", Identity{Kind: KindClient, Scopes: sc("system/*.rs")}, false},
		{"invited patient", Identity{Kind: KindInvite, FHIRUser: "Patient/1", Patient: "1", Scopes: sc("patient/Patient.rs")}, true},
		// A guest has no patient and no scopes: it must still never be
		// treated like a user with user/ rules.
		{"invited guest", Identity{Kind: KindInvite, FHIRUser: "RelatedPerson/9"}, true},
	}
	for _, tc := range tests {
		if got := tc.id.IsPatient(); got != tc.want {
			t.Errorf("%s: IsPatient %v", tc.name, got)
		}
	}
	// The policy: a guest reads nothing; the invited patient only their
	// own record, through their scopes.
	p := &Policy{Mode: ModeOrganization}
	guest := &Identity{Kind: KindInvite, FHIRUser: "RelatedPerson/9"}
	if err := p.Allow(guest, scope.Read, "Encounter"); err == nil {
		t.Error("a guest may read Encounters")
	}
	if a, err := p.Access(t.Context(), guest); err != nil || a == nil || len(a.Patients) != 0 {
		t.Errorf("guest access %+v %v", a, err)
	}
	pat := &Identity{Kind: KindInvite, FHIRUser: "Patient/1", Patient: "1", Scopes: sc("patient/Encounter.rus")}
	if err := p.Allow(pat, scope.Update, "Encounter"); err != nil {
		t.Errorf("invited patient updating the visit: %v", err)
	}
	if err := p.Allow(pat, scope.Read, "Observation"); err == nil {
		t.Error("invited patient reads outside the scopes")
	}
	if a, err := p.Access(t.Context(), pat); err != nil || a == nil || len(a.Patients) != 1 || a.Patients[0] != "1" {
		t.Errorf("invited patient access %+v %v", a, err)
	}
}
