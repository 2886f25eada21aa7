package workflows

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"grantflow/examples/schemes"
	"grantflow/money"
	"grantflow/scheme"
)

// exampleRules are the rules of an example scheme file (internal/demo's would import this package).
func exampleRules(f *testing.F, name string) scheme.Rules {
	data, err := schemes.Files.ReadFile(name)
	if err != nil {
		f.Fatal(err)
	}
	var definition struct{ Rules scheme.Rules }
	if err := yaml.Unmarshal(data, &definition); err != nil {
		f.Fatalf("%s: %v", name, err)
	}
	return definition.Rules
}

// refusedField checks err is nil or an Invalid refusal naming a field that matches field, with a reason.
func refusedField(t *testing.T, step string, body []byte, err error, field *regexp.Regexp) {
	t.Helper()
	if err == nil {
		return
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		err = invalid(fe)
	}
	kind, r, ok := RefusalOf(err)
	if !ok || kind != RefusalInvalid || !field.MatchString(r.Field) || strings.TrimSpace(r.Reason) == "" {
		t.Fatalf("%s of %s refused with %v (kind %q, %+v), not a reason on a field like %s", step, body, err, kind, r, field)
	}
}

// FuzzStepBodies: any JSON an update carries (Temporal hands it to the workflow as JSON) reaches the
// validators of declarations, assessments' scores, reports (and the people they reached), reviews,
// payments, repayments, a decision's conditions and reasons, a service's years and a return's people
// reached without a panic, and each refusal is an Invalid refusal naming the request's field with a reason.
func FuzzStepBodies(f *testing.F) {
	for _, s := range []string{
		`{"HasConflict":true,"Details":"  "}`,
		`{"Scores":[{"criterion":"need","score":6,"comment":""},{"criterion":"need","score":-1}]}`,
		`{"Summary":"Done","Outcomes":"Forty young people","Spent":-5}`,
		`{"Outcome":"request_changes","Comment":""}`, `{"Outcome":"shrug"}`,
		`{"Amount":425000,"PaidOn":"2999-01-01T00:00:00Z","Reference":"BACS 1"}`, `{"Reference":" "}`,
		`{"Years":[{"financial_year":2026,"amount_pence":-1},{"financial_year":2026,"amount_pence":9223372036854775807}]}`,
		`{"Years":[{"financial_year":-2147483648,"amount_pence":100}]}`, `{"Years":[]}`,
		`{"Beneficiaries":[{"area":"Leicester","ward":"Abbey","age_band":"under_18","count":-1},{"area":" ","age_band":"old","count":3}]}`,
		`{"Beneficiaries":[{"area":"Leicester","age_band":"18_24","count":2},{"area":"Leicester","age_band":"18_24","count":5}]}`,
		`{"Conditions":["Report quarterly"," "],"Declined":[]}`, `{"Amount":100,"ReceivedOn":"2026-12-08T00:00:00Z","Reference":"REPAY 1"}`,
	} {
		f.Add([]byte(s), int64(425000))
	}
	grassroots, service := exampleRules(f, "grassroots.yaml"), exampleRules(f, "commissioned-services.yaml")
	if len(grassroots.Criteria) == 0 || len(service.Criteria) == 0 {
		f.Fatal("the example schemes' rules have no criteria")
	}
	latest := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte, paid int64) {
		var declare DeclareConflictRequest
		if json.Unmarshal(body, &declare) == nil {
			refusedField(t, "declaring a conflict", body, validateDeclaration(declare), regexp.MustCompile(`^details$`))
		}
		var assess AssessRequest
		if json.Unmarshal(body, &assess) == nil {
			refusedField(t, "scoring", body, ValidateScores(grassroots, assess.Scores), regexp.MustCompile(`^scores(\[\d+\]\.(criterion|score|comment))?$`))
		}
		var report SubmitReportRequest
		if json.Unmarshal(body, &report) == nil {
			refusedField(t, "reporting", body, validateReport(report, money.Pence(paid)), regexp.MustCompile(`^(summary|outcomes|spent_pence)$`))
		}
		var review ReviewReportRequest
		if json.Unmarshal(body, &review) == nil {
			refusedField(t, "reviewing a report", body, validateReview(review), regexp.MustCompile(`^(outcome|comment)$`))
		}
		var payment RecordPaymentRequest
		if json.Unmarshal(body, &payment) == nil {
			err := validatePayment(latest, payment.Amount, money.Pence(paid), "the grant's "+money.Pence(paid).String(), payment.Reference, payment.PaidOn)
			refusedField(t, "recording a payment", body, err, regexp.MustCompile(`^(amount_pence|reference|paid_on)$`))
		}
		if report.Beneficiaries != nil {
			for _, places := range []bool{true, false} {
				refusedField(t, "counting people reached", body, checkBeneficiaries(grassroots, report.Beneficiaries, "beneficiaries", places),
					regexp.MustCompile(`^beneficiaries\[\d+\](\.(count|age_band|area|ward))?$`))
				refusedField(t, "a return's people reached", body, checkBeneficiaries(service, report.Beneficiaries, "content.beneficiaries", places),
					regexp.MustCompile(`^content\.beneficiaries\[\d+\](\.(count|age_band|area|ward))?$`))
			}
		}
		var decide DecideRequest
		if json.Unmarshal(body, &decide) == nil {
			refusedField(t, "deciding", body, nonEmpty(decide.Conditions, "conditions"), regexp.MustCompile(`^conditions\[\d+\]$`))
			refusedField(t, "declining", body, nonEmpty(decide.Declined, "decline_reasons"), regexp.MustCompile(`^decline_reasons\[\d+\]$`))
		}
		var repay RecordRepaymentRequest
		if json.Unmarshal(body, &repay) == nil {
			refusedField(t, "recording a repayment", body, validateMoneyMoved(latest, repay.Reference, "received_on", repay.ReceivedOn),
				regexp.MustCompile(`^(reference|received_on)$`))
		}
		var vary VaryRequest
		if json.Unmarshal(body, &vary) == nil {
			refusedField(t, "varying the years", body, ValidateYears(service, vary.Years, "years"), regexp.MustCompile(`^years(\[\d+\]\.(financial_year|amount_pence))?$`))
		}
	})
}
