package telemed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/scope"
	"github.com/housecall/housecall/internal/fhir/search"
)

// visitTTL is how long a cached visit snapshot decides who sees events
// before it is read again (Encounters also change through the FHIR API,
// which the Telemed API does not see).
const visitTTL = time.Minute

// accessTTL is how long a stream reuses the caller's access restriction.
const accessTTL = 10 * time.Second

// visitInfo is a snapshot of a visit: what deciding who may see its events
// needs. Snapshots are immutable; a change makes a new one, so a
// subscriber's cached decision is valid as long as the snapshot is the same
// pointer.
type visitInfo struct {
	EncounterID, MeetingID, Status string
	// Patients are the ids of the Encounter's Patient compartment.
	Patients []string
	// Participants are the profiles taking part (participant.individual,
	// other participants, subject).
	Participants []string
	Names        map[string]string
	WaitingRoom  bool
}

func (v *visitInfo) same(o *visitInfo) bool {
	return v.EncounterID == o.EncounterID && v.MeetingID == o.MeetingID && v.Status == o.Status &&
		v.WaitingRoom == o.WaitingRoom && slices.Equal(v.Patients, o.Patients) &&
		slices.Equal(v.Participants, o.Participants) && mapsEqual(v.Names, o.Names)
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

type cachedVisit struct {
	v  *visitInfo
	at time.Time
}

// maxCachedVisits bounds the snapshot cache; it is emptied when full (it
// only saves reads).
const maxCachedVisits = 10000

// liveState is the waiting room's and the event stream's in-process part.
type liveState struct {
	hub *hub

	mu     sync.Mutex
	visits map[string]cachedVisit
	// lastPos is the last queue position sent to each waiting person
	// ("encounter\x00key"), so that only changes are sent; refreshing
	// serialises the computations so positions are sent in order.
	lastPos    map[string]int
	refreshing sync.Mutex
}

// startLive migrates the waiting-room table and starts the event hub.
func (s *Service) startLive(ctx context.Context) error {
	if err := s.o.DB.Migrate(ctx, "telemed-waiting", waitingMigrations); err != nil {
		return err
	}
	s.live = &liveState{visits: map[string]cachedVisit{}, lastPos: map[string]int{}}
	s.live.hub = newHub(s.o.Now, 30*time.Second, s.markAway)
	return nil
}

// CloseStreams ends every open event stream (call it when the HTTP server
// shuts down: streams never end on their own).
func (s *Service) CloseStreams() { s.live.hub.close() }

// snapshot builds the visit snapshot of an Encounter.
func snapshot(e encounter) *visitInfo {
	v := &visitInfo{EncounterID: e.id(), MeetingID: e.meetingID(), Status: e.status(), Participants: e.participants(),
		Names: map[string]string{}, WaitingRoom: e.waitingRoom()}
	v.Patients, _ = search.DefaultIndexer().PatientRefs(e)
	for _, p := range v.Participants {
		if d := displayOf(e, p); d != "" {
			v.Names[p] = d
		}
	}
	return v
}

// noteVisit records the current state of an Encounter the service read or
// wrote. After a write (changed true) a change of status or participants is
// published as visit.updated — except the move to finished, which
// visit.ended announces.
func (s *Service) noteVisit(e encounter, written bool) *visitInfo {
	if s.live == nil || e.id() == "" {
		return nil
	}
	v := snapshot(e)
	s.live.mu.Lock()
	old, ok := s.live.visits[v.EncounterID]
	if ok && old.v.same(v) {
		v = old.v // keep the pointer: subscribers' decisions stay valid
	}
	if len(s.live.visits) >= maxCachedVisits {
		clear(s.live.visits)
	}
	s.live.visits[v.EncounterID] = cachedVisit{v: v, at: s.o.Now()}
	s.live.mu.Unlock()
	if written && ok && old.v != v && v.Status != "finished" &&
		(old.v.Status != v.Status || !slices.Equal(old.v.Participants, v.Participants)) {
		s.live.hub.publish(&LiveEvent{Type: EventVisitUpdated, Time: s.o.Now().UTC(), EncounterID: v.EncounterID,
			MeetingID: v.MeetingID, Status: v.Status, visit: v})
	}
	return v
}

// visit returns the snapshot of a visit, read as Housecall itself when the
// cached one is missing or old; nil if the Encounter cannot be read.
func (s *Service) visit(ctx context.Context, encounterID string) *visitInfo {
	s.live.mu.Lock()
	c, ok := s.live.visits[encounterID]
	s.live.mu.Unlock()
	if ok && s.o.Now().Sub(c.at) < visitTTL {
		return c.v
	}
	e, _, err := s.readEncounter(system(ctx), encounterID)
	if err != nil {
		if ok {
			return c.v
		}
		return nil
	}
	return s.noteVisit(e, false)
}

// hostOf reports whether id hosts a visit with these participants:
// practitioners taking part in it, staff and administrators, machine
// clients and Housecall itself.
func hostOf(id *auth.Identity, participants []string) bool {
	switch {
	case id.Kind == auth.KindSystem, id.Kind == auth.KindClient:
		return true
	case id.Kind == auth.KindUser && (id.Role == auth.RoleAdmin || id.Role == auth.RoleStaff):
		return true
	}
	return isPractitioner(id.FHIRUser) && slices.Contains(participants, id.FHIRUser)
}

func isPractitioner(ref string) bool {
	return strings.HasPrefix(ref, "Practitioner/") || strings.HasPrefix(ref, "PractitionerRole/")
}

// practitionersOf lists the practitioners taking part in a visit.
func practitionersOf(participants []string) []string {
	var out []string
	for _, p := range participants {
		if isPractitioner(p) {
			out = append(out, p)
		}
	}
	return out
}

// decide is a subscriber's view of a visit: whether it may read the
// Encounter (a participant always may; others as the access policy says)
// and whether it is a host. Events are not audited one by one; the stream
// and the REST calls that show the same data are.
func (s *Service) decide(ctx context.Context, sub *subscriber, v *visitInfo) decision {
	id := sub.id
	d := decision{visit: v}
	switch {
	case id.Kind == auth.KindSystem:
		d.read = true
	case id.FHIRUser != "" && slices.Contains(v.Participants, id.FHIRUser):
		d.read = true
	case s.o.Policy != nil:
		if s.o.Policy.Allow(id, scope.Read, "Encounter") == nil {
			// The restriction (under the strict policy a search of the
			// caller's care relationships) is reused for a few seconds.
			if sub.accessAt.IsZero() || s.o.Now().Sub(sub.accessAt) > accessTTL {
				a, err := s.o.Policy.Access(ctx, id)
				if err != nil {
					s.o.Logger.Warn("live events: the access restriction is not available", "err", err)
					break
				}
				sub.access, sub.accessAt = a, s.o.Now()
			}
			d.read = auth.Visible(sub.access, "Encounter", v.EncounterID, v.Patients)
		}
	default:
		// Without the policy at hand, ask the FHIR engine (an audited read).
		_, _, err := s.readEncounter(auth.WithIdentity(ctx, id), v.EncounterID)
		d.read = err == nil
	}
	d.host = d.read && hostOf(id, v.Participants)
	return d
}

// visitCall is the caller's place in a visit.
type visitCall struct {
	id        *auth.Identity
	e         encounter
	meetingID string
	host      bool
	// person is the caller's profile when they take part in the visit
	// without hosting it (the patient, an invited guest).
	person string
}

// callVisit reads a visit for a waiting-room call. The Encounter is read as
// the caller (the access policy applies; an invitation session only sees
// the visit it was invited to, see readVisit); a caller whose profile takes
// part in the visit but whose scopes do not cover Encounters is let in
// through a read as Housecall itself.
func (s *Service) callVisit(ctx context.Context, encounterID string) (*visitCall, error) {
	id, err := auth.Caller(ctx)
	if err != nil {
		return nil, apiErr(http.StatusUnauthorized, "authentication required")
	}
	e, _, err := s.readVisit(ctx, encounterID) // invitation sessions: only their own visit
	if err != nil {
		var ae *Error
		if id.FHIRUser == "" || !errors.As(err, &ae) || (ae.Status != http.StatusForbidden && ae.Status != http.StatusNotFound) {
			return nil, err
		}
		e2, _, err2 := s.readEncounter(system(ctx), encounterID)
		if err2 != nil || !slices.Contains(e2.participants(), id.FHIRUser) {
			return nil, err
		}
		e = e2
	}
	meetingID, err := s.meetingOf(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	if meetingID == "" {
		return nil, apiErr(http.StatusNotFound, "Encounter/%s has no meeting", encounterID)
	}
	vc := &visitCall{id: id, e: e, meetingID: meetingID, host: hostOf(id, e.participants())}
	if !vc.host && id.FHIRUser != "" && slices.Contains(e.participants(), id.FHIRUser) {
		vc.person = id.FHIRUser
	}
	return vc, nil
}

// invitedVisit is the Encounter an invitation session was invited to.
func (s *Service) invitedVisit(ctx context.Context, id *auth.Identity) (string, error) {
	inv, err := s.lookupInvite(ctx, id.Subject)
	if errors.Is(err, errNoInvite) {
		return "", apiErr(http.StatusForbidden, "this invitation is not valid")
	}
	if err != nil {
		return "", err
	}
	return inv.encounterID, nil
}

// participantKey is the stable id of a person in a visit (it does not
// reveal the profile).
func participantKey(encounterID, profile string) string {
	h := sha256.Sum256([]byte("waiting\x00" + encounterID + "\x00" + profile))
	return hex.EncodeToString(h[:9])
}

// publishLive turns a webhook event into a live event.
func (s *Service) publishLive(ctx context.Context, ev Event) {
	if s.live == nil {
		return
	}
	types := map[string]string{"meeting.created": EventVisitCreated, "meeting.ended": EventVisitEnded,
		"meeting.participant_joined": EventParticipantJoined, "meeting.participant_left": EventParticipantLeft}
	typ, ok := types[ev.Type]
	if !ok {
		return
	}
	if typ == EventVisitEnded {
		s.closeWaiting(ctx, ev.EncounterID)
	}
	v := s.visit(ctx, ev.EncounterID)
	if v == nil {
		return
	}
	t := ev.Time
	if t.IsZero() {
		t = s.o.Now()
	}
	le := &LiveEvent{Type: typ, Time: t.UTC(), EncounterID: ev.EncounterID, MeetingID: ev.MeetingID, Status: v.Status, visit: v}
	if ref := ev.Participant; ref != "" {
		p := &LiveParticipant{Key: participantKey(ev.EncounterID, ref), Name: v.Names[ref], Role: roleOf(ref)}
		if !strings.HasPrefix(ref, "guest/") {
			p.Profile = ref
		}
		if p.Name == "" && p.Role == "guest" {
			p.Name = "Guest"
		}
		le.Participant = p
	}
	s.live.hub.publish(le)
}
