package telemed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/housecall/housecall/internal/audit"
	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/store/opsql"
)

// ExtWaitingRoom marks a meeting whose patients and guests wait until a
// host admits them (valueBoolean).
const ExtWaitingRoom = "https://housecall.dev/fhir/StructureDefinition/meeting-waiting-room"

// Limits of the waiting room.
const (
	maxWaitMessage = 500
	maxWaitName    = 200
)

// States of a person in a waiting room.
const (
	StateWaiting  = "waiting"
	StateAdmitted = "admitted"
	StateLeft     = "left"
)

func (e encounter) waitingRoom() bool {
	b, _ := findExt(e, ExtWaitingRoom)["valueBoolean"].(bool)
	return b
}

// setWaitingRoom turns the waiting room of a meeting on or off.
func (e encounter) setWaitingRoom(on bool) {
	var out []any
	for _, x := range extensions(e) {
		if xm, ok := x.(map[string]any); ok && xm["url"] == ExtWaitingRoom {
			continue
		}
		out = append(out, x)
	}
	if on {
		out = append(out, map[string]any{"url": ExtWaitingRoom, "valueBoolean": true})
	}
	if out == nil {
		delete(e, "extension")
		return
	}
	e["extension"] = out
}

// The waiting room keeps one row per person and visit. practitioners (one
// reference a line) decides the queue: visits that share a practitioner
// wait in one line. away marks someone who left because their app
// disconnected (they come back where they were when it reconnects).
var waitingMigrations = []opsql.Step{{Version: 1, Name: "waiting room",
	SQLite: `CREATE TABLE telemed_waiting (
	encounter_id  TEXT NOT NULL,
	pkey          TEXT NOT NULL,
	profile       TEXT NOT NULL,
	name          TEXT NOT NULL,
	role          TEXT NOT NULL,
	state         TEXT NOT NULL,
	arrived_at    INTEGER NOT NULL,
	admitted_at   INTEGER,
	left_at       INTEGER,
	away          INTEGER NOT NULL DEFAULT 0,
	message       TEXT,
	message_at    INTEGER,
	practitioners TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (encounter_id, pkey)
);
CREATE INDEX telemed_waiting_state ON telemed_waiting (state);
CREATE INDEX telemed_waiting_profile ON telemed_waiting (profile);`,
	Postgres: `CREATE TABLE telemed_waiting (
	encounter_id  text NOT NULL,
	pkey          text NOT NULL,
	profile       text NOT NULL,
	name          text NOT NULL,
	role          text NOT NULL,
	state         text NOT NULL,
	arrived_at    bigint NOT NULL,
	admitted_at   bigint,
	left_at       bigint,
	away          integer NOT NULL DEFAULT 0,
	message       text,
	message_at    bigint,
	practitioners text NOT NULL DEFAULT '',
	PRIMARY KEY (encounter_id, pkey)
);
CREATE INDEX telemed_waiting_state ON telemed_waiting (state);
CREATE INDEX telemed_waiting_profile ON telemed_waiting (profile);`}}

// WaitMessage is a host's note to people waiting.
type WaitMessage struct {
	Text string    `json:"text"`
	Time time.Time `json:"time"`
}

// Entry is one person in a waiting room, as hosts see it.
type Entry struct {
	// EncounterID is set on the provider board (several visits).
	EncounterID string `json:"encounterId,omitempty"`
	Key         string `json:"key"`
	Profile     string `json:"profile,omitempty"`
	Name        string `json:"name"`
	// Role is patient, interpreter or family.
	Role string `json:"role"`
	// State is waiting, admitted or left.
	State string `json:"state"`
	// Present: the person has an open event stream (or had, within 30 s).
	Present    bool         `json:"present"`
	ArrivedAt  time.Time    `json:"arrivedAt"`
	AdmittedAt *time.Time   `json:"admittedAt,omitempty"`
	Message    *WaitMessage `json:"message,omitempty"`
}

// WaitingState is the waiting room as the person waiting sees it.
type WaitingState struct {
	State string `json:"state"`
	// Position is 1-based among the visits waiting for one of this visit's
	// practitioners, by arrival; 0 (absent) once admitted.
	Position        int          `json:"position,omitempty"`
	ProviderPresent bool         `json:"providerPresent"`
	Message         *WaitMessage `json:"message,omitempty"`
	ArrivedAt       time.Time    `json:"arrivedAt"`
	AdmittedAt      *time.Time   `json:"admittedAt,omitempty"`
}

