package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/grant"
	"grantflow/http/apiv1"
	"grantflow/http/headers"
	"grantflow/http/httperr"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// One application's page, for the members of its organisation and for staff alike. Everything on
// it comes from the JSON API's own view (apiv1.Server.Application), which has already left out
// what this person may not see (another organisation's application is not found; scores, the
// decision pack and finance's notices are for staff), so the page shows what it is given.

// applicationView is what application-page.html shows. Detail, Staff and Done are also read by
// the staff section (_staff.html); the rest is Detail laid out for people.
type applicationView struct {
	Detail apiv1.ApplicationDetail
	Staff  any    // what staffPanel made of the application, for staff only
	Done   string // the confirmation of the step just taken, if any

	Member      bool // the person belongs to the applicant organisation
	Title       string
	Status      string
	TagClass    string
	NextStep    string // what the member needs to do, in words; "" when nothing
	WhatNext    string // what happens at this stage
	Submitted   string
	Reference   string // the application's reference, once submitted (as the confirmation gave it)
	EditPath    string // a draft's form
	UploadsPath string

	// Progress is where the application stands, milestone by milestone; none for a draft.
	Progress []progressStep
	Answers  []summaryRow
	// Form is the grassroots form's answers beyond the project details, section by section: as
	// submitted once there is a recorded submission, else as saved. SubmittedCopy is the frozen
	// copy's page, once there is one.
	Form          []answersSection
	SubmittedCopy string
	Service       *serviceView
	Timeline      []eventView
	Documents     []documentView
	Award         *awardView
	Payments      []paymentView
	Bank          *bankSection // masked bank details, with the change and call-back forms offered
	Finance       *awardFinanceView
	Requests      []requestView
	Reports       []reportView
	Returns       []returnView
	// ReturnsDue is the award's timetable of monitoring returns, each quarter with its status.
	ReturnsDue []returnDueView
	// Recovery is an underspend owed back after the final report, and how its repayment stands.
	Recovery *recoveryView

	// The applicant's forms (_applicant.html), each present only when the API offers the step.
	Answer *answerForm
	Offer  *offerForm
	// Variation is a varied grant agreement to accept.
	Variation *variationForm
	Report    *reportForm
	Return    *returnForm
}

type summaryRow struct{ Key, Value string }

type serviceView struct {
	Name, Description string
	Wards             []string
	Years             []summaryRow // financial year and amount asked for
	Total             string
	ProposedStart     string // the start date the applicant proposes; "" if none
	Indicators        []indicatorView
	Safeguarding      []summaryRow
	Governance        []summaryRow
}

type indicatorView struct{ Outcome, Name, Unit, Target string }

type eventView struct{ At, What, Who, Why, Link string } // Link: where the line's record can be read, if anywhere

type documentView struct {
	ID               int64
	Kind, Name, Date string
}

type awardView struct {
	Reference, Amount, Purpose, AcceptBy, AcceptedAt string
	Conditions, ConditionsPrecedent                  []string
	ConditionsMet                                    string
	StartDate, EndDate                               string
	EndedEarly, Cancelled                            string // an award ended early: the day, and what the ending took off it
}

type paymentView struct {
	Tranche                   int
	Amount, PaidOn, Reference string
}

type awardFinanceView struct {
	Years    []apiv1.YearFinance
	Total    apiv1.YearFinance
	Tranches []trancheView
}

type trancheView struct {
	No                                   int
	Quarter, Due, Amount, Status, Reason string
	TagClass                             string
}

type requestView struct {
	Question, Deadline, Answer, AnsweredAt string
	Lapsed                                 bool
}

type reportView struct {
	Submitted, Summary, Outcomes, Spent   string
	Review, ReviewComment, ReviewTagClass string
	Reached                               *reachedView // who the project reached; nil when the report does not say
}

type returnDueView struct{ Quarter, Due, Status, TagClass string }

// returnsTable is a table of quarters' returns with their status: the award's timetable, or the
// returns missing at the final review. Size is the caption's: "m" or "s".
type returnsTable struct {
	Caption, Size string
	Rows          []returnDueView
}

