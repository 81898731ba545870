package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/fhir/rest"
)

// auditRecord is the part of a stored AuditEvent the checks read.
type auditRecord struct {
	Subtype []struct {
		Code string `json:"code"`
	} `json:"subtype"`
	Outcome string `json:"outcome"`
	Agent   []struct {
		AltID string `json:"altId"`
		Who   struct {
			Reference  string `json:"reference"`
			Identifier struct {
				System string `json:"system"`
				Value  string `json:"value"`
			} `json:"identifier"`
		} `json:"who"`
	} `json:"agent"`
	Entity []struct {
		What struct {
			Reference string `json:"reference"`
		} `json:"what"`
	} `json:"entity"`
}

// by reports whether the record names user as an agent.
func (r auditRecord) by(userID string) bool {
	for _, a := range r.Agent {
		if a.AltID == userID {
			return true
		}
	}
	return false
}

// via reports whether the record names the OAuth client as an agent.
func (r auditRecord) via(clientID string) bool {
	for _, a := range r.Agent {
		if a.Who.Identifier.Value == clientID {
			return true
		}
	}
	return false
}

func (r auditRecord) subtype() string {
	if len(r.Subtype) == 0 {
		return ""
	}
	return r.Subtype[0].Code
}

func (r auditRecord) references() []string {
	var out []string
	for _, e := range r.Entity {
		if e.What.Reference != "" {
			out = append(out, e.What.Reference)
		}
	}
	return out
}

// auditTrail flushes the audit writer and reads every stored AuditEvent.
func (s *server) auditTrail(t *testing.T) []auditRecord {
	t.Helper()
	ctx := t.Context()
	if err := s.App.Audit.Flush(ctx); err != nil {
		t.Fatalf("flushing the audit trail: %v", err)
	}
	resp, err := s.App.Engine.Do(app.System(ctx, "e2e audit check"), &rest.Request{Interaction: rest.SearchType,
		Method: http.MethodGet, Type: "AuditEvent", Query: url.Values{"_count": {"200"}}})
	if err != nil {
		t.Fatalf("searching AuditEvent: %v", err)
	}
	body := resp.Body
	if body == nil {
		if body, err = json.Marshal(resp.Resource); err != nil {
			t.Fatal(err)
		}
	}
	var bundle struct {
		Entry []struct {
			Resource auditRecord `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &bundle); err != nil {
		t.Fatalf("decoding the AuditEvent bundle: %v", err)
	}
	out := make([]auditRecord, len(bundle.Entry))
	for i, e := range bundle.Entry {
		out[i] = e.Resource
	}
	return out
}

// checkAuditTrail: the sign-in, the token and the app's FHIR requests were
// recorded as this patient user through this app, successful, naming the
// own patient and never the other one.
func checkAuditTrail(t *testing.T, trail []auditRecord, userID, clientID, ownID, otherID string) {
	t.Helper()
	own, other := "Patient/"+ownID, "Patient/"+otherID
	seen := map[string]int{}
	for _, r := range trail {
		if !r.by(userID) {
			continue
		}
		st := r.subtype()
		seen[st]++
		if r.Outcome != "0" || !r.via(clientID) {
			t.Errorf("audit %s: outcome %s, via client %v; want 0 (success) via %s", st, r.Outcome, r.via(clientID), clientID)
		}
		refs := r.references()
		for _, ref := range refs {
			if strings.HasPrefix(ref, other) {
				t.Errorf("audit %s of the user names the other patient", st)
			}
		}
		if st != "110122" && !containsPrefix(refs, own) { // a login names no patient
			t.Errorf("audit %s: entities %v, want %s", st, refs, own)
		}
	}
	for _, st := range []struct{ code, what string }{
		{"110122", "login"}, {"token-issued", "token issued"}, {"read", "Patient read"}, {"search-type", "Patient search"},
	} {
		if seen[st.code] == 0 {
			t.Errorf("no %s (%s) in the audit trail of the user; recorded subtypes: %v", st.what, st.code, seen)
		}
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