// HostView is a visit's waiting room as its hosts see it.
type HostView struct {
	WaitingRoom bool    `json:"waitingRoom"`
	Entries     []Entry `json:"entries"`
}

// waitRow is a row of telemed_waiting.
type waitRow struct {
	encounter, key, profile, name, role, state string
	arrived                                    int64
	admitted, left, messageAt                  *int64
	away                                       bool
	message                                    *string
	practitioners                              []string
}

const waitCols = `encounter_id, pkey, profile, name, role, state, arrived_at, admitted_at, left_at, away, message, message_at, practitioners`

type scanner interface{ Scan(...any) error }

func scanWait(sc scanner) (waitRow, error) {
	var r waitRow
	var away int
	var practitioners string
	err := sc.Scan(&r.encounter, &r.key, &r.profile, &r.name, &r.role, &r.state, &r.arrived, &r.admitted, &r.left,
		&away, &r.message, &r.messageAt, &practitioners)
	r.away = away != 0
	if practitioners != "" {
		r.practitioners = strings.Split(practitioners, "\n")
	}
	return r, err
}

func (s *Service) waitRows(ctx context.Context, where string, args ...any) ([]waitRow, error) {
	rows, err := s.o.DB.Query(ctx, `SELECT `+waitCols+` FROM telemed_waiting WHERE `+where+` ORDER BY arrived_at, pkey`, args...)
	if err != nil {
		return nil, fmt.Errorf("telemed: reading the waiting room: %w", err)
	}
	defer rows.Close()
	var out []waitRow
	for rows.Next() {
		r, err := scanWait(rows)
		if err != nil {
			return nil, fmt.Errorf("telemed: reading the waiting room: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Service) waitRow(ctx context.Context, encounterID, key string) (waitRow, error) {
	r, err := scanWait(s.o.DB.QueryRow(ctx, `SELECT `+waitCols+` FROM telemed_waiting WHERE encounter_id = ? AND pkey = ?`, encounterID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return r, apiErr(http.StatusNotFound, "no participant %q in the waiting room of Encounter/%s", key, encounterID)
	}
	if err != nil {
		return r, fmt.Errorf("telemed: reading the waiting room: %w", err)
	}
	return r, nil
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func msPtr(ms *int64) *time.Time {
	if ms == nil {
		return nil
	}
	t := msTime(*ms)
	return &t
}

func (r waitRow) entry(s *Service, withMessage bool) Entry {
	e := Entry{Key: r.key, Profile: r.profile, Name: r.name, Role: r.role, State: r.state,
		Present: s.live.hub.present(r.profile), ArrivedAt: msTime(r.arrived), AdmittedAt: msPtr(r.admitted)}
	if withMessage && r.message != nil && r.messageAt != nil {
		e.Message = &WaitMessage{Text: *r.message, Time: msTime(*r.messageAt)}
	}
	return e
}

func (r waitRow) participant() *LiveParticipant {
	return &LiveParticipant{Key: r.key, Profile: r.profile, Name: r.name, Role: r.role}
}

// personRole is patient for Patients and, for a RelatedPerson, what its
// relationship says (interpreter or family).
func (s *Service) personRole(ctx context.Context, profile string) string {
	if !strings.HasPrefix(profile, "RelatedPerson/") {
		return "patient"
	}
	resp, err := s.o.Engine.Do(system(ctx), &rest.Request{Interaction: rest.Read, Method: http.MethodGet,
		Type: "RelatedPerson", ID: strings.TrimPrefix(profile, "RelatedPerson/")})
	if err == nil {
		var rp struct {
			Relationship []struct {
				Coding []struct{ Code string }
			}
		}
		_ = json.Unmarshal(resp.Body, &rp)
		for _, rel := range rp.Relationship {
			for _, c := range rel.Coding {
				if c.Code == "INTPRTER" {
					return "interpreter"
				}
			}
		}
	}
	return "family"
}

// CheckIn puts the caller (the patient of the visit or an invited guest)
// in the waiting room and moves a planned Encounter to arrived. It is
// idempotent; someone who left comes back at their place in the queue.
func (s *Service) CheckIn(ctx context.Context, encounterID, name string) (*WaitingState, error) {
	vc, err := s.callVisit(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	if vc.person == "" {
		return nil, apiErr(http.StatusForbidden, "only the patient or an invited guest of the visit checks in")
	}
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > maxWaitName {
		return nil, apiErr(http.StatusBadRequest, "the name has at most %d characters", maxWaitName)
	}
	if st := vc.e.status(); s.meetingEnded(ctx, vc.meetingID) || st == "finished" || st == "cancelled" {
		return nil, apiErr(http.StatusGone, "this visit has ended")
	}
	now := s.o.Now()
	if st := vc.e.status(); st == "planned" || st == "triaged" {
		arrive := func(e encounter) {
			if st := e.status(); st == "planned" || st == "triaged" {
				e.setStatus("arrived", now)
			}
		}
		// As the caller, so the update is theirs in the audit trail; a
		// guest's session has no FHIR access and Housecall writes for it
		// (the check-in itself is audited below either way).
		if _, err := s.updateEncounter(ctx, encounterID, arrive); err != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae.Status != http.StatusForbidden {
				return nil, err
			}
			if _, err := s.updateEncounter(system(ctx), encounterID, arrive); err != nil {
				return nil, err
			}
		}
	}
	key := participantKey(encounterID, vc.person)
	if name == "" {
		name = displayOf(vc.e, vc.person)
	}
	if name == "" {
		name = vc.id.Display
	}
	practitioners := strings.Join(practitionersOf(vc.e.participants()), "\n")
	role := s.personRole(ctx, vc.person) // outside the transaction: it reads through the engine
	joined := false
	err = s.o.DB.InTx(ctx, func(tx *opsql.Tx) error {
		r, err := scanWait(tx.QueryRow(ctx, `SELECT `+waitCols+` FROM telemed_waiting WHERE encounter_id = ? AND pkey = ?`+tx.ForUpdate(), encounterID, key))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if name == "" {
				name = map[bool]string{true: "Patient", false: "Guest"}[strings.HasPrefix(vc.person, "Patient/")]
			}
			joined = true
			_, err = tx.Exec(ctx, `INSERT INTO telemed_waiting (encounter_id, pkey, profile, name, role, state, arrived_at, practitioners)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, encounterID, key, vc.person, name, role, StateWaiting, now.UnixMilli(), practitioners)
			return err
		case err != nil:
			return err
		}
		if name == "" {
			name = r.name
		}
		state := r.state
		if state == StateLeft {
			state, joined = StateWaiting, true
		}
		_, err = tx.Exec(ctx, `UPDATE telemed_waiting SET name = ?, state = ?, away = 0, left_at = NULL, practitioners = ?
WHERE encounter_id = ? AND pkey = ?`, name, state, practitioners, encounterID, key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("telemed: checking in: %w", err)
	}
	s.auditWaiting(ctx, vc, "checked in to the waiting room", vc.person)
	r, err := s.waitRow(ctx, encounterID, key)
	if err != nil {
		return nil, err
	}
	if joined {
		s.publishWaiting(ctx, EventWaitingJoined, r, "")
		s.refreshPositions(ctx)
	}
	return s.waitingState(ctx, vc, r)
}

// WaitingRoom is a visit's waiting room: a *HostView for its hosts, the
// *WaitingState of the caller for someone who checked in.
func (s *Service) WaitingRoom(ctx context.Context, encounterID string) (any, error) {
	vc, err := s.callVisit(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	if vc.host {
		rows, err := s.waitRows(ctx, `encounter_id = ?`, encounterID)
		if err != nil {
			return nil, err
		}
		hv := &HostView{WaitingRoom: vc.e.waitingRoom(), Entries: []Entry{}}
		for _, r := range rows {
			hv.Entries = append(hv.Entries, r.entry(s, true))
		}
		return hv, nil
	}
	if vc.person == "" {
		return nil, apiErr(http.StatusForbidden, "only the hosts and the people of the visit see its waiting room")
	}
	r, err := s.waitRow(ctx, encounterID, participantKey(encounterID, vc.person))
	if err != nil {
		return nil, apiErr(http.StatusNotFound, "not checked in to this visit")
	}
	return s.waitingState(ctx, vc, r)
}

func (s *Service) waitingState(ctx context.Context, vc *visitCall, r waitRow) (*WaitingState, error) {
	ws := &WaitingState{State: r.state, ArrivedAt: msTime(r.arrived), AdmittedAt: msPtr(r.admitted)}
	if r.message != nil && r.messageAt != nil {
		ws.Message = &WaitMessage{Text: *r.message, Time: msTime(*r.messageAt)}
	}
	if r.state == StateWaiting {
		pos, err := s.positions(ctx)
		if err != nil {
			return nil, err
		}
		ws.Position = pos[r.encounter]
	}
	for _, p := range practitionersOf(vc.e.participants()) {
		if s.live.hub.present(p) || s.presence.has(vc.meetingID, p) {
			ws.ProviderPresent = true
		}
	}
	return ws, nil
}

// has reports whether who is in the meeting's media room on this node.
func (p *presence) has(meeting, who string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rooms[meeting][who]
}

// Admit lets a waiting person into the call (a host's decision).
func (s *Service) Admit(ctx context.Context, encounterID, key string) (*Entry, error) {
	vc, err := s.callVisit(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	if !vc.host {
		return nil, apiErr(http.StatusForbidden, "only a host of the visit admits people")
	}
	if key == "" {
		return nil, apiErr(http.StatusBadRequest, "participant (the key of a waiting-room entry) is required")
	}
	r, err := s.waitRow(ctx, encounterID, key)
	if err != nil {
		return nil, err
	}
	if r.state != StateAdmitted {
		now := s.o.Now().UnixMilli()
		if _, err := s.o.DB.Exec(ctx, `UPDATE telemed_waiting SET state = ?, admitted_at = ?, away = 0, left_at = NULL
WHERE encounter_id = ? AND pkey = ?`, StateAdmitted, now, encounterID, key); err != nil {
			return nil, fmt.Errorf("telemed: admitting: %w", err)
		}
		s.auditWaiting(ctx, vc, "admitted from the waiting room", r.profile)
		if r, err = s.waitRow(ctx, encounterID, key); err != nil {
			return nil, err
		}
		s.publishWaiting(ctx, EventWaitingAdmitted, r, "")
		s.refreshPositions(ctx)
	}
	e := r.entry(s, true)
	return &e, nil
}

// SendWaitMessage sends a host's note to one person (key) or to everyone
// waiting; it is kept on the visit as a Communication, written as the
// caller. It returns how many people it went to.
func (s *Service) SendWaitMessage(ctx context.Context, encounterID, key, text string) (int, error) {
	vc, err := s.callVisit(ctx, encounterID)
	if err != nil {
		return 0, err
	}
	if !vc.host {
		return 0, apiErr(http.StatusForbidden, "only a host of the visit sends waiting-room messages")
	}
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > maxWaitMessage {
		return 0, apiErr(http.StatusBadRequest, "a waiting-room message has 1 to %d characters", maxWaitMessage)
	}
	var targets []waitRow
	if key != "" {
		r, err := s.waitRow(ctx, encounterID, key)
		if err != nil {
			return 0, err
		}
		targets = []waitRow{r}
	} else if targets, err = s.waitRows(ctx, `encounter_id = ? AND state = ?`, encounterID, StateWaiting); err != nil {
		return 0, err
	}
	if len(targets) == 0 {
		return 0, nil
	}
	now := s.o.Now()
	if err := s.storeWaitMessage(ctx, vc, targets, text, now); err != nil {
		return 0, err
	}
	for _, r := range targets {
		if _, err := s.o.DB.Exec(ctx, `UPDATE telemed_waiting SET message = ?, message_at = ? WHERE encounter_id = ? AND pkey = ?`,
			text, now.UnixMilli(), encounterID, r.key); err != nil {
			return 0, fmt.Errorf("telemed: recording a waiting-room message: %w", err)
		}
		ev := s.waitingEvent(ctx, EventWaitingMessage, r)
		if ev == nil {
			continue
		}
		ev.Message, ev.target, ev.Time = text, r.profile, now.UTC()
		s.live.hub.publish(ev)
	}
	return len(targets), nil
}

// storeWaitMessage keeps a waiting-room message as a Communication on the
// visit (like the call's chat, with its own category code).
func (s *Service) storeWaitMessage(ctx context.Context, vc *visitCall, to []waitRow, text string, now time.Time) error {
	c := map[string]any{
		"resourceType": "Communication", "status": "completed",
		"encounter": map[string]any{"reference": "Encounter/" + vc.e.id()},
		"sent":      fhirTime(now),
		"category": []any{map[string]any{"coding": []any{map[string]any{
			"system": "https://housecall.dev/fhir/CodeSystem/communication-category", "code": "waiting-room-message",
			"display": "Video visit waiting-room message"}}}},
		"payload": []any{map[string]any{"contentString": text}},
	}
	if sub, _ := vc.e["subject"].(map[string]any); sub != nil {
		if r, _ := sub["reference"].(string); r != "" {
			c["subject"] = map[string]any{"reference": r}
		}
	}
	sender := map[string]any{}
	if strings.Contains(vc.id.FHIRUser, "/") {
		sender["reference"] = vc.id.FHIRUser
	}
	if d := displayOf(vc.e, vc.id.FHIRUser); d != "" {
		sender["display"] = d
	} else if vc.id.Display != "" && sender["reference"] == nil {
		sender["display"] = vc.id.Display
	}
	if len(sender) > 0 {
		c["sender"] = sender
	}
	var recipients []any
	for _, r := range to {
		recipients = append(recipients, map[string]any{"reference": r.profile})
	}
	c["recipient"] = recipients
	body, _ := json.Marshal(c)
	if _, err := s.o.Engine.Do(ctx, &rest.Request{Interaction: rest.Create, Method: http.MethodPost, Type: "Communication",
		Body: body, ContentType: "application/fhir+json"}); err != nil {
		return fhirErr(err)
	}
	return nil
}

// auditWaiting records a waiting-room action of the caller.
func (s *Service) auditWaiting(ctx context.Context, vc *visitCall, what, about string) {
	if s.o.Audit == nil {
		return
	}
	ev := audit.Event{Time: s.o.Now(), Kind: audit.KindOperation, Outcome: audit.OutcomeSuccess, OutcomeDesc: what,
		Agent:    rest.AuditAgent(vc.id),
		Entities: []audit.Entity{{What: "Encounter/" + vc.e.id(), Role: audit.EntityRoleDomainResource}}}
	if sub, _ := vc.e["subject"].(map[string]any); sub != nil {
		if r, _ := sub["reference"].(string); strings.HasPrefix(r, "Patient/") {
			ev.Patients = []string{r}
		}
	}
	if about != "" && about != vc.id.FHIRUser {
		ev.Entities = append(ev.Entities, audit.Entity{What: about, Role: audit.EntityRoleDomainResource})
	}
	s.o.Audit.Record(ctx, ev)
}

// waitingEvent is a live event about one waiting-room entry (nil when the
// visit cannot be read).
func (s *Service) waitingEvent(ctx context.Context, typ string, r waitRow) *LiveEvent {
	v := s.visit(ctx, r.encounter)
	if v == nil {
		return nil
	}
	return &LiveEvent{Type: typ, Time: s.o.Now().UTC(), EncounterID: r.encounter, MeetingID: v.MeetingID, Status: v.Status,
		Participant: r.participant(), visit: v}
}

func (s *Service) publishWaiting(ctx context.Context, typ string, r waitRow, target string) {
	if ev := s.waitingEvent(ctx, typ, r); ev != nil {
		ev.target = target
		s.live.hub.publish(ev)
	}
}

// positions computes the queue: for each visit with someone waiting, 1 +
// the visits that share a practitioner with it and have waited longer.
func (s *Service) positions(ctx context.Context) (map[string]int, error) {
	rows, err := s.waitRows(ctx, `state = ?`, StateWaiting)
	if err != nil {
		return nil, err
	}
	type visitQ struct {
		id            string
		since         int64
		practitioners []string
	}
	byVisit := map[string]*visitQ{}
	for _, r := range rows {
		if q, ok := byVisit[r.encounter]; ok {
			q.since = min(q.since, r.arrived)
			continue
		}
		byVisit[r.encounter] = &visitQ{id: r.encounter, since: r.arrived, practitioners: r.practitioners}
	}
	queue := make([]*visitQ, 0, len(byVisit))
	for _, q := range byVisit {
		queue = append(queue, q)
	}
	sort.Slice(queue, func(i, j int) bool {
		if queue[i].since != queue[j].since {
			return queue[i].since < queue[j].since
		}
		return queue[i].id < queue[j].id
	})
	out := map[string]int{}
	for i, q := range queue {
		pos := 1
		for _, ahead := range queue[:i] {
			if slices.ContainsFunc(ahead.practitioners, func(p string) bool { return slices.Contains(q.practitioners, p) }) {
				pos++
			}
		}
		out[q.id] = pos
	}
	return out, nil
}

// refreshPositions sends waiting.position to each waiting person whose
// place in the queue changed.
func (s *Service) refreshPositions(ctx context.Context) {
	s.live.refreshing.Lock()
	defer s.live.refreshing.Unlock()
	pos, err := s.positions(ctx)
	if err != nil {
		s.o.Logger.Error("computing waiting-room positions failed", "err", err)
		return
	}
	rows, err := s.waitRows(ctx, `state = ?`, StateWaiting)
	if err != nil {
		s.o.Logger.Error("computing waiting-room positions failed", "err", err)
		return
	}
	var changed []waitRow
	s.live.mu.Lock()
	seen := map[string]bool{}
	for _, r := range rows {
		k := r.encounter + "\x00" + r.key
		seen[k] = true
		if s.live.lastPos[k] != pos[r.encounter] {
			s.live.lastPos[k] = pos[r.encounter]
			changed = append(changed, r)
		}
	}
	for k := range s.live.lastPos {
		if !seen[k] {
			delete(s.live.lastPos, k)
		}
	}
	s.live.mu.Unlock()
	for _, r := range changed {
		if ev := s.waitingEvent(ctx, EventWaitingPosition, r); ev != nil {
			ev.Position, ev.target = pos[r.encounter], r.profile
			s.live.hub.publish(ev)
		}
	}
}

// markAway takes someone whose app has been disconnected for the grace
// period out of the queue (state left; they keep their arrival time).
func (s *Service) markAway(profile string) {
	ctx := system(context.Background())
	rows, err := s.waitRows(ctx, `profile = ? AND state = ?`, profile, StateWaiting)
	if err != nil || len(rows) == 0 {
		return
	}
	now := s.o.Now().UnixMilli()
	for _, r := range rows {
		res, err := s.o.DB.Exec(ctx, `UPDATE telemed_waiting SET state = ?, away = 1, left_at = ? WHERE encounter_id = ? AND pkey = ? AND state = ?`,
			StateLeft, now, r.encounter, r.key, StateWaiting)
		if err != nil {
			s.o.Logger.Error("marking a waiting person away failed", "err", err)
			return
		}
		if n, _ := res.RowsAffected(); n == 1 {
			r.state = StateLeft
			s.publishWaiting(ctx, EventWaitingLeft, r, "")
		}
	}
	s.refreshPositions(ctx)
}

// restoreAway puts someone who left because their app disconnected back in
// the queue when it reconnects.
func (s *Service) restoreAway(ctx context.Context, profile string) {
	ctx = system(ctx)
	rows, err := s.waitRows(ctx, `profile = ? AND state = ? AND away = 1`, profile, StateLeft)
	if err != nil || len(rows) == 0 {
		return
	}
	for _, r := range rows {
		res, err := s.o.DB.Exec(ctx, `UPDATE telemed_waiting SET state = ?, away = 0, left_at = NULL WHERE encounter_id = ? AND pkey = ? AND state = ? AND away = 1`,
			StateWaiting, r.encounter, r.key, StateLeft)
		if err != nil {
			s.o.Logger.Error("restoring a waiting person failed", "err", err)
			return
		}
		if n, _ := res.RowsAffected(); n == 1 {
			r.state = StateWaiting
			s.publishWaiting(ctx, EventWaitingJoined, r, "")
		}
	}
	s.refreshPositions(ctx)
}

// closeWaiting empties the waiting room of an ended visit.
func (s *Service) closeWaiting(ctx context.Context, encounterID string) {
	res, err := s.o.DB.Exec(ctx, `UPDATE telemed_waiting SET state = ?, away = 0, left_at = COALESCE(left_at, ?) WHERE encounter_id = ? AND state <> ?`,
		StateLeft, s.o.Now().UnixMilli(), encounterID, StateLeft)
	if err != nil {
		s.o.Logger.Error("closing a waiting room failed", "err", err)
		return
	}
	if n, _ := res.RowsAffected(); n > 0 {
		s.refreshPositions(ctx)
	}
}

// admissionGate refuses a patient or guest the call of a meeting with a
// waiting room until a host admitted them.
func (s *Service) admissionGate(ctx context.Context, e encounter, id *auth.Identity, anonymous bool) error {
	if anonymous || hostOf(id, e.participants()) {
		return nil
	}
	if on, err := s.waitingRoomOf(ctx, e.meetingID()); err != nil || !on {
		return err
	}
	return s.admitted(ctx, e.id(), id.FHIRUser)
}

// admitted answers 409 unless profile was admitted from the visit's
// waiting room.
func (s *Service) admitted(ctx context.Context, encounterID, profile string) error {
	r, err := s.waitRow(ctx, encounterID, participantKey(encounterID, profile))
	if err == nil && r.state == StateAdmitted {
		return nil
	}
	var ae *Error
	if err != nil && !errors.As(err, &ae) {
		return err
	}
	return apiErr(http.StatusConflict, "waiting to be admitted by the provider")
}
