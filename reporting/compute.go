package reporting

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// What the figures mean (the page and the Panel report say the same):
//
//   - Awards: awards decided from 1 April of the year to the period's end. A lapsed offer was
//     never a grant and counts nowhere; an award ended early counts at what it now stands at.
//   - Committed: each award's amount for the financial year, for awards decided by the period's
//     end: a service award's year as it now stands (after variations and an early ending), a
//     one-off grant's whole amount in the year it was decided.
//   - Released: money released to be paid from 1 April to the period's end: a service tranche
//     when its payment notice went to finance; a one-off grant's single payment when the second
//     member of finance approved it (or, for a payment recorded in one step before two-person
//     payments, on the day it was paid). A one-off grant has no payment notice of its own, so its
//     approval is the moment the money is let go.
//   - Paid: payments dated (paid_on, a London day) from 1 April to the period's last day.
//   - Beneficiaries and under-25s: from the latest version of each quarter's monitoring return of
//     the year up to the period's quarter, where that version was accepted, and from one-off
//     grants' end-of-grant reports accepted from 1 April to the period's end. Counted by the area
//     and ward each count names, and on every priority of its award.
//   - Indicators: each service award funding the year, every indicator of its outcomes with its
//     quarterly target, and what each quarter's accepted return reported (none: no figure).
//   - Ratings: the red/amber/green rating of each quarter's latest return, whatever the review's
//     outcome ("" where not rated).
//   - Overdue returns and held tranches: as they stood at the period's end (or now, while the
//     period runs).
//
// An award naming several priorities, areas or wards counts in full on each line, so the lines of
// a dimension may add up to more than the totals.

// Period bounds.
const (
	minYear = 2000
	maxYear = 2100
)

