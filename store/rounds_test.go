package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/notify"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

var admin = store.Actor{UserID: 0, Name: "Ada Admin", Role: "admin"}

func withOutbox(t *testing.T, s *store.Store) {
	t.Helper()
	c, err := notify.NewComposer("https://grants.example.org")
	if err != nil {
		t.Fatal(err)
	}
	s.Outbox = c.Outbox("")
}

// A round's budget caps what its awards commit, every year together, even when approvals race:
// of ten £300 commitments against a £1,000 round budget exactly three get through, though the
// scheme's own budget would take them all.
func TestRoundBudgetCapsConcurrentCommitments(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	schemeID, apps := seedApplications(t, s, 10, money.Pounds(100000))
	app, err := s.Application(ctx, apps[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.ExecContext(ctx, `UPDATE rounds SET budget_pence = $2 WHERE id = $1`, app.RoundID, money.Pounds(1000)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBudget(ctx, schemeID, 2027, money.Pounds(100000)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed, refused := 0, 0
	for _, id := range apps {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			err := s.CommitBudget(ctx, id, schemeID, []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(150)}, {FinancialYear: 2027, Amount: money.Pounds(150)}}, time.Now())
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				committed++
			case errors.Is(err, store.ErrBudgetExceeded) && strings.Contains(err.Error(), `the round "R1" has a budget of £1,000.00`):
				refused++
			default:
				t.Errorf("commit %d: %v", id, err)
			}
		}(id)
	}
	wg.Wait()
	got, err := s.RoundCommitted(ctx, app.RoundID)
	if err != nil {
		t.Fatal(err)
	}
	if committed != 3 || refused != 7 || got != money.Pounds(900) {
		t.Fatalf("committed %d (%s), refused %d; want 3 (£900.00) and 7 under a £1,000.00 round budget", committed, got, refused)
	}
}

// The round cap, without the race: the fourth £300 award does not fit, a smaller one does, and
// releasing one makes room again.
func TestRoundBudgetRefusesWhatDoesNotFit(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	schemeID, apps := seedApplications(t, s, 5, money.Pounds(100000))
	app, _ := s.Application(ctx, apps[0])
	if _, err := s.DB.ExecContext(ctx, `UPDATE rounds SET budget_pence = $2 WHERE id = $1`, app.RoundID, money.Pounds(1000)); err != nil {
		t.Fatal(err)
	}
	commit := func(id int64, p money.Pence) error {
		return s.CommitBudget(ctx, id, schemeID, []grant.YearAmount{{FinancialYear: 2026, Amount: p}}, time.Now())
	}
	for _, id := range apps[:3] {
		if err := commit(id, money.Pounds(300)); err != nil {
			t.Fatal(err)
		}
	}
	if err := commit(apps[3], money.Pounds(300)); !errors.Is(err, store.ErrBudgetExceeded) {
		t.Fatalf("fourth award: %v", err)
	}
	if err := commit(apps[3], money.Pounds(100)); err != nil {
		t.Fatalf("£100 fits: %v", err)
	}
	if err := commit(apps[0], money.Pounds(300)); err != nil { // again: no growth, never refused
		t.Fatal(err)
	}
	if err := s.ReleaseBudget(ctx, apps[0], time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := commit(apps[4], money.Pounds(300)); err != nil {
		t.Fatalf("after a release: %v", err)
	}
}

// Setting and adjusting a year's budget keeps every change (before, after, who, why) with an admin
// event in the same act; a budget below what is committed is refused and changes nothing.
func TestChangeBudgetKeepsHistoryAndNeverGoesBelowCommitted(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	schemeID, apps := seedApplications(t, s, 1, money.Pounds(5000))
	at := time.Date(2026, time.October, 25, 1, 30, 0, 0, time.UTC)
	if err := s.CommitBudget(ctx, apps[0], schemeID, []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(4000)}}, at); err != nil {
		t.Fatal(err)
	}
	ch, err := s.ChangeBudget(ctx, schemeID, 2026, money.Pounds(8000), "Extra from reserves", admin, at)
	if err != nil || ch.Before == nil || *ch.Before != money.Pounds(5000) || ch.After != money.Pounds(8000) {
		t.Fatalf("adjust: %+v %v", ch, err)
	}
	if _, err := s.ChangeBudget(ctx, schemeID, 2026, money.Pounds(3999), "Cut", admin, at.Add(time.Minute)); !errors.Is(err, store.ErrBelowCommitted) ||
		!strings.Contains(err.Error(), "£4,000.00 is committed in 2026-27") {
		t.Fatalf("below committed: %v", err)
	}
	if _, err := s.ChangeBudget(ctx, schemeID, 2028, money.Pounds(100), "New year", admin, at.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Budget(ctx, schemeID, 2026)
	if b.BudgetPence != money.Pounds(8000) {
		t.Fatalf("budget %s after a refused cut", b.BudgetPence)
	}
	changes, err := s.BudgetChanges(ctx, schemeID)
	if err != nil || len(changes) != 2 || changes[0].FinancialYear != 2028 || changes[0].Before != nil || changes[1].Reason != "Extra from reserves" ||
		changes[1].ActorName != "Ada Admin" || changes[1].Committed != money.Pounds(4000) {
		t.Fatalf("changes: %+v %v", changes, err)
	}
	events, err := s.AdminEvents(ctx, store.AdminEventFilter{Action: "budget."})
	if err != nil || len(events) != 2 || events[1].Action != "budget.adjusted" || events[0].Action != "budget.set" || events[1].Why != "Extra from reserves" {
		t.Fatalf("events: %+v %v", events, err)
	}
}

