package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/grant"
	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// The staff section of the application page (_staff.html) and the steps its forms send. The page
// shows only what the API's view of the application holds for this person (it is already
// redacted for the conflicted), and offers a form for each step the API's action hints name. Every
// form goes through the API's own method for its step, so the workflow's validators decide who may
// act, when and with what values; the page only reads what was typed into the request and puts
// each refusal back on the field it names.

// staffView is what staffPanel makes of an application for _staff.html.
type staffView struct {
	Service bool
	// WorkflowLink is the application's workflow in the Temporal Web UI; "" when not configured
	// or not submitted yet.
	WorkflowLink string
	Can          map[string]bool // the API's action hints: which forms to show
	// Refused says why a step of this stage is not this person's (the rule book's words), for
	// steps whose forms others see: "only the head of commissioning may waive …".
	Refused map[string]string
	// BeyondBand is true for a decider shown a service award awaiting a decision that their
	// delegated authority does not cover: they see the bands and who must decide, not the forms.
	BeyondBand bool

	CaseOfficer caseOfficerView

	WeightedScore  string
	Assessments    []assessmentView
	Declarations   []declarationView
	Panel          []panelSeatView
	Recommendation *recommendationView

	// What the forms need.
	Criteria            []criterionView
	ScoreOptions        []option
	Recommendations     []option
	YesNo               []option
	NoConflict          []option
	Assessors           []option
	PanelSize           int
	ModerationYears     []yearField
	ProposedStart       string    // the applicant's proposed start, as the moderation form shows it
	ModerationStart     time.Time // the start date the moderation form starts at
	ModerationStartHint string
	ModerationSplit     []string // how that start splits the amounts asked for
	Band                *bandView
	Budget              []budgetLine
	AmountDefault       string // the approval form starts at the amount requested
	PurposeDefault      string
	ConditionsPrecedent []string
	Returns             []pendingReturn
	ReturnChoices       []option
	ReviewOutcomes      []option
	RAGs                []option
	Report              *pendingReport
	VaryYears           []yearField
	VaryConditions      string
	VaryTotal           string
	// Closure: the returns still missing at the final review (those that may be waived offered as
	// choices), and what is still owed during recovery.
	MissingReturns    []returnDueView
	WaiveChoices      []option
	Outstanding       string
	RecoveryReference string
	RepaymentDefault  string
}

type assessmentView struct {
	Assessor, Submitted, Weighted, Fundable, Recommendation, Comment string
	BelowMinimum                                                     bool
	Scores                                                           []scoreLine
}

type scoreLine struct {
	Criterion, Weight, Score, Comment string
}

type declarationView struct {
	Who, When, What, Details string
}

type panelSeatView struct {
	Name, Deadline, Status, TagClass string
}

type recommendationView struct {
	Fund                            bool
	Start                           string // the day the agreement starts, as moderated; empty before start dates
	Years                           []summaryRow
	Total                           string
	Conditions, ConditionsPrecedent []string
	Reasons                         string
}

type criterionView struct {
	Name, Hint string
	Answers    []questions.Row // the answers the scheme asks assessors to read for it
}

// yearField is the amount for one financial year: the field's name, its label and the amount it
// starts at.
type yearField struct {
	Name, Label, Default string
}

// bandView says who may approve what under the scheme's delegation, and where this award falls.
type bandView struct {
	Bands   []summaryRow
	Needs   string
	Limit   string
	Warning string // this person cannot approve it
}

type budgetLine struct {
	Year, Budget, Committed, Left, ThisAward string
	Short                                    bool // less left than this award needs
}

type pendingReturn struct {
	Quarter, Sent                                  string
	Version                                        int
	Indicators                                     []summaryRow
	Spend, Beneficiaries, Under25, Incidents, Text string
	Reached                                        *reachedView // by place (ward where the scheme lists wards) and age band
}

type pendingReport struct {
	Version     int
	Sent, Spent string
}

// Form fields. Each staff form names its fields with its own prefix, so two forms on one page never
// share a field, an id or an error, nor with the applicant's forms (_applicant.html: "return.quarter"
// is the id "return-quarter", so the review of a return is "return-review-…"); the hidden staffForm
// field says which form was sent.
const (
	staffForm = "staff-form"

	fConflict        = "conflict"
	fConflictDetails = "conflict-details"

	fNoConflict     = "assess-no-conflict"
	fRecommendation = "assess-recommendation"
	fAssessComment  = "assess-comment"

	fPanelAssessors = "panel-assessors"
	fPanelDeadline  = "panel-deadline"

	fModRecommendation = "moderation-recommendation"
	fModYear           = "moderation-amount-" // + the financial year
	fModStart          = "moderation-start-date"
	fModConditions     = "moderation-conditions"
	fModPrecedent      = "moderation-conditions-precedent"
	fModReasons        = "moderation-reasons"

	fOutcome        = "decision-outcome"
	fAmount         = "decision-amount"
	fPurpose        = "decision-purpose"
	fConditions     = "decision-conditions"
	fReasons        = "decision-reasons"
	fQuestion       = "decision-question"
	fDeadline       = "decision-deadline"
	fDeclineReasons = "decision-decline-reasons"

	fConditionsNote = "conditions-note"

	fReturnQuarter = "return-review-quarter"
	fReturnOutcome = "return-review-outcome"
	fReturnRAG     = "return-review-rag"
	fReturnComment = "return-review-comment"

	fReportOutcome = "report-review-outcome"
	fReportComment = "report-review-comment"

	fVaryYear       = "vary-amount-" // + the financial year
	fVaryConditions = "vary-conditions"
	fVarySummary    = "vary-summary"

	fTerminationReason = "termination-reason"

	fWaiverQuarters = "waiver-quarters"
	fWaiverReason   = "waiver-reason"

	fRepaymentAmount    = "repayment-amount"
	fRepaymentReceived  = "repayment-received-on"
	fRepaymentReference = "repayment-reference"

	fWriteOffReason = "write-off-reason"
)

// decisionNoConflict names, for each outcome, its form's declaration of no conflict of interest.
var decisionNoConflict = map[string]string{
	workflows.OutcomeApprove:            "approve-no-conflict",
	workflows.OutcomeRequestInformation: "information-no-conflict",
	workflows.OutcomeDecline:            "decline-no-conflict",
}

