package letters

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"grantflow/money"
)

// The organisations, people and addresses below are invented.

func navigators() Recipient {
	return Recipient{
		Organisation: "Safe Harbour Youth Trust",
		Contact:      "Priya Okonkwo-Hale",
		Address:      []string{"Unit 4, Example Works", "3 Fictional Lane", "Leicester", "LE0 9ZZ"},
	}
}

// serviceYears gives n financial years from 2026-27 at a given amount a year.
func serviceYears(n int, perYear money.Pence) []YearAmount {
	ys := make([]YearAmount, n)
	for i := range ys {
		fy := 2026 + i
		ys[i] = YearAmount{Label: fmt.Sprintf("%d-%02d", fy, (fy+1)%100), Amount: perYear}
	}
	return ys
}

// quarterly pays each year in four equal tranches in advance, on the first day of each quarter,
// and asks for each quarter's return 15 days after it ends.
func quarterly(ys []YearAmount) ([]Tranche, []ReturnDue) {
	var ts []Tranche
	var rs []ReturnDue
	for i, y := range ys {
		for q := range 4 {
			start := day(2026+i, time.April, 1).AddDate(0, 3*q, 0)
			label := fmt.Sprintf("Q%d %s", q+1, y.Label)
			ts = append(ts, Tranche{No: len(ts) + 1, Quarter: label, Due: start, Amount: y.Amount / 4})
			rs = append(rs, ReturnDue{Quarter: label, Due: start.AddDate(0, 3, 14)})
		}
	}
	return ts, rs
}

// targets repeats a year's four quarterly targets for every year.
func targets(years int, q ...string) []string {
	var out []string
	for range years {
		out = append(out, q...)
	}
	return out
}

func agreement() GrantAgreement {
	ys := serviceYears(3, money.Pounds(120000))
	ts, rs := quarterly(ys)
	return GrantAgreement{
		Letterhead: letterhead(),
		Date:       day(2026, time.March, 2),
		Reference:  "CSF-2026-00017",
		Version:    1,
		Recipient:  navigators(),
		Scheme:     "Commissioned Services Fund",
		Service:    "Young people's A&E navigator service",
		ServiceDescription: "Youth workers based in the emergency department of the city's hospital meet young " +
			"people aged 11 to 25 who arrive injured by violence, in the hours after the injury, and offer them " +
			"up to twelve weeks of support in the community.",
		Total: money.Pounds(360000),
		Years: ys,
		Purpose: "To reduce repeat victimisation and retaliation among young people injured by violence in " +
			"Leicester, Leicestershire and Rutland, by reaching them at a moment when they are open to help.",
		Tranches: ts,
		Returns:  rs,
		Indicators: []Indicator{
			{Outcome: "Young victims of violence take up support", Name: "Young people offered support in the emergency department", Unit: "people", Targets: targets(3, "60", "60", "60", "60")},
			{Outcome: "Young victims of violence take up support", Name: "Offers of support taken up", Unit: "% of offers", Targets: targets(3, "45%", "50%", "55%", "60%")},
			{Outcome: "Fewer young people are hurt again", Name: "Young people not re-attending with a violent injury within six months", Unit: "% of those supported", Targets: targets(3, "", "80%", "", "85%")},
		},
		ConditionsPrecedent: []string{
			"A signed data sharing agreement with the hospital trust is in place.",
			"You have sent us evidence of employer's and public liability insurance.",
			"You have sent us your safeguarding policy, approved by your trustees.",
		},
		Conditions: []string{
			"The grant must be spent only on the service described in this agreement.",
			"You must tell us at once of any change that affects the service, including a change of bank details.",
			"Any part of a year's grant not spent by the end of that financial year must be returned to us unless we agree otherwise in writing.",
		},
		AcceptBy:    day(2026, time.March, 23),
		HowToAccept: "Please sign in to your Grantflow account, open this agreement and choose Accept.",
		Signatory:   "B. Sample, Head of Commissioning",
	}
}

