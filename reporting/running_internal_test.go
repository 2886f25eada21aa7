package reporting

import (
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"

	"grantflow/scheme"
	"grantflow/store"
)

// An agreement that starts in December runs from Q3 only; one from before start dates runs from
// 1 April of its first year; a year it does not fund has no running quarter; an early ending in
// August stops it after Q2.
func TestQuartersAServiceRan(t *testing.T) {
	day := func(s string) *time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, scheme.London)
		if err != nil {
			t.Fatal(err)
		}
		return &d
	}
	p := Period{FinancialYear: 2026, Quarter: 4}
	for _, c := range []struct {
		name string
		sv   store.PerformanceService
		want string
	}{
		{"started in December", store.PerformanceService{Years: pq.Int64Array{2026, 2027}, StartDate: day("2026-12-01")}, "[false false true true]"},
		{"from before start dates", store.PerformanceService{Years: pq.Int64Array{2026}}, "[true true true true]"},
		{"starting next year", store.PerformanceService{Years: pq.Int64Array{2027}, StartDate: day("2027-04-01")}, "[false false false false]"},
		{"ended early in August", store.PerformanceService{Years: pq.Int64Array{2025, 2026}, TerminatedAt: day("2026-08-14")}, "[true true false false]"},
	} {
		if got := fmt.Sprint(quartersRunning(c.sv, p)); got != c.want {
			t.Errorf("%s: ran in %s, want %s", c.name, got, c.want)
		}
	}
}
