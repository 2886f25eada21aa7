package workflows_test

import (
	"testing"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/workflows"
)

func TestBandFor(t *testing.T) {
	capped := func(r *scheme.Rules) { r.Delegation = r.Delegation[:2] }
	unsorted := func(r *scheme.Rules) {
		d := r.Delegation
		r.Delegation = []scheme.Band{d[2], d[1], d[0]}
	}
	cases := []struct {
		name   string
		rules  func(*scheme.Rules)
		amount money.Pence
		role   scheme.Role // "" = error
		err    string
	}{
		{name: "nothing", amount: 0, role: scheme.RoleOfficer},
		{name: "a grassroots grant", amount: money.Pounds(500), role: scheme.RoleOfficer},
		{name: "exactly the officer limit", amount: money.Pounds(5000), role: scheme.RoleOfficer},
		{name: "a penny over the officer limit", amount: 500001, role: scheme.RoleHeadOfCommissioning},
		{name: "exactly the head of commissioning limit", amount: money.Pounds(100000), role: scheme.RoleHeadOfCommissioning},
		{name: "a penny over the head of commissioning limit", amount: 10000001, role: scheme.RoleCommissioner},
		{name: "a multi-year service", amount: money.Pounds(1500000), role: scheme.RoleCommissioner},
		{name: "bands in any order", rules: unsorted, amount: money.Pounds(4000), role: scheme.RoleOfficer},
		{name: "bands in any order, middle band", rules: unsorted, amount: money.Pounds(6000), role: scheme.RoleHeadOfCommissioning},
		{name: "no unlimited band, within the highest", rules: capped, amount: money.Pounds(100000), role: scheme.RoleHeadOfCommissioning},
		{name: "no unlimited band, above the highest", rules: capped, amount: 10000001,
			err: "£100,000.01 is above this scheme's highest delegation band, which goes up to £100,000.00"},
		{name: "no bands", rules: func(r *scheme.Rules) { r.Delegation = nil }, amount: money.Pounds(500),
			err: "this scheme has no delegation bands, so nobody may approve its awards"},
		{name: "negative", amount: -500, err: "the whole-life total, -£5.00, must not be negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rules := policyRules(t)
			if tc.rules != nil {
				tc.rules(&rules)
			}
			band, err := workflows.BandFor(rules, tc.amount)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("BandFor(%s) = %+v, %v; want error %q", tc.amount, band, err, tc.err)
				}
				return
			}
			if err != nil || band.Role != tc.role {
				t.Errorf("BandFor(%s) = %+v, %v; want the %s band", tc.amount, band, err, tc.role)
			}
		})
	}
}

func TestMayApprove(t *testing.T) {
	noHeadBand := func(r *scheme.Rules) { r.Delegation = []scheme.Band{r.Delegation[0], r.Delegation[2]} }
	cases := []struct {
		name   string
		rules  func(*scheme.Rules)
		role   scheme.Role
		amount money.Pence
		err    string // "" = may approve
	}{
		{name: "officer within band", role: scheme.RoleOfficer, amount: money.Pounds(4250)},
		{name: "officer at the band limit", role: scheme.RoleOfficer, amount: money.Pounds(5000)},
		{name: "officer a penny over", role: scheme.RoleOfficer, amount: 500001,
			err: "£5,000.01 needs approval by the Head of Commissioning (band over £5,000.00 up to £100,000.00); " +
				"a commissioning officer may approve up to £5,000.00"},
		{name: "officer, commissioner's band", role: scheme.RoleOfficer, amount: money.Pounds(120000),
			err: "£120,000.00 needs approval by the Commissioner (band over £100,000.00); a commissioning officer may approve up to £5,000.00"},
		{name: "head of commissioning, lower band", role: scheme.RoleHeadOfCommissioning, amount: money.Pounds(500)},
		{name: "head of commissioning at the band limit", role: scheme.RoleHeadOfCommissioning, amount: money.Pounds(100000)},
		{name: "head of commissioning a penny over", role: scheme.RoleHeadOfCommissioning, amount: 10000001,
			err: "£100,000.01 needs approval by the Commissioner (band over £100,000.00); a Head of Commissioning may approve up to £100,000.00"},
		{name: "commissioner, lowest band", role: scheme.RoleCommissioner, amount: money.Pounds(500)},
		{name: "commissioner, middle band", role: scheme.RoleCommissioner, amount: money.Pounds(50000)},
		{name: "commissioner, any amount", role: scheme.RoleCommissioner, amount: money.Pounds(2000000)},
		{name: "assessor", role: scheme.RoleAssessor, amount: money.Pounds(500), err: "an assessor may not approve awards"},
		{name: "applicant", role: scheme.RoleApplicant, amount: money.Pounds(500), err: "an applicant may not approve awards"},
		{name: "finance", role: scheme.RoleFinance, amount: money.Pounds(500), err: "a finance officer may not approve awards"},
		{name: "admin", role: scheme.RoleAdmin, amount: money.Pounds(500), err: "an administrator may not approve awards"},
		{name: "no role", role: "", amount: money.Pounds(500), err: "a person without a role may not approve awards"},
		{name: "head of commissioning without a band of their own approves what the officer band covers",
			rules: noHeadBand, role: scheme.RoleHeadOfCommissioning, amount: money.Pounds(5000)},
		{name: "head of commissioning without a band of their own, above the officer band",
			rules: noHeadBand, role: scheme.RoleHeadOfCommissioning, amount: money.Pounds(6000),
			err: "£6,000.00 needs approval by the Commissioner (band over £5,000.00); a head of commissioning may approve up to £5,000.00"},
		{name: "only the Commissioner decides",
			rules: func(r *scheme.Rules) { r.Delegation = r.Delegation[2:] }, role: scheme.RoleOfficer, amount: money.Pounds(500),
			err: "£500.00 needs approval by the Commissioner (band covering any amount); a commissioning officer may not approve awards under this scheme"},
		{name: "untitled lowest band held by a higher role",
			rules: func(r *scheme.Rules) {
				r.Delegation = []scheme.Band{{Role: scheme.RoleHeadOfCommissioning, UpTo: money.Pounds(100000)}, r.Delegation[2]}
			},
			role: scheme.RoleOfficer, amount: money.Pounds(500),
			err: "£500.00 needs approval by the head of commissioning (band up to £100,000.00); " +
				"a commissioning officer may not approve awards under this scheme"},
		{name: "above every band", rules: func(r *scheme.Rules) { r.Delegation = r.Delegation[:2] },
			role: scheme.RoleCommissioner, amount: money.Pounds(120000),
			err: "£120,000.00 is above this scheme's highest delegation band, which goes up to £100,000.00"},
		{name: "band held by a role that does not decide",
			rules: func(r *scheme.Rules) { r.Delegation[0].Role = scheme.RoleFinance }, role: scheme.RoleCommissioner, amount: money.Pounds(500),
			err: `this scheme's delegation band for £500.00 names "finance", which is not a role that approves awards`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rules := policyRules(t)
			if tc.rules != nil {
				tc.rules(&rules)
			}
			err := workflows.MayApprove(rules, tc.role, tc.amount)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("MayApprove(%q, %s) = %v, want allowed", tc.role, tc.amount, err)
			case tc.err != "" && (err == nil || err.Error() != tc.err):
				t.Errorf("MayApprove(%q, %s) =\n %v\nwant\n %s", tc.role, tc.amount, err, tc.err)
			}
		})
	}
}
