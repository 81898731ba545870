package telemed

import (
	"slices"
	"time"
)

// Extension URLs of the Oystehr Telemed API.
const (
	ExtVirtualService    = "https://extensions.fhir.zapehr.com/encounter-virtual-service-pre-release"
	ExtOtherParticipants = "https://extensions.fhir.zapehr.com/encounter-other-participants"
	ExtOtherParticipant  = "https://extensions.fhir.zapehr.com/encounter-other-participant"
	// ExtRecordAudio records the recordAudio flag of a meeting request.
	ExtRecordAudio = "https://housecall.dev/fhir/StructureDefinition/meeting-record-audio"
)

// ChannelCoding names Housecall's video service in channelType.
var ChannelCoding = map[string]any{
	"system":  "https://housecall.dev/fhir/CodeSystem/virtual-service-type",
	"code":    "housecall-video",
	"display": "Housecall Video",
}

// encounter wraps a decoded Encounter with the accessors the Telemed API
// needs. It edits the map in place.
type encounter map[string]any

func (e encounter) id() string { s, _ := e["id"].(string); return s }

func (e encounter) status() string { s, _ := e["status"].(string); return s }

func extensions(m map[string]any) []any { xs, _ := m["extension"].([]any); return xs }

// findExt returns the first extension of m with url.
func findExt(m map[string]any, url string) map[string]any {
	for _, x := range extensions(m) {
		if xm, ok := x.(map[string]any); ok && xm["url"] == url {
			return xm
		}
	}
	return nil
}

// meetingID returns addressString of the virtual-service extension.
func (e encounter) meetingID() string {
	vs := findExt(e, ExtVirtualService)
	if vs == nil {
		return ""
	}
	if a := findExt(vs, "addressString"); a != nil {
		s, _ := a["valueString"].(string)
		return s
	}
	return ""
}

// setMeeting writes the virtual-service extension with Housecall's channel
// and the meeting id, keeping any other extensions.
func (e encounter) setMeeting(meetingID string, recordAudio bool) {
	vs := map[string]any{"url": ExtVirtualService, "extension": []any{
		map[string]any{"url": "channelType", "valueCoding": ChannelCoding},
		map[string]any{"url": "addressString", "valueString": meetingID},
	}}
	var out []any
	replaced := false
	for _, x := range extensions(e) {
		if xm, ok := x.(map[string]any); ok && xm["url"] == ExtVirtualService {
			if !replaced {
				out = append(out, vs)
				replaced = true
			}
			continue
		}
		if xm, ok := x.(map[string]any); ok && xm["url"] == ExtRecordAudio {
			continue
		}
		out = append(out, x)
	}
	if !replaced {
		out = append(out, vs)
	}
	if recordAudio {
		out = append(out, map[string]any{"url": ExtRecordAudio, "valueBoolean": true})
	}
	e["extension"] = out
}

// participants lists the references of Encounter.participant.individual
// and of the other-participants extension.
func (e encounter) participants() []string {
	var refs []string
	parts, _ := e["participant"].([]any)
	for _, p := range parts {
		pm, _ := p.(map[string]any)
		ind, _ := pm["individual"].(map[string]any)
		if r, _ := ind["reference"].(string); r != "" {
			refs = append(refs, r)
		}
	}
	for _, op := range e.others() {
		if r := otherRef(op); r != "" {
			refs = append(refs, r)
		}
	}
	if s, _ := e["subject"].(map[string]any); s != nil {
		if r, _ := s["reference"].(string); r != "" && !slices.Contains(refs, r) {
			// The patient of a visit takes part in it even when the app
			// did not list them again.
			refs = append(refs, r)
		}
	}
	return refs
}

// others returns the entries of the other-participants extension.
func (e encounter) others() []map[string]any {
	op := findExt(e, ExtOtherParticipants)
	if op == nil {
		return nil
	}
	var out []map[string]any
	for _, x := range extensions(op) {
		if xm, ok := x.(map[string]any); ok && xm["url"] == ExtOtherParticipant {
			out = append(out, xm)
		}
	}
	return out
}

