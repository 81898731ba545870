package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/housecall/housecall/internal/e2e/e2etest"
)

// intakeItem is what the browser script needs of a Questionnaire item to
// find its control by label and answer it.
type intakeItem struct {
	LinkID   string       `json:"linkId"`
	Text     string       `json:"text"`
	Type     string       `json:"type"`
	Required bool         `json:"required"`
	Options  []string     `json:"options,omitempty"`
	MinValue *float64     `json:"minValue,omitempty"`
	MaxValue *float64     `json:"maxValue,omitempty"`
	Item     []intakeItem `json:"item,omitempty"`
}

// intakeItems reads the intake Questionnaire the server ensured at start-up
// and writes its items to a file for the script.
func intakeItems(t *testing.T, srv *e2etest.Server) (file string, items []intakeItem) {
	t.Helper()
	qs := systemSearch(t, srv, "Questionnaire", url.Values{"url": {intakeURL}})
	if len(qs) != 1 {
		t.Fatalf("the server should ensure exactly one intake Questionnaire (url %s) at start-up; found %d", intakeURL, len(qs))
	}
	raw, _ := qs[0]["item"].([]any)
	items = convertItems(raw)
	if len(items) == 0 {
		t.Fatal("the intake Questionnaire has no items")
	}
	b, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "intake.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file, items
}

func convertItems(raw []any) []intakeItem {
	var out []intakeItem
	for _, r := range raw {
		m, _ := r.(map[string]any)
		it := intakeItem{LinkID: str(m, "linkId"), Text: str(m, "text"), Type: str(m, "type")}
		it.Required, _ = m["required"].(bool)
		opts, _ := m["answerOption"].([]any)
		for _, o := range opts {
			switch {
			case str(o, "valueCoding", "display") != "":
				it.Options = append(it.Options, str(o, "valueCoding", "display"))
			case str(o, "valueCoding", "code") != "":
				it.Options = append(it.Options, str(o, "valueCoding", "code"))
			case str(o, "valueString") != "":
				it.Options = append(it.Options, str(o, "valueString"))
			}
		}
		exts, _ := m["extension"].([]any)
		for _, e := range exts {
			v, ok := e.(map[string]any)["valueInteger"].(float64)
			if !ok {
				continue
			}
			switch str(e, "url") {
			case "http://hl7.org/fhir/StructureDefinition/minValue":
				it.MinValue = &v
			case "http://hl7.org/fhir/StructureDefinition/maxValue":
				it.MaxValue = &v
			}
		}
		children, _ := m["item"].([]any)
		it.Item = convertItems(children)
		out = append(out, it)
	}
	return out
}

// chartEntry is a Condition or MedicationRequest as the Go side reads it.
type chartEntry struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	Encounter string `json:"encounter"`
	Subject   string `json:"subject"`
	Status    string `json:"status"`
}

// chartView is what FHIR holds for a visit's chart.
type chartView struct {
	Conditions         []chartEntry `json:"conditions"`
	MedicationRequests []chartEntry `json:"medicationRequests"`
}

// readChart searches the visit's Conditions and MedicationRequests over
// HTTP with the provider's token.
func readChart(ctx context.Context, base, token, encounterID string) (chartView, error) {
	var v chartView
	q := url.Values{"encounter": {"Encounter/" + encounterID}}
	conds, err := searchAll(ctx, base, token, "Condition", q)
	if err != nil {
		return v, err
	}
	for _, c := range conds {
		v.Conditions = append(v.Conditions, chartEntry{ID: str(c, "id"), Text: str(c, "code", "text"),
			Encounter: str(c, "encounter", "reference"), Subject: str(c, "subject", "reference"),
			Status: str(c, "verificationStatus", "coding", 0, "code")})
	}
	meds, err := searchAll(ctx, base, token, "MedicationRequest", q)
	if err != nil {
		return v, err
	}
	for _, m := range meds {
		v.MedicationRequests = append(v.MedicationRequests, chartEntry{ID: str(m, "id"), Text: str(m, "medicationCodeableConcept", "text"),
			Encounter: str(m, "encounter", "reference"), Subject: str(m, "subject", "reference"), Status: str(m, "status")})
	}
	return v, nil
}

// control is the test's own endpoint the script calls between charting and
// ending the visit: GET /chart?encounter=ID answers what FHIR holds, read
// by Go with the provider's token, and keeps the last answer.
type control struct {
	URL  string
	mu   sync.Mutex
	last *chartView
}

func newControl(t *testing.T, base, token string) *control {
	t.Helper()
	c := &control{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /chart", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		v, err := readChart(r.Context(), base, token, r.URL.Query().Get("encounter"))
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		c.mu.Lock()
		c.last = &v
		c.mu.Unlock()
		_ = json.NewEncoder(w).Encode(v)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	c.URL = ts.URL
	return c
}

// seen is the chart as the script last asked for it (nil: it never did).
func (c *control) seen() *chartView {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
