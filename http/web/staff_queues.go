package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// The staff's work queues: what is waiting at each stage, read from the read model, oldest first.
// Staff may see every application (the API's visibility rule), so nothing here is filtered by
// organisation; an assessor's assessment queue is narrowed to what needs their own scores.

// workPage is what work.html shows.
type workPage struct {
	Queues  []workQueue
	Schemes []schemeLink
}

type workQueue struct {
	ID      string // the section's id, for the contents links
	Heading string
	Caption string
	Empty   string
	Note    string // the heading of the column saying what is due, "" for none
	Rows    []queueRow
	Pages   pagination // the queue's neighbouring pages: the stages' queues are read a page at a time
}

// pagedQueues are the queues of applications at a stage, read a page at a time by their id.
var pagedQueues = []struct {
	id     string
	stages []string
}{
	{"screening", []string{string(workflows.StageSubmitted), string(workflows.StageScreening)}},
	{"assessment", []string{string(workflows.StageAssessment)}},
	{"moderation", []string{string(workflows.StageModeration)}},
	{"decision", []string{string(workflows.StageDecision)}},
}

type queueRow struct {
	ID                                  int64
	Title, Organisation, Scheme, Amount string
	Submitted, Waiting, Note            string
	CaseOfficer                         string        // "" when nobody is assigned
	waited                              time.Duration // for ordering: longest first
}

type schemeLink struct {
	Name, Href string
}

