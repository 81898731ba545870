package e2e

import (
	"encoding/json"
	"github.com/housecall/housecall/internal/e2e/e2etest"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/app"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/telemed"
)

// compatTimeout bounds the SDK run.
const compatTimeout = 60 * time.Second

// compatSteps is how many steps compat.mjs runs when all succeed.
const compatSteps = 17

// compatReport is the JSON line tools/oystehr-compat/compat.mjs prints.
func (r compatReport) Succeeded() bool { return r.OK }

type compatReport struct {
	OK         bool   `json:"ok"`
	Error      string `json:"error"`
	SDKVersion string `json:"sdkVersion"`
	Steps      []struct {
		Step  string `json:"step"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	} `json:"steps"`
	Result struct {
		EncounterID string   `json:"encounterId"`
		SearchIDs   []string `json:"searchIds"`
		MeetingID   string   `json:"meetingId"`
		Join        *struct {
			MeetingID         string `json:"meetingId"`
			ExternalMeetingID string `json:"externalMeetingId"`
			ExternalUserID    string `json:"externalUserId"`
			AttendeeID        string `json:"attendeeId"`
			JoinTokenParts    int    `json:"joinTokenParts"`
		} `json:"join"`
		ReadBack *struct {
			AddressString string `json:"addressString"`
			Channel       string `json:"channel"`
		} `json:"readBack"`
		SDKHasEndMeeting      bool     `json:"sdkHasEndMeeting"`
		EndedStatus           string   `json:"endedStatus"`
		HistoryTotal          *int     `json:"historyTotal"`
		HistoryOffsetVersions []string `json:"historyOffsetVersions"`
	} `json:"result"`
	MS int64 `json:"ms"`
}

// TestOystehrSDKCompat runs @oystehr/sdk 4.2.6 from npm against the real
// server (issue 5): a practitioner's app books a visit through the SDK's
// FHIR client (create, _search, update with If-Match, patch, a transaction
// with urn:uuid references and a Binary PATCH, history), creates a meeting
// for that existing Encounter, joins it, reads the Encounter back and ends
// the visit. A recording proxy between the SDK and the server checks the
// request shapes the SDK really sent and that none failed with 5xx.
func TestOystehrSDKCompat(t *testing.T) {
	tool := e2etest.RepoTool(t, "oystehr-compat")
	e2etest.RequireFixture(t, filepath.Join(tool, "node_modules", "@oystehr", "sdk", "package.json"),
		"run: make deps (npm ci --prefix tools/oystehr-compat)")
	node := e2etest.NodePath(t)
	ctx := t.Context()

	srv := startServer(t, "")
	patientID := srv.seedPatient(t, "Okafor", "Ada")
	practitionerID := srv.Seed(t, map[string]any{"resourceType": "Practitioner",
		"name": []any{map[string]any{"family": "Compat", "given": []string{"Dana"}, "prefix": []string{"Dr"}}}})
	user, err := srv.App.Accounts.CreateUser(ctx, account.NewUser{Email: "dana.compat@example.org",
		Role: auth.RolePractitioner, FHIRResource: "Practitioner/" + practitionerID, Password: randomPassword(t)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := srv.App.OAuth.IssueToken(ctx, user, "user/*.cruds", 0)
	if err != nil {
		t.Fatal(err)
	}

	proxy := newRecordingProxy(t, srv.URL)
	rep := e2etest.RunNode[compatReport](t, node, tool, "compat.mjs", compatTimeout, map[string]string{
		"HOUSECALL_URL": proxy.URL, "TOKEN": tok, "PATIENT": patientID, "PRACTITIONER": practitionerID,
	})
	t.Logf("SDK run: @oystehr/sdk %s, %d steps, %d ms", rep.SDKVersion, len(rep.Steps), rep.MS)
	if !rep.OK {
		t.Fatalf("the SDK run failed: %s\nrequests:\n%s", rep.Error, proxy.dump())
	}

	for _, st := range rep.Steps {
		if !st.OK {
			t.Errorf("step %q failed (%s) but the run reported success", st.Step, st.Error)
		}
	}
	res := rep.Result
	if res.HistoryTotal == nil || *res.HistoryTotal != 4 || strings.Join(res.HistoryOffsetVersions, ",") != "2,1" {
		t.Errorf("history total %v and offset page %v, want 4 and 2,1", res.HistoryTotal, res.HistoryOffsetVersions)
	}
	if res.Join == nil || res.ReadBack == nil {
		t.Fatalf("the report lacks the join or the read-back: %+v", res)
	}
	encID := res.EncounterID
	stored := srv.readEncounter(t, encID)
	checks := []struct {
		name      string
		got, want any
	}{
		{"SDK version", rep.SDKVersion, "4.2.6"},
		{"steps run", len(rep.Steps), compatSteps},
		{"search found the booked Encounter", strings.Join(res.SearchIDs, ","), encID},
		{"meeting id not empty", res.MeetingID != "", true},
		{"join: MeetingId is the addressString", res.Join.MeetingID, res.MeetingID},
		{"join: ExternalMeetingId", res.Join.ExternalMeetingID, encID},
		{"join: ExternalUserId", res.Join.ExternalUserID, "Practitioner/" + practitionerID},
		{"join: JoinToken is a JWT", res.Join.JoinTokenParts, 3},
		{"read back through the SDK: addressString", res.ReadBack.AddressString, res.MeetingID},
		{"read back through the SDK: channel", res.ReadBack.Channel, telemed.ChannelCoding["code"]},
		{"stored: addressString", stored.meetingID(), res.MeetingID},
		{"stored: status after the end call", stored.Status, "finished"},
		{"stored: the practitioner takes part", stored.hasParticipant("Practitioner/" + practitionerID), true},
		{"stored: one Encounter for the patient", srv.countEncounters(t, patientID), 1},
		{"SDK has endMeeting", res.SDKHasEndMeeting, false},
		{"ended status read through the SDK", res.EndedStatus, "finished"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	proxy.check(t, encID)
}

// storedEncounter is the part of a stored Encounter the checks read.
type storedEncounter struct {
	Status      string `json:"status"`
	Participant []struct {
		Individual struct {
			Reference string `json:"reference"`
		} `json:"individual"`
	} `json:"participant"`
	Extension []struct {
		URL       string `json:"url"`
		Extension []struct {
			URL         string `json:"url"`
			ValueString string `json:"valueString"`
		} `json:"extension"`
	} `json:"extension"`
}

func (e storedEncounter) meetingID() string {
	for _, x := range e.Extension {
		if x.URL != telemed.ExtVirtualService {
			continue
		}
		for _, sub := range x.Extension {
			if sub.URL == "addressString" {
				return sub.ValueString
			}
		}
	}
	return ""
}

func (e storedEncounter) hasParticipant(ref string) bool {
	for _, p := range e.Participant {
		if p.Individual.Reference == ref {
			return true
		}
	}
	return false
}

// readEncounter reads an Encounter as the system, bypassing the SDK.
func (s *server) readEncounter(t *testing.T, id string) storedEncounter {
	t.Helper()
	resp, err := s.App.Engine.Do(app.System(t.Context(), "e2e check"), &rest.Request{Interaction: rest.Read,
		Method: http.MethodGet, Type: "Encounter", ID: id})
	if err != nil {
		t.Fatalf("reading Encounter/%s: %v", id, err)
	}
	var e storedEncounter
	if err := json.Unmarshal(resp.Body, &e); err != nil {
		t.Fatalf("decoding Encounter/%s: %v", id, err)
	}
	return e
}

// countEncounters counts the Encounter resources whose subject is Patient/<id>, as the system.
func (s *server) countEncounters(t *testing.T, id string) int {
	return s.Count(t, "Encounter", url.Values{"subject": {"Patient/" + id}})
}

// recordedRequest is what the proxy saw of one request. Tokens and bodies
// are not kept.
type recordedRequest struct {
	Method, Path, RawQuery, ContentType, IfMatch, RequestID string
	Status                                                  int
}

// recordingProxy stands between the SDK and the server and records each
// request, so the test checks what the SDK really sent.
type recordingProxy struct {
	URL string
	mu  sync.Mutex
	log []recordedRequest
}

func newRecordingProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recordedRequest{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			ContentType: r.Header.Get("Content-Type"), IfMatch: r.Header.Get("If-Match"),
			RequestID: r.Header.Get("X-Oystehr-Request-Id")}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		rp.ServeHTTP(sw, r)
		rec.Status = sw.status
		p.mu.Lock()
		p.log = append(p.log, rec)
		p.mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	p.URL = ts.URL
	return p
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (p *recordingProxy) requests() []recordedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]recordedRequest(nil), p.log...)
}

func (p *recordingProxy) dump() string {
	var b strings.Builder
	for _, r := range p.requests() {
		q := ""
		if r.RawQuery != "" {
			q = "?" + r.RawQuery
		}
		b.WriteString("  " + r.Method + " " + r.Path + q + " [" + r.ContentType + "] -> " + strconv.Itoa(r.Status) + "\n")
	}
	return b.String()
}

// check asserts the request shapes of the SDK (as the reference describes
// them) reached the server and were answered as expected, that nothing
// answered 5xx, and that the SDK retried nothing (a retry repeats the
// x-oystehr-request-id).
func (p *recordingProxy) check(t *testing.T, encID string) {
	t.Helper()
	log := p.requests()
	seen := map[string]bool{}
	for _, r := range log {
		if r.Status >= 500 {
			t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
		}
		if r.RequestID == "" {
			continue // the end call, sent with fetch
		}
		if seen[r.RequestID] {
			t.Errorf("%s %s was retried by the SDK (status %d)", r.Method, r.Path, r.Status)
		}
		seen[r.RequestID] = true
	}
	enc := "/fhir/r4/Encounter/" + encID
	meeting := "/v1/telemed/v2/meeting"
	want := []struct {
		name                string
		method, path, query string // query: a substring of the raw query
		contentType         string
		ifMatch             string
		status              int
	}{
		{"create", "POST", "/fhir/r4/Encounter", "", "application/json", "", http.StatusCreated},
		{"search with a form body", "POST", "/fhir/r4/Encounter/_search", "", "application/x-www-form-urlencoded", "", http.StatusOK},
		{"update with optimistic locking", "PUT", enc, "", "application/json", `W/"1"`, http.StatusOK},
		{"update with a stale version", "PUT", enc, "", "application/json", `W/"1"`, http.StatusPreconditionFailed},
		{"patch", "PATCH", enc, "", "application/json-patch+json", "", http.StatusOK},
		{"patch with a failing test", "PATCH", enc, "", "application/json-patch+json", "", http.StatusUnprocessableEntity},
		{"transaction at the base with a trailing slash", "POST", "/fhir/r4/", "", "application/json", "", http.StatusOK},
		{"history", "GET", enc + "/_history", "_total=accurate", "application/json", "", http.StatusOK},
		{"history with _count", "GET", enc + "/_history", "_count=2", "application/json", "", http.StatusOK},
		{"history with a space-padded _count", "GET", enc + "/_history", "_count=2%20", "application/json", "", http.StatusOK},
		{"vread", "GET", enc + "/_history/2", "", "application/json", "", http.StatusOK},
		{"create meeting", "POST", meeting, "", "application/json", "", http.StatusOK},
		{"join meeting", "GET", meeting + "/" + encID + "/join", "", "application/json", "", http.StatusOK},
		{"end meeting", "POST", meeting + "/" + encID + "/end", "", "application/json", "", http.StatusOK},
		{"join after the end", "GET", meeting + "/" + encID + "/join", "", "application/json", "", http.StatusGone},
	}
	for _, w := range want {
		found := false
		for _, r := range log {
			if r.Method == w.method && r.Path == w.path && strings.Contains(r.RawQuery, w.query) &&
				strings.HasPrefix(r.ContentType, w.contentType) && (w.ifMatch == "" || r.IfMatch == w.ifMatch) &&
				r.Status == w.status {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: no %s %s?%s [%s] answered %d; requests:\n%s", w.name, w.method, w.path, w.query,
				w.contentType, w.status, p.dump())
		}
	}
}
