package telemed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/fhir/rest"
)

// Timing of event streams.
const (
	heartbeatEvery = 15 * time.Second
	// streamLifetime ends a stream after a while: the client reconnects
	// with Last-Event-ID (nothing is lost) and its token is checked again,
	// so a withdrawn invitation or an expired token stops receiving.
	streamLifetime = 10 * time.Minute
	// writeTimeout bounds one write to a client that stopped reading.
	writeTimeout = 20 * time.Second
)

// eventsHandler serves GET /v1/telemed/events: Server-Sent Events for the
// caller, optionally only those of one visit (?encounter=).
func (s *Service) eventsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, enc, err := s.openStream(r)
		if err != nil {
			s.handle(func(*http.Request) (int, any, error) { return 0, nil, err }).ServeHTTP(w, r)
			return
		}
		s.stream(w, r, id, enc)
	})
}

// openStream checks the caller and the visit it asks for.
func (s *Service) openStream(r *http.Request) (*auth.Identity, string, error) {
	id, err := auth.Caller(r.Context())
	if err != nil {
		return nil, "", apiErr(http.StatusUnauthorized, "authentication required")
	}
	enc := r.URL.Query().Get("encounter")
	if enc == "" && id.Kind == auth.KindInvite {
		// An invitation session follows the visit it was invited to.
		if enc, err = s.invitedVisit(r.Context(), id); err != nil {
			return nil, "", err
		}
	}
	if enc != "" {
		if _, err := s.callVisit(r.Context(), enc); err != nil {
			return nil, "", err
		}
	}
	return id, enc, nil
}

func (s *Service) stream(w http.ResponseWriter, r *http.Request, id *auth.Identity, enc string) {
	ctx := r.Context()
	rc := http.NewResponseController(w)
	// The connection may serve further requests: no deadline must remain.
	defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // reverse proxies must not buffer the stream
	w.WriteHeader(http.StatusOK)

	lastID := r.Header.Get("Last-Event-ID")
	if lastID == "" {
		lastID = r.URL.Query().Get("lastEventId")
	}
	sub, replay, resync := s.live.hub.subscribe(id, enc, lastID)
	defer s.live.hub.unsubscribe(sub)
	if id.FHIRUser != "" {
		s.restoreAway(ctx, id.FHIRUser)
	}

	var buf bytes.Buffer
	flush := func() bool {
		if buf.Len() == 0 {
			return true
		}
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, err := w.Write(buf.Bytes())
		buf.Reset()
		return err == nil && rc.Flush() == nil
	}
	buf.WriteString("retry: 2000\n\n")
	writeEvent(&buf, "", eventReady, map[string]any{"time": s.o.Now().UTC()})
	if resync {
		writeEvent(&buf, "", eventResync, map[string]any{"time": s.o.Now().UTC()})
	}
	for _, ev := range replay {
		if s.deliverable(ctx, sub, ev) {
			writeEvent(&buf, ev.ID, ev.Type, ev)
		}
	}
	if !flush() {
		return
	}
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	end := time.NewTimer(streamLifetime)
	defer end.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.done:
			return
		case <-end.C:
			return
		case <-beat.C:
			buf.WriteString(": keep-alive\n\n")
		case <-sub.wake:
		case ev := <-sub.ch:
			if s.deliverable(ctx, sub, ev) {
				writeEvent(&buf, ev.ID, ev.Type, ev)
			}
			// Send what else is queued in the same write.
			for more := true; more; {
				select {
				case ev := <-sub.ch:
					if s.deliverable(ctx, sub, ev) {
						writeEvent(&buf, ev.ID, ev.Type, ev)
					}
				default:
					more = false
				}
			}
		}
		if sub.lost.Swap(false) {
			writeEvent(&buf, "", eventResync, map[string]any{"time": s.o.Now().UTC()})
		}
		if !flush() {
			return
		}
	}
}

// writeEvent appends one SSE event (the JSON has no newlines).
func writeEvent(buf *bytes.Buffer, id, typ string, v any) {
	data, _ := json.Marshal(v)
	if id != "" {
		fmt.Fprintf(buf, "id: %s\n", id)
	}
	fmt.Fprintf(buf, "event: %s\ndata: %s\n\n", typ, data)
}

