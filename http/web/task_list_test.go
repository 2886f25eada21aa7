package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/http/apiv1"
	"grantflow/http/web"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/questions"
	"grantflow/schemefile"
	"grantflow/store"
	"grantflow/workflows"
)

// grassrootsDraft is a demo applicant's grassroots draft with its project details complete
// (asking for £2,000) and the other answers given.
func grassrootsDraft(t *testing.T, s *site, answers questions.Answers) int64 {
	t.Helper()
	u, _, round := applicantAndRound(t, s, "grassroots")
	start := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	end := time.Now().AddDate(0, 9, 0).Format(time.DateOnly)
	id, err := (&apiv1.Server{Store: s.Store}).CreateDraft(context.Background(), u, apiv1.DraftRequest{RoundID: round, Title: "Evening youth work",
		Purpose: "Detached youth work", AmountRequested: money.Pounds(2000), ProjectStart: start, ProjectEnd: end,
		Areas: []string{"Melton"}, Priorities: []string{"Anti-social behaviour"}, Answers: answers})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func taskStatus(r response, section string) string {
	return strings.TrimSpace(textOf(byID(r.Doc, "task-"+section+"-status")))
}

// The grassroots form is a task list: each section is saved on its own page and shows its
// status; the check-answers page lists what stops submission and offers the button only once
// nothing does; the API's refusal of a submission (declarations not ticked) is listed there.
func TestGrassrootsFormThroughTheTaskList(t *testing.T) {
	sub := &fakeSubmitter{}
	s := newSiteWith(t, web.Options{InsecureCookies: true, Submitter: sub})
	id := grassrootsDraft(t, s, nil)
	b := s.browser()
	b.fill("/sign-in", "/sign-in", url.Values{"email": {demo.Accounts[0].Email}, "password": {demo.Password}})
	tasks, check := fmt.Sprintf("/applications/%d/tasks", id), fmt.Sprintf("/applications/%d/check-answers", id)

	list := b.get(tasks)
	list.mustBe(t, http.StatusOK, tasks)
	checkMarkup(t, list)
	for section, want := range map[string]string{"project": "Completed", "about": "Not started", "budget": "Not started", "check": "Cannot start yet"} {
		if got := taskStatus(list, section); got != want {
			t.Errorf("task %s is %q, want %q", section, got, want)
		}
	}

	// A section saved in part is in progress.
	about := fmt.Sprintf("/applications/%d/sections/about", id)
	saved := b.fill(about, about, url.Values{"description": {"Two evening sessions a week."}})
	saved.mustBe(t, http.StatusOK, tasks+"?saved=about")
	saved.mustContain(t, "Your answers to About the project have been saved")
	if got := taskStatus(saved, "about"); got != "In progress" {
		t.Errorf("a part-saved section is %q", got)
	}
	b.fill(about, about, url.Values{"description": {"Two evening sessions a week."}, "need": {"Evening reports of anti-social behaviour."},
		"evidence": {"Police figures."}})

	// A cost that is not an amount is refused on the page, naming the row; the rows typed are kept.
	budget := fmt.Sprintf("/applications/%d/sections/budget", id)
	wrong := b.fill(budget, budget, url.Values{"budget_lines.0.item": {"Youth workers"}, "budget_lines.0.amount_pence": {"1,500"},
		"budget_lines.2.item": {"Kit"}, "budget_lines.2.amount_pence": {"ten pounds"}})
	wrong.mustBe(t, http.StatusUnprocessableEntity, budget)
	checkMarkup(t, wrong)
	if want := "[{#budget-lines-1-amount-pence Budget line 2: cost must be an amount in pounds and pence, like 250.00}]"; fmt.Sprint(wrong.summary()) != want {
		t.Errorf("refusal %v, want %s", wrong.summary(), want)
	}
	if got := attr(byID(wrong.Doc, "budget-lines-1-item"), "value"); got != "Kit" {
		t.Errorf("the second row (the blank one dropped) should keep Kit: %q", got)
	}
	b.fill(budget, budget, url.Values{"budget_lines.0.item": {"Youth workers"}, "budget_lines.0.amount_pence": {"1,500"},
		"budget_lines.1.item": {"Kit"}, "budget_lines.1.amount_pence": {"400"}})
	page := b.get(budget)
	if got := strings.Join(strings.Fields(textOf(byID(page.Doc, "budget-check"))), " "); got != "Your budget lines add up to £1,900.00. You are applying for £2,000.00. They must be the same before you submit." {
		t.Errorf("the budget page says %q", got)
	}
	if got := b.get(tasks); taskStatus(got, "budget") != "In progress" {
		t.Errorf("a budget that does not add up is %q", taskStatus(got, "budget"))
	}

	// Everything else but the declarations.
	for section, fields := range map[string]url.Values{
		"beneficiaries": {"beneficiaries": {"150"}, "beneficiaries_under_25": {"120"}, "age_bands": {"11_17", "18_24"}, "wards": {"Melton: Melton Egerton"}},
		"outcomes":      {"outcomes.0.outcome": {"Fewer evening reports"}, "outcomes.0.measure": {"Police figures"}},
		"budget":        {"budget_lines.0.item": {"Youth workers"}, "budget_lines.0.amount_pence": {"1,600"}, "budget_lines.1.item": {"Kit"}, "budget_lines.1.amount_pence": {"400"}},
		"funding":       {"other_funding": {"no"}},
		"safeguarding":  {"safeguarding_policy": {"yes"}, "safeguarding_lead": {"Sam Lead"}},
	} {
		path := fmt.Sprintf("/applications/%d/sections/%s", id, section)
		b.fill(path, path, fields).mustBe(t, http.StatusOK, tasks+"?saved="+section)
	}
	list = b.get(tasks)
	if got := taskStatus(list, "declarations"); got != "Not started" {
		t.Errorf("declarations are %q", got)
	}
	answers := b.get(check)
	checkMarkup(t, answers)
	answers.mustContain(t, "You cannot submit your application yet", "Confirm that the information is true and complete",
		"Youth workers — £1,600.00", "Total: £2,000.00", "11 to 17", "Melton: Melton Egerton")
	if len(findAll(answers.Doc, func(n *html.Node) bool {
		return n.Data == "form" && attr(n, "action") == fmt.Sprintf("/applications/%d/submit", id)
	})) != 0 {
		t.Error("an incomplete application should offer no submit button")
	}

	// Submitting anyway (say from an old page) is refused by the API, naming the declarations.
	api := &apiv1.Server{Store: s.Store}
	sub.then = api.SubmitApplication
	refused := submitFrom(b, fmt.Sprintf("/applications/%d/edit", id), fmt.Sprintf("/applications/%d/submit", id))
	refused.mustBe(t, http.StatusUnprocessableEntity, fmt.Sprintf("/applications/%d/submit", id))
	refused.mustContain(t, "Check your answers", "Confirm that any grant will be spent only on the project described",
		"Agree to the Office processing the information in this application")

	declarations := fmt.Sprintf("/applications/%d/sections/declarations", id)
	b.fill(declarations, declarations, url.Values{"declare_true": {"yes"}, "declare_use": {"yes"}, "declare_authorised": {"yes"}, "data_protection_consent": {"yes"}})
	list = b.get(tasks)
	if got := taskStatus(list, "check"); got != "Not started" {
		t.Errorf("check answers is %q once every section is complete", got)
	}
	sub.then, sub.calls = nil, nil
	done := b.fill(check, fmt.Sprintf("/applications/%d/submit", id), nil)
	done.mustContain(t, "Application submitted", "See a copy of what you submitted")
	if len(sub.calls) != 1 {
		t.Errorf("submitted %v", sub.calls)
	}
}

// Submitting records who submitted and a frozen copy of every answer, which the applicant and
// staff read on a page of its own and which later changes cannot touch; staff see the answers on
// the application's page above the scores.
func TestSubmittedCopyAndTheStaffView(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	id := grassrootsDraft(t, s, demo.GrassrootsAnswers(money.Pounds(2000)))
	u, _, _ := applicantAndRound(t, s, "grassroots")
	app, err := s.Store.Application(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := s.Store.Scheme(ctx, app.SchemeID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := apiv1.AnswersOf(app)
	if err != nil {
		t.Fatal(err)
	}
	form, err := schemefile.FormOf(ctx, s.Store, sc, app.RoundID)
	if err != nil {
		t.Fatal(err)
	}
	snapshot, _ := json.Marshal(questions.Snapshot{Form: form, Answers: a})
	if err := s.Store.SubmitDraft(ctx, id, workflows.ApplicationWorkflowID(id), u, time.Now(), sc.Rules,
		snapshot, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	// Later: the draft cannot be changed, and whatever happens to the live answers the copy stays.
	if err := s.Store.UpdateDraft(ctx, id, store.Draft{SchemeID: app.SchemeID, RoundID: app.RoundID, Title: "Changed", Answers: []byte(`{}`)}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("changing a submitted application: %v", err)
	}
	if _, err := s.Store.DB.ExecContext(ctx, `UPDATE applications SET answers = '{"need": "rewritten"}', title = 'Rewritten' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}

	b := s.browser()
	b.fill("/sign-in", "/sign-in", url.Values{"email": {demo.Accounts[0].Email}, "password": {demo.Password}})
	path := fmt.Sprintf("/applications/%d/submitted", id)
	copyPage := b.get(path)
	copyPage.mustBe(t, http.StatusOK, path)
	checkMarkup(t, copyPage)
	copyPage.mustContain(t, "Evening youth work as submitted", "Submitted by "+u.Name, "Anti-social behaviour reports rise on weekday evenings",
		"Youth workers' time — £1,500.00", "Total: £2,000.00", "Sam Lead")
	copyPage.mustNotContain(t, "rewritten", "Rewritten")
	// The applicant's own page folds the answers away, below what they need to do.
	if mine := b.get(fmt.Sprintf("/applications/%d", id)); byID(mine.Doc, "form-answers-folded") == nil {
		t.Error("the applicant's page should fold their answers into a details element")
	}
	// The copy through the API is the same record.
	if got, err := (&apiv1.Server{Store: s.Store}).Submitted(ctx, u, id); err != nil || got.SubmittedBy.Name != u.Name || got.Answers.Text("need") == "rewritten" {
		t.Fatalf("API copy %+v, %v", got.SubmittedBy, err)
	}

	// Another organisation cannot read it.
	other := s.browser()
	other.fill("/register", "/register", url.Values{
		"organisation.name": {"Hilltop Tenants' Association"}, "organisation.type": {"community_group"},
		"organisation.address": {"2 Hill Road"}, "organisation.postcode": {"LE13 0ZZ"},
		"user.name": {"Sam Example"}, "user.email": {"sam@hilltop.example.org"}, "user.password": {"correct horse battery"},
	}).mustBe(t, http.StatusOK, "/applications?registered=1")
	other.get(path).mustBe(t, http.StatusNotFound, path)

	// Staff read every answer on the application's page, above the scoring form.
	staff := s.browser()
	staff.fill("/sign-in", "/sign-in", url.Values{"email": {"assessor@opcc.example.org"}, "password": {demo.Password}})
	if _, err := s.Store.DB.ExecContext(ctx, `UPDATE applications SET status = 'assessment' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	view := staff.get(fmt.Sprintf("/applications/%d", id))
	checkMarkup(t, view)
	view.mustContain(t, "Who will benefit", "Youth workers' time — £1,500.00", "Sam Lead", "The application as submitted")
	body := view.Body
	if byID(view.Doc, "form-answers-folded") != nil {
		t.Error("staff should read the answers open")
	}
	answersAt, scoresAt := strings.Index(body, `id="form-answers"`), strings.Index(body, `id="assess-no-conflict"`)
	if answersAt < 0 || scoresAt < 0 || answersAt > scoresAt {
		t.Errorf("the answers (at %d) should come before the scoring steps (at %d)", answersAt, scoresAt)
	}
}
