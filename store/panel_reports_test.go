package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"grantflow/store"
	"grantflow/store/storetest"
)

// A period's first run makes version 1; a run with the same figures makes nothing (and renders
// nothing); different figures make version 2; runs at once for new figures make one version.
func TestPanelReportsAreNumberedAndVersioned(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	renders := 0
	report := func(figures, trigger string) store.NewPanelReport {
		return store.NewPanelReport{Number: "PANEL/2026-27/Q3", FinancialYear: 2026, Quarter: 3, FiguresSHA256: figures, Trigger: trigger,
			RequestedBy: map[string]string{store.PanelTriggerRequest: "B. Sample"}[trigger],
			Render: func(v int) ([]byte, []byte, error) {
				renders++
				return []byte(fmt.Sprintf("%%PDF v%d %s", v, figures)), []byte("figure,value\n"), nil
			}}
	}
	if has, err := s.HasPanelReport(ctx, 2026, 3); err != nil || has {
		t.Fatalf("a report before any was made: %v %v", has, err)
	}
	first, made, err := s.KeepPanelReport(ctx, report("aaa", store.PanelTriggerSchedule))
	if err != nil || !made || first.Version != 1 || first.Number != "PANEL/2026-27/Q3" || first.Trigger != "schedule" {
		t.Fatalf("first run: %+v made %v, %v", first, made, err)
	}
	if len(first.PDFSHA256) != 64 || first.PDFSize != int64(len("%PDF v1 aaa")) || first.CSVSize != 13 {
		t.Errorf("first version's files: %+v", first)
	}
	again, made, err := s.KeepPanelReport(ctx, report("aaa", store.PanelTriggerRequest))
	if err != nil || made || again.ID != first.ID || renders != 1 {
		t.Fatalf("a second run with the same figures: %+v made %v renders %d, %v", again, made, renders, err)
	}
	second, made, err := s.KeepPanelReport(ctx, report("bbb", store.PanelTriggerRequest))
	if err != nil || !made || second.Version != 2 || second.RequestedBy != "B. Sample" || second.Trigger != "request" {
		t.Fatalf("late returns: %+v made %v, %v", second, made, err)
	}
	var wg sync.WaitGroup
	madeCount := 0
	var mu sync.Mutex
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, made, err := s.KeepPanelReport(ctx, report("ccc", store.PanelTriggerSchedule))
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			if made {
				madeCount++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if madeCount != 1 {
		t.Errorf("four runs at once with new figures made %d versions, want 1", madeCount)
	}
	// Another period has its own numbering.
	other := report("aaa", store.PanelTriggerSchedule)
	other.Quarter, other.Number = 2, "PANEL/2026-27/Q2"
	if r, _, err := s.KeepPanelReport(ctx, other); err != nil || r.Version != 1 {
		t.Fatalf("another period: %+v %v", r, err)
	}

	list, err := s.PanelReports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range list {
		got = append(got, fmt.Sprintf("%s v%d", r.Number, r.Version))
	}
	if fmt.Sprint(got) != "[PANEL/2026-27/Q3 v3 PANEL/2026-27/Q3 v2 PANEL/2026-27/Q3 v1 PANEL/2026-27/Q2 v1]" {
		t.Errorf("the list is %v", got)
	}
	pdf, meta, err := s.PanelReportFile(ctx, second.ID, "pdf")
	if err != nil || string(pdf) != "%PDF v2 bbb" || meta.Version != 2 {
		t.Errorf("version 2's PDF: %q %+v %v", pdf, meta, err)
	}
	if _, _, err := s.PanelReportFile(ctx, second.ID, "xls"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown kind of file: %v", err)
	}
	if _, err := s.PanelReportByID(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown report: %v", err)
	}
	// Rows are only inserted: nothing above changed version 1.
	if v1, err := s.PanelReportByID(ctx, first.ID); err != nil || v1 != first {
		t.Errorf("version 1 changed: %+v, was %+v (%v)", v1, first, err)
	}
}
