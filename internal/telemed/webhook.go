package telemed

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/housecall/housecall/internal/notify"
)

// Webhook is an endpoint that receives visit events as JSON.
type Webhook struct {
	URL string
	// Secret signs every delivery: header Housecall-Signature is
	// "t=<unix time>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
	Secret []byte
	// Username and Password, when set, add HTTP basic authentication.
	Username, Password string
}

// EMRNotify is a Zoom-style EHR notification endpoint: an HTTP GET with
// ExternalIDType, VendorName, ExternalID, ConferenceID and
// ConnectionStatus, protected by basic authentication.
type EMRNotify struct {
	URL                string
	VendorName         string
	Username, Password string
}

// WebhookDriver delivers the webhook channel of the outbox.
type WebhookDriver struct {
	Hooks  []Webhook
	Client *http.Client
	Now    func() time.Time
}

// Send POSTs one event; 2xx is delivered, 4xx other than 408/429 is
// permanent (the receiver will never accept it), the rest is retried.
func (d *WebhookDriver) Send(ctx context.Context, m notify.Message) error {
	var hook *Webhook
	for i := range d.Hooks {
		if d.Hooks[i].URL == m.To {
			hook = &d.Hooks[i]
		}
	}
	if hook == nil {
		return notify.Permanent(fmt.Errorf("webhook endpoint no longer configured"))
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader([]byte(m.Text)))
	if err != nil {
		return notify.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Housecall-Event", m.Subject)
	if len(hook.Secret) > 0 {
		ts := strconv.FormatInt(now().Unix(), 10)
		req.Header.Set("Housecall-Signature", "t="+ts+",v1="+Sign(hook.Secret, ts, []byte(m.Text)))
	}
	if hook.Username != "" {
		req.SetBasicAuth(hook.Username, hook.Password)
	}
	return deliver(d.Client, req)
}

// Sign is the signature of a webhook body sent at unix time ts.
func Sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// EMRDriver delivers the emr channel: GET To?<Text> with basic auth.
type EMRDriver struct {
	EMR    EMRNotify
	Client *http.Client
}

// Send makes the notification request.
func (d *EMRDriver) Send(ctx context.Context, m notify.Message) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.To+"?"+m.Text, nil)
	if err != nil {
		return notify.Permanent(err)
	}
	if d.EMR.Username != "" {
		req.SetBasicAuth(d.EMR.Username, d.EMR.Password)
	}
	return deliver(d.Client, req)
}

func deliver(c *http.Client, req *http.Request) error {
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("delivery: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("delivery: receiver answered %d", resp.StatusCode)
	}
	return notify.Permanent(fmt.Errorf("delivery: receiver answered %d", resp.StatusCode))
}