// recoveryView is an underspend owed back: how much, how much is repaid or written off, by when,
// the reference to quote and the provider's repayment letter.
type recoveryView struct {
	Reference, Owed, Repaid, WrittenOff, Outstanding, DueOn string
	Overdue, Settled                                        bool
	WriteOffReason                                          string
	LetterID                                                int64
	Repayments                                              []paymentView
}

type returnView struct {
	Quarter, Submitted, Review, ReviewTagClass, RAG, Comment, Narrative string
	Version                                                             int
}

// dateOnly writes a day as people read it.
func dateOnly(t time.Time) string { return t.In(scheme.London).Format("2 January 2006") }

// dateTime writes a moment as people read it.
func dateTime(t time.Time) string { return t.In(scheme.London).Format("2 January 2006 at 3:04pm") }

// applicationPage shows the application, with a confirmation when a step has just been taken.
func (s *Server) applicationPage(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	s.renderApplication(c, id, nil, http.StatusOK)
}

// renderApplication shows the application page for the signed-in person with the form given
// (what they sent and what is wrong with it; nil for none) and the status: the staff and
// applicant forms call it to show their errors. An application the person may not see is not found.
func (s *Server) renderApplication(c *gin.Context, id int64, f *form, status int) {
	u, _ := currentUser(c)
	d, err := s.opts.API.Application(c.Request.Context(), u, id)
	if err != nil {
		s.failRead(c, err)
		return
	}
	s.showApplication(c, d, f, status)
}

// failRead answers a read the API refused: not found (the only refusal a read gives) or sorry.
func (s *Server) failRead(c *gin.Context, err error) {
	if httperr.From(err).Status < 500 {
		s.notFound(c)
		return
	}
	s.serverError(c, err)
}

// showApplication renders an application already read for this person.
func (s *Server) showApplication(c *gin.Context, d apiv1.ApplicationDetail, f *form, status int) {
	u, _ := currentUser(c)
	v, err := s.applicationViewOf(c, d)
	if err != nil {
		s.serverError(c, err)
		return
	}
	if u.Role.IsStaff() {
		if v.Staff, err = s.staffPanel(c, d); err != nil {
			s.serverError(c, err)
			return
		}
	}
	s.render(c, status, "application-page", page{Title: v.Title, Nav: navOf(u), Form: f, Data: v})
}