// Creating, closing early and extending a round each record an admin event; an early close of a
// round not yet open, and any move of a closed one, are refused and leave it as it was.
func TestRoundActsAreAuditedAndRefusedOutOfTurn(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	sc, err := s.UpsertScheme(ctx, store.Scheme{Slug: "gcf", Name: "Grassroots Community Fund", Rules: testRules()})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, time.October, 1, 12, 0, 0, 0, time.UTC)
	started := 0
	r, err := s.CreateRound(ctx, store.Round{SchemeID: sc.ID, Name: "Autumn", OpensAt: now.Add(time.Hour), ClosesAt: now.AddDate(0, 0, 25)}, admin, now,
		func(store.Round) error { started++; return nil })
	if err != nil || started != 1 || r.WorkflowID == nil || *r.WorkflowID != store.RoundWorkflowID(r.ID) {
		t.Fatalf("create: %+v %v", r, err)
	}
	if _, err := s.CreateRound(ctx, store.Round{SchemeID: sc.ID, Name: "autumn", OpensAt: now, ClosesAt: now.Add(time.Hour)}, admin, now, nil); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("same name: %v", err)
	}
	if _, err := s.MoveRoundClose(ctx, r.ID, now, true, "spent", admin, now, nil); !errors.Is(err, store.ErrRoundNotOpen) {
		t.Fatalf("early close before opening: %v", err)
	}
	failing := errors.New("timer refused")
	if _, err := s.MoveRoundClose(ctx, r.ID, now.AddDate(0, 1, 0), false, "x", admin, now, func(store.Round) error { return failing }); !errors.Is(err, failing) {
		t.Fatalf("a refused timer move: %v", err)
	}
	if got, _ := s.Round(ctx, r.ID); !got.ClosesAt.Equal(r.ClosesAt) {
		t.Fatalf("a refused move changed the round: %s", got.ClosesAt)
	}
	later := r.ClosesAt.AddDate(0, 0, 7)
	if _, err := s.MoveRoundClose(ctx, r.ID, later, false, "Few applications", admin, now.Add(2*time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	closeAt := now.Add(3 * time.Hour)
	got, err := s.MoveRoundClose(ctx, r.ID, closeAt, true, "Budget spent", admin, closeAt, nil)
	if err != nil || !got.ClosedEarly || got.CloseReason != "Budget spent" || !got.ClosesAt.Equal(closeAt) || got.State(closeAt) != store.RoundClosed {
		t.Fatalf("early close: %+v %v", got, err)
	}
	if _, err := s.MoveRoundClose(ctx, r.ID, later, false, "again", admin, closeAt.Add(time.Minute), nil); !errors.Is(err, store.ErrRoundClosed) {
		t.Fatalf("extend a closed round: %v", err)
	}
	events, err := s.AdminEvents(ctx, store.AdminEventFilter{SubjectKind: "round", SubjectID: r.ID})
	if err != nil || len(events) != 3 || events[0].Action != "round.closed_early" || events[0].Why != "Budget spent" ||
		events[1].Action != "round.extended" || events[2].Action != "round.opened" {
		t.Fatalf("events: %+v %v", events, err)
	}
}

// Locking a round's drafts stops their change and submission (a submitted application is
// untouched), tells each organisation once, and subscribers are told of opening and closing once.
func TestLockAndRoundNotices(t *testing.T) {
	s := storetest.New(t)
	withOutbox(t, s)
	ctx := context.Background()
	_, apps := seedApplications(t, s, 2, money.Pounds(5000))
	app, _ := s.Application(ctx, apps[0])
	sub, err := s.CreateUser(ctx, store.NewUser{Email: "Sub@Example.org", Name: "Sam Subscriber", Role: scheme.RoleApplicant, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Subscribe(ctx, sub.ID, app.SchemeID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Subscribe(ctx, sub.ID, app.SchemeID, time.Now()); err != nil { // again: no change
		t.Fatal(err)
	}
	// An extension tells the subscribers the new closing time, once however often it is sent.
	extended := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	for range 2 {
		if _, err := s.MoveRoundClose(ctx, app.RoundID, extended, false, "More time", store.SystemActor("test"), time.Now(), nil); err != nil {
			t.Fatal(err)
		}
	}
	submitter := store.User{ID: app.CreatedBy, Name: "A", Role: scheme.RoleApplicant}
	if err := s.SubmitDraft(ctx, apps[1], "application-x", submitter, time.Now(), testRules(), []byte(`{}`), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		told, err := s.TellRoundSubscribers(ctx, app.RoundID, store.KindRoundClosed, time.Now())
		if err != nil || told != 1-i {
			t.Fatalf("tell %d: told %d, %v", i, told, err)
		}
	}
	for i := 0; i < 2; i++ {
		n, err := s.LockRoundDrafts(ctx, app.RoundID, time.Now())
		if err != nil || n != 1-i {
			t.Fatalf("lock %d: locked %d, %v", i, n, err)
		}
	}
	if err := s.UpdateDraft(ctx, apps[0], store.Draft{SchemeID: app.SchemeID, RoundID: app.RoundID, Title: "Changed"}); !errors.Is(err, store.ErrDraftLocked) {
		t.Fatalf("change a locked draft: %v", err)
	}
	if err := s.SubmitDraft(ctx, apps[0], "application-y", submitter, time.Now(), testRules(), []byte(`{}`), func() error { return nil }); !errors.Is(err, store.ErrDraftLocked) {
		t.Fatalf("submit a locked draft: %v", err)
	}
	if got, _ := s.Application(ctx, apps[1]); got.Status != "submitted" || got.DraftLockedAt != nil {
		t.Fatalf("the submitted application was touched: %+v", got)
	}
	msgs, err := s.MessageStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range msgs {
		if strings.HasPrefix(m.NotificationKey, "round/") {
			keys = append(keys, m.NotificationKey+" "+m.Address)
		}
	}
	// No grace period: the draft's organisation is told once, that it is locked, not also that it closed.
	want := []string{fmt.Sprintf("round/1/extended/%d sub@example.org", extended.Unix()), "round/1/round_closed sub@example.org", "round/1/locked/application/1 a@example.org"}
	if strings.Join(keys, "|") != strings.Join(want, "|") {
		t.Fatalf("messages %q, want %q", keys, want)
	}
	inbox, err := s.Inbox(ctx, sub.ID, 10)
	if err != nil || len(inbox) != 2 || !strings.Contains(inbox[0].Subject, "Funding round closed: R1 of Grassroots Community Fund") ||
		!strings.Contains(inbox[1].Message, "(it was to close at ") {
		t.Fatalf("subscriber's inbox: %+v %v", inbox, err)
	}
}
