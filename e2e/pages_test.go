package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"grantflow/internal/demo"
)

// A person using the web pages without a browser engine: a cookie jar over plain HTTP, each form
// sent with the CSRF token of the page it was on. The browser tests drive Chromium instead; these
// are the quick checks of what each page shows and does.

type webUser struct {
	t      testing.TB
	sys    *system
	client *http.Client
	token  string // the CSRF token of the last page read
}

// page is what the server answered, after redirects.
type page struct {
	Status int
	Path   string
	Body   string
}

// webVisitor is someone not signed in.
func (s *system) webVisitor(t testing.TB) *webUser {
	jar, _ := cookiejar.New(nil)
	return &webUser{t: t, sys: s, client: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
}

// webSignIn signs a demo account in through the sign-in page.
func (s *system) webSignIn(t testing.TB, email string) *webUser {
	t.Helper()
	return s.webSignInWith(t, email, demo.Password)
}

// webSignInWith signs anyone in through the sign-in page.
func (s *system) webSignInWith(t testing.TB, email, password string) *webUser {
	t.Helper()
	w := s.webVisitor(t)
	w.get("/sign-in")
	p := w.post("/sign-in", url.Values{"email": {email}, "password": {password}})
	if p.Path == "/sign-in/code" { // staff: the code from the published demo secret
		p = w.post("/sign-in/code", url.Values{"code": {s.nextCode(t)}})
	}
	if p.Status != http.StatusOK || strings.HasPrefix(p.Path, "/sign-in") {
		t.Fatalf("signing %s in: %d at %s", email, p.Status, p.Path)
	}
	return w
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (w *webUser) do(req *http.Request) page {
	w.t.Helper()
	res, err := w.client.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	p := page{Status: res.StatusCode, Path: res.Request.URL.RequestURI(), Body: string(body)}
	if m := csrfInput.FindStringSubmatch(p.Body); m != nil {
		w.token = m[1]
	}
	if p.Status >= 500 {
		w.t.Errorf("%s %s: %d, a 5xx:\n%s", req.Method, req.URL.Path, p.Status, body)
	}
	return p
}

// get reads a page.
func (w *webUser) get(path string) page {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, w.sys.URL+path, nil)
	return w.do(req)
}

// post sends a form with the token of the last page read, as the browser would.
func (w *webUser) post(path string, fields url.Values) page {
	w.t.Helper()
	v := url.Values{}
	for k, list := range fields {
		v[k] = list
	}
	if w.token != "" && v.Get("csrf_token") == "" {
		v.Set("csrf_token", w.token)
	}
	req, _ := http.NewRequest(http.MethodPost, w.sys.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return w.do(req)
}

// text is the page's visible text, tags removed and spaces collapsed, for "does it say" checks.
func (p page) text() string {
	noTags := regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]+>`).ReplaceAllString(p.Body, " ")
	return strings.Join(strings.Fields(htmlUnescape(noTags)), " ")
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

// mustSay fails unless the page is status and says each phrase.
func (p page) mustSay(t testing.TB, status int, phrases ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d, want %d:\n%s", p.Path, p.Status, status, p.text())
	}
	txt := p.text()
	for _, ph := range phrases {
		if !strings.Contains(txt, ph) {
			t.Errorf("%s does not say %q:\n%s", p.Path, ph, txt)
		}
	}
}
