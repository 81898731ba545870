package oauth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/scope"
	"github.com/housecall/housecall/internal/fhir"
)

// Non-resource scopes the server understands.
const (
	scopeOpenID        = "openid"
	scopeFHIRUser      = "fhirUser"
	scopeLaunchPatient = "launch/patient"
	scopeOffline       = "offline_access"
	scopeOnline        = "online_access"
)

// implicitAppScopes are allowed to every client of the authorization code
// grant without registering them: identity and standalone patient
// context. offline_access must be registered, because it outlives the
// user's session.
var implicitAppScopes = []string{scopeOpenID, scopeFHIRUser, scopeLaunchPatient, scopeOnline}

func parseScopes(s string) (scope.Set, error) {
	return scope.ParseWith(s, fhir.IsResourceType)
}

// roleAllowed is what a user may ever be granted, whatever the client:
// patients get patient/ scopes when they are linked to their own Patient,
// everyone else user/ scopes. The access policy decides the rest.
func roleAllowed(u *account.User) scope.Set {
	var toks []string
	if u.Role == auth.RolePatient {
		if u.PatientID() != "" {
			toks = append(toks, "patient/*.cruds", scopeLaunchPatient)
		}
	} else {
		toks = append(toks, "user/*.cruds")
	}
	toks = append(toks, scopeOpenID, scopeOffline, scopeOnline)
	if u.FHIRResource != "" {
		toks = append(toks, scopeFHIRUser)
	}
	set, _ := scope.Parse(strings.Join(toks, " "))
	return set
}

// clientAllowedForUsers is a client's registered scopes plus the implicit
// app scopes.
func clientAllowedForUsers(c *account.Client) (scope.Set, error) {
	set, err := parseScopes(c.Scopes)
	if err != nil {
		return scope.Set{}, fmt.Errorf("client scopes: %w", err)
	}
	set.Other = append(set.Other, implicitAppScopes...)
	return set, nil
}

// userGrant is what a user signing in to a client gets for a request.
type userGrant struct {
	scopes  scope.Set
	patient string // patient context id
}

// grantForUser narrows requested scopes to the client's allowed ones and
// then to the user's role. Patient context is the patient user's own
// record, given when patient/ scopes or launch/patient are granted.
func grantForUser(requested scope.Set, c *account.Client, u *account.User) (userGrant, error) {
	allowed, err := clientAllowedForUsers(c)
	if err != nil {
		return userGrant{}, err
	}
	g := scope.Grant(scope.Grant(requested, allowed), roleAllowed(u))
	var out userGrant
	out.scopes = g
	if u.Role == auth.RolePatient && (g.Has(scopeLaunchPatient) || slices.Contains(g.Contexts(), scope.Patient)) {
		out.patient = u.PatientID()
	}
	return out, nil
}

// systemOnly keeps the system/ resource scopes of a set.
func systemOnly(s scope.Set) scope.Set {
	var out scope.Set
	for _, sc := range s.Resources {
		if sc.Context == scope.System {
			out.Resources = append(out.Resources, sc)
		}
	}
	return out
}

// wantsRefresh reports whether a grant carries a refresh token.
func wantsRefresh(s scope.Set) bool { return s.Has(scopeOffline) || s.Has(scopeOnline) }

// scopeLine is one row of the consent page.
type scopeLine struct {
	Scope, Text string
}

var permWords = []struct {
	p scope.Perm
	w string
}{{scope.Read, "read"}, {scope.Search, "search"}, {scope.Create, "create"}, {scope.Update, "update"}, {scope.Delete, "delete"}}

// describe turns a granted scope set into sentences for the consent page.
func describe(s scope.Set, u *account.User) []scopeLine {
	var out []scopeLine
	for _, sc := range s.Resources {
		var words []string
		for _, pw := range permWords {
			if sc.Perms&pw.p != 0 {
				words = append(words, pw.w)
			}
		}
		verbs := strings.Join(words, ", ")
		if i := strings.LastIndex(verbs, ", "); i >= 0 {
			verbs = verbs[:i] + " and " + verbs[i+2:]
		}
		verbs = strings.ToUpper(verbs[:1]) + verbs[1:]
		what := "all types of records"
		if sc.Type != "*" {
			what = sc.Type + " records"
		}
		whose := "that you have access to"
		if sc.Context == scope.Patient {
			whose = "in your health record"
		}
		text := fmt.Sprintf("%s %s %s", verbs, what, whose)
		if len(sc.Query) > 0 {
			text += " (only those matching a filter)"
		}
		out = append(out, scopeLine{Scope: sc.String(), Text: text})
	}
	for _, o := range s.Other {
		var text string
		switch o {
		case scopeOpenID:
			text = "Confirm who you are"
		case scopeFHIRUser:
			text = "Know which " + resourceType(u.FHIRResource) + " record is yours"
		case scopeLaunchPatient:
			text = "Open your own patient record"
		case scopeOffline:
			text = "Keep access when you are not using the app, until you revoke it"
		case scopeOnline:
			text = "Keep access while you stay signed in"
		default:
			text = "Use the permission “" + o + "”"
		}
		out = append(out, scopeLine{Scope: o, Text: text})
	}
	return out
}

func resourceType(ref string) string {
	if t, _, ok := auth.SplitRef(ref); ok {
		return t
	}
	return "person"
}
