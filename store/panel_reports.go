package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// How a Panel report came to be made (panel_reports.trigger).
const (
	PanelTriggerSchedule = "schedule" // the quarterly schedule, after the quarter's returns were due
	PanelTriggerRequest  = "request"  // a named officer asked for it
)

// PanelReport is one version of a period's Panel report, without its files.
type PanelReport struct {
	ID            int64     `db:"id"`
	Number        string    `db:"number"`
	FinancialYear int       `db:"financial_year"`
	Quarter       int       `db:"quarter"`
	Version       int       `db:"version"`
	FiguresSHA256 string    `db:"figures_sha256"`
	PDFSize       int64     `db:"pdf_size"`
	PDFSHA256     string    `db:"pdf_sha256"`
	CSVSize       int64     `db:"csv_size"`
	CSVSHA256     string    `db:"csv_sha256"`
	Trigger       string    `db:"trigger"`
	RequestedBy   string    `db:"requested_by"`
	CreatedAt     time.Time `db:"created_at"`
}

// NewPanelReport is a version to keep, unless it has the figures of the period's latest version.
// Render is called only when a new version is to be made, with its version number, and returns
// the PDF and the CSV.
type NewPanelReport struct {
	Number        string
	FinancialYear int
	Quarter       int
	FiguresSHA256 string
	Trigger       string
	RequestedBy   string
	Render        func(version int) (pdf, csv []byte, err error)
}

// sha256Hex is the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

const panelReportColumns = `id, number, financial_year, quarter, version, figures_sha256, length(pdf) AS pdf_size, pdf_sha256,
	length(csv) AS csv_size, csv_sha256, trigger, requested_by, created_at`

// KeepPanelReport keeps the next version of a period's Panel report, unless the period's latest
// version has the same figures: then it returns that one and made is false. Runs for one period
// queue on a lock, so two at once never make two versions of the same figures.
func (s *Store) KeepPanelReport(ctx context.Context, in NewPanelReport) (r PanelReport, made bool, err error) {
	if in.Quarter < 1 || in.Quarter > 4 || in.Number == "" || in.FiguresSHA256 == "" {
		return r, false, fmt.Errorf("keep Panel report %q: number, quarter and figures' hash are required", in.Number)
	}
	if in.Trigger != PanelTriggerSchedule && in.Trigger != PanelTriggerRequest {
		return r, false, fmt.Errorf("keep Panel report %s: trigger %q is neither %q nor %q", in.Number, in.Trigger, PanelTriggerSchedule, PanelTriggerRequest)
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('panel_reports'), $1)`, in.FinancialYear*10+in.Quarter); err != nil {
			return err
		}
		var latest []PanelReport
		if err := tx.SelectContext(ctx, &latest, `SELECT `+panelReportColumns+` FROM panel_reports
			WHERE financial_year = $1 AND quarter = $2 ORDER BY version DESC LIMIT 1`, in.FinancialYear, in.Quarter); err != nil {
			return err
		}
		version := 1
		if len(latest) == 1 {
			if latest[0].FiguresSHA256 == in.FiguresSHA256 {
				r = latest[0]
				return nil
			}
			version = latest[0].Version + 1
		}
		pdf, csv, err := in.Render(version)
		if err != nil {
			return err
		}
		made = true
		return tx.GetContext(ctx, &r, `INSERT INTO panel_reports (number, financial_year, quarter, version, figures_sha256, pdf, pdf_sha256, csv, csv_sha256, trigger, requested_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING `+panelReportColumns,
			in.Number, in.FinancialYear, in.Quarter, version, in.FiguresSHA256, pdf, sha256Hex(pdf), csv, sha256Hex(csv), in.Trigger, in.RequestedBy)
	})
	if err != nil {
		return PanelReport{}, false, fmt.Errorf("keep Panel report %s: %w", in.Number, err)
	}
	return r, made, nil
}

// PanelReports lists every version of every Panel report, the latest period first, then the
// latest version.
func (s *Store) PanelReports(ctx context.Context) ([]PanelReport, error) {
	out := []PanelReport{}
	err := s.DB.SelectContext(ctx, &out, `SELECT `+panelReportColumns+` FROM panel_reports
		ORDER BY financial_year DESC, quarter DESC, version DESC`)
	if err != nil {
		return nil, fmt.Errorf("list Panel reports: %w", err)
	}
	return out, nil
}

// PanelReportByID is one version of a Panel report, without its files.
func (s *Store) PanelReportByID(ctx context.Context, id int64) (PanelReport, error) {
	var r PanelReport
	err := s.DB.GetContext(ctx, &r, `SELECT `+panelReportColumns+` FROM panel_reports WHERE id = $1`, id)
	return r, notFound(err)
}

// HasPanelReport reports whether any version of the period's Panel report has been made.
func (s *Store) HasPanelReport(ctx context.Context, financialYear, quarter int) (bool, error) {
	var has bool
	err := s.DB.GetContext(ctx, &has, `SELECT EXISTS (SELECT 1 FROM panel_reports WHERE financial_year = $1 AND quarter = $2)`, financialYear, quarter)
	if err != nil {
		return false, fmt.Errorf("is there a Panel report for %d Q%d: %w", financialYear, quarter, err)
	}
	return has, nil
}

// PanelReportFile is one of a version's files, "pdf" or "csv".
func (s *Store) PanelReportFile(ctx context.Context, id int64, kind string) ([]byte, PanelReport, error) {
	r, err := s.PanelReportByID(ctx, id)
	if err != nil {
		return nil, r, err
	}
	col := map[string]string{"pdf": "pdf", "csv": "csv"}[kind]
	if col == "" {
		return nil, r, ErrNotFound
	}
	var b []byte
	if err := s.DB.GetContext(ctx, &b, `SELECT `+col+` FROM panel_reports WHERE id = $1`, id); err != nil {
		return nil, r, notFound(err)
	}
	return b, r, nil
}
