package apiv1

import (
	"time"

	"grantflow/grant"
	"grantflow/scheme"
	"grantflow/store"
)

// FinanceOf is a service award's dates and money per financial year and in total, from the award,
// its years and tranches as ApplicationDetail already holds them (Award, AwardYears, Tranches):
// what Finance answers, without reading them again.
func FinanceOf(award store.Award, years []grant.YearAmount, tranches []store.Tranche) AwardFinance {
	out := AwardFinance{Reference: award.Reference, Tranches: tranches, Total: YearFinance{Label: "total"}}
	if award.StartDate != nil {
		out.StartDate = award.StartDate.Format(time.DateOnly)
	}
	if award.EndDate != nil {
		out.EndDate = award.EndDate.Format(time.DateOnly)
	}
	for _, y := range years {
		yf := YearFinance{FinancialYear: y.FinancialYear, Label: scheme.FinancialYearLabel(y.FinancialYear), Awarded: y.Amount}
		for _, t := range tranches {
			if t.FinancialYear == y.FinancialYear {
				yf.add(t)
			}
		}
		out.Years = append(out.Years, yf)
		out.Total.Awarded += yf.Awarded
		out.Total.Released += yf.Released
		out.Total.Paid += yf.Paid
		out.Total.Held += yf.Held
		out.Total.Remaining += yf.Remaining
	}
	return out
}