// applicationViewOf lays the API's view out for the page, adding the award's money per year
// (service awards) and, for members, the forms of the steps offered to them.
func (s *Server) applicationViewOf(c *gin.Context, d apiv1.ApplicationDetail) (applicationView, error) {
	u, _ := currentUser(c)
	stage := workflows.Stage(d.Status)
	v := applicationView{Detail: d, Done: doneMessages[c.Query("done")], Member: u.MemberOf(d.OrganisationID), Title: d.Title,
		WhatNext: whatNext(stage, d.Service != nil), UploadsPath: applicationPath(d.ID) + "/uploads"}
	if v.Title == "" {
		v.Title = "Untitled application"
	}
	v.Status, v.TagClass = statusLabel(stage)
	if v.Member {
		v.NextStep = nextStep(d.Actions)
	}
	if stage == workflows.StageDraft && slices.Contains(d.Actions, workflows.ActionUpdate) {
		v.EditPath = applicationPath(d.ID) + "/edit"
	}
	if d.SubmittedAt != nil {
		v.Submitted = dateOnly(*d.SubmittedAt)
		v.Reference = applicationReference(d.ID)
	}
	kind := scheme.Grassroots
	if d.Service != nil {
		kind = scheme.Service
	}
	v.Progress = progressOf(kind, stage)
	v.Answers = answersOf(d)
	if d.Service != nil {
		v.Service = serviceViewOf(d)
	} else if err := s.formAnswers(c, d, &v); err != nil {
		return v, err
	}
	if v.EditPath != "" && d.Service == nil {
		v.EditPath = tasksPath(d.ID)
	}
	// Newest first: what happened last is what people come to see.
	for i := len(d.Timeline) - 1; i >= 0; i-- {
		e := d.Timeline[i]
		who := e.ActorName
		if role := roleName(e.ActorRole); role != "" && role != who {
			who += " (" + role + ")"
		}
		ev := eventView{At: dateTime(e.At), What: e.What, Who: who, Why: e.Why}
		if e.What == store.WhatSubmitted {
			ev.Link = submittedAnswersPath(d.ID)
		}
		v.Timeline = append(v.Timeline, ev)
	}
	for _, doc := range d.Documents {
		name := documentName(doc.Kind)
		if doc.Version > 1 {
			name += fmt.Sprintf(" (version %d)", doc.Version)
		}
		v.Documents = append(v.Documents, documentView{ID: doc.ID, Kind: doc.Kind, Name: name, Date: dateOnly(doc.CreatedAt)})
	}
	if d.Award != nil {
		a := d.Award
		aw := &awardView{Reference: a.Reference, Amount: a.Amount.String(), Purpose: a.Purpose, AcceptBy: dateOnly(a.AcceptBy)}
		if a.AcceptedAt != nil {
			aw.AcceptedAt = dateOnly(*a.AcceptedAt)
		}
		if a.ConditionsMetAt != nil {
			aw.ConditionsMet = dateOnly(*a.ConditionsMetAt)
		}
		if a.StartDate != nil {
			aw.StartDate = dateOnly(*a.StartDate)
		}
		if a.EndDate != nil {
			aw.EndDate = dateOnly(*a.EndDate)
		}
		if a.EndedEarlyOn != nil {
			aw.EndedEarly = dateOnly(*a.EndedEarlyOn)
		}
		if a.Cancelled != nil {
			aw.Cancelled = a.Cancelled.String()
		}
		if err := decodeJSON(a.Conditions, &aw.Conditions); err != nil {
			return v, err
		}
		if err := decodeJSON(a.ConditionsPrecedent, &aw.ConditionsPrecedent); err != nil {
			return v, err
		}
		v.Award = aw
		if d.Service != nil { // the figures GET /applications/{id}/finance gives, from what the view holds
			v.Finance = awardFinanceOf(apiv1.FinanceOf(*a, d.AwardYears, d.Tranches))
		}
	}
	for _, p := range d.Payments {
		v.Payments = append(v.Payments, paymentView{Tranche: p.Tranche, Amount: p.Amount.String(), PaidOn: dateOnly(p.PaidOn), Reference: p.Reference})
	}
	for _, r := range d.InformationRequests {
		rv := requestView{Question: r.Question, Deadline: dateOnly(r.Deadline), Lapsed: r.Lapsed}
		if r.Answer != nil {
			rv.Answer = *r.Answer
		}
		if r.AnsweredAt != nil {
			rv.AnsweredAt = dateOnly(*r.AnsweredAt)
		}
		v.Requests = append(v.Requests, rv)
	}
	for _, r := range d.Reports {
		rv := reportView{Submitted: dateOnly(r.SubmittedAt), Summary: r.Summary, Outcomes: r.Outcomes, Spent: r.Spent.String()}
		if len(r.Beneficiaries) > 0 {
			var rows []workflows.BeneficiaryCount
			if err := json.Unmarshal(r.Beneficiaries, &rows); err != nil {
				return v, fmt.Errorf("application %d: report %d: beneficiaries: %w", d.ID, r.Version, err)
			}
			rv.Reached = reachedViewOf(fmt.Sprintf("People the project reached: report version %d, sent %s", r.Version, rv.Submitted), rows)
		}
		rv.Review, rv.ReviewTagClass = reviewLabel(r.ReviewOutcome)
		if r.ReviewComment != nil {
			rv.ReviewComment = *r.ReviewComment
		}
		v.Reports = append(v.Reports, rv)
	}
	for _, r := range d.Returns {
		q := workflows.Quarter{FY: r.FinancialYear, Q: r.Quarter}
		rv := returnView{Quarter: q.Label(), Version: r.Version, Submitted: dateOnly(r.SubmittedAt)}
		rv.Review, rv.ReviewTagClass = reviewLabel(r.ReviewOutcome)
		if r.RAG != nil {
			rv.RAG = upperFirst(*r.RAG)
		}
		if r.ReviewComment != nil {
			rv.Comment = *r.ReviewComment
		}
		var content workflows.ReturnContent
		if err := json.Unmarshal(r.Content, &content); err != nil {
			return v, err
		}
		rv.Narrative = content.Narrative
		v.Returns = append(v.Returns, rv)
	}
	now := s.now()
	for _, r := range d.ReturnSchedule {
		rv := returnDueView{Quarter: workflows.Quarter{FY: r.FinancialYear, Q: r.Quarter}.Label(), Due: dateOnly(r.Due)}
		rv.Status, rv.TagClass = returnDueLabel(r.Status, !now.Before(r.Due))
		v.ReturnsDue = append(v.ReturnsDue, rv)
	}
	if r := d.Recovery; r != nil {
		v.Recovery = recoveryViewOf(*r, now)
	}
	if v.Member {
		if err := s.applicantForms(c.Request.Context(), &v); err != nil {
			return v, err
		}
	}
	v.Bank = bankSectionOf(d, u.Role, v.Member)
	return v, nil
}

