package apiv1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// ApplicationSummary is one row of a list.
type ApplicationSummary struct {
	ID              int64       `json:"id"`
	Organisation    string      `json:"organisation"`
	OrganisationID  int64       `json:"organisation_id"`
	Scheme          string      `json:"scheme"`
	SchemeID        int64       `json:"scheme_id"`
	RoundID         int64       `json:"round_id"`
	Title           string      `json:"title"`
	AmountRequested money.Pence `json:"amount_requested_pence"`
	Amount          string      `json:"amount_requested"`
	Status          string      `json:"status"`
	ReportOverdue   bool        `json:"report_overdue"`
	SubmittedAt     *time.Time  `json:"submitted_at,omitempty"`
	UpdatedAt       time.Time   `json:"updated_at"`
	// CaseOfficer is the officer who looks after the application; absent until one is assigned.
	CaseOfficer *CaseOfficerView `json:"case_officer,omitempty"`
}

func summarise(a store.Application) ApplicationSummary {
	return ApplicationSummary{ID: a.ID, Organisation: a.Organisation, OrganisationID: a.OrganisationID, Scheme: a.Scheme, SchemeID: a.SchemeID, RoundID: a.RoundID,
		Title: a.Title, AmountRequested: a.AmountRequested, Amount: a.AmountRequested.String(), Status: a.Status,
		ReportOverdue: a.ReportOverdue, SubmittedAt: a.SubmittedAt, UpdatedAt: a.UpdatedAt, CaseOfficer: caseOfficerOf(a)}
}

// ApplicationDetail is everything one person may see of an application.
type ApplicationDetail struct {
	ApplicationSummary
	Purpose             string                     `json:"purpose"`
	ProjectStart        string                     `json:"project_start,omitempty"`
	ProjectEnd          string                     `json:"project_end,omitempty"`
	Areas               []string                   `json:"areas"`
	Wards               []string                   `json:"wards"` // as the scheme lists them: the ward question's answer, or a service's wards
	Priorities          []string                   `json:"priorities"`
	Answers             questions.Answers          `json:"answers"` // beyond the fields above, by question id (package questions)
	WeightedScore       *float64                   `json:"weighted_score,omitempty"`
	Actions             []workflows.Action         `json:"actions"`
	Timeline            []store.Event              `json:"timeline"`
	Documents           []store.Document           `json:"documents"`
	Award               *store.Award               `json:"award,omitempty"`
	Payments            []store.Payment            `json:"payments,omitempty"`
	Bank                *BankView                  `json:"bank_details,omitempty"` // masked for everyone; finance's notice has the full numbers
	Assessments         []store.Assessment         `json:"assessments,omitempty"`
	InformationRequests []store.InformationRequest `json:"information_requests"`
	Reports             []store.GrantReport        `json:"reports"`
	Notifications       []store.Notification       `json:"notifications,omitempty"`

	// Service (multi-year) applications.
	Service         *grant.ServiceDetails    `json:"service,omitempty"`
	Panel           []store.PanelMember      `json:"panel,omitempty"`
	Recommendation  *store.Recommendation    `json:"recommendation,omitempty"`
	DecisionRecords []store.DecisionRecord   `json:"decision_records,omitempty"`
	AwardYears      []grant.YearAmount       `json:"award_years,omitempty"`
	Tranches        []store.Tranche          `json:"tranches,omitempty"`
	Returns         []store.MonitoringReturn `json:"returns,omitempty"`
	ReturnSchedule  []ReturnDue              `json:"return_schedule,omitempty"` // every quarter's return of the award, with its status
	Variations      []store.Variation        `json:"variations,omitempty"`
	ReturnWaivers   []store.ReturnWaiver     `json:"return_waivers,omitempty"` // returns the head of commissioning waived at closure
	Recovery        *RecoveryView            `json:"recovery,omitempty"`       // an underspend owed back after the final report

	// Refusals says why a step of the application's stage is not this person's, in the rule book's
	// words (workflows.Refusals), so the pages can say who may take it. Not sent as JSON.
	Refusals map[workflows.Action]string `json:"-"`
	// MayAssignCaseOfficer: the person may assign (or reassign) the case officer. Not sent as JSON.
	MayAssignCaseOfficer bool `json:"-"`
	// WorkflowID is the application's workflow, once submitted ("" before), for staff's link to it
	// in the Temporal Web UI. Not sent as JSON.
	WorkflowID string `json:"-"`
}

