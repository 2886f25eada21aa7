package reporting_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"

	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// seeder makes awards of the demo schemes as the workflows' activities leave them, and remembers
// what it made (the spec), so the tests can add up what the figures should be on their own.
type seeder struct {
	t                 *testing.T
	st                *store.Store
	org, applicant    int64
	officer           int64
	finance, finance2 int64
	schemeOf          map[string][2]int64 // slug → scheme id, round id
	events            int
	awards            []*spec
}

// spec is one seeded award and everything that happened to it.
type spec struct {
	app        int64
	award      store.Award
	kind       scheme.Kind
	schemeID   int64
	decided    time.Time
	lapsed     bool
	priorities []string
	areas      []string
	wards      []string
	committed  map[int]money.Pence // by financial year, as the award now stands
	released   []moneyAt           // when money was released to be paid
	paid       []moneyOn           // payments by London day
}

type moneyAt struct {
	at     time.Time
	amount money.Pence
}

type moneyOn struct {
	day    string // YYYY-MM-DD
	amount money.Pence
}

func newSeeder(t *testing.T, st *store.Store) *seeder {
	t.Helper()
	ctx := context.Background()
	if err := demo.Seed(ctx, st, time.Date(2026, 5, 1, 12, 0, 0, 0, scheme.London)); err != nil {
		t.Fatal(err)
	}
	user := func(email string) store.User {
		u, err := st.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(email, err)
		}
		return u
	}
	applicant := user("applicant@riverside-youth.example.org")
	s := &seeder{t: t, st: st, org: applicant.Organisations[0], applicant: applicant.ID, officer: user("officer@opcc.example.org").ID,
		finance: user("finance@opcc.example.org").ID, finance2: user("finance2@opcc.example.org").ID, schemeOf: map[string][2]int64{}}
	list, err := st.Schemes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range list {
		rounds, err := st.Rounds(ctx, sc.ID)
		if err != nil || len(rounds) == 0 {
			t.Fatal(rounds, err)
		}
		s.schemeOf[string(sc.Rules.Kind)] = [2]int64{sc.ID, rounds[0].ID}
	}
	return s
}

func (s *seeder) event(app int64, at time.Time, status string) store.Event {
	s.events++
	return store.Event{Application: app, Key: fmt.Sprintf("performance-test-%d", s.events), At: at, ActorName: "Test", ActorRole: "system", What: status, Status: status}
}

// awardOf makes an application of the kind with its award decided at decided (and its service,
// for a service award), accepted a day later unless accepted is false.
func (s *seeder) awardOf(kind scheme.Kind, title string, amount money.Pence, decided time.Time, priorities, areas, wards []string, service *grant.ServiceDetails) *spec {
	s.t.Helper()
	ctx := context.Background()
	ids := s.schemeOf[string(kind)]
	id, err := s.st.CreateDraft(ctx, s.org, s.applicant, store.Draft{SchemeID: ids[0], RoundID: ids[1], Title: title, Areas: areas, Priorities: priorities})
	if err != nil {
		s.t.Fatal(err)
	}
	if service != nil {
		if err := s.st.SaveServiceDetails(ctx, id, *service); err != nil {
			s.t.Fatal(err)
		}
	}
	// After the service's details, which keep their own wards in the column: these are the test's.
	if _, err := s.st.DB.ExecContext(ctx, `UPDATE applications SET wards = coalesce($2::text[], '{}') WHERE id = $1`, id, pq.StringArray(wards)); err != nil {
		s.t.Fatal(err)
	}
	aw, err := s.st.CreateAward(ctx, store.Award{ApplicationID: id, Reference: fmt.Sprintf("P-%d", id), Amount: amount, Purpose: "Purpose",
		Conditions: json.RawMessage("[]"), Reasons: "Reasons", ApprovedBy: s.officer, ApprovedRole: "officer", DelegationBand: "officer",
		RulesVersion: 1, DecidedAt: decided, AcceptBy: decided.AddDate(0, 0, 28)}, s.event(id, decided, "approved"))
	if err != nil {
		s.t.Fatal(err)
	}
	sp := &spec{app: id, award: aw, kind: kind, schemeID: ids[0], decided: decided, priorities: priorities, areas: areas, wards: wards,
		committed: map[int]money.Pence{}}
	if kind == scheme.Grassroots {
		sp.committed[scheme.FinancialYear(decided)] = amount
	}
	s.awards = append(s.awards, sp)
	return sp
}

