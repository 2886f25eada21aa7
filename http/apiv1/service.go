package apiv1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/grant"
	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// checkServiceDraft checks what a service draft may hold before it is complete.
func checkServiceDraft(p problems, d grant.ServiceDetails) {
	p.maxLen("service.service", d.Service, 200)
	p.maxLen("service.description", d.Description, 10000)
	if len(d.Years) > 10 {
		p.add("service.years", "lists too many years")
	}
	for i, y := range d.Years {
		if y.Amount < 0 {
			p.add(fmt.Sprintf("service.years[%d].amount_pence", i), "cannot be negative")
		}
	}
	if len(d.Wards) > 200 {
		p.add("service.wards", "lists too many wards")
	}
	p.eachMaxLen("service.wards", d.Wards, 200)
	if len(d.Outcomes) > 50 {
		p.add("service.outcomes", "lists too many outcomes")
	}
	for i, o := range d.Outcomes {
		f := fmt.Sprintf("service.outcomes[%d]", i)
		p.maxLen(f+".outcome", o.Outcome, 1000)
		if len(o.Indicators) > 50 {
			p.add(f+".indicators", "lists too many indicators")
		}
		for j, ind := range o.Indicators {
			g := fmt.Sprintf("%s.indicators[%d]", f, j)
			p.maxLen(g+".key", ind.Key, 100)
			p.maxLen(g+".name", ind.Name, 200)
			p.maxLen(g+".unit", ind.Unit, 50)
		}
	}
	p.maxLen("service.safeguarding.lead", d.Safeguarding.Lead, 200)
	p.maxLen("service.governance.latest_accounts_year", d.Governance.LatestAccountsYear, 20)
	if d.Safeguarding.PolicyReviewedOn != "" {
		p.date("service.safeguarding.policy_reviewed_on", d.Safeguarding.PolicyReviewedOn)
	}
	p.date("service.start_date", d.StartDate)
}

// londonDate is a calendar date (as parsed, midnight UTC) as midnight in London.
func londonDate(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, scheme.London)
}

// checkService checks a service application is complete enough to submit.
func checkService(p problems, rules scheme.Rules, d grant.ServiceDetails) {
	p.required("service.service", d.Service)
	p.required("service.description", d.Description)
	if err := workflows.ValidateYears(rules, d.Years, "service.years"); err != nil {
		var fe *workflows.FieldError
		if errors.As(err, &fe) {
			p.add(fe.Field, fe.Reason)
		}
	}
	// The proposed start date, if given, falls in the first year asked for: the years say when.
	if t := p.date("service.start_date", d.StartDate); t != nil && len(d.Years) > 0 && scheme.FinancialYear(londonDate(*t)) != d.Years[0].FinancialYear {
		p.add("service.start_date", fmt.Sprintf("must fall in %s, the first financial year asked for", scheme.FinancialYearLabel(d.Years[0].FinancialYear)))
	}
	if len(d.Outcomes) == 0 {
		p.add("service.outcomes", "name at least one outcome with a measurable indicator")
	}
	keys := map[string]bool{}
	for i, o := range d.Outcomes {
		f := fmt.Sprintf("service.outcomes[%d]", i)
		p.required(f+".outcome", o.Outcome)
		if len(o.Indicators) == 0 {
			p.add(f+".indicators", "give at least one indicator")
		}
		for j, ind := range o.Indicators {
			g := fmt.Sprintf("%s.indicators[%d]", f, j)
			p.required(g+".key", ind.Key)
			p.required(g+".name", ind.Name)
			if ind.QuarterlyTarget < 0 {
				p.add(g+".quarterly_target", "cannot be negative")
			}
			if keys[ind.Key] {
				p.add(g+".key", "is used by another indicator")
			}
			keys[ind.Key] = true
		}
	}
	p.required("service.safeguarding.lead", d.Safeguarding.Lead)
	p.required("service.safeguarding.policy_reviewed_on", d.Safeguarding.PolicyReviewedOn)
	if d.Governance.Trustees <= 0 {
		p.add("service.governance.trustees", "give the number of trustees or directors")
	}
}

// PanelRequest names a service application's assessment panel and its deadline.
type PanelRequest struct {
	AssessorIDs []int64 `json:"assessor_ids"`
	Deadline    string  `json:"deadline"`
}

