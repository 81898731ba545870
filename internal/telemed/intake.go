package telemed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/housecall/housecall/internal/fhir/rest"
)

// IntakeQuestionnaireURL is the canonical URL of the questionnaire patients
// fill in before a video visit. The reason for the visit is not in it: it
// goes to Encounter.reasonCode.
const IntakeQuestionnaireURL = "https://housecall.dev/fhir/Questionnaire/telehealth-intake"

// EnsureIntakeQuestionnaire creates the intake questionnaire unless one
// with its URL exists: it is created once, and a clinic's later edits are
// kept.
func (s *Service) EnsureIntakeQuestionnaire(ctx context.Context) error {
	body, err := json.Marshal(intakeQuestionnaire())
	if err != nil {
		return err
	}
	_, err = s.o.Engine.Do(system(ctx), &rest.Request{Interaction: rest.Create, Method: http.MethodPost, Type: "Questionnaire",
		Body: body, ContentType: "application/fhir+json", IfNoneExist: "url=" + url.QueryEscape(IntakeQuestionnaireURL)})
	var fe *rest.Error
	if errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed {
		return nil // several versions exist: the clinic manages them
	}
	if err != nil {
		return fmt.Errorf("telemed: creating the intake questionnaire: %w", err)
	}
	return nil
}

// intakeQuestionnaire is the questionnaire as first created.
func intakeQuestionnaire() map[string]any {
	onset := func(code, display string) any {
		return map[string]any{"valueCoding": map[string]any{
			"system": "https://housecall.dev/fhir/CodeSystem/symptom-onset", "code": code, "display": display}}
	}
	intExt := func(url string, v int) any { return map[string]any{"url": url, "valueInteger": v} }
	return map[string]any{
		"resourceType": "Questionnaire",
		"url":          IntakeQuestionnaireURL,
		"version":      "1",
		"name":         "TelehealthIntake",
		"title":        "Before your video visit",
		"status":       "active",
		"subjectType":  []any{"Patient"},
		"publisher":    "Housecall",
		"description":  "Questions a patient answers before a video visit. The reason for the visit is asked separately and recorded on the Encounter.",
		"item": []any{
			map[string]any{"linkId": "symptom-start", "text": "When did your symptoms start?", "type": "choice", "required": true,
				"answerOption": []any{onset("today", "Today"), onset("1-3-days", "1–3 days ago"),
					onset("4-7-days", "4–7 days ago"), onset("more-than-a-week", "More than a week ago")}},
			map[string]any{"linkId": "severity", "text": "How bad are your symptoms, from 0 (not at all) to 10 (the worst you can imagine)?",
				"type": "integer", "required": true, "extension": []any{
					intExt("http://hl7.org/fhir/StructureDefinition/minValue", 0),
					intExt("http://hl7.org/fhir/StructureDefinition/maxValue", 10)}},
			map[string]any{"linkId": "medications", "text": "Which medicines do you take at the moment?", "type": "text"},
			map[string]any{"linkId": "allergies", "text": "Do you have allergies? To what?", "type": "text"},
			map[string]any{"linkId": "private-place", "text": "Are you in a private place where you can talk freely?", "type": "boolean", "required": true},
			map[string]any{"linkId": "callback-phone", "text": "Phone number to call you back if the video connection drops", "type": "string"},
		},
	}
}
