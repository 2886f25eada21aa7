package workflows_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"grantflow/activities"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/workflows"
)

// A step of the agenda that fails for good (here, recording a held tranche) does not end a
// multi-year award: the officer is told, and the step is done when the agenda is tried again a day
// later.
func TestServiceAgendaFailureIsHeldAndRetried(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	var mu sync.Mutex
	failures := 0
	f.envHook = func(env *testsuite.TestWorkflowEnvironment) {
		real := &activities.Awards{Store: f.s}
		env.OnActivity(real.HoldTranche, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.HoldTrancheInput) error {
			mu.Lock()
			defer mu.Unlock()
			if failures == 0 {
				failures++
				return temporal.NewNonRetryableApplicationError("the tranche record was refused", "Refused", nil)
			}
			return real.HoldTranche(ctx, in)
		})
	}
	q := func(fy, n int) workflows.Quarter { return workflows.Quarter{FY: fy, Q: n} }
	f.toActive(f.commissioner)
	f.onTime(q(2026, 1), 2026, workflows.RAGGreen)
	f.releasedOnTime(q(2026, 2), 2)
	f.pay(london(2026, time.July, 3, 10, 0), 2)
	// The Q2 return is not in, so tranche 3 is due to be held on 1 October: the first try fails.
	f.at(london(2026, time.October, 1, 12, 0), func() {
		f.wantStage(workflows.StageActive)
		if x := f.tranche(3); x.Status == workflows.TrancheHeld {
			t.Errorf("tranche 3 recorded as held although recording it failed: %+v", x)
		}
		esc := f.notifications("escalation")
		if len(esc) == 0 || !strings.Contains(esc[len(esc)-1].Message, "a scheduled step could not be done and will be tried again") ||
			!strings.Contains(esc[len(esc)-1].Message, "the tranche record was refused") || esc[len(esc)-1].Audience != "officer" {
			t.Errorf("escalations %+v; want the officer told of the failed step", esc)
		}
	})
	f.at(london(2026, time.October, 2, 1, 0), func() {
		f.wantStage(workflows.StageActive)
		if x := f.tranche(3); x.Status != workflows.TrancheHeld {
			t.Errorf("tranche 3 a day after the failure: %+v; want held", x)
		}
		if st := f.status(); st.AgendaFailures != 1 {
			t.Errorf("agenda failures %d; want 1", st.AgendaFailures)
		}
	})
	f.drive(london(2026, time.October, 3, 0, 0))
}

// An approval whose documents cannot be issued goes back to decision, and the application list says
// so too, never "approved" for an award that does not stand; approving again then completes it.
func TestServiceFailedApprovalGoesBackToDecisionEverywhere(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	var mu sync.Mutex
	failures := 0
	f.envHook = func(env *testsuite.TestWorkflowEnvironment) {
		real := &activities.Documents{Store: f.s, Letterhead: letters.Letterhead{Body: "Office of the Police and Crime Commissioner (demo)",
			Address: []string{"Police Headquarters", "Enderby", "LE19 2BX"}, Email: "grants@opcc.example"}}
		env.OnActivity(real.IssueFinanceAwardNotice, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.IssueDocumentInput) (activities.DocumentResult, error) {
			mu.Lock()
			defer mu.Unlock()
			if failures == 0 {
				failures++
				return activities.DocumentResult{}, temporal.NewNonRetryableApplicationError("the finance notice was refused", "Refused", nil)
			}
			return real.IssueFinanceAwardNotice(ctx, in)
		})
	}
	deadline := endOfLondonDay(2026, time.February, 20)
	f.ok(london(2026, time.February, 3, 10, 0), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor, f.assessor3), workflows.StageAssessment)
	f.ok(london(2026, time.February, 9, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor, 4), workflows.StageAssessment)
	f.ok(london(2026, time.February, 10, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor3, 5), workflows.StageModeration)
	f.ok(london(2026, time.February, 11, 10, 0), workflows.UpdateModerate, f.svcModerate(f.officer), workflows.StageDecision)
	failed := f.update(london(2026, time.February, 12, 10, 0), workflows.UpdateDecide, svcApprove(f.commissioner))
	f.at(london(2026, time.February, 12, 11, 0), func() {
		if failed.err == nil || !strings.Contains(failed.err.Error(), "the finance notice was refused") {
			t.Errorf("the failed approval answered %v; want the notice's failure", failed.err)
		}
		f.wantStage(workflows.StageDecision) // the workflow and the application list alike
		if e := f.event("Approval could not be completed: back to decision"); e.Status != string(workflows.StageDecision) {
			t.Errorf("the timeline's line for the failed approval: %+v", e)
		}
	})
	f.ok(london(2026, time.February, 12, 12, 0), workflows.UpdateDecide, svcApprove(f.commissioner), workflows.StageOffered)
	if final := f.drive(time.Time{}); final.Stage != workflows.StageLapsed { // nobody accepts: the offer lapses and the run ends
		t.Errorf("ended at %s; want the offer lapsed", final.Stage)
	}
}

