package payfile

import (
	"bytes"
	"strings"
	"testing"

	"grantflow/money"
)

func TestWriteLaysOutEachPaymentForBureauImport(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, []Line{
		{SortCode: "20-00-00", AccountNumber: "55779911", AccountName: "Cymdeithas Gymunedol Ŵyr Łódź", Amount: money.Pounds(2500), Reference: "GCF-2026-0042"},
		{SortCode: "401276", AccountNumber: "12345678", AccountName: "Friends of \"the\" Park, Ltd", Amount: 3000001, Reference: "CSF/2026/0007 tranche 3 (Q3)"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "200000,55779911,CYMDEITHAS GYMUNED,2500.00,GCF-2026-0042,99\r\n" +
		"401276,12345678,FRIENDS OF THE PAR,30000.01,CSF/2026/0007 TRAN,99\r\n"
	if got := buf.String(); got != want {
		t.Errorf("payment file:\n%q\nwant:\n%q", got, want)
	}
}

func TestSafeKeepsOnlyBACSCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"Ŵyr Łódź":          "WYR LODZ",
		"Zoë Ní Bhriain":    "ZOE NI BHRIAIN",
		"A&B / C-D. Ltd":    "A&B / C-D. LTD",
		"  café   (naïve) ": "CAFE NAIVE",
		"Straße":            "STRASE",
	} {
		if got := Safe(in, 18); got != want {
			t.Errorf("Safe(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestWriteRefusesDetailsTheBankWouldReject(t *testing.T) {
	for _, l := range []Line{
		{SortCode: "20-00", AccountNumber: "55779911", AccountName: "A", Amount: 100},
		{SortCode: "200000", AccountNumber: "5577991", AccountName: "A", Amount: 100},
		{SortCode: "200000", AccountNumber: "55779911", AccountName: "A", Amount: 0},
		{SortCode: "200000", AccountNumber: "55779911", AccountName: "山田", Amount: 100},
	} {
		if err := Write(&bytes.Buffer{}, []Line{l}); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("Write(%+v) = %v; want an error naming line 1", l, err)
		}
	}
}
