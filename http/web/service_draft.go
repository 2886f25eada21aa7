package web

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// The service (multi-year) scheme's questions on the application form: what the
// /api/v1/applications draft's "service" holds (store.ServiceDetails). The amount is asked for
// each financial year, one box per year the scheme allows; outcomes and their indicators are a
// fixed number of rows, blank rows ignored. The API's field names ("service.years[0].amount_pence")
// are mapped back to these boxes when a submission is refused.

// Field names of the service questions.
const (
	sService     = "service.service"
	sDescription = "service.description"
	sWards       = "service.wards"
	sLead        = "service.safeguarding.lead"
	sPolicy      = "service.safeguarding.policy_reviewed_on"
	sDBS         = "service.safeguarding.dbs_checks"
	sTrustees    = "service.governance.trustees"
	sAccounts    = "service.governance.latest_accounts_year"
)

func sYear(fy int) string   { return fmt.Sprintf("service.years.%d", fy) }
func sOutcome(i int) string { return fmt.Sprintf("service.outcomes.%d.outcome", i) }
func sIndicator(i, j int, part string) string {
	return fmt.Sprintf("service.outcomes.%d.indicators.%d.%s", i, j, part)
}

// The form shows at least this many outcome rows, each with at least this many indicator rows.
const (
	outcomeRows   = 3
	indicatorRows = 2
)

// serviceForm lays out the service questions for one draft.
type serviceForm struct {
	Years                []yearInput
	MinAmount, MaxAmount string
	MaxYears             int
	Outcomes             []outcomeInput
	DBS                  []option

	saved store.ServiceDetails // what the draft holds: the API's indexes refer to it
}

type yearInput struct {
	FY          int
	Name, Label string
}

type outcomeInput struct {
	No         int
	ID, Name   string
	Indicators []indicatorInput
}

type indicatorInput struct {
	No                 int
	ID                 string
	Name, Unit, Target string
}

// serviceFormFor offers a box for each financial year from this one to as many as the scheme
// allows, and for any other year the draft already holds.
func serviceFormFor(rules scheme.Rules, thisFY int, saved store.ServiceDetails) *serviceForm {
	maxYears := max(1, rules.MaxDurationMonths/12)
	sf := &serviceForm{MinAmount: rules.MinAmount.String(), MaxAmount: rules.MaxAmount.String(), MaxYears: maxYears, saved: saved,
		DBS: []option{{Value: "yes", Label: "Yes"}, {Value: "no", Label: "No"}}}
	var fys []int
	for fy := thisFY; fy < thisFY+maxYears; fy++ {
		fys = append(fys, fy)
	}
	for _, y := range saved.Years {
		if !slices.Contains(fys, y.FinancialYear) {
			fys = append(fys, y.FinancialYear)
		}
	}
	slices.Sort(fys)
	for _, fy := range fys {
		sf.Years = append(sf.Years, yearInput{FY: fy, Name: sYear(fy), Label: scheme.FinancialYearLabel(fy)})
	}
	for i := range max(outcomeRows, len(saved.Outcomes)) {
		o := outcomeInput{No: i + 1, ID: htmlID(fmt.Sprintf("service.outcomes.%d", i)), Name: sOutcome(i)}
		n := indicatorRows
		if i < len(saved.Outcomes) {
			n = max(n, len(saved.Outcomes[i].Indicators))
		}
		for j := range n {
			o.Indicators = append(o.Indicators, indicatorInput{No: j + 1, ID: htmlID(fmt.Sprintf("service.outcomes.%d.indicators.%d", i, j)),
				Name: sIndicator(i, j, "name"), Unit: sIndicator(i, j, "unit"), Target: sIndicator(i, j, "target")})
		}
		sf.Outcomes = append(sf.Outcomes, o)
	}
	return sf
}