func (s *Server) respondApplication(c *gin.Context, status int, id int64) {
	d, err := s.Application(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(status, d)
}

// Application is everything the person may see of an application (GET /applications/{id}):
// another organisation's is not found.
func (s *Server) Application(ctx context.Context, u store.User, id int64) (ApplicationDetail, error) {
	app, err := s.visible(ctx, u, id)
	if err != nil {
		return ApplicationDetail{}, err
	}
	return s.detail(ctx, u, app)
}

// detail builds the view of an application known to be visible to u.
func (s *Server) detail(ctx context.Context, u store.User, app store.Application) (ApplicationDetail, error) {
	id := app.ID
	var err error
	d := ApplicationDetail{ApplicationSummary: summarise(app), Purpose: app.Purpose, Areas: app.Areas, Wards: nonNilStrings(app.Wards), Priorities: app.Priorities,
		WorkflowID: app.WorkflowID.String}
	if app.ProjectStart.Valid {
		d.ProjectStart = app.ProjectStart.Time.Format(time.DateOnly)
	}
	if app.ProjectEnd.Valid {
		d.ProjectEnd = app.ProjectEnd.Time.Format(time.DateOnly)
	}
	if d.Answers, err = savedAnswers(app); err != nil {
		return d, err
	}
	if d.Timeline, err = s.Store.Timeline(ctx, id); err != nil {
		return d, err
	}
	docs, err := s.Store.Documents(ctx, id)
	if err != nil {
		return d, err
	}
	conflicts, err := s.Store.Conflicts(ctx, id)
	if err != nil {
		return d, err
	}
	conflicted := isConflicted(conflicts, u.ID)
	panel, err := s.Store.Panel(ctx, id)
	if err != nil {
		return d, err
	}
	assessments, err := s.Store.Assessments(ctx, id)
	if err != nil {
		return d, err
	}
	// Scores are for staff without a conflict; applicants and conflicted people never see them,
	// and a panel member sees the others' only once they have scored themselves.
	panelWork := mayReadPanelWork(u, app, conflicted, panel, assessments)
	d.Documents = withoutPanelWork(visibleDocuments(u, docs), !panelWork)
	d.Timeline = redactTimeline(d.Timeline, panelWork)
	if panelWork {
		d.WeightedScore, d.Assessments = app.WeightedScore, assessments
	}
	if u.Role.IsStaff() && !conflicted && !u.MemberOf(app.OrganisationID) {
		if d.Notifications, err = s.Store.Notifications(ctx, id); err != nil {
			return d, err
		}
	}
	award, err := s.Store.AwardForApplication(ctx, id)
	switch {
	case err == nil:
		d.Award = &award
		if d.Payments, err = s.Store.Payments(ctx, award.ID); err != nil {
			return d, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return d, err
	}
	if d.Bank, err = s.bankView(ctx, id); err != nil {
		return d, err
	}
	if err := s.serviceDetail(ctx, u, app, &d, panel, conflicted); err != nil {
		return d, err
	}
	if d.InformationRequests, err = s.Store.InformationRequests(ctx, id); err != nil {
		return d, err
	}
	if d.Reports, err = s.Store.GrantReports(ctx, id); err != nil {
		return d, err
	}
	if d.Actions, d.Refusals, err = s.actionsFor(ctx, u, app, d, conflicts, assessments, panel); err != nil {
		return d, err
	}
	c, err := s.caseOf(ctx, app, d)
	if err != nil {
		return d, err
	}
	d.MayAssignCaseOfficer = mayAssignCaseOfficer(u, app, c, conflicts)
	return d, nil
}

// serviceDetail adds what service applications carry.
func (s *Server) serviceDetail(ctx context.Context, u store.User, app store.Application, d *ApplicationDetail, panel []store.PanelMember, conflicted bool) error {
	if len(app.ServiceJSON) == 0 {
		return nil
	}
	svc, err := app.Service()
	if err != nil {
		return err
	}
	d.Service = &svc
	if u.Role.IsStaff() && !conflicted && !u.MemberOf(app.OrganisationID) { // the panel's work is not for the conflicted
		d.Panel = panel
		if r, err := s.Store.RecommendationFor(ctx, app.ID); err == nil {
			d.Recommendation = &r
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if d.DecisionRecords, err = s.Store.DecisionRecords(ctx, app.ID); err != nil {
		return err
	}
	if d.Returns, err = s.Store.Returns(ctx, app.ID); err != nil {
		return err
	}
	if d.Variations, err = s.Store.Variations(ctx, app.ID); err != nil {
		return err
	}
	if d.Award != nil {
		if d.AwardYears, err = s.Store.AwardYears(ctx, d.Award.ID); err != nil {
			return err
		}
		if d.Tranches, err = s.Store.Tranches(ctx, d.Award.ID); err != nil {
			return err
		}
		if d.ReturnWaivers, err = s.Store.ReturnWaivers(ctx, app.ID); err != nil {
			return err
		}
		if d.ReturnSchedule, err = s.returnSchedule(ctx, app, *d.Award, d.AwardYears, d.Returns, d.ReturnWaivers); err != nil {
			return err
		}
		if d.Recovery, err = s.recoveryOf(ctx, app.ID, d.Award.ID); err != nil {
			return err
		}
	}
	return nil
}

// onPanelNotScored is true for a panel member who has not yet submitted their own scores.
func onPanelNotScored(panel []store.PanelMember, assessments []store.Assessment, userID int64) bool {
	for _, p := range panel {
		if p.AssessorID == userID && p.RemovedAt == nil {
			for _, a := range assessments {
				if a.AssessorID == userID {
					return false
				}
			}
			return true
		}
	}
	return false
}

// actionsFor lists what this person may do next, and why not the other steps of the stage, from
// the workflows' rule book (the validators read the same table), so clients need not know the
// workflow's rules.
func (s *Server) actionsFor(ctx context.Context, u store.User, app store.Application, d ApplicationDetail, conflicts []store.Conflict,
	assessments []store.Assessment, panel []store.PanelMember) ([]workflows.Action, map[workflows.Action]string, error) {
	c, err := s.caseOf(ctx, app, d)
	if err != nil {
		return nil, nil, err
	}
	p := partyOf(u, app, conflicts, assessments, panel, d.Recommendation)
	return workflows.Actions(c, p), workflows.Refusals(c, p), nil
}

// caseOf is the application as the rule book sees it: its kind, stage, the rules it was submitted
// under, and the whole-life total a banded step answers for (see workflows.Case).
func (s *Server) caseOf(ctx context.Context, app store.Application, d ApplicationDetail) (workflows.Case, error) {
	c := workflows.Case{Kind: scheme.Grassroots, Stage: workflows.Stage(app.Status)}
	if len(app.ServiceJSON) == 0 {
		return c, nil
	}
	c.Kind = scheme.Service
	switch {
	case c.Stage == workflows.StageDecision && d.Recommendation != nil:
		var years []grant.YearAmount
		if len(d.Recommendation.Years) > 0 {
			if err := json.Unmarshal(d.Recommendation.Years, &years); err != nil {
				return c, fmt.Errorf("recommendation of application %d: %w", app.ID, err)
			}
		}
		c.Stakes = grant.WholeLife(years) // nothing when the panel did not recommend funding
	case c.Stage == workflows.StageRecovery && d.Recovery != nil: // a write-off answers for what is still owed
		c.Stakes = d.Recovery.Outstanding
	case c.Stage != workflows.StageDecision && d.Award != nil:
		c.Stakes = grant.WholeLife(d.AwardYears)
	}
	if c.Stakes == 0 {
		return c, nil
	}
	rules, err := s.rulesOf(ctx, app)
	c.Rules = rules
	return c, err
}

// rulesOf is the rules the application was submitted under (its scheme's rules now, for one
// submitted before they were kept).
func (s *Server) rulesOf(ctx context.Context, app store.Application) (scheme.Rules, error) {
	rules, kept, err := app.SubmittedRules()
	if err != nil {
		return rules, fmt.Errorf("rules of application %d: %w", app.ID, err)
	}
	if !kept {
		sc, err := s.Store.Scheme(ctx, app.SchemeID)
		if err != nil {
			return rules, fmt.Errorf("scheme of application %d: %w", app.ID, err)
		}
		rules = sc.Rules
	}
	return rules, nil
}

// ReturnDue is one quarter's monitoring return as the award's timetable has it.
type ReturnDue struct {
	FinancialYear int       `json:"financial_year"`
	Quarter       int       `json:"quarter"`
	Label         string    `json:"label"`
	Due           time.Time `json:"due"`
	// Status is awaiting, submitted (awaiting review), changes_requested, accepted, or not_required
	// (a quarter that had not begun when the award ended early).
	Status string `json:"status"`
}

// returnSchedule lists every quarter's return of the award with its status.
func (s *Server) returnSchedule(ctx context.Context, app store.Application, award store.Award, years []grant.YearAmount, returns []store.MonitoringReturn,
	waivers []store.ReturnWaiver) ([]ReturnDue, error) {
	rules, err := s.rulesOf(ctx, app)
	if err != nil {
		return nil, err
	}
	sent := map[workflows.Quarter]string{}
	for _, r := range store.LatestOfEachQuarter(returns) {
		outcome := ""
		if r.ReviewOutcome != nil {
			outcome = *r.ReviewOutcome
		}
		sent[workflows.Quarter{FY: r.FinancialYear, Q: r.Quarter}] = outcome
	}
	for _, w := range waivers {
		sent[workflows.Quarter{FY: w.FinancialYear, Q: w.Quarter}] = workflows.ReturnWaived
	}
	var ended time.Time
	if award.TerminatedAt != nil {
		ended = *award.TerminatedAt
	}
	out := []ReturnDue{}
	for _, r := range workflows.ReturnTimetable(rules, years, workflows.StoredStart(years, derefTime(award.StartDate)), sent, ended) {
		out = append(out, ReturnDue{FinancialYear: r.Quarter.FY, Quarter: r.Quarter.Q, Label: r.Quarter.Label(), Due: r.Due, Status: r.Status})
	}
	return out, nil
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// partyOf is what the rule book needs to know of the person, from the read model: the same facts the
// workflow keeps (membership, declared conflicts, assessments in any round, panel seats, moderation).
// The recommendation is nil for those who may not see it; they are never offered a banded decision.
func partyOf(u store.User, app store.Application, conflicts []store.Conflict, assessments []store.Assessment, panel []store.PanelMember, rec *store.Recommendation) workflows.Party {
	p := workflows.Party{Role: u.Role, Member: u.MemberOf(app.OrganisationID), Conflicted: isConflicted(conflicts, u.ID),
		Moderated: rec != nil && rec.RecommendedBy == u.ID}
	for _, a := range assessments {
		p.Assessed = p.Assessed || a.AssessorID == u.ID
	}
	for _, m := range panel {
		if m.AssessorID == u.ID {
			p.Panel = true
			p.Seated = p.Seated || m.RemovedAt == nil
		}
	}
	p.Scored = p.Panel && p.Assessed
	return p
}

// MemberActions are what a member of the applicant organisation may do next at the application's
// stage: the next step on their list of applications.
func MemberActions(app store.Application) []workflows.Action {
	kind := scheme.Grassroots
	if len(app.ServiceJSON) > 0 {
		kind = scheme.Service
	}
	return workflows.Actions(workflows.Case{Kind: kind, Stage: workflows.Stage(app.Status)}, workflows.Party{Role: scheme.RoleApplicant, Member: true})
}

func isConflicted(conflicts []store.Conflict, userID int64) bool {
	for _, cf := range conflicts {
		if cf.UserID == userID && cf.HasConflict {
			return true
		}
	}
	return false
}

// mayReadPanelWork says whether the person may see assessors' scores, recommendations and
// declarations: staff with no conflict who are not members of the applicant, and who, if they sit
// on the panel, have scored themselves.
func mayReadPanelWork(u store.User, app store.Application, conflicted bool, panel []store.PanelMember, assessments []store.Assessment) bool {
	return u.Role.IsStaff() && !conflicted && !u.MemberOf(app.OrganisationID) && !onPanelNotScored(panel, assessments, u.ID)
}

// panelEvents are the audit lines that carry scores, recommendations, declarations or who sits on
// the panel.
var panelEvents = []string{"Assessment submitted", "Panel assessment submitted", "Declared", "Panel moderated", "Panel assigned"}

// redactTimeline keeps every line of the story but, for those who may not see the panel's work,
// drops what the panel's lines say of people: their reasons (scores, recommendations, declared
// interests), who acted and in what role, and the names of panel members.
func redactTimeline(events []store.Event, panelWork bool) []store.Event {
	if panelWork {
		return events
	}
	for i, e := range events {
		panelLine := strings.HasSuffix(e.What, " removed from the panel")
		for _, prefix := range panelEvents {
			panelLine = panelLine || strings.HasPrefix(e.What, prefix)
		}
		if !panelLine {
			continue
		}
		events[i].Why, events[i].ActorName, events[i].ActorRole, events[i].ActorUserID = "", "", "", nil
		switch {
		case strings.HasPrefix(e.What, "Panel assigned"):
			events[i].What = "Panel assigned"
		case strings.HasSuffix(e.What, " removed from the panel"):
			events[i].What = "A panel member stood down"
		}
	}
	return events
}

// withoutPanelWork drops the decision pack (every assessor's scores) for those who may not see it.
func withoutPanelWork(docs []store.Document, hide bool) []store.Document {
	if !hide {
		return docs
	}
	out := []store.Document{}
	for _, d := range docs {
		if d.Kind != "decision_pack" {
			out = append(out, d)
		}
	}
	return out
}

// nonNilStrings is a list as JSON shows it: [] rather than null when empty.
func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
