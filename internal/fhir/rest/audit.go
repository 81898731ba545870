package rest

import (
	"context"
	"net/http"

	"github.com/housecall/housecall/internal/audit"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/store"
)

// maxAuditRefs caps the resource references one audit record lists (a
// search page holds at most the page size plus the included resources).
const maxAuditRefs = 2000

// recorder collects, for one interaction, what the caller was shown or
// wrote (for the audit record) and caches the caller's access restriction.
type recorder struct {
	refs       []string
	patients   []string
	access     *store.Access
	accessDone bool
}

type recKey struct{}

func withRecorder(ctx context.Context) (context.Context, *recorder) {
	rec := &recorder{}
	return context.WithValue(ctx, recKey{}, rec), rec
}

func recorderOf(ctx context.Context) *recorder {
	rec, _ := ctx.Value(recKey{}).(*recorder)
	return rec
}

// add notes one resource and the patients it belongs to.
func (r *recorder) add(ref string, patients []string) {
	if r == nil {
		return
	}
	if len(r.refs) < maxAuditRefs {
		r.refs = append(r.refs, ref)
	}
	for _, p := range patients {
		r.patients = appendNew(r.patients, p)
	}
}

// audited runs one interaction (a request, or one Bundle entry) with a
// fresh recorder and returns the audit event describing it; emit sends it.
func (e *Engine) audited(ctx context.Context, req *Request, fn func(context.Context) (*Response, error)) (*Response, *audit.Event, error) {
	ctx, rec := withRecorder(ctx)
	resp, err := fn(ctx)
	return resp, e.auditEvent(ctx, req, rec, resp, err), err
}

// emit sends events to the audit recorder, if one is configured.
func (e *Engine) emit(ctx context.Context, evs ...*audit.Event) {
	if e.audit == nil {
		return
	}
	for _, ev := range evs {
		if ev != nil {
			e.audit.Record(ctx, *ev)
		}
	}
}

// auditEvent describes an interaction; nil for those that touch no data
// (capabilities) or have no identified caller.
func (e *Engine) auditEvent(ctx context.Context, req *Request, rec *recorder, resp *Response, err error) *audit.Event {
	id, ok := auth.FromContext(ctx)
	kind := auditKind(req)
	if !ok || kind == "" || e.audit == nil {
		return nil
	}
	status := http.StatusOK
	if resp != nil {
		status = resp.Status
	}
	desc := ""
	if err != nil {
		fe := asError(err)
		status = fe.Status
		if len(fe.Issues) > 0 {
			desc = fe.Issues[0].Diagnostics
		}
	}
	ev := &audit.Event{
		Time:        e.now(),
		Kind:        kind,
		Outcome:     audit.OutcomeFor(status, status == http.StatusForbidden),
		OutcomeDesc: desc,
		Agent:       AuditAgent(id),
		Source:      audit.SourceFrom(ctx),
		Patients:    prefixAll("Patient/", rec.patients),
	}
	for _, ref := range rec.refs {
		ev.Entities = append(ev.Entities, audit.Entity{What: ref, Role: audit.EntityRoleDomainResource})
	}
	if (req.Interaction == SearchType || req.Interaction == Everything) && len(req.Query) > 0 {
		what := req.Type
		if req.Compartment != "" {
			what = req.Compartment + "/" + req.ID
		}
		ev.Entities = append(ev.Entities, audit.Entity{What: what, Query: req.Query.Encode(), Role: audit.EntityRoleQuery})
	}
	return ev
}

// AuditAgent describes an identity as an audit agent.
func AuditAgent(id *auth.Identity) audit.Agent {
	a := audit.Agent{Who: id.FHIRUser, UserName: id.Display, ClientID: id.ClientID, Requestor: true}
	switch id.Kind {
	case auth.KindUser:
		a.UserID, a.Role = id.Subject, audit.Role(id.Role)
	case auth.KindClient:
		a.Role = audit.RoleClient
		a.ClientID = id.Subject
	case auth.KindSystem:
		a.UserName = "housecall (" + id.Display + ")"
	case auth.KindInvite:
		// A patient or guest holding a visit invitation: the invitation
		// identifies them (the FHIR profile is in Who).
		a.UserID = "invite/" + id.Subject
	}
	return a
}

func auditKind(req *Request) audit.Kind {
	switch req.Interaction {
	case Read:
		return audit.KindRead
	case VRead:
		return audit.KindVRead
	case SearchType:
		return audit.KindSearch
	case Everything:
		return audit.KindOperation
	case HistoryInstance, HistoryType, HistorySystem:
		return audit.KindHistory
	case Create:
		return audit.KindCreate
	case Update, ConditionalUpdate:
		return audit.KindUpdate
	case Patch, ConditionalPatch:
		return audit.KindPatch
	case Delete, ConditionalDelete:
		return audit.KindDelete
	}
	return ""
}

func prefixAll(p string, xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = p + x
	}
	return out
}