func scoreField(i int) string        { return fmt.Sprintf("assess-score-%d", i) }
func scoreCommentField(i int) string { return fmt.Sprintf("assess-comment-%d", i) }

// Or is the field starting at value when its form has not just been sent, so a form opens with
// the answers it proposes but a sent form shows exactly what was typed.
func (v fieldView) Or(sent bool, value string) fieldView {
	if !sent {
		v.Value = value
	}
	return v
}

// staffPanel reads what the staff section shows beyond the API's view: the criteria and
// delegation bands the application was submitted under, the scheme's budgets, and the people who
// may sit on a panel.
func (s *Server) staffPanel(c *gin.Context, d apiv1.ApplicationDetail) (any, error) {
	ctx := c.Request.Context()
	u, _ := currentUser(c)
	sc, err := s.opts.API.ApplicationScheme(ctx, u, d.ID)
	if err != nil {
		return nil, err
	}
	rules := sc.Rules
	v := &staffView{Service: d.Service != nil, Can: map[string]bool{}, Refused: map[string]string{},
		Recommendations: []option{{Value: workflows.RecommendFund, Label: "Fund"}, {Value: workflows.RecommendDoNotFund, Label: "Do not fund"}},
		YesNo:           []option{{Value: "yes", Label: "Yes"}, {Value: "no", Label: "No"}},
		NoConflict:      []option{{Value: "yes", Label: "I have no conflict of interest in this application"}},
		PanelSize:       rules.PanelSize(),
		ReviewOutcomes: []option{{Value: workflows.ReviewAccept, Label: "Accept"},
			{Value: workflows.ReviewRequestChanges, Label: "Send it back for changes", Hint: "Say in the comment what needs to change."}},
		RAGs: []option{{Value: workflows.RAGGreen, Label: "Green", Hint: "On track"}, {Value: workflows.RAGAmber, Label: "Amber", Hint: "Some concerns"},
			{Value: workflows.RAGRed, Label: "Red", Hint: "Serious concerns"}},
	}
	v.WorkflowLink = s.workflowLink(d.WorkflowID)
	for _, a := range d.Actions {
		v.Can[string(a)] = true
	}
	for a, why := range d.Refusals {
		v.Refused[string(a)] = upperFirst(why)
	}
	for n := 0; n <= workflows.MaxScore; n++ {
		v.ScoreOptions = append(v.ScoreOptions, option{Value: strconv.Itoa(n), Label: strconv.Itoa(n)})
	}
	if d.WeightedScore != nil {
		v.WeightedScore = fmt.Sprintf("%.2f out of 100", *d.WeightedScore)
	}
	if v.Assessments, err = assessmentsOf(d, rules); err != nil {
		return nil, err
	}
	v.Declarations = declarationsOf(d.Timeline)
	v.Panel = panelOf(d, u)
	if v.CaseOfficer, err = s.caseOfficerOf(c, d); err != nil {
		return nil, err
	}
	if d.Recommendation != nil {
		if v.Recommendation, err = recommendationOf(*d.Recommendation); err != nil {
			return nil, err
		}
	}
	if v.Can[string(workflows.ActionAssess)] {
		read, err := s.answersToRead(c, d)
		if err != nil {
			return nil, err
		}
		for _, cr := range rules.Criteria {
			hint := fmt.Sprintf("Weight %d%%. Score from 0 (poor) to %d (excellent).", cr.Weight, workflows.MaxScore)
			if cr.Minimum > 0 {
				hint += fmt.Sprintf(" A score below %d makes the application not fundable.", cr.Minimum)
			}
			cv := criterionView{Name: cr.Name, Hint: hint}
			for _, id := range cr.Questions {
				if row, ok := read[id]; ok {
					cv.Answers = append(cv.Answers, row)
				}
			}
			v.Criteria = append(v.Criteria, cv)
		}
	}
	if v.Can[string(workflows.ActionAssignPanel)] {
		if v.Assessors, err = s.panelCandidates(ctx, u, d); err != nil {
			return nil, err
		}
	}
	if v.Can[string(workflows.ActionModerate)] && d.Service != nil {
		start := proposedStart(*d.Service, s.now())
		proposedYears := workflows.ProposedYears(d.Service.Years, start)
		proposed := map[int]money.Pence{}
		for _, y := range proposedYears {
			proposed[y.FinancialYear] = y.Amount
		}
		for _, y := range d.Service.Years {
			v.ModerationYears = append(v.ModerationYears, yearField{Name: fModYear + strconv.Itoa(y.FinancialYear),
				Label: "Amount for " + scheme.FinancialYearLabel(y.FinancialYear), Default: plainAmount(proposed[y.FinancialYear])})
		}
		v.ProposedStart = proposedStartOf(*d.Service, start)
		v.ModerationStart, v.ModerationStartHint = start, "It cannot be before the decision. For example, "+start.Format("2 1 2006")
		v.ModerationSplit = moderationSplit(d.Service.Years, start)
		// The budget beside the proposed split, not the full years asked for: a first year pro-rated
		// to its quarters needs only its share.
		if v.Budget, err = s.budgetLeft(ctx, u, d.SchemeID, proposedYears, false); err != nil {
			return nil, err
		}
	}
	v.BeyondBand = !v.Can[string(workflows.ActionDecide)] && d.Service != nil && d.Recommendation != nil &&
		workflows.Stage(d.Status) == workflows.StageDecision && u.Role.Decides() && d.Recommendation.RecommendedBy != u.ID
	if v.Can[string(workflows.ActionDecide)] || v.BeyondBand {
		total, what := d.AmountRequested, "the full amount requested"
		want := []grant.YearAmount{{FinancialYear: scheme.FinancialYear(s.now()), Amount: d.AmountRequested}}
		if d.Service != nil {
			var years []grant.YearAmount
			if d.Recommendation != nil {
				if err := decodeJSON(d.Recommendation.Years, &years); err != nil {
					return nil, err
				}
			}
			total, what, want = workflows.WholeLife(years), "this award", years
		}
		if len(want) > 0 { // a recommendation not to fund can only be declined: no money is in question
			v.Band = bandOf(rules, u.Role, total, what)
			if v.Budget, err = s.budgetLeft(ctx, u, d.SchemeID, want, false); err != nil {
				return nil, err
			}
		}
		v.AmountDefault, v.PurposeDefault = plainAmount(d.AmountRequested), d.Purpose
	}
	if v.Can[string(workflows.ActionConfirmConditions)] && d.Award != nil {
		if err := decodeJSON(d.Award.ConditionsPrecedent, &v.ConditionsPrecedent); err != nil {
			return nil, err
		}
	}
	if v.Can[string(workflows.ActionReviewReturn)] {
		if v.Returns, err = pendingReturns(d); err != nil {
			return nil, err
		}
		for _, r := range v.Returns {
			v.ReturnChoices = append(v.ReturnChoices, option{Value: r.Quarter, Label: r.Quarter, Hint: fmt.Sprintf("Version %d, sent %s", r.Version, r.Sent)})
		}
	}
	if v.Can[string(workflows.ActionReviewReport)] {
		for _, r := range d.Reports {
			if r.ReviewOutcome == nil {
				v.Report = &pendingReport{Version: r.Version, Sent: dateOnly(r.SubmittedAt), Spent: r.Spent.String()}
			}
		}
	}
	if _, refused := v.Refused[string(workflows.ActionWaiveReturns)]; refused || v.Can[string(workflows.ActionWaiveReturns)] {
		v.MissingReturns, v.WaiveChoices = missingReturns(d, s.now())
	}
	if r := d.Recovery; r != nil {
		v.Outstanding, v.RecoveryReference, v.RepaymentDefault = r.Outstanding.String(), r.Reference, plainAmount(r.Outstanding)
	}
	if v.Can[string(workflows.ActionVary)] && len(d.AwardYears) > 0 {
		if err := s.varyForm(ctx, u, d, rules, v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// varyForm offers an amount for each year the award may run, starting at its current terms.
func (s *Server) varyForm(ctx context.Context, u store.User, d apiv1.ApplicationDetail, rules scheme.Rules, v *staffView) error {
	first := d.AwardYears[0].FinancialYear
	current := map[int]money.Pence{}
	for _, y := range d.AwardYears {
		current[y.FinancialYear] = y.Amount
	}
	var span []grant.YearAmount
	for fy := first; fy < first+max(1, rules.MaxDurationMonths/12); fy++ {
		f := yearField{Name: fVaryYear + strconv.Itoa(fy), Label: "Amount for " + scheme.FinancialYearLabel(fy)}
		if amount, ok := current[fy]; ok {
			f.Default = plainAmount(amount)
		}
		v.VaryYears = append(v.VaryYears, f)
		span = append(span, grant.YearAmount{FinancialYear: fy, Amount: current[fy]})
	}
	if d.Award != nil {
		var conditions []string
		if err := decodeJSON(d.Award.Conditions, &conditions); err != nil {
			return err
		}
		v.VaryConditions = strings.Join(conditions, "\n")
	}
	total := workflows.WholeLife(d.AwardYears)
	v.VaryTotal = total.String()
	v.Band = bandOf(rules, u.Role, total, "the award as it stands")
	var err error
	v.Budget, err = s.budgetLeft(ctx, u, d.SchemeID, span, true)
	return err
}

// panelCandidates are the staff who may score: assessors, officers and heads of commissioning,
// leaving out the officer naming the panel and those already on it. The workflow refuses anyone
// else it must (a declared conflict, a member of the applicant).
func (s *Server) panelCandidates(ctx context.Context, u store.User, d apiv1.ApplicationDetail) ([]option, error) {
	people, err := s.opts.Store.UsersWithRoles(ctx, scheme.RoleAssessor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning)
	if err != nil {
		return nil, err
	}
	var out []option
	for _, p := range people {
		seated := slices.ContainsFunc(d.Panel, func(m store.PanelMember) bool { return m.AssessorID == p.ID && m.RemovedAt == nil })
		if p.ID == u.ID || seated {
			continue
		}
		out = append(out, option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name, Hint: p.Role.Title()})
	}
	return out, nil
}

// assessmentsOf lays out each assessor's scores (present only for those who may see them).
func assessmentsOf(d apiv1.ApplicationDetail, rules scheme.Rules) ([]assessmentView, error) {
	names := map[int64]string{}
	for _, e := range d.Timeline {
		if e.ActorUserID != nil {
			names[*e.ActorUserID] = e.ActorName
		}
	}
	for _, p := range d.Panel {
		names[p.AssessorID] = p.AssessorName
	}
	var out []assessmentView
	for _, a := range d.Assessments {
		var scores []workflows.Score
		if err := json.Unmarshal(a.Scores, &scores); err != nil {
			return nil, err
		}
		av := assessmentView{Assessor: names[a.AssessorID], Submitted: dateOnly(a.SubmittedAt), Weighted: fmt.Sprintf("%.2f out of 100", a.Weighted),
			Fundable: "Yes", Comment: a.Comment, Recommendation: "Fund"}
		if av.Assessor == "" {
			av.Assessor = "An assessor"
		}
		if !a.Fundable {
			av.Fundable, av.BelowMinimum = "No: a criterion scored below its minimum", true
		}
		if a.Recommendation == workflows.RecommendDoNotFund {
			av.Recommendation = "Do not fund"
		}
		for _, sc := range scores {
			line := scoreLine{Criterion: sc.Criterion, Score: fmt.Sprintf("%d out of %d", sc.Score, workflows.MaxScore), Comment: sc.Comment}
			for _, cr := range rules.Criteria {
				if cr.Key == sc.Criterion {
					line.Criterion, line.Weight = cr.Name, fmt.Sprintf("%d%%", cr.Weight)
				}
			}
			av.Scores = append(av.Scores, line)
		}
		out = append(out, av)
	}
	return out, nil
}

// declarationsOf are the declarations of interest on the timeline, as redacted for this person.
func declarationsOf(events []store.Event) []declarationView {
	var out []declarationView
	for _, e := range events {
		if strings.HasPrefix(e.What, "Declared") {
			out = append(out, declarationView{Who: e.ActorName, When: dateOnly(e.At), What: e.What, Details: e.Why})
		}
	}
	return out
}

// panelOf lays out the panel. Whether a member has scored shows only to those who may see the
// scores: a member who has not scored sees no one's.
func panelOf(d apiv1.ApplicationDetail, u store.User) []panelSeatView {
	var out []panelSeatView
	for _, p := range d.Panel {
		seat := panelSeatView{Name: p.AssessorName, Deadline: dateOnly(p.Deadline), Status: "Not yet scored", TagClass: "govuk-tag--grey"}
		scored := slices.ContainsFunc(d.Assessments, func(a store.Assessment) bool { return a.AssessorID == p.AssessorID })
		switch {
		case p.RemovedAt != nil:
			seat.Status, seat.TagClass = "Removed: "+p.RemovedReason, "govuk-tag--orange"
		case scored:
			seat.Status, seat.TagClass = "Scored", "govuk-tag--green"
		case len(d.Assessments) == 0 && slices.ContainsFunc(d.Panel, func(m store.PanelMember) bool { return m.AssessorID == u.ID && m.RemovedAt == nil }):
			seat.Status = "Shown once you have scored"
		}
		out = append(out, seat)
	}
	return out
}

func recommendationOf(r store.Recommendation) (*recommendationView, error) {
	v := &recommendationView{Reasons: r.Reasons}
	var years []grant.YearAmount
	for _, part := range []struct {
		raw json.RawMessage
		out any
	}{{r.Years, &years}, {r.Conditions, &v.Conditions}, {r.ConditionsPrecedent, &v.ConditionsPrecedent}} {
		if err := decodeJSON(part.raw, part.out); err != nil {
			return nil, err
		}
	}
	v.Fund = len(years) > 0 // a recommendation not to fund carries no years
	if v.Fund && r.StartDate != nil {
		v.Start = dateOnly(*r.StartDate)
	}
	for _, y := range years {
		v.Years = append(v.Years, summaryRow{scheme.FinancialYearLabel(y.FinancialYear), y.Amount.String()})
	}
	v.Total = workflows.WholeLife(years).String()
	return v, nil
}

// pendingReturns are the latest versions of the returns awaiting review, with what they report.
func pendingReturns(d apiv1.ApplicationDetail) ([]pendingReturn, error) {
	indicators := map[string]string{}
	targets := map[string]int64{}
	if d.Service != nil {
		for _, o := range d.Service.Outcomes {
			for _, ind := range o.Indicators {
				indicators[ind.Key], targets[ind.Key] = ind.Name, ind.QuarterlyTarget
			}
		}
	}
	var out []pendingReturn
	for _, r := range store.LatestOfEachQuarter(d.Returns) {
		if r.ReviewOutcome != nil {
			continue
		}
		q := workflows.Quarter{FY: r.FinancialYear, Q: r.Quarter}
		var content workflows.ReturnContent
		if err := json.Unmarshal(r.Content, &content); err != nil {
			return nil, err
		}
		p := pendingReturn{Quarter: q.Label(), Sent: dateOnly(r.SubmittedAt), Version: r.Version, Spend: content.SpendToDate.String(),
			Under25: strconv.Itoa(content.Under25()), Incidents: strconv.Itoa(content.SafeguardingIncidents), Text: content.Narrative}
		total := 0
		for _, b := range content.Beneficiaries {
			total += b.Count
		}
		p.Beneficiaries = strconv.Itoa(total)
		p.Reached = reachedViewOf(q.Label()+" return: people helped by place and age", content.Beneficiaries)
		for _, a := range content.Indicators {
			name := indicators[a.Key]
			if name == "" {
				name = a.Key
			}
			p.Indicators = append(p.Indicators, summaryRow{name, fmt.Sprintf("%d (target %d)", a.Actual, targets[a.Key])})
		}
		out = append(out, p)
	}
	return out, nil
}

// missingReturns are the award's returns that hold up closure (workflows.ReturnMissing), and the
// choices of those that may be waived: a return sent and awaiting review is reviewed instead.
func missingReturns(d apiv1.ApplicationDetail, now time.Time) ([]returnDueView, []option) {
	var missing []returnDueView
	var choices []option
	for _, r := range d.ReturnSchedule {
		if !workflows.ReturnMissing(r.Status) {
			continue
		}
		q := workflows.Quarter{FY: r.FinancialYear, Q: r.Quarter}
		rv := returnDueView{Quarter: q.Label(), Due: dateOnly(r.Due)}
		rv.Status, rv.TagClass = returnDueLabel(r.Status, !now.Before(r.Due))
		missing = append(missing, rv)
		if r.Status != workflows.ReturnSubmitted {
			choices = append(choices, option{Value: fmt.Sprintf("%d-%d", q.FY, q.Q), Label: q.Label(), Hint: rv.Status + ", due by " + rv.Due})
		}
	}
	return missing, choices
}

// bandOf says who may approve what under the scheme, where total falls, and whether this person
// may approve it, in the delegation policy's own words (workflows.BandFor and MayApprove).
func bandOf(rules scheme.Rules, role scheme.Role, total money.Pence, what string) *bandView {
	v := &bandView{}
	var highest money.Pence
	for _, b := range rules.Delegation {
		title := b.Title
		if title == "" {
			title = b.Role.Title()
		}
		limit := "Any amount"
		if b.UpTo > 0 {
			limit = "Up to " + b.UpTo.String()
			highest = max(highest, b.UpTo)
		}
		v.Bands = append(v.Bands, summaryRow{title, limit})
	}
	if band, err := workflows.BandFor(rules, total); err != nil {
		v.Needs = upperFirst(err.Error()) + "."
	} else {
		title := band.Title
		if title == "" {
			title = band.Role.Title()
		}
		v.Needs = fmt.Sprintf("%s (%s) falls in the %s band.", upperFirst(what), total, title)
	}
	var limit money.Pence
	for _, b := range rules.Delegation {
		if b.UpTo > 0 && b.UpTo > limit && workflows.MayApprove(rules, role, b.UpTo) == nil {
			limit = b.UpTo
		}
	}
	switch {
	case workflows.MayApprove(rules, role, highest+1) == nil:
		v.Limit = "You may approve awards of any amount."
	case limit > 0:
		v.Limit = "You may approve awards up to " + limit.String() + "."
	default:
		v.Limit = "You may not approve awards under this scheme."
	}
	if err := workflows.MayApprove(rules, role, total); err != nil {
		v.Warning = fmt.Sprintf("You cannot approve %s: %s.", what, err)
	}
	return v
}

// budgetLeft is the scheme's budget left in each year of want, beside what want needs of it. Each
// year short of what want needs is flagged, unless want is already committed (an award's terms).
func (s *Server) budgetLeft(ctx context.Context, u store.User, schemeID int64, want []grant.YearAmount, committed bool) ([]budgetLine, error) {
	years, err := s.opts.API.SchemeYears(ctx, u, schemeID)
	if err != nil {
		return nil, err
	}
	var out []budgetLine
	for _, w := range want {
		line := budgetLine{Year: scheme.FinancialYearLabel(w.FinancialYear), Budget: "No budget set", Committed: money.Pence(0).String(),
			Left: money.Pence(0).String(), ThisAward: w.Amount.String(), Short: !committed && w.Amount > 0}
		for _, y := range years {
			if y.FinancialYear == w.FinancialYear {
				line.Budget, line.Committed, line.Left = y.Budget.String(), y.Committed.String(), y.Uncommitted.String()
				line.Short = !committed && y.Uncommitted < w.Amount
			}
		}
		out = append(out, line)
	}
	return out, nil
}

// plainAmount is an amount as typed into a field: 4,250.00.
func plainAmount(p money.Pence) string { return strings.TrimPrefix(p.String(), "£") }

// decodeJSON reads a JSON value the store keeps; null or empty is the zero value.
func decodeJSON(raw json.RawMessage, out any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// ---- The steps ----

// stepForm reads the form sent, refusing text PostgreSQL cannot store in any field of the rules.
func stepForm(c *gin.Context, rules []fieldRule) *form {
	f := readForm(c)
	labels, names := map[string]string{}, []string{}
	for _, r := range rules {
		if _, seen := labels[r.page]; !seen {
			labels[r.page] = r.label
			names = append(names, r.page)
		}
	}
	f.noNUL(labels, names...)
	return f
}

// sendStep finishes a staff form. What the page could not read into a request is shown on the
// form at once; otherwise send takes the step through the API and afterStep shows the outcome,
// with refusals of fields back on the form by the rules.
func (s *Server) sendStep(c *gin.Context, id int64, f *form, action workflows.Action, done string, rules []fieldRule, send func(context.Context) (workflows.UpdateResult, error)) {
	if f.invalid() {
		s.showStaffForm(c, id, f, action)
		return
	}
	_, err := send(c.Request.Context())
	s.afterStep(c, id, err, done, s.onApplication(c, id, f, rules))
}

// showStaffForm shows what could not be read back on the form, if the API offers this person the
// step (so the form is on the page); otherwise there is no form to show it on, and nothing to do.
func (s *Server) showStaffForm(c *gin.Context, id int64, f *form, action workflows.Action) {
	u, _ := currentUser(c)
	d, err := s.opts.API.Application(c.Request.Context(), u, id)
	if err != nil {
		s.failRead(c, err)
		return
	}
	if !slices.Contains(d.Actions, action) {
		s.render(c, http.StatusConflict, "error", page{Title: "This could not be done", Data: errorPage{
			Heading: "This could not be done", Lines: []string{"This step is not open to you on this application now.", "Nothing has been changed."},
			Link: "Go back to the application", LinkTo: applicationPath(id),
		}})
		return
	}
	s.showApplication(c, d, f, http.StatusUnprocessableEntity)
}

// choice reads a radio that must be answered, recording message when it is not.
func choice(f *form, name, message string) string {
	v := f.Value(name)
	if v == "" {
		f.add(name, message)
	}
	return v
}

// lines reads a textarea holding one item per line: conditions, reasons.
func lines(f *form, name string) []string {
	var out []string
	for _, l := range strings.Split(f.Value(name), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// dateField reads an optional date input as the API's YYYY-MM-DD: blank is "" (the API says
// whether it is needed), a date that is not real is recorded on the form.
func dateField(f *form, name, what string) string {
	if t := optionalDate(f, name, what); t != nil {
		return t.Format(time.DateOnly)
	}
	return ""
}

// proposedStart is the start date the moderation form proposes: the applicant's, unless it has
// passed; otherwise 1 April of the first year asked for, or today once that has passed.
func proposedStart(d grant.ServiceDetails, now time.Time) time.Time {
	today := now.In(scheme.London)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, scheme.London)
	if t, err := time.Parse(time.DateOnly, d.StartDate); err == nil {
		if start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, scheme.London); !start.Before(today) {
			return start
		}
	}
	if len(d.Years) > 0 {
		if april := (workflows.Quarter{FY: d.Years[0].FinancialYear, Q: 1}).Start(); april.After(today) {
			return april
		}
	}
	return today
}

// proposedStartOf is what the moderation form says of the applicant's proposed start date; start
// is the date the form proposes.
func proposedStartOf(d grant.ServiceDetails, start time.Time) string {
	t, err := time.Parse(time.DateOnly, d.StartDate)
	switch {
	case err != nil:
		return "Not given"
	case t.Format(time.DateOnly) != start.Format(time.DateOnly):
		return isoDate(d.StartDate) + " (it has passed, so the form proposes " + start.Format("2 January 2006") + ")"
	}
	return isoDate(d.StartDate)
}

// moderationSplit says how an agreement starting on start splits the amounts asked for, as the
// moderation form's amounts propose: "£150,000.00 a year from 6 December 2026 is 2 of 4 quarters
// in 2026-27: £75,000.00."
func moderationSplit(requested []grant.YearAmount, start time.Time) []string {
	from := start.Format("2 January 2006")
	first := workflows.QuarterOf(start)
	var out []string
	for _, y := range requested {
		label := scheme.FinancialYearLabel(y.FinancialYear)
		switch {
		case y.FinancialYear < first.FY:
			out = append(out, fmt.Sprintf("%s is not funded: it ends before an agreement starting on %s.", label, from))
		case y.FinancialYear == first.FY && first.Q > 1:
			out = append(out, fmt.Sprintf("%s a year from %s is %d of 4 quarters in %s: %s.", y.Amount, from, workflows.QuartersLeft(first), label,
				workflows.ProRate(y.Amount, first)))
		}
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("An agreement starting on %s is funded for whole years: the amounts below are those asked for.", from))
	} else {
		out = append(out, "Later years are funded in full.")
	}
	return append(out, "If you set another start date, change the amounts to match: payments and monitoring run from the quarter the agreement starts in, "+
		"and the first year is funded for the quarters left from it.")
}

// amountField reads an amount in pounds and pence; blank is zero (the API says whether it is needed).
func amountField(f *form, name, what string) money.Pence {
	v := f.Value(name)
	if v == "" {
		return 0
	}
	p, err := money.Parse(v)
	if err != nil {
		f.add(name, "Enter "+what+" in pounds and pence, like 4,250.00")
	}
	return p
}

// yearsField reads the amounts per financial year of fields named prefix+year, in order of year.
// A blank year is not funded. It also returns the rules that put the API's "years[i]" back on the
// field of the i-th year sent, and "years" on the first.
func yearsField(f *form, prefix string) ([]grant.YearAmount, []fieldRule) {
	var fys []int
	for k := range f.values {
		if fy, err := strconv.Atoi(strings.TrimPrefix(k, prefix)); strings.HasPrefix(k, prefix) && err == nil && fy >= 2000 && fy <= 2100 {
			fys = append(fys, fy)
		}
	}
	sort.Ints(fys)
	var years []grant.YearAmount
	var rules []fieldRule
	for _, fy := range fys {
		name := prefix + strconv.Itoa(fy)
		label := "The amount for " + scheme.FinancialYearLabel(fy)
		if len(rules) == 0 {
			rules = append(rules, on("years", name, "The amounts per year"))
		}
		if f.Value(name) == "" {
			continue
		}
		amount := amountField(f, name, "the amount for "+scheme.FinancialYearLabel(fy))
		rules = append(rules, on(fmt.Sprintf("years[%d]", len(years)), name, label))
		years = append(years, grant.YearAmount{FinancialYear: fy, Amount: amount})
	}
	return years, rules
}

// The step forms below each read their form into the API's request with a xRequestOf function
// (what the page cannot read is recorded on the form); the fuzz test posts any values through them.

var conflictRules = []fieldRule{on("has_conflict", fConflict, "Conflict of interest"), on("details", fConflictDetails, "Details of the conflict")}

func conflictRequestOf(f *form) apiv1.ConflictRequest {
	var req apiv1.ConflictRequest
	switch choice(f, fConflict, "Select yes if you have a conflict of interest in this application, or no if you do not") {
	case "yes":
		req.HasConflict = true
	case "no", "":
	default:
		f.add(fConflict, "Select yes or no")
	}
	req.Details = f.Value(fConflictDetails)
	return req
}

func (s *Server) declareConflict(c *gin.Context) {
	rules := conflictRules
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := stepForm(c, rules)
	req := conflictRequestOf(f)
	s.sendStep(c, id, f, workflows.ActionDeclareConflict, "conflict", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.DeclareConflict(ctx, u, id, req)
	})
}

func (s *Server) assess(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	sc, err := s.opts.API.ApplicationScheme(c.Request.Context(), u, id)
	if err != nil {
		s.failRead(c, err)
		return
	}
	rules := assessmentRules(sc.Rules.Criteria)
	f := stepForm(c, rules)
	req := assessmentRequestOf(f, sc.Rules.Criteria)
	s.sendStep(c, id, f, workflows.ActionAssess, "assessed", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.Assess(ctx, u, id, req)
	})
}

