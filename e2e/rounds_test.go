package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// A head of commissioning runs a round through the API with the real Temporal server: bad input is
// refused naming the field; the round's workflow opens it on time (telling a subscriber by e-mail),
// an extension moves its closing timer, and at closing the subscriber and the organisation with a
// draft are told and (no grace period) the draft is locked: it can be neither changed nor
// submitted, while the organisation's submitted applications are untouched. Each notice is sent once.
func TestRoundRunsOnItsTimers(t *testing.T) {
	s := newSystem(t)
	mail := s.startMail(t)
	ctx := context.Background()
	head := s.staff(t, string(scheme.RoleHeadOfCommissioning))
	officer := s.staff(t, string(scheme.RoleOfficer))
	applicant := s.signIn(t, demo.Accounts[0].Email, demo.Password)
	gcf := int64(0)
	list, _ := s.Store.Schemes(ctx)
	for _, sc := range list {
		if sc.Slug == "grassroots" {
			gcf = sc.ID
		}
	}
	rounds := fmt.Sprintf("/api/v1/admin/schemes/%d/rounds", gcf)
	at := func(d time.Duration) string { return time.Now().Add(d).Format(time.RFC3339) }

	// Refusals, each naming its field; nothing is saved.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "R", "opens_at": at(time.Hour), "closes_at": at(30 * time.Minute)}, "closes_at"},
		{map[string]any{"name": "R", "opens_at": at(-2 * time.Hour), "closes_at": at(-time.Hour)}, "closes_at"},
		{map[string]any{"name": "R", "opens_at": "next Tuesday", "closes_at": at(time.Hour)}, "opens_at"},
		{map[string]any{"name": "R", "opens_at": "2027-03-28T01:30", "closes_at": "2027-04-28T12:00"}, "opens_at"}, // the clocks skip 01:30
		{map[string]any{"name": "R", "opens_at": at(time.Hour), "closes_at": at(2 * time.Hour), "budget_pence": -1}, "budget_pence"},
		{map[string]any{"name": "R", "opens_at": at(time.Hour), "closes_at": at(2 * time.Hour), "budget_pence": "lots"}, "budget_pence"},
		{map[string]any{"name": " ", "opens_at": at(time.Hour), "closes_at": at(2 * time.Hour)}, "name"},
	} {
		requireRefusal(t, fmt.Sprintf("create %v", c.body), s.do(t, "POST", rounds, head, c.body), http.StatusUnprocessableEntity, c.field)
	}
	requireRefusal(t, "an officer opens a round", s.do(t, "POST", rounds, officer, map[string]any{"name": "R"}), http.StatusForbidden, "")
	requireRefusal(t, "an applicant lists rounds", s.do(t, "GET", rounds, applicant, nil), http.StatusForbidden, "")

	s.must(t, http.StatusOK, "PUT", fmt.Sprintf("/api/v1/schemes/%d/round-subscription", gcf), applicant, nil)
	created := s.must(t, http.StatusCreated, "POST", rounds, head, map[string]any{"name": "Spring round", "opens_at": at(2 * time.Second),
		"closes_at": at(8 * time.Second), "guidance": "Tell us who runs the sessions.", "budget_pence": money.Pounds(10000)})
	id := int64(created.Body["id"].(float64))
	if created.str("state") != "scheduled" || created.str("guidance") != "Tell us who runs the sessions." {
		t.Fatalf("created: %s", created.Raw)
	}
	roundPath := fmt.Sprintf("/api/v1/admin/rounds/%d", id)
	requireRefusal(t, "extend to the past", s.do(t, "POST", roundPath+"/extension", head, map[string]any{"closes_at": at(-time.Minute), "reason": "x"}),
		http.StatusUnprocessableEntity, "closes_at")
	requireRefusal(t, "extend without a reason", s.do(t, "POST", roundPath+"/extension", head, map[string]any{"closes_at": at(time.Hour)}),
		http.StatusUnprocessableEntity, "reason")
	requireRefusal(t, "close before it opens", s.do(t, "POST", roundPath+"/closure", head, map[string]any{"reason": "x"}), http.StatusConflict, "")

	// Open: the applicant starts a draft in it; an earlier extension is refused, a later one moves the timer.
	awaitRound(t, s, head, roundPath, "open")
	draft := s.must(t, http.StatusCreated, "POST", "/api/v1/applications", applicant, map[string]any{"round_id": id, "title": "Late starters"})
	draftID := int64(draft.Body["id"].(float64))
	current := s.must(t, http.StatusOK, "GET", roundPath, head, nil).str("closes_at")
	closes, _ := time.Parse(time.RFC3339Nano, current)
	requireRefusal(t, "extend to earlier", s.do(t, "POST", roundPath+"/extension", head, map[string]any{"closes_at": closes.Add(-time.Second).Format(time.RFC3339), "reason": "x"}),
		http.StatusUnprocessableEntity, "closes_at")
	later := closes.Add(4 * time.Second).Truncate(time.Second)
	s.must(t, http.StatusOK, "POST", roundPath+"/extension", head, map[string]any{"closes_at": later.Format(time.RFC3339), "reason": "More groups asked for time"})
	var st workflows.RoundStatus
	v, err := s.Client.QueryWorkflow(ctx, workflows.RoundWorkflowID(id), "", workflows.QueryRound)
	if err != nil || v.Get(&st) != nil || !st.ClosesAt.Equal(later) {
		t.Fatalf("the workflow's closing time: %+v %v", st, err)
	}

	// The workflow runs to the lock.
	run := s.Client.GetWorkflow(ctx, workflows.RoundWorkflowID(id), "")
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := run.Get(wctx, &st); err != nil {
		t.Fatal(err)
	}
	if st.Phase != workflows.RoundPhaseLocked || st.Locked != 1 || st.Told != 2 {
		t.Fatalf("round status %+v", st)
	}
	got := s.must(t, http.StatusOK, "GET", roundPath, head, nil)
	if got.str("state") != "locked" {
		t.Fatalf("state %s", got.Raw)
	}
	appPath := fmt.Sprintf("/api/v1/applications/%d", draftID)
	for _, r := range []response{
		s.do(t, "PUT", appPath, applicant, map[string]any{"round_id": id, "title": "Too late"}),
		s.do(t, "POST", appPath+"/submit", applicant, nil),
	} {
		requireRefusal(t, "a locked draft", r, http.StatusConflict, "")
		if r.str("error", "code") != "draft_locked" || !strings.Contains(r.str("error", "message"), "this draft is locked") {
			t.Errorf("refusal: %s", r.Raw)
		}
	}
	if a, _ := s.Store.Application(ctx, draftID); a.Title != "Late starters" || a.DraftLockedAt == nil {
		t.Fatalf("the locked draft: %+v", a)
	}

	records := mail.settle(t)
	var keys []string
	for _, r := range records {
		if strings.HasPrefix(r.NotificationKey, fmt.Sprintf("round/%d/", id)) {
			keys = append(keys, r.NotificationKey+" "+r.Status)
		}
	}
	slices.Sort(keys)
	want := []string{ // the subscriber told of the extension; no grace period: the draft is locked as the round closes, and told so once
		fmt.Sprintf("round/%d/extended/%d sent", id, later.Unix()),
		fmt.Sprintf("round/%d/locked/application/%d sent", id, draftID),
		fmt.Sprintf("round/%d/round_closed sent", id),
		fmt.Sprintf("round/%d/round_opened sent", id),
	}
	if strings.Join(keys, "|") != strings.Join(want, "|") {
		t.Fatalf("round messages %q, want %q", keys, want)
	}
	msg, ok := mail.arrival(fmt.Sprintf("round/%d/round_opened", id), demo.Accounts[0].Email)
	if !ok || !strings.Contains(msg.Subject, "Funding round open: Spring round of Grassroots Community Fund") {
		t.Fatalf("the subscriber's opening message: %+v %v", msg.Subject, ok)
	}
	events, _ := s.Store.AdminEvents(ctx, store.AdminEventFilter{SubjectKind: "round", SubjectID: id})
	if len(events) != 2 || events[0].Action != "round.extended" || events[0].Why != "More groups asked for time" || events[1].ActorName != "Hana Head" {
		t.Fatalf("audit: %+v", events)
	}
}

