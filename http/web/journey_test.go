package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/internal/demo"
	"grantflow/scheme"
	"grantflow/store"
)

// startLinks are the page's "Start an application" links, by address.
func startLinks(r response) []string {
	var out []string
	for _, a := range findAll(r.Doc, func(n *html.Node) bool { return n.Data == "a" && hasClass("govuk-button")(n) }) {
		if strings.HasPrefix(textOf(a), "Start an application") {
			out = append(out, attr(a, "href"))
		}
	}
	return out
}

// linksTo counts the page's links to path?return=next (however the query is escaped).
func linksTo(r response, path, next string) int {
	return len(findAll(r.Doc, func(n *html.Node) bool {
		u, err := url.Parse(attr(n, "href"))
		return n.Data == "a" && err == nil && u.Path == path && u.Query().Get("return") == next
	}))
}

func startPath(roundID int64) string { return fmt.Sprintf("/applications/new?round=%d", roundID) }

// Every open round offers its start on the funding page and the applicant's list; /applications/new
// without a round offers the open rounds, or goes to the only one; once no round is open, no page
// offers a start.
func TestStartLinksForOpenRoundsOnly(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	_, _, grassroots := applicantAndRound(t, s, "grassroots")
	services := schemeID(t, s.Store, "commissioned-services")
	serviceRounds, err := s.Store.Rounds(ctx, services)
	if err != nil || len(serviceRounds) == 0 {
		t.Fatal(serviceRounds, err)
	}
	open := []string{startPath(grassroots), startPath(serviceRounds[0].ID)}

	b := s.browser()
	home := b.get("/") // signed out: the start leads through sign-in
	checkMarkup(t, home)
	if got := startLinks(home); !slices.Equal(got, open) {
		t.Errorf("the funding page offers starts %v, want %v", got, open)
	}
	b = signInAs(t, s, demo.Accounts[0].Email)
	list := b.get("/applications")
	checkMarkup(t, list)
	if got := startLinks(list); !slices.Equal(got, open) {
		t.Errorf("the list of applications offers starts %v, want %v", got, open)
	}
	choose := b.get("/applications/new")
	choose.mustBe(t, http.StatusOK, "/applications/new")
	checkMarkup(t, choose)
	choose.mustContain(t, "Which fund do you want to apply to?", "Grassroots Community Fund", "Commissioned Services Fund")
	if got := startLinks(choose); !slices.Equal(got, open) {
		t.Errorf("/applications/new offers %v, want %v", got, open)
	}

	// Two years on, every round has closed: nothing to start.
	s.clock.advance(2 * 366 * 24 * time.Hour)
	for _, path := range []string{"/", "/applications", "/applications/new"} {
		r := b.get(path)
		r.mustBe(t, http.StatusOK, path)
		if got := startLinks(r); len(got) != 0 {
			t.Errorf("%s offers starts %v with every round closed", path, got)
		}
	}
	b.get("/applications/new").mustContain(t, "There are no funding rounds open at the moment")

	// One round opens: /applications/new goes straight to it.
	now := time.Now().Add(2 * 366 * 24 * time.Hour)
	only, err := s.Store.AddRound(ctx, store.Round{SchemeID: services, Name: "Later round", OpensAt: now.Add(-time.Hour), ClosesAt: now.AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	b.get("/applications/new").mustBe(t, http.StatusOK, startPath(only.ID))
	if got := startLinks(b.get("/")); !slices.Equal(got, []string{startPath(only.ID)}) {
		t.Errorf("the funding page offers %v, want only the open round %s", got, startPath(only.ID))
	}

	// Staff have no applications to start: the funding page offers them none.
	staff := signInAs(t, s, demo.Accounts[1].Email)
	if got := startLinks(staff.get("/")); len(got) != 0 {
		t.Errorf("the funding page offers staff %v", got)
	}
}

// A signed-out visitor who presses "Start an application" signs in, or registers, and lands on the
// application form; a return path to another site is never followed.
func TestStartGoesThroughSignInOrRegistrationAndBack(t *testing.T) {
	s := newSite(t)
	_, _, round := applicantAndRound(t, s, "grassroots")
	start := startPath(round)
	signInPath := "/sign-in?" + url.Values{"return": {start}}.Encode()

	b := s.browser()
	form := b.get(start)
	form.mustBe(t, http.StatusOK, signInPath)
	checkMarkup(t, form)
	hidden := findAll(form.Doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "return" })
	if len(hidden) != 1 || attr(hidden[0], "value") != start {
		t.Fatalf("the sign-in form does not carry the return path %s", start)
	}
	registerLink := "/register?" + url.Values{"return": {start}}.Encode()
	if linksTo(form, "/register", start) != 1 {
		t.Errorf("the sign-in page's register link does not carry the return path (want %s)", registerLink)
	}
	b.fill(signInPath, "/sign-in", url.Values{"email": {demo.Accounts[0].Email}, "password": {demo.Password}, "return": {start}}).
		mustBe(t, http.StatusOK, start)
	b.get(start).mustContain(t, "Grassroots Community Fund", "Start your application")

	// Registering carries the return path too.
	newcomer := s.browser()
	page := newcomer.get(registerLink)
	page.mustBe(t, http.StatusOK, registerLink)
	checkMarkup(t, page)
	registered := newcomer.fill(registerLink, "/register", url.Values{
		"organisation.name": {"Brookside Youth Club"}, "organisation.type": {scheme.OrgCommunityGroup},
		"organisation.address": {"1 Brook Lane\nOakham"}, "organisation.postcode": {"LE15 6AB"},
		"user.name": {"Robin Example"}, "user.email": {"robin@brookside.example.org"}, "user.password": {"three words remembered"},
		"return": {start}})
	registered.mustBe(t, http.StatusOK, start)

	// Another site, or anything that is not a path here, is refused: sign-in goes to the list.
	for _, bad := range []string{"https://evil.example/", "//evil.example/applications", "/\\evil.example", "http:/evil.example",
		"javascript:alert(1)", "applications", "/%0d%0aSet-Cookie:x=1\r\n"} {
		other := s.browser()
		got := other.fill("/sign-in?"+url.Values{"return": {bad}}.Encode(), "/sign-in",
			url.Values{"email": {demo.Accounts[0].Email}, "password": {demo.Password}, "return": {bad}})
		if got.Status != http.StatusOK || got.Path != "/applications" {
			t.Errorf("return %q: ended at %d %s, want 200 at /applications", bad, got.Status, got.Path)
		}
		fresh := s.browser().get("/sign-in?" + url.Values{"return": {bad}}.Encode())
		if len(findAll(fresh.Doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "return" })) != 0 {
			t.Errorf("return %q is carried by the sign-in form", bad)
		}
	}
}