// assessmentRules: the form lists every criterion, in the scheme's order; rules map the API's scores[i] back.
func assessmentRules(criteria []scheme.Criterion) []fieldRule {
	rules := []fieldRule{on("no_conflict", fNoConflict, "Declaration")}
	if len(criteria) > 0 {
		rules = append(rules, on("scores", scoreField(0), "Scores"))
	}
	for i, cr := range criteria {
		rules = append(rules, on(fmt.Sprintf("scores[%d]", i), scoreField(i), cr.Name),
			on(fmt.Sprintf("scores[%d].comment", i), scoreCommentField(i), "Why "+cr.Name+" scored as it did"))
	}
	return append(rules, on("recommendation", fRecommendation, "Recommendation"), on("comment", fAssessComment, "Comment"))
}

// assessmentRequestOf: the workflow refuses one missing answer at a time; the page checks every
// answer is there first, so the error summary lists all of them at once.
func assessmentRequestOf(f *form, criteria []scheme.Criterion) apiv1.AssessmentRequest {
	req := apiv1.AssessmentRequest{NoConflict: f.Has(fNoConflict, "yes")}
	if !req.NoConflict {
		f.add(fNoConflict, "Confirm you have no conflict of interest, or declare the conflict instead")
	}
	for i, cr := range criteria {
		score := workflows.Score{Criterion: cr.Key, Comment: f.Value(scoreCommentField(i))}
		v := choice(f, scoreField(i), "Select a score for "+cr.Name)
		n, err := strconv.Atoi(v)
		if v != "" && (err != nil || n < 0 || n > workflows.MaxScore) {
			f.add(scoreField(i), fmt.Sprintf("Select a score from 0 to %d for %s", workflows.MaxScore, cr.Name))
		}
		score.Score = n
		if score.Comment == "" {
			f.add(scoreCommentField(i), "Say why "+cr.Name+" scored as it did")
		}
		req.Scores = append(req.Scores, score)
	}
	req.Recommendation = choice(f, fRecommendation, "Select whether you recommend funding the application")
	req.Comment = f.Value(fAssessComment)
	return req
}

