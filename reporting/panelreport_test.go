package reporting_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"grantflow/internal/pdftext"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/reporting"
)

func i64(v int64) *int64 { return &v }

// panelFigures are invented figures of 2026-27 Q3.
func panelFigures() reporting.Figures {
	return reporting.Figures{
		Period: reporting.Period{FinancialYear: 2026, Quarter: 3},
		Totals: reporting.Line{Name: "All", Awards: 3, Committed: 12_345_678, Released: 6_000_000, Paid: 5_500_050, Beneficiaries: 412, Under25: 188},
		ByPriority: []reporting.Line{
			{Name: "Victim Services", Awards: 2, Committed: 12_000_000, Released: 5_800_000, Paid: 5_300_000, Beneficiaries: 300, Under25: 120},
			{Name: "Visible Policing", Awards: 1, Committed: 345_678, Released: 200_000, Paid: 200_050, Beneficiaries: 112, Under25: 68},
			{Name: "Value for Money"},
		},
		ByArea: []reporting.Line{
			{Name: "Leicester", Code: "E06000016", Awards: 2, Committed: 12_000_000, Beneficiaries: 300},
			{Name: "Rutland", Code: "E06000017", Awards: 1, Committed: 345_678, Beneficiaries: 112},
		},
		ByWard: []reporting.Line{
			{Name: "Bromley-by-Bow & St Mary’s", Code: "E05000001", Awards: 1, Committed: 345_678, Beneficiaries: 40, Under25: 12},
			{Name: "Łódź Green", Code: "E05000002", Awards: 1, Committed: 12_000_000, Beneficiaries: 60, Under25: 30},
		},
		Indicators: []reporting.IndicatorTrend{
			{Reference: "CSF-2026-00017", Recipient: "Safe Harbour Youth Trust", Service: "A&E navigators", Key: "referrals", Name: "Referrals", Unit: "people",
				Target: 30, Actual: []*int64{i64(25), nil, i64(34)}},
			{Reference: "CSF-2026-00017", Recipient: "Safe Harbour Youth Trust", Service: "A&E navigators", Key: "sessions", Name: "Sessions held", Unit: "sessions",
				Target: 12, Actual: []*int64{i64(11), i64(13), i64(12)}},
		},
		Ratings:        []reporting.ServiceRating{{Reference: "CSF-2026-00017", Recipient: "Safe Harbour Youth Trust", RAG: []string{"green", "", "amber"}}},
		OverdueReturns: []reporting.OverdueReturn{{Reference: "CSF-2026-00021", Recipient: "Northfield Witness Care", Quarter: "2026-27 Q2", DueOn: "2026-10-15"}},
		HeldTranches:   []reporting.HeldTranche{{Reference: "CSF-2026-00021", Recipient: "Northfield Witness Care", Tranche: 3, Amount: 1_250_000, Reason: "Q2 return not received"}},
		Grassroots: []reporting.GrassrootsResult{{Reference: "GCF-2026-00004", Recipient: "Zoë’s Café Club", Amount: money.Pounds(4500), Spent: 449_999,
			Beneficiaries: 52, Under25: 40, Outcomes: "Weekly youth café; fewer call-outs to the park."}},
	}
}

func panelInput() reporting.PanelReportInput {
	return reporting.PanelReportInput{
		Letterhead: letters.Letterhead{Body: "Office of the Police and Crime Commissioner (test)", Address: []string{"1 Test Street", "TE1 1ST"}},
		Number:     "PANEL/2026-27/Q3",
		Version:    1,
		Date:       time.Date(2027, time.January, 16, 0, 0, 0, 0, time.UTC),
		Figures:    panelFigures(),
	}
}

