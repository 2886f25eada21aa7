package apiv1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"grantflow/grant"
	"grantflow/http/headers"
	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// DraftRequest is an application's answers as a draft holds them (POST /applications, PUT
// /applications/{id}): anything may be missing until submission.
type DraftRequest struct {
	SchemeID        int64       `json:"scheme_id"`
	RoundID         int64       `json:"round_id"`
	Title           string      `json:"title"`
	Purpose         string      `json:"purpose"`
	AmountRequested money.Pence `json:"amount_requested_pence"`
	ProjectStart    string      `json:"project_start"`
	ProjectEnd      string      `json:"project_end"`
	Areas           []string    `json:"areas"`
	Priorities      []string    `json:"priorities"`
	// Service is required for service schemes (multi-year funding) and refused for others.
	Service *grant.ServiceDetails `json:"service"`
	// Answers are a grassroots application's answers beyond the fields above, by question id
	// (package questions); nil keeps those saved, so clients that do not send them lose nothing.
	Answers questions.Answers `json:"answers"`
}

// draft checks what a draft may hold (anything may be missing until submission) and resolves the round.
func (s *Server) draft(ctx context.Context, req DraftRequest) (store.Draft, error) {
	if err := refuseBadText(req); err != nil { // bind refuses these first; the pages do not bind JSON
		return store.Draft{}, err
	}
	p := problems{}
	p.maxLen("title", req.Title, 200)
	p.maxLen("purpose", req.Purpose, 5000)
	if req.AmountRequested < 0 {
		p.add("amount_requested_pence", "cannot be negative")
	}
	start, end := p.date("project_start", req.ProjectStart), p.date("project_end", req.ProjectEnd)
	if start != nil && end != nil && !end.After(*start) {
		p.add("project_end", "must be after project_start")
	}
	if len(req.Areas) > 50 {
		p.add("areas", "lists too many areas")
	}
	if len(req.Priorities) > 50 {
		p.add("priorities", "lists too many priorities")
	}
	p.eachMaxLen("areas", req.Areas, 200)
	p.eachMaxLen("priorities", req.Priorities, 200)
	round, err := s.Store.Round(ctx, req.RoundID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.add("round_id", "is not a funding round")
	case err != nil:
		return store.Draft{}, err
	case req.SchemeID != 0 && round.SchemeID != req.SchemeID:
		p.add("round_id", "is not a round of the chosen scheme")
	case round.DraftsLockedAt != nil:
		p.add("round_id", "has closed and its drafts are locked")
	}
	var sc store.Scheme
	if (req.Service != nil || req.Answers != nil) && round.ID != 0 {
		if sc, err = s.Store.Scheme(ctx, round.SchemeID); err != nil {
			return store.Draft{}, err
		}
	}
	if req.Service != nil && round.ID != 0 {
		if sc.Kind != scheme.Service {
			p.add("service", "is only for service schemes")
		}
		checkServiceDraft(p, *req.Service)
		if sc.Kind == scheme.Service {
			checkListedWards(p, sc.Rules, "service.wards", req.Service.Wards)
		}
	}
	var answers []byte
	var wards []string // nil keeps the wards saved, as it keeps the answers
	if req.Answers != nil && round.ID != 0 {
		f, err := s.FormOf(ctx, sc, round.ID)
		if err != nil {
			return store.Draft{}, err
		}
		checkAnswers(p, f, sc, req.Answers)
		if answers, err = json.Marshal(req.Answers); err != nil {
			return store.Draft{}, err
		}
		wards = wardsAnswered(f, req.Answers)
	}
	if err := p.err(); err != nil {
		return store.Draft{}, err
	}
	return store.Draft{SchemeID: round.SchemeID, RoundID: round.ID, Title: req.Title, Purpose: req.Purpose, AmountRequested: req.AmountRequested,
		ProjectStart: start, ProjectEnd: end, Areas: req.Areas, Priorities: req.Priorities, Answers: answers, Wards: wards}, nil
}