var panelRules = []fieldRule{on("assessor_ids", fPanelAssessors, "Assessors"), onDate("deadline", fPanelDeadline, "The deadline for scores")}

func (s *Server) assignPanel(c *gin.Context) {
	rules := panelRules
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := stepForm(c, rules)
	req := panelRequestOf(f)
	s.sendStep(c, id, f, workflows.ActionAssignPanel, "panel", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.AssignPanel(ctx, u, id, req)
	})
}

func panelRequestOf(f *form) apiv1.PanelRequest {
	var req apiv1.PanelRequest
	for _, v := range f.List(fPanelAssessors) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			f.add(fPanelAssessors, "Select assessors from the list")
			continue
		}
		req.AssessorIDs = append(req.AssessorIDs, n)
	}
	req.Deadline = dateField(f, fPanelDeadline, "the deadline for scores")
	return req
}

func (s *Server) moderate(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := readForm(c)
	req, rules := moderationRequestOf(f)
	s.sendStep(c, id, f, workflows.ActionModerate, "moderated", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.Moderate(ctx, u, id, req)
	})
}

func moderationRequestOf(f *form) (apiv1.ModerationRequest, []fieldRule) {
	req := apiv1.ModerationRequest{Recommendation: choice(f, fModRecommendation, "Select whether the panel recommends funding")}
	years, yearRules := yearsField(f, fModYear)
	req.StartDate = dateField(f, fModStart, "the date the agreement starts")
	rules := append([]fieldRule{on("recommendation", fModRecommendation, "Recommendation"),
		onDate("start_date", fModStart, "The date the agreement starts")}, yearRules...)
	rules = append(rules, on("conditions", fModConditions, "Conditions of grant"),
		on("conditions_precedent", fModPrecedent, "Conditions precedent"), on("reasons", fModReasons, "Reasons"))
	f.noNUL(map[string]string{fModConditions: "Conditions of grant", fModPrecedent: "Conditions precedent", fModReasons: "Reasons"},
		fModConditions, fModPrecedent, fModReasons)
	req.Years, req.Conditions, req.ConditionsPrecedent, req.Reasons = years, lines(f, fModConditions), lines(f, fModPrecedent), f.Value(fModReasons)
	return req, rules
}

