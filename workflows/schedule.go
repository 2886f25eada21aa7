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

// TrancheNo numbers a quarter's tranche from the award's first financial year: Q1 of the first
// year is 1, its Q4 is 4, Q1 of the next year is 5. Stable across variations.
func TrancheNo(firstFY int, q Quarter) int { return (q.FY-firstFY)*4 + q.Q }

// PlannedTranche is one quarterly payment in advance.
type PlannedTranche struct {
	No      int         `json:"no"`
	Quarter Quarter     `json:"quarter"`
	Due     time.Time   `json:"due"`
	Amount  money.Pence `json:"amount_pence"`
}

// PlanTranches splits each year's amount into four tranches paid on the first day of each quarter;
// pence that do not divide by four go to the year's first tranche.
func PlanTranches(years []grant.YearAmount) []PlannedTranche {
	if len(years) == 0 {
		return nil
	}
	first := years[0].FinancialYear
	for _, y := range years {
		first = min(first, y.FinancialYear)
	}
	var out []PlannedTranche
	for _, y := range years {
		quarters := []Quarter{{y.FinancialYear, 1}, {y.FinancialYear, 2}, {y.FinancialYear, 3}, {y.FinancialYear, 4}}
		for i, amount := range split(y.Amount, 4) {
			q := quarters[i]
			out = append(out, PlannedTranche{No: TrancheNo(first, q), Quarter: q, Due: q.Start().UTC(), Amount: amount})
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
}

// Settled reports whether the tranche's money has left (released or paid): a variation cannot change it.
func (t TrancheState) Settled() bool { return t.Status == TrancheReleased || t.Status == TranchePaid }

// Replan applies new yearly amounts to a schedule: settled tranches stay as they are; each year's
// remaining amount is split over its unsettled quarters (a held one stays held; one left with
// nothing to pay is cancelled); quarters of years no longer funded are cancelled. It refuses a year
// cut below what has already been released for it.
func Replan(current []TrancheState, years []grant.YearAmount, firstFY int) ([]TrancheState, error) {
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
		for q := 1; q <= 4; q++ {
			quarter := Quarter{y.FinancialYear, q}
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
			out = append(out, TrancheState{PlannedTranche: PlannedTranche{No: TrancheNo(firstFY, q), Quarter: q, Due: q.Start().UTC(), Amount: amount},
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
	maxYears := max(1, rules.MaxDurationMonths/12)
	if len(years) == 0 || len(years) > maxYears {
		return &FieldError{Field: field, Reason: fmt.Sprintf("give an amount for each of 1 to %d financial years", maxYears)}
	}
	for i, y := range years {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case i > 0 && y.FinancialYear != years[i-1].FinancialYear+1:
			return &FieldError{Field: f + ".financial_year", Reason: "years must be consecutive and in order"}
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