// wardQuestions are the ids of the form's ward questions (options_from: wards), whatever their id.
func wardQuestions(f questions.Form) []string {
	var ids []string
	for _, sec := range f.Sections {
		for _, q := range sec.Questions {
			if q.OptionsFrom == questions.FromWards {
				ids = append(ids, q.ID)
			}
		}
	}
	return ids
}

// checkWardsInAreas refuses, at submission, a ward (listed "Area: Ward") outside the areas the
// project serves (field[i]): the wards say where in those areas, so each must be in one of them.
func checkWardsInAreas(p problems, field string, wards, areas []string) {
	for i, w := range wards {
		if area, _, ok := scheme.SplitWard(w); ok && !slices.Contains(areas, area) {
			p.add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is in %s, which is not one of the areas the project serves: add %s to the areas, or leave the ward out", w, area, area))
		}
	}
}

// wardsAnswered are the wards a grassroots draft names: the answer of its form's ward question
// (options_from: wards), whatever its id, checked against the scheme's wards by checkAnswers;
// none when the form asks no such question or it is not answered.
func wardsAnswered(f questions.Form, a questions.Answers) []string {
	wards := []string{}
	for _, id := range wardQuestions(f) {
		raw, ok := a[id]
		if !ok {
			continue
		}
		var list []string
		var one string
		switch {
		case json.Unmarshal(raw, &list) == nil:
		case json.Unmarshal(raw, &one) == nil && one != "":
			list = []string{one}
		}
		for _, w := range list {
			if !slices.Contains(wards, w) {
				wards = append(wards, w)
			}
		}
	}
	return wards
}

// checkListedWards refuses a ward the scheme does not list, where it lists wards (field[i]).
func checkListedWards(p problems, rules scheme.Rules, field string, wards []string) {
	if len(rules.Wards) == 0 {
		return
	}
	for i, w := range wards {
		if !slices.Contains(rules.Wards, w) {
			p.add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is not one of the scheme's wards: name them as it lists them, such as %q", w, rules.Wards[0]))
		}
	}
}

// mayStartDraft lets an applicant with an organisation start an application.
func mayStartDraft(u store.User) error {
	if err := requireRole(u, scheme.RoleApplicant); err != nil {
		return err
	}
	if len(u.Organisations) == 0 {
		return httperr.Forbidden("your account belongs to no organisation")
	}
	return nil
}

// mayChangeDraft lets a member of the applicant organisation change its application while it is a draft.
func mayChangeDraft(u store.User, app store.Application) error {
	if !u.MemberOf(app.OrganisationID) || u.Role != scheme.RoleApplicant {
		return httperr.Forbidden("only the applicant organisation can change its application")
	}
	if app.Status != string(workflows.StageDraft) { // say so before finding fault with answers that cannot be saved
		return httperr.Conflict("wrong_stage", "the application has been submitted and can no longer be changed")
	}
	return nil
}

