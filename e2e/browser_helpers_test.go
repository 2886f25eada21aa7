package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// The browser tests drive headless Chromium as a person would: typing into fields found by their
// labels, choosing the options named in a fieldset, pressing buttons and following links. Every
// page they land on is checked with axe-core against WCAG 2.2 AA and for script errors, assets
// that fail to load and refusals by the content security policy, then photographed into
// artifacts/screenshots/ at the repository's root. One browser may be used by several people in
// turn (signing out and in), as at a shared desk: each page's photograph names who was using it.

// axeTags are the rule sets run on every page: WCAG 2.0, 2.1 and 2.2 at levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// stepTimeout bounds one action (a page load, a keystroke sequence, an axe run), so a page that
// never finishes loading fails its step rather than the whole test binary's timeout.
const stepTimeout = 30 * time.Second

// browser is one Chromium tab on a running system.
type browser struct {
	t     *testing.T
	sys   *system // the system it browses (its outbox holds the links people are e-mailed)
	ctx   context.Context
	base  string
	axe   string // axe-core's source, injected into each page
	dir   string // where screenshots go
	name  string // screenshots are <name>-<NN>-<actor>-<page title>.png
	actor string // who is using the browser now: "applicant", "assessor"…
	seen  int    // pages checked so far
	scope string // an XPath: when set, fields, buttons, links, rows and text are looked for only within it

	mu       sync.Mutex
	problems []string // console errors not yet reported

}

// chromiumPath finds a Chromium: Debian's package first (what .ci/run installs).
func chromiumPath() string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts headless Chromium with a fresh profile, closed when the test ends. Without a
// Chromium the test is skipped, except in CI (CI set), where that is a failure.
func newBrowser(t *testing.T, sys *system, name string) *browser {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium found: .ci/run installs Debian's chromium package")
		}
		t.Skip("no Chromium found (apt-get install chromium); the browser tests are skipped")
	}
	axe, err := os.ReadFile(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core is not installed (%v): run `make assets`", err)
	}
	dir := filepath.Join("..", "artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	// The defaults already turn off first-run pages, background networking and sync. CI runs as
	// root, which Chromium's sandbox refuses; without QUIC and component updates it stops trying
	// to reach Google's servers, which on a closed network makes it misbehave.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 1024),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}

	b := &browser{t: t, ctx: ctx, base: sys.URL, axe: string(axe), dir: dir, name: name, sys: sys}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return // the tab has closed
			}
			if p := pageProblem(m); p != "" {
				b.mu.Lock()
				b.problems = append(b.problems, p)
				b.mu.Unlock()
			}
		}
	}()
	// A message about the last page may arrive after its check.
	t.Cleanup(func() { b.reportProblems("after the last page") })
	return b
}

// pageProblem describes a console message that means a page is broken for someone: an uncaught
// exception, an error a script reports, a refusal by the content security policy, or one of our
// assets or the icon failing to load (the layout names an empty icon, so the browser never asks for
// a missing /favicon.ico). Pages' own statuses are left out: a form answered with 422 is a page we
// meant to show.
func pageProblem(m chromedp.ConsoleMessage) string {
	if m.Type != chromedp.ConsoleException && m.Type != chromedp.ConsoleError {
		return ""
	}
	if m.Source == "network" && !strings.Contains(m.URL, "/assets/") && !strings.Contains(m.URL, "/favicon") {
		return ""
	}
	return fmt.Sprintf("%s: %s (%s)", m.Type, m.Text, m.URL)
}

// reportProblems fails the test for each console problem collected since it last ran.
func (b *browser) reportProblems(where string) {
	b.t.Helper()
	b.mu.Lock()
	problems := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range problems {
		b.t.Errorf("console %s: %s", where, p)
	}
}

// run runs one action within stepTimeout; an error fails the test.
func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// load runs actions that lead to a new page, waits until it has loaded and checks it: it must
// answer with the status wanted (after redirects).
func (b *browser) load(what string, want int, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	if int(res.Status) != want {
		b.t.Fatalf("%s: %s answered %d, want %d\n%s", what, res.URL, res.Status, want, b.pageText())
	}
	b.checkPage()
}

// visit opens a path as if typed into the address bar; the page must answer 200.
func (b *browser) visit(path string) {
	b.t.Helper()
	b.load("visiting "+path, http.StatusOK, chromedp.Navigate(b.base+path))
}

// press presses the button with this text (or a link drawn as one) and checks the page it leads to.
func (b *browser) press(text string, want int) {
	b.t.Helper()
	sel := fmt.Sprintf(`%s//*[self::button or self::a[@role="button"]][normalize-space()=%s]`, b.scope, xpathString(text))
	b.load("pressing "+text, want, chromedp.Click(sel))
}