// AssignPanel names the panel.
func (s *Server) AssignPanel(ctx context.Context, u store.User, id int64, r PanelRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		err := serviceOnly(kind)
		if err == nil { // before looking anyone up, so the answer says nothing about who exists
			err = requireRole(u, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning)
		}
		if err != nil {
			return "", nil, err
		}
		p := problems{}
		req := workflows.AssignPanelRequest{Actor: a}
		p.required("deadline", r.Deadline)
		if t := p.date("deadline", r.Deadline); t != nil {
			req.Deadline = endOfLondonDay(*t)
		}
		if len(r.AssessorIDs) == 0 || len(r.AssessorIDs) > 10 {
			p.add("assessor_ids", "name 1 to 10 assessors")
		}
		for i, id := range r.AssessorIDs {
			m, err := s.Store.User(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				p.add(fmt.Sprintf("assessor_ids[%d]", i), "is not a user")
				continue
			}
			if err != nil {
				return "", nil, err
			}
			req.Assessors = append(req.Assessors, workflows.PanelNominee{UserID: m.ID, Name: m.Name, Role: m.Role, Organisations: m.Organisations})
		}
		return workflows.UpdateAssignPanel, req, p.err()
	})
}

// ModerationRequest is the moderated recommendation: the agreement's start date, the award's years
// (the first pro-rated to the quarters left from the start), conditions and reasons.
type ModerationRequest struct {
	Recommendation      string             `json:"recommendation"`
	StartDate           string             `json:"start_date"`
	Years               []grant.YearAmount `json:"years"`
	Conditions          []string           `json:"conditions"`
	ConditionsPrecedent []string           `json:"conditions_precedent"`
	Reasons             string             `json:"reasons"`
}

// Moderate records the moderation.
func (s *Server) Moderate(ctx context.Context, u store.User, id int64, r ModerationRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		if err := serviceOnly(kind); err != nil {
			return "", nil, err
		}
		p := problems{}
		p.maxLen("reasons", r.Reasons, 10000)
		p.eachMaxLen("conditions", r.Conditions, 5000)
		p.eachMaxLen("conditions_precedent", r.ConditionsPrecedent, 5000)
		var start time.Time // missing: the workflow says it is needed to fund
		if d := p.date("start_date", r.StartDate); d != nil {
			start = londonDate(*d)
		}
		return workflows.UpdateModerate, workflows.ModerateRequest{Actor: a, Recommendation: r.Recommendation, StartDate: start, Years: r.Years,
			Conditions: r.Conditions, ConditionsPrecedent: r.ConditionsPrecedent, Reasons: r.Reasons}, p.err()
	})
}

// ConditionsRequest confirms the conditions precedent are met.
type ConditionsRequest struct {
	Note string `json:"note"`
}

// ConfirmConditions records that the conditions precedent are met.
func (s *Server) ConfirmConditions(ctx context.Context, u store.User, id int64, r ConditionsRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		if err := serviceOnly(kind); err != nil {
			return "", nil, err
		}
		p := problems{}
		p.maxLen("note", r.Note, 2000)
		return workflows.UpdateConfirmConditions, workflows.ConfirmConditionsRequest{Actor: a, Note: r.Note}, p.err()
	})
}

// ReturnRequest is a quarterly monitoring return.
type ReturnRequest struct {
	FinancialYear int                     `json:"financial_year"`
	Quarter       int                     `json:"quarter"`
	Content       workflows.ReturnContent `json:"content"`
}

// SubmitReturn sends a monitoring return.
func (s *Server) SubmitReturn(ctx context.Context, u store.User, id int64, r ReturnRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		if err := serviceOnly(kind); err != nil {
			return "", nil, err
		}
		p := problems{}
		checkQuarter(p, r.FinancialYear, r.Quarter)
		p.maxLen("content.narrative", r.Content.Narrative, 20000)
		if len(r.Content.Beneficiaries) > 500 {
			p.add("content.beneficiaries", "lists too many rows")
		}
		return workflows.UpdateSubmitReturn, workflows.SubmitReturnRequest{Actor: a, Quarter: workflows.Quarter{FY: r.FinancialYear, Q: r.Quarter}, Content: r.Content}, p.err()
	})
}

// ReturnReviewRequest is an officer's review of a return, with its RAG rating.
type ReturnReviewRequest struct {
	FinancialYear int    `json:"financial_year"`
	Quarter       int    `json:"quarter"`
	Outcome       string `json:"outcome"`
	RAG           string `json:"rag"`
	Comment       string `json:"comment"`
}