// createDraft starts an application for the applicant's organisation.
func (s *Server) createDraft(c *gin.Context) {
	u := currentUser(c)
	if err := mayStartDraft(u); err != nil { // before reading the body, as CreateDraft checks it
		s.fail(c, err)
		return
	}
	var req DraftRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	id, err := s.CreateDraft(c.Request.Context(), u, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondApplication(c, http.StatusCreated, id)
}

// CreateDraft is POST /applications without HTTP, for the pages too: it starts an application of
// the person's organisation with the answers given and returns its id. Its errors are those the
// endpoint answers with: 403 for anyone but an applicant with an organisation, 422 naming each
// field a draft cannot hold.
func (s *Server) CreateDraft(ctx context.Context, u store.User, req DraftRequest) (int64, error) {
	if err := mayStartDraft(u); err != nil {
		return 0, err
	}
	d, err := s.draft(ctx, req)
	if err != nil {
		return 0, err
	}
	id, err := s.Store.CreateDraft(ctx, u.Organisations[0], u.ID, d)
	if err == nil && req.Service != nil {
		err = s.Store.SaveServiceDetails(ctx, id, *req.Service)
	}
	return id, err
}

// updateDraft replaces a draft's answers (save and return).
func (s *Server) updateDraft(c *gin.Context) {
	app, u, err := s.loadVisible(c)
	if err == nil {
		err = mayChangeDraft(u, app) // before reading the body, as UpdateDraft checks it
	}
	if err == nil {
		err = s.refuseLocked(c.Request.Context(), app)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	var req DraftRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.saveDraft(c.Request.Context(), app, req); err != nil {
		s.fail(c, err)
		return
	}
	s.respondApplication(c, http.StatusOK, app.ID)
}

// UpdateDraft is PUT /applications/{id} without HTTP, for the pages too: it replaces the draft's
// answers with those given. Its errors are those the endpoint answers with: an application the
// person may not see is not found, 403 for anyone but its organisation's applicants, 409 once it
// is submitted, 422 naming each field a draft cannot hold.
func (s *Server) UpdateDraft(ctx context.Context, u store.User, id int64, req DraftRequest) error {
	app, err := s.visible(ctx, u, id)
	if err == nil {
		err = mayChangeDraft(u, app)
	}
	if err == nil {
		err = s.refuseLocked(ctx, app)
	}
	if err != nil {
		return err
	}
	return s.saveDraft(ctx, app, req)
}

// saveDraft checks and saves the answers of a draft the person may change.
func (s *Server) saveDraft(ctx context.Context, app store.Application, req DraftRequest) error {
	d, err := s.draft(ctx, req)
	if err == nil {
		err = s.Store.UpdateDraft(ctx, app.ID, d)
	}
	if err == nil && req.Service != nil {
		err = s.Store.SaveServiceDetails(ctx, app.ID, *req.Service)
	}
	if errors.Is(err, store.ErrDuplicate) {
		err = httperr.Conflict("wrong_stage", "the application has been submitted and can no longer be changed")
	}
	return err
}

// submit checks the draft is complete and starts its workflow, once.
func (s *Server) submit(c *gin.Context) {
	app, u, err := s.loadVisible(c)
	if err == nil {
		err = s.SubmitApplication(store.EffectInWorkflow(c.Request.Context()), u, app.ID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondApplication(c, http.StatusAccepted, app.ID)
}

var errAlreadySubmitted = httperr.Conflict("wrong_stage", "the application was already submitted")

// SubmitApplication is POST /applications/{id}/submit without HTTP, for the pages too: it checks
// the person may submit the draft and that it is complete, starts its workflow (once) and marks it
// submitted. Its errors are those the endpoint answers with (see httperr.From): an application the
// person may not see is not found, and a draft that is not complete is a 422 naming each field.
// Starting the workflow waits no longer than the step deadline (underStepDeadline); a repeat after
// a timeout is safe (the workflow id is the application's).
func (s *Server) SubmitApplication(ctx context.Context, u store.User, id int64) error {
	_, err := underStepDeadline(s, ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, s.submitApplication(ctx, u, id) })
	return err
}

func (s *Server) submitApplication(ctx context.Context, u store.User, id int64) error {
	app, err := s.visible(ctx, u, id)
	if err != nil {
		return err
	}
	if !u.MemberOf(app.OrganisationID) || u.Role != scheme.RoleApplicant {
		return httperr.Forbidden("only the applicant organisation can submit its application")
	}
	if !u.EmailVerified {
		return errUnverified
	}
	// A claimed draft (its workflow id kept) whose submission was cut off is submitted again to
	// complete it, whatever stage its workflow has reached; SubmitDraft refuses one already recorded.
	claimed := app.WorkflowID.String == workflows.ApplicationWorkflowID(app.ID)
	if app.Status != string(workflows.StageDraft) && !claimed {
		return errAlreadySubmitted
	}
	sc, err := s.Store.Scheme(ctx, app.SchemeID)
	if err != nil {
		return err
	}
	round, err := s.Store.Round(ctx, app.RoundID)
	if err != nil {
		return err
	}
	if err := lockRefusal(app, round, sc.Rules, s.now()); err != nil && !claimed { // claimed before the lock, so on time
		return err
	}
	org, err := s.Store.Organisation(ctx, app.OrganisationID)
	if err != nil {
		return err
	}
	p := problems{}
	p.required("title", app.Title)
	p.required("purpose", app.Purpose)
	if len(app.Areas) == 0 {
		p.add("areas", "name at least one area the project serves")
	}
	if len(app.Priorities) == 0 {
		p.add("priorities", "name at least one Police and Crime Plan priority")
	}
	form, err := s.FormOf(ctx, sc, app.RoundID)
	if err != nil {
		return err
	}
	var workflow, input any
	switch sc.Kind {
	case scheme.Service:
		svc, err := app.Service()
		if err != nil {
			return err
		}
		checkService(p, sc.Rules, svc)
		if len(sc.Rules.Wards) > 0 {
			checkWardsInAreas(p, "service.wards", svc.Wards, app.Areas)
		}
		workflow = workflows.ServiceWorkflowName
		input = workflows.ServiceState{In: workflows.ServiceInput{
			ApplicationID: app.ID, OrganisationID: org.ID, OrganisationType: org.Type, SchemeID: sc.ID, SchemeName: sc.Name, Rules: sc.Rules,
			RoundOpens: round.OpensAt, RoundCloses: round.ClosesAt, BeforeDraftsLocked: true, Submitter: ActorOf(u), Title: app.Title, Purpose: app.Purpose,
			Areas: app.Areas, Priorities: app.Priorities, Service: svc, ClockOffset: s.now().Sub(time.Now()).Round(time.Second),
		}}
	default:
		if app.AmountRequested <= 0 {
			p.add("amount_requested_pence", "is required")
		}
		if !app.ProjectStart.Valid {
			p.add("project_start", "is required")
		}
		if !app.ProjectEnd.Valid {
			p.add("project_end", "is required")
		}
		answers, err := AnswersOf(app)
		if err != nil {
			return err
		}
		incompleteAnswers(p, form, answers)
		for _, q := range wardQuestions(form) {
			var named []string
			if json.Unmarshal(answers[q], &named) == nil {
				checkWardsInAreas(p, "answers."+q, named, app.Areas)
			}
		}
		if err := s.checkUploads(ctx, p, form, app, answers); err != nil {
			return err
		}
		workflow = workflows.GrassrootsWorkflow
		input = workflows.GrassrootsInput{
			ApplicationID: app.ID, OrganisationID: org.ID, OrganisationType: org.Type, SchemeID: sc.ID, SchemeName: sc.Name, Rules: sc.Rules,
			RoundOpens: round.OpensAt, RoundCloses: round.ClosesAt, BeforeDraftsLocked: true, Submitter: ActorOf(u), Title: app.Title, Purpose: app.Purpose,
			Amount: app.AmountRequested, ProjectStart: app.ProjectStart.Time, ProjectEnd: app.ProjectEnd.Time, Areas: app.Areas, Priorities: app.Priorities,
		}
	}
	if err := p.err(); err != nil {
		return err
	}
	snapshot, err := snapshotOf(form, app)
	if err != nil {
		return err
	}
	// The draft is claimed, then its workflow started and the submission recorded in one
	// transaction, so of any number of submissions at once exactly one is answered 202, and one cut
	// off by a crash is completed by the next (SubmitDraft); the rules are kept with the record, so
	// the pages show staff the bands and criteria the workflow applies, and so is the frozen copy of
	// what was submitted.
	wid := workflows.ApplicationWorkflowID(app.ID)
	err = s.Store.SubmitDraft(ctx, app.ID, wid, u, s.now(), sc.Rules, snapshot, func() error {
		_, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: wid, TaskQueue: s.taskQueue(),
			WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		}, workflow, input)
		// Started by an earlier attempt of this claim whose record was lost: it is this submission.
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return nil
		}
		return err
	})
	if errors.Is(err, store.ErrAlreadySubmitted) {
		return errAlreadySubmitted
	}
	return err
}