// decide sends one of the decision forms: approve, ask for information or decline (a service
// award is approved on the moderated terms, so its approval form has no fields).
func (s *Server) decide(c *gin.Context) {
	outcome := c.Request.PostForm.Get(fOutcome)
	rules := decisionRules(outcome)
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := stepForm(c, rules)
	req := decisionRequestOf(f, outcome)
	s.sendStep(c, id, f, workflows.ActionDecide, "decided", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.Decide(ctx, u, id, req)
	})
}

// decisionRules are the fields of the form of the outcome (as sent, before the form is read).
func decisionRules(outcome string) []fieldRule {
	var rules []fieldRule
	noConflict := decisionNoConflict[outcome] // each of the decision's forms has its own declaration
	switch outcome {
	case workflows.OutcomeApprove:
		rules = []fieldRule{on("amount_pence", fAmount, "The amount to award"), on("purpose", fPurpose, "What the grant is for"),
			on("conditions", fConditions, "Conditions of grant"), on("reasons", fReasons, "The reasons for the award")}
	case workflows.OutcomeRequestInformation:
		rules = []fieldRule{on("question", fQuestion, "The question"), onDate("deadline", fDeadline, "The deadline for an answer")}
	case workflows.OutcomeDecline:
		rules = []fieldRule{on("decline_reasons", fDeclineReasons, "The reasons for declining")}
	}
	if noConflict != "" {
		rules = append(rules, on("no_conflict", noConflict, "Declaration"))
	}
	return rules
}

