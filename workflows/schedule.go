package workflows

import (
	"fmt"
	"time"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
)

// Quarter is a quarter of a UK financial year: Q1 April–June ... Q4 January–March.
type Quarter struct {
	FY int `json:"financial_year"`
	Q  int `json:"quarter"`
}

// QuarterOf is the quarter holding t (in London).
func QuarterOf(t time.Time) Quarter {
	fy := scheme.FinancialYear(t)
	m := int(t.In(scheme.London).Month())
	return Quarter{FY: fy, Q: ((m+8)%12)/3 + 1}
}

// Label writes "Q1 2026-27".
func (q Quarter) Label() string { return fmt.Sprintf("Q%d %s", q.Q, scheme.FinancialYearLabel(q.FY)) }

// Start is the first moment of the quarter in London.
func (q Quarter) Start() time.Time {
	month := time.Month(3*(q.Q-1) + 4)
	year := q.FY
	if month > 12 {
		month -= 12
		year++
	}
	return time.Date(year, month, 1, 0, 0, 0, 0, scheme.London)
}

// End is the first moment after the quarter.
func (q Quarter) End() time.Time { return q.Next().Start() }

// Next is the following quarter.
func (q Quarter) Next() Quarter {
	if q.Q == 4 {
		return Quarter{FY: q.FY + 1, Q: 1}
	}
	return Quarter{FY: q.FY, Q: q.Q + 1}
}

// Previous is the quarter before.
func (q Quarter) Previous() Quarter {
	if q.Q == 1 {
		return Quarter{FY: q.FY - 1, Q: 4}
	}
	return Quarter{FY: q.FY, Q: q.Q - 1}
}

// Before reports whether q comes before o.
func (q Quarter) Before(o Quarter) bool { return q.FY < o.FY || (q.FY == o.FY && q.Q < o.Q) }

// ReturnDue is the end of the day a monitoring return for the quarter is due: days after it ends.
func (q Quarter) ReturnDue(days int) time.Time {
	lastDay := q.End().AddDate(0, 0, -1)
	return endOfDay(lastDay.AddDate(0, 0, days))
}

// AwardStart is when an award's agreement starts: its first financial year and its start date (a
// London date). Awards made before agreements had start dates have a zero Date and ran from 1 April
// of their first year, so everything below treats a zero Date as that.
type AwardStart struct {
	FirstFY int
	Date    time.Time
}

// StartOf is the start of an award funding these years from date (zero: the first year's 1 April).
func StartOf(years []grant.YearAmount, date time.Time) AwardStart {
	first := 0
	for i, y := range years {
		if i == 0 || y.FinancialYear < first {
			first = y.FinancialYear
		}
	}
	return AwardStart{FirstFY: first, Date: date}
}

// StoredStart is the start of an award as the store keeps it: a date column (midnight UTC of the
// day), zero for awards from before start dates.
func StoredStart(years []grant.YearAmount, date time.Time) AwardStart {
	s := StartOf(years, time.Time{})
	if !date.IsZero() {
		s.Date = time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, scheme.London)
	}
	return s
}

// Quarter is the first funded quarter: the one the start date falls in.
func (s AwardStart) Quarter() Quarter {
	if s.Date.IsZero() {
		return Quarter{FY: s.FirstFY, Q: 1}
	}
	return QuarterOf(s.Date)
}

// Funded reports whether the award pays for (and asks a return for) quarter q of a funded year.
func (s AwardStart) Funded(q Quarter) bool { return !q.Before(s.Quarter()) }

// Due is when quarter q's tranche falls due: the first day of the quarter, or the start date in the
// quarter the agreement starts, since nothing is paid before the agreement exists.
func (s AwardStart) Due(q Quarter) time.Time {
	if !s.Date.IsZero() && q == s.Quarter() {
		return startOfDay(s.Date)
	}
	return q.Start().UTC()
}

// quarters lists the funded quarters of financial year fy.
func (s AwardStart) quarters(fy int) []Quarter {
	var out []Quarter
	for q := 1; q <= 4; q++ {
		if quarter := (Quarter{FY: fy, Q: q}); s.Funded(quarter) {
			out = append(out, quarter)
		}
	}
	return out
}