func otherRef(op map[string]any) string {
	r := findExt(op, "reference")
	if r == nil {
		return ""
	}
	vr, _ := r["valueReference"].(map[string]any)
	s, _ := vr["reference"].(string)
	return s
}

// addOther adds ref to the other-participants extension.
func (e encounter) addOther(ref, display string, start time.Time) {
	op := findExt(e, ExtOtherParticipants)
	if op == nil {
		op = map[string]any{"url": ExtOtherParticipants}
		e["extension"] = append(extensions(e), op)
	}
	v := map[string]any{"reference": ref}
	if display != "" {
		v["display"] = display
	}
	entry := map[string]any{"url": ExtOtherParticipant, "extension": []any{
		map[string]any{"url": "reference", "valueReference": v},
	}}
	if !start.IsZero() {
		entry["extension"] = append([]any{map[string]any{"url": "period", "valuePeriod": map[string]any{"start": fhirTime(start)}}}, entry["extension"].([]any)...)
	}
	op["extension"] = append(extensions(op), entry)
}

// markPeriod records that ref joined (end false) or left (end true) at t,
// on its participant entry or other-participant entry.
func (e encounter) markPeriod(ref string, t time.Time, end bool) {
	set := func(period map[string]any) map[string]any {
		if period == nil {
			period = map[string]any{}
		}
		if end {
			period["end"] = fhirTime(t)
		} else {
			if _, ok := period["start"]; !ok {
				period["start"] = fhirTime(t)
			}
			delete(period, "end") // rejoined
		}
		return period
	}
	parts, _ := e["participant"].([]any)
	for _, p := range parts {
		pm, _ := p.(map[string]any)
		ind, _ := pm["individual"].(map[string]any)
		if r, _ := ind["reference"].(string); r == ref {
			pp, _ := pm["period"].(map[string]any)
			pm["period"] = set(pp)
			return
		}
	}
	for _, op := range e.others() {
		if otherRef(op) != ref {
			continue
		}
		if px := findExt(op, "period"); px != nil {
			vp, _ := px["valuePeriod"].(map[string]any)
			px["valuePeriod"] = set(vp)
		} else {
			op["extension"] = append([]any{map[string]any{"url": "period", "valuePeriod": set(nil)}}, extensions(op)...)
		}
		return
	}
}

// setStatus moves the Encounter to status at t, closing the period of the
// previous status in statusHistory (R4: statusHistory holds past statuses).
func (e encounter) setStatus(status string, t time.Time) bool {
	old := e.status()
	if old == status {
		return false
	}
	start := ""
	if p, _ := e["period"].(map[string]any); p != nil {
		start, _ = p["start"].(string)
	}
	if last := lastHistory(e); last != "" {
		start = last
	}
	if old != "" {
		h := map[string]any{"status": old, "period": map[string]any{"end": fhirTime(t)}}
		if start != "" {
			h["period"].(map[string]any)["start"] = start
		}
		hist, _ := e["statusHistory"].([]any)
		e["statusHistory"] = append(hist, h)
	}
	e["status"] = status
	period, _ := e["period"].(map[string]any)
	if period == nil {
		period = map[string]any{}
		e["period"] = period
	}
	switch status {
	case "in-progress", "arrived":
		if _, ok := period["start"]; !ok {
			period["start"] = fhirTime(t)
		}
	case "finished", "cancelled":
		period["end"] = fhirTime(t)
	}
	return true
}

// lastHistory is the end of the latest statusHistory period: when the
// current status began.
func lastHistory(e encounter) string {
	hist, _ := e["statusHistory"].([]any)
	if len(hist) == 0 {
		return ""
	}
	h, _ := hist[len(hist)-1].(map[string]any)
	p, _ := h["period"].(map[string]any)
	s, _ := p["end"].(string)
	return s
}

func fhirTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