// recoveryViewOf lays out a recovery; it is overdue once its due date has passed with money owed.
func recoveryViewOf(r apiv1.RecoveryView, now time.Time) *recoveryView {
	v := &recoveryView{Reference: r.Reference, Owed: r.Owed.String(), Repaid: r.Repaid.String(), Outstanding: r.Outstanding.String(),
		DueOn: isoDate(r.DueOn), Settled: r.Outstanding == 0, WriteOffReason: r.WriteOffReason}
	if r.WrittenOff > 0 {
		v.WrittenOff = r.WrittenOff.String()
	}
	if r.LetterID != nil {
		v.LetterID = *r.LetterID
	}
	v.Overdue = !v.Settled && now.In(scheme.London).Format(time.DateOnly) > r.DueOn
	for _, p := range r.Repayments {
		v.Repayments = append(v.Repayments, paymentView{Tranche: p.Seq, Amount: p.Amount.String(), PaidOn: dateOnly(p.ReceivedOn), Reference: p.Reference})
	}
	return v
}

// returnDueLabel names a quarter's return status on the award's timetable for people.
func returnDueLabel(status string, pastDue bool) (string, string) {
	switch status {
	case workflows.ReturnSubmitted:
		return "Awaiting review", "govuk-tag--blue"
	case workflows.ReturnAccepted:
		return "Accepted", "govuk-tag--green"
	case workflows.ReturnChangesRequested:
		return "Changes requested", "govuk-tag--orange"
	case workflows.ReturnNotRequired:
		return "Not required", "govuk-tag--grey"
	case workflows.ReturnWaived:
		return "Waived", "govuk-tag--grey"
	}
	if pastDue {
		return "Overdue", "govuk-tag--red"
	}
	return "Not sent yet", "govuk-tag--grey"
}

// roleName names the role someone acted in, as the letters do; the system's own steps need none.
func roleName(role string) string {
	if scheme.Role(role) == grant.System.Role {
		return ""
	}
	return scheme.Role(role).Title()
}

// answersOf are the application's answers as a summary list.
func answersOf(d apiv1.ApplicationDetail) []summaryRow {
	rows := []summaryRow{{"Organisation", d.Organisation}, {"Fund", d.Scheme}, {"What the money is for", d.Purpose}}
	if d.Service == nil {
		rows = append(rows, summaryRow{"Amount requested", d.AmountRequested.String()})
		if d.ProjectStart != "" {
			rows = append(rows, summaryRow{"Project starts", isoDate(d.ProjectStart)})
		}
		if d.ProjectEnd != "" {
			rows = append(rows, summaryRow{"Project ends", isoDate(d.ProjectEnd)})
		}
	}
	rows = append(rows, summaryRow{"Areas", strings.Join(d.Areas, ", ")}, summaryRow{"Police and Crime Plan priorities", strings.Join(d.Priorities, ", ")})
	return rows
}

