package webapp

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/e2e/e2etest"
)

// What is typed in the browser, checked afterwards in FHIR.
const (
	diagnosis     = "Acute maxillary sinusitis"
	diagnosisCode = "J01.00"
	medication    = "Amoxicillin 500 mg capsule"
	reason        = "Sinus pain and fever for three days"
	guestName     = "Ines Interpreter"
)

// Targets of issue 6 and the limits past which the test fails. The gap is
// for a loaded 2-core CI machine running the server under -race beside
// four Chromium renderers; a board that polls, or a device check that
// waits out a timeout, lands past the limits.
const (
	linkToWaitingTarget = 2 * time.Second
	linkToWaitingLimit  = 10 * time.Second
	noticeTarget        = 1 * time.Second
	noticeLimit         = 3 * time.Second
	jsBudgetBytes       = 250 * 1024 // gzipped, as web/scripts/size.mjs counts it
	runTimeout          = 180 * time.Second
)

type jsSize struct {
	Bytes        int      `json:"bytes"`
	Files        int      `json:"files"`
	Uncompressed []string `json:"uncompressed"`
}

func (j jsSize) KB() float64 { return float64(j.Bytes) / 1024 }

// decoded is a page's proof of received video (tools/web-e2e/lib/media.mjs).
type decoded struct {
	Streams []struct {
		FramesDecoded int `json:"framesDecoded"`
		FramesDelta   int `json:"framesDelta"`
		FrameWidth    int `json:"frameWidth"`
		FrameHeight   int `json:"frameHeight"`
	} `json:"streams"`
	Videos []struct {
		VideoWidth  int `json:"videoWidth"`
		VideoHeight int `json:"videoHeight"`
	} `json:"videos"`
	RemoteVideoElements int `json:"remoteVideoElements"`
}

func (d decoded) ok() bool {
	return len(d.Streams) > 0 && d.Streams[0].FramesDelta > 0 && d.Streams[0].FrameWidth > 0 && len(d.Videos) > 0
}

// runReport is the JSON line tools/web-e2e/run.mjs prints.
type runReport struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Step    string `json:"step"`
	MS      int64  `json:"ms"`
	Console []string
	Steps   []struct {
		Step       string `json:"step"`
		MS         int64  `json:"ms"`
		Screenshot string `json:"screenshot"`
	} `json:"steps"`
	Metrics struct {
		LinkToWaitingRoomMs    int64            `json:"linkToWaitingRoomMs"`
		LinkToWaitingRoomPh    map[string]int64 `json:"linkToWaitingRoomPhases"`
		ArrivalToNoticeMs      int64            `json:"arrivalToNoticeMs"`
		PatientJSAtWaitingRoom jsSize           `json:"patientJSAtWaitingRoom"`
		PatientJS              jsSize           `json:"patientJS"`
		Mobile                 struct {
			LinkToWaitingRoomMs    int64            `json:"linkToWaitingRoomMs"`
			LinkToWaitingRoomPh    map[string]int64 `json:"linkToWaitingRoomPhases"`
			PatientJSAtWaitingRoom jsSize           `json:"patientJSAtWaitingRoom"`
			OverflowPx             int              `json:"overflowPx"`
		} `json:"mobile"`
	} `json:"metrics"`
	Results struct {
		EncounterID       string `json:"encounterId"`
		SecondEncounterID string `json:"secondEncounterId"`
		GuestAdmittedFrom string `json:"guestAdmittedFrom"`
		Call              struct {
			AtProvider decoded `json:"atProvider"`
			AtPatient  decoded `json:"atPatient"`
			AtGuest    decoded `json:"atGuest"`
		} `json:"call"`
		IntakeAnswers []struct {
			LinkID string `json:"linkId"`
			Answer string `json:"answer"`
		} `json:"intakeAnswers"`
		Summary struct {
			Diagnosis    bool `json:"diagnosis"`
			Prescription bool `json:"prescription"`
		} `json:"summary"`
	} `json:"results"`
}

func (r runReport) Succeeded() bool { return r.OK }

