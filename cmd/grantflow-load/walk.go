package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	"grantflow/internal/demo"
	"grantflow/store"
)

// person is one member of the crowd in a browser without a browser engine: a cookie jar, each
// form sent with the CSRF token of the page it came from, and only the links the pages show.
type person struct {
	account
	base    string
	address string // the person's own client address, sent as X-Forwarded-For
	client  *http.Client
	csrf    string
	rng     *rand.Rand
	think   time.Duration
	results *results
}

var (
	csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	hrefs     = regexp.MustCompile(`href="([^"]+)"`)
	// what people follow: an application, and from an applicant's application its task list and
	// the sections of its form
	applicationLink       = regexp.MustCompile(`^/applications/\d+$`)
	applicationOrFormLink = regexp.MustCompile(`^/applications/\d+(/edit)?$`)
	tasksLink             = regexp.MustCompile(`^/applications/\d+/tasks$`)
	sectionLink           = regexp.MustCompile(`^/applications/\d+/sections/[^/?#]+$`)
	nextPageLink          = regexp.MustCompile(`<a [^>]*href="([^"]+)"[^>]*rel="next"`)
	// pageName groups requests into pages: ids and section names are placeholders
	numbers  = regexp.MustCompile(`/\d+`)
	sections = regexp.MustCompile(`/sections/[^/?#]+`)
)

// pageName is the role's page a path belongs to, e.g. "officer GET /applications/{id}".
func pageName(role, method, rawPath string) string {
	u, err := url.Parse(rawPath)
	if err != nil {
		return role + " " + method + " ?"
	}
	p := sections.ReplaceAllString(numbers.ReplaceAllString(u.Path, "/{id}"), "/sections/{section}")
	var query []string
	for _, k := range []string{"q", "page", "after", "before", "cursor"} {
		if u.Query().Has(k) {
			query = append(query, k+"=…")
		}
	}
	if len(query) > 0 {
		p += "?" + strings.Join(query, "&")
	}
	return role + " " + method + " " + p
}

func newPerson(a account, n int, base string, seed int64, think time.Duration, r *results) *person {
	jar, _ := cookiejar.New(nil)
	// Keep-alive connections as a browser has; 60 s is longer than any page should ever take.
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}
	return &person{account: a, base: base, address: fmt.Sprintf("10.%d.%d.%d", n/62500%250, n/250%250, n%250+1), think: think, results: r, rng: rand.New(rand.NewPCG(uint64(seed), 0x5eed)),
		client: &http.Client{Jar: jar, Timeout: 60 * time.Second, Transport: tr}}
}

// fetch sends one request, follows its redirects (as a browser does after a form) and records it
// under the page asked for. A 4xx or 5xx, a failed connection, or landing on the sign-in page
// (the session was lost) is an error.
func (p *person) fetch(ctx context.Context, method, path string, form url.Values) (body, landed string, ok bool) {
	var rd io.Reader
	if form != nil {
		if p.csrf != "" && form.Get("csrf_token") == "" {
			form.Set("csrf_token", p.csrf)
		}
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequestWithContext(ctx, method, p.base+path, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Forwarded-For", p.address) // the client copies it onto the redirects it follows
	began := time.Now()
	res, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil { // the run ended under this request: not the server's doing
			return "", "", false
		}
		p.results.record(pageName(string(p.Role), method, path), time.Since(began), 0, err.Error())
		return "", "", false
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	took := time.Since(began)
	if err != nil && ctx.Err() != nil {
		return "", "", false
	}
	landed = res.Request.URL.Path
	problem := ""
	switch {
	case err != nil:
		problem = err.Error()
	case res.StatusCode >= 400:
		problem = fmt.Sprintf("%d %s", res.StatusCode, firstLine(raw))
	case strings.HasPrefix(landed, "/sign-in") && !strings.HasPrefix(path, "/sign-in"):
		problem = "sent back to sign in"
	}
	p.results.record(pageName(string(p.Role), method, path), took, res.StatusCode, problem)
	if m := csrfInput.FindSubmatch(raw); m != nil {
		p.csrf = string(m[1])
	}
	return string(raw), landed, problem == ""
}

func firstLine(raw []byte) string {
	s := strings.TrimSpace(string(raw))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// signIn goes through the sign-in page, and staff through the second-factor page with the code
// of the published demo secret. Each staff account signs in once, so no code is used twice.
func (p *person) signIn(ctx context.Context) error {
	if _, _, ok := p.fetch(ctx, "GET", "/sign-in", nil); !ok {
		return fmt.Errorf("%s: the sign-in page did not load", p.Email)
	}
	_, landed, ok := p.fetch(ctx, "POST", "/sign-in", url.Values{"email": {p.Email}, "password": {demo.Password}})
	if ok && landed == "/sign-in/code" {
		code, err := store.TOTPCode(demo.TOTPSecret, time.Now())
		if err != nil {
			return err
		}
		_, landed, ok = p.fetch(ctx, "POST", "/sign-in/code", url.Values{"code": {code}})
	}
	if !ok || strings.HasPrefix(landed, "/sign-in") {
		return fmt.Errorf("%s: signing in ended at %s", p.Email, landed)
	}
	return nil
}

// pause is the person reading the page.
func (p *person) pause(ctx context.Context) {
	if p.think <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Duration(p.rng.Int64N(int64(2 * p.think)))):
	}
}

// get reads a page, then pauses.
func (p *person) get(ctx context.Context, path string) string {
	body, _, _ := p.fetch(ctx, "GET", path, nil)
	p.pause(ctx)
	return body
}

// pick is one of the page's links that match, or "".
func (p *person) pick(body string, match *regexp.Regexp) string {
	var found []string
	for _, m := range hrefs.FindAllStringSubmatch(body, -1) {
		if link := html.UnescapeString(m[1]); match.MatchString(link) {
			found = append(found, link)
		}
	}
	if len(found) == 0 {
		return ""
	}
	return found[p.rng.IntN(len(found))]
}

// walk walks the signed-in person's pages until ctx ends.
func (p *person) walk(ctx context.Context) {
	for ctx.Err() == nil {
		if p.staff() {
			p.staffRound(ctx)
		} else {
			p.applicantRound(ctx)
		}
	}
}

// staffRound: the work queues, an application from them, a search and its next page.
func (p *person) staffRound(ctx context.Context) {
	work := p.get(ctx, "/work")
	if link := p.pick(work, applicationLink); link != "" {
		p.get(ctx, link)
	}
	word := projectWords[p.rng.IntN(len(projectWords))]
	found := p.get(ctx, "/staff/applications?q="+url.QueryEscape(word))
	if link := p.pick(found, applicationLink); link != "" {
		p.get(ctx, link)
	}
	if m := nextPageLink.FindStringSubmatch(found); m != nil {
		p.get(ctx, html.UnescapeString(m[1]))
	}
}

// applicantRound: their applications, then one of them as the list links it (a submitted one's
// page, a draft's first form page), and from a draft its task list and a section of its form.
func (p *person) applicantRound(ctx context.Context) {
	list := p.get(ctx, "/applications")
	link := p.pick(list, applicationOrFormLink)
	if link == "" {
		return
	}
	page := p.get(ctx, link)
	if tasks := p.pick(page, tasksLink); tasks != "" {
		if section := p.pick(p.get(ctx, tasks), sectionLink); section != "" {
			p.get(ctx, section)
		}
	}
}
