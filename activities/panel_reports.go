package activities

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"go.temporal.io/sdk/temporal"

	"grantflow/letters"
	"grantflow/reporting"
	"grantflow/scheme"
	"grantflow/store"
)

// ErrTypeNoFigures: the worker was started without a source of performance figures.
const ErrTypeNoFigures = "NoFigures"

// PanelFigures is where the Panel report's figures come from: the performance figures of a period
// and their CSV. The worker is given them (internal/app.PanelFiguresOf), so this package depends
// on the figures' shape only.
type PanelFigures struct {
	Compute func(ctx context.Context, p reporting.Period) (reporting.Figures, error)
	CSV     func(w io.Writer, f reporting.Figures) error
}

// PanelReports makes the quarterly Panel report and keeps each version as a numbered document.
type PanelReports struct {
	Store      *store.Store
	Letterhead letters.Letterhead
	Figures    PanelFigures
}

// PanelReturnDueDaysResult is how many days after a quarter's end the last of the schemes'
// monitoring returns is due.
type PanelReturnDueDaysResult struct {
	Days int
}

// PanelReturnDueDays reads the most days after a quarter's end that any scheme's current rules
// give its returns (the schemes' default when there is no scheme).
func (a *PanelReports) PanelReturnDueDays(ctx context.Context) (PanelReturnDueDaysResult, error) {
	schemes, err := a.Store.Schemes(ctx)
	if err != nil {
		return PanelReturnDueDaysResult{}, fmt.Errorf("when are returns due: %w", err)
	}
	days := scheme.Rules{}.ReturnDue()
	for _, s := range schemes {
		days = max(days, s.Rules.ReturnDue())
	}
	return PanelReturnDueDaysResult{Days: days}, nil
}

// MakePanelReportInput names the period, the day the report is made (YYYY-MM-DD in London: the
// date it carries), and who asked for it ("" for the schedule). OnlyIfNone makes nothing when the
// period already has a report (the schedule's runs); otherwise a run whose figures differ from
// the latest version's makes the next version.
type MakePanelReportInput struct {
	Period      reporting.Period
	Day         string
	RequestedBy string
	OnlyIfNone  bool
}

// MakePanelReportResult is the period's report as kept (ID 0 when OnlyIfNone found one already),
// and whether this run made it.
type MakePanelReportResult struct {
	ID      int64
	Number  string
	Version int
	Made    bool
}

// MakePanelReport computes the period's figures and, unless the latest version has the same
// figures, writes the next version's PDF and CSV and keeps them. A retry finds what the first
// attempt kept and makes nothing new.
func (a *PanelReports) MakePanelReport(ctx context.Context, in MakePanelReportInput) (MakePanelReportResult, error) {
	defer keepAlive(ctx)()
	p := in.Period
	if p.Quarter < 1 || p.Quarter > 4 || p.FinancialYear < 2000 {
		return MakePanelReportResult{}, invalidInput("Panel report period %+v is not a quarter of a financial year", p)
	}
	day, err := time.ParseInLocation(time.DateOnly, in.Day, scheme.London)
	if err != nil {
		return MakePanelReportResult{}, invalidInput("Panel report day %q: %v", in.Day, err)
	}
	number := reporting.PanelReportNumber(p)
	if in.OnlyIfNone {
		has, err := a.Store.HasPanelReport(ctx, p.FinancialYear, p.Quarter)
		if err != nil || has {
			return MakePanelReportResult{Number: number}, err
		}
	}
	if a.Figures.Compute == nil || a.Figures.CSV == nil {
		return MakePanelReportResult{}, temporal.NewNonRetryableApplicationError("the worker has no source of performance figures for the Panel report", ErrTypeNoFigures, nil)
	}
	figures, err := a.Figures.Compute(ctx, p)
	if err != nil {
		return MakePanelReportResult{}, fmt.Errorf("figures for Panel report %s: %w", number, err)
	}
	figures.Period = p
	asJSON, err := json.Marshal(figures)
	if err != nil {
		return MakePanelReportResult{}, fmt.Errorf("figures for Panel report %s: %w", number, err)
	}
	sum := sha256.Sum256(asJSON)
	trigger := store.PanelTriggerSchedule
	if in.RequestedBy != "" {
		trigger = store.PanelTriggerRequest
	}
	kept, made, err := a.Store.KeepPanelReport(ctx, store.NewPanelReport{
		Number: number, FinancialYear: p.FinancialYear, Quarter: p.Quarter, FiguresSHA256: hex.EncodeToString(sum[:]),
		Trigger: trigger, RequestedBy: in.RequestedBy,
		Render: func(version int) ([]byte, []byte, error) {
			pdf, err := reporting.PanelReportPDF(reporting.PanelReportInput{Letterhead: a.Letterhead, Number: number, Version: version, Date: day, Figures: figures})
			if err != nil {
				return nil, nil, err
			}
			var csv bytes.Buffer
			if err := a.Figures.CSV(&csv, figures); err != nil {
				return nil, nil, fmt.Errorf("CSV: %w", err)
			}
			return pdf, csv.Bytes(), nil
		},
	})
	if err != nil {
		return MakePanelReportResult{}, err
	}
	return MakePanelReportResult{ID: kept.ID, Number: kept.Number, Version: kept.Version, Made: made}, nil
}
