package telemed

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/fhir/rest"
	"github.com/housecall/housecall/internal/notify"
)

// inviteEmail checks the optional e-mail address of an invitation: a bare
// address ("a@b.example"), nothing else.
func inviteEmail(raw string) (string, error) {
	addr := strings.TrimSpace(raw)
	if addr == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr || len(addr) > 254 {
		return "", apiErr(http.StatusBadRequest, "email must be an e-mail address such as name@example.org")
	}
	return addr, nil
}

// mailInvitation queues the invitation link for e-mail delivery and
// reports whether it was queued. The message names the practitioners and
// the time of the visit, never its reason or any other clinical detail;
// it is marked sensitive (erased from the outbox once delivered). Neither
// the link nor the address is ever logged.
func (s *Service) mailInvitation(ctx context.Context, e encounter, inv *Invitation, to string) bool {
	if s.o.Outbox == nil {
		s.o.Logger.WarnContext(ctx, "telemed: invitation not e-mailed: no outbox", "invitation", inv.ID)
		return false
	}
	var names []string
	for _, p := range s.visitPractitioners(ctx, e) {
		if p.Display != "" {
			names = append(names, p.Display)
		}
	}
	start := ""
	if p, _ := e["period"].(map[string]any); p != nil {
		start, _ = p["start"].(string)
	}
	subject, text := invitationMail(inv, names, start)
	_, err := s.o.Outbox.Enqueue(ctx, notify.Message{Channel: notify.ChannelEmail, To: to, Subject: subject, Text: text, Sensitive: true})
	switch {
	case errors.Is(err, notify.ErrNoDriver):
		s.o.Logger.WarnContext(ctx, "telemed: invitation not e-mailed: no e-mail delivery is configured (smtp_url)", "invitation", inv.ID)
		return false
	case err != nil:
		s.o.Logger.ErrorContext(ctx, "telemed: queueing the invitation e-mail failed", "invitation", inv.ID, "err", err)
		return false
	}
	return true
}

// mailTime formats an instant for people, in UTC (the server does not know
// the reader's time zone).
func mailTime(t time.Time) string { return t.UTC().Format("Monday 2 January 2006, 15:04 UTC") }

// invitationMail writes the subject and body of an invitation e-mail.
func invitationMail(inv *Invitation, practitioners []string, start string) (subject, text string) {
	with := ""
	switch len(practitioners) {
	case 0:
	case 1:
		with = " with " + practitioners[0]
	default:
		with = " with " + strings.Join(practitioners[:len(practitioners)-1], ", ") + " and " + practitioners[len(practitioners)-1]
	}
	subject = "Your video visit" + with
	var b strings.Builder
	hello := "Hello,"
	if inv.Name != "" {
		hello = "Hello " + inv.Name + ","
	}
	b.WriteString(hello + "\r\n\r\n")
	when := ""
	if t, err := time.Parse(time.RFC3339, start); err == nil {
		when = ", planned for " + mailTime(t)
	}
	switch inv.Role {
	case RolePatient:
		b.WriteString("You are invited to a video visit" + with + when + ".\r\n\r\n")
	case "interpreter":
		b.WriteString("You are invited to interpret in a video visit" + with + when + ".\r\n\r\n")
	default:
		b.WriteString("You are invited to join a video visit" + with + when + " as a family member or caregiver.\r\n\r\n")
	}
	b.WriteString("Open this link at the time of the visit:\r\n" + inv.URL + "\r\n\r\n")
	b.WriteString("The link is personal: please do not forward it. It works until " + mailTime(inv.ExpiresAt) + ".\r\n\r\n")
	b.WriteString("To prepare:\r\n")
	b.WriteString("- a phone, tablet or computer with a camera, a microphone and an up-to-date web browser;\r\n")
	b.WriteString("- a quiet, private place with good light and a good internet connection;\r\n")
	if inv.Role == RolePatient {
		b.WriteString("- the list of the medicines you take, and the questions you want to ask.\r\n")
	} else {
		b.WriteString("- a few minutes before the start, to test your camera and microphone.\r\n")
	}
	b.WriteString("\r\nIf you did not expect this message, you can ignore it.\r\n")
	return subject, b.String()
}

// patientName is the name of the visit's patient for their invitation:
// from the Patient resource (read as the inviting caller), else the
// Encounter's subject display.
func (s *Service) patientName(ctx context.Context, e encounter, ref string) string {
	if n := s.resourceName(ctx, ref); n != "" {
		return n
	}
	subject, _ := e["subject"].(map[string]any)
	d, _ := subject["display"].(string)
	return d
}

// resourceName reads a Patient, Practitioner or RelatedPerson and formats
// its first name; "" when it cannot be read or has none.
func (s *Service) resourceName(ctx context.Context, ref string) string {
	typ, id, ok := auth.SplitRef(ref)
	if !ok {
		return ""
	}
	resp, err := s.o.Engine.Do(ctx, &rest.Request{Interaction: rest.Read, Method: http.MethodGet, Type: typ, ID: id})
	if err != nil {
		return ""
	}
	var r struct {
		Name []humanName `json:"name"`
	}
	if json.Unmarshal(resp.Body, &r) != nil {
		return ""
	}
	for _, n := range r.Name {
		if s := n.String(); s != "" {
			return s
		}
	}
	return ""
}

// humanName is a FHIR HumanName.
type humanName struct {
	Text   string   `json:"text"`
	Prefix []string `json:"prefix"`
	Given  []string `json:"given"`
	Family string   `json:"family"`
}

// String is the text, else prefix, given names and family name.
func (n humanName) String() string {
	if t := strings.TrimSpace(n.Text); t != "" {
		return t
	}
	parts := append(append(append([]string{}, n.Prefix...), n.Given...), n.Family)
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}
