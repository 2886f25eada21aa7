package workflows

import (
	"strings"
	"testing"

	"grantflow/money"
	"grantflow/scheme"
)

// Refusals names, for the steps of the stage a person may not take, Permit's reason; steps they may
// take and steps of other stages are not listed.
func TestRefusalsSayWhyAStepOfTheStageIsNotTheirs(t *testing.T) {
	rules := ruleRules(scheme.Service)
	final := Case{Kind: scheme.Service, Stage: StageFinalSubmitted, Rules: rules, Stakes: money.Pounds(120000)}
	officer := Refusals(final, Party{Role: scheme.RoleOfficer})
	if got := officer[ActionWaiveReturns]; got != "only the head of commissioning may waive missing monitoring returns" {
		t.Errorf("an officer's refusal to waive = %q", got)
	}
	if _, listed := officer[ActionReviewReport]; listed {
		t.Error("the officer may review the final report, yet it is listed as refused")
	}
	if _, listed := officer[ActionWriteOff]; listed {
		t.Error("a write-off is not a step of final_report_submitted, yet it is listed")
	}
	if _, listed := Refusals(final, Party{Role: scheme.RoleHeadOfCommissioning})[ActionWaiveReturns]; listed {
		t.Error("the head of commissioning may waive, yet it is listed as refused")
	}

	recovery := Case{Kind: scheme.Service, Stage: StageRecovery, Rules: rules, Stakes: money.Pounds(10000)}
	for _, c := range []struct {
		who  string
		p    Party
		want string // "" when the step is theirs
	}{
		{"an officer", Party{Role: scheme.RoleOfficer}, "needs approval by the Head of commissioning"},
		{"the moderating head", Party{Role: scheme.RoleHeadOfCommissioning, Moderated: true}, "you recommended this award, so someone else must write off the amount owed"},
		{"the head", Party{Role: scheme.RoleHeadOfCommissioning}, ""},
		{"finance", Party{Role: scheme.RoleFinance}, "a finance officer cannot take this step"},
	} {
		got, listed := Refusals(recovery, c.p)[ActionWriteOff]
		if c.want == "" && listed {
			t.Errorf("%s may write off, yet is refused: %q", c.who, got)
		}
		if c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%s writing off: %q, want it to say %q", c.who, got, c.want)
		}
	}
}