// fill puts the saved details into the form's values.
func (sf *serviceForm) fill(v url.Values) {
	d := sf.saved
	v.Set(sService, d.Service)
	v.Set(sDescription, d.Description)
	v.Set(sWards, strings.Join(d.Wards, "\n"))
	for _, y := range d.Years {
		if y.Amount > 0 {
			v.Set(sYear(y.FinancialYear), strings.TrimPrefix(y.Amount.String(), "£"))
		}
	}
	for i, o := range d.Outcomes {
		v.Set(sOutcome(i), o.Outcome)
		for j, ind := range o.Indicators {
			v.Set(sIndicator(i, j, "name"), ind.Name)
			v.Set(sIndicator(i, j, "unit"), ind.Unit)
			v.Set(sIndicator(i, j, "target"), strconv.FormatInt(ind.QuarterlyTarget, 10))
		}
	}
	v.Set(sLead, d.Safeguarding.Lead)
	if t, err := time.Parse(time.DateOnly, d.Safeguarding.PolicyReviewedOn); err == nil {
		v.Set(sPolicy+"-day", strconv.Itoa(t.Day()))
		v.Set(sPolicy+"-month", strconv.Itoa(int(t.Month())))
		v.Set(sPolicy+"-year", strconv.Itoa(t.Year()))
	}
	if d.Safeguarding.DBSChecks {
		v.Set(sDBS, "yes")
	} else if d.Safeguarding.Lead != "" || d.Safeguarding.PolicyReviewedOn != "" {
		v.Set(sDBS, "no") // answered along with the rest of the section
	}
	if d.Governance.Trustees > 0 {
		v.Set(sTrustees, strconv.Itoa(d.Governance.Trustees))
	}
	v.Set(sAccounts, d.Governance.LatestAccountsYear)
}

// read reads the service questions, recording what cannot be saved even in a draft (the limits
// the API's draft check sets). Blank rows and years are left out.
func (sf *serviceForm) read(f *form) store.ServiceDetails {
	var d store.ServiceDetails
	labels := map[string]string{sService: "Name of the service", sDescription: "Description of the service", sWards: "Wards",
		sLead: "Safeguarding lead", sAccounts: "Latest accounts"}
	texts := []string{sService, sDescription, sWards, sLead, sAccounts}
	for _, o := range sf.Outcomes {
		labels[o.Name] = fmt.Sprintf("Outcome %d", o.No)
		texts = append(texts, o.Name)
		for _, ind := range o.Indicators {
			labels[ind.Name], labels[ind.Unit] = fmt.Sprintf("Indicator %d of outcome %d", ind.No, o.No), fmt.Sprintf("Unit of indicator %d of outcome %d", ind.No, o.No)
			texts = append(texts, ind.Name, ind.Unit)
		}
	}
	f.noNUL(labels, texts...)
	text := func(name string, limit int) string {
		v := f.Value(name)
		if len([]rune(v)) > limit {
			f.add(name, fmt.Sprintf("%s must be %s characters or fewer", labels[name], commaInt(limit)))
		}
		return v
	}
	d.Service, d.Description = text(sService, 200), text(sDescription, 10000)
	d.Wards = []string{}
	for _, w := range strings.Split(f.Value(sWards), "\n") {
		if w = strings.TrimSpace(w); w != "" {
			d.Wards = append(d.Wards, w)
			if len([]rune(w)) > 200 {
				f.add(sWards, "Each ward must be 200 characters or fewer")
			}
		}
	}
	if len(d.Wards) > 200 {
		f.add(sWards, "List 200 wards or fewer")
	}
	d.Years = []store.YearAmount{}
	for _, y := range sf.Years {
		v := f.Value(y.Name)
		if v == "" {
			continue
		}
		p, err := money.Parse(v)
		switch {
		case err != nil:
			f.add(y.Name, "Enter the amount for "+y.Label+" in pounds and pence, like 150,000.00")
		case p > money.Pounds(100_000_000):
			f.add(y.Name, "The amount for "+y.Label+" is larger than any grant")
		default:
			d.Years = append(d.Years, store.YearAmount{FinancialYear: y.FY, Amount: p})
		}
	}
	d.Outcomes = []store.Outcome{}
	keys := map[string]bool{}
	for _, o := range sf.Outcomes {
		out := store.Outcome{Outcome: text(o.Name, 1000), Indicators: []store.Indicator{}}
		for _, row := range o.Indicators {
			ind := store.Indicator{Name: text(row.Name, 200), Unit: text(row.Unit, 50)}
			if t := f.Value(row.Target); t != "" {
				n, err := strconv.ParseInt(strings.ReplaceAll(t, ",", ""), 10, 64)
				if err != nil || n < 0 || n > 1_000_000_000 {
					f.add(row.Target, fmt.Sprintf("Target for indicator %d of outcome %d must be a whole number, like 60", row.No, o.No))
				}
				ind.QuarterlyTarget = n
			}
			if ind.Name == "" && ind.Unit == "" && f.Value(row.Target) == "" {
				continue
			}
			ind.Key = indicatorKey(ind.Name, keys)
			out.Indicators = append(out.Indicators, ind)
		}
		if out.Outcome != "" || len(out.Indicators) > 0 {
			d.Outcomes = append(d.Outcomes, out)
		}
	}
	d.Safeguarding.Lead = text(sLead, 200)
	if t := optionalDate(f, sPolicy, "the date your safeguarding policy was last reviewed"); t != nil {
		d.Safeguarding.PolicyReviewedOn = t.Format(time.DateOnly)
	}
	switch f.Value(sDBS) {
	case "yes":
		d.Safeguarding.DBSChecks = true
	case "", "no":
	default:
		f.add(sDBS, "Select yes or no")
	}
	if v := f.Value(sTrustees); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			f.add(sTrustees, "Number of trustees or directors must be a whole number, like 7")
		}
		d.Governance.Trustees = n
	}
	d.Governance.LatestAccountsYear = text(sAccounts, 20)
	return d
}

