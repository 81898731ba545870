package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/housecall/housecall/internal/auth/scope"
	"github.com/housecall/housecall/internal/fhir"
	"github.com/housecall/housecall/internal/store"
)

// Errors of the access policy. Handlers map ErrUnauthenticated to 401 and
// ErrForbidden to 403; a resource the caller may not see is reported as not
// found by the caller of Visible, never as forbidden, so that its existence
// does not leak.
var (
	ErrUnauthenticated = errors.New("authentication required")
	ErrForbidden       = errors.New("forbidden")
)

// Policy modes for practitioners and staff.
const (
	// ModeOrganization: practitioners and staff see every patient.
	ModeOrganization = "organization"
	// ModeStrict: practitioners see only patients they have an
	// Appointment or Encounter with.
	ModeStrict = "strict"
)

// directoryTypes are the resource types outside the Patient compartment
// that patient-scoped callers may read: who treats them, where, with what,
// and the forms and terminology an app needs. Every other type outside the
// compartment (Binary, Bundle, Group, AuditEvent of others …) stays hidden.
var directoryTypes = map[string]bool{
	"Practitioner": true, "PractitionerRole": true, "Organization": true, "Location": true,
	"HealthcareService": true, "Endpoint": true, "Schedule": true, "Slot": true,
	"Medication": true, "Substance": true, "Questionnaire": true, "ValueSet": true,
	"CodeSystem": true, "ConceptMap": true, "StructureDefinition": true, "SearchParameter": true,
	"OperationDefinition": true, "CapabilityStatement": true, "NamingSystem": true,
	"ActivityDefinition": true, "PlanDefinition": true, "Library": true,
}

// Policy decides what an Identity may do. It is consulted by the FHIR
// engine's single store-access point (rest/access.go) for every
// interaction, Bundle entry and search feature.
type Policy struct {
	Mode string
	// PatientsOf lists the ids of the patients a practitioner (FHIR
	// reference "Practitioner/1") has an Appointment or Encounter with;
	// required in ModeStrict.
	PatientsOf func(ctx context.Context, practitioner string) ([]string, error)
}

// Caller returns the identity in ctx, or ErrUnauthenticated.
func Caller(ctx context.Context) (*Identity, error) {
	id, ok := FromContext(ctx)
	if !ok {
		return nil, ErrUnauthenticated
	}
	return id, nil
}

// Allow reports whether id may perform op on resources of typ at all
// (scopes and role rules); which resources is Access's and Visible's job.
func (p *Policy) Allow(id *Identity, op scope.Perm, typ string) error {
	if id.Kind == KindSystem {
		return nil
	}
	if typ == "AuditEvent" {
		// The audit trail is append-only and written by Housecall alone.
		if op&(scope.Create|scope.Update|scope.Delete) != 0 {
			return fmt.Errorf("%w: the audit trail is append-only", ErrForbidden)
		}
		admin := id.Kind == KindUser && id.Role == RoleAdmin
		if !admin && !id.IsPatient() && id.Kind != KindClient {
			return fmt.Errorf("%w: only administrators and the patient concerned read audit events", ErrForbidden)
		}
	}
	if id.IsPatient() && !directoryTypes[typ] && len(fhir.CompartmentParams("Patient", typ)) == 0 && typ != "Patient" {
		return fmt.Errorf("%w: %s is not part of a patient record", ErrForbidden, typ)
	}
	if id.IsPatient() && directoryTypes[typ] && op&(scope.Create|scope.Update|scope.Delete) != 0 {
		return fmt.Errorf("%w: %s is read-only for patients", ErrForbidden, typ)
	}
	for _, c := range contextsOf(id) {
		if id.Scopes.Allows(c, typ, op) {
			return nil
		}
	}
	return fmt.Errorf("%w: the granted scopes do not allow %s on %s", ErrForbidden, op, typ)
}

// contextsOf is the scope contexts that apply to an identity: machine
// clients act as the system, patient-scoped callers through patient/
// scopes, other users through user/ scopes (and patient/ ones when a
// patient is in context).
func contextsOf(id *Identity) []scope.Context {
	switch {
	case id.Kind == KindClient:
		return []scope.Context{scope.System}
	case id.IsPatient():
		return []scope.Context{scope.Patient}
	case id.Patient != "":
		return []scope.Context{scope.User, scope.Patient}
	}
	return []scope.Context{scope.User}
}

// Access is the restriction searches of id run under: nil for callers who
// see every patient.
func (p *Policy) Access(ctx context.Context, id *Identity) (*store.Access, error) {
	switch {
	case id.Kind == KindSystem || id.Kind == KindClient:
		return nil, nil
	case id.IsPatient():
		if id.Patient == "" {
			return &store.Access{OpenTypes: directoryTypes}, nil
		}
		return &store.Access{Patients: []string{id.Patient}, OpenTypes: directoryTypes}, nil
	case id.Role == RoleAdmin || p.Mode != ModeStrict:
		return nil, nil
	}
	var patients []string
	if id.FHIRUser != "" && p.PatientsOf != nil {
		var err error
		if patients, err = p.PatientsOf(ctx, id.FHIRUser); err != nil {
			return nil, fmt.Errorf("access policy: listing the patients of %s: %w", id.FHIRUser, err)
		}
	}
	return &store.Access{Patients: patients, OpenTypes: openForStaff()}, nil
}

var staffOpen = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range fhir.ResourceTypes() {
		// Binary and Bundle are outside the compartment but can hold a
		// patient's documents whole.
		if t != "Patient" && t != "AuditEvent" && t != "Binary" && t != "Bundle" && len(fhir.CompartmentParams("Patient", t)) == 0 {
			m[t] = true
		}
	}
	return m
}()

// openForStaff: under the strict policy practitioners still see every
// resource that is not about a patient.
func openForStaff() map[string]bool { return staffOpen }

// Visible reports whether a resource of typ with id, whose Patient
// compartment membership is patients (search.Indexer.PatientRefs), is
// inside the access restriction a.
func Visible(a *store.Access, typ, id string, patients []string) bool {
	if a == nil || a.OpenTypes[typ] {
		return true
	}
	if typ == "Patient" {
		return slices.Contains(a.Patients, id)
	}
	for _, p := range patients {
		if slices.Contains(a.Patients, p) {
			return true
		}
	}
	return false
}
