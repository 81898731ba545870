package audit

// Code systems and identifiers written into AuditEvent resources.
const (
	SystemEventType        = "http://terminology.hl7.org/CodeSystem/audit-event-type"
	SystemRestful          = "http://hl7.org/fhir/restful-interaction"
	SystemDICOM            = "http://dicom.nema.org/resources/ontology/DCM"
	SystemHousecallSubtype = "https://housecall.dev/fhir/CodeSystem/audit-subtype"
	SystemObjectRole       = "http://terminology.hl7.org/CodeSystem/object-role"
	SystemEntityType       = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	SystemResourceTypes    = "http://hl7.org/fhir/resource-types"
	SystemSourceType       = "http://terminology.hl7.org/CodeSystem/security-source-type"
	// SystemUserRole holds Housecall's account roles (Agent.Role).
	SystemUserRole = "https://housecall.dev/fhir/CodeSystem/user-role"
	// SystemAccount identifies accounts by id when the agent has no FHIR
	// resource (AuditEvent.agent.who.identifier).
	SystemAccount = "https://housecall.dev/fhir/NamingSystem/account"
	// SystemOAuthClient identifies OAuth clients (the application agent).
	SystemOAuthClient = "https://housecall.dev/fhir/NamingSystem/oauth-client"
	// ExtUserAgent carries the HTTP User-Agent on the requesting agent; R4
	// has no element for it.
	ExtUserAgent = "https://housecall.dev/fhir/StructureDefinition/audit-user-agent"
)

// Kind is what happened, mapped to AuditEvent.type and subtype.
type Kind string

// The kinds of event Housecall records.
const (
	KindRead         Kind = "read"
	KindVRead        Kind = "vread"
	KindSearch       Kind = "search"
	KindHistory      Kind = "history"
	KindCreate       Kind = "create"
	KindUpdate       Kind = "update"
	KindPatch        Kind = "patch"
	KindDelete       Kind = "delete"
	KindOperation    Kind = "operation"
	KindExport       Kind = "export"
	KindLogin        Kind = "login"
	KindLogout       Kind = "logout"
	KindLoginFailed  Kind = "login-failed"
	KindTokenIssued  Kind = "token-issued"
	KindTokenRevoked Kind = "token-revoked"
	KindTransaction  Kind = "transaction"
	KindBatch        Kind = "batch"
)

// Action is AuditEvent.action.
type Action string

// The AuditEvent.action codes.
const (
	ActionCreate  Action = "C"
	ActionRead    Action = "R"
	ActionUpdate  Action = "U"
	ActionDelete  Action = "D"
	ActionExecute Action = "E"
)

// Outcome is AuditEvent.outcome.
type Outcome int

// The AuditEvent.outcome codes.
const (
	OutcomeSuccess        Outcome = 0
	OutcomeMinorFailure   Outcome = 4
	OutcomeSeriousFailure Outcome = 8
	OutcomeMajorFailure   Outcome = 12
)

// OutcomeFor maps an HTTP status to an outcome: a request refused by the
// access policy and any 4xx are minor failures (the client's doing), 5xx
// are serious failures (the server's), anything else is success.
func OutcomeFor(status int, denied bool) Outcome {
	switch {
	case denied, status >= 400 && status < 500:
		return OutcomeMinorFailure
	case status >= 500:
		return OutcomeSeriousFailure
	}
	return OutcomeSuccess
}

// Role is the Housecall account role of the agent.
type Role string

// The account roles.
const (
	RoleAdmin        Role = "admin"
	RolePractitioner Role = "practitioner"
	RoleStaff        Role = "staff"
	RolePatient      Role = "patient"
	RoleClient       Role = "client"
)

// EntityRole is an AuditEvent.entity.role code from
// http://terminology.hl7.org/CodeSystem/object-role.
type EntityRole string

// The object-role codes Housecall uses; any code of the system is accepted.
const (
	EntityRolePatient        EntityRole = "1"
	EntityRoleLocation       EntityRole = "2"
	EntityRoleReport         EntityRole = "3"
	EntityRoleDomainResource EntityRole = "4"
	EntityRoleMasterFile     EntityRole = "5"
	EntityRoleUser           EntityRole = "6"
	EntityRoleList           EntityRole = "7"
	EntityRolePractitioner   EntityRole = "15"
	EntityRoleSchedule       EntityRole = "18"
	EntityRoleJob            EntityRole = "20"
	EntityRoleQuery          EntityRole = "24"
)

// objectRoleDisplay is the whole R4 object-role code system.
var objectRoleDisplay = map[EntityRole]string{
	"1": "Patient", "2": "Location", "3": "Report", "4": "Domain Resource", "5": "Master file",
	"6": "User", "7": "List", "8": "Doctor", "9": "Subscriber", "10": "Guarantor",
	"11": "Security User Entity", "12": "Security User Group", "13": "Security Resource",
	"14": "Security Granularity Definition", "15": "Practitioner", "16": "Data Destination",
	"17": "Data Repository", "18": "Schedule", "19": "Customer", "20": "Job", "21": "Job Stream",
	"22": "Table", "23": "Routing Criteria", "24": "Query",
}

// kindInfo is how one Kind is coded.
type kindInfo struct {
	typeSystem, typeCode, typeDisplay string
	subtypes                          []coding
	action                            Action // the default when Event.Action is empty
}

type coding struct{ system, code, display string }

func (c coding) value() map[string]any {
	m := map[string]any{"system": c.system, "code": c.code}
	if c.display != "" {
		m["display"] = c.display
	}
	return m
}

func rest(interaction string, action Action) kindInfo {
	return kindInfo{SystemEventType, "rest", "RESTful Operation",
		[]coding{{SystemRestful, interaction, interaction}}, action}
}

func userAuth(sub coding) kindInfo {
	return kindInfo{SystemDICOM, "110114", "User Authentication", []coding{sub}, ActionExecute}
}

var (
	dcmLogin  = coding{SystemDICOM, "110122", "Login"}
	dcmLogout = coding{SystemDICOM, "110123", "Logout"}
)

var kinds = map[Kind]kindInfo{
	KindRead:        rest("read", ActionRead),
	KindVRead:       rest("vread", ActionRead),
	KindSearch:      rest("search-type", ActionExecute),
	KindHistory:     rest("history-instance", ActionRead),
	KindCreate:      rest("create", ActionCreate),
	KindUpdate:      rest("update", ActionUpdate),
	KindPatch:       rest("patch", ActionUpdate),
	KindDelete:      rest("delete", ActionDelete),
	KindOperation:   rest("operation", ActionExecute),
	KindTransaction: rest("transaction", ActionExecute),
	KindBatch:       rest("batch", ActionExecute),
	// An export is an operation ($export); the second subtype lets
	// AuditEvent?subtype= find exports without parsing the query.
	KindExport: {SystemEventType, "rest", "RESTful Operation", []coding{
		{SystemRestful, "operation", "operation"}, {SystemHousecallSubtype, "export", "Bulk export"}}, ActionExecute},
	KindLogin:        userAuth(dcmLogin),
	KindLoginFailed:  userAuth(dcmLogin),
	KindLogout:       userAuth(dcmLogout),
	KindTokenIssued:  userAuth(coding{SystemHousecallSubtype, "token-issued", "Token issued"}),
	KindTokenRevoked: userAuth(coding{SystemHousecallSubtype, "token-revoked", "Token revoked"}),
}