// follow follows the link with this text; the page it leads to must answer 200.
func (b *browser) follow(text string) {
	b.t.Helper()
	b.load("following "+text, http.StatusOK, chromedp.Click(b.link(text)))
}

// reloadUntil reloads the page until it shows the text (a workflow moves on by itself), then
// checks the page it reloaded (a page already showing the text was checked when it loaded).
func (b *browser) reloadUntil(text string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	reloaded := false
	for !strings.Contains(b.pageText(), text) {
		if time.Now().After(deadline) {
			b.t.Fatalf("the page never showed %q:\n%s", text, b.pageText())
		}
		time.Sleep(200 * time.Millisecond)
		run(b, "reloading", chromedp.Reload())
		reloaded = true
	}
	if reloaded {
		b.checkPage()
	}
}

// within runs steps looking for fields, buttons, links, rows and text only inside the part of the
// page the XPath finds (within the current part, if already inside one): one card of several
// alike, one queue of several.
func (b *browser) within(region string, steps func()) {
	b.t.Helper()
	outer := b.scope
	b.scope = outer + region
	defer func() { b.scope = outer }()
	steps()
}

// as says who is using the browser now, for the photographs' names.
func (b *browser) as(actor string) { b.actor = actor }

// fill types into the text input or textarea with this label, replacing what it held.
func (b *browser) fill(label, text string) {
	b.t.Helper()
	b.typeInto("filling in "+label, b.field(label), text)
}

// field is the XPath of the text input or textarea with this label.
func (b *browser) field(label string) string {
	return fmt.Sprintf(`%s//*[self::input or self::textarea][@id=%s//label[normalize-space()=%s]/@for]`, b.scope, b.scope, xpathString(label))
}

// link is the XPath of the link with this text.
func (b *browser) link(text string) string {
	return fmt.Sprintf(`%s//a[normalize-space()=%s]`, b.scope, xpathString(text))
}

// value is what the field with this label holds, as the page filled it in.
func (b *browser) value(label string) string {
	b.t.Helper()
	return run(b, "reading "+label, chromedp.JavascriptAttribute[string](b.field(label), "value"))
}

// fillDate types a date into the GOV.UK date input whose legend is given.
func (b *browser) fillDate(legend string, d time.Time) {
	b.t.Helper()
	for _, f := range []struct {
		label string
		value int
	}{{"Day", d.Day()}, {"Month", int(d.Month())}, {"Year", d.Year()}} {
		sel := fmt.Sprintf(`%s//fieldset[legend[normalize-space()=%s]]//input[@id=%s//label[normalize-space()=%s]/@for]`,
			b.scope, xpathString(legend), b.scope, xpathString(f.label))
		b.typeInto("filling in "+legend+" "+f.label, sel, fmt.Sprint(f.value))
	}
}

// typeInto empties the field the XPath finds, then types the text into it key by key.
// (chromedp.SetValue cannot set an empty value: it reports a failure.)
func (b *browser) typeInto(what, xpath, text string) {
	b.t.Helper()
	literal, _ := json.Marshal(xpath)
	empty := fmt.Sprintf(`document.evaluate(%s, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue.value = ''`, literal)
	run(b, what, chromedp.Steps(chromedp.WaitVisible(xpath), chromedp.Evaluate[chromedp.Void](empty), chromedp.SendKeys(xpath, text)))
}

// choose makes sure the radio or checkbox labelled so, in the fieldset with this legend, is
// chosen, by clicking its label as a person would.
func (b *browser) choose(legend, label string) {
	b.t.Helper()
	in := fmt.Sprintf(`%s//fieldset[legend[normalize-space()=%s]]//label[normalize-space()=%s]`, b.scope, xpathString(legend), xpathString(label))
	input := fmt.Sprintf(`//input[@id=%s/@for]`, in)
	if run(b, "reading "+label, chromedp.JavascriptAttribute[bool](input, "checked")) {
		return
	}
	run(b, "choosing "+label, chromedp.Click(in))
}

// see fails the test unless the page (or the part of it within) shows every text.
func (b *browser) see(texts ...string) {
	b.t.Helper()
	page := b.pageText()
	if b.scope != "" {
		page = run(b, "reading "+b.scope, chromedp.Text(b.scope))
	}
	for _, s := range texts {
		if !strings.Contains(page, s) {
			b.t.Errorf("the page does not show %q:\n%s", s, page)
		}
	}
}

// rowText is the text of the table row headed by this text.
func (b *browser) rowText(header string) string {
	b.t.Helper()
	return run(b, "reading the row "+header, chromedp.Text(fmt.Sprintf(`%s//tr[th[normalize-space()=%s]]`, b.scope, xpathString(header))))
}

