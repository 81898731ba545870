// Package auth holds who is calling: the Identity every request carries in
// its context once its credentials are checked, and the roles and token
// claims that produce it. Sub-packages issue and check credentials
// (account, oauth, token, credential, scope); the access policy that turns
// an Identity into allowed data lives in policy.go.
package auth

import (
	"context"
	"strings"

	"github.com/housecall/housecall/internal/auth/scope"
)

// Role is what a user account is for.
type Role string

const (
	RoleAdmin        Role = "admin"
	RolePractitioner Role = "practitioner"
	RoleStaff        Role = "staff"
	RolePatient      Role = "patient"
)

// ValidRole reports whether r is one of the four roles.
func ValidRole(r Role) bool {
	switch r {
	case RoleAdmin, RolePractitioner, RoleStaff, RolePatient:
		return true
	}
	return false
}

// FHIRTypesForRole lists the resource types a user of the role may be
// linked to (Practitioner for clinicians, Patient or RelatedPerson for
// patients).
func FHIRTypesForRole(r Role) []string {
	switch r {
	case RolePractitioner:
		return []string{"Practitioner"}
	case RolePatient:
		return []string{"Patient", "RelatedPerson"}
	case RoleStaff, RoleAdmin:
		return []string{"Practitioner", "Person"}
	}
	return nil
}

// Kind is what authenticated.
type Kind string

const (
	// KindUser: a person signed in (possibly through an app).
	KindUser Kind = "user"
	// KindClient: a machine client with its own credentials (client
	// credentials grant, SMART Backend Services).
	KindClient Kind = "client"
	// KindSystem: Housecall itself (command-line tools, internal jobs). It
	// never comes from a request.
	KindSystem Kind = "system"
	// KindInvite: someone who opened a video-visit invitation link (the
	// patient of the visit, or an interpreter or family member) without an
	// account. Subject is the invitation id; FHIRUser the Patient or
	// RelatedPerson invited; the token is refused once the invitation is
	// withdrawn or expired.
	KindInvite Kind = "invite"
)

// Identity is an authenticated caller.
type Identity struct {
	Kind Kind
	// Subject is the user id (KindUser), client id (KindClient) or
	// invitation id (KindInvite).
	Subject string
	// Role of a user.
	Role Role
	// FHIRUser is the user's own resource ("Practitioner/123").
	FHIRUser string
	// Patient is the patient in context ("123"): a patient user's own
	// record, or the patient chosen at launch.
	Patient string
	// ClientID is the OAuth client the token was issued to.
	ClientID string
	// Scopes granted to the token.
	Scopes scope.Set
	// TokenID is the access token's jti (revocation, audit).
	TokenID string
	// Display is a name for audit records (not necessarily unique).
	Display string
}

// System returns the identity of Housecall itself: full access, for
// command-line tools and internal jobs.
func System(display string) *Identity {
	all, _ := scope.Parse("system/*.cruds")
	return &Identity{Kind: KindSystem, Subject: "housecall", Display: display, Scopes: all}
}

// IsPatient reports whether the identity acts for one patient only: a
// patient user, an invitation (its patient, or none for a guest: guests
// must never fall back to the user/ rules), or a token with patient/
// scopes and a patient in context.
func (id *Identity) IsPatient() bool {
	if id.Kind == KindUser && id.Role == RolePatient || id.Kind == KindInvite {
		return true
	}
	return id.Patient != "" && !hasContext(id.Scopes, scope.User) && !hasContext(id.Scopes, scope.System)
}

func hasContext(s scope.Set, c scope.Context) bool {
	for _, x := range s.Contexts() {
		if x == c {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the identity in ctx, if any.
func FromContext(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(*Identity)
	return id, ok && id != nil
}

// Access-token claim names beyond the registered and SMART ones.
const (
	ClaimRole = "role" // user role
	ClaimKind = "kind" // user, client or invite
)

// SplitRef splits "Type/id".
func SplitRef(ref string) (typ, id string, ok bool) {
	typ, id, ok = strings.Cut(ref, "/")
	return typ, id, ok && typ != "" && id != "" && !strings.Contains(id, "/")
}
