package workflows_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/workflows"
)

// fuzzTime is a Unix time in seconds, with 0 standing for a date left out.
func fuzzTime(seconds int64) time.Time {
	if seconds == 0 {
		return time.Time{}
	}
	return time.Unix(seconds, 0).UTC()
}

// FuzzCheckEligibility: any application is screened without a panic into the six checks in their
// order, each with a reason; eligible exactly when every check passed; the same answer twice; an
// individual or a political party never passes; the amount passes exactly within the scheme's limits
// and the round exactly between its opening and closing (or in the grace before drafts lock).
func FuzzCheckEligibility(f *testing.F) {
	june := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	day := int64(24 * 60 * 60)
	f.Add("charity", "Leicester", "Reducing reoffending", int64(425000), june.Unix(), june.Unix()+200*day, june.Unix()-30*day, june.Unix()+30*day, june.Unix(), false)
	f.Add(" Individual ", "Atlantis", "", int64(-1), june.Unix(), june.Unix()-day, int64(0), int64(0), june.Unix(), true)
	f.Add("political_party", "leicester  ", "REDUCING   reoffending", int64(1<<62), int64(-1<<62), int64(1<<62), june.Unix(), june.Unix(), june.Unix(), true)
	f.Add("guild", "\xff", "\u202e", int64(50000), int64(1), int64(2), june.Unix()+30*day, june.Unix(), june.Unix()+60*day, true)
	rules := demo.GrassrootsRules()
	f.Fuzz(func(t *testing.T, orgType, area, priority string, amount, start, end, opens, closes, submitted int64, beforeLock bool) {
		in := workflows.EligibilityInput{
			OrganisationType: orgType, AreasServed: []string{area, "Leicester " + area}, Priorities: []string{priority},
			Amount: money.Pence(amount), ProjectStart: fuzzTime(start), ProjectEnd: fuzzTime(end),
			RoundOpens: fuzzTime(opens), RoundCloses: fuzzTime(closes), SubmittedAt: fuzzTime(submitted), BeforeDraftsLocked: beforeLock,
		}
		got := workflows.CheckEligibility(rules, in)
		if again := workflows.CheckEligibility(rules, in); !reflect.DeepEqual(got, again) {
			t.Fatalf("screening %+v twice gave %+v, then %+v", in, got, again)
		}
		names := []string{workflows.CheckOrganisationType, workflows.CheckArea, workflows.CheckAmount, workflows.CheckDuration, workflows.CheckPriorities, workflows.CheckRoundOpen}
		if len(got.Checks) != len(names) {
			t.Fatalf("screening %+v made %d checks", in, len(got.Checks))
		}
		all := true
		passed := map[string]bool{}
		for i, c := range got.Checks {
			if c.Name != names[i] || strings.TrimSpace(c.Reason) == "" {
				t.Fatalf("check %d of %+v is %+v, want %s with a reason", i, in, c, names[i])
			}
			all = all && c.Passed
			passed[c.Name] = c.Passed
		}
		if got.Eligible != all || len(got.Reasons()) > 0 == all {
			t.Fatalf("screening %+v: eligible %v, reasons %q, but every check passed is %v", in, got.Eligible, got.Reasons(), all)
		}
		if key := strings.ToLower(strings.TrimSpace(orgType)); (key == scheme.OrgIndividual || key == scheme.OrgPoliticalParty) && passed[workflows.CheckOrganisationType] {
			t.Fatalf("organisation type %q passed", orgType)
		}
		if within := money.Pence(amount) >= rules.MinAmount && money.Pence(amount) <= rules.MaxAmount; passed[workflows.CheckAmount] != within {
			t.Fatalf("amount %d passed %v, but within the limits is %v", amount, passed[workflows.CheckAmount], within)
		}
		o, c, s := in.RoundOpens, in.RoundCloses, in.SubmittedAt
		open := !o.IsZero() && c.After(o) && (!s.Before(o) && s.Before(c) || beforeLock && !s.Before(c))
		if passed[workflows.CheckRoundOpen] != open {
			t.Fatalf("submitted %v in a round %v to %v (before drafts lock %v): passed %v, want %v", s, o, c, beforeLock, passed[workflows.CheckRoundOpen], open)
		}
	})
}