// variedAgreement is the agreement re-issued as version 2 with a higher amount in the later years.
func variedAgreement() GrantAgreement {
	a := agreement()
	a.Version = 2
	a.Date = day(2027, time.March, 3)
	a.VariedOn = day(2027, time.March, 3)
	a.Variation = "the 2027-28 and 2028-29 amounts rise by £20,000.00 a year to fund a second navigator at weekends."
	a.AcceptBy = day(2027, time.March, 24)
	a.Years[1].Amount = money.Pounds(140000)
	a.Years[2].Amount = money.Pounds(140000)
	a.Total = money.Pounds(400000)
	a.Tranches, a.Returns = quarterly(a.Years)
	return a
}

func TestGrantAgreementSetsOutYearsScheduleAndTargets(t *testing.T) {
	got := text(t, agreement().PDF)
	assertContains(t, got,
		"Our reference CSF-2026-00017",
		"Version 1",
		"Date 2 March 2026",
		"Priya Okonkwo-Hale Safe Harbour Youth Trust Unit 4, Example Works",
		"Grant agreement: Young people's A&E navigator service",
		"Payments 12 tranches; the first due on 1 April 2026",
		"I am pleased to offer Safe Harbour Youth Trust a grant of £360,000.00 from the Commissioned Services Fund for the Young people's A&E navigator service, over three financial years (2026-27 to 2028-29).",
		// Amount per financial year.
		"Financial year Amount 2026-27 £120,000.00 2027-28 £120,000.00 2028-29 £120,000.00 Total award £360,000.00",
		"Youth workers based in the emergency department",
		"To reduce repeat victimisation",
		// Payment schedule: the first tranche waits for the conditions precedent, later ones for the returns.
		"1 Q1 2026-27 1 April 2026 £30,000.00 Released when the conditions precedent are met",
		"2 Q2 2026-27 1 July 2026 £30,000.00 Released when the previous quarter's monitoring return is accepted",
		"12 Q4 2028-29 1 January 2029 £30,000.00 Released when the previous quarter's monitoring return is accepted",
		"Total £360,000.00",
		// Monitoring timetable: 15 days after each quarter ends.
		"Quarter Return due Q1 2026-27 15 July 2026 Q2 2026-27 15 October 2026 Q3 2026-27 15 January 2027 Q4 2026-27 15 April 2027",
		"Q4 2028-29 15 April 2029",
		// Targets, a year at a time.
		"Targets for 2026-27 Outcome Indicator Unit Q1 Q2 Q3 Q4",
		"Young victims of violence take up support Young people offered support in the emergency department people 60 60 60 60",
		"Offers of support taken up % of offers 45% 50% 55% 60%",
		"Fewer young people are hurt again Young people not re-attending with a violent injury within six months % of those supported – 80% – 85%",
		"Targets for 2028-29",
		// Conditions precedent, numbered, before the first payment.
		"The following conditions must be met before the first payment: 1. A signed data sharing agreement",
		"3. You have sent us your safeguarding policy",
		"3. Any part of a year's grant not spent",
		"Please accept this offer by 23 March 2026. If we have not received your acceptance by then, the offer will lapse.",
		"Yours sincerely,",
		"B. Sample Head of Commissioning",
	)
	if strings.Contains(got, "varied on") {
		t.Error("a first version says it was varied")
	}
	// Every tranche after the first waits for the previous return.
	if n := strings.Count(got, LaterTrancheNote); n != 11 {
		t.Errorf("the schedule has %d tranches released on a return, want 11", n)
	}
}

func TestVariedAgreementSaysWhichVersionAndWhy(t *testing.T) {
	got := text(t, variedAgreement().PDF)
	assertContains(t, got,
		"Version 2",
		"Version 2 (varied on 3 March 2027): the 2027-28 and 2028-29 amounts rise by £20,000.00 a year to fund a second navigator at weekends.",
		"This version replaces every earlier version of the agreement.",
		"This is version 2 of the agreement",
		"a grant of £400,000.00",
		"2027-28 £140,000.00 2028-29 £140,000.00 Total award £400,000.00",
		"5 Q1 2027-28 1 April 2027 £35,000.00",
		"Please accept this varied agreement by 24 March 2027. Until you accept it, we hold the payments not yet released",
		"Our reference: CSF-2026-00017, version 2",
	)
	if strings.Contains(got, "lapse") {
		t.Error("a varied agreement says it will lapse, but a variation waits for acceptance instead")
	}
	// The banner comes before the body of the letter.
	if strings.Index(got, "varied on 3 March 2027") > strings.Index(got, "Grant agreement:") {
		t.Error("the variation is not shown near the top")
	}
}

