package audit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/fhir"
)

// ErrInvalidEvent means an Event cannot be expressed as a valid AuditEvent
// (unknown kind, action, outcome or role, a malformed reference, no time).
// It is a programming error in the caller, not a client error.
var ErrInvalidEvent = errors.New("audit: invalid event")

// DefaultObserver names the server in AuditEvent.source.observer when
// Source.Observer is empty.
const DefaultObserver = "Housecall"

// Event is one access to the system, as the caller knows it. Resource turns
// it into an AuditEvent.
type Event struct {
	// Time is when the event happened (AuditEvent.recorded).
	Time time.Time
	// Action is AuditEvent.action; empty means the usual action of Kind
	// (R for reads and history, C, U, D for writes, E otherwise).
	Action Action
	Kind   Kind
	// Outcome: use OutcomeFor. A KindLoginFailed event with OutcomeSuccess
	// is recorded as OutcomeMinorFailure.
	Outcome Outcome
	// OutcomeDesc is free text for failures. Never put tokens, passwords,
	// codes or patient data in it.
	OutcomeDesc string
	Agent       Agent
	Source      Source
	Entities    []Entity
	// Patients are "Patient/id" references of the patients whose data the
	// event touched. Each becomes an entity with role 1 (Patient) so that
	// AuditEvent?patient= finds the event.
	Patients []string
}

// Agent is who acted.
type Agent struct {
	// Who is a reference to the user's resource ("Practitioner/123"), or empty.
	Who string
	// UserID is the account id (AuditEvent.agent.altId; also
	// agent.who.identifier when Who is empty).
	UserID string
	// UserName is the display name or login name (AuditEvent.agent.name).
	UserName string
	Role     Role
	// ClientID is the OAuth client the request came through. It is recorded
	// as a second agent, an application.
	ClientID string
	// Requestor is AuditEvent.agent.requestor: true when this agent
	// initiated the event.
	Requestor bool
}

// Source is where the event was observed and where the request came from.
type Source struct {
	// IP is the client's address (the requesting agent's network address).
	IP string
	// UserAgent is the client's HTTP User-Agent, recorded as an extension
	// on the requesting agent.
	UserAgent string
	// Site is the server's public URL (AuditEvent.source.site).
	Site string
	// Observer names the server (AuditEvent.source.observer.display);
	// DefaultObserver when empty.
	Observer string
}

// Entity is a resource or query the event was about.
type Entity struct {
	// What is "Type/id", "Type/id/_history/v", or a bare resource type
	// ("Observation") for type-level interactions such as a search.
	What string
	// Query is the search query string as received; it is stored base64
	// encoded, as R4 requires for AuditEvent.entity.query.
	Query string
	// Role is the object-role code; empty means 1 (Patient) for a Patient
	// reference, 24 (Query) for a bare type or a query alone, 4 (Domain
	// Resource) otherwise.
	Role EntityRole
}

// Resource returns the event as an R4 AuditEvent, without id and meta (the
// store assigns them) and without the chain extension (Chain.Seal adds it).
// The result holds only map[string]any, []any, string and bool values, the
// shapes a decoder produces, so it hashes the same before and after storage.
func (e Event) Resource() (map[string]any, error) {
	ki, ok := kinds[e.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: unknown kind %q", ErrInvalidEvent, e.Kind)
	}
	if e.Time.IsZero() {
		return nil, fmt.Errorf("%w: time is not set", ErrInvalidEvent)
	}
	action := e.Action
	if action == "" {
		action = ki.action
	}
	switch action {
	case ActionCreate, ActionRead, ActionUpdate, ActionDelete, ActionExecute:
	default:
		return nil, fmt.Errorf("%w: unknown action %q", ErrInvalidEvent, action)
	}
	outcome := e.Outcome
	if e.Kind == KindLoginFailed && outcome == OutcomeSuccess {
		outcome = OutcomeMinorFailure
	}
	switch outcome {
	case OutcomeSuccess, OutcomeMinorFailure, OutcomeSeriousFailure, OutcomeMajorFailure:
	default:
		return nil, fmt.Errorf("%w: unknown outcome %d", ErrInvalidEvent, int(outcome))
	}

	subtypes := make([]any, len(ki.subtypes))
	for i, c := range ki.subtypes {
		subtypes[i] = c.value()
	}
	res := map[string]any{
		"resourceType": "AuditEvent",
		"type":         coding{ki.typeSystem, ki.typeCode, ki.typeDisplay}.value(),
		"subtype":      subtypes,
		"action":       string(action),
		"recorded":     e.Time.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"outcome":      fmt.Sprint(int(outcome)),
	}
	if e.OutcomeDesc != "" {
		res["outcomeDesc"] = e.OutcomeDesc
	}
	agents, err := e.agents()
	if err != nil {
		return nil, err
	}
	res["agent"] = agents
	res["source"] = e.source()
	entities, err := e.entities()
	if err != nil {
		return nil, err
	}
	if len(entities) > 0 {
		res["entity"] = entities
	}
	return res, nil
}

