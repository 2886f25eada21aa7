package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// A head of commissioning sets and adjusts a year's budget from the budget page: each refusal is
// on its field (no year, not a number, negative, no reason, below what is committed) and nothing
// is saved; a good change is listed with who, before, after and why.
func TestBudgetPageSetsAndAdjustsWithHistory(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	gcf := schemeID(t, s.Store, "grassroots")
	fy := scheme.FinancialYear(time.Now())
	page := fmt.Sprintf("/schemes/%d/budget", gcf)
	b := signInAs(t, s, "head@opcc.example.org")
	before, _ := s.Store.Budget(ctx, gcf, fy)

	for _, c := range []struct {
		fields url.Values
		want   string
	}{
		{url.Values{"amount": {"160000"}, "reason": {"x"}}, "Choose the financial year"},
		{url.Values{"year": {strconv.Itoa(fy)}, "amount": {"lots"}, "reason": {"x"}}, "The budget must be an amount in pounds"},
		{url.Values{"year": {strconv.Itoa(fy)}, "amount": {"-5"}, "reason": {"x"}}, "The budget must be an amount in pounds"},
		{url.Values{"year": {strconv.Itoa(fy)}, "amount": {"160000"}}, "Enter why the budget is being set or changed"},
	} {
		r := b.fill(page, page, c.fields)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%v: %d", c.fields, r.Status)
		}
		r.mustContain(t, "There is a problem", c.want)
	}
	// Commit some of the year's budget, then try to go below it.
	draft, err := s.Store.CreateDraft(ctx, orgOf(t, s), applicantID(t, s), store.Draft{SchemeID: gcf, RoundID: roundOf(t, s, gcf), Title: "Committed"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Store.CommitBudget(ctx, draft, gcf, []grant.YearAmount{{FinancialYear: fy, Amount: money.Pounds(4000)}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	r := b.fill(page, page, url.Values{"year": {strconv.Itoa(fy)}, "amount": {"3,999.99"}, "reason": {"Cut"}})
	r.mustContain(t, "There is a problem", "cannot be less than the £4,000.00 already committed in "+scheme.FinancialYearLabel(fy))
	if got, _ := s.Store.Budget(ctx, gcf, fy); got.BudgetPence != before.BudgetPence {
		t.Fatalf("a refused change saved %s", got.BudgetPence)
	}
	r = b.fill(page, page, url.Values{"year": {strconv.Itoa(fy)}, "amount": {"£175,000"}, "reason": {"Underspend moved from reserves"}})
	r.mustBe(t, http.StatusOK, page+"?saved=1")
	r.mustContain(t, "The budget has been saved", "Underspend moved from reserves", "Hana Head (Head of Commissioning)", before.BudgetPence.String(), "£175,000.00")
	events, err := s.Store.AdminEvents(ctx, store.AdminEventFilter{Action: "budget.adjusted"})
	if err != nil || len(events) != 1 || events[0].Why != "Underspend moved from reserves" || events[0].ActorName != "Hana Head" {
		t.Fatalf("audit: %+v %v", events, err)
	}
	// An officer sees the history but not the form, and may not post it.
	o := signInAs(t, s, "officer@opcc.example.org")
	view := o.get(page)
	view.mustContain(t, "Underspend moved from reserves")
	view.mustNotContain(t, "Set or change a year")
	if r := o.post(page, url.Values{"year": {strconv.Itoa(fy)}, "amount": {"1"}, "reason": {"x"}}); r.Status != http.StatusForbidden {
		t.Fatalf("officer posted a budget: %d", r.Status)
	}
}

// A head of commissioning opens a round from the pages (each bad field refused on the field:
// closing before opening, a London time the clocks skip, a budget that is not money), extends it
// (not to an earlier time) and closes it early (not without a reason); an applicant reaches none
// of it, and subscribes to the scheme's rounds from its page.
func TestRoundPages(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	gcf := schemeID(t, s.Store, "grassroots")
	b := signInAs(t, s, "head@opcc.example.org")
	newPage := fmt.Sprintf("/admin/rounds/new?scheme=%d", gcf)
	next := time.Now().In(scheme.London).AddDate(1, 0, 0)
	day := func(prefix string, t time.Time) url.Values {
		return url.Values{prefix + "-day": {strconv.Itoa(t.Day())}, prefix + "-month": {strconv.Itoa(int(t.Month()))}, prefix + "-year": {strconv.Itoa(t.Year())}}
	}
	form := func(opens, closes time.Time, extra url.Values) url.Values {
		v := url.Values{"scheme": {strconv.FormatInt(gcf, 10)}, "name": {"Autumn round"}, "opens-time": {"09:00"}, "closes-time": {"23:59"},
			"guidance": {"Tell us about your volunteers."}}
		for k, x := range day("opens", opens) {
			v[k] = x
		}
		for k, x := range day("closes", closes) {
			v[k] = x
		}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	r := b.fill(newPage, "/admin/rounds/new", form(next, next.AddDate(0, 0, -1), nil))
	r.mustContain(t, "There is a problem", "The closing date and time must be after the opening time")
	r = b.fill(newPage, "/admin/rounds/new", form(next, next.AddDate(0, 1, 0), url.Values{"budget": {"ten pounds"}}))
	r.mustContain(t, "The round budget must be an amount in pounds")
	skipped := time.Date(next.Year()+1, time.March, 31, 0, 0, 0, 0, scheme.London)
	for skipped.Weekday() != time.Sunday {
		skipped = skipped.AddDate(0, 0, -1)
	}
	r = b.fill(newPage, "/admin/rounds/new", form(next, skipped, url.Values{"closes-time": {"01:30"}}))
	r.mustContain(t, "clocks skip")
	if list, _ := s.Store.Rounds(ctx, gcf); len(list) != 1 {
		t.Fatalf("refused rounds were saved: %d rounds", len(list))
	}
	// A good one: closing 23:59 on a late-October date after the clocks went back (GMT).
	lastSunday := time.Date(next.Year(), time.October, 31, 12, 0, 0, 0, scheme.London)
	for lastSunday.Weekday() != time.Sunday {
		lastSunday = lastSunday.AddDate(0, 0, -1)
	}
	closes := time.Date(next.Year(), time.October, lastSunday.Day()+1, 23, 59, 0, 0, scheme.London)
	opens := closes.AddDate(0, -1, 0)
	r = b.fill(newPage, "/admin/rounds/new", form(opens, closes, url.Values{"budget": {"25,000"}}))
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Path, "/admin/rounds/") {
		t.Fatalf("create: %d at %s: %s", r.Status, r.Path, r.text())
	}
	r.mustContain(t, "The round has been set up", "Autumn round", "Not yet open", "£25,000.00", "Tell us about your volunteers.",
		closes.Format("2 January 2006")+" at 11:59pm")
	roundPath := strings.SplitN(r.Path, "?", 2)[0]
	id, _ := strconv.ParseInt(strings.TrimPrefix(roundPath, "/admin/rounds/"), 10, 64)
	got, _ := s.Store.Round(ctx, id)
	if !got.ClosesAt.Equal(closes) || got.ClosesAt.UTC().Hour() != 23 {
		t.Fatalf("closes %s, want %s (23:59 GMT)", got.ClosesAt.UTC(), closes.UTC())
	}
	// Extending to an earlier time is refused on the field; a later one is kept with its reason.
	ext := func(t time.Time, reason string) url.Values {
		v := day("extend", t)
		v.Set("extend-time", "23:59")
		v.Set("extend-reason", reason)
		return v
	}
	r = b.fill(roundPath, roundPath+"/extension", ext(closes.AddDate(0, 0, -2), "More time"))
	r.mustContain(t, "There is a problem", "must be later than the current closing time")
	r = b.fill(roundPath, roundPath+"/extension", ext(closes.AddDate(0, 0, 7), ""))
	r.mustContain(t, "Enter why the round is extended")
	r = b.fill(roundPath, roundPath+"/extension", ext(closes.AddDate(0, 0, 7), "Half term"))
	r.mustContain(t, "The round has been extended", closes.AddDate(0, 0, 7).Format("2 January 2006")+" at 11:59pm")
	// Closing early: not before it opens.
	if b.get(roundPath).Body != "" && strings.Contains(b.get(roundPath).text(), "Close the round now") {
		t.Fatal("a round not yet open offers to close early")
	}
	token := b.get(roundPath).formToken(t, roundPath+"/extension") // the closure form is not offered; send it anyway
	r = b.post(roundPath+"/closure", url.Values{"csrf_token": {token}, "close-reason": {"Budget spent"}})
	r.mustContain(t, "There is a problem", "has not opened yet")
	events, _ := s.Store.AdminEvents(ctx, store.AdminEventFilter{SubjectKind: "round", SubjectID: id})
	if len(events) != 2 || events[0].Action != "round.extended" || events[0].Why != "Half term" || events[1].Action != "round.opened" {
		t.Fatalf("audit: %+v", events)
	}
	// The demo round is open: close it early, which needs a reason.
	demoRound := roundOf(t, s, gcf)
	demoPath := fmt.Sprintf("/admin/rounds/%d", demoRound)
	r = b.fill(demoPath, demoPath+"/closure", url.Values{"close-reason": {" "}})
	r.mustContain(t, "Enter why the round is closing early")
	r = b.fill(demoPath, demoPath+"/closure", url.Values{"close-reason": {"Budget spent"}})
	r.mustContain(t, "The round has been closed", "closed early: Budget spent")
	b.get(fmt.Sprintf("/admin/schemes/%d/rounds", gcf)).mustContain(t, "Autumn round", "closed early")

	// An applicant reaches none of the admin pages, and subscribes on the scheme's rounds page.
	a := signInAs(t, s, "applicant@riverside-youth.example.org")
	for _, p := range []string{fmt.Sprintf("/admin/schemes/%d/rounds", gcf), newPage, roundPath} {
		if r := a.get(p); r.Status != http.StatusForbidden {
			t.Errorf("applicant reached %s: %d", p, r.Status)
		}
	}
	rounds := fmt.Sprintf("/schemes/%d/rounds", gcf)
	a.get(rounds).mustContain(t, "Tell me when rounds open", "Tell us about your volunteers.")
	r = a.fill(rounds, fmt.Sprintf("/schemes/%d/round-subscription", gcf), url.Values{"subscribe": {"yes"}})
	r.mustContain(t, "We will tell you when this scheme's rounds open and close", "Stop telling me")
	u, _ := s.Store.UserByEmail(ctx, "applicant@riverside-youth.example.org")
	if yes, _ := s.Store.Subscribed(ctx, u.ID, gcf); !yes {
		t.Fatal("not subscribed")
	}
	r = a.fill(rounds, fmt.Sprintf("/schemes/%d/round-subscription", gcf), url.Values{"subscribe": {"no"}})
	r.mustContain(t, "We will no longer tell you")
	if yes, _ := s.Store.Subscribed(ctx, u.ID, gcf); yes {
		t.Fatal("still subscribed")
	}
}

// A draft whose round's grace period has ended says so on its task list and cannot be saved or
// submitted; the round's guidance is on the task list while it may.
func TestLockedDraftSaysWhy(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	gcf := schemeID(t, s.Store, "grassroots")
	round := roundOf(t, s, gcf)
	if _, err := s.Store.DB.ExecContext(ctx, `UPDATE rounds SET guidance = 'Read the guidance notes first.' WHERE id = $1`, round); err != nil {
		t.Fatal(err)
	}
	id, err := s.Store.CreateDraft(ctx, orgOf(t, s), applicantID(t, s), store.Draft{SchemeID: gcf, RoundID: round, Title: "Late club"})
	if err != nil {
		t.Fatal(err)
	}
	a := signInAs(t, s, "applicant@riverside-youth.example.org")
	tasks := fmt.Sprintf("/applications/%d/tasks", id)
	a.get(tasks).mustContain(t, "Read the guidance notes first.")
	if _, err := s.Store.LockRoundDrafts(ctx, round, time.Now()); err != nil {
		t.Fatal(err)
	}
	r := a.get(tasks)
	r.mustContain(t, "this draft is locked: it can no longer be changed or submitted")
	// The project details page says so too, and saving it anyway is refused saying why, not a 500.
	edit := fmt.Sprintf("/applications/%d/edit", id)
	a.get(edit).mustContain(t, "this draft is locked: it can no longer be changed or submitted")
	saved := a.fill(edit, edit, url.Values{"title": {"Late club, renamed"}})
	saved.mustBe(t, http.StatusConflict, edit)
	saved.mustContain(t, "Your answers could not be saved", "locked")
	if code, body := s.api(http.MethodPut, fmt.Sprintf("/api/v1/applications/%d", id), apiToken(t, s), map[string]any{"round_id": round, "title": "x"}); code != http.StatusConflict ||
		!strings.Contains(fmt.Sprint(body), "draft_locked") {
		t.Fatalf("change a locked draft by the API: %d %v", code, body)
	}
	if code, body := s.api(http.MethodPost, fmt.Sprintf("/api/v1/applications/%d/submit", id), apiToken(t, s), nil); code != http.StatusConflict ||
		!strings.Contains(fmt.Sprint(body), "this draft is locked") {
		t.Fatalf("submit a locked draft by the API: %d %v", code, body)
	}
}

func apiToken(t *testing.T, s *site) string {
	t.Helper()
	code, body := s.api(http.MethodPost, "/api/v1/tokens", "", map[string]string{"email": "applicant@riverside-youth.example.org", "password": demo.Password})
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("token: %d %v", code, body)
	}
	return fmt.Sprint(body["token"])
}

func roundOf(t *testing.T, s *site, schemeID int64) int64 {
	t.Helper()
	list, err := s.Store.Rounds(context.Background(), schemeID)
	if err != nil || len(list) == 0 {
		t.Fatalf("rounds: %v", err)
	}
	return list[len(list)-1].ID
}

func applicantID(t *testing.T, s *site) int64 {
	t.Helper()
	u, err := s.Store.UserByEmail(context.Background(), "applicant@riverside-youth.example.org")
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func orgOf(t *testing.T, s *site) int64 {
	t.Helper()
	u, err := s.Store.UserByEmail(context.Background(), "applicant@riverside-youth.example.org")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Organisations) == 0 {
		t.Fatal("no organisation")
	}
	return u.Organisations[0]
}
