package telemed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/housecall/housecall/internal/fhir/rest"
)

// maxChat bounds one chat message (characters).
const maxChat = 4000

// OnChat stores a chat message of a meeting as a FHIR Communication on the
// visit: encounter, the patient as subject, the sender (a profile; guests
// without one are named in the text's sender extension), the time and the
// text. It runs as Housecall itself — the media server admitted the sender —
// and the write is audited like any other.
func (s *Service) OnChat(ctx context.Context, meetingID, senderID, senderName, text string) error {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > maxChat {
		return apiErr(http.StatusBadRequest, "a chat message has 1 to %d characters", maxChat)
	}
	sctx := system(ctx)
	encounterID := s.meetingEncounter(sctx, meetingID)
	if encounterID == "" {
		return apiErr(http.StatusNotFound, "unknown meeting")
	}
	e, _, err := s.readEncounter(sctx, encounterID)
	if err != nil {
		return err
	}
	c := map[string]any{
		"resourceType": "Communication", "status": "completed",
		"encounter": map[string]any{"reference": "Encounter/" + encounterID},
		"sent":      fhirTime(s.o.Now()),
		"category": []any{map[string]any{"coding": []any{map[string]any{
			"system": "https://housecall.dev/fhir/CodeSystem/communication-category", "code": "visit-chat", "display": "Video visit chat"}}}},
		"payload": []any{map[string]any{"contentString": text}},
	}
	if sub, _ := e["subject"].(map[string]any); sub != nil {
		if r, _ := sub["reference"].(string); r != "" {
			c["subject"] = map[string]any{"reference": r}
		}
	}
	sender := map[string]any{"display": senderName}
	if strings.Contains(senderID, "/") && !strings.HasPrefix(senderID, "guest/") {
		sender["reference"] = senderID
	}
	if senderName == "" && sender["reference"] == nil {
		sender["display"] = "Guest"
	}
	c["sender"] = sender
	var recipients []any
	for _, ref := range e.participants() {
		if ref != senderID {
			recipients = append(recipients, map[string]any{"reference": ref})
		}
	}
	if len(recipients) > 0 {
		c["recipient"] = recipients
	}
	body, _ := json.Marshal(c)
	if _, err := s.o.Engine.Do(sctx, &rest.Request{Interaction: rest.Create, Method: http.MethodPost, Type: "Communication",
		Body: body, ContentType: "application/fhir+json"}); err != nil {
		return fmt.Errorf("telemed: storing chat: %w", fhirErr(err))
	}
	return nil
}