// listCountUpTo is as far as a list of applications counts its matches: beyond it the answer
// says only that there are more (total_capped), so a broad search costs no more than a page.
const listCountUpTo = 10000

// listApplications filters by scheme and status; applicants see only their organisation's.
func (s *Server) listApplications(c *gin.Context) {
	u := currentUser(c)
	f := store.ApplicationSearch{Status: c.Query("status"), CountUpTo: listCountUpTo}
	var err error
	if f.Text, err = searchParam(c); err != nil {
		s.fail(c, err)
		return
	}
	if f.Page, err = pageOf(c, "per_page"); err != nil {
		s.fail(c, err)
		return
	}
	if !utf8.ValidString(f.Status) || strings.ContainsRune(f.Status, 0) { // PostgreSQL cannot compare it; like any unknown stage, it matches nothing
		c.JSON(http.StatusOK, gin.H{"applications": []ApplicationSummary{}, "total": 0, "total_capped": false, "next": nil, "previous": nil})
		return
	}
	for _, p := range []struct {
		name     string
		into     *int64
		min, max int64
	}{
		{"scheme_id", &f.SchemeID, 1, math.MaxInt64}, {"round_id", &f.RoundID, 1, math.MaxInt64},
	} {
		if v := c.Query(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < p.min || n > p.max {
				s.fail(c, httperr.Field(p.name, "must be a number"))
				return
			}
			*p.into = n
		}
	}
	for _, p := range []struct {
		name     string
		into     *int
		min, max int
		reason   string
	}{
		{"financial_year", &f.FinancialYear, 2000, 2100, "must be a year such as 2026 (for 2026-27)"},
	} {
		if v := c.Query(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < p.min || n > p.max {
				s.fail(c, httperr.Field(p.name, p.reason))
				return
			}
			*p.into = n
		}
	}
	switch v := c.Query("case_officer"); v {
	case "":
	case "none":
		f.CaseOfficerID = store.NoCaseOfficer
	default:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			s.fail(c, httperr.Field("case_officer", "must be a case officer's user id, or none for the applications nobody is assigned to"))
			return
		}
		f.CaseOfficerID = n
	}
	if u.Role == scheme.RoleApplicant {
		if len(u.Organisations) == 0 {
			c.JSON(http.StatusOK, gin.H{"applications": []ApplicationSummary{}, "total": 0, "total_capped": false, "next": nil, "previous": nil})
			return
		}
		f.OrganisationID = u.Organisations[0]
	}
	found, err := s.Store.SearchApplications(c.Request.Context(), f)
	if err != nil {
		s.fail(c, pageError(f.Page, err))
		return
	}
	views := make([]ApplicationSummary, len(found.Applications))
	for i, a := range found.Applications {
		views[i] = summarise(a)
	}
	next, previous := nextLinks(found.Links)
	c.JSON(http.StatusOK, gin.H{"applications": views, "total": found.Total, "total_capped": found.Capped, "next": next, "previous": previous})
}