// TrancheNo numbers a quarter's tranche from the award's first funded quarter, which is 1; the
// next quarter is 2, and so on across years. Stable across variations. (An award from before start
// dates numbers from Q1 of its first year, as it always did.)
func TrancheNo(first Quarter, q Quarter) int { return (q.FY-first.FY)*4 + q.Q - first.Q + 1 }

// QuartersLeft is how many quarters of its financial year remain from q, q included.
func QuartersLeft(q Quarter) int { return 5 - q.Q }

// ProRate is a year's amount for the quarters of it that remain from q: £150,000.00 a year from
// a start in Q3 is 2 of 4 quarters, £75,000.00.
func ProRate(amount money.Pence, q Quarter) money.Pence {
	return amount * money.Pence(QuartersLeft(q)) / 4
}

// ProposedYears is the split a moderator is offered for an agreement starting on start: the years
// requested from the start's financial year on, the first pro-rated to the quarters that remain.
func ProposedYears(requested []grant.YearAmount, start time.Time) []grant.YearAmount {
	first := QuarterOf(start)
	var out []grant.YearAmount
	for _, y := range requested {
		switch {
		case y.FinancialYear < first.FY:
			continue
		case y.FinancialYear == first.FY:
			y.Amount = ProRate(y.Amount, first)
		}
		out = append(out, y)
	}
	return out
}

// PlannedTranche is one quarterly payment in advance.
type PlannedTranche struct {
	No      int         `json:"no"`
	Quarter Quarter     `json:"quarter"`
	Due     time.Time   `json:"due"`
	Amount  money.Pence `json:"amount_pence"`
}

// PlanTranches splits each year's amount into a tranche for each of its funded quarters (four, or
// those left from the start quarter in the first year), paid on the first day of each quarter (the
// first on the start date); pence that do not divide go to the year's first tranche.
func PlanTranches(years []grant.YearAmount, start AwardStart) []PlannedTranche {
	var out []PlannedTranche
	for _, y := range years {
		quarters := start.quarters(y.FinancialYear)
		if len(quarters) == 0 {
			continue
		}
		for i, amount := range split(y.Amount, len(quarters)) {
			q := quarters[i]
			out = append(out, PlannedTranche{No: TrancheNo(start.Quarter(), q), Quarter: q, Due: start.Due(q), Amount: amount})
		}
	}
	return out
}

// split divides an amount into n parts, the remainder going to the first.
func split(total money.Pence, n int) []money.Pence {
	parts := make([]money.Pence, n)
	each := total / money.Pence(n)
	for i := range parts {
		parts[i] = each
	}
	parts[0] += total - each*money.Pence(n)
	return parts
}

// Tranche statuses.
const (
	TrancheScheduled = "scheduled"
	TrancheHeld      = "held"
	TrancheReleased  = "released"
	TranchePaid      = "paid"
	TrancheCancelled = "cancelled"
)

// TrancheState is a tranche as the workflow tracks it.
type TrancheState struct {
	PlannedTranche
	Status     string `json:"status"`
	HeldReason string `json:"held_reason,omitempty"`
	// SignOff is who in finance proposed and approved its payment (two-person payments).
	SignOff *PaymentSignOff `json:"sign_off,omitempty"`
}

// Settled reports whether the tranche's money has left (released or paid): a variation cannot change it.
func (t TrancheState) Settled() bool { return t.Status == TrancheReleased || t.Status == TranchePaid }