// Validate names the field at fault, or returns nil: the financial year 2000 to 2100, the quarter 1 to 4.
func (p Period) Validate() map[string]string {
	out := map[string]string{}
	if p.FinancialYear < minYear || p.FinancialYear > maxYear {
		out["financial_year"] = fmt.Sprintf("must be a year from %d to %d, the year the financial year starts (2026 for 2026-27)", minYear, maxYear)
	}
	if p.Quarter < 1 || p.Quarter > 4 {
		out["quarter"] = "must be 1, 2, 3 or 4 (1 is April to June)"
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Start is 1 April of the period's financial year, in London.
func (p Period) Start() time.Time {
	return time.Date(p.FinancialYear, time.April, 1, 0, 0, 0, 0, scheme.London)
}

// End is the first moment after the period's quarter, in London.
func (p Period) End() time.Time { return p.Start().AddDate(0, 3*p.Quarter, 0) }

// LastDay is the period's last day (midnight in London).
func (p Period) LastDay() time.Time { return p.End().AddDate(0, 0, -1) }

// QuarterLabels are the quarters of the period's year up to its own: "Q1" … "Q3".
func (p Period) QuarterLabels() []string {
	out := make([]string, p.Quarter)
	for i := range out {
		out[i] = fmt.Sprintf("Q%d", i+1)
	}
	return out
}

// CurrentPeriod is the quarter holding t, in London.
func CurrentPeriod(t time.Time) Period {
	t = t.In(scheme.London)
	return Period{FinancialYear: scheme.FinancialYear(t), Quarter: (int(t.Month())+8)%12/3 + 1}
}

// Compute reads the figures of a period from the store, as at now for anything "at the period's
// end" while the period runs.
func Compute(ctx context.Context, st *store.Store, p Period) (Figures, error) {
	return ComputeAt(ctx, st, p, time.Now())
}

// ComputeAt is Compute with the clock given: the period's end, or now if that comes first, is
// the moment overdue returns and held tranches are read at.
func ComputeAt(ctx context.Context, st *store.Store, p Period, now time.Time) (Figures, error) {
	if bad := p.Validate(); bad != nil {
		return Figures{}, fmt.Errorf("compute the figures of %v: %v", p, bad)
	}
	w := store.PerformanceWindow{FinancialYear: p.FinancialYear, From: p.Start(), To: p.End(), AsOf: p.End()}
	if now.Before(w.AsOf) {
		w.AsOf = now
	}
	schemes, err := st.Schemes(ctx)
	if err != nil {
		return Figures{}, fmt.Errorf("compute the figures of %v: read the schemes: %w", p, err)
	}
	awards, err := st.PerformanceAwards(ctx, w)
	if err != nil {
		return Figures{}, err
	}
	returns, err := st.PerformanceReturns(ctx, p.FinancialYear, p.Quarter)
	if err != nil {
		return Figures{}, err
	}
	reports, err := st.PerformanceReports(ctx, w)
	if err != nil {
		return Figures{}, err
	}
	services, err := st.PerformanceServices(ctx, w.AsOf)
	if err != nil {
		return Figures{}, err
	}
	held, err := st.PerformanceHeldTranches(ctx, w.AsOf)
	if err != nil {
		return Figures{}, err
	}

	f := Figures{Period: p, Totals: Line{Name: "All awards"}, Indicators: []IndicatorTrend{}, Ratings: []ServiceRating{},
		OverdueReturns: []OverdueReturn{}, HeldTranches: []HeldTranche{}, Grassroots: []GrassrootsResult{}}
	dims := newDimensions(schemes)

	priorities := map[int64][]string{}
	for _, a := range awards {
		priorities[a.ApplicationID] = a.Priorities
		decided := !a.DecidedAt.Before(w.From) && a.DecidedAt.Before(w.To)
		if !decided && !a.InYear && a.Committed == 0 && a.Released == 0 && a.Paid == 0 {
			continue // nothing of it falls in this year
		}
		add := func(l *Line) {
			if decided {
				l.Awards++
			}
			l.Committed += a.Committed
			l.Released += a.Released
			l.Paid += a.Paid
		}
		add(&f.Totals)
		for _, l := range dims.lines(a.Priorities, a.Areas, a.Wards) {
			add(l)
		}
	}

	// Beneficiaries: accepted returns of the year's quarters, then accepted end-of-grant reports.
	count := func(app int64, raw json.RawMessage) (int, int, error) {
		var items []beneficiaryCount
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &items); err != nil {
				return 0, 0, fmt.Errorf("read the beneficiaries of application %d: %w", app, err)
			}
		}
		all, under := 0, 0
		for _, b := range items {
			u := 0
			if b.AgeBand != "25_plus" {
				u = b.Count
			}
			all, under = all+b.Count, under+u
			for _, l := range dims.lines(priorities[app], []string{b.Area}, []string{b.wardLabel()}) {
				l.Beneficiaries += b.Count
				l.Under25 += u
			}
		}
		f.Totals.Beneficiaries += all
		f.Totals.Under25 += under
		return all, under, nil
	}
	latest := map[int64][]*store.PerformanceReturn{} // by application, index quarter-1
	for i := range returns {
		r := &returns[i]
		if latest[r.ApplicationID] == nil {
			latest[r.ApplicationID] = make([]*store.PerformanceReturn, p.Quarter)
		}
		latest[r.ApplicationID][r.Quarter-1] = r
		if accepted(r) {
			var content struct {
				Beneficiaries json.RawMessage `json:"beneficiaries"`
			}
			if err := json.Unmarshal(r.Content, &content); err != nil {
				return Figures{}, fmt.Errorf("read the Q%d return of application %d: %w", r.Quarter, r.ApplicationID, err)
			}
			if _, _, err := count(r.ApplicationID, content.Beneficiaries); err != nil {
				return Figures{}, err
			}
		}
	}
	for _, r := range reports {
		priorities[r.ApplicationID] = r.Priorities
		all, under, err := count(r.ApplicationID, r.Beneficiaries)
		if err != nil {
			return Figures{}, err
		}
		f.Grassroots = append(f.Grassroots, GrassrootsResult{ApplicationID: r.ApplicationID, Reference: r.Reference, Recipient: r.Recipient,
			Amount: r.Amount, Spent: r.Spent, Beneficiaries: all, Under25: under, Outcomes: r.Outcomes})
	}

	// Each service funding the year: its indicators quarter by quarter and its ratings, in the
	// quarters its agreement ran (an award made mid-year has no target before it starts).
	running := map[int64][]bool{}
	for _, sv := range services {
		running[sv.ApplicationID] = quartersRunning(sv, p)
	}
	for _, a := range awards {
		if a.SchemeKind != string(scheme.Service) || (!a.InYear && latest[a.ApplicationID] == nil) {
			continue
		}
		var d grant.ServiceDetails
		if len(a.ServiceJSON) > 0 {
			if err := json.Unmarshal(a.ServiceJSON, &d); err != nil {
				return Figures{}, fmt.Errorf("read the service of application %d: %w", a.ApplicationID, err)
			}
		}
		ran := running[a.ApplicationID]
		if ran == nil {
			ran = make([]bool, p.Quarter) // not yet under way by the period's end
		}
		rating := ServiceRating{ApplicationID: a.ApplicationID, Reference: a.Reference, Recipient: a.Recipient, RAG: make([]string, p.Quarter), Running: ran}
		actuals := make([]map[string]int64, p.Quarter)
		for q, r := range latest[a.ApplicationID] {
			if r == nil {
				continue
			}
			if r.RAG != nil {
				rating.RAG[q] = *r.RAG
			}
			if accepted(r) {
				var content struct {
					Indicators []struct {
						Key    string `json:"key"`
						Actual int64  `json:"actual"`
					} `json:"indicators"`
				}
				if err := json.Unmarshal(r.Content, &content); err != nil {
					return Figures{}, fmt.Errorf("read the Q%d return of application %d: %w", r.Quarter, r.ApplicationID, err)
				}
				actuals[q] = map[string]int64{}
				for _, i := range content.Indicators {
					actuals[q][i.Key] = i.Actual
				}
			}
		}
		f.Ratings = append(f.Ratings, rating)
		service := cmp.Or(d.Service, a.Title)
		for _, o := range d.Outcomes {
			for _, ind := range o.Indicators {
				t := IndicatorTrend{ApplicationID: a.ApplicationID, Reference: a.Reference, Recipient: a.Recipient, Service: service,
					Key: ind.Key, Name: ind.Name, Unit: ind.Unit, Target: ind.QuarterlyTarget, Actual: make([]*int64, p.Quarter), Running: ran}
				for q := range actuals {
					if v, ok := actuals[q][ind.Key]; ok {
						t.Actual[q] = &v
					}
				}
				f.Indicators = append(f.Indicators, t)
			}
		}
	}

	for _, sv := range services {
		f.OverdueReturns = append(f.OverdueReturns, overdueReturns(sv, w.AsOf)...)
	}
	slices.SortStableFunc(f.OverdueReturns, func(a, b OverdueReturn) int {
		return cmp.Or(cmp.Compare(a.DueOn, b.DueOn), cmp.Compare(a.Reference, b.Reference))
	})
	for _, h := range held {
		reason := h.Reason
		if h.Status != "held" && h.ReleasedAt != nil {
			reason = "Not released by the period's end; released on " + h.ReleasedAt.In(scheme.London).Format("2 January 2006")
		}
		f.HeldTranches = append(f.HeldTranches, HeldTranche{ApplicationID: h.ApplicationID, Reference: h.Reference, Recipient: h.Recipient,
			Tranche: h.Tranche, Amount: h.Amount, Reason: reason})
	}
	f.ByPriority, f.ByArea, f.ByWard = dims.result()
	return f, nil
}

