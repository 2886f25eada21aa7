package scheme

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"grantflow/money"
)

// Problems are what is wrong with rules, by the field at fault as the rules' JSON names it:
// "max_amount_pence", "criteria[2].weight_percent", "delegation[1].role", "area_codes.Leicester".
// The API answers them as its 422's fields; the editor shows each by its field.
type Problems map[string]string

// Error lists every problem, field by field in a stable order.
func (p Problems) Error() string {
	var lines []string
	for _, f := range slices.Sorted(maps.Keys(p)) {
		lines = append(lines, f+": "+p[f])
	}
	return strings.Join(lines, "; ")
}

func (p Problems) add(field, reason string) {
	if _, seen := p[field]; !seen {
		p[field] = reason
	}
}

var criterionKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Problems checks every rule and names each field at fault; empty when the rules are usable.
func (r Rules) Problems() Problems {
	p := Problems{}
	if r.Kind != Grassroots && r.Kind != Service {
		p.add("kind", fmt.Sprintf("must be %q or %q", Grassroots, Service))
	}
	switch code := strings.TrimSpace(r.Code); {
	case code == "":
		p.add("code", "is required: the letters that start each application's reference, such as GCF")
	case len(code) > 12 || strings.ContainsAny(code, " /\\"):
		p.add("code", "must be at most 12 letters or digits without spaces or slashes")
	}
	if r.MinAmount <= 0 {
		p.add("min_amount_pence", "must be more than £0.00")
	}
	switch {
	case r.MaxAmount <= 0:
		p.add("max_amount_pence", "must be more than £0.00")
	case r.MaxAmount > Limit:
		p.add("max_amount_pence", "is larger than any grant ("+Limit.String()+")")
	case r.MaxAmount < r.MinAmount:
		p.add("max_amount_pence", fmt.Sprintf("must be at least the minimum amount (%s)", r.MinAmount))
	}
	if r.MaxDurationMonths <= 0 {
		p.add("max_duration_months", "must be a whole number of months more than 0")
	}
	r.checkOrganisationTypes(p)
	r.checkPlaces(p)
	checkList(p, "priorities", "priority", r.Priorities)
	r.checkCriteria(p)
	r.checkDelegation(p)
	r.checkPeriods(p)
	return p
}

func (r Rules) checkOrganisationTypes(p Problems) {
	if len(r.OrganisationTypes) == 0 {
		p.add("organisation_types", "must list at least one organisation type that may apply")
	}
	seen := map[string]bool{}
	for i, t := range r.OrganisationTypes {
		field := fmt.Sprintf("organisation_types[%d]", i)
		switch {
		case OrganisationTypes[t] == "":
			p.add(field, fmt.Sprintf("%q is not an organisation type (one of %s)", t, strings.Join(slices.Sorted(maps.Keys(OrganisationTypes)), ", ")))
		case seen[t]:
			p.add(field, fmt.Sprintf("%q is listed twice", t))
		}
		seen[t] = true
	}
}

// checkList refuses an empty list, blank entries and entries listed twice.
func checkList(p Problems, field, one string, list []string) {
	if len(list) == 0 {
		p.add(field, "must list at least one "+one)
	}
	seen := map[string]bool{}
	for i, v := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			p.add(f, "is blank: name the "+one)
		case len([]rune(v)) > 200:
			p.add(f, "must be at most 200 characters")
		case seen[v]:
			p.add(f, fmt.Sprintf("%q is listed twice", v))
		}
		seen[v] = true
	}
}

func (r Rules) checkPlaces(p Problems) {
	checkList(p, "areas", "area", r.Areas)
	areas := map[string]bool{}
	for _, a := range r.Areas {
		areas[strings.TrimSpace(a)] = true
	}
	for _, name := range slices.Sorted(maps.Keys(r.AreaCodes)) {
		field := "area_codes." + name
		switch code := r.AreaCodes[name]; {
		case !areas[name]:
			p.add(field, fmt.Sprintf("%q is not one of the scheme's areas", name))
		case !IsAreaCode(code):
			p.add(field, fmt.Sprintf("%q is not a local authority district code: write E06, E07, E08, E09, W06 or S12 and six digits, such as E06000016 for Leicester", code))
		}
	}
	wards := map[string]bool{}
	for i, w := range r.Wards {
		field := fmt.Sprintf("wards[%d]", i)
		area, _, ok := SplitWard(w)
		switch {
		case !ok:
			p.add(field, fmt.Sprintf("%q must name its area and ward, as \"Leicester: Abbey\"", w))
		case !areas[area]:
			p.add(field, fmt.Sprintf("%q is outside the scheme's areas: %s is not one of them", w, area))
		case wards[w]:
			p.add(field, fmt.Sprintf("%q is listed twice", w))
		}
		wards[w] = true
	}
	seenCode := map[string]string{}
	for _, label := range slices.Sorted(maps.Keys(r.WardCodes)) {
		field := "ward_codes." + label
		switch code := r.WardCodes[label]; {
		case !wards[label]:
			p.add(field, fmt.Sprintf("%q is not one of the scheme's wards", label))
		case !IsWardCode(code):
			p.add(field, fmt.Sprintf("%q is not a ward code: write E05, W05 or S13 and six digits, such as E05010458", code))
		case seenCode[code] != "":
			p.add(field, fmt.Sprintf("%s is already the code of %s", code, seenCode[code]))
		default:
			seenCode[code] = label
		}
	}
}

