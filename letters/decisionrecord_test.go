package letters

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"grantflow/money"
)

// The organisations and people below are invented.

func record() DecisionRecord {
	a := agreement()
	return DecisionRecord{
		Letterhead:  letterhead(),
		Number:      "PCC/2026/017",
		Title:       "Young people's A&E navigator service, 2026-27 to 2028-29",
		Office:      "Police and Crime Commissioner",
		Date:        day(2026, time.February, 24),
		Recipient:   a.Recipient.Organisation,
		RecipientID: "GB-CHC-0000000",
		Scheme:      a.Scheme,
		Reference:   a.Reference,
		Years:       a.Years,
		Total:       a.Total,
		Purpose:     a.Purpose,
		Conditions:  a.ConditionsPrecedent,
		Reasons: []string{
			"Young people injured by violence are at high risk of being hurt again or of retaliating; support offered in the emergency department reaches them when they are most open to it.",
			"The service supports the Police and Crime Plan priority of serious violence, with a focus on under-25s.",
		},
		Band:          "Police and Crime Commissioner: awards over £100,000.00",
		RulesVersion:  4,
		RecommendedBy: "Head of Commissioning, moderating the assessment panel",
	}
}

func TestDecisionRecordPublishesTheSpecifiedInformation(t *testing.T) {
	got := text(t, record().PDF)
	assertContains(t, got,
		"Decision record PCC/2026/017",
		"Young people's A&E navigator service, 2026-27 to 2028-29",
		"Decision number PCC/2026/017",
		"Decision maker Police and Crime Commissioner Date",
		"Date of decision 24 February 2026",
		"Recipient Safe Harbour Youth Trust GB-CHC-0000000",
		"Award reference CSF-2026-00017",
		"Whole-life total £360,000.00 over three financial years (2026-27 to 2028-29)",
		"The Police and Crime Commissioner has decided to award Safe Harbour Youth Trust a grant of £360,000.00",
		"2026-27 £120,000.00 2027-28 £120,000.00 2028-29 £120,000.00 Whole-life total £360,000.00",
		"To reduce repeat victimisation",
		"1. A signed data sharing agreement",
		"Why the grant will secure crime and disorder reduction",
		"will secure, or contribute to securing, crime and disorder reduction, for these reasons: • Young people injured by violence",
		"Delegation band Police and Crime Commissioner: awards over £100,000.00",
		"Scheme rules Version 4",
		"Decided by Police and Crime Commissioner Delegation band",
		"Recommended by Head of Commissioning, moderating the assessment panel",
		"Declarations of interest None declared.",
		"Elected Local Policing Bodies (Specified Information) Order 2011",
		"It names the office that decided, not the people involved",
		"Decision record PCC/2026/017 Page 1 of",
	)
	// A published record names the organisation and the office, not the people behind them: it has
	// no field for a person, and nothing of the applicant's contact or address reaches it.
	for _, private := range []string{"Priya Okonkwo-Hale", "Fictional Lane", "LE0 9ZZ", "Signature", "Name "} {
		if strings.Contains(got, private) {
			t.Errorf("the published record contains the applicant's %q", private)
		}
	}
}

func TestDecisionRecordListsDeclarations(t *testing.T) {
	r := record()
	r.Declarations = []Declaration{{Role: "An assessor"}, {Role: "A panel member"}}
	got := text(t, r.PDF)
	assertContains(t, got, "Declarations of interest • An assessor declared an interest and took no part. "+
		"• A panel member declared an interest and took no part.")
	if strings.Contains(got, "None declared") {
		t.Error("a record with a declaration says none was declared")
	}
}

func TestDecisionRecordSameInputSameBytes(t *testing.T) {
	first, err := record().PDF()
	if err != nil {
		t.Fatal(err)
	}
	second, err := record().PDF()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("two decision records from the same input differ")
	}
	if !bytes.Contains(first, []byte("/CreationDate (D:20260224000000)")) {
		t.Error("the record's creation date is not the date of the decision")
	}
}

func TestDecisionRecordValidation(t *testing.T) {
	cases := []struct {
		name   string
		change func(*DecisionRecord)
		field  string
	}{
		{"no number", func(r *DecisionRecord) { r.Number = "" }, "Number"},
		{"no office", func(r *DecisionRecord) { r.Office = "" }, "Office"},
		{"no reasons", func(r *DecisionRecord) { r.Reasons = nil }, "Reasons"},
		{"no band", func(r *DecisionRecord) { r.Band = "" }, "Band"},
		{"no rules version", func(r *DecisionRecord) { r.RulesVersion = 0 }, "RulesVersion"},
		{"years that do not make the total", func(r *DecisionRecord) { r.Total = money.Pounds(300000) }, "Years"},
		{"an e-mail address in the purpose", func(r *DecisionRecord) { r.Purpose += " Contact priya@example.org." }, "Purpose"},
		{"an e-mail address for the recommender", func(r *DecisionRecord) { r.RecommendedBy = "b.sample@opcc.example.org" }, "RecommendedBy"},
		{"a declaration by nobody", func(r *DecisionRecord) { r.Declarations = []Declaration{{Role: " "}} }, "Declarations[0].Role"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := record()
			c.change(&r)
			pdf, err := r.PDF()
			assertNamesField(t, pdf, err, c.field)
		})
	}
}

func TestDecisionRecordOfAVariation(t *testing.T) {
	r := record()
	r.Office = "Head of Commissioning"
	r.Variation = "A fourth year added at £120,000.00."
	got := text(t, r.PDF)
	assertContains(t, got, "Decision maker Head of Commissioning",
		"The Head of Commissioning has decided to vary the grant to Safe Harbour Youth Trust from the",
		"so that it is £360,000.00 over three financial years (2026-27 to 2028-29): A fourth year added at £120,000.00.")
	if strings.Contains(got, "has decided to award") {
		t.Error("a variation's record reads as a new award")
	}
}