// quartersRunning says, for each quarter of the period's year to its own, whether the service's
// agreement ran in it: a year it funds, a quarter that ends after the agreement starts (1 April of
// its first year for awards from before start dates) and begins before any early ending.
func quartersRunning(sv store.PerformanceService, p Period) []bool {
	out := make([]bool, p.Quarter)
	if !slices.Contains(sv.Years, int64(p.FinancialYear)) {
		return out
	}
	start := time.Date(int(slices.Min(sv.Years)), time.April, 1, 0, 0, 0, 0, scheme.London)
	if sv.StartDate != nil {
		start = time.Date(sv.StartDate.Year(), sv.StartDate.Month(), sv.StartDate.Day(), 0, 0, 0, 0, scheme.London)
	}
	for q := range out {
		from, to := Period{p.FinancialYear, q}.End(), Period{p.FinancialYear, q + 1}.End()
		out[q] = to.After(start) && (sv.TerminatedAt == nil || from.Before(*sv.TerminatedAt))
	}
	return out
}

func accepted(r *store.PerformanceReturn) bool {
	return r.ReviewOutcome != nil && *r.ReviewOutcome == "accept"
}

// beneficiaryCount is one count of a return's or report's beneficiaries.
type beneficiaryCount struct {
	Area    string `json:"area"`
	Ward    string `json:"ward"`
	AgeBand string `json:"age_band"`
	Count   int    `json:"count"`
}