// Replan applies new yearly amounts to a schedule: settled tranches stay as they are; each year's
// remaining amount is split over its unsettled quarters (a held one stays held; one left with
// nothing to pay is cancelled); quarters of years no longer funded are cancelled. It refuses a year
// cut below what has already been released for it.
func Replan(current []TrancheState, years []grant.YearAmount, start AwardStart) ([]TrancheState, error) {
	firstFY := start.FirstFY
	byQuarter := map[Quarter]TrancheState{}
	settled := map[int]money.Pence{}
	for _, t := range current {
		byQuarter[t.Quarter] = t
		if t.Settled() {
			settled[t.Quarter.FY] += t.Amount
		}
	}
	funded := map[int]bool{}
	var out []TrancheState
	for _, y := range years {
		funded[y.FinancialYear] = true
		if y.FinancialYear < firstFY {
			return nil, &FieldError{Field: "years", Reason: fmt.Sprintf("%s is before the award began", scheme.FinancialYearLabel(y.FinancialYear))}
		}
		remaining := y.Amount - settled[y.FinancialYear]
		if remaining < 0 {
			return nil, &FieldError{Field: "years", Reason: fmt.Sprintf("%s cannot be less than the %s already released for it",
				scheme.FinancialYearLabel(y.FinancialYear), settled[y.FinancialYear])}
		}
		var open []Quarter
		for _, quarter := range start.quarters(y.FinancialYear) {
			if t, ok := byQuarter[quarter]; ok && t.Settled() {
				out = append(out, t)
				continue
			}
			open = append(open, quarter)
		}
		if len(open) == 0 {
			if remaining != 0 {
				return nil, &FieldError{Field: "years", Reason: fmt.Sprintf("every tranche of %s has been released, so its amount cannot change",
					scheme.FinancialYearLabel(y.FinancialYear))}
			}
			continue
		}
		for i, amount := range split(remaining, len(open)) {
			q := open[i]
			status, reason := TrancheScheduled, ""
			switch t, ok := byQuarter[q]; {
			case amount == 0: // nothing left to pay this quarter: no payment notice for £0.00
				status = TrancheCancelled
			case ok && t.Status == TrancheHeld: // still held, for the same reason
				status, reason = TrancheHeld, t.HeldReason
			}
			out = append(out, TrancheState{PlannedTranche: PlannedTranche{No: TrancheNo(start.Quarter(), q), Quarter: q, Due: start.Due(q), Amount: amount},
				Status: status, HeldReason: reason})
		}
	}
	for _, t := range current {
		if !funded[t.Quarter.FY] {
			if t.Settled() {
				return nil, &FieldError{Field: "years", Reason: fmt.Sprintf("%s has tranches already released, so it cannot be removed", scheme.FinancialYearLabel(t.Quarter.FY))}
			}
			t.Status = TrancheCancelled
			out = append(out, t)
		}
	}
	sortTranches(out)
	return out, nil
}

func sortTranches(ts []TrancheState) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].No < ts[j-1].No; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// ValidateYears checks a service's amounts per financial year against the scheme's rules: one to
// the maximum number of consecutive years, each within the yearly limits.
func ValidateYears(rules scheme.Rules, years []grant.YearAmount, field string) error {
	return ValidateAwardYears(rules, years, AwardStart{}, field)
}

// ValidateAwardYears checks an award's amounts per financial year as ValidateYears does, with the
// yearly limits of the year the agreement starts in pro-rated to the quarters that remain of it.
func ValidateAwardYears(rules scheme.Rules, years []grant.YearAmount, start AwardStart, field string) error {
	maxYears := max(1, rules.MaxDurationMonths/12)
	if len(years) == 0 || len(years) > maxYears {
		return &FieldError{Field: field, Reason: fmt.Sprintf("give an amount for each of 1 to %d financial years", maxYears)}
	}
	for i, y := range years {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case i > 0 && y.FinancialYear != years[i-1].FinancialYear+1:
			return &FieldError{Field: f + ".financial_year", Reason: "years must be consecutive and in order"}
		case !start.Date.IsZero() && y.FinancialYear == start.FirstFY && start.Quarter().Q > 1:
			first := start.Quarter()
			low, high := ProRate(rules.MinAmount, first), ProRate(rules.MaxAmount, first)
			if y.Amount < low || y.Amount > high {
				return &FieldError{Field: f + ".amount_pence", Reason: fmt.Sprintf("must be between %s and %s for the %d of its 4 quarters from the start date",
					low, high, QuartersLeft(first))}
			}
		case y.Amount < rules.MinAmount || y.Amount > rules.MaxAmount:
			return &FieldError{Field: f + ".amount_pence", Reason: fmt.Sprintf("must be between %s and %s a year", rules.MinAmount, rules.MaxAmount)}
		}
	}
	return nil
}

// WholeLife adds up the years.
func WholeLife(years []grant.YearAmount) money.Pence { return grant.WholeLife(years) }

// endOfDay is the last moment of t's day in London, so deadlines fall where people expect them.
func endOfDay(t time.Time) time.Time {
	t = t.In(scheme.London)
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, scheme.London).UTC()
}

func startOfDay(t time.Time) time.Time {
	l := t.In(scheme.London)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, scheme.London).UTC()
}