// ReviewReturn accepts a return or sends it back.
func (s *Server) ReviewReturn(ctx context.Context, u store.User, id int64, r ReturnReviewRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		if err := serviceOnly(kind); err != nil {
			return "", nil, err
		}
		p := problems{}
		checkQuarter(p, r.FinancialYear, r.Quarter)
		p.maxLen("comment", r.Comment, 10000)
		return workflows.UpdateReviewReturn, workflows.ReviewReturnRequest{Actor: a, Quarter: workflows.Quarter{FY: r.FinancialYear, Q: r.Quarter}, Outcome: r.Outcome,
			RAG: r.RAG, Comment: r.Comment}, p.err()
	})
}

func checkQuarter(p problems, fy, q int) {
	if fy < 2000 || fy > 2100 {
		p.add("financial_year", "must be the year a financial year starts, e.g. 2026 for 2026-27")
	}
	if q < 1 || q > 4 {
		p.add("quarter", "must be 1 to 4")
	}
}

// VariationRequest changes a service award's amounts per year and conditions.
type VariationRequest struct {
	Years      []grant.YearAmount `json:"years"`
	Conditions []string           `json:"conditions"`
	Summary    string             `json:"summary"`
}

// Vary varies the award under the delegation and budget rules.
func (s *Server) Vary(ctx context.Context, u store.User, id int64, r VariationRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		if err := serviceOnly(kind); err != nil {
			return "", nil, err
		}
		p := problems{}
		p.maxLen("summary", r.Summary, 5000)
		p.eachMaxLen("conditions", r.Conditions, 5000)
		return workflows.UpdateVary, workflows.VaryRequest{Actor: a, Years: r.Years, Conditions: r.Conditions, Summary: r.Summary}, p.err()
	})
}

// VariationAcceptanceRequest is the provider's acceptance of the varied grant agreement: the
// version they read, which must be the one now offered.
type VariationAcceptanceRequest struct {
	Version int `json:"version"`
}

// AcceptVariation accepts the varied grant agreement.
func (s *Server) AcceptVariation(ctx context.Context, u store.User, id int64, r VariationAcceptanceRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		if err := serviceOnly(kind); err != nil {
			return "", nil, err
		}
		return workflows.UpdateAcceptVariation, workflows.AcceptVariationRequest{Actor: a, Version: r.Version}, nil
	})
}

// TerminationRequest ends a service award early.
type TerminationRequest struct {
	Reason string `json:"reason"`
}

// Terminate ends the award early.
func (s *Server) Terminate(ctx context.Context, u store.User, id int64, r TerminationRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		if err := serviceOnly(kind); err != nil {
			return "", nil, err
		}
		p := problems{}
		p.maxLen("reason", r.Reason, 5000)
		return workflows.UpdateTerminate, workflows.TerminateRequest{Actor: a, Reason: r.Reason}, p.err()
	})
}

// AwardFinance is an award's money: per year awarded, released, paid, held and remaining.
type AwardFinance struct {
	Reference string          `json:"reference"`
	StartDate string          `json:"start_date,omitempty"` // the agreement's first day (YYYY-MM-DD); absent for awards from before start dates
	EndDate   string          `json:"end_date,omitempty"`   // its last day, the end of the last funded quarter
	Years     []YearFinance   `json:"years"`
	Tranches  []store.Tranche `json:"tranches"`
	Total     YearFinance     `json:"total"`
	Recovery  *RecoveryView   `json:"recovery,omitempty"` // an underspend owed back after the final report
}

type YearFinance struct {
	FinancialYear int         `json:"financial_year,omitempty"`
	Label         string      `json:"label"`
	Awarded       money.Pence `json:"awarded_pence"`
	Released      money.Pence `json:"released_pence"` // payment notice sent, not yet paid
	Paid          money.Pence `json:"paid_pence"`
	Held          money.Pence `json:"held_pence"`
	Remaining     money.Pence `json:"remaining_pence"` // scheduled, not yet due or held
}

func (y *YearFinance) add(t store.Tranche) {
	switch t.Status {
	case workflows.TranchePaid:
		y.Paid += t.Amount
	case workflows.TrancheReleased:
		y.Released += t.Amount
	case workflows.TrancheHeld:
		y.Held += t.Amount
		y.Remaining += t.Amount
	case workflows.TrancheScheduled:
		y.Remaining += t.Amount
	}
}