// wardLabel is the ward as the rules list it ("Leicester: Abbey"), whether the count names it so
// or by its name in its area.
func (b beneficiaryCount) wardLabel() string {
	if b.Ward == "" {
		return ""
	}
	if _, _, ok := scheme.SplitWard(b.Ward); ok || b.Area == "" {
		return b.Ward
	}
	return scheme.WardLabel(b.Area, b.Ward)
}

// dimensions keeps the lines by priority, area and ward.
type dimensions struct {
	priorities, areas, wards *lineSet
}

func newDimensions(schemes []store.Scheme) dimensions {
	d := dimensions{priorities: &lineSet{at: map[string]int{}}, areas: &lineSet{at: map[string]int{}}, wards: &lineSet{at: map[string]int{}}}
	wardOrder := map[string]int{}
	for _, sc := range schemes {
		for _, p := range sc.Rules.Priorities {
			d.priorities.line(p)
		}
		for _, a := range sc.Rules.Areas {
			d.areas.line(a)
		}
		for a, code := range sc.Rules.AreaCodes {
			if code != "" {
				d.areas.codes(a, code)
			}
		}
		for _, wd := range sc.Rules.Wards {
			if _, seen := wardOrder[wd]; !seen {
				wardOrder[wd] = len(wardOrder)
			}
		}
		for wd, code := range sc.Rules.WardCodes {
			if code != "" {
				d.wards.codes(wd, code)
			}
		}
	}
	d.wards.order = wardOrder
	return d
}

// lines are the lines an award (or a count) adds to: one for each distinct priority, area and
// ward it names.
func (d dimensions) lines(priorities, areas, wards []string) []*Line {
	var out []*Line
	for _, set := range []struct {
		s     *lineSet
		names []string
	}{{d.priorities, priorities}, {d.areas, areas}, {d.wards, wards}} {
		seen := map[string]bool{}
		for _, n := range set.names {
			if n = strings.TrimSpace(n); n != "" && !seen[n] {
				seen[n] = true
				out = append(out, set.s.line(n))
			}
		}
	}
	return out
}

