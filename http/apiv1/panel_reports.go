package apiv1

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"grantflow/http/headers"
	"grantflow/http/httperr"
	"grantflow/reporting"
	"grantflow/store"
	"grantflow/workflows"
)

// The Police and Crime Panel's quarterly reports: every version of each, with its PDF and the CSV
// of every figure, for staff who see performance (scheme.Role.SeesPerformance). The schedule makes
// them (workflows.PanelReportWorkflow); heads of commissioning and admins may ask for one now.

// PanelReportFile is one of a report's files: where to download it, its size and SHA-256.
type PanelReportFile struct {
	URL    string `json:"url"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// PanelReportView is one version of a Panel report.
type PanelReportView struct {
	ID            int64           `json:"id"`
	Number        string          `json:"number"`
	FinancialYear int             `json:"financial_year"`
	Quarter       int             `json:"quarter"`
	Period        string          `json:"period"` // "2026-27 Q3: 1 April to 31 December 2026"
	Version       int             `json:"version"`
	CreatedAt     time.Time       `json:"created_at"`
	Trigger       string          `json:"trigger"`      // "schedule" or "request"
	RequestedBy   *string         `json:"requested_by"` // the officer who asked for it; null for the schedule's
	PDF           PanelReportFile `json:"pdf"`
	CSV           PanelReportFile `json:"csv"`
}

func panelReportView(r store.PanelReport) PanelReportView {
	v := PanelReportView{ID: r.ID, Number: r.Number, FinancialYear: r.FinancialYear, Quarter: r.Quarter,
		Period:  reporting.PeriodSpan(reporting.Period{FinancialYear: r.FinancialYear, Quarter: r.Quarter}),
		Version: r.Version, CreatedAt: r.CreatedAt, Trigger: r.Trigger,
		PDF: PanelReportFile{URL: fmt.Sprintf("/api/v1/panel-reports/%d/pdf", r.ID), Bytes: r.PDFSize, SHA256: r.PDFSHA256},
		CSV: PanelReportFile{URL: fmt.Sprintf("/api/v1/panel-reports/%d/csv", r.ID), Bytes: r.CSVSize, SHA256: r.CSVSHA256}}
	if r.RequestedBy != "" {
		by := r.RequestedBy
		v.RequestedBy = &by
	}
	return v
}

func seesPanelReports(u store.User) error {
	if !u.Role.SeesPerformance() {
		return httperr.Forbidden("only the office's staff (not assessors) can read the Panel reports")
	}
	return nil
}

// PanelReports lists every version of every Panel report, the latest period first.
func (s *Server) PanelReports(ctx context.Context, u store.User) ([]PanelReportView, error) {
	if err := seesPanelReports(u); err != nil {
		return nil, err
	}
	list, err := s.Store.PanelReports(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PanelReportView, len(list))
	for i, r := range list {
		out[i] = panelReportView(r)
	}
	return out, nil
}

// PanelReport is one version of a Panel report.
func (s *Server) PanelReport(ctx context.Context, u store.User, id int64) (PanelReportView, error) {
	if err := seesPanelReports(u); err != nil {
		return PanelReportView{}, err
	}
	r, err := s.Store.PanelReportByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return PanelReportView{}, httperr.NotFound("Panel report")
	}
	if err != nil {
		return PanelReportView{}, err
	}
	return panelReportView(r), nil
}

// PanelReportDownload is a report's file as it is downloaded.
type PanelReportDownload struct {
	Content            []byte
	ContentType        string
	ContentDisposition string
}

// PanelReportFileOf is a version's PDF (kind "pdf") or CSV ("csv"), named after its number.
func (s *Server) PanelReportFileOf(ctx context.Context, u store.User, id int64, kind string) (PanelReportDownload, error) {
	if err := seesPanelReports(u); err != nil {
		return PanelReportDownload{}, err
	}
	content, r, err := s.Store.PanelReportFile(ctx, id, kind)
	if errors.Is(err, store.ErrNotFound) {
		return PanelReportDownload{}, httperr.NotFound("Panel report")
	}
	if err != nil {
		return PanelReportDownload{}, err
	}
	name := fmt.Sprintf("panel-report-%d-%02d-q%d-v%d.%s", r.FinancialYear, (r.FinancialYear+1)%100, r.Quarter, r.Version, kind)
	ct := map[string]string{"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}[kind]
	return PanelReportDownload{Content: content, ContentType: ct,
		ContentDisposition: headers.Attachment(name)}, nil
}

// PanelPeriodNow is the period a Panel report made now is for: the latest quarter to have ended.
func (s *Server) PanelPeriodNow() reporting.Period {
	q := workflows.QuarterOf(s.now()).Previous()
	return reporting.Period{FinancialYear: q.FY, Quarter: q.Q}
}

// MakePanelReport makes the period's Panel report now, at the person's request, and waits for it:
// the period's next version if its figures have changed since the latest, else the latest. One
// run per period at a time (a deterministic workflow id); a second request while one runs waits
// for that one.
func (s *Server) MakePanelReport(ctx context.Context, u store.User, p reporting.Period) (workflows.PanelReportResult, error) {
	if !u.Role.MakesPanelReports() {
		return workflows.PanelReportResult{}, httperr.Forbidden("only the head of commissioning or an admin can make a Panel report now")
	}
	if p.Quarter < 1 || p.Quarter > 4 || p.FinancialYear < 2000 || p.FinancialYear > 2199 {
		return workflows.PanelReportResult{}, httperr.Fields(map[string]string{"quarter": "must be a quarter of a financial year"})
	}
	if ended := (workflows.Quarter{FY: p.FinancialYear, Q: p.Quarter}).End(); s.now().Before(ended) {
		return workflows.PanelReportResult{}, httperr.Conflict("quarter_not_ended", fmt.Sprintf("%s has not ended yet", p))
	}
	// The figures, charts and PDF take a second or two; a worker that is not running is a 503.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       workflows.PanelReportWorkflowID(s.TaskQueue, p),
		TaskQueue:                                s.TaskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: false,
	}, workflows.PanelReportWorkflowName, workflows.PanelReportInput{Period: &p, RequestedBy: u.Name + ", " + u.Role.Title()})
	if err != nil {
		return workflows.PanelReportResult{}, fmt.Errorf("start the Panel report of %s: %w", p, err)
	}
	var res workflows.PanelReportResult
	if err := run.Get(ctx, &res); err != nil {
		var app *temporal.ApplicationError
		if errors.As(err, &app) {
			return res, httperr.Conflict("panel_report_failed", "the Panel report could not be made: "+app.Error())
		}
		return res, fmt.Errorf("make the Panel report of %s: %w", p, err)
	}
	return res, nil
}

func (s *Server) listPanelReports(c *gin.Context) {
	list, err := s.PanelReports(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"panel_reports": list})
}

func (s *Server) getPanelReport(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("Panel report"))
		return
	}
	v, err := s.PanelReport(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) downloadPanelReport(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathID(c, "id")
		if err != nil {
			s.fail(c, httperr.NotFound("Panel report"))
			return
		}
		d, err := s.PanelReportFileOf(c.Request.Context(), currentUser(c), id, kind)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Content-Disposition", d.ContentDisposition)
		c.Data(http.StatusOK, d.ContentType, d.Content)
	}
}
