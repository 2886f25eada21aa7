package letters

import (
	"bytes"
	"testing"
	"time"

	"grantflow/money"
)

func paymentNotice() PaymentNotice {
	a := agreement()
	return PaymentNotice{
		Letterhead:      letterhead(),
		Date:            day(2026, time.July, 20),
		NoticeReference: "CSF-2026-00017-PN2",
		AwardReference:  a.Reference,
		Payee:           a.Recipient,
		Tranche:         2,
		TrancheCount:    len(a.Tranches),
		Quarter:         "Q2 2026-27",
		Amount:          money.Pounds(30000),
		Due:             day(2026, time.July, 27),
		CostCentre:      "CC-4420 Commissioned Services",
		Basis:           "conditions precedent met and Q1 2026-27 return accepted",
		ApprovedBy:      "C. Sample, Commissioning Officer",
	}
}

func TestPaymentNoticeSaysWhatToPayAndWhy(t *testing.T) {
	got := text(t, paymentNotice().PDF)
	assertContains(t, got,
		"Payment notice: tranche 2 of 12",
		"Please pay £30,000.00 to Safe Harbour Youth Trust by 27 July 2026.",
		"Released because: conditions precedent met and Q1 2026-27 return accepted.",
		"Notice reference CSF-2026-00017-PN2",
		"Award reference CSF-2026-00017",
		"Payee Safe Harbour Youth Trust Contact: Priya Okonkwo-Hale Unit 4, Example Works",
		"Tranche 2 of 12",
		"Quarter Q2 2026-27",
		"Amount £30,000.00",
		"Due 27 July 2026",
		"Cost centre CC-4420 Commissioned Services",
		"Approved by C. Sample, Commissioning Officer",
	)
}

func TestPaymentNoticeSameInputSameBytes(t *testing.T) {
	first, err := paymentNotice().PDF()
	if err != nil {
		t.Fatal(err)
	}
	second, err := paymentNotice().PDF()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("two payment notices from the same input differ")
	}
}

func TestPaymentNoticeValidation(t *testing.T) {
	cases := []struct {
		name   string
		change func(*PaymentNotice)
		field  string
	}{
		{"no basis", func(n *PaymentNotice) { n.Basis = " " }, "Basis"},
		{"no tranche", func(n *PaymentNotice) { n.Tranche = 0 }, "Tranche"},
		{"a tranche beyond the schedule", func(n *PaymentNotice) { n.Tranche = 13 }, "TrancheCount"},
		{"no quarter", func(n *PaymentNotice) { n.Quarter = "" }, "Quarter"},
		{"nothing to pay", func(n *PaymentNotice) { n.Amount = 0 }, "Amount"},
		{"no due date", func(n *PaymentNotice) { n.Due = time.Time{} }, "Due"},
		{"no cost centre", func(n *PaymentNotice) { n.CostCentre = "" }, "CostCentre"},
		{"no payee", func(n *PaymentNotice) { n.Payee.Organisation = "" }, "Payee.Organisation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := paymentNotice()
			c.change(&n)
			pdf, err := n.PDF()
			assertNamesField(t, pdf, err, c.field)
		})
	}
}
