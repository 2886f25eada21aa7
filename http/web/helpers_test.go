package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/net/html"

	"grantflow/http/apiv1"
	"grantflow/http/web"
	"grantflow/internal/demo"
	"grantflow/store"
	"grantflow/store/storetest"
)

// site is the pages (and, for comparisons, the JSON API) over a real HTTP server on a fresh,
// demo-seeded database.
type site struct {
	t     *testing.T
	Store *store.Store
	URL   string
	clock *clock
	// totpOff moves the clock second-factor codes are checked against on a step for each code a
	// test signs in with (nextCode), so one person can sign in many times without a replay.
	totpOff atomic.Int64
}

// nextCode is the demo staff's second-factor code for a fresh 30-second step.
func (s *site) nextCode() string {
	at := time.Now().Add(time.Duration(s.totpOff.Add(int64(30 * time.Second))))
	code, err := store.TOTPCode(demo.TOTPSecret, at)
	if err != nil {
		s.t.Fatal(err)
	}
	return code
}

// clock is a movable clock starting at the real time.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

func newSite(t *testing.T) *site { return newSiteWith(t, web.Options{InsecureCookies: true}) }

func newSiteWith(t *testing.T, o web.Options) *site {
	t.Helper()
	st := storetest.New(t)
	if err := demo.Seed(context.Background(), st, time.Now()); err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	api := &apiv1.Server{Store: st, TokenTTL: time.Hour, Clock: clk.now} // no Temporal: these tests send no steps
	o.Store, o.Clock, o.API = st, clk.now, api
	gin.SetMode(gin.TestMode)
	r := gin.New()
	web.New(o).Register(r)
	api.Register(r.Group("/api/v1"))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	site := &site{t: t, Store: st, URL: srv.URL, clock: clk}
	st.SecondFactorClock = func() time.Time { return time.Now().Add(time.Duration(site.totpOff.Load())) }
	return site
}

// browser is one person's browser: a cookie jar, following redirects.
type browser struct {
	t      *testing.T
	site   *site
	client *http.Client
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, site: s, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// response is what the browser got, with the page parsed.
type response struct {
	Status int
	Path   string // where the browser ended up after redirects
	Header http.Header
	Body   string
	Doc    *html.Node
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode, Path: res.Request.URL.RequestURI(), Header: res.Header, Body: string(body)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if r.Doc, err = html.Parse(bytes.NewReader(body)); err != nil {
			b.t.Fatalf("%s %s: not HTML: %v", req.Method, req.URL.Path, err)
		}
	}
	if res.StatusCode >= 500 {
		b.t.Errorf("%s %s: %d, a 5xx:\n%s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	return r
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.site.URL+path, nil)
	return b.do(req)
}

// post sends fields as a form, exactly as given (no token added).
func (b *browser) post(path string, fields url.Values, header ...string) response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.site.URL+path, strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// fill opens the page holding the form that posts to action, as a person would, and sends it
// with the fields given plus the form's CSRF token.
func (b *browser) fill(page, action string, fields url.Values) response {
	b.t.Helper()
	p := b.get(page)
	token := p.formToken(b.t, action)
	all := url.Values{"csrf_token": {token}}
	for k, v := range fields {
		all[k] = v
	}
	r := b.post(action, all)
	if action == "/sign-in" && r.Path == "/sign-in/code" && r.Status == http.StatusOK { // staff: their second factor's code
		r = b.post("/sign-in/code", url.Values{"csrf_token": {r.formToken(b.t, "/sign-in/code")}, "code": {b.site.nextCode()}})
	}
	return r
}

// formToken is the CSRF token of the page's form posting to action.
func (r response) formToken(t *testing.T, action string) string {
	t.Helper()
	for _, f := range findAll(r.Doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == action }) {
		for _, in := range findAll(f, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "csrf_token" }) {
			return attr(in, "value")
		}
	}
	t.Fatalf("%s: no form posting to %s with a csrf_token", r.Path, action)
	return ""
}

