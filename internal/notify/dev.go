package notify

import (
	"bytes"
	"html/template"
	"net/http"
	"time"
)

// devLimit is how many messages the dev page lists.
const devLimit = 50

var devPage = template.Must(template.New("outbox").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dev outbox</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}
pre{white-space:pre-wrap;margin:0;font-size:13px}
.sent{color:#070}.failed{color:#b00}.pending{color:#850}
.gone{color:#777;font-style:italic}
</style></head><body>
<h1>Dev outbox</h1>
<p>The {{.Limit}} most recent e-mail messages. Development only: this page shows message bodies.</p>
<table><thead><tr><th>#</th><th>Created</th><th>To</th><th>Subject</th><th>Text</th><th>Status</th></tr></thead><tbody>
{{range .Rows}}<tr>
<td>{{.ID}}</td><td>{{.Created}}</td><td>{{.To}}</td><td>{{.Subject}}</td>
<td>{{if .Blanked}}<span class="gone">(sensitive body removed after delivery; see the dev log)</span>{{else}}<pre>{{.Text}}</pre>{{end}}</td>
<td class="{{.Status}}">{{.Status}}{{if .Attempts}} ({{.Attempts}} attempt{{if ne .Attempts 1}}s{{end}}){{end}}{{if .Error}}<br><small>{{.Error}}</small>{{end}}</td>
</tr>{{else}}<tr><td colspan="6">No messages.</td></tr>{{end}}
</tbody></table></body></html>
`))

type devRow struct {
	ID                   int64
	Created, To, Subject string
	Text, Status, Error  string
	Attempts             int
	Blanked              bool
}

// DevHandler serves an HTML page listing the 50 most recent e-mail
// messages (recipient, subject, text, time, status). It shows message
// bodies, so it is for --dev only: the integrator mounts it at
// /dev/outbox in development and never otherwise. Sensitive bodies are
// already blanked once delivered; the dev log (LogDriver) has them.
func (o *Outbox) DevHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		rows, err := o.db.Query(r.Context(), `SELECT id, created_at, recipient, subject, body_text, sensitive, status, attempts, last_error
FROM notify_outbox WHERE channel = ? ORDER BY id DESC LIMIT ?`, ChannelEmail, devLimit)
		if err != nil {
			o.log.Error("notify: dev outbox query failed", "err", err)
			http.Error(w, "cannot read the outbox", http.StatusInternalServerError)
			return
		}
		defer rows.Close()
		var list []devRow
		for rows.Next() {
			var d devRow
			var created, sensitive int64
			if err := rows.Scan(&d.ID, &created, &d.To, &d.Subject, &d.Text, &sensitive, &d.Status, &d.Attempts, &d.Error); err != nil {
				o.log.Error("notify: dev outbox scan failed", "err", err)
				http.Error(w, "cannot read the outbox", http.StatusInternalServerError)
				return
			}
			d.Created = time.UnixMilli(created).UTC().Format("2006-01-02 15:04:05Z")
			d.Blanked = sensitive != 0 && d.Status != statusPending
			list = append(list, d)
		}
		if err := rows.Err(); err != nil {
			o.log.Error("notify: dev outbox query failed", "err", err)
			http.Error(w, "cannot read the outbox", http.StatusInternalServerError)
			return
		}
		var buf bytes.Buffer
		if err := devPage.Execute(&buf, struct {
			Limit int
			Rows  []devRow
		}{devLimit, list}); err != nil {
			o.log.Error("notify: dev outbox render failed", "err", err)
			http.Error(w, "cannot render the outbox", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		_, _ = w.Write(buf.Bytes())
	})
}