func (r Rules) checkCriteria(p Problems) {
	if len(r.Criteria) == 0 {
		p.add("criteria", "must list at least one assessment criterion")
		return
	}
	total := 0
	keys := map[string]int{}
	for i, c := range r.Criteria {
		f := fmt.Sprintf("criteria[%d]", i)
		switch prev, seen := keys[c.Key]; {
		case c.Key == "":
			p.add(f+".key", "is required: a short name such as need or value")
		case !criterionKey.MatchString(c.Key):
			p.add(f+".key", fmt.Sprintf("%q must start with a small letter and hold only small letters, digits and _", c.Key))
		case seen:
			p.add(f+".key", fmt.Sprintf("%q is already the key of criterion %d", c.Key, prev+1))
		default:
			keys[c.Key] = i
		}
		if strings.TrimSpace(c.Name) == "" {
			p.add(f+".name", "is required")
		}
		if c.Weight <= 0 || c.Weight > 100 {
			p.add(f+".weight_percent", "must be a whole percentage from 1 to 100")
		}
		if c.Minimum < 0 || c.Minimum > 5 {
			p.add(f+".minimum", "must be a score from 0 (no minimum) to 5")
		}
		total += c.Weight
	}
	if total != 100 {
		p.add("criteria", fmt.Sprintf("the weights add up to %d%%, not 100%%", total))
	}
}

func (r Rules) checkDelegation(p Problems) {
	if len(r.Delegation) == 0 {
		p.add("delegation", "must list at least one band of delegated authority")
		return
	}
	roles := map[Role]int{}
	for i, b := range r.Delegation {
		f := fmt.Sprintf("delegation[%d]", i)
		switch prev, seen := roles[b.Role]; {
		case b.Role == "":
			p.add(f+".role", "is required: the role that may approve awards in this band")
		case !b.Role.Decides():
			p.add(f+".role", fmt.Sprintf("%q may not take funding decisions: choose %s, %s or %s", b.Role, RoleOfficer, RoleHeadOfCommissioning, RoleCommissioner))
		case seen:
			p.add(f+".role", fmt.Sprintf("%s already has band %d", b.Role.Title(), prev+1))
		default:
			roles[b.Role] = i
		}
		if len([]rune(b.Title)) > 200 {
			p.add(f+".title", "must be at most 200 characters")
		}
		last := i == len(r.Delegation)-1
		switch {
		case b.UpTo < 0:
			p.add(f+".up_to_pence", "cannot be negative")
		case b.UpTo == 0 && !last:
			p.add(f+".up_to_pence", "only the last band may be unlimited: give the most this band may approve")
		case i > 0 && b.UpTo != 0 && r.Delegation[i-1].UpTo != 0 && b.UpTo <= r.Delegation[i-1].UpTo:
			p.add(f+".up_to_pence", fmt.Sprintf("must be more than the band before it (%s): bands rise without overlapping", r.Delegation[i-1].UpTo))
		case last && b.UpTo != 0 && r.MaxAmount > 0 && b.UpTo < r.MaxAmount:
			p.add(f+".up_to_pence", fmt.Sprintf("must reach the maximum amount (%s), or be left without a limit: nobody could approve an award above %s", r.MaxAmount, b.UpTo))
		}
	}
}

// periods are the rules counted in days or months; zero means the default where a default is said.
var periods = []struct {
	key      string
	get      func(Rules) int
	positive bool
}{
	{"acceptance_days", func(r Rules) int { return r.AcceptanceDays }, true},
	{"acceptance_reminder_days", func(r Rules) int { return r.AcceptanceReminderDays }, false},
	{"report_due_months", func(r Rules) int { return r.ReportDueMonths }, true},
	{"report_reminder_days", func(r Rules) int { return r.ReportReminderDays }, false},
	{"report_resubmit_days", func(r Rules) int { return r.ReportResubmitDays }, false},
	{"escalation_days", func(r Rules) int { return r.EscalationDays }, false},
	{"draft_grace_hours", func(r Rules) int { return r.DraftGraceHours }, false},
	{"assessors_required", func(r Rules) int { return r.AssessorsRequired }, false},
	{"panel_reminder_days", func(r Rules) int { return r.PanelReminderDays }, false},
	{"return_due_days", func(r Rules) int { return r.ReturnDueDays }, false},
	{"return_reminder_days", func(r Rules) int { return r.ReturnReminderDays }, false},
	{"repayment_days", func(r Rules) int { return r.RepaymentDays }, false},
}

func (r Rules) checkPeriods(p Problems) {
	for _, pd := range periods {
		v := pd.get(r)
		switch {
		case pd.positive && v <= 0:
			p.add(pd.key, "must be a whole number more than 0")
		case v < 0:
			reason := "cannot be negative"
			if f, ok := FieldByKey(pd.key); ok && f.Default != "" {
				reason += " (0 means the default of " + f.Default + ")"
			}
			p.add(pd.key, reason)
		case v > 3650:
			p.add(pd.key, "must be at most 3650")
		}
	}
	if r.AcceptanceDays > 0 && r.AcceptanceReminderDays >= r.AcceptanceDays {
		p.add("acceptance_reminder_days", fmt.Sprintf("must be fewer than the days to accept (%d)", r.AcceptanceDays))
	}
	if r.ReturnDueDays > 0 && r.ReturnReminderDays >= r.ReturnDueDays {
		p.add("return_reminder_days", fmt.Sprintf("must be fewer than the days a return is due after its quarter (%d)", r.ReturnDueDays))
	}
	for _, t := range []struct{ key, v string }{{"cost_centre", r.CostCentre}, {"signatory", r.Signatory}, {"decision_record_prefix", r.DecisionRecordPrefix}} {
		if len([]rune(t.v)) > 200 {
			p.add(t.key, "must be at most 200 characters")
		}
	}
	if strings.ContainsAny(r.DecisionRecordPrefix, " \t\n") {
		p.add("decision_record_prefix", "must not contain spaces")
	}
}

// Limit is more than any grant could be.
const Limit = money.Pence(100_000_000_00)
