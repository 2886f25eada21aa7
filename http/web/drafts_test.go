package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/grant"
	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/http/web"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/store"
)

// fakeSubmitter records who submitted what; then is what it answers (nil: success).
type fakeSubmitter struct {
	mu    sync.Mutex
	calls []string
	then  func(ctx context.Context, u store.User, id int64) error
}

func (f *fakeSubmitter) Submit(ctx context.Context, u store.User, id int64) error {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("user %d application %d", u.ID, id))
	then := f.then
	f.mu.Unlock()
	if then != nil {
		return then(ctx, u, id)
	}
	return nil
}

// An applicant starts a grassroots application, saves it with mistakes and then properly, comes
// back to it, and submits it; another organisation cannot see it.
func TestApplicationFormSaveReturnAndSubmit(t *testing.T) {
	sub := &fakeSubmitter{}
	s := newSiteWith(t, web.Options{InsecureCookies: true, Submitter: sub})
	ctx := context.Background()
	gcf := schemeID(t, s.Store, "grassroots")
	rounds, err := s.Store.Rounds(ctx, gcf)
	if err != nil || len(rounds) == 0 {
		t.Fatal(rounds, err)
	}
	sc, _ := s.Store.Scheme(ctx, gcf)
	area, priority := sc.Rules.Areas[0], sc.Rules.Priorities[0]
	newPath := fmt.Sprintf("/applications/new?round=%d", rounds[0].ID)

	b := s.browser()
	signInPath := "/sign-in?" + url.Values{"return": {newPath}}.Encode()
	b.get(newPath).mustBe(t, http.StatusOK, signInPath) // signed out: sign in first, then on to the form
	b.fill(signInPath, "/sign-in", url.Values{"email": {demo.Accounts[0].Email}, "password": {demo.Password}, "return": {newPath}}).mustBe(t, http.StatusOK, newPath)
	u, err := s.Store.UserByEmail(ctx, demo.Accounts[0].Email)
	if err != nil {
		t.Fatal(err)
	}

	blank := b.get(newPath)
	blank.mustBe(t, http.StatusOK, newPath)
	checkMarkup(t, blank)
	blank.mustContain(t, "Grassroots Community Fund", "Start your application", area, priority)

	// Start with a title only: an incomplete draft may be saved.
	started := b.fill(newPath, newPath, url.Values{"title": {"Summer youth club"}})
	if started.Status != http.StatusOK || !strings.HasSuffix(started.Path, "/edit?saved=1") {
		t.Fatalf("starting a draft: %d at %s\n%s", started.Status, started.Path, started.text())
	}
	checkMarkup(t, started)
	started.mustContain(t, "Your answers have been saved")
	var id int64
	if _, err := fmt.Sscanf(started.Path, "/applications/%d/edit", &id); err != nil {
		t.Fatal(started.Path, err)
	}
	editPath := fmt.Sprintf("/applications/%d/edit", id)
	app, err := s.Store.Application(ctx, id)
	if err != nil || app.Title != "Summer youth club" || app.OrganisationID != u.Organisations[0] || app.RoundID != rounds[0].ID {
		t.Fatalf("draft saved as %+v, %v", app, err)
	}

	// A bad amount and a bad date: both named and linked, and everything typed kept.
	typed := url.Values{
		"title": {"Summer youth club"}, "purpose": {"Weekly sessions for 11 to 16 year olds"}, "amount": {"four grand"},
		"project-start-day": {"31"}, "project-start-month": {"2"}, "project-start-year": {"2027"},
		"project-end-day": {"1"}, "project-end-month": {"3"}, "project-end-year": {"2028"},
		"areas": {area}, "priorities": {priority},
	}
	bad := b.fill(editPath, editPath, typed)
	bad.mustBe(t, http.StatusUnprocessableEntity, editPath)
	checkMarkup(t, bad)
	want := []summaryItem{
		{"#amount", "Enter the amount in pounds and pence, like 4,250.00"},
		{"#project-start-day", "The date the project starts must be a real date"},
	}
	if got := bad.summary(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("error summary:\n got %v\nwant %v", got, want)
	}
	for id, v := range map[string]string{"title": "Summer youth club", "amount": "four grand", "project-start-day": "31", "project-start-month": "2",
		"project-start-year": "2027", "project-end-year": "2028"} {
		if got := attr(byID(bad.Doc, id), "value"); got != v {
			t.Errorf("%s kept as %q, want %q", id, got, v)
		}
	}
	if got := textOf(byID(bad.Doc, "purpose")); got != "Weekly sessions for 11 to 16 year olds" {
		t.Errorf("purpose kept as %q", got)
	}
	if !hasAttr(byID(bad.Doc, "areas"), "checked") || !hasAttr(byID(bad.Doc, "priorities"), "checked") {
		t.Error("the ticked area and priority were not kept")
	}
	if app, _ := s.Store.Application(ctx, id); app.Purpose != "" {
		t.Errorf("a form with mistakes was saved: %+v", app)
	}

	// The end before the start is refused too.
	backwards := url.Values{"project-start-day": {"1"}, "project-start-month": {"6"}, "project-start-year": {"2027"},
		"project-end-day": {"1"}, "project-end-month": {"5"}, "project-end-year": {"2027"}}
	if got := b.fill(editPath, editPath, backwards).summary(); len(got) != 1 || got[0].Href != "#project-end-day" {
		t.Errorf("end before start: %v", got)
	}

	// Good values are saved, and are there on coming back.
	typed.Set("amount", "4,250.00")
	typed.Set("project-start-day", "1")
	typed.Set("project-start-month", "6")
	saved := b.fill(editPath, editPath, typed)
	saved.mustBe(t, http.StatusOK, editPath+"?saved=1")
	app, _ = s.Store.Application(ctx, id)
	if app.AmountRequested != money.Pounds(4250) || !app.ProjectStart.Valid || !app.ProjectStart.Time.Equal(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)) ||
		len(app.Areas) != 1 || app.Areas[0] != area || app.Purpose != "Weekly sessions for 11 to 16 year olds" {
		t.Errorf("saved as %+v", app)
	}
	back := s.browser()
	back.fill("/sign-in", "/sign-in", url.Values{"email": {demo.Accounts[0].Email}, "password": {demo.Password}})
	again := back.get(editPath)
	again.mustBe(t, http.StatusOK, editPath)
	checkMarkup(t, again)
	for id, v := range map[string]string{"title": "Summer youth club", "amount": "4,250.00", "project-start-day": "1", "project-start-month": "6",
		"project-start-year": "2027", "project-end-day": "1", "project-end-month": "3", "project-end-year": "2028"} {
		if got := attr(byID(again.Doc, id), "value"); got != v {
			t.Errorf("on return, %s is %q, want %q", id, got, v)
		}
	}
	if !hasAttr(byID(again.Doc, "areas"), "checked") || !hasAttr(byID(again.Doc, "priorities"), "checked") {
		t.Error("on return, the area and priority are not ticked")
	}

	// Another organisation gets not found, for reading, saving and submitting.
	other := s.browser()
	other.fill("/register", "/register", url.Values{
		"organisation.name": {"Hilltop Tenants' Association"}, "organisation.type": {"community_group"},
		"organisation.address": {"2 Hill Road"}, "organisation.postcode": {"LE13 0ZZ"},
		"user.name": {"Sam Example"}, "user.email": {"sam@hilltop.example.org"}, "user.password": {"correct horse battery"},
	}).mustBe(t, http.StatusOK, "/applications?registered=1")
	other.get(editPath).mustBe(t, http.StatusNotFound, editPath)
	token := other.get("/applications/new?round="+fmt.Sprint(rounds[0].ID)).formToken(t, newPath)
	other.post(editPath, url.Values{"csrf_token": {token}, "title": {"Mine now"}}).mustBe(t, http.StatusNotFound, editPath)
	other.post(fmt.Sprintf("/applications/%d/submit", id), url.Values{"csrf_token": {token}}).mustBe(t, http.StatusNotFound, fmt.Sprintf("/applications/%d/submit", id))
	if app, _ := s.Store.Application(ctx, id); app.Title != "Summer youth club" {
		t.Errorf("another organisation changed the draft: %q", app.Title)
	}
	if len(sub.calls) != 0 {
		t.Errorf("submitted for another organisation: %v", sub.calls)
	}
	// Without the form's token nothing is saved.
	b.post(editPath, url.Values{"title": {"No token"}}).mustBe(t, http.StatusForbidden, editPath)
}

