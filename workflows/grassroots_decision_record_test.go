package workflows_test

import (
	"strings"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// A grassroots grant decided above the officer band (here £7,000 by the head of commissioning,
// and £120,000 by the Commissioner, under rules that allow such grants) gets a numbered decision
// record as soon as it is approved, published at once; one within the officer band gets none. The
// record names the office that decided and the band, and what was declared by role, never a person.
func TestGrassrootsDecisionsAboveTheOfficerBandArePublished(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		role         scheme.Role
		amount       money.Pence
		office, band string
	}{
		{"within the officer band", scheme.RoleOfficer, money.Pounds(3000), "", ""},
		{"head of commissioning", scheme.RoleHeadOfCommissioning, money.Pounds(7000), "Head of Commissioning", "Head of Commissioning"},
		{"Commissioner", scheme.RoleCommissioner, money.Pounds(120000), "Police and Crime Commissioner", "Commissioner"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newGrassroots(t, grassrootsCase{amount: c.amount, budget: money.Pounds(200000), cast: true,
				rules: func(r *scheme.Rules) { r.MaxAmount = money.Pounds(200000) }})
			u, err := f.s.CreateUser(f.ctx, store.NewUser{Email: "dana@opcc.example", Name: "Dana Decider", Role: c.role, Password: "correct horse battery"})
			if err != nil {
				t.Fatal(err)
			}
			decider := actorOf(u)
			f.update(london(2026, time.June, 1, 11, 30), workflows.UpdateDeclareConflict,
				workflows.DeclareConflictRequest{Actor: f.conflicted, HasConflict: true, Details: "My partner chairs the group."})
			f.update(london(2026, time.June, 1, 12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
			approved := f.update(london(2026, time.June, 1, 14, 0), workflows.UpdateDecide, approveReq(decider, c.amount))
			var listed []store.PublicDecision
			f.at(london(2026, time.June, 1, 15, 0), func() { // an hour after the decision, long before the offer lapses
				if listed, err = f.s.PublicDecisions(f.ctx, store.DecisionFilter{FinancialYear: 2026}); err != nil {
					t.Error(err)
				}
			})
			f.run()
			f.wantDone(approved, workflows.StageApproved)
			st := f.status()

			if c.office == "" {
				if st.DecisionRecord != "" || len(listed) != 0 {
					t.Fatalf("an officer's decision has record %q and lists %+v; want none", st.DecisionRecord, listed)
				}
				return
			}
			if st.DecisionRecord != "PCC/2026/001" {
				t.Fatalf("status decision record %q; want PCC/2026/001", st.DecisionRecord)
			}
			if len(listed) != 1 || listed[0].Number != "PCC/2026/001" || listed[0].Office != c.office || listed[0].Band != c.band ||
				listed[0].Total != c.amount || listed[0].Recipient != "Friends of Shepshed Park" || listed[0].Variation != "" {
				t.Fatalf("published an hour after the decision: %+v; want PCC/2026/001 by the %s for %s", listed, c.office, c.amount)
			}
			if e := f.event("Decision record published"); !strings.HasPrefix(e.Why, "PCC/2026/001: ") {
				t.Errorf("the timeline says %q", e.Why)
			}
			var record string
			for _, d := range f.documents() {
				if d.Kind == "decision_record" {
					record = f.documentText(d.ID)
				}
			}
			for _, want := range []string{"Decision record PCC/2026/001", "Safer Shepshed Park, 2026-27", "Decision maker " + c.office,
				"Delegation band " + c.band, "Recipient Friends of Shepshed Park", c.amount.String(),
				"Diverts young people from anti-social behaviour in the park.",
				"An assessor declared an interest and took no part."} {
				if !strings.Contains(record, want) {
					t.Errorf("the decision record lacks %q:\n%s", want, record)
				}
			}
			for _, person := range []string{"Dana Decider", "Cal Conflicted", "Asha Assessor", "Sam Patel", "dana@opcc.example", "cal@opcc.example", "asha@opcc.example", "sam@shepshedpark.example", "12 Park Road", "LE12 9AB"} {
				if strings.Contains(record, person) {
					t.Errorf("the published decision record contains %q:\n%s", person, record)
				}
			}
		})
	}
}