// text is the page's visible text with white space collapsed.
func (r response) text() string {
	if r.Doc == nil {
		return r.Body
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "head") {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(r.Doc)
	return strings.Join(strings.Fields(b.String()), " ")
}

// summary is the error summary's messages with the ids they link to, in order.
func (r response) summary() []summaryItem {
	var out []summaryItem
	for _, s := range findAll(r.Doc, hasClass("govuk-error-summary")) {
		for _, a := range findAll(s, func(n *html.Node) bool { return n.Data == "a" }) {
			out = append(out, summaryItem{Href: attr(a, "href"), Message: strings.Join(strings.Fields(textOf(a)), " ")})
		}
	}
	return out
}

type summaryItem struct{ Href, Message string }

func (r response) mustContain(t *testing.T, texts ...string) {
	t.Helper()
	got := r.text()
	for _, s := range texts {
		if !strings.Contains(got, s) {
			t.Errorf("%s (%d): page does not say %q; it says:\n%s", r.Path, r.Status, s, got)
		}
	}
}

func (r response) mustNotContain(t *testing.T, texts ...string) {
	t.Helper()
	got := r.text()
	for _, s := range texts {
		if strings.Contains(got, s) {
			t.Errorf("%s: page says %q and should not", r.Path, s)
		}
	}
}

func (r response) mustBe(t *testing.T, status int, path string) {
	t.Helper()
	if r.Status != status || (path != "" && r.Path != path) {
		t.Fatalf("got %d at %s, want %d at %s:\n%s", r.Status, r.Path, status, path, r.text())
	}
}

// api calls the JSON API. A string body is sent as it is (JSON encoding would mend bytes that are
// not UTF-8).
func (s *site) api(method, path, token string, body any) (int, map[string]any) {
	s.t.Helper()
	raw, _ := json.Marshal(body)
	if text, ok := body.(string); ok {
		raw = []byte(text)
	}
	req, _ := http.NewRequest(method, s.URL+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// ---- HTML helpers ----

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n == nil {
			return
		}
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

func hasClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		for _, c := range strings.Fields(attr(n, "class")) {
			if c == class {
				return true
			}
		}
		return false
	}
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// byID finds the element with the id.
func byID(doc *html.Node, id string) *html.Node {
	list := findAll(doc, func(n *html.Node) bool { return attr(n, "id") == id })
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

// checkMarkup asserts what every page must get right: unique ids, labels and summary links that
// lead somewhere, an error summary that names each field in error, no inline script or style (the
// policy would block them), and the GOV.UK template's frame.
func checkMarkup(t *testing.T, r response) {
	t.Helper()
	if r.Doc == nil {
		t.Fatalf("%s: not an HTML page", r.Path)
	}
	seen := map[string]bool{}
	for _, n := range findAll(r.Doc, func(n *html.Node) bool { return attr(n, "id") != "" }) {
		if id := attr(n, "id"); seen[id] {
			t.Errorf("%s: id %q is used twice", r.Path, id)
		} else {
			seen[id] = true
		}
	}
	for _, l := range findAll(r.Doc, func(n *html.Node) bool { return n.Data == "label" }) {
		if f := attr(l, "for"); f == "" || !seen[f] {
			t.Errorf("%s: label %q is for %q, which is not on the page", r.Path, strings.TrimSpace(textOf(l)), f)
		}
	}
	for _, n := range findAll(r.Doc, func(n *html.Node) bool { return attr(n, "aria-describedby") != "" }) {
		for _, id := range strings.Fields(attr(n, "aria-describedby")) {
			if !seen[id] {
				t.Errorf("%s: aria-describedby names %q, which is not on the page", r.Path, id)
			}
		}
	}
	for _, item := range r.summary() {
		target := byID(r.Doc, strings.TrimPrefix(item.Href, "#"))
		if target == nil {
			t.Errorf("%s: error summary links %q to %s, which is not on the page", r.Path, item.Message, item.Href)
			continue
		}
		if target.Data != "input" && target.Data != "textarea" && target.Data != "select" {
			t.Errorf("%s: error summary links %q to a <%s>, not a field", r.Path, item.Message, target.Data)
		}
	}
	groups := findAll(r.Doc, hasClass("govuk-form-group--error"))
	if len(groups) != len(r.summary()) {
		t.Errorf("%s: %d fields marked in error but the summary lists %d", r.Path, len(groups), len(r.summary()))
	}
	title := strings.TrimSpace(textOf(findAll(r.Doc, func(n *html.Node) bool { return n.Data == "title" })[0]))
	if len(r.summary()) > 0 && !strings.HasPrefix(title, "Error: ") {
		t.Errorf("%s: a page with errors must start its title with \"Error: \"", r.Path)
	}
	if strings.HasPrefix(title, "Error: Error: ") { // the layout adds it: a handler that does too says it twice
		t.Errorf("%s: the title says \"Error: \" twice: %q", r.Path, title)
	}
	for _, s := range findAll(r.Doc, func(n *html.Node) bool { return n.Data == "script" || n.Data == "style" }) {
		if s.Data == "style" || !hasAttr(s, "src") {
			t.Errorf("%s: inline <%s>", r.Path, s.Data)
		}
	}
	if n := findAll(r.Doc, func(n *html.Node) bool {
		return hasAttr(n, "style") || strings.HasPrefix(attr(n, "href"), "javascript:")
	}); len(n) > 0 {
		t.Errorf("%s: inline style or javascript: link on <%s>", r.Path, n[0].Data)
	}
	for _, class := range []string{"govuk-template", "govuk-template__body", "govuk-header", "govuk-skip-link", "govuk-main-wrapper", "govuk-footer"} {
		if len(findAll(r.Doc, hasClass(class))) == 0 {
			t.Errorf("%s: no element of class %s", r.Path, class)
		}
	}
}
