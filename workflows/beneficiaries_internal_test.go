package workflows

import (
	"testing"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
)

// TestReturnBeneficiariesNameWardsTheSchemeLists checks a monitoring return's rows of people helped
// against a scheme that lists wards in Leicester (and Blaby's as a whole) but none in Rutland.
func TestReturnBeneficiariesNameWardsTheSchemeLists(t *testing.T) {
	rules := scheme.Rules{Areas: []string{"Leicester", "Blaby", "Rutland"}, Wards: []string{"Leicester: Abbey", "Leicester: Castle", "Blaby: all wards"}}
	sv := &service{application: application{rules: rules}}
	sv.st.In.Service = grant.ServiceDetails{Outcomes: []grant.Outcome{{Outcome: "Fewer", Indicators: []grant.Indicator{{Key: "referrals"}}}}}
	good := BeneficiaryCount{Area: "Leicester", Ward: "Leicester: Abbey", AgeBand: "under_18", Count: 4}
	for _, c := range []struct {
		name          string
		row           BeneficiaryCount
		field, reason string // of the refusal; "" when the return is accepted
	}{
		{"a listed ward in its area", BeneficiaryCount{Area: "Leicester", Ward: "Leicester: Castle", AgeBand: "18_24", Count: 3}, "", ""},
		{"an area's all-wards entry", BeneficiaryCount{Area: "Blaby", Ward: "Blaby: all wards", AgeBand: "25_plus", Count: 7}, "", ""},
		{"no ward where none are listed", BeneficiaryCount{Area: "Rutland", AgeBand: "25_plus", Count: 1}, "", ""},
		{"no one", BeneficiaryCount{Area: "Rutland", AgeBand: "25_plus"}, "", ""},
		{"an unknown ward", BeneficiaryCount{Area: "Leicester", Ward: "Leicester: Nowhere", AgeBand: "18_24", Count: 3},
			"content.beneficiaries[1].ward", `"Leicester: Nowhere" is not one of the scheme's wards`},
		{"a ward outside the row's area", BeneficiaryCount{Area: "Blaby", Ward: "Leicester: Castle", AgeBand: "18_24", Count: 3},
			"content.beneficiaries[1].ward", `"Leicester: Castle" is in Leicester, not Blaby`},
		{"no ward where wards are listed", BeneficiaryCount{Area: "Blaby", AgeBand: "18_24", Count: 3},
			"content.beneficiaries[1].ward", "is required: name the ward in Blaby as the scheme lists it, one of: Blaby: all wards"},
		{"a negative count", BeneficiaryCount{Area: "Leicester", Ward: "Leicester: Castle", AgeBand: "18_24", Count: -2},
			"content.beneficiaries[1].count", "cannot be negative"},
		{"an unknown age band", BeneficiaryCount{Area: "Leicester", Ward: "Leicester: Castle", AgeBand: "adults", Count: 2},
			"content.beneficiaries[1].age_band", "must be under_18, 18_24 or 25_plus"},
		{"a place outside the scheme", BeneficiaryCount{Area: "Atlantis", AgeBand: "18_24", Count: 2},
			"content.beneficiaries[1].area", `"Atlantis" is not one of the scheme's areas`},
	} {
		t.Run(c.name, func(t *testing.T) {
			content := ReturnContent{Indicators: []IndicatorActual{{Key: "referrals", Actual: 3}}, SpendToDate: money.Pounds(10),
				Beneficiaries: []BeneficiaryCount{good, c.row}, Narrative: "A quarter."}
			err := sv.validateReturnContent(content)
			wantRefusal(t, err, c.field, c.reason)
		})
	}

	// A scheme that lists no wards takes none.
	plain := &service{application: application{rules: scheme.Rules{Areas: rules.Areas}}, st: sv.st}
	err := plain.validateReturnContent(ReturnContent{Indicators: []IndicatorActual{{Key: "referrals"}}, Narrative: "A quarter.",
		Beneficiaries: []BeneficiaryCount{{Area: "Leicester", Ward: "Leicester: Abbey", AgeBand: "18_24", Count: 1}}})
	wantRefusal(t, err, "content.beneficiaries[0].ward", "the scheme lists no wards: leave the ward out")

	// A handler's re-check leaves the places to the validator, so a run recorded before wards were
	// asked replays whatever its rules list now.
	sv.rechecking = true
	err = sv.validateReturnContent(ReturnContent{Indicators: []IndicatorActual{{Key: "referrals"}}, Narrative: "A quarter.",
		Beneficiaries: []BeneficiaryCount{{Area: "Leicester", AgeBand: "18_24", Count: 1}}})
	wantRefusal(t, err, "", "")
}

func wantRefusal(t *testing.T, err error, field, reason string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("refused: %v; want accepted", err)
		}
		return
	}
	kind, r, ok := RefusalOf(err)
	if !ok || kind != RefusalInvalid || r.Field != field || r.Reason != reason {
		t.Fatalf("refusal %v; want %s: %s", err, field, reason)
	}
}
