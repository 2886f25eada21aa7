package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// These tests need no workflow: the queues and the budget come from the read model, the staff
// section of the application page from the API's view, and each form refusal checked here is the
// page's own, before a step would be sent. The steps are driven in e2e/web_staff_test.go.

var eventSeq atomic.Int64

// event is an audit line as an activity would record it, moving the application to status.
func event(id int64, at time.Time, actor store.User, what string, status workflows.Stage) store.Event {
	e := store.Event{Application: id, Key: fmt.Sprintf("staff-test-%d", eventSeq.Add(1)), At: at, ActorName: actor.Name,
		ActorRole: string(actor.Role), What: what, Status: string(status)}
	if actor.ID != 0 {
		e.ActorUserID = &actor.ID
	}
	return e
}

var system = store.User{Name: "Grantflow", Role: "system"}

func user(t *testing.T, st *store.Store, email string) store.User {
	t.Helper()
	u, err := st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// submitted makes an application of the demo applicant's organisation, submitted at the time
// given and at the status given since then. A service application asks for perYear in each of
// years financial years from firstFY.
func submitted(t *testing.T, st *store.Store, slug, title string, amount money.Pence, status workflows.Stage, at time.Time, service ...grant.YearAmount) int64 {
	t.Helper()
	var details *grant.ServiceDetails
	if len(service) > 0 {
		details = &grant.ServiceDetails{Service: title, Description: "Advocacy for victims", Years: service,
			Outcomes: []grant.Outcome{{Outcome: "Victims are safer", Indicators: []grant.Indicator{{Key: "referrals", Name: "Victims supported", QuarterlyTarget: 60}}}}}
	}
	return submittedWith(t, st, slug, title, amount, status, at, details)
}

// submittedWith is submitted with the service details given (nil for a grassroots application).
func submittedWith(t *testing.T, st *store.Store, slug, title string, amount money.Pence, status workflows.Stage, at time.Time, details *grant.ServiceDetails) int64 {
	t.Helper()
	ctx := context.Background()
	u := user(t, st, demo.Accounts[0].Email)
	sid := schemeID(t, st, slug)
	rounds, err := st.Rounds(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	start, end := at.AddDate(0, 1, 0), at.AddDate(0, 10, 0)
	id, err := st.CreateDraft(ctx, u.Organisations[0], u.ID, store.Draft{SchemeID: sid, RoundID: rounds[0].ID, Title: title,
		Purpose: "Evening youth work in Melton", AmountRequested: amount, ProjectStart: &start, ProjectEnd: &end,
		Areas: []string{"Melton"}, Priorities: []string{"Anti-social behaviour"}})
	if err != nil {
		t.Fatal(err)
	}
	if details != nil {
		if err := st.SaveServiceDetails(ctx, id, *details); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.MarkSubmitted(ctx, id, workflows.ApplicationWorkflowID(id), at); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordEvent(ctx, event(id, at, system, "Moved on", status)); err != nil {
		t.Fatal(err)
	}
	return id
}

// panelScored names the demo assessor and the second officer as a service application's panel,
// as the officer would, and records both their scores: the application awaits moderation.
func panelScored(t *testing.T, st *store.Store, id int64, now time.Time) {
	t.Helper()
	ctx := context.Background()
	olu, alex, orla := user(t, st, "officer@opcc.example.org"), user(t, st, "assessor@opcc.example.org"), user(t, st, "officer2@opcc.example.org")
	if err := st.AssignPanel(ctx, id, []int64{alex.ID, orla.ID}, olu.ID, now.AddDate(0, 0, 7), event(id, now, olu, "Panel assigned", workflows.StageAssessment)); err != nil {
		t.Fatal(err)
	}
	scores, _ := json.Marshal([]workflows.Score{{Criterion: "fit", Score: 4, Comment: "Clear fit"}})
	for _, u := range []store.User{alex, orla} {
		if err := st.SaveAssessment(ctx, store.Assessment{ApplicationID: id, Round: 1, AssessorID: u.ID, Scores: scores, Weighted: 70, Fundable: true,
			Recommendation: workflows.RecommendFund, SubmittedAt: now}, event(id, now, u, "Panel assessment submitted", workflows.StageModeration)); err != nil {
			t.Fatal(err)
		}
	}
}

// queueText is what the queue of that id says: its heading, table or empty message.
func queueText(t *testing.T, r response, id string) string {
	t.Helper()
	h := byID(r.Doc, id)
	if h == nil || h.Data != "h2" {
		t.Fatalf("%s: no queue %q", r.Path, id)
	}
	return strings.Join(strings.Fields(textOf(h.Parent)), " ")
}

func mustSay(t *testing.T, where, text string, phrases ...string) {
	t.Helper()
	for _, p := range phrases {
		if !strings.Contains(text, p) {
			t.Errorf("%s does not say %q: %s", where, p, text)
		}
	}
}

func mustNotSay(t *testing.T, where, text string, phrases ...string) {
	t.Helper()
	for _, p := range phrases {
		if strings.Contains(text, p) {
			t.Errorf("%s says %q and should not: %s", where, p, text)
		}
	}
}

// An assessor's assessment queue leaves out what they may not score in its query, not after it:
// with the oldest applications all left out (service applications whose panel they are not on,
// one they declared a conflict in), the first page is still full and links to the next.
func TestAssessorsQueuePageIsFull(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	st := s.Store
	st.Quotas.DraftsPerOrganisation = 1000
	const workQueuePageSize = store.DefaultPageSize // a page of a stage's queue
	now := time.Now()
	fy := scheme.FinancialYear(now)
	for i := range 3 {
		submitted(t, st, "commissioned-services", fmt.Sprintf("Not on the panel %d", i), money.Pounds(100000), workflows.StageAssessment,
			now.AddDate(0, 0, -30+i), grant.YearAmount{FinancialYear: fy, Amount: money.Pounds(100000)})
	}
	conflicted := submitted(t, st, "grassroots", "Conflicted", money.Pounds(1000), workflows.StageAssessment, now.AddDate(0, 0, -20))
	alex := user(t, st, "assessor@opcc.example.org")
	if err := st.SaveConflict(ctx, store.Conflict{ApplicationID: conflicted, UserID: alex.ID, HasConflict: true, Details: "Trustee", DeclaredAt: now},
		event(conflicted, now, alex, "Declared a conflict of interest", workflows.StageAssessment)); err != nil {
		t.Fatal(err)
	}
	for i := range workQueuePageSize + 1 {
		submitted(t, st, "grassroots", fmt.Sprintf("Scorable %d", i), money.Pounds(1000), workflows.StageAssessment, now.AddDate(0, 0, -10).Add(time.Duration(i)*time.Minute))
	}
	work := signInAs(t, s, "assessor@opcc.example.org").get("/work")
	mine := queueText(t, work, "assessment")
	if n := strings.Count(mine, "Scorable "); n != workQueuePageSize {
		t.Errorf("the assessor's first page shows %d applications they may score, want a full page of %d: %s", n, workQueuePageSize, mine)
	}
	mustNotSay(t, "the assessor's queue", mine, "Not on the panel", "Conflicted")
	if len(findAll(byID(work.Doc, "assessment").Parent, func(n *html.Node) bool { return n.Data == "a" && attr(n, "rel") == "next" })) != 1 {
		t.Error("the assessor's first page does not link to the next")
	}
}

// Officers see each stage's queue with what waits there, oldest first and how long for; returns
// and reports to review and what is overdue come from the awards' own plans. Assessors see only
// what needs their scores. Applicants may see neither the queues nor the budgets.
func TestWorkQueues(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	st := s.Store
	officer := signInAs(t, s, "officer@opcc.example.org")

	empty := officer.get("/work")
	empty.mustBe(t, http.StatusOK, "/work")
	checkMarkup(t, empty)
	mustSay(t, "screening", queueText(t, empty, "screening"), "Awaiting screening", "No applications are awaiting screening.")
	mustSay(t, "overdue", queueText(t, empty, "overdue"), "Nothing is overdue.")
	empty.mustContain(t, "Grassroots Community Fund budget", "Commissioned Services Fund budget")

	now := time.Now()
	fy := scheme.FinancialYear(now)
	screening := submitted(t, st, "grassroots", "Street football nights", money.Pounds(3000), workflows.StageScreening, now.Add(-73*time.Hour))
	submitted(t, st, "grassroots", "Newer screening", money.Pounds(1000), workflows.StageSubmitted, now.Add(-time.Hour))
	scoring := submitted(t, st, "grassroots", "Knife crime workshops", money.Pounds(4500), workflows.StageAssessment, now.AddDate(0, 0, -2))
	panel := submitted(t, st, "commissioned-services", "Victim advocacy", money.Pounds(300000), workflows.StageAssessment, now.AddDate(0, 0, -5),
		grant.YearAmount{FinancialYear: fy, Amount: money.Pounds(100000)}, grant.YearAmount{FinancialYear: fy + 1, Amount: money.Pounds(100000)},
		grant.YearAmount{FinancialYear: fy + 2, Amount: money.Pounds(100000)})
	submitted(t, st, "commissioned-services", "Youth diversion", money.Pounds(50000), workflows.StageModeration, now.AddDate(0, 0, -1),
		grant.YearAmount{FinancialYear: fy, Amount: money.Pounds(50000)})
	submitted(t, st, "grassroots", "Safer parks", money.Pounds(2500), workflows.StageDecision, now.AddDate(0, 0, -8))
	submitted(t, st, "grassroots", "Allotment project", money.Pounds(2000), workflows.StageReportSubmitted, now.AddDate(0, 0, -4))
	late := submitted(t, st, "grassroots", "Graffiti clean-up", money.Pounds(1500), workflows.StagePaid, now.AddDate(-1, 0, 0))
	if err := st.SetReportOverdue(ctx, late, true, event(late, now.AddDate(0, 0, -3), system, "End-of-grant report overdue", workflows.StagePaid)); err != nil {
		t.Fatal(err)
	}

	// A service award that ran last financial year: Q1's return awaits review, Q2's was sent back
	// and not sent again, Q3's never came. Both are past their due dates.
	active := submitted(t, st, "commissioned-services", "Witness service", money.Pounds(100000), workflows.StageActive, now.AddDate(-1, -6, 0),
		grant.YearAmount{FinancialYear: fy - 1, Amount: money.Pounds(100000)})
	officerUser := user(t, st, "officer@opcc.example.org")
	award, err := st.CreateAward(ctx, store.Award{ApplicationID: active, Reference: "CSF-TEST-1", Amount: money.Pounds(100000), Purpose: "Witness care",
		Conditions: json.RawMessage(`["Attend the board"]`), Reasons: "r", ApprovedBy: officerUser.ID, ApprovedRole: "commissioner", DelegationBand: "c",
		RulesVersion: 1, DecidedAt: now.AddDate(-1, -6, 0), AcceptBy: now.AddDate(-1, -5, 0)},
		event(active, now.AddDate(-1, -6, 0), officerUser, "Approved", workflows.StageActive))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAwardYears(ctx, award.ID, []grant.YearAmount{{FinancialYear: fy - 1, Amount: money.Pounds(100000)}}); err != nil {
		t.Fatal(err)
	}
	provider := user(t, st, demo.Accounts[0].Email)
	for q, at := range map[int]time.Time{1: now.AddDate(0, 0, -6), 2: now.AddDate(0, -2, 0)} {
		if err := st.SaveReturn(ctx, store.MonitoringReturn{ApplicationID: active, FinancialYear: fy - 1, Quarter: q, Version: 1, Content: json.RawMessage(`{}`),
			SubmittedBy: provider.ID, SubmittedAt: at}, event(active, at, provider, "Return sent", workflows.StageActive)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.ReviewReturn(ctx, active, fy-1, 2, 1, workflows.ReviewRequestChanges, workflows.RAGAmber, "Explain the dip", officerUser.ID,
		event(active, now.AddDate(0, -1, 0), officerUser, "Changes requested", workflows.StageActive)); err != nil {
		t.Fatal(err)
	}

	// Olu reviewed the witness service's return, so looks after it (the first officer to act on it),
	// and is away this week: the queue says so (meanwhile the head is copied on its escalations).
	awayUntil := now.AddDate(0, 0, 7)
	if _, err := st.DB.ExecContext(ctx, `UPDATE users SET away_until = $2 WHERE id = $1`, officerUser.ID, awayUntil.In(scheme.London).Format(time.DateOnly)); err != nil {
		t.Fatal(err)
	}

	work := officer.get("/work")
	work.mustBe(t, http.StatusOK, "/work")
	checkMarkup(t, work)
	screeningQueue := queueText(t, work, "screening")
	mustSay(t, "screening", screeningQueue, "Street football nights", "Riverside Youth Project", "Grassroots Community Fund", "£3,000.00", "3 days",
		"Newer screening", "Less than a day")
	if strings.Index(screeningQueue, "Street football nights") > strings.Index(screeningQueue, "Newer screening") {
		t.Error("the screening queue does not put the longest waiting first")
	}
	if byID(work.Doc, "screening") == nil || len(findAll(byID(work.Doc, "screening").Parent, func(n *html.Node) bool {
		return n.Data == "a" && attr(n, "href") == fmt.Sprintf("/applications/%d", screening)
	})) != 1 {
		t.Error("the screening queue does not link to the application")
	}
	mustSay(t, "assessment", queueText(t, work, "assessment"), "Knife crime workshops", "Score the application", "Victim advocacy", "Name the assessment panel")
	mustSay(t, "moderation", queueText(t, work, "moderation"), "Youth diversion", "Commissioned Services Fund")
	mustSay(t, "decision", queueText(t, work, "decision"), "Safer parks", "8 days")
	review := queueText(t, work, "review")
	mustSay(t, "review", review, "Allotment project", "End-of-grant report", "Witness service", "Olu Officer (away until "+dateOnly(awayUntil)+")",
		fmt.Sprintf("Q1 %s monitoring return (version 1)", scheme.FinancialYearLabel(fy-1)), "6 days")
	overdue := queueText(t, work, "overdue")
	mustSay(t, "overdue", overdue, "Graffiti clean-up", "End-of-grant report",
		fmt.Sprintf("Q2 %s monitoring return, due", scheme.FinancialYearLabel(fy-1)), fmt.Sprintf("Q3 %s monitoring return, due", scheme.FinancialYearLabel(fy-1)),
		"Overdue by")
	mustNotSay(t, "overdue", overdue, fmt.Sprintf("Q1 %s", scheme.FinancialYearLabel(fy-1)), "Safer parks")
	work.mustContain(t, "Awaiting screening (2)", "Decision (1)")

	// The assessor sees the one-off grant anyone may score, and the service application once on its panel.
	assessor := signInAs(t, s, "assessor@opcc.example.org")
	mine := queueText(t, assessor.get("/work"), "assessment")
	mustSay(t, "the assessor's queue", mine, "Awaiting your scores", "Knife crime workshops")
	mustNotSay(t, "the assessor's queue", mine, "Victim advocacy")
	alex := user(t, st, "assessor@opcc.example.org")
	if err := st.AssignPanel(ctx, panel, []int64{alex.ID}, officerUser.ID, now.AddDate(0, 0, 14),
		event(panel, now, officerUser, "Panel assigned", workflows.StageAssessment)); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveConflict(ctx, store.Conflict{ApplicationID: scoring, UserID: alex.ID, HasConflict: true, Details: "Trustee", DeclaredAt: now},
		event(scoring, now, alex, "Declared a conflict of interest", workflows.StageAssessment)); err != nil {
		t.Fatal(err)
	}
	mine = queueText(t, assessor.get("/work"), "assessment")
	mustSay(t, "the assessor's queue", mine, "Victim advocacy", "Your scores are needed")
	mustNotSay(t, "the assessor's queue", mine, "Knife crime workshops") // declared a conflict
	mustSay(t, "the officer's queue", queueText(t, officer.get("/work"), "assessment"), "Panel scoring: 0 of 1 scored")

	// Applicants and finance are not staff who work these queues.
	applicant := signInAs(t, s, demo.Accounts[0].Email)
	applicant.get("/work").mustBe(t, http.StatusForbidden, "/work")
	budget := fmt.Sprintf("/schemes/%d/budget", schemeID(t, st, "grassroots"))
	applicant.get(budget).mustBe(t, http.StatusForbidden, budget)
	signInAs(t, s, "finance@opcc.example.org").get("/work").mustBe(t, http.StatusForbidden, "/work")
}

// The budget page shows each financial year's budget, what approvals have committed and what is
// left; an unknown scheme is not found.
func TestSchemeBudgetPage(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	gcf := schemeID(t, s.Store, "grassroots")
	fy := scheme.FinancialYear(time.Now())
	id := submitted(t, s.Store, "grassroots", "Safer parks", money.Pounds(4250), workflows.StageApproved, time.Now())
	if err := s.Store.CommitBudget(ctx, id, gcf, []grant.YearAmount{{FinancialYear: fy, Amount: money.Pounds(4250)}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	head := signInAs(t, s, "head@opcc.example.org")
	path := fmt.Sprintf("/schemes/%d/budget", gcf)
	p := head.get(path)
	p.mustBe(t, http.StatusOK, path)
	checkMarkup(t, p)
	p.mustContain(t, "Grassroots Community Fund", "Budget by financial year", "Left to commit")
	tables := findAll(p.Doc, func(n *html.Node) bool { return n.Data == "table" }) // the budgets; then their changes
	if len(tables) == 0 {
		t.Fatal("no budget table")
	}
	row := findAll(tables[0], func(n *html.Node) bool {
		return n.Data == "tr" && strings.Contains(textOf(n), scheme.FinancialYearLabel(fy))
	})
	if len(row) != 1 {
		t.Fatalf("no single row for %s", scheme.FinancialYearLabel(fy))
	}
	mustSay(t, "the year's row", strings.Join(strings.Fields(textOf(row[0])), " "), "£150,000.00", "£4,250.00", "£145,750.00")

	head.get("/schemes/999999/budget").mustBe(t, http.StatusNotFound, "/schemes/999999/budget")
	head.get("/schemes/budget/budget").mustBe(t, http.StatusNotFound, "/schemes/budget/budget")
}

// At decision the officer sees the assessor's scores, who may approve what and the budget left,
// with forms to approve, ask for information or decline. An amount that is not money is refused on
// the page, naming the field, keeping every answer; nothing is sent. Someone with a conflict sees
// no scores; the applicant, who has no such form, is told the step is not theirs.
func TestStaffSectionAtDecision(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	st := s.Store
	id := submitted(t, st, "grassroots", "Safer parks", money.Pounds(4500), workflows.StageAssessment, time.Now().AddDate(0, 0, -3))
	alex := user(t, st, "assessor@opcc.example.org")
	scores, _ := json.Marshal([]workflows.Score{{Criterion: "fit", Score: 4, Comment: "Clear fit"}, {Criterion: "need", Score: 3, Comment: "Some evidence"},
		{Criterion: "deliverability", Score: 4, Comment: "Experienced team"}, {Criterion: "value", Score: 3, Comment: "Fair costs"},
		{Criterion: "partnership", Score: 5, Comment: "Works with the police"}})
	if err := st.SaveAssessment(ctx, store.Assessment{ApplicationID: id, Round: 1, AssessorID: alex.ID, Scores: scores, Weighted: 74, Fundable: true,
		Recommendation: workflows.RecommendFund, Comment: "A strong local project", SubmittedAt: time.Now()},
		event(id, time.Now(), alex, "Assessment submitted", workflows.StageDecision)); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/applications/%d", id)

	officer := signInAs(t, s, "officer@opcc.example.org")
	p := officer.get(path)
	p.mustBe(t, http.StatusOK, path)
	checkMarkup(t, p)
	p.mustContain(t, "Scores", "Weighted score: 74.00 out of 100", "Alex Assessor", "Need and evidence", "3 out of 5", "Some evidence",
		"A strong local project", "Delegated authority", "Commissioning officer", "Up to £5,000.00", "Police and Crime Commissioner", "Any amount",
		"The full amount requested (£4,500.00) falls in the Commissioning officer band.", "You may approve awards up to £5,000.00.",
		"Budget left in the Grassroots Community Fund", "£150,000.00", "Approve a grant", "Ask the applicant for more information",
		"Decline the application", "Declare a conflict of interest")
	if v := attr(byID(p.Doc, "decision-amount"), "value"); v != "4,500.00" {
		t.Errorf("the amount to award starts at %q, want the 4,500.00 requested", v)
	}

	bad := officer.fill(path, path+"/decision", url.Values{"staff-form": {"approve"}, "decision-outcome": {"approve"}, "approve-no-conflict": {"yes"}, "decision-amount": {"abc"},
		"decision-purpose": {"Evening youth work"}, "decision-conditions": {"Acknowledge the funding\nKeep a safeguarding policy"}, "decision-reasons": {"Hotspots"}})
	bad.mustBe(t, http.StatusUnprocessableEntity, path+"/decision")
	checkMarkup(t, bad)
	if got := bad.summary(); len(got) != 1 || got[0].Href != "#decision-amount" || got[0].Message != "Enter the amount to award in pounds and pence, like 4,250.00" {
		t.Errorf("error summary = %+v", got)
	}
	if v := attr(byID(bad.Doc, "decision-amount"), "value"); v != "abc" {
		t.Errorf("the amount typed was not kept: %q", v)
	}
	if v := textOf(byID(bad.Doc, "decision-conditions")); v != "Acknowledge the funding\nKeep a safeguarding policy" {
		t.Errorf("the conditions typed were not kept: %q", v)
	}
	if got, _ := st.Application(ctx, id); got.Status != string(workflows.StageDecision) {
		t.Errorf("status = %s after a refused form", got.Status)
	}

	// The head of commissioning's band is wider.
	signInAs(t, s, "head@opcc.example.org").get(path).mustContain(t, "You may approve awards up to £100,000.00.")

	// A conflict of interest hides the scores.
	orla := user(t, st, "officer2@opcc.example.org")
	if err := st.SaveConflict(ctx, store.Conflict{ApplicationID: id, UserID: orla.ID, HasConflict: true, Details: "Trustee", DeclaredAt: time.Now()},
		event(id, time.Now(), orla, "Declared a conflict of interest: barred from scoring and deciding", workflows.StageDecision)); err != nil {
		t.Fatal(err)
	}
	conflicted := signInAs(t, s, "officer2@opcc.example.org").get(path)
	conflicted.mustBe(t, http.StatusOK, path)
	conflicted.mustNotContain(t, "Weighted score", "Some evidence", "Approve a grant")

	// The applicant has no decision form; posting one anyway changes nothing.
	applicant := signInAs(t, s, demo.Accounts[0].Email)
	applicant.get(path).mustNotContain(t, "Approve a grant", "Some evidence")
	token := applicant.get("/sign-out").formToken(t, "/sign-out")
	refused := applicant.post(path+"/decision", url.Values{"csrf_token": {token}, "decision-outcome": {"approve"}, "approve-no-conflict": {"yes"}, "decision-amount": {"abc"}})
	refused.mustBe(t, http.StatusConflict, path+"/decision")
	refused.mustContain(t, "This step is not open to you on this application now.")

	// Another organisation finds nothing.
	other := registerOther(t, s)
	token = other.get("/sign-out").formToken(t, "/sign-out")
	other.post(path+"/decision", url.Values{"csrf_token": {token}, "decision-outcome": {"approve"}, "approve-no-conflict": {"yes"}, "decision-amount": {"abc"}}).
		mustBe(t, http.StatusNotFound, path+"/decision")
}

// The scoring form asks for every criterion of the scheme with its weight and minimum; sent with
// answers missing it lists each of them at once, linked to its field, and keeps what was given.
func TestScoringFormListsEveryMissingAnswer(t *testing.T) {
	s := newSite(t)
	id := submitted(t, s.Store, "grassroots", "Safer parks", money.Pounds(4500), workflows.StageAssessment, time.Now())
	path := fmt.Sprintf("/applications/%d", id)
	assessor := signInAs(t, s, "assessor@opcc.example.org")
	p := assessor.get(path)
	p.mustBe(t, http.StatusOK, path)
	checkMarkup(t, p)
	p.mustContain(t, "Score the application", "Fit with Police and Crime Plan priorities", "Weight 30%", "Deliverability and governance",
		"A score below 2 makes the application not fundable.", "Do you recommend funding the application?")
	// Beside each criterion, the answers the scheme asks assessors to read for it.
	if got := textOf(byID(p.Doc, "criterion-1-answers")); !strings.Contains(got, "Read for Need and evidence") || !strings.Contains(got, "Why is the project needed?") ||
		!strings.Contains(got, "How many of them are under 25?") {
		t.Errorf("answers beside need and evidence: %q", got)
	}

	bad := assessor.fill(path, path+"/assessments", url.Values{"staff-form": {"assess"}, "assess-no-conflict": {"yes"},
		"assess-score-0": {"4"}, "assess-comment-0": {"Clear fit"}, "assess-score-2": {"9"}, "assess-comment-2": {"Experienced"}})
	bad.mustBe(t, http.StatusUnprocessableEntity, path+"/assessments")
	checkMarkup(t, bad)
	var hrefs []string
	for _, e := range bad.summary() {
		hrefs = append(hrefs, e.Href+" "+e.Message)
	}
	want := []string{"#assess-score-1 Select a score for Need and evidence", "#assess-comment-1 Say why Need and evidence scored as it did",
		"#assess-score-2 Select a score from 0 to 5 for Deliverability and governance", "#assess-score-3 Select a score for Value for money",
		"#assess-comment-3 Say why Value for money scored as it did", "#assess-score-4 Select a score for Partnership working",
		"#assess-comment-4 Say why Partnership working scored as it did", "#assess-recommendation Select whether you recommend funding the application"}
	if strings.Join(hrefs, "\n") != strings.Join(want, "\n") {
		t.Errorf("error summary:\n%s\nwant:\n%s", strings.Join(hrefs, "\n"), strings.Join(want, "\n"))
	}
	if !hasAttr(byID(bad.Doc, "assess-score-0-5"), "checked") {
		t.Error("the score given for the first criterion was not kept")
	}
	if v := textOf(byID(bad.Doc, "assess-comment-2")); v != "Experienced" {
		t.Errorf("a comment was not kept: %q", v)
	}
}

// A service application's staff section at each stage: the panel to name, the moderation with the
// amounts asked for, the decision on the recommendation with the Commissioner's band, and a live
// award's return review, variation and termination. What the page cannot read (a date that is not
// real, an amount that is not money, questions not answered) is refused on the page, each on its
// field; the markup holds together at every stage.
func TestStaffSectionForAServiceAward(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	st := s.Store
	now := time.Now()
	fy := scheme.FinancialYear(now)
	years := []grant.YearAmount{{FinancialYear: fy, Amount: money.Pounds(150000)}, {FinancialYear: fy + 1, Amount: money.Pounds(150000)}}
	id := submitted(t, st, "commissioned-services", "Victim advocacy", money.Pounds(300000), workflows.StageAssessment, now.AddDate(0, 0, -10), years...)
	path := fmt.Sprintf("/applications/%d", id)
	officer := signInAs(t, s, "officer@opcc.example.org")
	olu, alex := user(t, st, "officer@opcc.example.org"), user(t, st, "assessor@opcc.example.org")

	p := officer.get(path)
	p.mustBe(t, http.StatusOK, path)
	checkMarkup(t, p)
	p.mustContain(t, "Name the assessment panel", "Alex Assessor", "Orla Officer", "Hana Head", "Select at least 2 people")
	if byID(p.Doc, "panel-assessors") == nil || strings.Contains(textOf(byID(p.Doc, "panel-assessors").Parent.Parent), "Olu Officer") {
		t.Error("the panel's choices should leave out the officer naming it")
	}
	bad := officer.fill(path, path+"/panel", url.Values{"staff-form": {"panel"}, "panel-assessors": {strconv.FormatInt(alex.ID, 10)},
		"panel-deadline-day": {"31"}, "panel-deadline-month": {"2"}, "panel-deadline-year": {"2027"}})
	bad.mustBe(t, http.StatusUnprocessableEntity, path+"/panel")
	checkMarkup(t, bad)
	if got := bad.summary(); len(got) != 1 || got[0].Href != "#panel-deadline-day" || got[0].Message != "The deadline for scores must be a real date" {
		t.Errorf("error summary = %+v", got)
	}
	if !hasAttr(byID(bad.Doc, "panel-assessors"), "checked") {
		t.Error("the assessor chosen was not kept")
	}

	// The panel has scored: moderation.
	panelScored(t, st, id, now)
	p = officer.get(path)
	checkMarkup(t, p)
	p.mustContain(t, "Assessment panel", "Scored", "Moderate the panel's scores", "Amount for "+scheme.FinancialYearLabel(fy+1), "Budget left in the Commissioned Services Fund")
	if v := attr(byID(p.Doc, fmt.Sprintf("moderation-amount-%d", fy+1)), "value"); v != "150,000.00" {
		t.Errorf("the second year starts at %q, want the 150,000.00 asked for", v)
	}
	bad = officer.fill(path, path+"/moderation", url.Values{"staff-form": {"moderation"}, "moderation-recommendation": {"fund"},
		fmt.Sprintf("moderation-amount-%d", fy): {"lots"}, fmt.Sprintf("moderation-amount-%d", fy+1): {""}})
	bad.mustBe(t, http.StatusUnprocessableEntity, path+"/moderation")
	checkMarkup(t, bad)
	if got := bad.summary(); len(got) != 1 || got[0].Message != "Enter the amount for "+scheme.FinancialYearLabel(fy)+" in pounds and pence, like 4,250.00" {
		t.Errorf("error summary = %+v", got)
	}
	if v := attr(byID(bad.Doc, fmt.Sprintf("moderation-amount-%d", fy+1)), "value"); v != "" {
		t.Errorf("a year left blank came back as %q", v)
	}

	// Moderated: the decision is the Commissioner's.
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	agreementStart := time.Date(fy+1, time.April, 1, 0, 0, 0, 0, time.UTC) // a date, as the API stores it
	if err := st.SaveRecommendation(ctx, store.Recommendation{ApplicationID: id, RecommendedBy: olu.ID, Years: raw(years),
		Conditions: raw([]string{"Attend the partnership board"}), ConditionsPrecedent: raw([]string{"A safeguarding policy approved by the board"}),
		Reasons: "Reduces repeat victimisation", StartDate: &agreementStart, CreatedAt: now}, event(id, now, olu, "Panel moderated", workflows.StageDecision)); err != nil {
		t.Fatal(err)
	}
	commissioner := signInAs(t, s, "commissioner@opcc.example.org")
	p = commissioner.get(path)
	checkMarkup(t, p)
	p.mustContain(t, "The panel's recommendation", "Fund: £300,000.00 in all", "Attend the partnership board", "Reduces repeat victimisation",
		"Agreement starts", // the decider reads the start moderated, not only the one the applicant proposed
		"This award (£300,000.00) falls in the Police and Crime Commissioner band.", "You may approve awards of any amount.", "Approve the award",
		"Decline the application")
	if n := byID(p.Doc, "recommendation-start"); n == nil || textOf(n) != fmt.Sprintf("1 April %d", fy+1) {
		t.Errorf("the recommendation does not say the agreement starts on 1 April %d", fy+1)
	}
	signInAs(t, s, "head@opcc.example.org").get(path).mustContain(t,
		"You cannot approve this award: £300,000.00 needs approval by the Police and Crime Commissioner")
	officer.get(path).mustNotContain(t, "Approve the award") // who moderated may not decide

	// A live award with a return to review.
	award, err := st.CreateAward(ctx, store.Award{ApplicationID: id, Reference: "CSF-TEST-2", Amount: money.Pounds(300000), Purpose: "Advocacy",
		Conditions: raw([]string{"Attend the partnership board"}), Reasons: "r", ApprovedBy: olu.ID, ApprovedRole: "commissioner", DelegationBand: "c",
		RulesVersion: 1, DecidedAt: now, AcceptBy: now.AddDate(0, 0, 28)}, event(id, now, olu, "Approved", workflows.StageActive))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAwardYears(ctx, award.ID, years); err != nil {
		t.Fatal(err)
	}
	content := raw(workflows.ReturnContent{Indicators: []workflows.IndicatorActual{{Key: "referrals", Actual: 58}}, SpendToDate: money.Pounds(30000),
		Beneficiaries: []workflows.BeneficiaryCount{{Area: "Leicester", Ward: "Leicester: Abbey", AgeBand: "18_24", Count: 12},
			{Area: "Leicester", Ward: "Leicester: Abbey", AgeBand: "25_plus", Count: 40}, {Area: "Rutland", AgeBand: "25_plus", Count: 6}},
		Narrative: "Caseloads steady"})
	provider := user(t, st, demo.Accounts[0].Email)
	if err := st.SaveReturn(ctx, store.MonitoringReturn{ApplicationID: id, FinancialYear: fy, Quarter: 1, Version: 1, Content: content,
		SubmittedBy: provider.ID, SubmittedAt: now}, event(id, now, provider, "Return sent", workflows.StageActive)); err != nil {
		t.Fatal(err)
	}
	p = officer.get(path)
	checkMarkup(t, p)
	q1 := "Q1 " + scheme.FinancialYearLabel(fy)
	p.mustContain(t, "Review a monitoring return", q1+" return (version 1", "Victims supported 58 (target 60)", "Spent to date £30,000.00",
		"People helped 58 (12 under 25)", "Caseloads steady")
	// By place, to ward level where the return names wards, with the totals.
	if got := bodyRows(byCaption(t, p, q1+" return: people helped by place and age")); fmt.Sprint(got) != "[[Leicester: Abbey 0 12 40 52] [Rutland 0 0 6 6] [Total 0 12 46 58]]" {
		t.Errorf("people helped by place: %v", got)
	}
	p.mustNotContain(t, "Vary the award", "End the award early") // who moderated may not vary or end it either
	p = commissioner.get(path)
	p.mustContain(t, "Vary the award", "The award is £300,000.00 in all", "End the award early")
	if v := attr(byID(p.Doc, fmt.Sprintf("vary-amount-%d", fy)), "value"); v != "150,000.00" {
		t.Errorf("the variation starts the first year at %q", v)
	}
	if v := textOf(byID(p.Doc, "vary-conditions")); v != "Attend the partnership board" {
		t.Errorf("the variation starts the conditions at %q", v)
	}
	bad = officer.fill(path, path+"/return-reviews", url.Values{"staff-form": {"return"}, "return-review-comment": {"Good quarter"}})
	bad.mustBe(t, http.StatusUnprocessableEntity, path+"/return-reviews")
	checkMarkup(t, bad)
	var got []string
	for _, e := range bad.summary() {
		got = append(got, e.Href)
	}
	if strings.Join(got, " ") != "#return-review-quarter #return-review-outcome #return-review-rag" {
		t.Errorf("error summary links %v", got)
	}
}

// After an award is ended early, the returns of quarters that had not begun are not required: the
// application's page says so to staff and the provider alike, the provider is not offered them, and
// the work queue never lists them as overdue. The quarter that was running is still owed.
func TestReturnsNotRequiredAfterAnEarlyEnding(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	st := s.Store
	now := time.Now()
	fy := scheme.FinancialYear(now) - 1 // a year that is over, so every quarter's return window has opened
	q := func(n int) workflows.Quarter { return workflows.Quarter{FY: fy, Q: n} }
	years := []grant.YearAmount{{FinancialYear: fy, Amount: money.Pounds(100000)}}
	id := submitted(t, st, "commissioned-services", "Witness care", money.Pounds(100000), workflows.StageActive, q(1).Start().AddDate(0, -2, 0), years...)
	olu, provider := user(t, st, "officer@opcc.example.org"), user(t, st, demo.Accounts[0].Email)
	award, err := st.CreateAward(ctx, store.Award{ApplicationID: id, Reference: "CSF-TEST-3", Amount: money.Pounds(100000), Purpose: "Witness care",
		Conditions: json.RawMessage(`["Attend the board"]`), Reasons: "r", ApprovedBy: olu.ID, ApprovedRole: "commissioner", DelegationBand: "c",
		RulesVersion: 1, DecidedAt: q(1).Start().AddDate(0, -1, 0), AcceptBy: q(1).Start()},
		event(id, q(1).Start().AddDate(0, -1, 0), olu, "Approved", workflows.StageActive))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAwardYears(ctx, award.ID, years); err != nil {
		t.Fatal(err)
	}
	sent := q(1).End().AddDate(0, 0, -5)
	if err := st.SaveReturn(ctx, store.MonitoringReturn{ApplicationID: id, FinancialYear: fy, Quarter: 1, Version: 1, Content: json.RawMessage(`{"narrative":"Steady"}`),
		SubmittedBy: provider.ID, SubmittedAt: sent}, event(id, sent, provider, "Return sent", workflows.StageActive)); err != nil {
		t.Fatal(err)
	}
	if err := st.ReviewReturn(ctx, id, fy, 1, 1, workflows.ReviewAccept, workflows.RAGGreen, "", olu.ID,
		event(id, sent.AddDate(0, 0, 2), olu, "Return accepted", workflows.StageActive)); err != nil {
		t.Fatal(err)
	}
	ending := q(3).Start().AddDate(0, 0, -10) // in Q2: Q3 and Q4 never run
	if err := st.CloseAward(ctx, id, schemeID(t, st, "commissioned-services"), nil, nil, true, "The service closed.",
		event(id, ending, olu, "Award ended early: future tranches stopped", workflows.StageFinalReport)); err != nil {
		t.Fatal(err)
	}

	officer := signInAs(t, s, "officer@opcc.example.org")
	overdue := queueText(t, officer.get("/work"), "overdue")
	mustSay(t, "overdue", overdue, "Witness care", q(2).Label()+" monitoring return, due")
	mustNotSay(t, "overdue", overdue, q(3).Label(), q(4).Label())

	path := fmt.Sprintf("/applications/%d", id)
	for _, who := range []*browser{officer, signInAs(t, s, demo.Accounts[0].Email)} {
		p := who.get(path)
		p.mustBe(t, http.StatusOK, path)
		checkMarkup(t, p)
		due := strings.Join(strings.Fields(textOf(byCaption(t, p, "Monitoring returns due"))), " ")
		for _, want := range []string{q(1).Label() + " ", "Accepted", q(2).Label() + " ", "Overdue", q(3).Label() + " ", q(4).Label() + " "} {
			mustSay(t, "the returns due", due, want)
		}
		if n := strings.Count(due, "Not required"); n != 2 {
			t.Errorf("the returns due mark %d quarters not required, want Q3 and Q4: %s", n, due)
		}
	}
	// The provider may send only the return still owed.
	form := signInAs(t, s, demo.Accounts[0].Email).get(path)
	var offered []string
	for _, n := range findAll(form.Doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "return.quarter" }) {
		offered = append(offered, attr(n, "value"))
	}
	if want := fmt.Sprintf("%d-2", fy); strings.Join(offered, " ") != want {
		t.Errorf("the return form offers quarters %q, want only %s", offered, want)
	}
}

// bodyRows are the texts of the cells of a table's body, row by row.
func bodyRows(table *html.Node) [][]string {
	var out [][]string
	for _, tr := range findAll(table, func(n *html.Node) bool { return n.Data == "tr" && n.Parent != nil && n.Parent.Data == "tbody" }) {
		var row []string
		for _, c := range findAll(tr, func(n *html.Node) bool { return n.Data == "th" || n.Data == "td" }) {
			row = append(row, strings.TrimSpace(textOf(c)))
		}
		out = append(out, row)
	}
	return out
}

// byCaption finds the table with this caption.
func byCaption(t *testing.T, r response, caption string) *html.Node {
	t.Helper()
	for _, c := range findAll(r.Doc, func(n *html.Node) bool { return n.Data == "caption" }) {
		if strings.TrimSpace(textOf(c)) == caption {
			return c.Parent
		}
	}
	t.Fatalf("%s: no table captioned %q", r.Path, caption)
	return nil
}

// A varied agreement awaiting the provider: the page says what the variation changes, the award as
// varied and the date to accept by, with the varied agreement to read, and the form refuses an
// acceptance without the box ticked. Staff see the stage but no such form.
func TestVariedAgreementToAcceptOnThePage(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	st := s.Store
	now := time.Now()
	fy := scheme.FinancialYear(now)
	years := []grant.YearAmount{{FinancialYear: fy, Amount: money.Pounds(90000)}, {FinancialYear: fy + 1, Amount: money.Pounds(110000)}}
	id := submitted(t, st, "commissioned-services", "Victim advocacy", money.Pounds(200000), workflows.StageActive, now.AddDate(0, -3, 0), years...)
	olu := user(t, st, "officer@opcc.example.org")
	award, err := st.CreateAward(ctx, store.Award{ApplicationID: id, Reference: "CSF-TEST-4", Amount: money.Pounds(200000), Purpose: "Advocacy",
		Conditions: json.RawMessage(`["Attend the partnership board"]`), Reasons: "r", ApprovedBy: olu.ID, ApprovedRole: "commissioner", DelegationBand: "c",
		RulesVersion: 1, DecidedAt: now.AddDate(0, -2, 0), AcceptBy: now.AddDate(0, -1, 0)}, event(id, now.AddDate(0, -2, 0), olu, "Approved", workflows.StageActive))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAwardYears(ctx, award.ID, years); err != nil {
		t.Fatal(err)
	}
	acceptBy := now.AddDate(0, 0, 20)
	// As the workflow leaves it once varied: version 2 stands, its agreement issued, awaiting the provider.
	if _, err := st.DB.ExecContext(ctx, `UPDATE awards SET version = 2, conditions = '["Attend the partnership board", "Report each site separately"]' WHERE id = $1`, award.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.ExecContext(ctx, `INSERT INTO variations (application_id, award_version, summary, years, conditions, decided_by, decided_role,
		delegation_band, rules_version, decided_at, accept_by) VALUES ($1, 2, 'A second site in Loughborough.', '[]', '[]', $2, 'commissioner', 'c', 1, $3, $4)`,
		id, olu.ID, now, acceptBy); err != nil {
		t.Fatal(err)
	}
	agreement, err := st.SaveDocument(ctx, store.Document{ApplicationID: id, Kind: "grant_agreement", Version: 2, Filename: "agreement-v2.pdf", Content: []byte("%PDF-1.4\n%%EOF\n")})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RecordEvent(ctx, event(id, now, olu, "Award varied (version 2)", workflows.StageVariationOffered)); err != nil {
		t.Fatal(err)
	}

	path := fmt.Sprintf("/applications/%d", id)
	provider := signInAs(t, s, demo.Accounts[0].Email)
	p := provider.get(path)
	p.mustBe(t, http.StatusOK, path)
	checkMarkup(t, p)
	p.mustContain(t, "Varied: to accept", "What you need to do Accept the varied grant agreement; Send your monitoring return.", "Accept the varied grant agreement",
		"Version 2 of the grant agreement replaces the one you accepted", "A second site in Loughborough.", "Report each site separately",
		"Accept by "+dateOnly(acceptBy), "Grant agreement (version 2) (PDF)")
	if v := findAll(p.Doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "variation.version" }); len(v) != 1 || attr(v[0], "value") != "2" {
		t.Errorf("the form does not name version 2 as the one accepted: %v", v)
	}
	if l := findAll(p.Doc, func(n *html.Node) bool {
		return n.Data == "a" && attr(n, "href") == fmt.Sprintf("/documents/%d", agreement.ID)
	}); len(l) == 0 {
		t.Error("no link to the varied agreement")
	}
	refused := provider.fill(path, path+"/variation-acceptance", url.Values{"variation.version": {"2"}})
	refused.mustBe(t, http.StatusUnprocessableEntity, path+"/variation-acceptance")
	checkMarkup(t, refused)
	if got := refused.summary(); len(got) != 1 || got[0].Href != "#variation-confirm" || !strings.Contains(got[0].Message, "accept it") {
		t.Errorf("error summary: %v", got)
	}
	if app, _ := st.Application(ctx, id); app.Status != string(workflows.StageVariationOffered) {
		t.Errorf("status is %s after a refused acceptance", app.Status)
	}
	staffView := signInAs(t, s, "officer@opcc.example.org").get(path)
	checkMarkup(t, staffView)
	staffView.mustContain(t, "Varied: to accept", "Payments not yet made wait until the provider accepts the varied grant agreement")
	staffView.mustNotContain(t, "Accept the varied agreement")
}

// dateOnly writes a day as the pages do.
func dateOnly(t time.Time) string { return t.In(scheme.London).Format("2 January 2006") }

// The moderation form starts at the applicant's proposed start date, shows it as the proposed
// start, and says how that date splits the amounts asked for, which it proposes: £150,000.00 a
// year from 6 December is 2 of 4 quarters of that year, £75,000.00. A start date that is not real
// is refused on its field with everything typed kept. Without a proposal it says so.
func TestModerationFormProposesTheApplicantsStart(t *testing.T) {
	s := newSite(t)
	st := s.Store
	now := time.Now()
	fy := scheme.FinancialYear(now) + 1 // next year, so that 6 December of it has not passed
	years := []grant.YearAmount{{FinancialYear: fy, Amount: money.Pounds(150000)}, {FinancialYear: fy + 1, Amount: money.Pounds(150000)}}
	details := grant.ServiceDetails{Service: "Victim advocacy", Description: "Advocacy for victims", Years: years, StartDate: fmt.Sprintf("%d-12-06", fy)}
	id := submittedWith(t, st, "commissioned-services", "Victim advocacy", money.Pounds(300000), workflows.StageAssessment, now.AddDate(0, 0, -10), &details)
	panelScored(t, st, id, now)
	path := fmt.Sprintf("/applications/%d", id)
	officer := signInAs(t, s, "officer@opcc.example.org")

	p := officer.get(path)
	p.mustBe(t, http.StatusOK, path)
	checkMarkup(t, p)
	sixth := fmt.Sprintf("6 December %d", fy)
	for id, want := range map[string]string{"proposed-start": sixth, "moderation-proposed-start": sixth} {
		if got := strings.TrimSpace(textOf(byID(p.Doc, id))); got != want {
			t.Errorf("#%s says %q, want %q", id, got, want)
		}
	}
	for id, want := range map[string]string{"moderation-start-date-day": "6", "moderation-start-date-month": "12", "moderation-start-date-year": fmt.Sprint(fy),
		fmt.Sprintf("moderation-amount-%d", fy): "75,000.00", fmt.Sprintf("moderation-amount-%d", fy+1): "150,000.00"} {
		if got := attr(byID(p.Doc, id), "value"); got != want {
			t.Errorf("#%s starts at %q, want %q", id, got, want)
		}
	}
	split := strings.Join(strings.Fields(textOf(byID(p.Doc, "moderation-split"))), " ")
	mustSay(t, "the split", split, fmt.Sprintf("£150,000.00 a year from %s is 2 of 4 quarters in %s: £75,000.00.", sixth, scheme.FinancialYearLabel(fy)),
		"Later years are funded in full.", "If you set another start date, change the amounts to match")
	p.mustContain(t, fmt.Sprintf("It cannot be before the decision. For example, 6 12 %d", fy))
	// The budget table sets the proposed split, not the whole first year asked for, against what is left.
	budget := findAll(p.Doc, func(n *html.Node) bool { return n.Data == "table" && strings.Contains(textOf(n), "Budget left in the") })
	if len(budget) != 1 {
		t.Fatalf("%d budget tables on the moderation page, want 1", len(budget))
	}
	rows := strings.Join(strings.Fields(textOf(budget[0])), " ")
	mustSay(t, "the budget table", rows, scheme.FinancialYearLabel(fy)+" ")
	if first := rows[strings.Index(rows, scheme.FinancialYearLabel(fy)+" "):]; !strings.Contains(first[:strings.Index(first, scheme.FinancialYearLabel(fy+1))], "£75,000.00") {
		t.Errorf("the budget table's first year does not set the pro-rated £75,000.00 against the budget: %s", rows)
	}

	// A start date that is not real: named in the summary and on the field, nothing typed lost.
	typed := url.Values{"staff-form": {"moderation"}, "moderation-recommendation": {"fund"},
		"moderation-start-date-day": {"31"}, "moderation-start-date-month": {"2"}, "moderation-start-date-year": {fmt.Sprint(fy + 1)},
		fmt.Sprintf("moderation-amount-%d", fy): {"70,000.00"}, fmt.Sprintf("moderation-amount-%d", fy+1): {"140,000.00"},
		"moderation-conditions": {"Attend the partnership board"}, "moderation-reasons": {"Reduces repeat victimisation"}}
	bad := officer.fill(path, path+"/moderation", typed)
	bad.mustBe(t, http.StatusUnprocessableEntity, path+"/moderation")
	checkMarkup(t, bad)
	if got, want := bad.summary(), (summaryItem{"#moderation-start-date-day", "The date the agreement starts must be a real date"}); len(got) != 1 || got[0] != want {
		t.Errorf("error summary %v, want [%v]", got, want)
	}
	if msg := byID(bad.Doc, "moderation-start-date-error"); msg == nil || !strings.Contains(textOf(msg), "must be a real date") {
		t.Error("the start date's field does not say what is wrong")
	}
	for id, want := range map[string]string{"moderation-start-date-day": "31", "moderation-start-date-month": "2", "moderation-start-date-year": fmt.Sprint(fy + 1),
		fmt.Sprintf("moderation-amount-%d", fy): "70,000.00", fmt.Sprintf("moderation-amount-%d", fy+1): "140,000.00"} {
		if got := attr(byID(bad.Doc, id), "value"); got != want {
			t.Errorf("#%s came back as %q, want %q as typed", id, got, want)
		}
	}
	if got := textOf(byID(bad.Doc, "moderation-reasons")); got != "Reduces repeat victimisation" {
		t.Errorf("the reasons came back as %q", got)
	}

	// Without a proposal the form says so, and proposes 1 April of the first year asked for.
	details.StartDate = ""
	other := submittedWith(t, st, "commissioned-services", "Victim advocacy", money.Pounds(300000), workflows.StageAssessment, now.AddDate(0, 0, -10), &details)
	panelScored(t, st, other, now)
	p = officer.get(fmt.Sprintf("/applications/%d", other))
	checkMarkup(t, p)
	if got := strings.TrimSpace(textOf(byID(p.Doc, "moderation-proposed-start"))); got != "Not given" {
		t.Errorf("with no proposal the form says %q", got)
	}
	if got := attr(byID(p.Doc, "moderation-start-date-month"), "value"); got != "4" {
		t.Errorf("with no proposal the start month is %q, want 4 (1 April)", got)
	}
	mustSay(t, "the split", strings.Join(strings.Fields(textOf(byID(p.Doc, "moderation-split"))), " "),
		fmt.Sprintf("An agreement starting on 1 April %d is funded for whole years", fy))
}
