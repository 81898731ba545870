package adminapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/housecall/housecall/internal/notify"
	"github.com/housecall/housecall/internal/telemed"
)

func (a *API) listWebhooks(c *call) (int, any, error) {
	hooks, err := a.o.Webhooks.Endpoints(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"webhooks": hooks}, nil
}

func (a *API) createWebhook(c *call) (int, any, error) {
	var body struct {
		URL         string   `json:"url"`
		Secret      string   `json:"secret"`
		Events      []string `json:"events"`
		Description string   `json:"description"`
	}
	if err := decode(c.r, &body); err != nil {
		return 0, nil, err
	}
	h, err := a.o.Webhooks.Create(c.ctx(), NewWebhook{URL: body.URL, Secret: body.Secret, Events: body.Events, Description: body.Description})
	if err != nil {
		return 0, nil, publicError(err, "webhook")
	}
	c.target = h.ID
	return http.StatusCreated, h, nil
}

func (a *API) deleteWebhook(c *call) (int, any, error) {
	id := c.r.PathValue("id")
	c.target = id
	if err := a.o.Webhooks.Delete(c.ctx(), id); err != nil {
		return 0, nil, publicError(err, "webhook")
	}
	return http.StatusNoContent, nil, nil
}

// Ping is the body of a test delivery.
type Ping struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"` // "ping"
	Time      time.Time `json:"time"`
	WebhookID string    `json:"webhookId"`
}

// testWebhook queues a "ping" event through the outbox, like visit
// events: the receiver sees a real, signed delivery (and the outbox
// retries it the same way).
func (a *API) testWebhook(c *call) (int, any, error) {
	id := c.r.PathValue("id")
	c.target = id
	url, err := a.o.Webhooks.deliveryURL(c.ctx(), id)
	if err != nil {
		return 0, nil, publicError(err, "webhook")
	}
	pingID, err := a.o.Accounts.RandomID()
	if err != nil {
		return 0, nil, err
	}
	body, _ := json.Marshal(Ping{ID: pingID, Type: "ping", Time: a.o.Now().UTC(), WebhookID: id})
	if _, err := a.o.Outbox.Enqueue(c.ctx(), notify.Message{Channel: telemed.ChannelWebhook, To: url, Subject: "ping",
		Text: string(body), DedupKey: "webhook:" + url + ":" + pingID}); err != nil {
		if errors.Is(err, notify.ErrNoDriver) {
			return 0, nil, errf(http.StatusServiceUnavailable, "webhook delivery is not set up on this server")
		}
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]any{"queued": true, "id": pingID}, nil
}