func TestFiveYearAgreementRunsOverPagesWithHeadersRepeated(t *testing.T) {
	a := agreement()
	a.Recipient.Organisation = "The Leicester, Leicestershire and Rutland Domestic and Sexual Abuse " +
		"Survivors' Consortium of Community Interest Companies and Registered Charities (Demo) Limited"
	a.Years = serviceYears(5, money.Pounds(96000))
	a.Total = money.Pounds(480000)
	a.Tranches, a.Returns = quarterly(a.Years)
	for i := range a.Indicators {
		a.Indicators[i].Targets = targets(5, a.Indicators[i].Targets[:4]...)
	}
	got := text(t, a.PDF)
	assertContains(t, got,
		"over five financial years (2026-27 to 2030-31)",
		"20 Q4 2030-31 1 January 2031 £24,000.00",
		"Total £480,000.00",
		"Targets for 2030-31",
		"Survivors' Consortium",
	)
	pages := regexp.MustCompile(`Page (\d+) of (\d+)`).FindAllString(got, -1)
	if len(pages) < 4 {
		t.Fatalf("a five-year agreement fits on %d pages", len(pages))
	}
	// The schedule runs onto a second page, and its header comes with it.
	if n := strings.Count(got, "No. Quarter Due Amount Notes"); n < 2 {
		t.Errorf("the schedule header appears %d times; want it repeated on the next page", n)
	}
}

func TestGrantAgreementSameInputSameBytes(t *testing.T) {
	for name, build := range map[string]func() GrantAgreement{"first": agreement, "varied": variedAgreement} {
		first, err := build().PDF()
		if err != nil {
			t.Fatal(err)
		}
		second, err := build().PDF()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Errorf("%s: two agreements from the same input differ", name)
		}
	}
}

func TestGrantAgreementValidation(t *testing.T) {
	cases := []struct {
		name   string
		change func(*GrantAgreement)
		field  string
	}{
		{"no service", func(a *GrantAgreement) { a.Service = "" }, "Service"},
		{"years that do not add up", func(a *GrantAgreement) { a.Years[2].Amount = money.Pounds(100000) }, "Years"},
		{"a repeated year", func(a *GrantAgreement) { a.Years[1].Label = "2026-27" }, "Years[1].Label"},
		{"tranches that do not add up", func(a *GrantAgreement) { a.Tranches[3].Amount = money.Pounds(1) }, "Tranches"},
		{"a year's tranches moved to another year", func(a *GrantAgreement) {
			a.Tranches[4].Amount += money.Pounds(1000)
			a.Tranches[0].Amount -= money.Pounds(1000)
		}, "Tranches"},
		{"tranches out of order", func(a *GrantAgreement) { a.Tranches[2].No = 2 }, "Tranches[2].No"},
		{"a tranche without a due date", func(a *GrantAgreement) { a.Tranches[5].Due = time.Time{} }, "Tranches[5].Due"},
		{"a tranche outside the award's years", func(a *GrantAgreement) { a.Tranches[0].Quarter = "Q1 2025-26" }, "Tranches[0].Quarter"},
		{"a return without a date", func(a *GrantAgreement) { a.Returns[0].Due = time.Time{} }, "Returns[0].Due"},
		{"too few targets", func(a *GrantAgreement) { a.Indicators[1].Targets = a.Indicators[1].Targets[:4] }, "Indicators[1].Targets"},
		{"an indicator without a name", func(a *GrantAgreement) { a.Indicators[0].Name = " " }, "Indicators[0].Name"},
		{"no conditions precedent", func(a *GrantAgreement) { a.ConditionsPrecedent = nil }, "ConditionsPrecedent"},
		{"a variation without a summary", func(a *GrantAgreement) { a.Version = 2; a.VariedOn = a.Date }, "Variation"},
		{"a variation without a date", func(a *GrantAgreement) { a.Version = 3; a.Variation = "More money." }, "VariedOn"},
		{"accept before the date", func(a *GrantAgreement) { a.AcceptBy = day(2026, time.February, 1) }, "AcceptBy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := agreement()
			c.change(&a)
			pdf, err := a.PDF()
			assertNamesField(t, pdf, err, c.field)
		})
	}
}