// workQueues lists each stage's queue for the signed-in member of staff.
func (s *Server) workQueues(c *gin.Context) {
	ctx := c.Request.Context()
	u, _ := currentUser(c)
	now := s.now()
	st := s.opts.Store
	byStatus := map[workflows.Stage][]store.Application{}
	var ids []int64
	keep := func(a store.Application) error {
		byStatus[workflows.Stage(a.Status)] = append(byStatus[workflows.Stage(a.Status)], a)
		ids = append(ids, a.ID)
		return nil
	}
	// The stages' queues a page at a time, longest in the system first, each with its own links.
	q := c.Request.URL.Query()
	pages := map[string]pagination{}
	for _, queue := range pagedQueues {
		pg := pager{Prefix: queue.id + "-", Anchor: queue.id}
		search := store.ApplicationSearch{Statuses: queue.stages, OldestFirst: true}
		if u.Role == scheme.RoleAssessor && queue.id == "assessment" {
			// An assessor scores a service application only from its panel, and nothing they are
			// conflicted in: the query leaves those out, so each page is full while more wait.
			search.ForAssessor = u.ID
		}
		found, _, err := firstPageIfBadCursor(pg.request(q, store.DefaultPageSize), func(p store.PageRequest) (store.SearchPage, error) {
			search.Page = p
			return st.SearchApplications(ctx, search)
		})
		if err != nil {
			s.serverError(c, err)
			return
		}
		for _, a := range found.Applications {
			keep(a)
		}
		pages[queue.id] = pg.links("Pages of this queue", "/work", q, found.Links)
	}
	// Returns and reports come from every service award in delivery and every report awaiting
	// review or overdue: what is due is worked out from each award's timetable, so these are read whole.
	err := st.EachApplication(ctx, store.ApplicationSearch{Statuses: []string{string(workflows.StageReportSubmitted), string(workflows.StageFinalSubmitted)}}, keep)
	if err == nil {
		err = st.EachApplication(ctx, store.ApplicationSearch{ServiceOnly: true, Statuses: []string{string(workflows.StageAccepted),
			string(workflows.StageActive), string(workflows.StageVariationOffered), string(workflows.StageFinalReport)}}, keep)
	}
	if err == nil {
		err = st.EachApplication(ctx, store.ApplicationSearch{ReportOverdue: true, Statuses: []string{string(workflows.StagePaid)}}, keep)
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	since, err := st.StageSince(ctx, ids)
	if err != nil {
		s.serverError(c, err)
		return
	}
	schemes, err := st.Schemes(ctx)
	if err != nil {
		s.serverError(c, err)
		return
	}
	rules := map[int64]scheme.Rules{}
	data := workPage{}
	for _, sc := range schemes {
		rules[sc.ID] = sc.Rules
		data.Schemes = append(data.Schemes, schemeLink{Name: sc.Name, Href: fmt.Sprintf("/schemes/%d/budget", sc.ID)})
	}
	row := func(a store.Application, from time.Time, note string) queueRow {
		r := queueRow{ID: a.ID, Title: a.Title, Organisation: a.Organisation, Scheme: a.Scheme, Amount: a.AmountRequested.String(),
			Submitted: "Not recorded", Note: note, waited: now.Sub(from)}
		if r.Title == "" {
			r.Title = "Untitled application"
		}
		if a.SubmittedAt != nil {
			r.Submitted = dateOnly(*a.SubmittedAt)
		}
		if a.CaseOfficer != nil {
			r.CaseOfficer = *a.CaseOfficer
			// The head sees who is away: their escalations come to the head too (store.recipients).
			if away := a.CaseOfficerAway; away != nil && away.Format(time.DateOnly) >= now.In(scheme.London).Format(time.DateOnly) {
				r.CaseOfficer += " (away until " + away.Format("2 January 2006") + ")"
			}
		}
		r.Waiting = waitedFor(r.waited)
		return r
	}
	stageRows := func(stages ...workflows.Stage) []queueRow {
		var rows []queueRow
		for _, stage := range stages {
			for _, a := range byStatus[stage] {
				rows = append(rows, row(a, since[a.ID], ""))
			}
		}
		return rows
	}

	// Assessment: a service application's panel is named first, then its members score.
	var assessing []int64
	for _, a := range byStatus[workflows.StageAssessment] {
		assessing = append(assessing, a.ID)
	}
	panels, err := st.PanelsProgress(ctx, assessing)
	if err != nil {
		s.serverError(c, err)
		return
	}
	conflicts, err := st.ConflictsOf(ctx, u.ID)
	if err != nil {
		s.serverError(c, err)
		return
	}
	var assessment []queueRow
	for _, a := range byStatus[workflows.StageAssessment] {
		p, service := panels[a.ID], len(a.ServiceJSON) > 0
		mine, conflicted := slices.Contains(p.Waiting, u.ID), slices.Contains(conflicts, a.ID)
		note := "Score the application"
		switch {
		case conflicted:
			note = "You declared a conflict of interest"
		case mine:
			note = "Your scores are needed"
		case service && p.Members == 0:
			note = "Name the assessment panel"
		case service:
			note = fmt.Sprintf("Panel scoring: %d of %d scored", p.Scored, p.Members)
		}
		assessment = append(assessment, row(a, since[a.ID], note))
	}

	// Returns and reports awaiting review; returns and reports overdue.
	var delivering []store.Application
	for _, stage := range []workflows.Stage{workflows.StageAccepted, workflows.StageActive, workflows.StageVariationOffered, workflows.StageFinalReport} {
		for _, a := range byStatus[stage] {
			if len(a.ServiceJSON) > 0 {
				delivering = append(delivering, a)
			}
		}
	}
	var deliveringIDs []int64
	for _, a := range delivering {
		deliveringIDs = append(deliveringIDs, a.ID)
	}
	returns, err := st.LatestReturns(ctx, deliveringIDs)
	if err != nil {
		s.serverError(c, err)
		return
	}
	years, err := st.AwardYearsByApplication(ctx, deliveringIDs)
	if err != nil {
		s.serverError(c, err)
		return
	}
	ended, err := st.AwardsEndedEarly(ctx, deliveringIDs)
	if err != nil {
		s.serverError(c, err)
		return
	}
	starts, err := st.AwardStartDates(ctx, deliveringIDs)
	if err != nil {
		s.serverError(c, err)
		return
	}
	waived, err := st.ReturnWaiversByApplication(ctx, deliveringIDs)
	if err != nil {
		s.serverError(c, err)
		return
	}
	latest := map[int64]map[workflows.Quarter]store.LatestReturn{}
	for _, r := range returns {
		if latest[r.ApplicationID] == nil {
			latest[r.ApplicationID] = map[workflows.Quarter]store.LatestReturn{}
		}
		latest[r.ApplicationID][workflows.Quarter{FY: r.FinancialYear, Q: r.Quarter}] = r
	}
	var review, overdue []queueRow
	for _, a := range delivering {
		// The workflow's own timetable of returns says which quarters are due and when, and which
		// are not required after an early ending.
		sent := map[workflows.Quarter]string{}
		for q, r := range latest[a.ID] {
			sent[q] = ""
			if r.ReviewOutcome != nil {
				sent[q] = *r.ReviewOutcome
			}
		}
		for _, w := range waived[a.ID] {
			sent[workflows.Quarter{FY: w.FinancialYear, Q: w.Quarter}] = workflows.ReturnWaived
		}
		for _, planned := range workflows.ReturnTimetable(rules[a.SchemeID], years[a.ID], workflows.StoredStart(years[a.ID], starts[a.ID]), sent, ended[a.ID]) {
			switch r := latest[a.ID][planned.Quarter]; {
			case planned.Status == workflows.ReturnSubmitted:
				review = append(review, row(a, r.SubmittedAt, fmt.Sprintf("%s monitoring return (version %d)", planned.Quarter.Label(), r.Version)))
			case !now.Before(planned.Due) && (planned.Status == workflows.ReturnAwaiting || planned.Status == workflows.ReturnChangesRequested):
				o := row(a, planned.Due, fmt.Sprintf("%s monitoring return, due %s", planned.Quarter.Label(), dateOnly(planned.Due)))
				o.Waiting = "Overdue by " + waitedFor(o.waited)
				overdue = append(overdue, o)
			}
		}
	}
	for _, a := range byStatus[workflows.StageReportSubmitted] {
		review = append(review, row(a, since[a.ID], "End-of-grant report"))
	}
	for _, a := range byStatus[workflows.StageFinalSubmitted] {
		review = append(review, row(a, since[a.ID], "Final report"))
	}
	for _, a := range byStatus[workflows.StagePaid] {
		if a.ReportOverdue { // flagged by the workflow when the due date passed
			o := row(a, a.UpdatedAt, "End-of-grant report")
			o.Waiting = "Flagged " + dateOnly(a.UpdatedAt)
			overdue = append(overdue, o)
		}
	}

	assessmentQueue := workQueue{ID: "assessment", Heading: "Assessment", Caption: "Applications being assessed", Note: "What is needed",
		Empty: "No applications are being assessed.", Rows: assessment}
	if u.Role == scheme.RoleAssessor {
		assessmentQueue.Heading, assessmentQueue.Caption, assessmentQueue.Empty = "Awaiting your scores", "Applications awaiting your scores",
			"No applications are waiting for your scores."
	}
	assessmentQueue.Pages = pages["assessment"]
	data.Queues = []workQueue{
		{ID: "screening", Heading: "Awaiting screening", Caption: "Applications awaiting eligibility screening",
			Empty: "No applications are awaiting screening.", Rows: stageRows(workflows.StageSubmitted, workflows.StageScreening), Pages: pages["screening"]},
		assessmentQueue,
		{ID: "moderation", Heading: "Moderation", Caption: "Applications awaiting panel moderation",
			Empty: "No applications are awaiting moderation.", Rows: stageRows(workflows.StageModeration), Pages: pages["moderation"]},
		{ID: "decision", Heading: "Decision", Caption: "Applications awaiting a decision",
			Empty: "No applications are awaiting a decision.", Rows: stageRows(workflows.StageDecision), Pages: pages["decision"]},
		{ID: "review", Heading: "Returns and reports to review", Caption: "Monitoring returns and reports awaiting review", Note: "To review",
			Empty: "No returns or reports are awaiting review.", Rows: review},
		{ID: "overdue", Heading: "Overdue", Caption: "Overdue returns and reports", Note: "What is overdue",
			Empty: "Nothing is overdue.", Rows: overdue},
	}
	for i := range data.Queues {
		slices.SortStableFunc(data.Queues[i].Rows, func(a, b queueRow) int { return cmp.Compare(b.waited, a.waited) })
	}
	s.render(c, http.StatusOK, "work", page{Title: "Work queues", Nav: "work", Data: data})
}

// waitedFor says how long something has waited, in days.
func waitedFor(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	switch {
	case days < 1:
		return "Less than a day"
	case days == 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", days)
}

// budgetPage is what budget.html shows.
type budgetPage struct {
	SchemeID int64
	Scheme   string
	Years    []budgetYear
	Total    budgetYear
	Changes  []budgetChangeLine
	MaySet   bool     // the person manages schemes: the set/adjust form is shown
	FYs      []option // financial years the form offers
	Saved    bool
}

type budgetYear struct {
	Label                                              string
	Budget, Committed, Paid, Released, Held, Remaining string
}

type budgetChangeLine struct {
	Year, At, By, Before, After, Committed, Reason string
}

// schemeBudget shows a scheme's budget per financial year, as GET /api/v1/schemes/{id}/years does,
// with every change to it and, for those who manage schemes, the form to set or adjust a year.
func (s *Server) schemeBudget(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	s.renderBudget(c, http.StatusOK, id, nil)
}

func (s *Server) renderBudget(c *gin.Context, status int, id int64, f *form) {
	u, _ := currentUser(c)
	ctx := c.Request.Context()
	years, err := s.opts.API.SchemeYears(ctx, u, id)
	if err != nil {
		s.failRead(c, err)
		return
	}
	sc, err := s.opts.Store.Scheme(ctx, id)
	if err != nil {
		s.serverError(c, err)
		return
	}
	changes, err := s.opts.API.BudgetHistory(ctx, u, id)
	if err != nil {
		s.serverError(c, err)
		return
	}
	data := budgetPage{SchemeID: id, Scheme: sc.Name, MaySet: u.Role.ManagesSchemes(), Saved: c.Query("saved") != "" && f == nil}
	var total store.SchemeYear
	for _, y := range years {
		data.Years = append(data.Years, budgetYearOf(scheme.FinancialYearLabel(y.FinancialYear), y))
		total.Budget += y.Budget
		total.Committed += y.Committed
		total.Paid += y.Paid
		total.Released += y.Released
		total.Held += y.Held
		total.Uncommitted += y.Uncommitted
	}
	data.Total = budgetYearOf("Total", total)
	for _, ch := range changes {
		line := budgetChangeLine{Year: scheme.FinancialYearLabel(ch.FinancialYear), At: dateTime(ch.At), By: ch.ActorName + " (" + scheme.Role(ch.ActorRole).Title() + ")",
			Before: "Not set", After: ch.After.String(), Committed: ch.Committed.String(), Reason: ch.Reason}
		if ch.Before != nil {
			line.Before = ch.Before.String()
		}
		data.Changes = append(data.Changes, line)
	}
	this := scheme.FinancialYear(s.now())
	for fy := this - 1; fy <= this+5; fy++ {
		data.FYs = append(data.FYs, option{Value: strconv.Itoa(fy), Label: scheme.FinancialYearLabel(fy)})
	}
	s.render(c, status, "budget", page{Title: sc.Name + " budget", Nav: "work", Form: f, Data: data})
}

func budgetYearOf(label string, y store.SchemeYear) budgetYear {
	return budgetYear{Label: label, Budget: y.Budget.String(), Committed: y.Committed.String(), Paid: y.Paid.String(),
		Released: y.Released.String(), Held: y.Held.String(), Remaining: y.Uncommitted.String()}
}