// agents returns the user agent (when anything is known about the user or
// there is no client) and the OAuth client application agent.
func (e Event) agents() ([]any, error) {
	a := e.Agent
	var out []any
	hasUser := a.Who != "" || a.UserID != "" || a.UserName != "" || a.Role != ""
	if hasUser || a.ClientID == "" {
		user := map[string]any{"requestor": a.Requestor}
		switch {
		case a.Who != "":
			if _, err := parseReference(a.Who); err != nil {
				return nil, fmt.Errorf("%w: agent who: %w", ErrInvalidEvent, err)
			}
			user["who"] = map[string]any{"reference": a.Who}
		case a.UserID != "":
			user["who"] = map[string]any{"identifier": map[string]any{"system": SystemAccount, "value": a.UserID}}
		}
		if a.UserID != "" {
			user["altId"] = a.UserID
		}
		if a.UserName != "" {
			user["name"] = a.UserName
		}
		switch a.Role {
		case "":
		case RoleAdmin, RolePractitioner, RoleStaff, RolePatient, RoleClient:
			user["role"] = []any{map[string]any{"coding": []any{
				coding{SystemUserRole, string(a.Role), ""}.value()}}}
		default:
			return nil, fmt.Errorf("%w: unknown role %q", ErrInvalidEvent, a.Role)
		}
		e.addNetwork(user)
		out = append(out, user)
	}
	if a.ClientID != "" {
		client := map[string]any{
			"type": map[string]any{"coding": []any{coding{SystemDICOM, "110150", "Application"}.value()}},
			"who":  map[string]any{"identifier": map[string]any{"system": SystemOAuthClient, "value": a.ClientID}},
			// Without a user the client itself made the request.
			"requestor": a.Requestor && !hasUser,
		}
		if !hasUser {
			e.addNetwork(client)
		}
		out = append(out, client)
	}
	return out, nil
}

// addNetwork records where the request came from on the requesting agent.
func (e Event) addNetwork(agent map[string]any) {
	if e.Source.IP != "" {
		agent["network"] = map[string]any{"address": e.Source.IP, "type": "2"} // 2 = IP address
	}
	if e.Source.UserAgent != "" {
		agent["extension"] = []any{map[string]any{"url": ExtUserAgent, "valueString": e.Source.UserAgent}}
	}
}

func (e Event) source() map[string]any {
	observer := e.Source.Observer
	if observer == "" {
		observer = DefaultObserver
	}
	src := map[string]any{
		"observer": map[string]any{"display": observer},
		"type":     []any{coding{SystemSourceType, "4", "Application Server"}.value()},
	}
	if e.Source.Site != "" {
		src["site"] = e.Source.Site
	}
	return src
}

func (e Event) entities() ([]any, error) {
	out := make([]any, 0, len(e.Entities)+len(e.Patients))
	patientSeen := make(map[string]bool, len(e.Patients))
	for i, en := range e.Entities {
		m, err := en.value()
		if err != nil {
			return nil, fmt.Errorf("%w: entity %d: %w", ErrInvalidEvent, i, err)
		}
		if r, _ := m["role"].(map[string]any); r["code"] == string(EntityRolePatient) && strings.HasPrefix(en.What, "Patient/") {
			patientSeen[en.What] = true
		}
		out = append(out, m)
	}
	for i, p := range e.Patients {
		typ, err := parseReference(p)
		if err != nil || typ != "Patient" || strings.Contains(p, "/_history/") {
			return nil, fmt.Errorf("%w: patients[%d] must be Patient/id", ErrInvalidEvent, i)
		}
		if patientSeen[p] {
			continue
		}
		patientSeen[p] = true
		m, _ := Entity{What: p, Role: EntityRolePatient}.value()
		out = append(out, m)
	}
	return out, nil
}

func (en Entity) value() (map[string]any, error) {
	if en.What == "" && en.Query == "" {
		return nil, errors.New("needs What or Query")
	}
	m := make(map[string]any, 4)
	role := en.Role
	switch {
	case en.What == "":
		m["type"] = coding{SystemEntityType, "2", "System Object"}.value()
		if role == "" {
			role = EntityRoleQuery
		}
	case fhir.IsResourceType(en.What):
		m["type"] = coding{SystemResourceTypes, en.What, ""}.value()
		if role == "" {
			role = EntityRoleQuery
		}
	default:
		typ, err := parseReference(en.What)
		if err != nil {
			return nil, err
		}
		m["what"] = map[string]any{"reference": en.What}
		m["type"] = coding{SystemResourceTypes, typ, ""}.value()
		if role == "" {
			role = EntityRoleDomainResource
			if typ == "Patient" {
				role = EntityRolePatient
			}
		}
	}
	display, ok := objectRoleDisplay[role]
	if !ok {
		return nil, fmt.Errorf("unknown object-role code %q", role)
	}
	m["role"] = coding{SystemObjectRole, string(role), display}.value()
	if en.Query != "" {
		m["query"] = base64.StdEncoding.EncodeToString([]byte(en.Query))
	}
	return m, nil
}

// parseReference accepts "Type/id" and "Type/id/_history/v" with a known
// resource type and valid ids, and returns the type. Errors never echo the
// reference.
func parseReference(ref string) (string, error) {
	parts := strings.Split(ref, "/")
	ok := (len(parts) == 2 || len(parts) == 4 && parts[2] == "_history" && fhir.IsValidID(parts[3])) &&
		fhir.IsResourceType(parts[0]) && fhir.IsValidID(parts[1])
	if !ok {
		return "", errors.New("reference must be Type/id or Type/id/_history/version")
	}
	return parts[0], nil
}
