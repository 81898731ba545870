package adminapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/credential"
	"github.com/housecall/housecall/internal/fhir/rest"
)

// userJSON is a user as the API shows it.
type userJSON struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Role         auth.Role `json:"role"`
	FHIRResource string    `json:"fhirResource"`
	Name         string    `json:"name,omitempty"`
	Disabled     bool      `json:"disabled"`
	TOTP         bool      `json:"totp"`
	Created      time.Time `json:"created"`
}

func userOut(u *account.User, name string) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Role: u.Role, FHIRResource: u.FHIRResource, Name: name,
		Disabled: u.Disabled, TOTP: u.TOTPEnabled, Created: u.Created.UTC()}
}

func (a *API) listUsers(c *call) (int, any, error) {
	users, err := a.o.Accounts.ListUsers(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	names := a.names(c, users)
	out := make([]userJSON, 0, len(users))
	for _, u := range users {
		out = append(out, userOut(u, names[u.FHIRResource]))
	}
	return http.StatusOK, map[string]any{"users": out}, nil
}

// nameBatch bounds the ids of one search.
const nameBatch = 100

// names looks the users' FHIR resources up, one search per type and batch,
// as the administrator (so the access policy applies and the reads are
// audited). Names are a convenience: when they cannot be read (a token
// without FHIR scopes) the list comes without them.
func (a *API) names(c *call, users []*account.User) map[string]string {
	ids := map[string][]string{}
	for _, u := range users {
		if typ, id, ok := auth.SplitRef(u.FHIRResource); ok {
			ids[typ] = append(ids[typ], id)
		}
	}
	out := map[string]string{}
	for typ, all := range ids {
		for batch := range slices.Chunk(all, nameBatch) {
			q := url.Values{"_id": {strings.Join(batch, ",")}, "_count": {strconv.Itoa(len(batch))}, "_elements": {"name"}}
			resp, err := a.o.Engine.Do(c.ctx(), &rest.Request{Interaction: rest.SearchType, Method: http.MethodGet, Type: typ, Query: q})
			if err != nil {
				a.o.Logger.DebugContext(c.ctx(), "admin: user names not readable", "type", typ, "err", err)
				break
			}
			var bundle struct {
				Entry []struct {
					Resource named `json:"resource"`
				} `json:"entry"`
			}
			if b, err := json.Marshal(resp.Resource); err == nil && json.Unmarshal(b, &bundle) == nil {
				for _, e := range bundle.Entry {
					out[typ+"/"+e.Resource.ID] = e.Resource.name()
				}
			}
		}
	}
	return out
}

// named is the part of Patient, Practitioner, RelatedPerson and Person a
// display name comes from.
type named struct {
	ID   string `json:"id"`
	Name []struct {
		Text   string   `json:"text"`
		Given  []string `json:"given"`
		Family string   `json:"family"`
	} `json:"name"`
}

// name is the first name's text, else its given and family names.
func (n named) name() string {
	for _, hn := range n.Name {
		if t := strings.TrimSpace(hn.Text); t != "" {
			return t
		}
		if s := strings.Join(strings.Fields(strings.Join(append(slices.Clone(hn.Given), hn.Family), " ")), " "); s != "" {
			return s
		}
	}
	return ""
}

// humanName is a FHIR HumanName for a name typed as one line: the text as
// given, and, for two words or more, the last as family name so that
// searches by family and given name find the person.
func humanName(name string) map[string]any {
	hn := map[string]any{"text": name}
	if f := strings.Fields(name); len(f) > 1 {
		given := make([]any, 0, len(f)-1)
		for _, g := range f[:len(f)-1] {
			given = append(given, g)
		}
		hn["family"], hn["given"] = f[len(f)-1], given
	}
	return hn
}

func (a *API) createUser(c *call) (int, any, error) {
	var body struct {
		Email        string `json:"email"`
		Role         string `json:"role"`
		Password     string `json:"password"`
		FHIRResource string `json:"fhirResource"`
		Name         string `json:"name"`
	}
	if err := decode(c.r, &body); err != nil {
		return 0, nil, err
	}
	role := auth.Role(body.Role)
	if !auth.ValidRole(role) {
		return 0, nil, errf(http.StatusBadRequest, "role must be admin, practitioner, staff or patient")
	}
	email, err := account.NormalizeEmail(body.Email)
	if err != nil {
		return 0, nil, publicError(err, "user")
	}
	name := strings.Join(strings.Fields(body.Name), " ")
	if len(name) > 200 {
		return 0, nil, errf(http.StatusBadRequest, "name is longer than 200 characters")
	}
	// Everything CreateUser would refuse is checked before a FHIR resource
	// is created for the account.
	switch _, err := a.o.Accounts.UserByEmail(c.ctx(), email); {
	case err == nil:
		return 0, nil, publicError(account.ErrExists, "user")
	case !errors.Is(err, account.ErrNotFound):
		return 0, nil, err
	}
	switch {
	case body.Password == "" && role != auth.RolePatient:
		return 0, nil, errf(http.StatusBadRequest, "a password is required")
	case body.Password != "":
		if err := credential.CheckStrength(body.Password); err != nil {
			return 0, nil, publicError(fmt.Errorf("%w: %w", account.ErrInvalid, err), "user")
		}
	}
	ref, created := body.FHIRResource, false
	switch {
	case ref != "":
		if name, err = a.existing(c, ref); err != nil {
			return 0, nil, err
		}
	case role == auth.RolePractitioner || role == auth.RolePatient:
		if name == "" {
			return 0, nil, errf(http.StatusBadRequest, "name is required to create the %s (or give fhirResource)", resourceFor(role))
		}
		if ref, err = a.createResource(c, resourceFor(role), name, email); err != nil {
			return 0, nil, err
		}
		created = true
	}
	if ref == "" {
		name = "" // staff and admins without a resource have nowhere to keep one
	}
	c.concerns(ref)
	u, err := a.o.Accounts.CreateUser(c.ctx(), account.NewUser{Email: email, Role: role, FHIRResource: ref, Password: body.Password})
	if err != nil {
		if created {
			a.removeResource(c, ref)
		}
		return 0, nil, publicError(err, "user")
	}
	c.target = u.ID
	return http.StatusCreated, userOut(u, name), nil
}

func resourceFor(role auth.Role) string {
	if role == auth.RolePatient {
		return "Patient"
	}
	return "Practitioner"
}

// existing reads the resource an account is linked to, as the
// administrator, and returns its name: linking to a resource that does not
// exist (or that the administrator may not see) is refused.
func (a *API) existing(c *call, ref string) (string, error) {
	typ, id, ok := auth.SplitRef(ref)
	if !ok {
		return "", errf(http.StatusBadRequest, "fhirResource must be Type/id")
	}
	resp, err := a.o.Engine.Do(c.ctx(), &rest.Request{Interaction: rest.Read, Method: http.MethodGet, Type: typ, ID: id})
	var fe *rest.Error
	if errors.As(err, &fe) && (fe.Status == http.StatusNotFound || fe.Status == http.StatusGone || fe.Status == http.StatusBadRequest) {
		return "", errf(http.StatusBadRequest, "fhirResource %s does not exist", ref)
	}
	if err != nil {
		return "", publicError(err, "resource")
	}
	var n named
	_ = json.Unmarshal(resp.Body, &n)
	return n.name(), nil
}

// createResource creates the Practitioner or Patient of a new account as
// the administrator, with the name and the e-mail address as contact.
func (a *API) createResource(c *call, typ, name, email string) (string, error) {
	use := "work"
	if typ == "Patient" {
		use = "home"
	}
	body, _ := json.Marshal(map[string]any{"resourceType": typ, "active": true, "name": []any{humanName(name)},
		"telecom": []any{map[string]any{"system": "email", "value": email, "use": use}}})
	resp, err := a.o.Engine.Do(c.ctx(), &rest.Request{Interaction: rest.Create, Method: http.MethodPost, Type: typ,
		Body: body, ContentType: "application/fhir+json", Prefer: rest.Prefer{Return: "representation"}})
	if err != nil {
		return "", publicError(err, "resource")
	}
	var created struct{ ID string }
	if err := json.Unmarshal(resp.Body, &created); err != nil || created.ID == "" {
		return "", fmt.Errorf("adminapi: the created %s has no id", typ)
	}
	return typ + "/" + created.ID, nil
}

// removeResource deletes a resource created for an account that could not
// be created after all (a concurrent request took the address).
func (a *API) removeResource(c *call, ref string) {
	typ, id, _ := auth.SplitRef(ref)
	if _, err := a.o.Engine.Do(c.ctx(), &rest.Request{Interaction: rest.Delete, Method: http.MethodDelete, Type: typ, ID: id}); err != nil {
		a.o.Logger.ErrorContext(c.ctx(), "admin: removing the resource of an account not created", "ref", ref, "err", err)
	}
}

func (a *API) setUserDisabled(disabled bool) func(*call) (int, any, error) {
	return func(c *call) (int, any, error) {
		id := c.r.PathValue("id")
		c.target = id
		if disabled && id == c.id.Subject {
			return 0, nil, errf(http.StatusConflict, "you cannot disable your own account")
		}
		return a.changeUser(c, id, func() error { return a.o.Accounts.SetDisabled(c.ctx(), id, disabled) })
	}
}

func (a *API) resetTOTP(c *call) (int, any, error) {
	id := c.r.PathValue("id")
	c.target = id
	return a.changeUser(c, id, func() error { return a.o.Accounts.ResetTOTP(c.ctx(), id) })
}

// changeUser applies change to an existing user and answers the user.
func (a *API) changeUser(c *call, id string, change func() error) (int, any, error) {
	u, err := a.o.Accounts.UserByID(c.ctx(), id)
	if err != nil {
		return 0, nil, publicError(err, "user")
	}
	c.concerns(u.FHIRResource)
	if err := change(); err != nil {
		return 0, nil, publicError(err, "user")
	}
	if u, err = a.o.Accounts.UserByID(c.ctx(), id); err != nil {
		return 0, nil, publicError(err, "user")
	}
	return http.StatusOK, userOut(u, ""), nil
}