// Submitting an incomplete draft lists what is missing, in the API's judgement (the real
// apiv1 check runs: it refuses before it would start a workflow), linked to each field; a complete
// one is handed to the Submitter with the right person and application.
func TestApplicationSubmit(t *testing.T) {
	sub := &fakeSubmitter{}
	s := newSiteWith(t, web.Options{InsecureCookies: true, Submitter: sub})
	api := &apiv1.Server{Store: s.Store}
	ctx := context.Background()
	gcf := schemeID(t, s.Store, "grassroots")
	rounds, _ := s.Store.Rounds(ctx, gcf)
	u, err := s.Store.UserByEmail(ctx, demo.Accounts[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Store.CreateDraft(ctx, u.Organisations[0], u.ID, store.Draft{SchemeID: gcf, RoundID: rounds[0].ID, Title: "Summer youth club"})
	if err != nil {
		t.Fatal(err)
	}
	editPath, submitPath := fmt.Sprintf("/applications/%d/edit", id), fmt.Sprintf("/applications/%d/submit", id)
	b := s.browser()
	b.fill("/sign-in", "/sign-in", url.Values{"email": {demo.Accounts[0].Email}, "password": {demo.Password}})

	sub.then = api.SubmitApplication
	missing := submitFrom(b, editPath, submitPath)
	missing.mustBe(t, http.StatusUnprocessableEntity, submitPath)
	checkMarkup(t, missing)
	want := []summaryItem{
		{"#purpose", "Enter what the money is for"},
		{"#amount", "Enter how much you are applying for"},
		{"#project-start-day", "Enter the date the project starts"},
		{"#project-end-day", "Enter the date the project ends"},
		{"#areas", "Areas: name at least one area the project serves"},
		{"#priorities", "Priorities: name at least one Police and Crime Plan priority"},
	}
	if got := missing.summary(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("missing answers:\n got %v\nwant %v", got, want)
	}
	if got := attr(byID(missing.Doc, "title"), "value"); got != "Summer youth club" {
		t.Errorf("the saved title is not shown: %q", got)
	}

	// A refusal about no field of the form is said on a page of its own.
	sub.then = func(context.Context, store.User, int64) error { return httperr.Forbidden("your role cannot do this") }
	refused := submitFrom(b, editPath, submitPath)
	refused.mustBe(t, http.StatusForbidden, submitPath)
	refused.mustContain(t, "Your application could not be submitted", "Your role cannot do this.")

	sub.calls, sub.then = nil, nil
	done := submitFrom(b, editPath, submitPath)
	done.mustBe(t, http.StatusOK, submitPath)
	checkMarkup(t, done)
	if len(findAll(done.Doc, hasClass("govuk-panel--confirmation"))) != 1 {
		t.Errorf("submitting does not end on a confirmation panel:\n%s", done.text())
	}
	done.mustContain(t, "Application submitted", fmt.Sprintf("APP-%06d", id), "What happens next")
	if want := fmt.Sprintf("user %d application %d", u.ID, id); len(sub.calls) != 1 || sub.calls[0] != want {
		t.Errorf("submitter called %v, want [%s]", sub.calls, want)
	}
}

// submitFrom sends a grassroots draft's submission with the token of its project details form
// (the button itself is on the check-answers page, shown once every section is complete).
func submitFrom(b *browser, editPath, submitPath string) response {
	b.t.Helper()
	token := b.get(editPath).formToken(b.t, editPath)
	return b.post(submitPath, url.Values{"csrf_token": {token}})
}

// applicantAndRound are the demo applicant and the scheme of that slug with its first round.
func applicantAndRound(t *testing.T, s *site, slug string) (u store.User, sid, roundID int64) {
	t.Helper()
	ctx := context.Background()
	sid = schemeID(t, s.Store, slug)
	rounds, err := s.Store.Rounds(ctx, sid)
	if err != nil || len(rounds) == 0 {
		t.Fatal(rounds, err)
	}
	if u, err = s.Store.UserByEmail(ctx, demo.Accounts[0].Email); err != nil {
		t.Fatal(err)
	}
	return u, sid, rounds[0].ID
}

// formValues is what a browser would send of the page's form posting to action: its inputs
// (hidden ones too), textareas and ticked boxes, as the page fills them.
func formValues(t *testing.T, r response, action string) url.Values {
	t.Helper()
	forms := findAll(r.Doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == action })
	if len(forms) != 1 {
		t.Fatalf("%s: no form posting to %s", r.Path, action)
	}
	v := url.Values{}
	for _, n := range findAll(forms[0], func(n *html.Node) bool { return n.Data == "input" || n.Data == "textarea" }) {
		name := attr(n, "name")
		switch {
		case name == "":
		case n.Data == "textarea":
			v.Add(name, textOf(n))
		case attr(n, "type") == "checkbox" || attr(n, "type") == "radio":
			if hasAttr(n, "checked") {
				v.Add(name, attr(n, "value"))
			}
		default:
			v.Add(name, attr(n, "value"))
		}
	}
	return v
}

// draftWithToken is a grassroots draft "Summer youth club" of the demo applicant, with its round and
// an API token for them.
func draftWithToken(t *testing.T) (s *site, id, round int64, token string) {
	t.Helper()
	s = newSite(t)
	ctx := context.Background()
	u, gcf, round := applicantAndRound(t, s, "grassroots")
	id, err := s.Store.CreateDraft(ctx, u.Organisations[0], u.ID, store.Draft{SchemeID: gcf, RoundID: round, Title: "Summer youth club"})
	if err != nil {
		t.Fatal(err)
	}
	if token, _, err = s.Store.IssueToken(ctx, u.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	return s, id, round, token
}

// The draft form saves through the API's own method, so it refuses what PUT
// /api/v1/applications/{id} refuses, naming the same fields with the API's reasons in the form's
// words, and saves nothing.
func TestDraftPageRefusesWhatTheAPIRefuses(t *testing.T) {
	s, id, round, token := draftWithToken(t)
	ctx := context.Background()
	editPath := fmt.Sprintf("/applications/%d/edit", id)
	b := signInAs(t, s, demo.Accounts[0].Email)
	cases := []struct {
		name string
		api  map[string]any
		page url.Values
		want []summaryItem
	}{
		{"a title too long", map[string]any{"title": strings.Repeat("t", 201)}, url.Values{"title": {strings.Repeat("t", 201)}},
			[]summaryItem{{"#title", "Project title must be at most 200 characters"}}},
		{"a NUL", map[string]any{"purpose": "Youth\x00club"}, url.Values{"purpose": {"Youth\x00club"}},
			[]summaryItem{{"#purpose", `What the money is for must not contain a NUL character (\u0000)`}}},
		{"the end before the start", map[string]any{"project_start": "2027-06-01", "project_end": "2027-05-01"},
			url.Values{"project-start-day": {"1"}, "project-start-month": {"6"}, "project-start-year": {"2027"},
				"project-end-day": {"1"}, "project-end-month": {"5"}, "project-end-year": {"2027"}},
			[]summaryItem{{"#project-end-day", "The date the project ends must be after the date it starts"}}},
		{"an area too long", map[string]any{"areas": []string{strings.Repeat("a", 201)}}, url.Values{"areas": {strings.Repeat("a", 201)}},
			[]summaryItem{{"#areas", "Areas must be at most 200 characters"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.api["round_id"] = round
			status, body := s.api(http.MethodPut, fmt.Sprintf("/api/v1/applications/%d", id), token, c.api)
			if status != http.StatusUnprocessableEntity {
				t.Fatalf("the API answered %d: %v", status, body)
			}
			fields := body["error"].(map[string]any)["fields"].(map[string]any)
			page := b.fill(editPath, editPath, c.page)
			page.mustBe(t, http.StatusUnprocessableEntity, editPath)
			checkMarkup(t, page)
			if got := page.summary(); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("the page says %v, want %v (the API: %v)", got, c.want, fields)
			}
			if len(fields) != len(c.want) {
				t.Errorf("the API refused %v", fields)
			}
			if app, _ := s.Store.Application(ctx, id); app.Title != "Summer youth club" || app.Purpose != "" {
				t.Errorf("a refused draft was saved: %+v", app)
			}
		})
	}
}

// Text that is not valid UTF-8 is refused by the API and the draft page alike, naming the field, and
// nothing is saved: it was once replaced by U+FFFD and stored (and, in an award's purpose, published).
func TestDraftRefusesTextThatIsNotUTF8(t *testing.T) {
	s, id, round, token := draftWithToken(t)
	ctx := context.Background()
	body := fmt.Sprintf(`{"round_id": %d, "title": "Summer youth club", "areas": ["Leicester", "Melton"], "purpose": "Youth `+"\xff\xfe"+` club"}`, round)
	refusedFields := func(answer map[string]any) map[string]any {
		e, _ := answer["error"].(map[string]any)
		fields, _ := e["fields"].(map[string]any)
		return fields
	}
	status, answer := s.api(http.MethodPut, fmt.Sprintf("/api/v1/applications/%d", id), token, body)
	if fields := refusedFields(answer); status != http.StatusUnprocessableEntity || len(fields) != 1 || fields["purpose"] == nil {
		t.Errorf("the API answered %d %v, want 422 naming purpose", status, answer)
	}
	nested := fmt.Sprintf(`{"round_id": %d, "areas": ["Leicester", "Mel`+"\xfe"+`ton"]}`, round)
	if status, answer := s.api(http.MethodPut, fmt.Sprintf("/api/v1/applications/%d", id), token, nested); status != http.StatusUnprocessableEntity ||
		refusedFields(answer)["areas[1]"] == nil {
		t.Errorf("the API answered %d %v, want 422 naming areas[1]", status, answer)
	}

	editPath := fmt.Sprintf("/applications/%d/edit", id)
	page := signInAs(t, s, demo.Accounts[0].Email).fill(editPath, editPath, url.Values{"purpose": {"Youth \xff\xfe club"}})
	page.mustBe(t, http.StatusUnprocessableEntity, editPath)
	checkMarkup(t, page)
	if got := fmt.Sprint(page.summary()); got != "[{#purpose This contains characters that could not be read (it is not valid UTF-8): type it again}]" {
		t.Errorf("the page says %s", got)
	}
	if app, _ := s.Store.Application(ctx, id); app.Purpose != "" || len(app.Areas) != 0 {
		t.Errorf("text that is not UTF-8 was saved: purpose %q, areas %q", app.Purpose, app.Areas)
	}
}

// The service questions always offer an empty outcome row and an empty indicator row in each
// outcome beyond what the draft holds, so the form can grow. An indicator keeps its key (set
// through the API, say) while it keeps its name; a renamed or new one is given a key made from its
// name. A refusal of the i-th outcome sent goes on the row it was typed in, blank rows skipped.
func TestServiceFormGrowsAndKeepsIndicatorKeys(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	u, _, round := applicantAndRound(t, s, "commissioned-services")
	api := &apiv1.Server{Store: s.Store}
	outcome := func(name string, indicators ...grant.Indicator) grant.Outcome {
		return grant.Outcome{Outcome: name, Indicators: indicators}
	}
	id, err := api.CreateDraft(ctx, u, apiv1.DraftRequest{RoundID: round, Title: "IDVA service", Service: &grant.ServiceDetails{
		Service: "Advocacy", Wards: []string{}, Years: []grant.YearAmount{},
		Outcomes: []grant.Outcome{
			outcome("Victims are safer", grant.Indicator{Key: "hrv", Name: "High-risk victims supported", QuarterlyTarget: 60},
				grant.Indicator{Key: "plans", Name: "Safety plans completed", QuarterlyTarget: 45}),
			outcome("Fewer repeat incidents"), outcome("Children are safer"),
		}}})
	if err != nil {
		t.Fatal(err)
	}
	editPath := fmt.Sprintf("/applications/%d/edit", id)
	b := signInAs(t, s, demo.Accounts[0].Email)
	p := b.get(editPath)
	checkMarkup(t, p)
	for _, want := range []string{"service-outcomes-3-outcome", "service-outcomes-0-indicators-2-name", "service-outcomes-1-indicators-1-name"} {
		if byID(p.Doc, want) == nil {
			t.Errorf("no empty row %s to add to", want)
		}
	}
	if byID(p.Doc, "service-outcomes-4-outcome") != nil || byID(p.Doc, "service-outcomes-0-indicators-3-name") != nil {
		t.Error("more than one empty row is offered")
	}

	// Sent as the page fills it, with the second indicator renamed, a third added and a fourth outcome.
	sent := formValues(t, p, editPath)
	sent.Set("csrf_token", p.formToken(t, editPath))
	sent.Set("service.outcomes.0.indicators.1.name", "Safety plans agreed")
	sent.Set("service.outcomes.0.indicators.2.name", "Referrals made")
	sent.Set("service.outcomes.3.outcome", "Victims recover")
	b.post(editPath, sent).mustBe(t, http.StatusOK, editPath+"?saved=1")
	app, _ := s.Store.Application(ctx, id)
	svc, _ := app.Service()
	var keys []string
	for _, ind := range svc.Outcomes[0].Indicators {
		keys = append(keys, ind.Key)
	}
	if fmt.Sprint(keys) != "[hrv safety_plans_agreed referrals_made]" || len(svc.Outcomes) != 4 {
		t.Fatalf("saved as %+v", svc.Outcomes)
	}
	again := b.get(editPath)
	if byID(again.Doc, "service-outcomes-4-outcome") == nil || byID(again.Doc, "service-outcomes-0-indicators-3-name") == nil {
		t.Error("after saving, the form has no empty row to grow into")
	}

	// The first outcome row left blank: the API's refusal of the first outcome sent (a NUL in its
	// indicator's name) is shown on the row it was typed in.
	fields := url.Values{"service.outcomes.1.outcome": {"Fewer repeat incidents"}, "service.outcomes.1.indicators.0.name": {"Repeat\x00incidents"}}
	bad := b.fill(editPath, editPath, fields)
	bad.mustBe(t, http.StatusUnprocessableEntity, editPath)
	checkMarkup(t, bad)
	if got := bad.summary(); len(got) != 1 || got[0].Href != "#service-outcomes-1-indicators-0-name" ||
		got[0].Message != `Indicator 1 of outcome 2 must not contain a NUL character (\u0000)` {
		t.Errorf("the refusal is shown as %v", got)
	}
}
