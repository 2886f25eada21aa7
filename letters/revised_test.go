package letters

import (
	"strings"
	"testing"
	"time"

	"grantflow/money"
)

// variedWithHistory is the varied agreement as issued part-way through: the first four tranches
// paid under version 1, the fifth released, and the conditions changed.
func variedWithHistory() GrantAgreement {
	a := variedAgreement()
	for i := range 4 {
		a.Tranches[i].PaidOn = a.Tranches[i].Due.AddDate(0, 0, 2)
	}
	a.Tranches[4].ReleasedOn = a.Tranches[4].Due
	a.Changes = []YearChange{{"2026-27", money.Pounds(120000), money.Pounds(120000)}, {"2027-28", money.Pounds(120000), money.Pounds(140000)},
		{"2028-29", money.Pounds(120000), money.Pounds(140000)}}
	a.PreviousConditions = append([]string{"A navigator is on duty every weekday evening."}, a.Conditions[1:]...)
	return a
}

func TestVariedAgreementMarksPaidTranchesAndSaysWhatChanged(t *testing.T) {
	got := text(t, variedWithHistory().PDF)
	assertContains(t, got,
		"What this version changes",
		"Financial year Version 1 Version 2 Change 2026-27 £120,000.00 £120,000.00 none 2027-28 £120,000.00 £140,000.00 +£20,000.00",
		"Total £360,000.00 £400,000.00 +£40,000.00",
		"Conditions this version adds: • The grant must be spent only on the service described in this agreement.",
		"Conditions that no longer apply: • A navigator is on duty every weekday evening.",
		"Tranches already paid, or released for payment, under an earlier version are marked so",
		"1 Q1 2026-27 1 April 2026 £30,000.00 Paid on 3 April 2026",
		"4 Q4 2026-27 1 January 2027 £30,000.00 Paid on 3 January 2027",
		"5 Q1 2027-28 1 April 2027 £35,000.00 Released for payment on 1 April 2027",
		"6 Q2 2027-28 1 July 2027 £35,000.00 Released when the previous quarter's monitoring return is accepted",
	)
	// The first version has nothing to compare with.
	first := text(t, agreement().PDF)
	if strings.Contains(first, "What this version changes") || strings.Contains(first, "Paid on") {
		t.Errorf("the first version says what changed or marks payments:\n%s", first)
	}
}

func revisedNotice() RevisedFinanceNotice {
	return RevisedFinanceNotice{
		Letterhead: letterhead(), Date: day(2026, time.October, 20), NoticeReference: "CSF-2026-00017-FN2", AwardReference: "CSF-2026-00017",
		Version: 2, Reason: "The 2027-28 amount falls and 2028-29 is no longer funded.", Payee: navigators(), Scheme: "Commissioned Services Fund",
		Changes: []YearChange{{"2026-27", money.Pounds(120000), money.Pounds(120000)}, {"2027-28", money.Pounds(120000), money.Pounds(100000)},
			{"2028-29", money.Pounds(120000), 0}},
		Schedule: []Payment{{Due: day(2026, time.April, 1), Amount: money.Pounds(60000), Note: "Tranches 1-2: paid"},
			{Due: day(2026, time.October, 1), Amount: money.Pounds(60000), Note: "Tranches 3-4"},
			{Due: day(2027, time.April, 1), Amount: money.Pounds(100000), Note: "Tranches 5-8"}},
		Cancelled:  []Payment{{No: 9, Due: day(2028, time.April, 1), Amount: money.Pounds(120000), Note: "Tranche 9, Q1 2028-29: cancelled"}},
		CostCentre: "CC-4410 Community Safety", DecidedBy: "C. Example, Police and Crime Commissioner",
	}
}

func TestRevisedFinanceNoticeSaysWhatChangedAndWhatWasCancelled(t *testing.T) {
	got := text(t, revisedNotice().PDF)
	assertContains(t, got,
		"Revised finance award notice",
		"Award CSF-2026-00017 has been varied: version 2",
		"Notice reference CSF-2026-00017-FN2",
		"Agreement version 2",
		"Amount awarded before £360,000.00",
		"Amount awarded now £220,000.00",
		"Cancelled £120,000.00",
		"Varied by C. Example, Police and Crime Commissioner",
		"2027-28 £120,000.00 £100,000.00 -£20,000.00 2028-29 £120,000.00 £0.00 -£120,000.00 Total £360,000.00 £220,000.00 -£140,000.00",
		"Cancelled payments",
		"9 1 April 2028 £120,000.00 Tranche 9, Q1 2028-29: cancelled", // numbered as the tranche, not as the list's first row
	)

	ended := revisedNotice()
	ended.Version, ended.EndedOn, ended.NoticeReference = 0, day(2026, time.August, 10), "CSF-2026-00017-FN-END"
	ended.Schedule, ended.Reason = nil, "The hospital trust ended the data-sharing agreement."
	for i := range ended.Changes {
		ended.Changes[i].After = 0
	}
	got = text(t, ended.PDF)
	assertContains(t, got, "Finance notice: award ended early", "was ended early on 10 August 2026", "Ended by C. Example",
		"No payment was released before the award ended, so nothing is to be paid.")

	bad := revisedNotice()
	bad.Version, bad.Schedule = 1, bad.Schedule[:1]
	_, err := bad.PDF()
	ve, ok := err.(*ValidationError)
	if !ok || !strings.Contains(ve.Error(), "Version must be 2 or more") || !strings.Contains(ve.Error(), "Schedule add up to £60,000.00, not the amount of £220,000.00") {
		t.Fatalf("a notice for version 1 whose schedule falls short: %v; want both named", err)
	}
}
