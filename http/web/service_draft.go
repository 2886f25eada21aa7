package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
)

// The service (multi-year) scheme's questions on the application form: what the
// /api/v1/applications draft's "service" holds (grant.ServiceDetails). The amount is asked for
// each financial year, one box per year the scheme allows; outcomes and their indicators are rows,
// blank rows ignored, with always an empty row more than the draft holds so that it can grow. The
// API's field names ("service.years[0].amount_pence") are mapped back to these boxes when a save
// or a submission is refused.

// Field names of the service questions.
const (
	sService     = "service.service"
	sDescription = "service.description"
	sWards       = "service.wards"
	sStart       = "service.start_date"
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

// The form shows at least this many outcome rows, each with at least this many indicator rows, and
// always one empty row of each more than the draft holds, up to what the API lets a draft hold.
const (
	outcomeRows   = 3
	indicatorRows = 2
	maxOutcomes   = 50 // the API's limits (checkServiceDraft)
	maxIndicators = 50
)

// serviceForm lays out the service questions for one draft.
type serviceForm struct {
	Years                []yearInput
	MinAmount, MaxAmount string
	MaxYears             int
	StartHint            string // the proposed start date's hint
	Outcomes             []outcomeInput
	DBS                  []option

	saved grant.ServiceDetails // what the draft holds: the API's indexes refer to it
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

// indicatorInput is one indicator's row. Key is a hidden field holding the key of the indicator
// the row was filled with, so the key stays as long as the indicator keeps its name.
type indicatorInput struct {
	No                      int
	ID                      string
	Name, Unit, Target, Key string
}

// serviceFormFor offers a box for each financial year from this one to as many as the scheme
// allows, and for any other year the draft already holds; and a row for each outcome and
// indicator the draft holds, with an empty one more.
func serviceFormFor(rules scheme.Rules, thisFY int, saved grant.ServiceDetails) *serviceForm {
	maxYears := max(1, rules.MaxDurationMonths/12)
	sf := &serviceForm{MinAmount: rules.MinAmount.String(), MaxAmount: rules.MaxAmount.String(), MaxYears: maxYears, saved: saved,
		DBS: []option{{Value: "yes", Label: "Yes"}, {Value: "no", Label: "No"}}}
	sf.StartHint = "It must be in the first financial year you apply for. The amounts are a full year's funding: if the service starts after 1 April, " +
		"its first year is funded for the quarters left from the quarter it starts in. The commissioning officer sets the date the agreement starts. " +
		fmt.Sprintf("For example, 1 10 %d", thisFY)
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
	for i := range min(maxOutcomes, max(outcomeRows, len(saved.Outcomes)+1)) {
		o := outcomeInput{No: i + 1, ID: htmlID(fmt.Sprintf("service.outcomes.%d", i)), Name: sOutcome(i)}
		held := 0
		if i < len(saved.Outcomes) {
			held = len(saved.Outcomes[i].Indicators)
		}
		for j := range min(maxIndicators, max(indicatorRows, held+1)) {
			o.Indicators = append(o.Indicators, indicatorInput{No: j + 1, ID: htmlID(fmt.Sprintf("service.outcomes.%d.indicators.%d", i, j)),
				Name: sIndicator(i, j, "name"), Unit: sIndicator(i, j, "unit"), Target: sIndicator(i, j, "target"), Key: sIndicator(i, j, "key")})
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
	setDate(v, sStart, d.StartDate)
	for i, o := range d.Outcomes {
		v.Set(sOutcome(i), o.Outcome)
		for j, ind := range o.Indicators {
			v.Set(sIndicator(i, j, "name"), ind.Name)
			v.Set(sIndicator(i, j, "unit"), ind.Unit)
			v.Set(sIndicator(i, j, "target"), strconv.FormatInt(ind.QuarterlyTarget, 10))
			v.Set(sIndicator(i, j, "key"), ind.Key)
		}
	}
	v.Set(sLead, d.Safeguarding.Lead)
	setDate(v, sPolicy, d.Safeguarding.PolicyReviewedOn)
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

// rowsOf says which row of the form each outcome of the details, and each of its indicators,
// is on: outcome[k] is the row of the k-th outcome, indicator[k][m] the row of its m-th indicator.
type rowsOf struct {
	outcome   []int
	indicator [][]int
}

// savedRows are the rows of the details the form was filled with (fill): each in its own place.
func savedRows(d grant.ServiceDetails) rowsOf {
	var r rowsOf
	for k, o := range d.Outcomes {
		r.outcome = append(r.outcome, k)
		r.indicator = append(r.indicator, make([]int, len(o.Indicators)))
		for m := range o.Indicators {
			r.indicator[k][m] = m
		}
	}
	return r
}

// read reads the service questions into the API's service details, with the rules that put the
// API's refusals of them back on their boxes. Only what the API cannot read is checked here:
// amounts in pounds and pence, numbers, the date's three boxes and the yes or no. Blank rows and
// years are left out, so the API's indexes count what was sent, and the rules map each back to
// the row it came from. An indicator keeps its key while it keeps its name; a new or renamed one
// is given a key made from its name.
func (sf *serviceForm) read(f *form) (grant.ServiceDetails, []fieldRule) {
	var d grant.ServiceDetails
	d.Service, d.Description = f.Value(sService), f.Value(sDescription)
	d.Wards = []string{}
	for _, w := range strings.Split(f.Value(sWards), "\n") {
		if w = strings.TrimSpace(w); w != "" {
			d.Wards = append(d.Wards, w)
		}
	}
	d.Years = []grant.YearAmount{}
	for _, y := range sf.Years {
		v := f.Value(y.Name)
		if v == "" {
			continue
		}
		p, err := money.Parse(v)
		if err != nil {
			f.add(y.Name, "Enter the amount for "+y.Label+" in pounds and pence, like 150,000.00")
			continue
		}
		d.Years = append(d.Years, grant.YearAmount{FinancialYear: y.FY, Amount: p})
	}
	if t := optionalDate(f, sStart, "the date you propose the service starts"); t != nil {
		d.StartDate = t.Format(time.DateOnly)
	}
	savedNames := map[string]string{} // the saved indicators' names, by key
	for _, o := range sf.saved.Outcomes {
		for _, ind := range o.Indicators {
			savedNames[ind.Key] = ind.Name
		}
	}
	var rows rowsOf
	d.Outcomes = []grant.Outcome{}
	for i, o := range sf.Outcomes {
		out := grant.Outcome{Outcome: f.Value(o.Name), Indicators: []grant.Indicator{}}
		var at []int
		for j, row := range o.Indicators {
			ind := grant.Indicator{Name: f.Value(row.Name), Unit: f.Value(row.Unit)}
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
			if key := f.Value(row.Key); key != "" && ind.Name != "" && savedNames[key] == ind.Name {
				ind.Key = key
			}
			out.Indicators = append(out.Indicators, ind)
			at = append(at, j)
		}
		if out.Outcome != "" || len(out.Indicators) > 0 {
			d.Outcomes = append(d.Outcomes, out)
			rows.outcome, rows.indicator = append(rows.outcome, i), append(rows.indicator, at)
		}
	}
	keyIndicators(d.Outcomes)
	d.Safeguarding.Lead = f.Value(sLead)
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
	d.Governance.LatestAccountsYear = f.Value(sAccounts)
	return d, sf.rules(d, rows)
}

// keyIndicators gives each indicator without a key one made from its name, leaving the keys kept
// as they are and every key unique in the service.
func keyIndicators(outcomes []grant.Outcome) {
	taken := map[string]bool{}
	for _, o := range outcomes {
		for j, ind := range o.Indicators {
			switch {
			case ind.Key == "":
			case taken[ind.Key]: // the same key sent twice: the second is a new indicator
				o.Indicators[j].Key = ""
			default:
				taken[ind.Key] = true
			}
		}
	}
	for _, o := range outcomes {
		for j := range o.Indicators {
			if o.Indicators[j].Key == "" {
				o.Indicators[j].Key = indicatorKey(o.Indicators[j].Name, taken)
			}
		}
	}
}

// rules put the API's refusals of the service details d on the boxes they came from (rows), in
// the order of the form.
func (sf *serviceForm) rules(d grant.ServiceDetails, rows rowsOf) []fieldRule {
	rules := []fieldRule{
		on("service.service", sService, "Name of the service").missing("Enter the name of the service"),
		on("service.description", sDescription, "Description of the service").missing("Describe the service"),
		on("service.wards", sWards, "Wards"),
	}
	if len(sf.Years) > 0 {
		rules = append(rules, on("service.years", sf.Years[0].Name, "Amount"))
	}
	for i, y := range d.Years {
		if slices.ContainsFunc(sf.Years, func(b yearInput) bool { return b.FY == y.FinancialYear }) {
			rules = append(rules, on(fmt.Sprintf("service.years[%d]", i), sYear(y.FinancialYear), "Amount for "+scheme.FinancialYearLabel(y.FinancialYear)))
		}
	}
	// Whether the proposed start falls in the first year asked for is the API's rule, at submission.
	rules = append(rules, onDate("service.start_date", sStart, "The date you propose the service starts"),
		on("service.outcomes", sOutcome(0), "Outcomes"))
	for k, i := range rows.outcome {
		o := fmt.Sprintf("service.outcomes[%d]", k)
		rules = append(rules, on(o, sOutcome(i), fmt.Sprintf("Outcome %d", i+1)),
			on(o+".outcome", sOutcome(i), fmt.Sprintf("Outcome %d", i+1)).missing(fmt.Sprintf("Enter outcome %d", i+1)),
			on(o+".indicators", sIndicator(i, 0, "name"), fmt.Sprintf("Indicators of outcome %d", i+1)))
		for m, j := range rows.indicator[k] {
			ind := fmt.Sprintf("%s.indicators[%d]", o, m)
			what := fmt.Sprintf("indicator %d of outcome %d", j+1, i+1)
			rules = append(rules, on(ind, sIndicator(i, j, "name"), upperFirst(what)),
				on(ind+".key", sIndicator(i, j, "name"), upperFirst(what)).missing("Enter the name of "+what),
				on(ind+".name", sIndicator(i, j, "name"), upperFirst(what)).missing("Enter the name of "+what),
				on(ind+".unit", sIndicator(i, j, "unit"), "Unit of "+what),
				on(ind+".quarterly_target", sIndicator(i, j, "target"), "Target for "+what))
		}
	}
	return append(rules,
		on("service.safeguarding.lead", sLead, "Safeguarding lead").missing("Enter the name or role of your safeguarding lead"),
		onDate("service.safeguarding.policy_reviewed_on", sPolicy, "The date your safeguarding policy was last reviewed").
			missing("Enter the date your safeguarding policy was last reviewed"),
		on("service.governance.trustees", sTrustees, "Number of trustees or directors"),
		on("service.governance.latest_accounts_year", sAccounts, "Latest accounts"))
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