// TestWholeVisitInChromium is issue 6's browser test: a whole video visit
// through the web app, by the labels of the UI contract, with the figures
// of its targets measured (see the package comment).
func TestWholeVisitInChromium(t *testing.T) {
	requireBuiltApp(t)
	node, tool := requireBrowser(t)
	ctx := t.Context()

	srv := startServer(t)
	checkServed(t, srv)
	pat := seedPatient(t, srv)
	prov := seedProvider(t, srv)
	intake, _ := intakeItems(t, srv)
	ctl := newControl(t, srv.URL, prov.Token)

	shots := e2etest.ArtifactDir(t)
	rep := e2etest.RunNode[runReport](t, node, tool, "run.mjs", runTimeout, map[string]string{
		"BASE": srv.URL, "CONTROL": ctl.URL, "INTAKE": intake, "SCREENSHOTS": shots,
		"PROVIDER_EMAIL": prov.Email, "PROVIDER_PASSWORD": prov.Password, "TOTP_SECRET": prov.TOTPSecret,
		"PATIENT_NAME": pat.Name(), "PATIENT_GIVEN": pat.Given, "PATIENT_SEARCH": pat.Family,
		"DEADLINE_MS": fmt.Sprint((runTimeout - 10*time.Second).Milliseconds()),
		"DIAGNOSIS":   diagnosis, "DIAGNOSIS_CODE": diagnosisCode, "MEDICATION": medication, "REASON": reason, "GUEST_NAME": guestName,
	})
	for _, s := range rep.Steps {
		t.Logf("%6d ms  %s", s.MS, s.Step)
	}
	m := rep.Metrics
	writeMetrics(t, shots, rep)
	if !rep.OK {
		t.Fatalf("the browser run failed after %d ms: %s\nbrowser console:\n  %s\nscreenshots in %s",
			rep.MS, rep.Error, strings.Join(rep.Console, "\n  "), shots)
	}
	t.Logf("browser run: %d ms; screenshots in %s", rep.MS, shots)
	t.Logf("link → waiting room: %d ms (target %d ms) %v; on a phone: %d ms %v", m.LinkToWaitingRoomMs, linkToWaitingTarget.Milliseconds(),
		m.LinkToWaitingRoomPh, m.Mobile.LinkToWaitingRoomMs, m.Mobile.LinkToWaitingRoomPh)
	t.Logf("check-in → arrival notice: %d ms (target %d ms)", m.ArrivalToNoticeMs, noticeTarget.Milliseconds())
	t.Logf("patient JS: %.1f KB in %d files through the call, %.1f KB at the waiting room (budget %d KB); phone: %.1f KB",
		m.PatientJS.KB(), m.PatientJS.Files, m.PatientJSAtWaitingRoom.KB(), jsBudgetBytes/1024, m.Mobile.PatientJSAtWaitingRoom.KB())
	for _, x := range []struct {
		what          string
		got           int64
		target, limit time.Duration
	}{
		// The app's time: the script typing the intake is the person's
		// time, and under a loaded CI machine it alone can take seconds.
		{"link → waiting room (app time)", m.LinkToWaitingRoomMs - m.LinkToWaitingRoomPh["typing"], linkToWaitingTarget, linkToWaitingLimit},
		{"link → waiting room on a phone (app time)", m.Mobile.LinkToWaitingRoomMs - m.Mobile.LinkToWaitingRoomPh["typing"], linkToWaitingTarget, linkToWaitingLimit},
		{"check-in → arrival notice", m.ArrivalToNoticeMs, noticeTarget, noticeLimit},
	} {
		switch {
		case x.got <= 0 || x.got > x.limit.Milliseconds():
			t.Errorf("%s: %d ms, past the limit of %d ms (target %d ms)", x.what, x.got, x.limit.Milliseconds(), x.target.Milliseconds())
		case x.got > x.target.Milliseconds():
			t.Logf("note: %s took %d ms, over its %d ms target", x.what, x.got, x.target.Milliseconds())
		}
	}
	if m.PatientJS.Bytes <= 0 || m.PatientJS.Bytes > jsBudgetBytes {
		t.Errorf("patient JS %.1f KB, budget %d KB", m.PatientJS.KB(), jsBudgetBytes/1024)
	}
	if len(m.PatientJS.Uncompressed) > 0 {
		t.Errorf("scripts sent without compression: %v", m.PatientJS.Uncompressed)
	}
	if m.Mobile.OverflowPx > 0 {
		t.Logf("note: the waiting room is %d px wider than a 390 px phone (scrolls sideways)", m.Mobile.OverflowPx)
	}

	res := rep.Results
	c := res.Call
	t.Logf("video: patient at provider %+v; provider at patient %+v; at guest %+v (admitted from the %s)", c.AtProvider, c.AtPatient, c.AtGuest, res.GuestAdmittedFrom)
	checks := []struct {
		name string
		ok   bool
		got  any
	}{
		{"the provider decodes the patient's video", c.AtProvider.ok(), c.AtProvider},
		{"the patient decodes the provider's video", c.AtPatient.ok(), c.AtPatient},
		{"the guest decodes video", c.AtGuest.ok(), c.AtGuest},
		{"the visit summary lists the diagnosis and the prescription", res.Summary.Diagnosis && res.Summary.Prescription, res.Summary},
		{"the intake was answered", len(res.IntakeAnswers) > 0, res.IntakeAnswers},
		{"the script asked Go for the chart before ending the visit", ctl.seen() != nil, ctl.seen()},
	}
	for _, x := range checks {
		if !x.ok {
			t.Errorf("%s: got %+v", x.name, x.got)
		}
	}

	// What FHIR holds, read by Go, after the visit ended.
	chart, err := readChart(ctx, srv.URL, prov.Token, res.EncounterID)
	if err != nil {
		t.Fatal(err)
	}
	checkChart(t, chart, res.EncounterID, pat.ID)
	checkVisit(t, srv, prov, pat, res.EncounterID, "finished")
	checkVisit(t, srv, prov, pat, res.SecondEncounterID, "arrived")
	if n := srv.Count(t, "Consent", url.Values{"patient": {"Patient/" + pat.ID}, "status": {"active"}}); n < 2 {
		t.Errorf("active Consents of the patient: %d, want one per visit (2)", n)
	}
	if len(rep.Steps) < 20 {
		t.Errorf("only %d screenshots", len(rep.Steps))
	}
	for _, s := range rep.Steps {
		if fi, err := os.Stat(s.Screenshot); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot of %q missing or empty (%v)", s.Step, err)
		}
	}
}