// deliverable decides whether sub may see ev; decisions are cached per
// visit snapshot.
func (s *Service) deliverable(ctx context.Context, sub *subscriber, ev *LiveEvent) bool {
	if ev.visit == nil {
		return false
	}
	d, ok := sub.seen[ev.EncounterID]
	if !ok || d.visit != ev.visit {
		d = s.decide(ctx, sub, ev.visit)
		sub.seen[ev.EncounterID] = d
	}
	if !d.read {
		return false
	}
	return ev.target == "" || d.host || sub.id.FHIRUser == ev.target
}

// Board lists everyone waiting or admitted in the visits the caller may
// see (the provider board). The Encounters are searched as the caller, so
// the access policy decides and the audit trail records what was shown;
// messages are shown to the hosts of the visit only.
func (s *Service) Board(ctx context.Context) ([]Entry, error) {
	id, err := auth.Caller(ctx)
	if err != nil {
		return nil, apiErr(http.StatusUnauthorized, "authentication required")
	}
	where, args := `state IN (?, ?)`, []any{StateWaiting, StateAdmitted}
	if id.Kind == auth.KindInvite {
		enc, err := s.invitedVisit(ctx, id)
		if err != nil {
			return nil, err
		}
		where, args = where+` AND encounter_id = ?`, append(args, enc)
	}
	rows, err := s.waitRows(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range rows {
		if !slices.Contains(ids, r.encounter) {
			ids = append(ids, r.encounter)
		}
	}
	visits, err := s.searchVisits(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := []Entry{}
	for _, r := range rows {
		v := visits[r.encounter]
		if v == nil && id.FHIRUser != "" {
			// A guest's session reads no Encounters but sees its own visit.
			if cv := s.visit(ctx, r.encounter); cv != nil && slices.Contains(cv.Participants, id.FHIRUser) {
				v = cv
			}
		}
		if v == nil {
			continue
		}
		e := r.entry(s, hostOf(id, v.Participants))
		e.EncounterID = r.encounter
		out = append(out, e)
	}
	return out, nil
}

// searchVisits reads the Encounters with these ids that the caller may
// see.
func (s *Service) searchVisits(ctx context.Context, ids []string) (map[string]*visitInfo, error) {
	out := map[string]*visitInfo{}
	for start := 0; start < len(ids); start += 100 {
		chunk := ids[start:min(start+100, len(ids))]
		resp, err := s.o.Engine.Do(ctx, &rest.Request{Interaction: rest.SearchType, Method: http.MethodGet, Type: "Encounter",
			Query: url.Values{"_id": {strings.Join(chunk, ",")}, "_count": {"100"}}})
		if err != nil {
			var fe *rest.Error
			if errors.As(err, &fe) && fe.Status == http.StatusForbidden {
				return out, nil // no access to Encounters at all
			}
			return nil, fhirErr(err)
		}
		raw := resp.Body
		if resp.Resource != nil {
			if raw, err = json.Marshal(resp.Resource); err != nil {
				return nil, err
			}
		}
		var b struct {
			Entry []struct {
				Resource encounter `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("telemed: decoding an Encounter search: %w", err)
		}
		for _, en := range b.Entry {
			if en.Resource["resourceType"] == "Encounter" {
				out[en.Resource.id()] = s.noteVisit(en.Resource, false)
			}
		}
	}
	return out, nil
}

// HTTP side of the waiting room.

func (s *Service) checkIn(r *http.Request) (int, any, error) {
	var body struct {
		Name string `json:"name"`
	}
	if err := decodeOptional(r, &body); err != nil {
		return 0, nil, err
	}
	ws, err := s.CheckIn(r.Context(), r.PathValue("encounterId"), body.Name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ws, nil
}

func (s *Service) waitingRoom(r *http.Request) (int, any, error) {
	v, err := s.WaitingRoom(r.Context(), r.PathValue("encounterId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

func (s *Service) board(r *http.Request) (int, any, error) {
	entries, err := s.Board(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"entries": entries}, nil
}

func (s *Service) admit(r *http.Request) (int, any, error) {
	var body struct {
		Participant string `json:"participant"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	e, err := s.Admit(r.Context(), r.PathValue("encounterId"), body.Participant)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e, nil
}

func (s *Service) waitMessage(r *http.Request) (int, any, error) {
	var body struct {
		Participant string `json:"participant"`
		Message     string `json:"message"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	n, err := s.SendWaitMessage(r.Context(), r.PathValue("encounterId"), body.Participant, body.Message)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]int{"sent": n}, nil
}

// decodeOptional is decode for calls whose body may be empty.
func decodeOptional(r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return apiErr(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxBody)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return apiErr(http.StatusBadRequest, "the body is not valid JSON: %v", err)
	}
	return nil
}
