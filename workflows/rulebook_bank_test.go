package workflows

import (
	"strings"
	"testing"

	"grantflow/scheme"
)

// Bank details steps: the applicant changes them while something may still be paid; only finance
// records the call-back, and never a member of the organisation that asked for the change.
func TestRuleBookBankDetailsSteps(t *testing.T) {
	for _, c := range []struct {
		name   string
		kind   scheme.Kind
		stage  Stage
		action Action
		p      Party
		want   string // "" when permitted
	}{
		{"applicant, accepted grant", scheme.Grassroots, StageAccepted, ActionChangeBankDetails, Party{Role: scheme.RoleApplicant, Member: true}, ""},
		{"applicant, active service award", scheme.Service, StageActive, ActionChangeBankDetails, Party{Role: scheme.RoleApplicant, Member: true}, ""},
		{"applicant of another organisation", scheme.Grassroots, StageAccepted, ActionChangeBankDetails, Party{Role: scheme.RoleApplicant}, "only a member of the applicant organisation"},
		{"applicant, grant already paid", scheme.Grassroots, StagePaid, ActionChangeBankDetails, Party{Role: scheme.RoleApplicant, Member: true}, "cannot change the bank details while the application is paid"},
		{"applicant, still offered", scheme.Grassroots, StageOffered, ActionChangeBankDetails, Party{Role: scheme.RoleApplicant, Member: true}, "cannot change the bank details"},
		{"finance", scheme.Grassroots, StageAccepted, ActionConfirmBankDetails, Party{Role: scheme.RoleFinance}, ""},
		{"finance, service award", scheme.Service, StageFinalReport, ActionConfirmBankDetails, Party{Role: scheme.RoleFinance}, ""},
		{"finance who is a member", scheme.Grassroots, StageAccepted, ActionConfirmBankDetails, Party{Role: scheme.RoleFinance, Member: true}, "you are a member of the applicant organisation"},
		{"officer", scheme.Grassroots, StageAccepted, ActionConfirmBankDetails, Party{Role: scheme.RoleOfficer}, "only finance may confirm a change of bank details by call-back"},
		{"the applicant", scheme.Service, StageActive, ActionConfirmBankDetails, Party{Role: scheme.RoleApplicant, Member: true}, "only finance may confirm"},
	} {
		err := Permit(Case{Kind: c.kind, Stage: c.stage}, c.action, c.p)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want it to say %q", c.name, err, c.want)
		}
	}
}