// Closing a round early moves its timer to now: it closes and (no grace) locks at once. Budgets
// set through the API are never below what is committed, and each change is kept.
func TestRoundClosedEarlyAndBudgets(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	head := s.staff(t, string(scheme.RoleHeadOfCommissioning))
	list, _ := s.Store.Schemes(ctx)
	gcf := list[0].ID
	at := func(d time.Duration) string { return time.Now().Add(d).Format(time.RFC3339) }
	created := s.must(t, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/admin/schemes/%d/rounds", gcf), head,
		map[string]any{"name": "Summer round", "opens_at": at(time.Second), "closes_at": at(30 * 24 * time.Hour)})
	id := int64(created.Body["id"].(float64))
	roundPath := fmt.Sprintf("/api/v1/admin/rounds/%d", id)
	awaitRound(t, s, head, roundPath, "open")
	requireRefusal(t, "close without a reason", s.do(t, "POST", roundPath+"/closure", head, map[string]any{"reason": ""}), http.StatusUnprocessableEntity, "reason")
	closed := s.must(t, http.StatusOK, "POST", roundPath+"/closure", head, map[string]any{"reason": "The budget is spent"})
	if closed.Body["closed_early"] != true || closed.str("close_reason") != "The budget is spent" {
		t.Fatalf("closed: %s", closed.Raw)
	}
	var st workflows.RoundStatus
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := s.Client.GetWorkflow(ctx, workflows.RoundWorkflowID(id), "").Get(wctx, &st); err != nil || st.Phase != workflows.RoundPhaseLocked {
		t.Fatalf("the round's workflow after an early close: %+v %v", st, err)
	}
	if time.Until(st.ClosesAt) < -time.Minute || st.ClosesAt.After(time.Now()) {
		t.Fatalf("closed at %s, not now", st.ClosesAt)
	}
	requireRefusal(t, "extend a closed round", s.do(t, "POST", roundPath+"/extension", head, map[string]any{"closes_at": at(time.Hour), "reason": "x"}),
		http.StatusConflict, "")

	// Budgets.
	fy := scheme.FinancialYear(time.Now())
	budgets := fmt.Sprintf("/api/v1/admin/schemes/%d/budgets/%d", gcf, fy)
	rs, _ := s.Store.Rounds(ctx, gcf)
	org, _ := s.Store.UserByEmail(ctx, demo.Accounts[0].Email)
	some, err := s.Store.CreateDraft(ctx, org.Organisations[0], org.ID, store.Draft{SchemeID: gcf, RoundID: rs[len(rs)-1].ID, Title: "Committed"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Store.CommitBudget(ctx, some, gcf, []grant.YearAmount{{FinancialYear: fy, Amount: money.Pounds(4000)}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		body  any
		field string
	}{
		{map[string]any{"budget_pence": money.Pounds(3999), "reason": "Cut"}, "budget_pence"},
		{map[string]any{"budget_pence": -1, "reason": "Cut"}, "budget_pence"},
		{map[string]any{"budget_pence": "a lot", "reason": "Cut"}, "budget_pence"},
		{map[string]any{"reason": "Cut"}, "budget_pence"},
		{map[string]any{"budget_pence": money.Pounds(5000)}, "reason"},
	} {
		requireRefusal(t, fmt.Sprintf("budget %v", c.body), s.do(t, "PUT", budgets, head, c.body), http.StatusUnprocessableEntity, c.field)
	}
	requireRefusal(t, "a budget for no such year", s.do(t, "PUT", fmt.Sprintf("/api/v1/admin/schemes/%d/budgets/twenty", gcf), head,
		map[string]any{"budget_pence": 1, "reason": "x"}), http.StatusUnprocessableEntity, "financial_year")
	r := s.do(t, "PUT", budgets, head, map[string]any{"budget_pence": money.Pounds(3999), "reason": "Cut"})
	if !strings.Contains(r.str("error", "fields", "budget_pence"), "£4,000.00 already committed") {
		t.Errorf("below committed says: %s", r.Raw)
	}
	ch := s.must(t, http.StatusOK, "PUT", budgets, head, map[string]any{"budget_pence": money.Pounds(4000), "reason": "Exactly what is committed"})
	if ch.Body["after_pence"].(float64) != float64(money.Pounds(4000)) || ch.str("reason") != "Exactly what is committed" {
		t.Fatalf("change: %s", ch.Raw)
	}
	history := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/admin/schemes/%d/budgets", gcf), head, nil)
	if history.str("changes", "0", "reason") != "Exactly what is committed" || history.str("changes", "0", "by") != "Hana Head" {
		t.Fatalf("history: %s", history.Raw)
	}
}

func awaitRound(t *testing.T, s *system, token, path, state string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := s.must(t, http.StatusOK, "GET", path, token, nil)
		if r.str("state") == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("round %s is %s, never %s", path, r.str("state"), state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