func (d dimensions) result() (priorities, areas, wards []Line) {
	ws := d.wards.all()
	// Wards in the order the rules list them, then any others by name.
	slices.SortStableFunc(ws, func(a, b Line) int {
		ia, oka := d.wards.order[a.Name]
		ib, okb := d.wards.order[b.Name]
		switch {
		case oka && okb:
			return cmp.Compare(ia, ib)
		case oka:
			return -1
		case okb:
			return 1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return d.priorities.all(), d.areas.all(), ws
}

// lineSet is one dimension's lines, in the order they were first named.
type lineSet struct {
	list  []*Line
	at    map[string]int
	code  map[string]string
	order map[string]int
}

func (s *lineSet) line(name string) *Line {
	if i, ok := s.at[name]; ok {
		return s.list[i]
	}
	s.at[name] = len(s.list)
	s.list = append(s.list, &Line{Name: name, Code: s.code[name]})
	return s.list[len(s.list)-1]
}

func (s *lineSet) codes(name, code string) {
	if s.code == nil {
		s.code = map[string]string{}
	}
	if _, ok := s.code[name]; !ok {
		s.code[name] = code
	}
	if i, ok := s.at[name]; ok && s.list[i].Code == "" {
		s.list[i].Code = code
	}
}

func (s *lineSet) all() []Line {
	out := make([]Line, len(s.list))
	for i, l := range s.list {
		out[i] = *l
		if out[i].Code == "" {
			out[i].Code = s.code[l.Name]
		}
	}
	return out
}

// quarter is a quarter of a financial year.
type quarter struct{ fy, q int }

func (q quarter) start() time.Time {
	return Period{FinancialYear: q.fy, Quarter: q.q}.End().AddDate(0, -3, 0)
}

// returnDue is the end of the London day a quarter's return is due: days after its last day.
// It is the workflows' own timetable (workflows.Quarter.ReturnDue), which this package cannot
// import (the activities that build the Panel report import reporting); a test holds them equal.
func returnDue(q quarter, days int) time.Time {
	last := Period{FinancialYear: q.fy, Quarter: q.q}.LastDay().AddDate(0, 0, days)
	return time.Date(last.Year(), last.Month(), last.Day(), 23, 59, 59, 0, scheme.London).UTC()
}

// fundedQuarters are the quarters a service award asks a return for: each quarter of its funded
// years from the quarter its agreement starts in (Q1 of its first year for awards from before
// start dates), as workflows.PlanReturns lists them.
func fundedQuarters(years []int64, start *time.Time) []quarter {
	first := quarter{}
	for i, y := range years {
		if i == 0 || int(y) < first.fy {
			first = quarter{fy: int(y), q: 1}
		}
	}
	if start != nil && !start.IsZero() {
		d := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, scheme.London)
		p := CurrentPeriod(d)
		first = quarter{fy: p.FinancialYear, q: p.Quarter}
	}
	var out []quarter
	for _, y := range years {
		for q := 1; q <= 4; q++ {
			if int(y) > first.fy || (int(y) == first.fy && q >= first.q) {
				out = append(out, quarter{fy: int(y), q: q})
			}
		}
	}
	return out
}

// overdueReturns are the award's returns overdue at asOf: due by then and, by then, neither sent
// (or sent back for changes and not sent again), waived, nor not required after an early ending.
func overdueReturns(sv store.PerformanceService, asOf time.Time) []OverdueReturn {
	days := scheme.Rules{ReturnDueDays: sv.ReturnDueDays}.ReturnDue() // the rules' default where none is set
	var out []OverdueReturn
	for _, q := range fundedQuarters(sv.Years, sv.StartDate) {
		due := returnDue(q, days)
		if asOf.Before(due) {
			continue
		}
		if at, ok := sv.Waived[[2]int{q.fy, q.q}]; ok && at.Before(asOf) {
			continue
		}
		if sv.TerminatedAt != nil && sv.TerminatedAt.Before(asOf) && !sv.TerminatedAt.After(q.start()) {
			continue // the quarter had not begun when the award ended: no return required
		}
		var last *store.ReturnSent
		for i, r := range sv.Returns {
			if r.FinancialYear == q.fy && r.Quarter == q.q && r.SubmittedAt.Before(asOf) && (last == nil || r.Version > last.Version) {
				last = &sv.Returns[i]
			}
		}
		if last != nil && !(last.ReviewOutcome != nil && *last.ReviewOutcome == "request_changes" && last.ReviewedAt != nil && last.ReviewedAt.Before(asOf)) {
			continue
		}
		out = append(out, OverdueReturn{ApplicationID: sv.ApplicationID, Reference: sv.Reference, Recipient: sv.Recipient,
			Quarter: Period{FinancialYear: q.fy, Quarter: q.q}.String(), DueOn: due.In(scheme.London).Format(time.DateOnly)})
	}
	return out
}

// pounds is an amount as a float, for drawing charts only (never for sums).
func pounds(p money.Pence) float64 { return float64(p) / 100 }

// OverdueReturnsAt are the service awards' monitoring returns overdue at asOf, by the same rule as
// the Panel report's (the operators' gauge counts them; internal/metrics).
func OverdueReturnsAt(ctx context.Context, st *store.Store, asOf time.Time) ([]OverdueReturn, error) {
	services, err := st.PerformanceServices(ctx, asOf)
	if err != nil {
		return nil, err
	}
	var out []OverdueReturn
	for _, sv := range services {
		out = append(out, overdueReturns(sv, asOf)...)
	}
	return out, nil
}
