package reporting_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/reporting"
	"grantflow/scheme"
	"grantflow/store/storetest"
)

// sums are one line's figures, added up by the test from what it seeded.
type sums struct {
	awards                    int
	committed, released, paid money.Pence
	beneficiaries, under25    int
}

// person is a count of beneficiaries the test seeded, and whether the figures should count it.
type person struct {
	priorities []string
	c          count
	counts     bool
}

func wardLabel(c count) string {
	if c.Ward == "" || strings.Contains(c.Ward, ": ") {
		return c.Ward
	}
	return c.Area + ": " + c.Ward
}

// expect adds up the figures of a period from the seeded awards and counts, on their own terms:
// awards decided in the period, each award's amount for the year, money released at a moment in
// the period, payments dated on a London day of it; lapsed offers and awards decided later left out.
func expect(s *seeder, people []person, p reporting.Period) (total sums, lines map[string]map[string]*sums) {
	from := time.Date(p.FinancialYear, time.April, 1, 0, 0, 0, 0, scheme.London)
	to := from.AddDate(0, 3*p.Quarter, 0)
	firstDay, lastDay := from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly)
	lines = map[string]map[string]*sums{"priority": {}, "area": {}, "ward": {}}
	line := func(dim, name string) *sums {
		if lines[dim][name] == nil {
			lines[dim][name] = &sums{}
		}
		return lines[dim][name]
	}
	each := func(priorities, areas, wards []string, fn func(*sums)) {
		fn(&total)
		for dim, names := range map[string][]string{"priority": priorities, "area": areas, "ward": wards} {
			seen := map[string]bool{}
			for _, n := range names {
				if n != "" && !seen[n] {
					seen[n] = true
					fn(line(dim, n))
				}
			}
		}
	}
	for _, a := range s.awards {
		if a.lapsed || !a.decided.Before(to) {
			continue
		}
		var got sums
		if !a.decided.Before(from) {
			got.awards = 1
		}
		committed, inYear := a.committed[p.FinancialYear]
		got.committed = committed
		for _, r := range a.released {
			if !r.at.Before(from) && r.at.Before(to) {
				got.released += r.amount
			}
		}
		for _, pd := range a.paid {
			if pd.day >= firstDay && pd.day <= lastDay {
				got.paid += pd.amount
			}
		}
		if got == (sums{}) && !inYear {
			continue
		}
		each(a.priorities, a.areas, a.wards, func(l *sums) {
			l.awards += got.awards
			l.committed += got.committed
			l.released += got.released
			l.paid += got.paid
		})
	}
	for _, pp := range people {
		if !pp.counts {
			continue
		}
		under := pp.c.Count
		if pp.c.AgeBand == "25_plus" {
			under = 0
		}
		each(pp.priorities, []string{pp.c.Area}, []string{wardLabel(pp.c)}, func(l *sums) {
			l.beneficiaries += pp.c.Count
			l.under25 += under
		})
	}
	return total, lines
}

