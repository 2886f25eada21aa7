package scheme_test

import (
	"strings"
	"testing"

	"grantflow/internal/demo"
)

// escalation_days: the demo schemes set it, 0 means the default of 10, and a negative number is
// refused with a message naming the field.
func TestEscalationDays(t *testing.T) {
	for _, r := range []struct {
		name string
		days int
	}{{"grassroots", demo.GrassrootsRules().EscalationDays}, {"service", demo.ServiceRules().EscalationDays}} {
		if r.days != 10 {
			t.Errorf("the demo %s scheme's escalation_days is %d; want 10", r.name, r.days)
		}
	}
	rules := demo.GrassrootsRules()
	rules.EscalationDays = 0
	if err := rules.Validate(); err != nil || rules.EscalationPeriod() != 10 {
		t.Errorf("escalation_days 0: %v, period %d; want valid and 10", err, rules.EscalationPeriod())
	}
	rules.EscalationDays = 5
	if err := rules.Validate(); err != nil || rules.EscalationPeriod() != 5 {
		t.Errorf("escalation_days 5: %v, period %d; want valid and 5", err, rules.EscalationPeriod())
	}
	rules.EscalationDays = -1
	if err := rules.Validate(); err == nil || !strings.Contains(err.Error(), "escalation_days") {
		t.Errorf("escalation_days -1: %v; want refused, naming escalation_days", err)
	}
}