// applicationFinance shows an award's paid, held and remaining amounts.
func (s *Server) applicationFinance(c *gin.Context) {
	app, u, err := s.loadVisible(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Finance(c.Request.Context(), u, app.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// Finance is a service award's money per financial year and in total (GET
// /applications/{id}/finance).
func (s *Server) Finance(ctx context.Context, u store.User, id int64) (AwardFinance, error) {
	app, err := s.visible(ctx, u, id)
	if err != nil {
		return AwardFinance{}, err
	}
	if len(app.ServiceJSON) == 0 {
		return AwardFinance{}, httperr.Conflict("wrong_scheme", "tranches and yearly figures are for service (multi-year) awards; a one-off grant's payment is on the application")
	}
	award, err := s.Store.AwardForApplication(ctx, app.ID)
	if errors.Is(err, store.ErrNotFound) {
		return AwardFinance{}, httperr.NotFound("award")
	}
	if err != nil {
		return AwardFinance{}, err
	}
	years, err := s.Store.AwardYears(ctx, award.ID)
	if err != nil {
		return AwardFinance{}, err
	}
	tranches, err := s.Store.Tranches(ctx, award.ID)
	if err != nil {
		return AwardFinance{}, err
	}
	out := FinanceOf(award, years, tranches)
	out.Recovery, err = s.recoveryOf(ctx, app.ID, award.ID)
	return out, err
}

// schemeYears shows, per financial year, a scheme's budget, what is committed and what is paid, held and released.
func (s *Server) schemeYears(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		id = 0 // not found below, after the role check
	}
	rows, err := s.SchemeYears(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"years": rows})
}

// SchemeYears is a scheme's budget, commitments and payments per financial year, for staff.
func (s *Server) SchemeYears(ctx context.Context, u store.User, id int64) ([]store.SchemeYear, error) {
	if !u.Role.IsStaff() {
		return nil, httperr.Forbidden("scheme finances are for staff")
	}
	if _, err := s.Store.Scheme(ctx, id); errors.Is(err, store.ErrNotFound) {
		return nil, httperr.NotFound("scheme")
	} else if err != nil {
		return nil, err
	}
	return s.Store.SchemeYears(ctx, id)
}

// indicatorTrend is one indicator's target and actuals, quarter by quarter.
type indicatorTrend struct {
	Key      string         `json:"key"`
	Name     string         `json:"name"`
	Unit     string         `json:"unit"`
	Target   int64          `json:"quarterly_target"`
	Quarters []quarterPoint `json:"quarters"`
}

type quarterPoint struct {
	Quarter string `json:"quarter"`
	Actual  int64  `json:"actual"`
	Target  int64  `json:"target"`
	Status  string `json:"status"` // the return's review outcome, or "submitted"
}

// indicators reads each indicator's actuals against targets from the latest return of each quarter.
func (s *Server) indicators(c *gin.Context) {
	app, _, err := s.loadVisible(c)
	if err == nil && len(app.ServiceJSON) == 0 {
		err = httperr.Conflict("wrong_scheme", "indicators are reported by service (multi-year) awards")
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	svc, err := app.Service()
	if err != nil {
		s.fail(c, err)
		return
	}
	returns, err := s.Store.Returns(c.Request.Context(), app.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	latest := store.LatestOfEachQuarter(returns) // in order of quarter
	var trends []indicatorTrend
	for _, o := range svc.Outcomes {
		for _, ind := range o.Indicators {
			tr := indicatorTrend{Key: ind.Key, Name: ind.Name, Unit: ind.Unit, Target: ind.QuarterlyTarget, Quarters: []quarterPoint{}}
			for _, r := range latest {
				q := workflows.Quarter{FY: r.FinancialYear, Q: r.Quarter}
				var content workflows.ReturnContent
				if err := jsonUnmarshal(r.Content, &content); err != nil {
					s.fail(c, err)
					return
				}
				pt := quarterPoint{Quarter: q.Label(), Target: ind.QuarterlyTarget, Status: "submitted"}
				if r.ReviewOutcome != nil {
					pt.Status = *r.ReviewOutcome
				}
				for _, a := range content.Indicators {
					if a.Key == ind.Key {
						pt.Actual = a.Actual
					}
				}
				tr.Quarters = append(tr.Quarters, pt)
			}
			trends = append(trends, tr)
		}
	}
	c.JSON(http.StatusOK, gin.H{"indicators": trends})
}

func endOfLondonDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, scheme.London)
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }
