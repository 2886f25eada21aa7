package activities_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/internal/pdftext"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// Retry tests for the commissioned-services activities: the panel, the decision pack and record,
// the multi-year award and its tranches, monitoring returns, variations and the award's ending.
// Each runs one activity execution twice, as Temporal does when the first attempt's result was
// lost, and checks what an officer, the provider or finance would see.

const (
	yearAmount    = money.Pence(4000000) // £40,000.00 in each of two financial years
	trancheAmount = yearAmount / 4       // paid quarterly
	serviceName   = "Harbour Lane detached youth work"
	headBand      = "Head of commissioning" // the demo band that approves £80,000.00
)

// serviceFixture is the demo data with one service application asking for £40,000.00 a year for
// two years, and the staff who act on it.
type serviceFixture struct {
	*fixture
	head, assessor, finance grant.Actor
}

func newServiceFixture(t *testing.T) *serviceFixture {
	t.Helper()
	f := &serviceFixture{fixture: newSchemeFixture(t, "commissioned-services")}
	f.appID = f.newServiceApplication(t)
	f.workflowID = fmt.Sprintf("grant-application-%d", f.appID)
	f.head = f.actor(t, "head@opcc.example.org")
	f.assessor = f.actor(t, "assessor@opcc.example.org")
	f.finance = f.actor(t, "finance@opcc.example.org")
	return f
}

func (f *serviceFixture) years() []grant.YearAmount {
	return []grant.YearAmount{{FinancialYear: f.fy, Amount: yearAmount}, {FinancialYear: f.fy + 1, Amount: yearAmount}}
}

func (f *serviceFixture) newServiceApplication(t *testing.T) int64 {
	t.Helper()
	id := f.newApplication(t, 2*yearAmount)
	details := grant.ServiceDetails{Service: serviceName, Description: "Youth workers on the streets of Loughborough on weekend evenings.",
		Wards: []string{"Loughborough Lemyngton"}, Years: f.years(),
		Outcomes: []grant.Outcome{{Outcome: "Fewer young people drawn into exploitation",
			Indicators: []grant.Indicator{{Key: "engaged", Name: "Young people engaged", Unit: "people", QuarterlyTarget: 40}}}},
		Safeguarding: grant.Safeguarding{PolicyReviewedOn: "2026-01-10", Lead: "Sam Example", DBSChecks: true},
		Governance:   grant.Governance{Trustees: 5, LatestAccountsYear: "2025"}}
	if err := f.st.SaveServiceDetails(f.ctx, id, details); err != nil {
		t.Fatal(err)
	}
	return id
}

// quarterStart is the first moment of a financial year's quarter in London.
func quarterStart(fy, q int) time.Time {
	return time.Date(fy, time.April, 1, 0, 0, 0, 0, scheme.London).AddDate(0, 3*(q-1), 0)
}

func quarterLabel(fy, q int) string { return fmt.Sprintf("Q%d %s", q, scheme.FinancialYearLabel(fy)) }

// schedule is the tranches as the workflow plans them: each year's amount in four, due on the first
// day of each quarter, numbered from the first quarter of the first year.
func schedule(years []grant.YearAmount) []grant.Tranche {
	var out []grant.Tranche
	for _, y := range years {
		for q := 1; q <= 4; q++ {
			due := quarterStart(y.FinancialYear, q)
			out = append(out, grant.Tranche{No: (y.FinancialYear-years[0].FinancialYear)*4 + q, FinancialYear: y.FinancialYear, Quarter: q,
				DueOn: time.Date(due.Year(), due.Month(), due.Day(), 0, 0, 0, 0, time.UTC), Amount: y.Amount / 4, Status: "scheduled"})
		}
	}
	return out
}

func (f *serviceFixture) serviceAwardInput() activities.CreateServiceAwardInput {
	return activities.CreateServiceAwardInput{
		Award: activities.CreateAwardInput{
			Step:      f.stepBy(f.head, "Approved: £80,000.00 over 2 years", "Strong panel scores on need and deliverability.", "approved"),
			Reference: activities.AwardReference(f.scheme.Rules.Code, f.fy, f.appID), Amount: 2 * yearAmount,
			Purpose:    "Detached youth work in Loughborough on weekend evenings.",
			Conditions: []string{"Send a monitoring return each quarter."}, Reasons: "Strong panel scores on need and deliverability.",
			DelegationBand: headBand, RulesVersion: f.scheme.Rules.Version, AcceptBy: f.now.AddDate(0, 0, 28),
		},
		Years: f.years(), ConditionsPrecedent: []string{"Send us your safeguarding policy."}, Tranches: schedule(f.years()),
	}
}

// serviceAward commits the budget and makes the award, as the workflow's approval does.
func (f *serviceFixture) serviceAward(t *testing.T) activities.AwardResult {
	t.Helper()
	once(t, f.exec("commit"), f.awards, f.awards.CommitBudget, activities.CommitBudgetInput{ApplicationID: f.appID, SchemeID: f.scheme.ID, Years: f.years(), At: f.now})
	return result[activities.AwardResult](t, once(t, f.exec("approve"), f.awards, f.awards.CreateServiceAward, f.serviceAwardInput()))
}

func (f *serviceFixture) releaseInput(award activities.AwardResult, no int) activities.ReleaseTrancheInput {
	tr := schedule(f.years())[no-1]
	basis := "conditions precedent met"
	return activities.ReleaseTrancheInput{
		Step:    f.stepBy(grant.System, fmt.Sprintf("Tranche %d released: %s payment notice sent to finance", no, tr.Amount), basis, "active"),
		AwardID: award.AwardID, Tranche: no, Quarter: quarterLabel(tr.FinancialYear, tr.Quarter), Due: quarterStart(tr.FinancialYear, tr.Quarter),
		Amount: tr.Amount, Basis: basis,
	}
}