// isoDate rewrites a YYYY-MM-DD date as people read it.
func isoDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("2 January 2006")
}

func serviceViewOf(d apiv1.ApplicationDetail) *serviceView {
	svc := d.Service
	v := &serviceView{Name: svc.Service, Description: svc.Description, Wards: svc.Wards, Total: svc.Total().String(), ProposedStart: isoDate(svc.StartDate)}
	for _, y := range svc.Years {
		v.Years = append(v.Years, summaryRow{scheme.FinancialYearLabel(y.FinancialYear), y.Amount.String()})
	}
	for _, o := range svc.Outcomes {
		for _, ind := range o.Indicators {
			v.Indicators = append(v.Indicators, indicatorView{Outcome: o.Outcome, Name: ind.Name, Unit: ind.Unit, Target: fmt.Sprint(ind.QuarterlyTarget)})
		}
	}
	dbs := "No"
	if svc.Safeguarding.DBSChecks {
		dbs = "Yes"
	}
	v.Safeguarding = []summaryRow{{"Safeguarding lead", svc.Safeguarding.Lead}, {"Policy last reviewed", isoDate(svc.Safeguarding.PolicyReviewedOn)},
		{"DBS checks for staff and volunteers", dbs}}
	v.Governance = []summaryRow{{"Trustees or directors", fmt.Sprint(svc.Governance.Trustees)}, {"Latest accounts", svc.Governance.LatestAccountsYear}}
	return v
}

func awardFinanceOf(fin apiv1.AwardFinance) *awardFinanceView {
	v := &awardFinanceView{Years: fin.Years, Total: fin.Total}
	for _, t := range fin.Tranches {
		tv := trancheView{No: t.No, Quarter: workflows.Quarter{FY: t.FinancialYear, Q: t.Quarter}.Label(), Due: dateOnly(t.DueOn),
			Amount: t.Amount.String(), Reason: t.HeldReason}
		tv.Status, tv.TagClass = trancheLabel(t.Status)
		v.Tranches = append(v.Tranches, tv)
	}
	return v
}

func trancheLabel(status string) (string, string) {
	switch status {
	case workflows.TranchePaid:
		return "Paid", "govuk-tag--green"
	case workflows.TrancheReleased:
		return "Being paid", "govuk-tag--blue"
	case workflows.TrancheHeld:
		return "Held", "govuk-tag--orange"
	case workflows.TrancheCancelled:
		return "Cancelled", "govuk-tag--grey"
	}
	return "Scheduled", "govuk-tag--grey"
}

// reviewLabel names an officer's review of a report or return.
func reviewLabel(outcome *string) (string, string) {
	switch {
	case outcome == nil:
		return "Awaiting review", "govuk-tag--blue"
	case *outcome == workflows.ReviewAccept:
		return "Accepted", "govuk-tag--green"
	case *outcome == workflows.ReviewRequestChanges:
		return "Changes requested", "govuk-tag--orange"
	}
	return upperFirst(strings.ReplaceAll(*outcome, "_", " ")), "govuk-tag--grey"
}

// documentName names a kind of document for people.
func documentName(kind string) string {
	switch kind {
	case "award_letter":
		return "Award letter"
	case "decline_letter":
		return "Decision letter"
	case "grant_agreement":
		return "Grant agreement"
	case "decision_record":
		return "Decision record"
	case "decision_pack":
		return "Decision pack (panel scores)"
	case "finance_award_notice":
		return "Finance award notice"
	case "revised_finance_notice":
		return "Revised finance award notice"
	case "finance_ending_notice":
		return "Finance notice: award ended early"
	case "payment_notice":
		return "Payment notice"
	case "repayment_letter":
		return "Repayment letter"
	case "recovery_notice":
		return "Recovery notice"
	}
	return upperFirst(strings.ReplaceAll(kind, "_", " "))
}