func (s *seeder) accept(sp *spec, at time.Time) {
	s.t.Helper()
	if err := s.st.SetAwardStatus(context.Background(), sp.app, "accepted", &s.applicant, s.event(sp.app, at, "accepted")); err != nil {
		s.t.Fatal(err)
	}
}

func (s *seeder) lapse(sp *spec, at time.Time) {
	s.t.Helper()
	if err := s.st.SetAwardStatus(context.Background(), sp.app, "lapsed", nil, s.event(sp.app, at, "lapsed")); err != nil {
		s.t.Fatal(err)
	}
	sp.lapsed = true
}

// years sets a service award's amounts per year and schedules its tranches: a quarter each of
// each year, due on the first day of each quarter.
func (s *seeder) years(sp *spec, years ...grant.YearAmount) {
	s.t.Helper()
	ctx := context.Background()
	if err := s.st.SetAwardYears(ctx, sp.award.ID, years); err != nil {
		s.t.Fatal(err)
	}
	var plan []grant.Tranche
	for _, y := range years {
		sp.committed[y.FinancialYear] = y.Amount
		for q := 1; q <= 4; q++ {
			start := time.Date(y.FinancialYear, time.Month(3*q+1), 1, 0, 0, 0, 0, time.UTC) // month 13 is January next year
			plan = append(plan, grant.Tranche{No: len(plan) + 1, FinancialYear: y.FinancialYear, Quarter: q, DueOn: start, Amount: y.Amount / 4, Status: "scheduled"})
		}
	}
	if err := s.st.ScheduleTranches(ctx, sp.award.ID, plan); err != nil {
		s.t.Fatal(err)
	}
}