func (f *serviceFixture) paymentInput(award activities.AwardResult, no int) activities.RecordPaymentInput {
	return activities.RecordPaymentInput{Step: f.stepBy(f.finance, fmt.Sprintf("Tranche %d paid: %s", no, trancheAmount), "", "active"),
		AwardID: award.AwardID, Tranche: no, Amount: trancheAmount, PaidOn: time.Date(2026, time.July, 2, 0, 0, 0, 0, time.UTC),
		Reference: fmt.Sprintf("BACS-%06d", no)}
}

// payFirstTranche releases tranche 1 and records finance paying it.
func (f *serviceFixture) payFirstTranche(t *testing.T, award activities.AwardResult) {
	t.Helper()
	once(t, f.exec("release-1"), f.documents, f.documents.IssuePaymentNotice, f.releaseInput(award, 1))
	once(t, f.exec("payment-1"), f.awards, f.awards.RecordTranchePayment, f.paymentInput(award, 1))
}

func (f *serviceFixture) agreementInput(version int, years []grant.YearAmount, variation string) activities.AgreementInput {
	in := activities.AgreementInput{Step: f.stepBy(f.head, "Award letter and grant agreement issued", fmt.Sprintf("version %d", version), "approved"),
		Version: version, Variation: variation}
	for _, tr := range schedule(years) {
		in.Tranches = append(in.Tranches, activities.ScheduledPayment{No: tr.No, Quarter: quarterLabel(tr.FinancialYear, tr.Quarter),
			Due: quarterStart(tr.FinancialYear, tr.Quarter), Amount: tr.Amount})
		in.Returns = append(in.Returns, activities.ScheduledReturn{Quarter: quarterLabel(tr.FinancialYear, tr.Quarter),
			Due: quarterStart(tr.FinancialYear, tr.Quarter).AddDate(0, 4, 0)})
	}
	return in
}

func (f *serviceFixture) varyInput(award activities.AwardResult, years []grant.YearAmount) activities.VaryInput {
	return activities.VaryInput{Step: f.stepBy(f.head, "Award varied (version 2)", "A second youth worker from the autumn.", "active"),
		SchemeID: f.scheme.ID, AwardID: award.AwardID, Version: 2, Summary: "A second youth worker from the autumn.", Years: years,
		Conditions: []string{"Send a monitoring return each quarter.", "Report the second worker's start date."}, DelegationBand: headBand,
		RulesVersion: f.scheme.Rules.Version, Tranches: schedule(years)}
}

