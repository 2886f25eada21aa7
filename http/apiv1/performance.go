package apiv1

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/reporting"
	"grantflow/store"
)

// The performance figures (package reporting) for a financial year to a quarter's end, for the
// staff who work with grants (scheme.Role.SeesPerformance).

// ParsePeriod reads a period from the query's financial_year ("2026" for 2026-27) and quarter
// ("1" to "4"); either left empty is the current quarter's, in London. bad names each field at
// fault with the reason, as the API's 422 and the page's error summary say it.
func ParsePeriod(financialYear, quarter string, now time.Time) (p reporting.Period, bad map[string]string) {
	p = reporting.CurrentPeriod(now)
	bad = map[string]string{}
	read := func(field, v string, into *int) {
		if v = strings.TrimSpace(v); v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			bad[field] = "must be a whole number"
			return
		}
		*into = n
	}
	read("financial_year", financialYear, &p.FinancialYear)
	read("quarter", quarter, &p.Quarter)
	for field, reason := range p.Validate() {
		if bad[field] == "" {
			bad[field] = reason
		}
	}
	if len(bad) == 0 {
		return p, nil
	}
	return p, bad
}

// Performance computes the figures of a period for a person who may see them.
func (s *Server) Performance(ctx context.Context, u store.User, p reporting.Period) (reporting.Figures, error) {
	if !u.Role.SeesPerformance() {
		return reporting.Figures{}, httperr.Forbidden("the performance figures are for the staff who work with grants")
	}
	if bad := p.Validate(); bad != nil {
		return reporting.Figures{}, httperr.Fields(bad)
	}
	return reporting.ComputeAt(ctx, s.Store, p, s.now())
}

// performance (GET /api/v1/performance?financial_year=2026&quarter=3) answers the figures as JSON.
func (s *Server) performance(c *gin.Context) {
	u := currentUser(c)
	if !u.Role.SeesPerformance() {
		s.fail(c, httperr.Forbidden("the performance figures are for the staff who work with grants"))
		return
	}
	p, bad := ParsePeriod(c.Query("financial_year"), c.Query("quarter"), s.now())
	if bad != nil {
		s.fail(c, httperr.Fields(bad))
		return
	}
	f, err := s.Performance(c.Request.Context(), u, p)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, f)
}
