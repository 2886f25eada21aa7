package web

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/scheme"
)

// The public decisions pages: the list of published decision records and each record, with its PDF.
// No sign-in. Read through apiv1 (PublicDecisions, PublicDecision, DecisionPDF), as the API reads.

// decisionRow is one listed decision, with its date written for people.
type decisionRow struct {
	apiv1.DecisionSummary
	When string // 24 February 2026
}

type decisionsPage struct {
	Rows     []decisionRow
	Years    []findOption
	Year     string // the chosen financial year's label, "" for every year
	Filtered bool
}

type decisionPage struct {
	apiv1.DecisionDetail
	When string
}

func decisionWhen(date string) string {
	t, err := time.ParseInLocation(time.DateOnly, date, scheme.London)
	if err != nil {
		return date
	}
	return t.Format("2 January 2006")
}

// decisions lists the published decision records, newest first, optionally of one financial year.
func (s *Server) decisions(c *gin.Context) {
	ctx := c.Request.Context()
	f := &form{values: c.Request.URL.Query()}
	fy, fyErr := apiv1.ParseFinancialYear(f.Raw("financial_year"))
	all, err := s.opts.API.PublicDecisions(ctx, 0)
	if err != nil {
		s.serverError(c, err)
		return
	}
	data := decisionsPage{Years: []findOption{{Label: "Every year"}}}
	years := map[int]bool{}
	for _, d := range all {
		if t, err := time.ParseInLocation(time.DateOnly, d.Date, scheme.London); err == nil {
			years[scheme.FinancialYear(t)] = true
		}
	}
	for _, y := range slices.Backward(slices.Sorted(maps.Keys(years))) {
		data.Years = append(data.Years, findChoice(strconv.Itoa(y), scheme.FinancialYearLabel(y), strconv.Itoa(fy)))
	}
	if fyErr != nil {
		f.add("financial_year", "Choose a financial year from the list, such as 2026-27, or every year")
		s.render(c, http.StatusUnprocessableEntity, "decisions", page{Title: "Decisions", Nav: "decisions", Form: f, Data: data})
		return
	}
	list := all
	if fy != 0 {
		if list, err = s.opts.API.PublicDecisions(ctx, fy); err != nil {
			s.serverError(c, err)
			return
		}
		data.Year, data.Filtered = scheme.FinancialYearLabel(fy), true
	}
	for _, d := range list {
		data.Rows = append(data.Rows, decisionRow{DecisionSummary: d, When: decisionWhen(d.Date)})
	}
	s.render(c, http.StatusOK, "decisions", page{Title: "Decisions", Nav: "decisions", Form: f, Data: data})
}

// decision shows one published record, or (PCC-2026-017.pdf) sends its PDF.
func (s *Server) decision(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("number")
	if pdfID, ok := strings.CutSuffix(id, ".pdf"); ok {
		pdf, filename, err := s.opts.API.DecisionPDF(ctx, pdfID)
		if s.decisionMissing(c, err) {
			return
		}
		apiv1.ServePDF(c, filename, pdf)
		return
	}
	d, _, err := s.opts.API.PublicDecision(ctx, id)
	if s.decisionMissing(c, err) {
		return
	}
	s.render(c, http.StatusOK, "decision", page{Title: "Decision record " + d.Number, Nav: "decisions",
		Data: decisionPage{DecisionDetail: d, When: decisionWhen(d.Date)}})
}

// decisionMissing answers a failed read: the not-found page for a record that is not published,
// the sorry page otherwise. It says whether it answered.
func (s *Server) decisionMissing(c *gin.Context, err error) bool {
	if err == nil {
		return false
	}
	var he *httperr.Error
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		s.render(c, http.StatusNotFound, "error", page{Title: "Page not found", Data: errorPage{
			Heading: "Page not found",
			Lines:   []string{"There is no published decision record at this address. If you typed it, check it is correct."},
			Link:    "See every published decision", LinkTo: "/decisions",
		}})
		return true
	}
	s.serverError(c, err)
	return true
}