func TestPanelReportPDFReadsAsTheQuartersFigures(t *testing.T) {
	pdf, err := reporting.PanelReportPDF(panelInput())
	if err != nil {
		t.Fatal(err)
	}
	got, err := pdftext.Text(pdf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Office of the Police and Crime Commissioner (test)",
		"Police and Crime Panel performance report",
		"2026-27 Q3: 1 April to 31 December 2026",
		"Document number PANEL/2026-27/Q3", "Version 1", "Date 16 January 2027",
		"Awards 3 Committed £123,456.78 Released £60,000.00 Paid £55,000.50 Beneficiaries 412 Of whom under 25 188",
		"Victim Services 2 £120,000.00 £58,000.00 £53,000.00 300 120",
		"Value for Money 0 £0.00",
		"All awards 3 £123,456.78",
		"Leicester E06000016 2 £120,000.00 £0.00 £0.00 300 0",
		"Bromley-by-Bow & St Mary’s E05000001 1 £3,456.78",
		"Łódź Green E05000002",
		"An award that names several priorities counts on each of them.",
		"CSF-2026-00017: A&E navigators (Safe Harbour Youth Trust)",
		"Referrals people 30 25 none 34",
		"Sessions held sessions 12 11 13 12",
		"CSF-2026-00017 Safe Harbour Youth Trust Green not rated Amber",
		"CSF-2026-00021 Northfield Witness Care 2026-27 Q2 15 October 2026",
		"CSF-2026-00021 Northfield Witness Care 3 £12,500.00 Q2 return not received",
		"GCF-2026-00004 Zoë’s Café Club £4,500.00 £4,499.99 52 40 Weekly youth café",
		"PANEL/2026-27/Q3 version 1 Page 1 of",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks %q\ntext: %s", want, got)
		}
	}
	// Charts: by priority, by area, and one trend chart for the service.
	if n := bytes.Count(pdf, []byte("/Subtype /Image")); n != 3 {
		t.Errorf("the report embeds %d images, want 3 charts", n)
	}

	// Same input, same bytes (gofpdf writes images of one width in map order: run it a few times).
	for range 5 {
		again, err := reporting.PanelReportPDF(panelInput())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pdf, again) {
			t.Fatal("the same input gave different bytes")
		}
	}
	in := panelInput()
	in.Version = 2
	v2, err := reporting.PanelReportPDF(in)
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := pdftext.Text(v2); !strings.Contains(text, "This is version 2 of the report for 2026-27 Q3") {
		t.Errorf("version 2 does not say it replaces an earlier version: %s", text)
	}
}

func TestPanelReportPDFRefusesAnIncompleteInput(t *testing.T) {
	in := panelInput()
	in.Number, in.Figures.Period.Quarter = "", 5
	if _, err := reporting.PanelReportPDF(in); err == nil || !strings.Contains(err.Error(), "number") || !strings.Contains(err.Error(), "period") {
		t.Errorf("an input without a number and with quarter 5 gave %v", err)
	}
}

func TestPeriodSpanAndNumber(t *testing.T) {
	for p, want := range map[reporting.Period]string{
		{FinancialYear: 2026, Quarter: 1}: "2026-27 Q1: 1 April to 30 June 2026",
		{FinancialYear: 2026, Quarter: 3}: "2026-27 Q3: 1 April to 31 December 2026",
		{FinancialYear: 2026, Quarter: 4}: "2026-27 Q4: 1 April 2026 to 31 March 2027",
	} {
		if got := reporting.PeriodSpan(p); got != want {
			t.Errorf("PeriodSpan(%v) = %q, want %q", p, got, want)
		}
	}
	if got := reporting.PanelReportNumber(reporting.Period{FinancialYear: 2099, Quarter: 2}); got != "PANEL/2099-00/Q2" {
		t.Errorf("number %q", got)
	}
}

func TestWritePanelReportSample(t *testing.T) {
	if dir := os.Getenv("PANEL_REPORT_SAMPLE"); dir != "" {
		pdf, err := reporting.PanelReportPDF(panelInput())
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(dir+"/panel.pdf", pdf, 0o644)
	}
}
