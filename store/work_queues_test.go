package store_test

import (
	"fmt"
	"testing"

	"grantflow/store"
)

// Each quarter's latest version is kept, in order of quarter, whatever order the versions come in.
func TestLatestOfEachQuarter(t *testing.T) {
	accepted := "accept"
	in := []store.MonitoringReturn{
		{FinancialYear: 2026, Quarter: 2, Version: 1},
		{FinancialYear: 2026, Quarter: 1, Version: 1, ReviewOutcome: &accepted},
		{FinancialYear: 2025, Quarter: 4, Version: 2},
		{FinancialYear: 2026, Quarter: 2, Version: 3},
		{FinancialYear: 2025, Quarter: 4, Version: 1},
		{FinancialYear: 2026, Quarter: 2, Version: 2},
	}
	var got []string
	for _, r := range store.LatestOfEachQuarter(in) {
		got = append(got, fmt.Sprintf("%d Q%d v%d", r.FinancialYear, r.Quarter, r.Version))
	}
	if fmt.Sprint(got) != "[2025 Q4 v2 2026 Q1 v1 2026 Q2 v3]" {
		t.Errorf("latest of each quarter = %v", got)
	}
	if store.LatestOfEachQuarter(nil) != nil {
		t.Error("no returns should give none")
	}
}