func (s *Server) getApplication(c *gin.Context) {
	app, _, err := s.loadVisible(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondApplication(c, http.StatusOK, app.ID)
}

func (s *Server) listDocuments(c *gin.Context) {
	app, _, err := s.loadVisible(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	docs, err := s.Store.Documents(c.Request.Context(), app.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	ok, err := s.mayReadPanelWork(c.Request.Context(), currentUser(c), app)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"documents": withoutPanelWork(visibleDocuments(currentUser(c), docs), !ok)})
}

// downloadDocument serves a PDF to someone who may see its application.
func (s *Server) downloadDocument(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("document"))
		return
	}
	doc, err := s.Document(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", headers.Attachment(doc.Filename))
	c.Data(http.StatusOK, doc.ContentType, doc.Content)
}

// Document is a document the person may read, with its content; any other is not found.
func (s *Server) Document(ctx context.Context, u store.User, id int64) (store.Document, error) {
	doc, err := s.Store.Document(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Document{}, httperr.NotFound("document")
	}
	if err != nil {
		return store.Document{}, err
	}
	app, err := s.Store.Application(ctx, doc.ApplicationID)
	if err == nil && doc.Kind == "decision_pack" {
		ok, perr := s.mayReadPanelWork(ctx, u, app)
		if perr != nil {
			return store.Document{}, perr
		}
		if !ok {
			return store.Document{}, httperr.NotFound("document")
		}
	}
	if err != nil || !mayView(u, app) || len(visibleDocuments(u, []store.Document{doc})) == 0 {
		return store.Document{}, httperr.NotFound("document")
	}
	return doc, nil
}

