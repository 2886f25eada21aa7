package web

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/render"

	"grantflow/store"
)

// pages holds one template set per page: the shared layout and partials, plus the page's own
// "title" and "main".
type pages map[string]*template.Template

func mustParsePages() pages {
	funcs := template.FuncMap{
		"field":    fieldFor,
		"kindName": kindName,
		"choices":  choicesFor,
		"date":     dateFor,
		"navItem": func(current, key, href, text string) navItem {
			return navItem{Current: current == key, Href: href, Text: text}
		},
		"banner":     bannerFor,
		"upperFirst": upperFirst,
		"dateTime":   dateTime,
		"deref":      func(t *time.Time) time.Time { return *t },
		"findSelect": func(name, label, err string, options []findOption) findSelect {
			return findSelect{ID: name, Name: name, Label: label, Error: err, Options: options}
		},
		"returnsTable": func(caption, size string, rows []returnDueView) returnsTable {
			return returnsTable{Caption: caption, Size: size, Rows: rows}
		},
		"reachedTable": func(p page, places []beneficiaryArea) reachedTable { return reachedTable{Page: p, Places: places} },
	}
	// layout.html and every file whose name starts with "_" hold templates all pages share.
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := pages{}
	for _, name := range names {
		file := path.Base(name)
		if file == "layout.html" || strings.HasPrefix(file, "_") {
			continue
		}
		t := template.Must(base.Clone())
		out[strings.TrimSuffix(file, ".html")] = template.Must(t.ParseFS(templateFS, name))
	}
	return out
}

// navItem is one link of the service navigation.
type navItem struct {
	Current    bool
	Href, Text string
}

// bannerView is the success banner (_partials.html): the heading and, if any, a line ending in a link.
type bannerView struct {
	Heading, Text, Link, LinkText string
}

// bannerFor builds the success banner. Options are "key=value" strings: text (a line under the
// heading), link and link-text (a link ending that line).
func bannerFor(heading string, opts ...string) bannerView {
	v := bannerView{Heading: heading}
	templateOptions("banner "+heading, opts, map[string]*string{"text": &v.Text, "link": &v.Link, "link-text": &v.LinkText})
	return v
}

// page is what every template gets: the layout's needs, the form (values and errors, if the page
// has one) and the page's own data.
type page struct {
	Title string
	Nav   string // which navigation item is current: "funding", "check", "applications", "work", "finance", "performance", "find", "notifications", "sign-in", "register", "sign-out"
	Form  *form
	Data  any

	// Filled in by render.
	User        *store.User
	Unread      int // the person's unread notifications, counted in the header
	CSRF        string
	Funder      string
	ServiceName string
}

// render writes the page with Gin's HTML renderer, executing into a buffer first so that a
// template failure shows the sorry page rather than half a page under a 200.
func (s *Server) render(c *gin.Context, status int, name string, p page) {
	if u, ok := currentUser(c); ok {
		p.User = &u
		if s.opts.API != nil {
			if n, err := s.opts.API.Store.UnreadCount(c.Request.Context(), u.ID); err == nil {
				p.Unread = n
			}
		}
	}
	if p.Form == nil {
		p.Form = &form{}
	}
	p.CSRF = s.csrfToken(c)
	p.Funder, p.ServiceName = s.opts.Funder, s.opts.ServiceName
	c.Header("Cache-Control", "no-store")
	var buf bytes.Buffer
	t := s.pages[name]
	err := render.HTML{Template: t, Name: "layout", Data: p}.Render(&bufferWriter{ResponseWriter: c.Writer, buf: &buf})
	if err != nil {
		s.opts.Logger.ErrorContext(c.Request.Context(), "page did not render", "page", name, "error", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("Sorry, there is a problem with the service. Try again later."))
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// bufferWriter lets Gin's renderer write into a buffer; headers go to the real response.
type bufferWriter struct {
	http.ResponseWriter
	buf *bytes.Buffer
}

func (w *bufferWriter) Write(b []byte) (int, error) { return w.buf.Write(b) }
func (w *bufferWriter) WriteHeader(int)             {}