func decisionRequestOf(f *form, outcome string) apiv1.DecisionRequest {
	noConflict := decisionNoConflict[outcome]
	req := apiv1.DecisionRequest{Outcome: outcome, NoConflict: noConflict != "" && f.Has(noConflict, "yes")}
	if noConflict != "" && !req.NoConflict {
		f.add(noConflict, "Confirm you have no conflict of interest, or declare the conflict instead")
	}
	switch outcome {
	case workflows.OutcomeApprove:
		req.Amount = amountField(f, fAmount, "the amount to award") // none on a service approval: its terms were moderated
		req.Purpose, req.Conditions, req.Reasons = f.Value(fPurpose), lines(f, fConditions), f.Value(fReasons)
	case workflows.OutcomeRequestInformation:
		req.Question, req.Deadline = f.Value(fQuestion), dateField(f, fDeadline, "the deadline for an answer")
	case workflows.OutcomeDecline:
		req.DeclineReasons = lines(f, fDeclineReasons)
	}
	return req
}

func (s *Server) confirmConditions(c *gin.Context) {
	rules := []fieldRule{on("note", fConditionsNote, "The note")}
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := stepForm(c, rules)
	req := apiv1.ConditionsRequest{Note: f.Value(fConditionsNote)}
	s.sendStep(c, id, f, workflows.ActionConfirmConditions, "conditions", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.ConfirmConditions(ctx, u, id, req)
	})
}