// visibleDocuments keeps what this person may read: applicants get their letters, agreements and
// published decision records, never finance's notices or the panel's decision pack.
func visibleDocuments(u store.User, docs []store.Document) []store.Document {
	if u.Role.IsStaff() {
		return docs
	}
	out := []store.Document{}
	for _, d := range docs {
		switch d.Kind {
		case "award_letter", "decline_letter", "grant_agreement", "decision_record", "repayment_letter":
			out = append(out, d)
		}
	}
	return out
}

func (s *Server) listFinanceNotices(c *gin.Context) {
	if err := requireRole(currentUser(c), scheme.RoleFinance, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleAdmin); err != nil {
		s.fail(c, err)
		return
	}
	page, err := pageOf(c, "per_page")
	if err != nil {
		s.fail(c, err)
		return
	}
	list, links, err := s.Store.FinanceNoticePage(c.Request.Context(), page)
	if err != nil {
		s.fail(c, pageError(page, err))
		return
	}
	next, previous := nextLinks(links)
	c.JSON(http.StatusOK, gin.H{"notices": list, "next": next, "previous": previous})
}

func (s *Server) taskQueue() string {
	if s.TaskQueue != "" {
		return s.TaskQueue
	}
	return workflows.TaskQueue
}

// mayReadPanelWork loads what the rule needs and applies it (see the function of that name in views.go).
func (s *Server) mayReadPanelWork(ctx context.Context, u store.User, app store.Application) (bool, error) {
	conflicts, err := s.Store.Conflicts(ctx, app.ID)
	if err != nil {
		return false, err
	}
	panel, err := s.Store.Panel(ctx, app.ID)
	if err != nil {
		return false, err
	}
	assessments, err := s.Store.Assessments(ctx, app.ID)
	if err != nil {
		return false, err
	}
	return mayReadPanelWork(u, app, isConflicted(conflicts, u.ID), panel, assessments), nil
}

// refuseLocked refuses a change to a draft whose round's drafts are locked (see lockRefusal).
func (s *Server) refuseLocked(ctx context.Context, app store.Application) error {
	round, err := s.Store.Round(ctx, app.RoundID)
	if err != nil {
		return err
	}
	sc, err := s.Store.Scheme(ctx, app.SchemeID)
	if err != nil {
		return err
	}
	return lockRefusal(app, round, sc.Rules, s.now())
}

// lockRefusal is the one rule for a draft after its round closes: until the scheme's grace period
// has passed it may be changed and submitted (and is eligible as submitted in time); after that it
// is locked, whether or not the round's workflow has recorded the lock yet (store.Round.DraftLocked).
func lockRefusal(app store.Application, round store.Round, rules scheme.Rules, now time.Time) error {
	if app.DraftLockedAt == nil && !round.DraftLocked(rules, now) {
		return nil
	}
	return httperr.Conflict("draft_locked", fmt.Sprintf("The funding round %q closed at %s and the time allowed after it ended at %s, so this draft is locked: it can no longer be changed or submitted.",
		round.Name, round.ClosesAt.In(scheme.London).Format("15:04 on 2 January 2006"), round.LocksAt(rules).In(scheme.London).Format("15:04 on 2 January 2006")))
}
