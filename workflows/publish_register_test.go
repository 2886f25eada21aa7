package workflows_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"grantflow/activities"
	"grantflow/money"
	"grantflow/publication"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
	"grantflow/workflows"
)

// The publication workflow runs as at its own clock: on a clock moved to 06:30 on Tuesday 4 May
// 2027 (London; the 3rd was the early May bank holiday) the activity is asked to publish as at
// that moment, which is when April 2027 falls due, and the workflow returns what was published.
func TestPublishRegisterWorkflowPublishesAsAtItsClock(t *testing.T) {
	for _, c := range []struct {
		start     time.Time
		aprilDue  bool
		published []string
	}{
		{time.Date(2027, 5, 3, 5, 30, 0, 0, time.UTC), false, []string{}},                // 06:30 BST on the bank holiday
		{time.Date(2027, 5, 4, 5, 30, 0, 0, time.UTC), true, []string{"REG-2027-04 v1"}}, // 06:30 BST the day after
	} {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.SetStartTime(c.start)
		env.RegisterWorkflow(workflows.PublishRegisterWorkflow)
		env.RegisterActivity(&activities.Publications{})
		var got activities.PublishRegisterInput
		env.OnActivity("PublishRegister", mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.PublishRegisterInput) (activities.PublishRegisterResult, error) {
				got = in
				return activities.PublishRegisterResult{Published: c.published}, nil
			}).Once()
		env.ExecuteWorkflow(workflows.PublishRegisterWorkflow)
		if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
			t.Fatalf("completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
		}
		var res activities.PublishRegisterResult
		if err := env.GetWorkflowResult(&res); err != nil || len(res.Published) != len(c.published) {
			t.Fatalf("result %+v %v", res, err)
		}
		if !got.AsOf.Equal(c.start) {
			t.Errorf("published as at %v, want the workflow's clock %v", got.AsOf, c.start)
		}
		april := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
		if due := publication.Due(april, got.AsOf); due != c.aprilDue {
			t.Errorf("at %v April 2027 is due: %v, want %v", got.AsOf, due, c.aprilDue)
		}
		env.AssertExpectations(t)
	}
}

// With the real activity and database: an award decided on 20 April 2027 is not published by the
// run on the bank holiday, Monday 3 May, and is by the run at 06:30 on Tuesday 4 May, stamped with
// the workflow's clock; a second run that morning publishes nothing.
func TestPublishRegisterWorkflowPublishesAprilOnTheTuesdayAfterTheBankHoliday(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sc, err := st.UpsertScheme(ctx, store.Scheme{Slug: "gcf", Name: "Grassroots Community Fund", Rules: grassrootsRules()})
	must(err)
	decided := time.Date(2027, 4, 20, 11, 0, 0, 0, scheme.London)
	round, err := st.AddRound(ctx, store.Round{SchemeID: sc.ID, Name: "2027 round 1", OpensAt: decided.AddDate(0, -1, 0), ClosesAt: decided.AddDate(0, 1, 0)})
	must(err)
	org, applicant, err := st.CreateOrganisationWithUser(ctx, store.Organisation{Name: "Friends of Shepshed Park", Type: scheme.OrgCommunityGroup},
		store.NewUser{Email: "sam@shepshedpark.example", Name: "Sam Patel", Role: scheme.RoleApplicant, Password: "correct horse battery"})
	must(err)
	officer, err := st.CreateUser(ctx, store.NewUser{Email: "olu@opcc.example", Name: "Olu Officer", Role: scheme.RoleOfficer, Password: "correct horse battery"})
	must(err)
	app, err := st.CreateDraft(ctx, org.ID, applicant.ID, store.Draft{SchemeID: sc.ID, RoundID: round.ID, Title: "Park patrol"})
	must(err)
	_, err = st.CreateAward(ctx, store.Award{ApplicationID: app, Reference: "GCF-2027-0001", Amount: money.Pounds(2500), Purpose: "Park patrols.",
		Conditions: json.RawMessage(`[]`), Reasons: "Fewer incidents.", ApprovedBy: officer.ID, ApprovedRole: "officer", DelegationBand: "Officer",
		RulesVersion: 1, DecidedAt: decided, AcceptBy: decided.AddDate(0, 0, 28)},
		store.Event{Application: app, Key: "test-award", At: decided, ActorName: "Test", ActorRole: "system", What: "approved", Status: "approved"})
	must(err)

	run := func(at time.Time) activities.PublishRegisterResult {
		t.Helper()
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.SetStartTime(at)
		env.RegisterWorkflow(workflows.PublishRegisterWorkflow)
		env.RegisterActivity(&activities.Publications{Store: st})
		env.ExecuteWorkflow(workflows.PublishRegisterWorkflow)
		if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
			t.Fatalf("completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
		}
		var res activities.PublishRegisterResult
		must(env.GetWorkflowResult(&res))
		return res
	}
	if res := run(time.Date(2027, 5, 3, 6, 30, 0, 0, scheme.London)); len(res.Published) != 0 {
		t.Fatalf("the bank holiday's run published %v", res.Published)
	}
	tuesday := time.Date(2027, 5, 4, 6, 30, 0, 0, scheme.London)
	if res := run(tuesday); len(res.Published) != 1 || res.Published[0] != "REG-2027-04 v1" {
		t.Fatalf("Tuesday's run published %v, want REG-2027-04 v1", res.Published)
	}
	if res := run(tuesday.Add(time.Hour)); len(res.Published) != 0 {
		t.Fatalf("a second run published %v", res.Published)
	}
	list, err := st.RegisterPublications(ctx)
	must(err)
	if len(list) != 1 || list[0].Awards != 1 || !list[0].PublishedAt.Equal(tuesday) {
		t.Errorf("publications %+v, want April's, published at %v", list, tuesday)
	}
}