var returnReviewRules = []fieldRule{on("financial_year", fReturnQuarter, "The return"), on("quarter", fReturnQuarter, "The return"),
	on("outcome", fReturnOutcome, "Your decision"), on("rag", fReturnRAG, "The RAG rating"), on("comment", fReturnComment, "The comment")}

func (s *Server) reviewReturn(c *gin.Context) {
	rules := returnReviewRules
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := stepForm(c, rules)
	req := returnReviewRequestOf(f)
	s.sendStep(c, id, f, workflows.ActionReviewReturn, "reviewed", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.ReviewReturn(ctx, u, id, req)
	})
}

func returnReviewRequestOf(f *form) apiv1.ReturnReviewRequest {
	var req apiv1.ReturnReviewRequest
	if v := choice(f, fReturnQuarter, "Select the return you are reviewing"); v != "" {
		var q, fy, fy2 int
		if n, err := fmt.Sscanf(v, "Q%d %d-%d", &q, &fy, &fy2); err != nil || n != 3 {
			f.add(fReturnQuarter, "Select a return from the list")
		}
		req.FinancialYear, req.Quarter = fy, q
	}
	req.Outcome = choice(f, fReturnOutcome, "Select whether you accept the return or send it back for changes")
	req.RAG = choice(f, fReturnRAG, "Select a RAG rating")
	req.Comment = f.Value(fReturnComment)
	return req
}

