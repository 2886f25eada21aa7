package letters

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"grantflow/money"
)

// The organisations and people below are invented.

func criteria() []CriterionRow {
	return []CriterionRow{
		{Key: "fit", Name: "Fit with Police and Crime Plan priorities", Weight: 30},
		{Key: "need", Name: "Need and evidence", Weight: 25},
		{Key: "deliver", Name: "Deliverability and governance", Weight: 20, Minimum: 2},
		{Key: "vfm", Name: "Value for money", Weight: 15},
		{Key: "partners", Name: "Partnership working", Weight: 10},
	}
}

func scores(assessor string, weighted float64, fit, need, deliver, vfm, partners int) PanelScore {
	return PanelScore{Assessor: assessor, Weighted: weighted, Scores: map[string]int{
		"fit": fit, "need": need, "deliver": deliver, "vfm": vfm, "partners": partners,
	}}
}

func pack() DecisionPack {
	return DecisionPack{
		Letterhead:   letterhead(),
		Date:         day(2026, time.February, 10),
		Reference:    "CSF-A00017",
		Organisation: "Safe Harbour Youth Trust",
		Scheme:       "Commissioned Services Fund",
		Service:      "Young people's A&E navigator service",
		Requested:    serviceYears(3, money.Pounds(120000)),
		Criteria:     criteria(),
		Scores: []PanelScore{
			scores("R. Assessor", 61, 4, 3, 1, 4, 3), // 120+75+20+60+30 = 305 points, /5
			scores("S. Reviewer", 82, 5, 4, 3, 4, 4), // 150+100+60+60+40 = 410
			scores("T. Example", 67, 4, 4, 2, 3, 3),  // 120+100+40+45+30 = 335
		},
		Recommendation: PanelRecommendation{
			Approve: true,
			Years:   serviceYears(2, money.Pounds(110000)),
			Conditions: []string{
				"A revised delivery plan showing how the service will be staffed at weekends, before the first payment.",
			},
			Reasons: []string{
				"The need is well evidenced by hospital attendance data for young people injured by violence.",
				"The panel agreed that governance concerns are met by the revised delivery plan condition.",
			},
		},
		ModeratedBy: []string{"C. Sample, Commissioning Officer (chair)", "E. Example, Finance Business Partner"},
	}
}

func TestDecisionPackShowsScoresMeansAndTheShortfall(t *testing.T) {
	got := text(t, pack().PDF)
	assertContains(t, got,
		"Panel decision pack: Young people's A&E navigator service",
		"Application CSF-A00017",
		"Organisation Safe Harbour Youth Trust",
		"Amount requested £360,000.00 over three financial years (2026-27 to 2028-29)",
		`Minimum scores Not met: see "Criteria below their minimum"`,
		"2026-27 £120,000.00 2027-28 £120,000.00 2028-29 £120,000.00 Total requested £360,000.00",
		"Criterion Weight Min. R. Assessor S. Reviewer T. Example Panel mean",
		"Fit with Police and Crime Plan priorities 30% – 4 5 4 4.33",
		"Need and evidence 25% – 3 4 4 3.67",
		"Deliverability and governance 20% 2 1* 3 2 2.00",
		"Weighted total (out of 100) 100% 61.00 82.00 67.00 70.00",
		"Not fundable: Deliverability and governance is below its minimum of 2: scored 1 by R. Assessor (panel mean 2.00).",
		"The panel recommends that the application be approved",
		"Financial year Requested Recommended 2026-27 £120,000.00 £110,000.00 2027-28 £120,000.00 £110,000.00 2028-29 £120,000.00 – Total £360,000.00 £220,000.00",
		"1. A revised delivery plan",
		"• The need is well evidenced",
		"C. Sample, Commissioning Officer (chair)",
	)
}

func TestDecisionPackWithoutShortfallSaysSo(t *testing.T) {
	p := pack()
	p.Scores[0] = scores("R. Assessor", 65, 4, 3, 2, 4, 3) // 305 + 20
	p.Recommendation = PanelRecommendation{Reasons: []string{"The service duplicates one already funded."}}
	got := text(t, p.PDF)
	assertContains(t, got,
		"Minimum scores Met by every assessor",
		"No assessor scored any criterion below its minimum.",
		"The panel recommends that the application be declined.",
		"• The service duplicates one already funded.",
	)
	if strings.Contains(got, "Not fundable") || strings.Contains(got, "*") {
		t.Error("a pack with every score at or above its minimum flags a shortfall")
	}
}

func TestDecisionPackSplitsAWidePanel(t *testing.T) {
	p := pack()
	for _, name := range []string{"U. Fourth", "V. Fifth", "W. Sixth"} {
		p.Scores = append(p.Scores, scores(name, 100, 5, 5, 5, 5, 5))
	}
	got := text(t, p.PDF)
	assertContains(t, got,
		"Assessors 1 to 4 of 6 Criterion Weight Min. R. Assessor S. Reviewer T. Example U. Fourth Panel mean",
		"Assessors 5 to 6 of 6 Criterion Weight Min. V. Fifth W. Sixth Panel mean",
		// The panel mean is of all six: (61+82+67+300)/6 = 85.
		"Weighted total (out of 100) 100% 100.00 100.00 85.00",
	)
}

func TestDecisionPackIsTheSameEveryTime(t *testing.T) {
	// Scores are maps; the pack must not depend on their iteration order.
	want, err := pack().PDF()
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		got, err := pack().PDF()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatal("two decision packs from the same input differ")
		}
	}
}

func TestDecisionPackValidation(t *testing.T) {
	cases := []struct {
		name   string
		change func(*DecisionPack)
		field  string
	}{
		{"no organisation", func(p *DecisionPack) { p.Organisation = "" }, "Organisation"},
		{"a weighted total that the scores do not give", func(p *DecisionPack) { p.Scores[0].Weighted = 70 }, "Scores[0].Weighted"},
		{"a missing score", func(p *DecisionPack) { delete(p.Scores[1].Scores, "need") }, `Scores[1].Scores["need"]`},
		{"a score out of range", func(p *DecisionPack) { p.Scores[2].Scores["vfm"] = 6 }, `Scores[2].Scores["vfm"]`},
		{"a score for no criterion", func(p *DecisionPack) { p.Scores[0].Scores["zeal"] = 3 }, `Scores[0].Scores["zeal"]`},
		{"the same assessor twice", func(p *DecisionPack) { p.Scores[1].Assessor = "R. Assessor" }, "Scores[1].Assessor"},
		{"weights that do not make 100", func(p *DecisionPack) { p.Criteria[0].Weight = 35 }, "Criteria"},
		{"approval without amounts", func(p *DecisionPack) { p.Recommendation.Years = nil }, "Recommendation.Years"},
		{"no reasons", func(p *DecisionPack) { p.Recommendation.Reasons = nil }, "Recommendation.Reasons"},
		{"nobody moderated", func(p *DecisionPack) { p.ModeratedBy = nil }, "ModeratedBy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := pack()
			c.change(&p)
			pdf, err := p.PDF()
			assertNamesField(t, pdf, err, c.field)
		})
	}
}