// indicatorKey names an indicator for the returns that report against it, from its name:
// "High-risk victims supported" is "high_risk_victims_supported". Keys are unique in the service.
func indicatorKey(name string, taken map[string]bool) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if gap && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			gap = false
		} else {
			gap = true
		}
	}
	base := []rune(b.String())
	if len(base) > 90 {
		base = base[:90]
	}
	if len(base) == 0 {
		return "" // no name: the submission says it is required
	}
	key := string(base)
	for n := 2; taken[key]; n++ {
		key = fmt.Sprintf("%s_%d", string(base), n)
	}
	taken[key] = true
	return key
}

// commaInt writes a count as people read it: 10,000.
func commaInt(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// apiIndex reads the indexes out of a field such as "service.outcomes[1].indicators[0].name".
var apiIndex = regexp.MustCompile(`\[(\d+)\]`)

// refused puts the API's refusals of the service questions against their boxes, in the order of
// the form. The API's indexes count the saved years and outcomes, which the form shows in order.
func (sf *serviceForm) refused(f *form, fields map[string]string) {
	type target struct{ name, href, label, missing string }
	where := func(api string) (target, bool) {
		var idx []int
		for _, m := range apiIndex.FindAllStringSubmatch(api, -1) {
			n, _ := strconv.Atoi(m[1])
			idx = append(idx, n)
		}
		shape := apiIndex.ReplaceAllString(api, "[]")
		first := func(name string) string { return htmlID(name) }
		switch shape {
		case "service.service":
			return target{sService, first(sService), "Name of the service", "Enter the name of the service"}, true
		case "service.description":
			return target{sDescription, first(sDescription), "Description of the service", "Describe the service"}, true
		case "service.wards", "service.wards[]":
			return target{sWards, first(sWards), "Wards", "List the wards the service covers"}, true
		case "service.years":
			return target{sf.Years[0].Name, first(sf.Years[0].Name), "Amount", ""}, true
		case "service.years[].amount_pence", "service.years[].financial_year":
			if idx[0] < len(sf.saved.Years) {
				name := sYear(sf.saved.Years[idx[0]].FinancialYear)
				return target{name, htmlID(name), "Amount for " + scheme.FinancialYearLabel(sf.saved.Years[idx[0]].FinancialYear), ""}, true
			}
		case "service.outcomes":
			return target{sOutcome(0), htmlID(sOutcome(0)), "Outcomes", ""}, true
		case "service.outcomes[].outcome":
			return target{sOutcome(idx[0]), htmlID(sOutcome(idx[0])), fmt.Sprintf("Outcome %d", idx[0]+1), fmt.Sprintf("Enter outcome %d", idx[0]+1)}, true
		case "service.outcomes[].indicators":
			name := sIndicator(idx[0], 0, "name")
			return target{name, htmlID(name), fmt.Sprintf("Indicators of outcome %d", idx[0]+1), ""}, true
		case "service.outcomes[].indicators[].key", "service.outcomes[].indicators[].name":
			name := sIndicator(idx[0], idx[1], "name")
			return target{name, htmlID(name), fmt.Sprintf("Indicator %d of outcome %d", idx[1]+1, idx[0]+1),
				fmt.Sprintf("Enter the name of indicator %d of outcome %d", idx[1]+1, idx[0]+1)}, true
		case "service.outcomes[].indicators[].unit":
			name := sIndicator(idx[0], idx[1], "unit")
			return target{name, htmlID(name), fmt.Sprintf("Unit of indicator %d of outcome %d", idx[1]+1, idx[0]+1), ""}, true
		case "service.outcomes[].indicators[].quarterly_target":
			name := sIndicator(idx[0], idx[1], "target")
			return target{name, htmlID(name), fmt.Sprintf("Target for indicator %d of outcome %d", idx[1]+1, idx[0]+1), ""}, true
		case "service.safeguarding.lead":
			return target{sLead, first(sLead), "Safeguarding lead", "Enter the name or role of your safeguarding lead"}, true
		case "service.safeguarding.policy_reviewed_on":
			return target{sPolicy, htmlID(sPolicy) + "-day", "The date your safeguarding policy was last reviewed",
				"Enter the date your safeguarding policy was last reviewed"}, true
		case "service.governance.trustees":
			return target{sTrustees, first(sTrustees), "Number of trustees or directors", ""}, true
		case "service.governance.latest_accounts_year":
			return target{sAccounts, first(sAccounts), "Latest accounts", ""}, true
		}
		return target{}, false
	}
	type found struct {
		target
		reason string
		order  int
	}
	var list []found
	for api, reason := range fields {
		if t, ok := where(api); ok {
			list = append(list, found{t, reason, sf.order(t.name)})
		}
	}
	slices.SortFunc(list, func(a, b found) int { return a.order - b.order })
	for _, e := range list {
		msg := fieldMessage(e.label, e.reason)
		switch {
		case e.reason == "is required" && e.missing != "":
			msg = e.missing
		case strings.HasPrefix(e.reason, "cannot "):
			msg = e.label + " " + e.reason
		}
		f.addAt(e.name, e.href, msg)
	}
}

// order is a field's place in the form, so the error summary lists problems as the form asks.
func (sf *serviceForm) order(name string) int {
	names := []string{sService, sDescription, sWards}
	for _, y := range sf.Years {
		names = append(names, y.Name)
	}
	for _, o := range sf.Outcomes {
		names = append(names, o.Name)
		for _, ind := range o.Indicators {
			names = append(names, ind.Name, ind.Unit, ind.Target)
		}
	}
	names = append(names, sLead, sPolicy, sDBS, sTrustees, sAccounts)
	return slices.Index(names, name)
}
