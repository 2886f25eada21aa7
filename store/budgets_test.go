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
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

func testRules() scheme.Rules {
	return scheme.Rules{
		Kind: scheme.Grassroots, Code: "GCF", MinAmount: money.Pounds(500), MaxAmount: money.Pounds(5000),
		MaxDurationMonths: 12, OrganisationTypes: []string{scheme.OrgCommunityGroup}, Areas: []string{"Leicester"},
		Priorities:     []string{"Victim Services"},
		Criteria:       []scheme.Criterion{{Key: "fit", Name: "Fit", Weight: 100}},
		Delegation:     []scheme.Band{{Role: scheme.RoleOfficer, Title: "Commissioning officer"}},
		AcceptanceDays: 28, ReportDueMonths: 3,
	}
}

// seedApplications makes a scheme with a budget and n submitted applications to approve.
func seedApplications(t *testing.T, s *store.Store, n int, budget money.Pence) (schemeID int64, apps []int64) {
	t.Helper()
	ctx := context.Background()
	sc, err := s.UpsertScheme(ctx, store.Scheme{Slug: "gcf", Name: "Grassroots Community Fund", Rules: testRules()})
	if err != nil {
		t.Fatal(err)
	}
	round, err := s.AddRound(ctx, store.Round{SchemeID: sc.ID, Name: "R1", OpensAt: time.Now().Add(-time.Hour), ClosesAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetBudget(ctx, sc.ID, 2026, budget); err != nil {
		t.Fatal(err)
	}
	org, user, err := s.CreateOrganisationWithUser(ctx, store.Organisation{Name: "Test Group", Type: scheme.OrgCommunityGroup},
		store.NewUser{Email: "a@example.org", Name: "A", Role: scheme.RoleApplicant, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		id, err := s.CreateDraft(ctx, org.ID, user.ID, store.Draft{SchemeID: sc.ID, RoundID: round.ID, Title: fmt.Sprint("App ", i)})
		if err != nil {
			t.Fatal(err)
		}
		apps = append(apps, id)
	}
	return sc.ID, apps
}

func TestConcurrentApprovalsNeverOvercommit(t *testing.T) {
	s := storetest.New(t)
	schemeID, apps := seedApplications(t, s, 50, money.Pounds(5000)*20)

	var wg sync.WaitGroup
	var mu sync.Mutex
	committed, refused := 0, 0
	start := make(chan struct{})
	for _, id := range apps {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			<-start
			err := s.CommitBudget(context.Background(), id, schemeID, []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(5000)}}, time.Now())
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				committed++
			case errors.Is(err, store.ErrBudgetExceeded):
				refused++
			default:
				t.Errorf("commit %d: %v", id, err)
			}
		}(id)
	}
	close(start)
	wg.Wait()

	if committed != 20 || refused != 30 {
		t.Fatalf("committed %d and refused %d; want exactly 20 and 30", committed, refused)
	}
	b, err := s.Budget(context.Background(), schemeID, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if b.CommittedPence != b.BudgetPence {
		t.Fatalf("committed %s of %s; want the whole budget", b.CommittedPence, b.BudgetPence)
	}
}

func TestCommitIsIdempotentAndReleaseReturnsBudget(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	schemeID, apps := seedApplications(t, s, 2, money.Pounds(6000))
	commit := func(id int64) error {
		return s.CommitBudget(ctx, id, schemeID, []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(4000)}}, time.Now())
	}
	for i := 0; i < 3; i++ { // a retried activity commits once
		if err := commit(apps[0]); err != nil {
			t.Fatalf("commit attempt %d: %v", i, err)
		}
	}
	err := commit(apps[1])
	if !errors.Is(err, store.ErrBudgetExceeded) {
		t.Fatalf("second award should not fit: %v", err)
	}
	if want := "2026-27 needs £4,000.00 but only £2,000.00 is left"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q should say %q", err, want)
	}
	for i := 0; i < 2; i++ {
		if err := s.ReleaseBudget(ctx, apps[0], time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := s.Budget(ctx, schemeID, 2026); b.CommittedPence != 0 {
		t.Fatalf("after release committed = %s, want £0.00", b.CommittedPence)
	}
	if err := commit(apps[1]); err != nil {
		t.Fatalf("released budget should now cover the second award: %v", err)
	}
	err = s.CommitBudget(ctx, apps[0], schemeID, []grant.YearAmount{{FinancialYear: 2031, Amount: 100}}, time.Now())
	if !errors.Is(err, store.ErrBudgetExceeded) || !strings.Contains(err.Error(), "no budget for 2031-32") {
		t.Fatalf("a year without a budget must be refused clearly, got %v", err)
	}
}

// Sixty multi-year approvals race for budgets that fit sixteen in the tightest year: exactly sixteen
// are approved, each commits all three years or none, and no year goes over its budget.
func TestConcurrentMultiYearApprovalsCommitAllYearsOrNone(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	schemeID, apps := seedApplications(t, s, 60, money.Pounds(1_000_000)) // 2026-27
	for fy, budget := range map[int]money.Pence{2027: money.Pounds(800_000), 2028: money.Pounds(1_000_000)} {
		if err := s.SetBudget(ctx, schemeID, fy, budget); err != nil {
			t.Fatal(err)
		}
	}
	perYear := money.Pounds(50_000)
	years := []grant.YearAmount{{FinancialYear: 2028, Amount: perYear}, {FinancialYear: 2026, Amount: perYear}, {FinancialYear: 2027, Amount: perYear}}

	var wg sync.WaitGroup
	var mu sync.Mutex
	var approved []int64
	start := make(chan struct{})
	for _, id := range apps {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			<-start
			err := s.CommitBudget(ctx, id, schemeID, years, time.Now())
			if err != nil && !errors.Is(err, store.ErrBudgetExceeded) {
				t.Errorf("commit %d: %v", id, err)
			}
			if err == nil {
				mu.Lock()
				approved = append(approved, id)
				mu.Unlock()
			}
		}(id)
	}
	close(start)
	wg.Wait()

	if len(approved) != 16 {
		t.Fatalf("%d approvals went through; exactly 16 fit 2027-28's £800,000.00", len(approved))
	}
	for fy, budget := range map[int]money.Pence{2026: money.Pounds(1_000_000), 2027: money.Pounds(800_000), 2028: money.Pounds(1_000_000)} {
		b, err := s.Budget(ctx, schemeID, fy)
		if err != nil {
			t.Fatal(err)
		}
		if b.CommittedPence != perYear*16 || b.CommittedPence > budget {
			t.Errorf("%d-%d committed %s of %s; want 16 × %s", fy, fy%100+1, b.CommittedPence, b.BudgetPence, perYear)
		}
	}
	for _, id := range approved {
		c, err := s.Commitments(ctx, id)
		if err != nil || len(c) != 3 {
			t.Errorf("approved application %d has commitments %v (%v); want all three years", id, c, err)
		}
	}
	for _, id := range apps {
		c, _ := s.Commitments(ctx, id)
		if len(c) != 0 && len(c) != 3 {
			t.Errorf("application %d is part-committed: %v", id, c)
		}
	}
}
