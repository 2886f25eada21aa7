package mailcatcher

import (
	"html/template"
	"net/http"
	"strconv"
)

var inboxPage = template.Must(template.New("inbox").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grantflow dev inbox</title>
<style>body{font-family:Arial,sans-serif;margin:20px;color:#0b0c0c}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #b1b4b6;padding:8px;text-align:left}a{color:#1d70b8}pre{white-space:pre-wrap}
iframe{width:100%;height:600px;border:1px solid #b1b4b6}</style></head><body>
<h1>Grantflow dev inbox</h1>
{{if .Message}}{{with .Message}}
<p><a href="/">Back to the inbox</a></p>
<h2>{{.Subject}}</h2>
<p>From {{.From}} to {{range .To}}{{.}} {{end}}<br>Message-ID {{.MessageID}}; arrived {{.ReceivedAt.Format "2 Jan 2006 15:04:05"}}{{if gt .Deliveries 1}} (delivered {{.Deliveries}} times, shown once){{end}}</p>
<h3>HTML</h3><iframe sandbox="allow-popups allow-top-navigation-by-user-activation" srcdoc="{{.HTML}}" title="HTML body"></iframe>
<h3>Plain text</h3><pre>{{.Text}}</pre>
{{end}}{{else}}
<p>Every e-mail Grantflow sends while running locally arrives here. Newest first.</p>
<table><thead><tr><th>Arrived</th><th>To</th><th>Subject</th></tr></thead><tbody>
{{range .Messages}}<tr><td>{{.ReceivedAt.Format "15:04:05"}}</td><td>{{range .To}}{{.}} {{end}}</td><td><a href="/messages/{{.ID}}">{{.Subject}}</a></td></tr>
{{else}}<tr><td colspan="3">No e-mail yet.</td></tr>{{end}}
</tbody></table>{{end}}
</body></html>`))

// Handler is the web inbox: the list of messages at / and each at /messages/{id}, HTML and text.
func (c *Catcher) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		list := c.Messages()
		for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
			list[i], list[j] = list[j], list[i]
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		inboxPage.Execute(w, map[string]any{"Messages": list})
	})
	mux.HandleFunc("GET /messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		m, ok := c.Message(id)
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		inboxPage.Execute(w, map[string]any{"Message": &m})
	})
	return mux
}