// whatNext says what happens at each stage, in words that suit applicants and staff alike.
func whatNext(stage workflows.Stage, service bool) string {
	switch stage {
	case workflows.StageDraft:
		return "The application has not been submitted yet."
	case workflows.StageSubmitted, workflows.StageScreening:
		return "The application is being checked against the fund's eligibility rules."
	case workflows.StageIneligible:
		return "The application is not eligible. The reasons are in the history below."
	case workflows.StageAssessment:
		if service {
			return "An assessment panel is scoring the application against the fund's criteria."
		}
		return "An assessor is scoring the application against the fund's criteria."
	case workflows.StageModeration:
		return "The panel's scores are being moderated and a recommendation made."
	case workflows.StageDecision:
		return "The application is waiting for a funding decision."
	case workflows.StageInformationRequested:
		return "We have asked a question about the application. It goes back to the assessor once answered."
	case workflows.StageDeclined:
		return "The application has not been funded. The decision letter gives the reasons."
	case workflows.StageApproved:
		if service {
			return "The grant has been approved and the grant agreement is being prepared."
		}
		return "The grant has been approved and the award letter is being prepared."
	case workflows.StageOffered:
		return "The offer is waiting to be accepted. It lapses if it is not accepted by the date shown."
	case workflows.StageLapsed:
		return "The offer lapsed because it was not accepted in time."
	case workflows.StageAccepted:
		if service {
			return "The offer has been accepted. Payments start once the conditions precedent are confirmed as met."
		}
		return "The offer has been accepted. Finance will make the payment."
	case workflows.StageActive:
		return "The service is funded: a payment is made each quarter, and a monitoring return is due after each quarter ends."
	case workflows.StageVariationOffered:
		return "The award has been varied. Payments not yet made wait until the provider accepts the varied grant agreement; monitoring returns are due as before."
	case workflows.StagePaid:
		return "The grant has been paid. An end-of-grant report is due after the project ends."
	case workflows.StageReportSubmitted, workflows.StageFinalSubmitted:
		return "The report is being reviewed by a commissioning officer."
	case workflows.StageFinalReport:
		return "The funded period has ended: the final report is due."
	case workflows.StageTerminatedEarly:
		return "The award has been ended early. A final report is due."
	case workflows.StageRecovery:
		return "The final report is accepted. Part of the grant was not spent and must be repaid: the repayment letter says how much, how and by when. The grant closes once it is repaid."
	case workflows.StageClosed:
		return "The grant is closed."
	}
	return ""
}

// downloadDocument sends a letter, agreement or record the person may read; any other is not found.
func (s *Server) downloadDocument(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	doc, err := s.opts.API.Document(c.Request.Context(), u, id)
	if err != nil {
		s.failRead(c, err)
		return
	}
	c.Header("Content-Disposition", headers.Attachment(doc.Filename))
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, doc.ContentType, doc.Content)
}

// formAnswers adds a grassroots application's answers beyond its project details to its page:
// the frozen copy of the submission when there is one (what was submitted, whatever happened
// since), else the answers saved.
func (s *Server) formAnswers(c *gin.Context, d apiv1.ApplicationDetail, v *applicationView) error {
	u, _ := currentUser(c)
	form, answers := questions.Form{}, d.Answers
	sub, err := s.opts.API.Submitted(c.Request.Context(), u, d.ID)
	switch {
	case err == nil:
		form, answers = sub.Form, sub.Answers
		v.SubmittedCopy = submittedAnswersPath(d.ID)
	case httperr.From(err).Status == http.StatusNotFound:
		sc, err := s.opts.Store.Scheme(c.Request.Context(), d.SchemeID)
		if err != nil {
			return err
		}
		if form, err = s.opts.API.FormOf(c.Request.Context(), sc, d.RoundID); err != nil {
			return err
		}
	default:
		return err
	}
	var rest []questions.Section
	for _, sec := range form.Sections {
		if sec.ID != questions.ProjectSection { // shown above with the application's own fields
			rest = append(rest, sec)
		}
	}
	v.Form = answersSections(questions.Form{Sections: rest}, answers, nil)
	return nil
}
