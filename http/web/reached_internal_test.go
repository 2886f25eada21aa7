package web

import (
	"fmt"
	"testing"

	"grantflow/scheme"
	"grantflow/workflows"
)

// The people-reached table has a row for each of the application's areas, or where the scheme lists
// wards in one, for the wards of it the application named, else for every ward listed there.
func TestPlacesReachedFollowTheWardsNamedAndListed(t *testing.T) {
	rules := scheme.Rules{Areas: []string{"Leicester", "Melton", "Rutland"},
		Wards: []string{"Leicester: Abbey", "Leicester: Castle", "Melton: Melton Newport", "Melton: Melton Egerton"}}
	got := placesReached(rules, []string{"Leicester", "Melton", "Rutland"}, []string{"Melton: Melton Egerton"})
	want := "[{Leicester Leicester: Abbey} {Leicester Leicester: Castle} {Melton Melton: Melton Egerton} {Rutland }]"
	if fmt.Sprint(got) != want {
		t.Errorf("places %v\nwant %s", got, want)
	}
	sets := reachedFieldsets(apReportReached, got)
	if len(sets) != 4 || sets[2].Area != "Melton: Melton Egerton" || sets[3].Area != "Rutland" || sets[0].ID != "report-reached-0" ||
		sets[2].Fields[1].Name != "report.reached.2.18_24" || sets[2].Fields[1].Label != "18 to 24" {
		t.Errorf("fieldsets %+v", sets)
	}
	// Read back: only boxes with people become rows, each with its place; a box that is not a
	// number is refused on the page, naming the place.
	f := &form{values: map[string][]string{"report.reached.0.under_18": {"7"}, "report.reached.2.25_plus": {"1,200"}, "report.reached.3.18_24": {"0"},
		"report.reached.1.18_24": {"some"}}}
	rows, boxes, given := readReached(f, apReportReached, got)
	if !given || fmt.Sprint(rows) != "[{Leicester Leicester: Abbey under_18 7} {Melton Melton: Melton Egerton 25_plus 1200}]" ||
		fmt.Sprint(boxes) != "[report.reached.0.under_18 report.reached.2.25_plus]" {
		t.Errorf("read %v from %v (given %v)", rows, boxes, given)
	}
	if msg := f.Error("report.reached.1.18_24"); msg != "The number of people aged 18 to 24 in Leicester: Castle must be a whole number, like 12" {
		t.Errorf("the box that is not a number says %q", msg)
	}
	v := reachedViewOf("c", append(rows, workflows.BeneficiaryCount{Area: "Leicester", Ward: "Leicester: Abbey", AgeBand: "18_24", Count: 3}))
	if fmt.Sprint(v.Rows, v.Total) != "[{Leicester: Abbey [7 3 0] 10} {Melton: Melton Egerton [0 0 1200] 1200}] {Total [7 3 1200] 1210}" {
		t.Errorf("table %v %v", v.Rows, v.Total)
	}
}