// schemeYear is the scheme's budget line for a financial year as the budget page shows it.
func (f *fixture) schemeYear(t *testing.T, fy int) store.SchemeYear {
	t.Helper()
	list, err := f.st.SchemeYears(f.ctx, f.scheme.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range list {
		if y.FinancialYear == fy {
			return y
		}
	}
	t.Fatalf("no budget line for %d in %+v", fy, list)
	return store.SchemeYear{}
}

func (f *fixture) awardRow(t *testing.T) store.Award {
	t.Helper()
	a, err := f.st.AwardForApplication(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) tranches(t *testing.T, awardID int64) []store.Tranche {
	t.Helper()
	list, err := f.st.Tranches(f.ctx, awardID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// pdfText reads a stored document's text.
func (f *fixture) pdfText(t *testing.T, documentID int64) string {
	t.Helper()
	doc, err := f.st.Document(f.ctx, documentID)
	if err != nil {
		t.Fatal(err)
	}
	text, err := pdftext.Text(doc.Content)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func wantText(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not say %q:\n%s", what, w, text)
		}
	}
}

func TestCreateServiceAwardRetryMakesOneAwardWithOneSchedule(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	approve := f.exec("approve")
	in := f.serviceAwardInput()
	first, second := results[activities.AwardResult](t, retried(t, approve, f.awards, f.awards.CreateServiceAward, in))

	if first.AwardID == 0 || first.Reference != in.Award.Reference || second != first {
		t.Fatalf("attempts returned %+v then %+v, want award %s twice", first, second, in.Award.Reference)
	}
	if n := f.count(t, `SELECT count(*) FROM awards WHERE application_id = $1`, f.appID); n != 1 {
		t.Errorf("%d awards, want 1", n)
	}
	award := f.awardRow(t)
	if award.Amount != 2*yearAmount || award.EndDate == nil || !award.EndDate.Equal(time.Date(f.fy+2, time.March, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("award = %s ending %v, want %s ending 31 March %d", award.Amount, award.EndDate, 2*yearAmount, f.fy+2)
	}
	years, err := f.st.AwardYears(f.ctx, first.AwardID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(years) != fmt.Sprint(f.years()) {
		t.Errorf("award years = %v, want %v", years, f.years())
	}
	tranches := f.tranches(t, first.AwardID)
	var total money.Pence
	for _, tr := range tranches {
		total += tr.Amount
		if tr.Status != "scheduled" {
			t.Errorf("tranche %d is %s, want scheduled", tr.No, tr.Status)
		}
	}
	if len(tranches) != 8 || total != 2*yearAmount {
		t.Errorf("%d tranches adding up to %s, want 8 adding up to %s", len(tranches), total, 2*yearAmount)
	}
	f.wantEvents(t, 1, approve)
	if got := f.status(t); got != "approved" {
		t.Errorf("status = %q, want approved", got)
	}
}

func TestHoldTrancheRetryHoldsOnce(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	award := f.serviceAward(t)
	hold := f.exec("hold-1")
	reason := "the conditions precedent have not been confirmed as met"
	in := activities.HoldTrancheInput{Step: f.stepBy(grant.System, "Tranche 1 (Q1 2026-27) held", reason, "accepted"),
		AwardID: award.AwardID, Tranche: 1, Reason: reason}
	retried(t, hold, f.awards, f.awards.HoldTranche, in)

	tranches := f.tranches(t, award.AwardID)
	if tr := tranches[0]; tr.Status != "held" || tr.HeldReason != reason {
		t.Errorf("tranche 1 is %s (%q), want held (%q)", tr.Status, tr.HeldReason, reason)
	}
	for _, tr := range tranches[1:] {
		if tr.Status != "scheduled" {
			t.Errorf("tranche %d is %s, want scheduled", tr.No, tr.Status)
		}
	}
	if y := f.schemeYear(t, f.fy); y.Held != trancheAmount {
		t.Errorf("budget shows %s held, want %s", y.Held, trancheAmount)
	}
	f.wantEvents(t, 2, hold)
}

func TestMarkConditionsMetRetryRecordsOneConfirmation(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	f.serviceAward(t)
	met := f.exec("conditions-met")
	retried(t, met, f.awards, f.awards.MarkConditionsMet, f.step("Conditions precedent met", "active"))

	award := f.awardRow(t)
	if award.ConditionsMetAt == nil || !award.ConditionsMetAt.Equal(f.now) || award.ConditionsMetBy == nil || *award.ConditionsMetBy != f.officer.UserID {
		t.Errorf("conditions met at %v by %v, want %v by %d", award.ConditionsMetAt, award.ConditionsMetBy, f.now, f.officer.UserID)
	}
	f.wantEvents(t, 2, met)
	if got := f.status(t); got != "active" {
		t.Errorf("status = %q, want active", got)
	}
}

func TestIssuePaymentNoticeRetrySendsOneNoticeAndReleasesOnce(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	award := f.serviceAward(t)
	release := f.exec("release-1")
	first, second := results[activities.DocumentResult](t, retried(t, release, f.documents, f.documents.IssuePaymentNotice, f.releaseInput(award, 1)))

	if first.DocumentID == 0 || second != first {
		t.Errorf("attempts returned %+v then %+v, want the same notice twice", first, second)
	}
	if n := f.documentCount(t, activities.KindPaymentNotice); n != 1 {
		t.Errorf("%d payment notice documents, want 1", n)
	}
	notices, err := f.st.FinanceNotices(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	ref := award.Reference + "-T01"
	if len(notices) != 1 || notices[0].Kind != "payment" || notices[0].Seq != 1 || notices[0].Reference != ref ||
		notices[0].Amount != trancheAmount || notices[0].DocumentID != first.DocumentID {
		t.Fatalf("finance notices = %+v, want one payment notice %s for %s with document %d", notices, ref, trancheAmount, first.DocumentID)
	}
	tr := f.tranches(t, award.AwardID)[0]
	if tr.Status != "released" || tr.NoticeID == nil || *tr.NoticeID != notices[0].ID {
		t.Errorf("tranche 1 is %s with notice %v, want released with notice %d", tr.Status, tr.NoticeID, notices[0].ID)
	}
	if y := f.schemeYear(t, f.fy); y.Released != trancheAmount {
		t.Errorf("budget shows %s released, want %s", y.Released, trancheAmount)
	}
	f.wantEvents(t, 2, release)
	wantText(t, "payment notice", f.pdfText(t, first.DocumentID), ref, "£10,000.00", orgName)
}

func TestRecordTranchePaymentRetryRecordsOnePayment(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	award := f.serviceAward(t)
	once(t, f.exec("release-1"), f.documents, f.documents.IssuePaymentNotice, f.releaseInput(award, 1))
	pay := f.exec("payment-1")
	first, second := results[int64](t, retried(t, pay, f.awards, f.awards.RecordTranchePayment, f.paymentInput(award, 1)))

	if first == 0 || second != first {
		t.Errorf("attempts returned payment %d then %d, want the same payment twice", first, second)
	}
	payments, err := f.st.Payments(f.ctx, award.AwardID)
	if err != nil {
		t.Fatal(err)
	}
	if len(payments) != 1 || payments[0].ID != first || payments[0].Amount != trancheAmount || payments[0].Tranche != 1 {
		t.Errorf("payments = %+v, want one of %s for tranche 1 with id %d", payments, trancheAmount, first)
	}
	if tr := f.tranches(t, award.AwardID)[0]; tr.Status != "paid" {
		t.Errorf("tranche 1 is %s, want paid", tr.Status)
	}
	if y := f.schemeYear(t, f.fy); y.Paid != trancheAmount || y.Released != 0 {
		t.Errorf("budget shows %s paid and %s released, want %s paid and none released", y.Paid, y.Released, trancheAmount)
	}
	f.wantEvents(t, 3, pay)
}

func TestVaryRetryVariesTheAwardOnce(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	award := f.serviceAward(t)
	vary := f.exec("vary-2")
	years := []grant.YearAmount{{FinancialYear: f.fy, Amount: money.Pounds(50000)}, {FinancialYear: f.fy + 1, Amount: yearAmount}}
	retried(t, vary, f.awards, f.awards.Vary, f.varyInput(award, years))

	for _, y := range years {
		if got := f.schemeYear(t, y.FinancialYear).Committed; got != y.Amount {
			t.Errorf("%s: %s committed after a retried variation, want %s", scheme.FinancialYearLabel(y.FinancialYear), got, y.Amount)
		}
	}
	variations, err := f.st.Variations(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(variations) != 1 || variations[0].AwardVersion != 2 {
		t.Errorf("variations = %+v, want one, version 2", variations)
	}
	a := f.awardRow(t)
	if a.Version != 2 || a.Amount != money.Pounds(90000) {
		t.Errorf("award is version %d of %s, want version 2 of %s", a.Version, a.Amount, money.Pounds(90000))
	}
	got, err := f.st.AwardYears(f.ctx, award.AwardID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(years) {
		t.Errorf("award years = %v, want %v", got, years)
	}
	tranches := f.tranches(t, award.AwardID)
	if len(tranches) != 8 || tranches[0].Amount != money.Pounds(12500) || tranches[4].Amount != trancheAmount {
		t.Errorf("tranches = %+v, want 8: £12,500.00 a quarter in the first year, %s in the second", tranches, trancheAmount)
	}
	f.wantEvents(t, 2, vary)
}

func TestCloseAwardTerminatedRetryEndsTheAwardOnce(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	award := f.serviceAward(t)
	f.payFirstTranche(t, award)
	terminate := f.exec("terminate")
	reason := "The provider has stopped running the service."
	in := activities.CloseAwardInput{Step: f.stepBy(f.head, "Award ended early: future tranches stopped", reason, "final_report"),
		SchemeID: f.scheme.ID, Keep: []grant.YearAmount{{FinancialYear: f.fy, Amount: trancheAmount}}, Terminated: true, Reason: reason}
	retried(t, terminate, f.awards, f.awards.CloseAward, in)

	if got := f.schemeYear(t, f.fy).Committed; got != trancheAmount {
		t.Errorf("%s committed in the first year, want the %s paid", got, trancheAmount)
	}
	if got := f.schemeYear(t, f.fy+1).Committed; got != 0 {
		t.Errorf("%s still committed in the second year, want none", got)
	}
	a := f.awardRow(t)
	if a.Status != "terminated" || a.TerminatedAt == nil || !a.TerminatedAt.Equal(f.now) || a.TerminationReason != reason {
		t.Errorf("award is %s, terminated at %v for %q; want terminated at %v for %q", a.Status, a.TerminatedAt, a.TerminationReason, f.now, reason)
	}
	for _, tr := range f.tranches(t, award.AwardID) {
		want := "cancelled"
		if tr.No == 1 {
			want = "paid"
		}
		if tr.Status != want {
			t.Errorf("tranche %d is %s, want %s", tr.No, tr.Status, want)
		}
	}
	f.wantEvents(t, 4, terminate) // approval, release, payment, termination
	if got := f.status(t); got != "final_report" {
		t.Errorf("status = %q, want final_report", got)
	}
}

func TestCloseAwardReconciledRetryClosesOnce(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	award := f.serviceAward(t)
	f.payFirstTranche(t, award)
	paid := []grant.YearAmount{{FinancialYear: f.fy, Amount: trancheAmount}}
	once(t, f.exec("terminate"), f.awards, f.awards.CloseAward, activities.CloseAwardInput{
		Step:     f.stepBy(f.head, "Award ended early: future tranches stopped", "The provider has stopped running the service.", "final_report"),
		SchemeID: f.scheme.ID, Keep: paid, Terminated: true, Reason: "The provider has stopped running the service."})

	// The final report says £9,000.00 of the £10,000.00 paid was spent: £1,000.00 goes back.
	spent := money.Pounds(9000)
	closing := f.exec("close")
	in := activities.CloseAwardInput{Step: f.stepBy(f.officer, "Grant reconciled and closed", "Underspend £1,000.00 returned to the budget.", "closed"),
		SchemeID: f.scheme.ID, Keep: []grant.YearAmount{{FinancialYear: f.fy, Amount: spent}}, Spent: &spent}
	retried(t, closing, f.awards, f.awards.CloseAward, in)

	if got := f.schemeYear(t, f.fy).Committed; got != spent {
		t.Errorf("%s committed after a retried close, want the %s spent", got, spent)
	}
	a := f.awardRow(t)
	if a.Status != "closed" || a.ClosedAt == nil || !a.ClosedAt.Equal(f.now) {
		t.Errorf("award is %s, closed at %v; want closed at %v", a.Status, a.ClosedAt, f.now)
	}
	if a.Spent == nil || *a.Spent != spent || a.Underspend == nil || *a.Underspend != money.Pounds(1000) {
		t.Errorf("award spent %v, underspend %v; want %s and %s", a.Spent, a.Underspend, spent, money.Pounds(1000))
	}
	f.wantEvents(t, 5, closing)
	if got := f.status(t); got != "closed" {
		t.Errorf("status = %q, want closed", got)
	}
}

// assessment is the assessor's scores as the workflow saves them: 4 of 5 on every criterion.
func (f *serviceFixture) assessment() activities.SaveAssessmentInput {
	var scores []map[string]any
	for _, c := range f.scheme.Rules.Criteria {
		scores = append(scores, map[string]any{"criterion": c.Key, "score": 4})
	}
	raw, _ := json.Marshal(scores)
	return activities.SaveAssessmentInput{Step: f.stepBy(f.assessor, "Assessment submitted", "", "assessment"), Round: 1, Scores: raw,
		Weighted: 80, Fundable: true, Recommendation: "fund", Comment: "A clear need, well evidenced."}
}

func TestIssueDecisionPackRetryIssuesOnePack(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	once(t, f.exec("panel"), f.records, f.records.AssignPanel, activities.AssignPanelInput{
		Step: f.step("Panel assigned", "assessment"), Assessors: []int64{f.assessor.UserID}, Deadline: f.now.AddDate(0, 0, 14)})
	once(t, f.exec("assess"), f.records, f.records.SaveAssessment, f.assessment())
	moderate := f.exec("moderate")
	in := activities.RecommendInput{Step: f.step("Panel moderated: recommended for funding, £80,000.00", "decision"), Fund: true, Years: f.years(),
		Conditions: []string{"Send a monitoring return each quarter."}, ConditionsPrecedent: []string{"Send us your safeguarding policy."},
		Reasons: "A clear need, well evidenced, from a provider that can deliver."}
	first, second := results[activities.DocumentResult](t, retried(t, moderate, f.documents, f.documents.IssueDecisionPack, in))

	if first.DocumentID == 0 || first.SHA256 == "" || second != first {
		t.Errorf("attempts returned %+v then %+v, want the same pack twice", first, second)
	}
	if n := f.documentCount(t, activities.KindDecisionPack); n != 1 {
		t.Errorf("%d decision packs, want 1", n)
	}
	rec, err := f.st.RecommendationFor(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM recommendations WHERE application_id = $1`, f.appID); n != 1 || rec.DocumentID == nil || *rec.DocumentID != first.DocumentID {
		t.Errorf("%d recommendations, pack %v; want 1 with pack %d", n, rec.DocumentID, first.DocumentID)
	}
	f.wantEvents(t, 3, moderate)
	if got := f.status(t); got != "decision" {
		t.Errorf("status = %q, want decision", got)
	}
	wantText(t, "decision pack", f.pdfText(t, first.DocumentID), f.assessor.Name, in.Reasons)

	// As for the award letter: take the saved pack away and retry, and the same bytes are written.
	if _, err := f.st.DB.ExecContext(f.ctx, `UPDATE recommendations SET document_id = NULL WHERE application_id = $1`, f.appID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.DB.ExecContext(f.ctx, `DELETE FROM documents WHERE id = $1`, first.DocumentID); err != nil {
		t.Fatal(err)
	}
	v, err := attempt(t, moderate, 3, f.documents, f.documents.IssueDecisionPack, in)
	if err != nil {
		t.Fatal(err)
	}
	if again := result[activities.DocumentResult](t, v); again.SHA256 != first.SHA256 {
		t.Errorf("a later attempt wrote a different pack: sha256 %s, first %s", again.SHA256, first.SHA256)
	}
}

func (f *serviceFixture) decisionRecordInput() activities.DecisionRecordInput {
	return activities.DecisionRecordInput{Step: f.stepBy(f.head, "Decision record published", headBand, "approved"),
		Prefix: f.scheme.Rules.RecordPrefix(), AwardVersion: 1, DelegationBand: headBand, RulesVersion: f.scheme.Rules.Version}
}

func TestIssueDecisionRecordRetryKeepsItsNumber(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	f.serviceAward(t)
	record := f.exec("decision-record")
	in := f.decisionRecordInput()
	first, second := results[string](t, retried(t, record, f.documents, f.documents.IssueDecisionRecord, in))

	want := fmt.Sprintf("%s/%d/001", f.scheme.Rules.RecordPrefix(), f.now.Year())
	if first != want || second != first {
		t.Fatalf("attempts numbered the decision %q then %q, want %q both times", first, second, want)
	}
	records, err := f.st.DecisionRecords(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 || records[0].Number != want || records[0].DocumentID == nil {
		t.Fatalf("decision records = %+v, want one, %s, with its document", records, want)
	}
	if n := f.documentCount(t, activities.KindDecisionRecord); n != 1 {
		t.Errorf("%d decision record documents, want 1", n)
	}
	f.wantEvents(t, 2, record)
	if e := f.events(t)[1]; !strings.HasPrefix(e.Why, want+": ") {
		t.Errorf("the timeline says %q, want it to start with the number %s", e.Why, want)
	}
	wantText(t, "decision record", f.pdfText(t, *records[0].DocumentID), "Decision record "+want, orgName, serviceName)

	// A retry whose saved record went missing writes the same record again under the same number.
	var sha string
	if err := f.st.DB.GetContext(f.ctx, &sha, `SELECT sha256 FROM documents WHERE id = $1`, *records[0].DocumentID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.DB.ExecContext(f.ctx, `UPDATE decision_records SET document_id = NULL WHERE id = $1`, records[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.DB.ExecContext(f.ctx, `DELETE FROM documents WHERE id = $1`, *records[0].DocumentID); err != nil {
		t.Fatal(err)
	}
	v, err := attempt(t, record, 3, f.documents, f.documents.IssueDecisionRecord, in)
	if err != nil {
		t.Fatal(err)
	}
	if again := result[string](t, v); again != want {
		t.Errorf("a later attempt numbered the decision %q, want %q", again, want)
	}
	var again string
	if err := f.st.DB.GetContext(f.ctx, &again, `SELECT d.sha256 FROM decision_records r JOIN documents d ON d.id = r.document_id WHERE r.id = $1`, records[0].ID); err != nil {
		t.Fatal(err)
	}
	if again != sha {
		t.Errorf("a later attempt wrote a different record: sha256 %s, first %s", again, sha)
	}

	// The retries took no number from the next decision of the year.
	next := *f.fixture
	next.appID = f.newServiceApplication(t)
	next.workflowID = fmt.Sprintf("grant-application-%d", next.appID)
	other := &serviceFixture{fixture: &next, head: f.head}
	other.serviceAward(t)
	number := result[string](t, once(t, other.exec("decision-record"), f.documents, f.documents.IssueDecisionRecord, other.decisionRecordInput()))
	if wantNext := fmt.Sprintf("%s/%d/002", f.scheme.Rules.RecordPrefix(), f.now.Year()); number != wantNext {
		t.Errorf("the next decision was numbered %q, want %q", number, wantNext)
	}
}

func TestIssueGrantAgreementRetryIssuesOneAgreementPerVersion(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	award := f.serviceAward(t)
	v1 := f.exec("agreement-1")
	first, second := results[activities.DocumentResult](t, retried(t, v1, f.documents, f.documents.IssueGrantAgreement, f.agreementInput(1, f.years(), "")))
	if first.DocumentID == 0 || second != first {
		t.Errorf("version 1: attempts returned %+v then %+v, want the same agreement twice", first, second)
	}
	f.wantEvents(t, 2, v1)

	years := []grant.YearAmount{{FinancialYear: f.fy, Amount: money.Pounds(50000)}, {FinancialYear: f.fy + 1, Amount: yearAmount}}
	once(t, f.exec("vary-2"), f.awards, f.awards.Vary, f.varyInput(award, years))
	v2 := f.exec("agreement-2")
	varied := f.agreementInput(2, years, "A second youth worker from the autumn.")
	varied.Step.What = "Grant agreement re-issued as version 2"
	first2, second2 := results[activities.DocumentResult](t, retried(t, v2, f.documents, f.documents.IssueGrantAgreement, varied))
	if first2.DocumentID == 0 || second2 != first2 || first2.DocumentID == first.DocumentID {
		t.Errorf("version 2: attempts returned %+v then %+v, want one new agreement twice", first2, second2)
	}

	var versions []int
	if err := f.st.DB.SelectContext(f.ctx, &versions, `SELECT version FROM documents WHERE application_id = $1 AND kind = $2 ORDER BY version`,
		f.appID, activities.KindGrantAgreement); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(versions) != "[1 2]" {
		t.Errorf("grant agreement versions = %v, want [1 2]", versions)
	}
	f.wantEvents(t, 4, v2) // approval, version 1, variation, version 2
	wantText(t, "grant agreement version 2", f.pdfText(t, first2.DocumentID), award.Reference, "A second youth worker from the autumn.", "£90,000.00")

	if _, err := f.st.DB.ExecContext(f.ctx, `DELETE FROM documents WHERE id = $1`, first2.DocumentID); err != nil {
		t.Fatal(err)
	}
	v, err := attempt(t, v2, 3, f.documents, f.documents.IssueGrantAgreement, varied)
	if err != nil {
		t.Fatal(err)
	}
	if again := result[activities.DocumentResult](t, v); again.SHA256 != first2.SHA256 {
		t.Errorf("a later attempt wrote a different agreement: sha256 %s, first %s", again.SHA256, first2.SHA256)
	}
}

func TestAssignPanelRetryAssignsEachAssessorOnce(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	second, err := f.st.CreateUser(f.ctx, store.NewUser{Email: "ari@opcc.example.org", Name: "Ari Assessor", Role: scheme.RoleAssessor, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	assign := f.exec("panel")
	deadline := f.now.AddDate(0, 0, 14)
	retried(t, assign, f.records, f.records.AssignPanel, activities.AssignPanelInput{Step: f.step("Panel assigned: 2 assessors", "assessment"),
		Assessors: []int64{f.assessor.UserID, second.ID}, Deadline: deadline})

	panel, err := f.st.Panel(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(panel) != 2 {
		t.Fatalf("panel = %+v, want 2 members", panel)
	}
	for _, p := range panel {
		if p.RemovedAt != nil || !p.Deadline.Equal(deadline) || p.AssignedBy != f.officer.UserID {
			t.Errorf("panel member %+v, want assigned by %d, due %v, not removed", p, f.officer.UserID, deadline)
		}
	}
	f.wantEvents(t, 1, assign)
	if got := f.status(t); got != "assessment" {
		t.Errorf("status = %q, want assessment", got)
	}
}

func TestRemoveFromPanelRetryRemovesOnce(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	once(t, f.exec("panel"), f.records, f.records.AssignPanel, activities.AssignPanelInput{Step: f.step("Panel assigned", "assessment"),
		Assessors: []int64{f.assessor.UserID, f.head.UserID}, Deadline: f.now.AddDate(0, 0, 14)})
	remove := f.exec("remove")
	reason := "Declared a conflict of interest: a trustee of the applicant."
	retried(t, remove, f.records, f.records.RemoveFromPanel, activities.RemoveFromPanelInput{
		Step: f.step("Alex Assessor removed from the panel", "assessment"), Assessor: f.assessor.UserID, Reason: reason})

	panel, err := f.st.Panel(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range panel {
		switch p.AssessorID {
		case f.assessor.UserID:
			if p.RemovedAt == nil || !p.RemovedAt.Equal(f.now) || p.RemovedReason != reason {
				t.Errorf("removed member %+v, want removed at %v for %q", p, f.now, reason)
			}
		default:
			if p.RemovedAt != nil {
				t.Errorf("panel member %d was removed too", p.AssessorID)
			}
		}
	}
	f.wantEvents(t, 2, remove)
}

func (f *serviceFixture) returnInput() activities.SubmitReturnInput {
	return activities.SubmitReturnInput{Step: f.stepBy(f.applicantActor(), "Q1 2026-27 monitoring return submitted", "42 people helped.", "active"),
		FinancialYear: f.fy, Quarter: 1, Version: 1, Content: json.RawMessage(`{"narrative":"A good first quarter.","spend_to_date_pence":1000000}`)}
}

func TestSubmitReturnRetryRecordsOneReturn(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	f.serviceAward(t)
	submit := f.exec("return-2026-q1-v1")
	in := f.returnInput()
	retried(t, submit, f.records, f.records.SubmitReturn, in)

	returns, err := f.st.Returns(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(returns) != 1 || returns[0].Quarter != 1 || returns[0].Version != 1 || returns[0].SubmittedBy != f.applicant.ID || returns[0].ReviewOutcome != nil {
		t.Errorf("returns = %+v, want one unreviewed Q1 version 1 from the applicant", returns)
	}
	f.wantEvents(t, 2, submit)
}

func TestReviewReturnRetryRecordsOneReview(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	f.serviceAward(t)
	once(t, f.exec("return-2026-q1-v1"), f.records, f.records.SubmitReturn, f.returnInput())
	review := f.exec("review-2026-q1-v1")
	retried(t, review, f.records, f.records.ReviewReturn, activities.ReviewReturnInput{
		Step: f.step("Q1 2026-27 monitoring return accepted (green)", "active"), FinancialYear: f.fy, Quarter: 1, Version: 1,
		Outcome: "accept", RAG: "green", Comment: "On track."})

	returns, err := f.st.Returns(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(returns) != 1 {
		t.Fatalf("returns = %+v, want one", returns)
	}
	r := returns[0]
	if r.ReviewOutcome == nil || *r.ReviewOutcome != "accept" || r.RAG == nil || *r.RAG != "green" || r.ReviewedBy == nil || *r.ReviewedBy != f.officer.UserID {
		t.Errorf("return reviewed %v, %v by %v; want accept, green by %d", r.ReviewOutcome, r.RAG, r.ReviewedBy, f.officer.UserID)
	}
	f.wantEvents(t, 3, review)
}

// A decision record is a numbered public document: when what it must say cannot be read (here the
// declarations of interest), the activity fails and is retried, and no number is spent on a record
// that would have been published without them.
func TestIssueDecisionRecordFailsRatherThanPublishingWithoutTheDeclarations(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	f.serviceAward(t)
	if _, err := f.st.DB.ExecContext(f.ctx, `ALTER TABLE conflicts RENAME TO conflicts_unreadable`); err != nil {
		t.Fatal(err)
	}
	_, err := attempt(t, f.exec("decision-record"), 1, f.documents, f.documents.IssueDecisionRecord, f.decisionRecordInput())
	if err == nil || !strings.Contains(err.Error(), "declarations of interest") {
		t.Fatalf("IssueDecisionRecord with the declarations unreadable = %v; want an error naming them", err)
	}
	if _, err := f.st.DB.ExecContext(f.ctx, `ALTER TABLE conflicts_unreadable RENAME TO conflicts`); err != nil {
		t.Fatal(err)
	}
	records, err := f.st.DecisionRecords(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 0 {
		t.Fatalf("decision records after the failure = %+v; want none, so the number is not spent", records)
	}
	if n := f.documentCount(t, activities.KindDecisionRecord); n != 0 {
		t.Errorf("%d decision record documents after the failure, want none", n)
	}
}

// A grant agreement is the provider's contract: when its conditions cannot be read back, the
// activity fails (and is retried) rather than issuing an agreement without them.
func TestIssueGrantAgreementFailsRatherThanIssuingWithoutItsConditions(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	f.serviceAward(t)
	if _, err := f.st.DB.ExecContext(f.ctx, `UPDATE awards SET conditions = '{"not": "a list"}' WHERE application_id = $1`, f.appID); err != nil {
		t.Fatal(err)
	}
	_, err := attempt(t, f.exec("agreement-1"), 1, f.documents, f.documents.IssueGrantAgreement, f.agreementInput(1, f.years(), ""))
	if err == nil || !strings.Contains(err.Error(), "conditions") {
		t.Fatalf("IssueGrantAgreement with unreadable conditions = %v; want an error naming them", err)
	}
	if n := f.documentCount(t, activities.KindGrantAgreement); n != 0 {
		t.Errorf("%d grant agreements issued without their conditions, want none", n)
	}
}

// moderated assigns the panel and saves one assessment with these scores, ready for moderation.
func (f *serviceFixture) moderated(t *testing.T, scores json.RawMessage) activities.RecommendInput {
	t.Helper()
	once(t, f.exec("panel"), f.records, f.records.AssignPanel, activities.AssignPanelInput{
		Step: f.step("Panel assigned", "assessment"), Assessors: []int64{f.assessor.UserID}, Deadline: f.now.AddDate(0, 0, 14)})
	in := f.assessment()
	in.Scores = scores
	once(t, f.exec("assess"), f.records, f.records.SaveAssessment, in)
	return activities.RecommendInput{Step: f.step("Panel moderated: recommended for funding, £80,000.00", "decision"), Fund: true, Years: f.years(),
		Conditions: []string{"Send a monitoring return each quarter."}, ConditionsPrecedent: []string{"Send us your safeguarding policy."},
		Reasons: "A clear need, well evidenced, from a provider that can deliver."}
}

// A decision pack that cannot be made (an assessment's scores unreadable) leaves no recommendation
// and the application in assessment, so moderation can be done again; once the scores can be read,
// the retry records the recommendation and its pack together.
func TestIssueDecisionPackThatCannotBeMadeLeavesNoRecommendation(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	in := f.moderated(t, json.RawMessage(`{"fit": 4}`))
	moderate := f.exec("moderate")
	_, err := attempt(t, moderate, 1, f.documents, f.documents.IssueDecisionPack, in)
	if err == nil || !strings.Contains(err.Error(), "scores of assessor") {
		t.Fatalf("IssueDecisionPack with unreadable scores = %v; want an error naming them", err)
	}
	if n := f.count(t, `SELECT count(*) FROM recommendations WHERE application_id = $1`, f.appID); n != 0 {
		t.Errorf("%d recommendations after the pack failed, want none", n)
	}
	if n := f.documentCount(t, activities.KindDecisionPack); n != 0 {
		t.Errorf("%d decision packs after the failure, want none", n)
	}
	if k := f.count(t, `SELECT count(*) FROM application_events WHERE event_key = $1`, moderate.eventKey()); k != 0 {
		t.Errorf("%d moderation events after the pack failed, want none", k)
	}
	if got := f.status(t); got != "assessment" {
		t.Errorf("status = %q after the pack failed, want assessment still", got)
	}

	if _, err := f.st.DB.ExecContext(f.ctx, `UPDATE assessments SET scores = $2 WHERE application_id = $1`, f.appID, []byte(f.assessment().Scores)); err != nil {
		t.Fatal(err)
	}
	v, err := attempt(t, moderate, 2, f.documents, f.documents.IssueDecisionPack, in)
	if err != nil {
		t.Fatal(err)
	}
	pack := result[activities.DocumentResult](t, v)
	rec, err := f.st.RecommendationFor(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.DocumentID == nil || *rec.DocumentID != pack.DocumentID {
		t.Errorf("recommendation's pack %v, want %d", rec.DocumentID, pack.DocumentID)
	}
	f.wantEvents(t, 3, moderate)
	if got := f.status(t); got != "decision" {
		t.Errorf("status = %q, want decision", got)
	}
}

// The decision pack reads the service's details; when they cannot be read it fails, naming them,
// rather than writing a pack without the service.
func TestIssueDecisionPackFailsOnUnreadableServiceDetails(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	in := f.moderated(t, f.assessment().Scores)
	if _, err := f.st.DB.ExecContext(f.ctx, `UPDATE applications SET service = '{"years": "three"}' WHERE id = $1`, f.appID); err != nil {
		t.Fatal(err)
	}
	_, err := attempt(t, f.exec("moderate"), 1, f.documents, f.documents.IssueDecisionPack, in)
	if err == nil || !strings.Contains(err.Error(), "service details") {
		t.Fatalf("IssueDecisionPack with unreadable service details = %v; want an error naming them", err)
	}
	if n := f.count(t, `SELECT count(*) FROM recommendations WHERE application_id = $1`, f.appID); n != 0 {
		t.Errorf("%d recommendations after the pack failed, want none", n)
	}
}

// wantInvalidInput checks an activity's error is a clear refusal that no retry could mend.
func wantInvalidInput(t *testing.T, what string, err error, says string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	switch {
	case !errors.As(err, &appErr):
		t.Errorf("%s = %v; want a non-retryable application error", what, err)
	case !appErr.NonRetryable() || appErr.Type() != activities.ErrTypeInvalidInput:
		t.Errorf("%s = %v (type %s, non-retryable %v); want a non-retryable %s", what, err, appErr.Type(), appErr.NonRetryable(), activities.ErrTypeInvalidInput)
	case !strings.Contains(err.Error(), says):
		t.Errorf("%s = %v; want it to say %q", what, err, says)
	}
}

// An award or a variation with no financial years is refused for good, saying so, and writes
// nothing (it used to index the first year and panic, which Temporal retries for ever).
func TestServiceAwardAndVariationWithoutYearsAreRefused(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	none := f.serviceAwardInput()
	none.Years = nil
	_, err := attempt(t, f.exec("approve-empty"), 1, f.awards, f.awards.CreateServiceAward, none)
	wantInvalidInput(t, "CreateServiceAward with no years", err, "has no financial years")
	if n := f.count(t, `SELECT count(*) FROM awards WHERE application_id = $1`, f.appID); n != 0 {
		t.Errorf("%d awards made without years, want none", n)
	}

	award := f.serviceAward(t)
	_, err = attempt(t, f.exec("vary-empty"), 1, f.awards, f.awards.Vary, f.varyInput(award, nil))
	wantInvalidInput(t, "Vary with no years", err, "has no financial years")
	if a := f.awardRow(t); a.Version != 1 || a.Amount != 2*yearAmount {
		t.Errorf("award after the refused variation: version %d, %s; want version 1 of %s", a.Version, a.Amount, 2*yearAmount)
	}
	if n := f.count(t, `SELECT count(*) FROM variations WHERE application_id = $1`, f.appID); n != 0 {
		t.Errorf("%d variations recorded without years, want none", n)
	}
}

// A variation's documents are issued with its terms before it stands; when it cannot be completed
// they are withdrawn, once: the application lists no agreement or record of that version, the
// record's number stays with the version, and the version that stands cannot be withdrawn.
func TestWithdrawVariationDocumentsRetryWithdrawsOnce(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	f.serviceAward(t)
	years := []grant.YearAmount{{FinancialYear: f.fy, Amount: money.Pounds(50000)}, {FinancialYear: f.fy + 1, Amount: yearAmount}}
	terms := &activities.AwardTerms{Years: years, Conditions: []string{"Report the second worker's start date."}}
	record := f.decisionRecordInput()
	record.AwardVersion, record.Terms = 2, terms
	number := result[string](t, once(t, f.exec("record-2"), f.documents, f.documents.IssueDecisionRecord, record))
	agreement := f.agreementInput(2, years, "A second youth worker from the autumn.")
	agreement.Terms = terms
	doc := result[activities.DocumentResult](t, once(t, f.exec("agreement-2"), f.documents, f.documents.IssueGrantAgreement, agreement))
	// Issued before the variation stands, they say its terms, not the award's as stored.
	wantText(t, "grant agreement version 2", f.pdfText(t, doc.DocumentID), "£90,000.00", "Report the second worker's start date.")
	if a := f.awardRow(t); a.Version != 1 || a.Amount != 2*yearAmount {
		t.Fatalf("the award changed when the variation's documents were issued: %+v", a)
	}

	withdraw := f.exec("withdraw-2")
	retried(t, withdraw, f.documents, f.documents.WithdrawVariationDocuments, activities.WithdrawVariationInput{Version: 2,
		Step: f.stepBy(f.head, "Variation could not be completed: the award stands as version 1", "", "active")})
	var versions []string
	if err := f.st.DB.SelectContext(f.ctx, &versions, `SELECT kind || ' v' || version FROM documents WHERE application_id = $1 AND kind IN ($2, $3) ORDER BY id`,
		f.appID, activities.KindGrantAgreement, activities.KindDecisionRecord); err != nil {
		t.Fatal(err)
	}
	if len(versions) != 0 {
		t.Errorf("documents after the withdrawal %q, want none of version 2 (and none were issued for version 1)", versions)
	}
	records, err := f.st.DecisionRecords(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 || records[0].Number != number || records[0].AwardVersion != 2 || records[0].DocumentID != nil {
		t.Errorf("decision records %+v; want %s kept for version 2, without its document", records, number)
	}
	f.wantEvents(t, 4, withdraw) // approval, record, agreement, withdrawal

	// Issued again, the record keeps its number.
	again := result[string](t, once(t, f.exec("record-2-again"), f.documents, f.documents.IssueDecisionRecord, record))
	if again != number {
		t.Errorf("the record issued again is %s, want %s", again, number)
	}
	_, err = attempt(t, f.exec("withdraw-1"), 1, f.documents, f.documents.WithdrawVariationDocuments, activities.WithdrawVariationInput{Version: 1,
		Step: f.stepBy(f.head, "Withdrawn", "", "active")})
	if err == nil || !strings.Contains(err.Error(), "it stands") {
		t.Errorf("withdrawing the version that stands = %v; want it refused", err)
	}
}

// The provider's acceptance of a varied agreement is recorded once, with the date it was due by.
func TestAcceptVariationRetryAcceptsOnce(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	award := f.serviceAward(t)
	vary := f.varyInput(award, []grant.YearAmount{{FinancialYear: f.fy, Amount: money.Pounds(50000)}, {FinancialYear: f.fy + 1, Amount: yearAmount}})
	vary.AcceptBy = f.now.AddDate(0, 0, 28)
	once(t, f.exec("vary-2"), f.awards, f.awards.Vary, vary)
	accept := f.exec("accept-2")
	retried(t, accept, f.awards, f.awards.AcceptVariation, activities.AcceptVariationInput{Version: 2,
		Step: f.stepBy(f.applicantActor(), "Varied agreement accepted (version 2)", "", "active")})

	v, err := f.st.Variations(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 1 || v[0].AcceptBy == nil || !v[0].AcceptBy.Equal(vary.AcceptBy) || v[0].AcceptedAt == nil || !v[0].AcceptedAt.Equal(f.now) ||
		v[0].AcceptedBy == nil || *v[0].AcceptedBy != f.applicant.ID {
		t.Errorf("variations %+v; want version 2, due by %v, accepted by the applicant at %v", v, vary.AcceptBy, f.now)
	}
	f.wantEvents(t, 3, accept) // approval, variation, acceptance
	_, err = attempt(t, f.exec("accept-9"), 1, f.awards, f.awards.AcceptVariation, activities.AcceptVariationInput{Version: 9,
		Step: f.stepBy(f.applicantActor(), "Varied agreement accepted (version 9)", "", "active")})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeNotFound {
		t.Errorf("accepting a version never offered = %v; want NotFound", err)
	}
}