// A variation whose grant agreement cannot be issued does not stand: the award, its tranches and
// the budgets stay as they were, no agreement or decision record of the new version is left listed,
// and the timeline says so. Varying again then completes it, under the decision record number the
// first attempt was given.
func TestServiceVariationWhoseAgreementFailsDoesNotStand(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	var mu sync.Mutex
	failures := 0
	f.envHook = func(env *testsuite.TestWorkflowEnvironment) {
		real := &activities.Documents{Store: f.s, Letterhead: letters.Letterhead{Body: "Office of the Police and Crime Commissioner (demo)",
			Address: []string{"Police Headquarters", "Enderby", "LE19 2BX"}, Email: "grants@opcc.example"}}
		env.OnActivity(real.IssueGrantAgreement, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.AgreementInput) (activities.DocumentResult, error) {
			mu.Lock()
			defer mu.Unlock()
			if in.Version == 2 && failures == 0 {
				failures++
				return activities.DocumentResult{}, temporal.NewNonRetryableApplicationError("the agreement was refused", "Refused", nil)
			}
			return real.IssueGrantAgreement(ctx, in)
		})
	}
	q := func(fy, n int) workflows.Quarter { return workflows.Quarter{FY: fy, Q: n} }
	varied := svcYears(2026, 120000, 130000, 140000)
	vary := workflows.VaryRequest{Actor: f.commissioner, Years: varied, Summary: "A second A&E site from 2027-28.",
		Conditions: []string{"Acknowledge the Commissioner's funding in publicity.", "Report each site separately."}}
	f.toActive(f.commissioner)
	f.onTime(q(2026, 1), 2026, workflows.RAGGreen)
	var before []string
	f.at(london(2026, time.July, 20, 9, 0), func() { before = f.trancheSummary() })
	failed := f.update(london(2026, time.July, 20, 10, 0), workflows.UpdateVary, vary)
	f.at(london(2026, time.July, 20, 11, 0), func() {
		if kind, r, ok := workflows.RefusalOf(failed.err); !ok || kind != workflows.RefusalStage ||
			!strings.Contains(r.Reason, "the award stands as version 1 and nothing was changed: the agreement was refused") {
			t.Errorf("the variation whose agreement failed answered %v; want it refused, saying nothing changed and why", failed.err)
		}
		st := f.wantStage(workflows.StageActive)
		if st.Award.Version != 1 || !slices.Equal(st.Award.Years, f.years) || st.Award.DecisionRecord != "PCC/2026/001" {
			t.Errorf("award after the failed variation %+v; want version 1 as approved", st.Award)
		}
		if a := f.award(); a.Version != 1 || a.Amount != money.Pounds(360000) {
			t.Errorf("stored award %+v; want version 1 of £360,000.00", a)
		}
		if v, err := f.s.Variations(f.ctx, f.in.ApplicationID); err != nil || len(v) != 0 {
			t.Errorf("variations %+v (%v); want none", v, err)
		}
		if got := f.commitments(); !slices.Equal(got, f.years) {
			t.Errorf("commitments after the failed variation %+v; want %+v", got, f.years)
		}
		if f.committed(2027) != money.Pounds(120000) || f.committed(2028) != money.Pounds(120000) {
			t.Errorf("budgets committed %s and %s after the failed variation; want £120,000.00 each", f.committed(2027), f.committed(2028))
		}
		if got := f.trancheSummary(); !slices.Equal(got, before) {
			t.Errorf("tranches after the failed variation %q; want %q", got, before)
		}
		for _, d := range f.documents() {
			if d.Version == 2 && (d.Kind == activities.KindGrantAgreement || d.Kind == activities.KindDecisionRecord) {
				t.Errorf("%s version 2 is listed although the variation did not stand", d.Kind)
			}
		}
		if e := f.event("Variation could not be completed: the award stands as version 1"); !strings.Contains(e.Why, "the agreement was refused") {
			t.Errorf("the timeline's line for the failed variation says %q", e.Why)
		}
	})
	f.ok(london(2026, time.July, 20, 12, 0), workflows.UpdateVary, vary, "")
	f.at(london(2026, time.July, 20, 13, 0), func() {
		st := f.status()
		if st.Award.Version != 2 || !slices.Equal(st.Award.Years, varied) || st.Award.DecisionRecord != "PCC/2026/002" {
			t.Errorf("award after varying again %+v; want version 2 of %+v under PCC/2026/002", st.Award, varied)
		}
		f.wantText(f.document(activities.KindGrantAgreement, 2), "A second A&E site from 2027-28.", "£390,000.00", "Report each site separately.")
		f.wantText(f.document(activities.KindDecisionRecord, 2), "PCC/2026/002", "variation, version 2", "£390,000.00")
		if got := f.commitments(); !slices.Equal(got, varied) {
			t.Errorf("commitments after varying again %+v; want %+v", got, varied)
		}
	})
	f.settle(f.drive(london(2026, time.August, 1, 0, 0)))
}
