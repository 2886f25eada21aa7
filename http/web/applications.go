package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// applicationsPage is an organisation's applications with what each needs from it next.
type applicationsPage struct {
	Organisation string
	Rows         []applicationRow
	Registered   bool         // just registered: say so
	Open         []schemeView // the rounds open now, each with a start
	NoOrg        bool         // a member of no organisation (they left it): nothing to start from
	Pages        pagination
	SearchBox    searchBox
	Shown        string // "3 applications", "Showing 1 to 50 of 60 applications"
	ByReference  bool   // the search is (part of) an application reference: say references match whole
}

// applicantCountUpTo is as far as an applicant's list counts its applications.
const applicantCountUpTo = 10000

type applicationRow struct {
	ID        int64
	Path      string // the draft's form, or the application's page once submitted
	Title     string
	Scheme    string
	Amount    string
	Status    string
	TagClass  string
	Submitted string
	NextStep  string
	Overdue   bool
}

// applications lists the signed-in applicant's organisation's applications, as GET
// /api/v1/applications does for them, with each one's next step.
func (s *Server) applications(c *gin.Context) {
	u, _ := currentUser(c)
	data := applicationsPage{Registered: c.Query("registered") != ""}
	if u.Role != scheme.RoleApplicant { // staff start from their queues
		c.Redirect(http.StatusSeeOther, homeFor(c))
		return
	}
	ctx := c.Request.Context()
	if len(u.Organisations) > 0 {
		org, err := s.opts.Store.Organisation(ctx, u.Organisations[0])
		if err != nil {
			s.serverError(c, err)
			return
		}
		data.Organisation = org.Name
		q := c.Request.URL.Query()
		data.SearchBox = newSearchBox("/applications", "q", "Search your applications",
			"A whole application reference, like APP-000123, or part of an award reference or a title", q)
		search := store.ApplicationSearch{OrganisationID: org.ID, Text: data.SearchBox.Value, CountUpTo: applicantCountUpTo}
		found, p, err := firstPageIfBadCursor(pageRequest(q, store.DefaultPageSize), func(p store.PageRequest) (store.SearchPage, error) {
			search.Page = p
			return s.opts.Store.SearchApplications(ctx, search)
		})
		if err != nil {
			s.serverError(c, err)
			return
		}
		for _, a := range found.Applications {
			data.Rows = append(data.Rows, rowFor(a))
		}
		start := pager{}.pageStart(q, p)
		if len(found.Applications) > 0 {
			data.Shown = showing(start, len(found.Applications), found.Total, found.Capped, "application", "applications")
		}
		data.ByReference = store.LooksLikeReference(search.Text)
		keep := url.Values{}
		if search.Text != "" {
			keep.Set("q", search.Text)
		}
		data.Pages = pager{}.numbered(paginationOf("Pages of your applications", "/applications", keep, found.Links), found.Links, start, len(found.Applications), store.DefaultPageSize)
	}
	if len(u.Organisations) == 0 { // an application is an organisation's: no start buttons that lead nowhere
		data.NoOrg = true
		s.render(c, http.StatusOK, "applications", page{Title: "Your applications", Nav: "applications", Data: data})
		return
	}
	open, err := s.openSchemes(ctx)
	if err != nil {
		s.serverError(c, err)
		return
	}
	data.Open = open
	f, status := &form{values: c.Request.URL.Query()}, http.StatusOK
	if data.SearchBox.Error != "" {
		f.add("q", data.SearchBox.Error)
		status = http.StatusUnprocessableEntity
	}
	s.render(c, status, "applications", page{Title: "Your applications", Nav: "applications", Form: f, Data: data})
}

func rowFor(a store.Application) applicationRow {
	label, tag := statusLabel(workflows.Stage(a.Status))
	r := applicationRow{ID: a.ID, Path: applicationPath(a.ID), Title: a.Title, Scheme: a.Scheme, Status: label, TagClass: tag, Overdue: a.ReportOverdue,
		NextStep: nextStep(apiv1.MemberActions(a))}
	if workflows.Stage(a.Status) == workflows.StageDraft {
		r.Path += "/edit"
	}
	if r.Title == "" {
		r.Title = "Untitled application"
	}
	if a.AmountRequested > 0 {
		r.Amount = a.AmountRequested.String()
	}
	if a.SubmittedAt != nil {
		r.Submitted = a.SubmittedAt.In(scheme.London).Format("2 January 2006")
	}
	return r
}

// nextStep says the actions in words.
// owedByApplicant says whether an action is something the applicant has to do: changing bank details is
// offered while payments are due, but nobody is waiting for it.
func owedByApplicant(a workflows.Action) bool { return a != workflows.ActionChangeBankDetails }

func nextStep(actions []workflows.Action) string {
	var steps []string
	for _, a := range actions {
		switch a {
		case workflows.ActionSubmit:
			steps = append(steps, "Finish and submit your application")
		case workflows.ActionAnswerInformation:
			steps = append(steps, "Answer the questions we have asked you")
		case workflows.ActionAcceptOffer:
			steps = append(steps, "Accept the offer of a grant")
		case workflows.ActionAcceptVariation:
			steps = append(steps, "Accept the varied grant agreement")
		case workflows.ActionSubmitReturn:
			steps = append(steps, "Send your monitoring return")
		case workflows.ActionSubmitReport:
			steps = append(steps, "Send your report")
		}
	}
	return strings.Join(steps, "; ")
}

// statusLabel names a stage for applicants, with the colour of its GOV.UK tag.
func statusLabel(stage workflows.Stage) (label, tagClass string) {
	switch stage {
	case workflows.StageDraft:
		return "Draft", "govuk-tag--grey"
	case workflows.StageSubmitted:
		return "Submitted", "govuk-tag--blue"
	case workflows.StageScreening:
		return "Checking eligibility", "govuk-tag--blue"
	case workflows.StageIneligible:
		return "Not eligible", "govuk-tag--red"
	case workflows.StageAssessment, workflows.StageModeration:
		return "Being assessed", "govuk-tag--light-blue"
	case workflows.StageDecision:
		return "Awaiting decision", "govuk-tag--light-blue"
	case workflows.StageInformationRequested:
		return "Information requested", "govuk-tag--yellow"
	case workflows.StageDeclined:
		return "Not funded", "govuk-tag--red"
	case workflows.StageApproved:
		return "Approved", "govuk-tag--green"
	case workflows.StageOffered:
		return "Offer made", "govuk-tag--purple"
	case workflows.StageLapsed:
		return "Offer lapsed", "govuk-tag--orange"
	case workflows.StageAccepted:
		return "Offer accepted", "govuk-tag--green"
	case workflows.StageActive:
		return "Funded", "govuk-tag--green"
	case workflows.StageVariationOffered:
		return "Varied: to accept", "govuk-tag--purple"
	case workflows.StagePaid:
		return "Paid", "govuk-tag--green"
	case workflows.StageReportSubmitted, workflows.StageFinalSubmitted:
		return "Report sent", "govuk-tag--blue"
	case workflows.StageFinalReport:
		return "Final report due", "govuk-tag--yellow"
	case workflows.StageTerminatedEarly:
		return "Ended early", "govuk-tag--orange"
	case workflows.StageRecovery:
		return "Underspend to repay", "govuk-tag--orange"
	case workflows.StageClosed:
		return "Closed", "govuk-tag--grey"
	}
	return upperFirst(strings.ReplaceAll(string(stage), "_", " ")), "govuk-tag--grey"
}
