package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/reporting"
)

// The Police and Crime Panel's reports (apiv1/panel_reports.go): every version, with its PDF and
// CSV to download, for staff who see performance; heads of commissioning and admins may make the
// latest quarter's report now.

type panelReportsPage struct {
	Reports   []panelReportRow
	MayMake   bool
	PeriodNow string // "2026-27 Q3: 1 April to 31 December 2026"
	Made      *bannerView
}

type panelReportRow struct {
	apiv1.PanelReportView
	Created          string
	PDFHref, CSVHref string
	PDFSize, CSVSize string
	By               string
}

// fileSize writes a size the way people read it: "840 bytes", "12.3 KB", "1.2 MB".
func fileSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f KB", float64(n)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1000/1000)
}

func (s *Server) panelReportsPage(c *gin.Context) { s.showPanelReports(c, http.StatusOK, nil) }

func (s *Server) showPanelReports(c *gin.Context, status int, f *form) {
	u, _ := currentUser(c)
	list, err := s.opts.API.PanelReports(c.Request.Context(), u)
	if err != nil {
		s.failRead(c, err)
		return
	}
	view := panelReportsPage{MayMake: u.Role.MakesPanelReports(), PeriodNow: reporting.PeriodSpan(s.opts.API.PanelPeriodNow())}
	for _, r := range list {
		row := panelReportRow{PanelReportView: r, Created: dateTime(r.CreatedAt),
			PDFHref: fmt.Sprintf("/performance/panel-reports/%d.pdf", r.ID), CSVHref: fmt.Sprintf("/performance/panel-reports/%d.csv", r.ID),
			PDFSize: fileSize(r.PDF.Bytes), CSVSize: fileSize(r.CSV.Bytes), By: "The quarterly schedule"}
		if r.RequestedBy != nil {
			row.By = *r.RequestedBy
		}
		view.Reports = append(view.Reports, row)
		if made := c.Query("made"); made != "" && made == strconv.FormatInt(r.ID, 10) && view.Made == nil {
			b := bannerFor(fmt.Sprintf("%s version %d is ready", r.Number, r.Version))
			view.Made = &b
		}
	}
	if c.Query("made") == "same" {
		b := bannerFor("The figures have not changed since the latest version, so no new version was made")
		view.Made = &b
	}
	s.render(c, status, "panel-reports", page{Title: "Police and Crime Panel reports", Nav: "performance", Form: f, Data: view})
}

// downloadPanelReport sends a version's PDF ("12.pdf") or CSV ("12.csv").
func (s *Server) downloadPanelReport(c *gin.Context) {
	idText, kind, ok := strings.Cut(c.Param("file"), ".")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id <= 0 || (kind != "pdf" && kind != "csv") {
		s.notFound(c)
		return
	}
	u, _ := currentUser(c)
	d, err := s.opts.API.PanelReportFileOf(c.Request.Context(), u, id, kind)
	if err != nil {
		s.failRead(c, err)
		return
	}
	c.Header("Content-Disposition", d.ContentDisposition)
	c.Data(http.StatusOK, d.ContentType, d.Content)
}

// makePanelReport makes the latest quarter's report now and shows it in the list.
func (s *Server) makePanelReport(c *gin.Context) {
	u, _ := currentUser(c)
	res, err := s.opts.API.MakePanelReport(c.Request.Context(), u, s.opts.API.PanelPeriodNow())
	if err == nil {
		made := strconv.FormatInt(res.ID, 10)
		if !res.Made {
			made = "same"
		}
		c.Redirect(http.StatusSeeOther, "/performance/panel-reports?made="+made)
		return
	}
	he := httperr.From(err)
	switch {
	case he.Status == http.StatusForbidden:
		s.notAllowed(c, "You cannot make a Panel report")
	case he.Status >= 500:
		s.serverError(c, err)
	default:
		f := &form{}
		f.add("make-report", upperFirst(he.Message))
		s.showPanelReports(c, he.Status, f)
	}
}
