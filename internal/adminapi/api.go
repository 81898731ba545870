package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/apierr"
	"github.com/housecall/housecall/internal/audit"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/auth/oauth"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/notify"
)

// maxBody caps request bodies of the admin API.
const maxBody = 64 << 10

// Options are what the API needs.
type Options struct {
	Accounts *account.Accounts
	// Engine creates and reads the users' FHIR resources as the calling
	// administrator (the access policy applies and the engine audits it).
	Engine   *rest.Engine
	Webhooks *Webhooks
	// Outbox queues webhook test deliveries.
	Outbox *notify.Outbox
	Audit  audit.Recorder
	Logger *slog.Logger
	Now    func() time.Time
}

// API serves /v1/admin.
type API struct{ o Options }

// New returns the API.
func New(o Options) (*API, error) {
	if o.Accounts == nil || o.Engine == nil || o.Webhooks == nil || o.Outbox == nil || o.Audit == nil {
		return nil, errors.New("adminapi: Accounts, Engine, Webhooks, Outbox and Audit are required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &API{o: o}, nil
}

// Routes returns the routes (method patterns for http.ServeMux); they
// expect the caller's identity in the request context (the authorization
// server's middleware).
func (a *API) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /v1/admin/users":                  a.route(audit.ActionRead, "list users", a.listUsers),
		"POST /v1/admin/users":                 a.route(audit.ActionCreate, "create user", a.createUser),
		"POST /v1/admin/users/{id}/disable":    a.route(audit.ActionUpdate, "disable user", a.setUserDisabled(true)),
		"POST /v1/admin/users/{id}/enable":     a.route(audit.ActionUpdate, "enable user", a.setUserDisabled(false)),
		"POST /v1/admin/users/{id}/reset-totp": a.route(audit.ActionUpdate, "reset second factor", a.resetTOTP),
		"GET /v1/admin/clients":                a.route(audit.ActionRead, "list clients", a.listClients),
		"POST /v1/admin/clients":               a.route(audit.ActionCreate, "create client", a.createClient),
		"POST /v1/admin/clients/{id}/disable":  a.route(audit.ActionUpdate, "disable client", a.setClientDisabled(true)),
		"POST /v1/admin/clients/{id}/enable":   a.route(audit.ActionUpdate, "enable client", a.setClientDisabled(false)),
		"GET /v1/admin/webhooks":               a.route(audit.ActionRead, "list webhooks", a.listWebhooks),
		"POST /v1/admin/webhooks":              a.route(audit.ActionCreate, "create webhook", a.createWebhook),
		"DELETE /v1/admin/webhooks/{id}":       a.route(audit.ActionDelete, "delete webhook", a.deleteWebhook),
		"POST /v1/admin/webhooks/{id}/test":    a.route(audit.ActionExecute, "test webhook", a.testWebhook),
	}
}

// call is one request and what its audit record names.
type call struct {
	r  *http.Request
	id *auth.Identity
	// target names the account, client or webhook acted on ("user abc").
	target string
	// refs are FHIR resources concerned (the user's own resource).
	refs []string
}

func (c *call) ctx() context.Context { return c.r.Context() }

// concerns records the FHIR resource of an account in the audit record.
func (c *call) concerns(ref string) {
	if ref != "" {
		c.refs = append(c.refs, ref)
	}
}

// route checks the caller, runs fn, audits the outcome and answers: the
// one place errors become status codes.
func (a *API) route(action audit.Action, what string, fn func(*call) (int, any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{r: r}
		status, v, err := 0, any(nil), error(nil)
		if c.id, err = a.admin(r.Context()); err == nil {
			status, v, err = fn(c)
		}
		var ae *Error
		if err != nil {
			ae = apierr.Public(err)
			status = ae.Status
			if status >= 500 {
				a.o.Logger.ErrorContext(r.Context(), "admin request failed", "route", r.Pattern, "err", ae.Cause)
			}
		}
		// Only an authenticated caller can be named in the trail; requests
		// without a token never reached an administrator's powers.
		if id, ok := auth.FromContext(r.Context()); ok {
			a.record(c, id, action, what, status, ae)
		}
		switch {
		case ae != nil:
			apierr.Write(w, ae)
		case v == nil:
			w.WriteHeader(status)
		default:
			apierr.WriteJSON(w, status, v)
		}
	})
}

// admin returns the caller when it is an administrator signed in through
// a first-party app (or a token made by the command-line tool).
func (a *API) admin(ctx context.Context) (*auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, errf(http.StatusUnauthorized, "authentication required")
	}
	if id.Kind != auth.KindUser || id.Role != auth.RoleAdmin {
		return nil, errf(http.StatusForbidden, "only administrators may do this")
	}
	if id.ClientID == oauth.AdminClientID {
		return id, nil
	}
	c, err := a.o.Accounts.ClientByID(ctx, id.ClientID)
	if errors.Is(err, account.ErrNotFound) || err == nil && !c.HasPermission(oauth.PermissionFirstParty) {
		return nil, errf(http.StatusForbidden, "the admin API is open to the clinic's own apps only")
	}
	if err != nil {
		return nil, err
	}
	return id, nil
}

// record writes the call's AuditEvent: the request line names what was
// done (a system object: accounts, clients and webhooks are not FHIR
// resources), the account's own FHIR resource what it concerned.
func (a *API) record(c *call, id *auth.Identity, action audit.Action, what string, status int, ae *Error) {
	desc := "admin: " + what
	if c.target != "" {
		desc += " " + c.target
	}
	if ae != nil {
		desc += ": " + ae.Message
	}
	ev := audit.Event{Time: a.o.Now(), Kind: audit.KindOperation, Action: action,
		Outcome: audit.OutcomeFor(status, status == http.StatusForbidden), OutcomeDesc: desc,
		Agent: rest.AuditAgent(id), Source: audit.SourceFrom(c.ctx()),
		Entities: []audit.Entity{{Query: c.r.Method + " " + c.r.URL.Path, Role: entityRoleSecurityResource}}}
	for _, ref := range c.refs {
		if typ, rid, ok := auth.SplitRef(ref); ok && typ == "Patient" {
			ev.Patients = append(ev.Patients, "Patient/"+rid)
			continue
		}
		ev.Entities = append(ev.Entities, audit.Entity{What: ref, Role: audit.EntityRoleUser})
	}
	a.o.Audit.Record(c.ctx(), ev)
}

// entityRoleSecurityResource is object-role 13: what an administrator
// changes (accounts, clients, webhook endpoints).
const entityRoleSecurityResource audit.EntityRole = "13"

// decode reads a JSON body. The error never quotes the body: it may hold a
// password.
func decode(r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return errf(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxBody)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return errf(http.StatusBadRequest, "unknown field %s", field)
		}
		return errf(http.StatusBadRequest, "the body is not the expected JSON object")
	}
	return nil
}