// summary is the value of the summary list row with this key.
func (b *browser) summary(key string) string {
	b.t.Helper()
	return run(b, "reading "+key, chromedp.Text(fmt.Sprintf(`%s//div[dt[normalize-space()=%s]]/dd`, b.scope, xpathString(key))))
}

// download follows the link with this text, which the page marks as a download, and waits for
// Chromium to save the file into a directory of the test's: the name the server gave it
// (Content-Disposition) and what it holds. The page stays where it was.
func (b *browser) download(text string) (string, []byte) {
	b.t.Helper()
	dir := b.t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	events := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: chromedp.FromContext(b.ctx).BrowserContextID,
		DownloadPath: dir, EventsEnabled: &events}); err != nil {
		b.t.Fatalf("allowing downloads: %v", err)
	}
	begun := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadWillBegin)
	progress := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadProgress)
	run(b, "downloading "+text, chromedp.Click(b.link(text)))
	var guid, name string
	for ev, err := range begun {
		if err != nil {
			b.t.Fatalf("downloading %s: no download began: %v", text, err)
		}
		guid, name = ev.GUID, ev.SuggestedFilename
		break
	}
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("downloading %s: %v", text, err)
		}
		if ev.GUID != guid {
			continue
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			b.t.Fatalf("downloading %s: Chromium cancelled the download", text)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			break
		}
	}
	body, err := os.ReadFile(filepath.Join(dir, guid)) // allowAndName saves it under its id
	if err != nil {
		b.t.Fatalf("reading the download of %s: %v", text, err)
	}
	return name, body
}

// pageText is what the page says, as rendered.
func (b *browser) pageText() string {
	b.t.Helper()
	return run(b, "reading the page", chromedp.Evaluate[string](`document.body.innerText`))
}

// path is the current page's path and query.
func (b *browser) path() string {
	b.t.Helper()
	return strings.TrimPrefix(run(b, "reading the location", chromedp.Location()), b.base)
}

// checkPage runs the checks every page must pass, then photographs it.
func (b *browser) checkPage() {
	b.t.Helper()
	b.seen++
	title := run(b, "reading the title", chromedp.Title())
	where := fmt.Sprintf("on %q (%s)", title, b.path())
	b.checkAccessibility(where)
	b.reportProblems(where)
	// init.js marks the body as govuk-frontend-supported before starting the components: without
	// the mark, the page's script did not run.
	if !run(b, "reading the body's classes", chromedp.Evaluate[bool](`document.body.classList.contains('govuk-frontend-supported')`)) {
		b.t.Errorf("govuk-frontend's script did not start %s", where)
	}
	name := fmt.Sprintf("%s-%02d", b.name, b.seen)
	if b.actor != "" {
		name += "-" + b.actor
	}
	b.screenshot(name + "-" + slug(strings.Split(title, " – ")[0]))
}

// axeViolation is one failed axe-core rule with the elements that fail it.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// checkAccessibility runs axe-core on the page: a serious or critical violation fails the test;
// lesser ones are logged. The content security policy forbids inline script, but the DevTools
// protocol's evaluation is not bound by it.
func (b *browser) checkAccessibility(where string) {
	b.t.Helper()
	run(b, "injecting axe-core", chromedp.Evaluate[chromedp.Void](b.axe))
	tags, _ := json.Marshal(axeTags)
	script := fmt.Sprintf(`axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']}).then(r =>
		r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, targets: v.nodes.map(n => n.target.flat(Infinity).join(' '))})))`, tags)
	violations := run(b, "running axe-core", chromedp.Evaluate[[]axeViolation](script, chromedp.EvalAwaitPromise))
	for _, v := range violations {
		msg := fmt.Sprintf("axe %s %s: %s (%s) at %s", where, v.Impact, v.ID, v.Help, strings.Join(v.Targets, ", "))
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Error(msg)
		} else {
			b.t.Log(msg)
		}
	}
}

// screenshot writes the whole page, not just the window, to artifacts/screenshots/<name>.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := run(b, "taking a screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// slug makes a page title a file name: "Error: Sign in" → "error-sign-in".
func slug(s string) string {
	var out strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && out.Len() > 0 {
				out.WriteByte('-')
			}
			out.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return out.String()
}

// xpathString quotes text as an XPath 1.0 literal, which has no escapes: text holding both kinds
// of quote is built with concat().
func xpathString(s string) string {
	switch {
	case !strings.Contains(s, `'`):
		return `'` + s + `'`
	case !strings.Contains(s, `"`):
		return `"` + s + `"`
	}
	parts := strings.Split(s, `'`)
	for i, p := range parts {
		parts[i] = `'` + p + `'`
	}
	return "concat(" + strings.Join(parts, `, "'", `) + ")"
}