func sumsOf(l reporting.Line) sums {
	return sums{awards: l.Awards, committed: l.Committed, released: l.Released, paid: l.Paid, beneficiaries: l.Beneficiaries, under25: l.Under25}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestFiguresEqualSumsOfWhatWasSeeded seeds grants of both kinds in several priorities, areas and
// wards, with tranches released, held and paid, one-off payments, returns in two quarters with
// ratings (one sent back and sent again), an overdue return, an end-of-grant report, a lapsed
// offer, an award ended early and one decided after the period, and checks every figure of
// 2026-27 Q3 against the test's own sums.
func TestFiguresEqualSumsOfWhatWasSeeded(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	s := newSeeder(t, st)
	var people []person

	indicators := []grant.Outcome{{Outcome: "Victims are supported", Indicators: []grant.Indicator{
		{Key: "referrals", Name: "Referrals taken", Unit: "people", QuarterlyTarget: 50},
		{Key: "sessions", Name: "Support sessions", Unit: "sessions", QuarterlyTarget: 20}}}}

	// S1: a two-year service decided in the year before (so not an award of this year), paid Q1
	// and Q2, Q3's tranche held; Q1's return accepted, Q2's sent back then accepted.
	s1 := s.awardOf(scheme.Service, "Victim support", money.Pounds(200000), utc("2026-03-15T10:00:00Z"),
		[]string{"Victim Services", "Vulnerability Protection"}, []string{"Leicester", "Blaby"}, []string{"Leicester: Abbey", "Leicester: Aylestone"},
		&grant.ServiceDetails{Service: "Victim support service", Outcomes: indicators})
	s.accept(s1, utc("2026-03-20T10:00:00Z"))
	s.years(s1, grant.YearAmount{FinancialYear: 2026, Amount: money.Pounds(100000)}, grant.YearAmount{FinancialYear: 2027, Amount: money.Pounds(100000)})
	s.release(s1, 1, utc("2026-04-01T08:00:00Z"))
	s.payTranche(s1, 1, "2026-04-03")
	s.release(s1, 2, utc("2026-07-01T08:00:00Z"))
	s.payTranche(s1, 2, "2026-09-30")
	s.hold(s1, 3, "the Q2 2026-27 monitoring return has not been accepted", utc("2026-10-01T08:00:00Z"))
	q1 := []count{{Area: "Leicester", Ward: "Abbey", AgeBand: "under_18", Count: 10}, {Area: "Blaby", AgeBand: "18_24", Count: 7},
		{Area: "Leicester", AgeBand: "25_plus", Count: 20}}
	s.returnOf(s1, 2026, 1, 1, utc("2026-07-10T09:00:00Z"), map[string]int64{"referrals": 48, "sessions": 22}, q1, "accept", "green")
	for _, c := range q1 {
		people = append(people, person{priorities: s1.priorities, c: c, counts: true})
	}
	q2first := []count{{Area: "Leicester", AgeBand: "under_18", Count: 99}}
	s.returnOf(s1, 2026, 2, 1, utc("2026-10-10T09:00:00Z"), map[string]int64{"referrals": 99, "sessions": 99}, q2first, "request_changes", "amber")
	for _, c := range q2first {
		people = append(people, person{priorities: s1.priorities, c: c}) // sent back: replaced by version 2
	}
	q2 := []count{{Area: "Leicester", Ward: "Leicester: Aylestone", AgeBand: "18_24", Count: 4}}
	s.returnOf(s1, 2026, 2, 2, utc("2026-10-20T09:00:00Z"), map[string]int64{"referrals": 30}, q2, "accept", "red")
	for _, c := range q2 {
		people = append(people, person{priorities: s1.priorities, c: c, counts: true})
	}

	// S2: decided at 00:30 on 1 April in London (23:30 UTC on 31 March): this year's. Its Q2
	// return never came (overdue); its Q3 tranche was held at the period's end and released after.
	s2 := s.awardOf(scheme.Service, "Street outreach", money.Pounds(80000), utc("2026-03-31T23:30:00Z"),
		[]string{"Visible Policing"}, []string{"Charnwood"}, nil,
		&grant.ServiceDetails{Service: "Street outreach", Outcomes: []grant.Outcome{{Outcome: "Fewer incidents", Indicators: []grant.Indicator{
			{Key: "visits", Name: "Outreach visits", Unit: "visits", QuarterlyTarget: 10}}}}})
	s.accept(s2, utc("2026-04-02T10:00:00Z"))
	s.years(s2, grant.YearAmount{FinancialYear: 2026, Amount: money.Pounds(80000)})
	s.release(s2, 1, utc("2026-04-01T09:00:00Z"))
	s.payTranche(s2, 1, "2026-04-10")
	s.release(s2, 2, utc("2026-09-30T23:30:00Z")) // 00:30 on 1 October in London
	s.hold(s2, 3, "the Q2 2026-27 monitoring return is overdue", utc("2026-10-01T08:00:00Z"))
	s.release(s2, 3, utc("2027-01-20T10:00:00Z"))
	s.returnOf(s2, 2026, 1, 1, utc("2026-07-05T09:00:00Z"), map[string]int64{"visits": 12}, nil, "accept", "green")

	// S3: ended early in June at its first tranche; its Q1 return never came (overdue), Q2 on
	// was not required.
	s3 := s.awardOf(scheme.Service, "Family support", money.Pounds(120000), utc("2026-05-01T09:00:00Z"),
		[]string{"Victim Services"}, []string{"Harborough"}, nil, &grant.ServiceDetails{Service: "Family support", Outcomes: indicators})
	s.accept(s3, utc("2026-05-01T12:00:00Z"))
	s.years(s3, grant.YearAmount{FinancialYear: 2026, Amount: money.Pounds(60000)}, grant.YearAmount{FinancialYear: 2027, Amount: money.Pounds(60000)})
	s.release(s3, 1, utc("2026-05-01T10:00:00Z"))
	s.payTranche(s3, 1, "2026-05-05")
	s.terminate(s3, utc("2026-06-15T10:00:00Z"), grant.YearAmount{FinancialYear: 2026, Amount: money.Pounds(15000)})
	// Its final report, accepted, is stored beside grassroots reports but is no grassroots result.
	s.report(s3, utc("2026-09-01T09:00:00Z"), money.Pounds(15000), "The service closed early.", nil, "accept")

	// G1: a one-off grant approved and paid in May; its end-of-grant report accepted in November.
	g1 := s.awardOf(scheme.Grassroots, "Youth club", money.Pounds(3000), utc("2026-05-10T09:00:00Z"),
		[]string{"Victim Services", "Hate crime"}, []string{"Leicester"}, []string{"Leicester: Abbey"}, nil)
	s.accept(g1, utc("2026-05-12T09:00:00Z"))
	s.approveGrant(g1, utc("2026-05-20T09:00:00Z"))
	s.payGrant(g1, "2026-05-21")
	g1people := []count{{Area: "Leicester", Ward: "Abbey", AgeBand: "under_18", Count: 12}, {Area: "Leicester", AgeBand: "25_plus", Count: 5}}
	s.report(g1, utc("2026-11-15T09:00:00Z"), money.Pounds(2900), "Twelve young people finished the course.", g1people, "accept")
	for _, c := range g1people {
		people = append(people, person{priorities: g1.priorities, c: c, counts: true})
	}

	// G2: approved at 23:30 on 31 December (in the period), paid in January (not).
	g2 := s.awardOf(scheme.Grassroots, "Rural watch", money.Pounds(2000), utc("2026-08-01T09:00:00Z"),
		[]string{"Serious violence"}, []string{"Melton", "Rutland"}, []string{"Melton: Melton Egerton"}, nil)
	s.accept(g2, utc("2026-08-02T09:00:00Z"))
	s.approveGrant(g2, utc("2026-12-31T23:30:00Z"))
	s.payGrant(g2, "2027-01-04")

	// A lapsed offer and an award decided after the period count nowhere.
	lapsed := s.awardOf(scheme.Grassroots, "Never accepted", money.Pounds(4000), utc("2026-06-01T09:00:00Z"),
		[]string{"Mental health"}, []string{"Oadby and Wigston"}, []string{"Leicester: Castle"}, nil)
	s.lapse(lapsed, utc("2026-06-29T23:00:00Z"))
	s.awardOf(scheme.Grassroots, "Next year's", money.Pounds(1500), utc("2027-01-10T09:00:00Z"),
		[]string{"Mental health"}, []string{"Oadby and Wigston"}, nil, nil)

	p := reporting.Period{FinancialYear: 2026, Quarter: 3}
	f, err := reporting.ComputeAt(ctx, st, p, utc("2027-02-01T12:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	total, lines := expect(s, people, p)
	if got := sumsOf(f.Totals); got != total {
		t.Errorf("totals = %+v, want %+v", got, total)
	}
	// The sums above, written out, so that a mistake in the test's own adding up shows too.
	if total.awards != 4 || total.committed != money.Pounds(200000) || total.released != money.Pounds(110000) || total.paid != money.Pounds(88000) ||
		total.beneficiaries != 58 || total.under25 != 33 {
		t.Errorf("the test's own totals are %+v", total)
	}

	// Every priority of the rules, in order, even at zero.
	var wantPriorities []string
	for _, r := range []scheme.Rules{demo.GrassrootsRules(), demo.ServiceRules()} {
		for _, pr := range r.Priorities {
			if !slices.Contains(wantPriorities, pr) {
				wantPriorities = append(wantPriorities, pr)
			}
		}
	}
	checkLines(t, "priority", f.ByPriority, wantPriorities, lines["priority"], nil)
	areaCodes := demo.GrassrootsRules().AreaCodes
	checkLines(t, "area", f.ByArea, demo.GrassrootsRules().Areas, lines["area"], areaCodes)
	var wards []string
	for _, w := range demo.GrassrootsRules().Wards {
		if lines["ward"][w] != nil {
			wards = append(wards, w)
		}
	}
	checkLines(t, "ward", f.ByWard, wards, lines["ward"], demo.GrassrootsRules().WardCodes)
	if len(wards) != len(lines["ward"]) {
		t.Errorf("wards named outside the rules: %v", lines["ward"])
	}

	// Indicators: S1's two, S2's one and S3's two (ended early, still funding the year).
	type trend struct {
		ref, key string
		target   int64
		actual   []int64 // -1: no figure
	}
	var gotTrends []trend
	for _, i := range f.Indicators {
		tr := trend{ref: i.Reference, key: i.Key, target: i.Target}
		for _, v := range i.Actual {
			if v == nil {
				tr.actual = append(tr.actual, -1)
			} else {
				tr.actual = append(tr.actual, *v)
			}
		}
		gotTrends = append(gotTrends, tr)
	}
	wantTrends := []trend{
		{s2.award.Reference, "visits", 10, []int64{12, -1, -1}},
		{s1.award.Reference, "referrals", 50, []int64{48, 30, -1}},
		{s1.award.Reference, "sessions", 20, []int64{22, -1, -1}},
		{s3.award.Reference, "referrals", 50, []int64{-1, -1, -1}},
		{s3.award.Reference, "sessions", 20, []int64{-1, -1, -1}},
	}
	slices.SortFunc(gotTrends, func(a, b trend) int { return strings.Compare(a.ref+a.key, b.ref+b.key) })
	slices.SortFunc(wantTrends, func(a, b trend) int { return strings.Compare(a.ref+a.key, b.ref+b.key) })
	if !slices.EqualFunc(gotTrends, wantTrends, func(a, b trend) bool {
		return a.ref == b.ref && a.key == b.key && a.target == b.target && slices.Equal(a.actual, b.actual)
	}) {
		t.Errorf("indicators = %+v, want %+v", gotTrends, wantTrends)
	}
	for _, i := range f.Indicators {
		if i.Reference == s1.award.Reference && (i.Service != "Victim support service" || i.Recipient != "Riverside Youth Project" || i.ApplicationID != s1.app) {
			t.Errorf("S1's indicator is %+v", i)
		}
	}
	ratings := map[string][]string{}
	for _, r := range f.Ratings {
		ratings[r.Reference] = r.RAG
	}
	if len(ratings) != 3 || !slices.Equal(ratings[s1.award.Reference], []string{"green", "red", ""}) ||
		!slices.Equal(ratings[s2.award.Reference], []string{"green", "", ""}) || !slices.Equal(ratings[s3.award.Reference], []string{"", "", ""}) {
		t.Errorf("ratings = %v", ratings)
	}

	// At the period's end (1 January 2027): S3's Q1 return (due 15 July) and S2's Q2 (due 15
	// October) were overdue; S1's Q2 had been sent; Q3's are due on 15 January.
	var overdue []string
	for _, o := range f.OverdueReturns {
		overdue = append(overdue, o.Reference+" "+o.Quarter+" "+o.DueOn)
	}
	if want := []string{s3.award.Reference + " 2026-27 Q1 2026-07-15", s2.award.Reference + " 2026-27 Q2 2026-10-15"}; !slices.Equal(overdue, want) {
		t.Errorf("overdue returns = %v, want %v", overdue, want)
	}
	var held []string
	for _, h := range f.HeldTranches {
		held = append(held, h.Reference+" "+h.Amount.String()+" "+h.Reason)
	}
	if want := []string{
		s1.award.Reference + " £25,000.00 the Q2 2026-27 monitoring return has not been accepted",
		s2.award.Reference + " £20,000.00 Not released by the period's end; released on 20 January 2027",
	}; !slices.Equal(held, want) {
		t.Errorf("held tranches = %q, want %q", held, want)
	}
	// A service ended early in June ran in Q1 only: Q2 and Q3 are neither rated nor given a target.
	for _, r := range f.Ratings {
		if r.ApplicationID == s3.app && fmt.Sprint(r.Running) != "[true false false]" {
			t.Errorf("%s ran in quarters %v, want Q1 only", s3.award.Reference, r.Running)
		}
	}
	for _, ind := range f.Indicators {
		if ind.ApplicationID == s3.app && fmt.Sprint(ind.Running) != "[true false false]" {
			t.Errorf("%s's indicator %s ran in quarters %v, want Q1 only", s3.award.Reference, ind.Key, ind.Running)
		}
	}
	if len(f.Grassroots) != 1 || f.Grassroots[0] != (reporting.GrassrootsResult{ApplicationID: g1.app, Reference: g1.award.Reference, Recipient: "Riverside Youth Project",
		Amount: money.Pounds(3000), Spent: money.Pounds(2900), Beneficiaries: 17, Under25: 12, Outcomes: "Twelve young people finished the course."}) {
		t.Errorf("grassroots results = %+v", f.Grassroots)
	}

	// The CSV carries every line's figures, each once.
	var buf bytes.Buffer
	if err := reporting.WriteCSV(&buf, f); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	figures := map[string]string{}
	for _, r := range rows[1:] {
		if r[0] == "figures" {
			figures[r[1]+"|"+r[3]+"|"+r[6]] = r[7]
		}
	}
	if figures["total|All awards|committed_gbp"] != "200000.00" || figures["priority|Victim Services|awards"] != "2" ||
		figures["area|Leicester|beneficiaries"] != "51" || figures["ward|Leicester: Abbey|under_25"] != "22" {
		t.Errorf("the CSV's figures: %v", figures)
	}
	if want := 6 * (1 + len(f.ByPriority) + len(f.ByArea) + len(f.ByWard)); len(figures) != want {
		t.Errorf("the CSV has %d figures, want %d", len(figures), want)
	}
}

func checkLines(t *testing.T, dim string, got []reporting.Line, names []string, want map[string]*sums, codes map[string]string) {
	t.Helper()
	var gotNames []string
	for _, l := range got {
		gotNames = append(gotNames, l.Name)
		w := sums{}
		if want[l.Name] != nil {
			w = *want[l.Name]
		}
		if sumsOf(l) != w {
			t.Errorf("%s %q = %+v, want %+v", dim, l.Name, sumsOf(l), w)
		}
		if l.Code != codes[l.Name] {
			t.Errorf("%s %q has code %q, want %q", dim, l.Name, l.Code, codes[l.Name])
		}
	}
	if !slices.Equal(gotNames, names) {
		t.Errorf("%s lines = %q, want %q", dim, gotNames, names)
	}
}
