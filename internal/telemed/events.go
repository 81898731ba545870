package telemed

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/housecall/housecall/internal/audit"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/notify"
)

// Notification channels of the outbox used by the Telemed API.
const (
	ChannelWebhook = notify.ChannelWebhook
	ChannelEMR     = "emr"
)

// Event is one visit event sent to webhooks.
type Event struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Time        time.Time `json:"time"`
	EncounterID string    `json:"encounterId"`
	MeetingID   string    `json:"meetingId"`
	// Participant is the profile reference ("Practitioner/1",
	// "RelatedPerson/7") for participant events.
	Participant string `json:"participant,omitempty"`
}

// event queues ev for every webhook, in the persistent outbox (it survives
// restarts and is retried with backoff).
func (s *Service) event(ctx context.Context, ev Event) {
	s.publishLive(ctx, ev) // the live event stream (visit.go)
	if s.o.Outbox == nil {
		return
	}
	if ev.ID == "" {
		ev.ID = rest32()
	}
	if ev.Time.IsZero() {
		ev.Time = s.o.Now().UTC()
	}
	body, _ := json.Marshal(ev)
	targets := s.o.Webhooks
	if s.o.WebhookSource != nil {
		extra, err := s.o.WebhookSource(ctx, ev.Type)
		if err != nil {
			// The configured endpoints still get the event.
			s.o.Logger.Error("listing webhook endpoints failed", "type", ev.Type, "err", err)
		}
		targets = append(slices.Clip(targets), extra...)
	}
	for _, w := range targets {
		if _, err := s.o.Outbox.Enqueue(ctx, notify.Message{Channel: ChannelWebhook, To: w.URL, Subject: ev.Type,
			Text: string(body), DedupKey: "webhook:" + w.URL + ":" + ev.ID}); err != nil {
			s.o.Logger.Error("queueing a webhook event failed", "type", ev.Type, "err", err)
		}
	}
	if s.o.EMR != nil && ev.Participant != "" && (ev.Type == "meeting.participant_joined" || ev.Type == "meeting.participant_left") {
		typ, id, _ := strings.Cut(ev.Participant, "/")
		status := "Connected"
		if ev.Type == "meeting.participant_left" {
			status = "Disconnected"
		}
		q := url.Values{"ExternalIDType": {typ}, "VendorName": {s.o.EMR.VendorName}, "ExternalID": {id},
			"ConferenceID": {ev.MeetingID}, "ConnectionStatus": {status}}
		if _, err := s.o.Outbox.Enqueue(ctx, notify.Message{Channel: ChannelEMR, To: s.o.EMR.URL, Text: q.Encode(),
			DedupKey: "emr:" + ev.ID}); err != nil {
			s.o.Logger.Error("queueing an EMR notification failed", "err", err)
		}
	}
}

// MediaEvent is what the media server reports about a participant.
type MediaEvent struct {
	Type          string // joined | left | room-closed | …
	MeetingID     string
	ParticipantID string
	Time          time.Time
}

// presence tracks who is in each meeting on this node.
type presence struct {
	mu    sync.Mutex
	rooms map[string]map[string]bool
}

func (p *presence) set(meeting, who string, in bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rooms == nil {
		p.rooms = map[string]map[string]bool{}
	}
	r := p.rooms[meeting]
	if r == nil {
		r = map[string]bool{}
		p.rooms[meeting] = r
	}
	if in {
		r[who] = true
	} else {
		delete(r, who)
	}
	n := len(r)
	if n == 0 {
		delete(p.rooms, meeting)
	}
	return n
}

// OnMediaEvent records a join or leave on the Encounter (participant
// period; status arrived when the first person is waiting, in-progress
// once two are in the call), audits it and sends it to webhooks.
func (s *Service) OnMediaEvent(ev MediaEvent) {
	ctx := system(context.Background())
	encounterID := s.meetingEncounter(ctx, ev.MeetingID)
	if encounterID == "" {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = s.o.Now()
	}
	var typ string
	switch ev.Type {
	case "joined", "reconnected":
		typ = "meeting.participant_joined"
	case "left":
		typ = "meeting.participant_left"
	default:
		return
	}
	present := s.presence.set(ev.MeetingID, ev.ParticipantID, typ == "meeting.participant_joined")
	if ev.Type == "reconnected" {
		return // the same participant, already recorded
	}
	written, err := s.updateEncounter(ctx, encounterID, func(e encounter) {
		e.markPeriod(ev.ParticipantID, ev.Time, typ == "meeting.participant_left")
		switch st := e.status(); {
		case typ == "meeting.participant_joined" && present >= 2 && st != "finished" && st != "cancelled":
			e.setStatus("in-progress", ev.Time)
		case typ == "meeting.participant_joined" && (st == "planned" || st == "triaged"):
			e.setStatus("arrived", ev.Time)
		}
	})
	if err != nil {
		s.o.Logger.Error("recording a join or leave on the Encounter failed", "event", ev.Type, "err", err)
	}
	if s.o.Audit != nil {
		desc := "joined the video visit"
		if typ == "meeting.participant_left" {
			desc = "left the video visit"
		}
		a := audit.Event{Time: ev.Time, Kind: audit.KindOperation, Outcome: audit.OutcomeSuccess, OutcomeDesc: desc,
			Entities: []audit.Entity{{What: "Encounter/" + encounterID, Role: audit.EntityRoleDomainResource}}, Patients: written.patientsOf(),
			Agent: audit.Agent{Requestor: true, UserName: ev.ParticipantID}}
		if strings.Contains(ev.ParticipantID, "/") && !strings.HasPrefix(ev.ParticipantID, "guest/") {
			a.Agent.Who = ev.ParticipantID
		}
		s.o.Audit.Record(ctx, a)
	}
	s.event(ctx, Event{Type: typ, EncounterID: encounterID, MeetingID: ev.MeetingID, Participant: ev.ParticipantID, Time: ev.Time.UTC()})
}

// updateEncounter applies change to the current Encounter as the caller
// in ctx, re-reading and retrying when a concurrent write wins (the media
// server's join and leave updates, an app); it returns what was written.
func (s *Service) updateEncounter(ctx context.Context, id string, change func(encounter)) (encounter, error) {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var e, out encounter
		var v int64
		if e, v, err = s.readEncounter(ctx, id); err != nil {
			return nil, err
		}
		change(e)
		if out, _, err = s.writeEncounter(ctx, e, v); err == nil {
			return out, nil
		}
		if !versionConflict(err) {
			return nil, err
		}
	}
	return nil, err
}

// patientsOf returns the visit's patient reference (its subject), for audit records.
func (e encounter) patientsOf() []string {
	if sub, _ := e["subject"].(map[string]any); sub != nil {
		if r, _ := sub["reference"].(string); strings.HasPrefix(r, "Patient/") {
			return []string{r}
		}
	}
	return nil
}

// versionConflict reports whether a conditional write lost a race with
// another writer (the media server's join and leave updates, an app).
func versionConflict(err error) bool {
	var ae *Error
	var fe *rest.Error
	return (errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed) || (errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed)
}