func (s *seeder) release(sp *spec, no int, at time.Time) {
	s.t.Helper()
	ctx := context.Background()
	ts, err := s.st.Tranches(ctx, sp.award.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	amount := ts[no-1].Amount
	ref := fmt.Sprintf("%s-T%02d", sp.award.Reference, no)
	if _, err := s.st.ReleaseTranche(ctx, sp.award.ID, no, store.FinanceNotice{Reference: ref, Payee: "Riverside Youth Project", Amount: amount,
		Schedule: json.RawMessage("[]"), CostCentre: "CC", CreatedAt: at},
		store.Document{ApplicationID: sp.app, Kind: "payment_notice", Version: no, Filename: ref + ".pdf", Content: []byte("%PDF-1.3 " + ref)},
		s.event(sp.app, at, "active")); err != nil {
		s.t.Fatal(err)
	}
	sp.released = append(sp.released, moneyAt{at: at, amount: amount})
}

func (s *seeder) hold(sp *spec, no int, reason string, at time.Time) {
	s.t.Helper()
	if err := s.st.HoldTranche(context.Background(), sp.award.ID, no, reason, s.event(sp.app, at, "active")); err != nil {
		s.t.Fatal(err)
	}
}

func (s *seeder) payTranche(sp *spec, no int, day string) {
	s.t.Helper()
	ctx := context.Background()
	ts, err := s.st.Tranches(ctx, sp.award.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	on, _ := time.Parse(time.DateOnly, day)
	if _, err := s.st.RecordTranchePayment(ctx, store.Payment{AwardID: sp.award.ID, Tranche: no, Amount: ts[no-1].Amount, PaidOn: on,
		Reference: "BACS", RecordedBy: s.finance, RecordedAt: on.Add(12 * time.Hour)}, sp.app, s.event(sp.app, on.Add(12*time.Hour), "active")); err != nil {
		s.t.Fatal(err)
	}
	sp.paid = append(sp.paid, moneyOn{day: day, amount: ts[no-1].Amount})
}

// approveGrant has finance propose and (another member) approve a one-off grant's payment at at.
func (s *seeder) approveGrant(sp *spec, at time.Time) {
	s.t.Helper()
	ctx := context.Background()
	if err := s.st.ProposePayment(ctx, sp.award.ID, 1, s.finance, at.Add(-time.Hour), s.event(sp.app, at.Add(-time.Hour), "accepted")); err != nil {
		s.t.Fatal(err)
	}
	if err := s.st.ApprovePayment(ctx, sp.award.ID, 1, s.finance2, at, s.event(sp.app, at, "accepted")); err != nil {
		s.t.Fatal(err)
	}
	sp.released = append(sp.released, moneyAt{at: at, amount: sp.award.Amount})
}

func (s *seeder) payGrant(sp *spec, day string) {
	s.t.Helper()
	on, _ := time.Parse(time.DateOnly, day)
	if _, err := s.st.RecordPayment(context.Background(), store.Payment{AwardID: sp.award.ID, Tranche: 1, Amount: sp.award.Amount, PaidOn: on,
		Reference: "BACS", RecordedBy: s.finance, RecordedAt: on.Add(12 * time.Hour), ProposedBy: &s.finance, ApprovedBy: &s.finance2},
		sp.app, s.event(sp.app, on.Add(12*time.Hour), "paid")); err != nil {
		s.t.Fatal(err)
	}
	sp.paid = append(sp.paid, moneyOn{day: day, amount: sp.award.Amount})
}

// terminate ends a service award early at what it had released, by year.
func (s *seeder) terminate(sp *spec, at time.Time, kept ...grant.YearAmount) {
	s.t.Helper()
	if err := s.st.CloseAward(context.Background(), sp.app, sp.schemeID, kept, nil, true, "The service stopped", s.event(sp.app, at, "terminated")); err != nil {
		s.t.Fatal(err)
	}
	for fy := range sp.committed {
		sp.committed[fy] = 0
	}
	for _, y := range kept {
		sp.committed[y.FinancialYear] = y.Amount
	}
}

// count is one count of beneficiaries as returns and reports give them.
type count struct {
	Area    string `json:"area"`
	Ward    string `json:"ward,omitempty"`
	AgeBand string `json:"age_band"`
	Count   int    `json:"count"`
}

// returnOf records a version of a quarter's return with its indicators and beneficiaries, and its
// review (outcome "" leaves it unreviewed).
func (s *seeder) returnOf(sp *spec, fy, q, version int, at time.Time, indicators map[string]int64, people []count, outcome, rag string) {
	s.t.Helper()
	ctx := context.Background()
	type actual struct {
		Key    string `json:"key"`
		Actual int64  `json:"actual"`
	}
	content := struct {
		Indicators    []actual `json:"indicators"`
		Beneficiaries []count  `json:"beneficiaries"`
		Narrative     string   `json:"narrative"`
	}{Beneficiaries: people, Narrative: "Steady."}
	for k, v := range indicators {
		content.Indicators = append(content.Indicators, actual{Key: k, Actual: v})
	}
	raw, _ := json.Marshal(content)
	if err := s.st.SaveReturn(ctx, store.MonitoringReturn{ApplicationID: sp.app, FinancialYear: fy, Quarter: q, Version: version, Content: raw,
		SubmittedBy: s.applicant, SubmittedAt: at}, s.event(sp.app, at, "active")); err != nil {
		s.t.Fatal(err)
	}
	if outcome != "" {
		if err := s.st.ReviewReturn(ctx, sp.app, fy, q, version, outcome, rag, "Reviewed", s.officer, s.event(sp.app, at.Add(24*time.Hour), "active")); err != nil {
			s.t.Fatal(err)
		}
	}
}

// report records a one-off grant's end-of-grant report with who it reached, reviewed at at.
func (s *seeder) report(sp *spec, at time.Time, spent money.Pence, outcomes string, people []count, outcome string) {
	s.t.Helper()
	ctx := context.Background()
	if err := s.st.SaveGrantReport(ctx, store.GrantReport{ApplicationID: sp.app, Version: 1, Summary: "Done", Outcomes: outcomes, Spent: spent,
		SubmittedBy: s.applicant, SubmittedAt: at.Add(-48 * time.Hour)}, s.event(sp.app, at.Add(-48*time.Hour), "report_submitted")); err != nil {
		s.t.Fatal(err)
	}
	raw, _ := json.Marshal(people)
	if _, err := s.st.DB.ExecContext(ctx, `UPDATE grant_reports SET beneficiaries = $2 WHERE application_id = $1`, sp.app, raw); err != nil {
		s.t.Fatal(err)
	}
	if err := s.st.ReviewGrantReport(ctx, sp.app, 1, outcome, "Thank you", s.officer, s.event(sp.app, at, "closed")); err != nil {
		s.t.Fatal(err)
	}
}