// checkChart wants exactly the charted diagnosis and prescription on the
// visit, for the patient.
func checkChart(t *testing.T, v chartView, encounterID, patientID string) {
	t.Helper()
	enc, subj := "Encounter/"+encounterID, "Patient/"+patientID
	if len(v.Conditions) != 1 || v.Conditions[0].Text != diagnosis || v.Conditions[0].Encounter != enc || v.Conditions[0].Subject != subj {
		t.Errorf("Conditions of %s: %+v, want one %q for %s", enc, v.Conditions, diagnosis, subj)
	}
	if len(v.MedicationRequests) != 1 || v.MedicationRequests[0].Text != medication || v.MedicationRequests[0].Encounter != enc ||
		v.MedicationRequests[0].Subject != subj {
		t.Errorf("MedicationRequests of %s: %+v, want one %q for %s", enc, v.MedicationRequests, medication, subj)
	}
}

// checkVisit reads a visit's Encounter with the provider's token: the
// patient's, the provider's, in status, with the reason typed at intake
// and a completed QuestionnaireResponse.
func checkVisit(t *testing.T, srv *e2etest.Server, prov provider, pat patient, id, status string) {
	t.Helper()
	if id == "" {
		t.Errorf("the run names no Encounter for the %s visit", status)
		return
	}
	e, err := fhirGet(t.Context(), srv.URL, prov.Token, "Encounter/"+url.PathEscape(id))
	if err != nil {
		t.Error(err)
		return
	}
	var reasons, people []string
	for i := range 4 {
		if s := str(e, "reasonCode", i, "text"); s != "" {
			reasons = append(reasons, s)
		}
		if s := str(e, "participant", i, "individual", "reference"); s != "" {
			people = append(people, s)
		}
	}
	if got := str(e, "status"); got != status {
		t.Errorf("Encounter/%s status %q, want %q", id, got, status)
	}
	if got := str(e, "subject", "reference"); got != "Patient/"+pat.ID {
		t.Errorf("Encounter/%s subject %q, want Patient/%s", id, got, pat.ID)
	}
	if !strings.Contains(strings.Join(people, " "), "Practitioner/"+prov.PractitionerID) {
		t.Errorf("Encounter/%s participants %v, want Practitioner/%s", id, people, prov.PractitionerID)
	}
	if !strings.Contains(strings.Join(reasons, "|"), reason) {
		t.Errorf("Encounter/%s reasonCode texts %q, want %q", id, reasons, reason)
	}
	var intakes []string
	for _, qr := range systemSearch(t, srv, "QuestionnaireResponse", url.Values{"encounter": {"Encounter/" + id}}) {
		intakes = append(intakes, str(qr, "status")+" "+str(qr, "questionnaire")+" "+str(qr, "subject", "reference"))
	}
	if want := "completed " + intakeURL + " Patient/" + pat.ID; len(intakes) != 1 || intakes[0] != want {
		t.Errorf("QuestionnaireResponses of Encounter/%s: %q, want one %q", id, intakes, want)
	}
}

// writeMetrics leaves the measured figures beside the screenshots.
func writeMetrics(t *testing.T, dir string, rep runReport) {
	t.Helper()
	m := rep.Metrics
	out := map[string]any{
		"linkToWaitingRoomMs": m.LinkToWaitingRoomMs, "linkToWaitingRoomTargetMs": linkToWaitingTarget.Milliseconds(),
		"linkToWaitingRoomPhasesMs": m.LinkToWaitingRoomPh,
		"arrivalToNoticeMs":         m.ArrivalToNoticeMs, "arrivalToNoticeTargetMs": noticeTarget.Milliseconds(),
		"patientJsKB": round1(m.PatientJS.KB()), "patientJsFiles": m.PatientJS.Files, "patientJsBudgetKB": jsBudgetBytes / 1024,
		"patientJsAtWaitingRoomKB": round1(m.PatientJSAtWaitingRoom.KB()),
		"mobile": map[string]any{"viewport": "390x844", "linkToWaitingRoomMs": m.Mobile.LinkToWaitingRoomMs,
			"linkToWaitingRoomPhasesMs": m.Mobile.LinkToWaitingRoomPh,
			"patientJsAtWaitingRoomKB":  round1(m.Mobile.PatientJSAtWaitingRoom.KB()), "overflowPx": m.Mobile.OverflowPx},
		"runMs": rep.MS, "ok": rep.OK, "failedStep": rep.Step,
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "web-e2e-metrics.json")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("metrics in %s", path)
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