func (s *Server) reviewReport(c *gin.Context) {
	rules := []fieldRule{on("outcome", fReportOutcome, "Your decision"), on("comment", fReportComment, "The comment")}
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := stepForm(c, rules)
	req := apiv1.ReviewRequest{Outcome: choice(f, fReportOutcome, "Select whether you accept the report or send it back for changes"),
		Comment: f.Value(fReportComment)}
	s.sendStep(c, id, f, workflows.ActionReviewReport, "reviewed", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.ReviewReport(ctx, u, id, req)
	})
}

func (s *Server) vary(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := readForm(c)
	req, rules := variationRequestOf(f)
	s.sendStep(c, id, f, workflows.ActionVary, "varied", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.Vary(ctx, u, id, req)
	})
}

func variationRequestOf(f *form) (apiv1.VariationRequest, []fieldRule) {
	years, rules := yearsField(f, fVaryYear)
	rules = append(rules, on("conditions", fVaryConditions, "Conditions of grant"), on("summary", fVarySummary, "The summary"))
	f.noNUL(map[string]string{fVaryConditions: "Conditions of grant", fVarySummary: "The summary"}, fVaryConditions, fVarySummary)
	return apiv1.VariationRequest{Years: years, Conditions: lines(f, fVaryConditions), Summary: f.Value(fVarySummary)}, rules
}

func (s *Server) terminate(c *gin.Context) {
	rules := []fieldRule{on("reason", fTerminationReason, "The reason")}
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := stepForm(c, rules)
	req := apiv1.TerminationRequest{Reason: f.Value(fTerminationReason)}
	s.sendStep(c, id, f, workflows.ActionTerminate, "terminated", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.Terminate(ctx, u, id, req)
	})
}

// waiveReturns sends the head of commissioning's waiver of the returns chosen, with the reason.
func (s *Server) waiveReturns(c *gin.Context) {
	rules := waiverRules
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := stepForm(c, rules)
	req := waiverRequestOf(f)
	s.sendStep(c, id, f, workflows.ActionWaiveReturns, "waived", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.WaiveReturns(ctx, u, id, req)
	})
}

var waiverRules = []fieldRule{on("quarters", fWaiverQuarters, "The returns to waive"), on("reason", fWaiverReason, "The reason")}

func waiverRequestOf(f *form) apiv1.WaiverRequest {
	req := apiv1.WaiverRequest{Reason: f.Value(fWaiverReason)}
	chosen := f.List(fWaiverQuarters)
	if len(chosen) == 0 {
		f.add(fWaiverQuarters, "Select the returns to waive")
	}
	for _, v := range chosen {
		var q apiv1.QuarterRef
		if n, err := fmt.Sscanf(v, "%d-%d", &q.FinancialYear, &q.Quarter); err != nil || n != 2 {
			f.add(fWaiverQuarters, "Select the returns to waive from the list")
			continue
		}
		req.Quarters = append(req.Quarters, q)
	}
	return req
}

// recordRepayment sends finance's record of money the provider repaid.
func (s *Server) recordRepayment(c *gin.Context) {
	rules := repaymentRules
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := stepForm(c, rules)
	req := repaymentRequestOf(f)
	s.sendStep(c, id, f, workflows.ActionRecordRepayment, "repaid", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.RecordRepayment(ctx, u, id, req)
	})
}

var repaymentRules = []fieldRule{on("amount_pence", fRepaymentAmount, "Amount repaid").missing("Enter the amount repaid"),
	onDate("received_on", fRepaymentReceived, "The date the repayment was received").missing("Enter the date the repayment was received"),
	on("reference", fRepaymentReference, "Payment reference").missing("Enter the payment reference")}

func repaymentRequestOf(f *form) apiv1.RepaymentRequest {
	req := apiv1.RepaymentRequest{Amount: moneyReceived(f, fRepaymentAmount, "the amount repaid", "Amount repaid"), Reference: f.Value(fRepaymentReference)}
	if on, ok := f.date(fRepaymentReceived, "the date the repayment was received"); ok {
		req.ReceivedOn = on.Format(time.DateOnly)
	}
	if req.Reference == "" {
		f.add(fRepaymentReference, "Enter the payment reference")
	}
	return req
}

// writeOff sends a decider's write-off of what is still owed, with the reason.
func (s *Server) writeOff(c *gin.Context) {
	rules := []fieldRule{on("reason", fWriteOffReason, "The reason")}
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := stepForm(c, rules)
	req := apiv1.WriteOffRequest{Reason: f.Value(fWriteOffReason)}
	s.sendStep(c, id, f, workflows.ActionWriteOff, "written-off", rules, func(ctx context.Context) (workflows.UpdateResult, error) {
		return s.opts.API.WriteOff(ctx, u, id, req)
	})
}

// answersToRead are an application's answers by question id, written out, as submitted (the
// frozen copy) or, before a copy was kept, as saved under the current form: what an assessor
// reads beside each criterion.
func (s *Server) answersToRead(c *gin.Context, d apiv1.ApplicationDetail) (map[string]questions.Row, error) {
	u, _ := currentUser(c)
	var form questions.Form
	answers := d.Answers
	sub, err := s.opts.API.Submitted(c.Request.Context(), u, d.ID)
	switch {
	case err == nil:
		form, answers = sub.Form, sub.Answers
	case httperr.From(err).Status == http.StatusNotFound:
		sc, err := s.opts.Store.Scheme(c.Request.Context(), d.SchemeID)
		if err != nil {
			return nil, err
		}
		if form, err = s.opts.API.FormOf(c.Request.Context(), sc, d.RoundID); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	out := map[string]questions.Row{}
	for _, sec := range questions.Summarise(form, answers) {
		for _, r := range sec.Rows {
			out[r.ID] = r
		}
	}
	return out, nil
}

// workflowLink is the workflow's page in the Temporal Web UI, each part escaped as one path
// segment; "" without a UI or a workflow.
func (s *Server) workflowLink(workflowID string) string {
	if s.opts.TemporalUI == "" || workflowID == "" {
		return ""
	}
	ns := s.opts.TemporalNamespace
	if ns == "" {
		ns = "default"
	}
	return s.opts.TemporalUI + "/namespaces/" + url.PathEscape(ns) + "/workflows/" + url.PathEscape(workflowID)
}