// The check's answer offers a signed-in applicant the start of an application to the open round,
// and sends anyone signed out through registration or sign-in to it.
func TestCheckAnswerOffersTheStart(t *testing.T) {
	s := newSite(t)
	_, sid, round := applicantAndRound(t, s, "grassroots")
	start := startPath(round)
	from, to := time.Now().In(scheme.London).AddDate(0, 1, 0), time.Now().In(scheme.London).AddDate(0, 10, 0)
	yes := url.Values{"scheme": {fmt.Sprint(sid)}, "organisation-type": {scheme.OrgCommunityGroup}, "areas": {"Melton"}, "priorities": {"Hate crime"},
		"amount": {"2500"}, "project-start-day": {fmt.Sprint(from.Day())}, "project-start-month": {fmt.Sprint(int(from.Month()))},
		"project-start-year": {fmt.Sprint(from.Year())}, "project-end-day": {fmt.Sprint(to.Day())}, "project-end-month": {fmt.Sprint(int(to.Month()))},
		"project-end-year": {fmt.Sprint(to.Year())}}

	visitor := s.browser()
	answer := visitor.fill("/check", "/check", yes)
	answer.mustBe(t, http.StatusOK, "/check")
	checkMarkup(t, answer)
	answer.mustContain(t, "You can apply to the Grassroots Community Fund")
	if byID(answer.Doc, "start") != nil {
		t.Errorf("a signed-out visitor is offered the start button")
	}
	for _, path := range []string{"/register", "/sign-in"} {
		if linksTo(answer, path, start) != 1 {
			t.Errorf("the answer has no link to %s returning to %s", path, start)
		}
	}

	b := signInAs(t, s, demo.Accounts[0].Email)
	signed := b.fill("/check", "/check", yes)
	checkMarkup(t, signed)
	button := byID(signed.Doc, "start")
	if button == nil || attr(button, "href") != start || textOf(button) != "Start your application" {
		t.Fatalf("the signed-in applicant is not offered the start of %s:\n%s", start, signed.text())
	}
	signed.mustNotContain(t, "register your organisation")
	b.get(start).mustBe(t, http.StatusOK, start)

	// Not eligible: no start.
	no := url.Values{}
	for k, v := range yes {
		no[k] = v
	}
	no.Set("amount", "50000")
	refused := b.fill("/check", "/check", no)
	refused.mustContain(t, "You cannot apply")
	if byID(refused.Doc, "start") != nil {
		t.Errorf("an applicant who cannot apply is offered the start")
	}
}
