package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// The grassroots form as a GOV.UK task list: the project details (drafts.go's form), then one page
// per section of the questions package's definition, each saved on its own and returned to, with
// its status on the list; then the check-answers page, from which the application is submitted.
// Every page is drawn from the definition and every save goes through the API's UpdateDraft, so
// pages and API accept the same answers.

// grassrootsDraft is an applicant's own grassroots draft with its form and answers; false when
// the page has been answered (not found, or back to the list once submitted).
type grassrootsDraft struct {
	app     store.Application
	page    draftPage
	form    questions.Form
	answers questions.Answers
	uploads []option // the application's documents, which a file question chooses from
}

func (s *Server) ownGrassrootsDraft(c *gin.Context) (grassrootsDraft, bool) {
	app, d, ok := s.ownDraft(c)
	if !ok {
		return grassrootsDraft{}, false
	}
	if app.Status != string(workflows.StageDraft) {
		c.Redirect(http.StatusSeeOther, applicationPath(app.ID))
		return grassrootsDraft{}, false
	}
	if d.Service != nil {
		s.notFound(c)
		return grassrootsDraft{}, false
	}
	sc, err := s.opts.Store.Scheme(c.Request.Context(), app.SchemeID)
	var a questions.Answers
	var f questions.Form
	if err == nil {
		a, err = apiv1.AnswersOf(app)
	}
	if err == nil {
		f, err = s.opts.API.FormOf(c.Request.Context(), sc, app.RoundID)
	}
	var docs []store.Upload
	if err == nil {
		docs, err = s.opts.Store.Uploads(c.Request.Context(), app.ID)
	}
	if err != nil {
		s.serverError(c, err)
		return grassrootsDraft{}, false
	}
	return grassrootsDraft{app: app, page: d, form: f, answers: a, uploads: uploadOptions(docs)}, true
}

func tasksPath(id int64) string { return fmt.Sprintf("/applications/%d/tasks", id) }
func sectionPath(id int64, section string) string {
	return fmt.Sprintf("/applications/%d/sections/%s", id, section)
}
func checkAnswersPath(id int64) string { return fmt.Sprintf("/applications/%d/check-answers", id) }

// changePath is where a section's answers are changed: the project details form, or its page.
func changePath(id int64, section string) string {
	if section == questions.ProjectSection {
		return fmt.Sprintf("/applications/%d/edit", id)
	}
	return sectionPath(id, section)
}

// taskListPage is what tasks.html shows.
type taskListPage struct {
	ID               int64
	Scheme, Round    string
	Closes           string
	Guidance, Locked string
	Tasks            []taskView
	Completed, Total int
	CheckPath        string
	Ready            bool
	Saved            string // the section just saved
}

type taskView struct {
	ID, Title, Href string
	Status          questions.Status
}

func (s *Server) taskList(c *gin.Context) {
	g, ok := s.ownGrassrootsDraft(c)
	if !ok {
		return
	}
	v := taskListPage{ID: g.app.ID, Scheme: g.page.Scheme, Round: g.page.Round, Closes: g.page.Closes, Guidance: g.page.Guidance, Locked: g.page.Locked, CheckPath: checkAnswersPath(g.app.ID)}
	for _, sec := range questions.Summarise(g.form, g.answers) {
		v.Tasks = append(v.Tasks, taskView{ID: sec.ID, Title: sec.Title, Href: changePath(g.app.ID, sec.ID), Status: sec.Status})
		if sec.Status == questions.Completed {
			v.Completed++
		}
	}
	v.Total = len(v.Tasks)
	v.Ready = v.Completed == v.Total
	if sec, ok := g.form.Section(c.Query("saved")); ok {
		v.Saved = sec.Title
	}
	s.render(c, http.StatusOK, "tasks", page{Title: "Your application to the " + g.page.Scheme, Nav: "applications", Data: v})
}

// sectionPage is what section.html shows: one section's questions, drawn from the definition.
type sectionPage struct {
	ID        int64
	Scheme    string
	Title     string
	Action    string
	TasksPath string
	Questions []questionView
	Budget    *budgetCheck
	// UploadsPath is where the application's documents are uploaded, for its file questions.
	UploadsPath string
}

// questionView is one question as the page draws it: Field for inputs, textareas, radios and
// checkboxes, Date for a date, Rows for a lines question.
type questionView struct {
	Kind  questions.Kind
	Field fieldView
	Date  dateView
	Label string
	Hint  string
	ID    string
	Error string
	Rows  []lineView
	// UploadsPath, for a file question: where the application's documents are uploaded.
	UploadsPath string
}

type lineView struct {
	Legend string
	Fields []questionView
}

// budgetCheck sets the saved budget lines against the amount asked for, on the budget page.
type budgetCheck struct {
	Total, Requested string
	Matches          bool
}

var yesNo = []option{{Value: "yes", Label: "Yes"}, {Value: "no", Label: "No"}}

// uploadOptions offers an application's documents to its file questions, by name and when.
func uploadOptions(docs []store.Upload) []option {
	out := make([]option, len(docs))
	for i, d := range docs {
		out[i] = option{Value: strconv.FormatInt(d.ID, 10), Label: fmt.Sprintf("%s (uploaded %s)", d.Filename, d.UploadedAt.In(scheme.London).Format("2 January 2006"))}
	}
	return out
}

// questionViews lays out a section's questions with the page's form values and errors; a file
// question chooses among the application's documents (docs).
func questionViews(p page, sec questions.Section, rows map[string]int, docs []option) []questionView {
	var out []questionView
	for _, q := range sec.Questions {
		if q.Asked() {
			out = append(out, questionViewOf(p, q, q.ID, q.Label, rows[q.ID], docs))
		}
	}
	return out
}

func questionViewOf(p page, q questions.Question, name, label string, nRows int, docs []option) questionView {
	v := questionView{Kind: q.Kind, Label: label, Hint: q.Hint, ID: htmlID(name)}
	hint := "hint=" + q.Hint
	switch q.Kind {
	case questions.Text:
		v.Field = fieldFor(p, name, label, hint)
	case questions.Textarea:
		v.Field = fieldFor(p, name, label, hint, "rows=6")
	case questions.Number:
		v.Field = fieldFor(p, name, label, hint, "class=govuk-input--width-10", "inputmode=numeric", "spellcheck=false")
	case questions.Money:
		v.Field = fieldFor(p, name, label, hint, "prefix=£", "class=govuk-input--width-10", "inputmode=decimal", "spellcheck=false")
	case questions.YesNo:
		v.Field = choicesFor(p, name, label, yesNo, hint, "legend=govuk-fieldset__legend--s")
	case questions.Choice, questions.Checkboxes:
		opts := make([]option, len(q.Options))
		for i, o := range q.Options {
			opts[i] = option{Value: o.Value, Label: o.Label}
		}
		extra := []string{hint, "legend=govuk-fieldset__legend--s"}
		if q.Kind == questions.Checkboxes {
			extra = append(extra, "multiple=true")
		}
		v.Field = choicesFor(p, name, label, opts, extra...)
	case questions.Confirm:
		v.Field = choicesFor(p, name, label, []option{{Value: "yes", Label: "I confirm"}}, hint, "multiple=true", "legend=govuk-fieldset__legend--s")
	case questions.Date:
		v.Date = dateFor(p, name, label, "For example, 31 3 2027")
	case questions.File:
		if p.Form != nil {
			v.Error = p.Form.Error(name)
		}
		v.Field = choicesFor(p, name, label, docs, hint, "legend=govuk-fieldset__legend--s")
	case questions.Lines:
		if p.Form != nil {
			v.Error = p.Form.Error(name)
		}
		for i := range nRows {
			row := lineView{Legend: questions.RowName(q, i)}
			for _, col := range q.Columns {
				cv := questionViewOf(p, col, questions.FieldName(q.ID, i, col.ID), col.Label, 0, docs)
				cv.Field.Context = "(" + strings.ToLower(row.Legend) + ")"
				row.Fields = append(row.Fields, cv)
			}
			v.Rows = append(v.Rows, row)
		}
	}
	return v
}

// formOfAnswers fills a section's page with its saved answers.
func formOfAnswers(sec questions.Section, a questions.Answers) *form {
	v := url.Values{}
	for _, q := range sec.Questions {
		fillAnswer(v, q, q.ID, a)
	}
	return &form{values: v}
}

func fillAnswer(v url.Values, q questions.Question, name string, a questions.Answers) {
	if !a.Has(q.ID) {
		return
	}
	switch q.Kind {
	case questions.Text, questions.Textarea, questions.Choice, questions.YesNo:
		v.Set(name, a.Text(q.ID))
	case questions.Number, questions.File:
		v.Set(name, strconv.FormatInt(a.Number(q.ID), 10))
	case questions.Money:
		v.Set(name, strings.TrimPrefix(money.Pence(a.Number(q.ID)).String(), "£"))
	case questions.Checkboxes:
		v[name] = a.List(q.ID)
	case questions.Confirm:
		if a.Confirmed(q.ID) {
			v.Set(name, "yes")
		}
	case questions.Date:
		setDate(v, name, a.Text(q.ID))
	case questions.Lines:
		for i, row := range a.Lines(q.ID) {
			for _, col := range q.Columns {
				fillAnswer(v, col, questions.FieldName(q.ID, i, col.ID), questions.Answers(row))
			}
		}
	}
}

// rowsShown is how many rows each lines question of a section shows: every saved row and one
// empty one to add (at least three), up to the most the question takes.
func rowsShown(sec questions.Section, f *form) map[string]int {
	out := map[string]int{}
	for _, q := range sec.Questions {
		if q.Kind != questions.Lines {
			continue
		}
		n := 0
		for i := range q.MaxLines {
			for _, col := range q.Columns {
				if f.Value(questions.FieldName(q.ID, i, col.ID)) != "" {
					n = i + 1
				}
			}
		}
		out[q.ID] = min(max(n+1, 3), q.MaxLines)
	}
	return out
}

// readSection reads a section's page into answers; what the page cannot read (a number or amount
// typed wrongly, a date) is recorded on the form. Blank rows of a lines question are dropped and
// the rest renumbered in the form too, so the API's row numbers name the rows as shown.
func readSection(f *form, sec questions.Section) questions.Answers {
	a := questions.Answers{}
	for _, q := range sec.Questions {
		if q.Kind != questions.Lines {
			a.Set(q.ID, readAnswer(f, q, q.ID, q.Label))
			continue
		}
		var rows []map[string]any
		kept := url.Values{}
		for i := range q.MaxLines {
			row := map[string]any{}
			for _, col := range q.Columns {
				name := questions.FieldName(q.ID, i, col.ID)
				if f.Value(name) == "" {
					continue
				}
				at := questions.FieldName(q.ID, len(rows), col.ID)
				kept.Set(at, f.Value(name))
				if f.Error(name) == "" {
					moved := &form{values: url.Values{at: {f.Value(name)}}}
					if v := readAnswer(moved, col, at, questions.RowName(q, len(rows))+": "+strings.ToLower(col.Label)); v != nil {
						row[col.ID] = v
					}
					for _, e := range moved.errors {
						f.add(e.Name, e.Message)
					}
				}
			}
			if len(row) > 0 || hasAny(kept, q, len(rows)) {
				rows = append(rows, row)
			}
		}
		for i := range q.MaxLines {
			for _, col := range q.Columns {
				f.values.Del(questions.FieldName(q.ID, i, col.ID))
			}
		}
		for k, vs := range kept {
			f.values[k] = vs
		}
		if len(rows) > 0 {
			a.Set(q.ID, rows)
		}
	}
	return a
}

func hasAny(v url.Values, q questions.Question, row int) bool {
	for _, col := range q.Columns {
		if v.Get(questions.FieldName(q.ID, row, col.ID)) != "" {
			return true
		}
	}
	return false
}

// readAnswer reads one answer of its kind from the page; nil is no answer (or one the form has
// already refused).
func readAnswer(f *form, q questions.Question, name, what string) any {
	switch q.Kind {
	case questions.Checkboxes:
		if l := f.List(name); len(l) > 0 {
			return l
		}
		return nil
	case questions.Confirm:
		if f.Has(name, "yes") {
			return true
		}
		return nil
	case questions.Date:
		if t := optionalDate(f, name, strings.ToLower(what)); t != nil {
			return t.Format(time.DateOnly)
		}
		return nil
	}
	text := f.Value(name)
	if text == "" {
		return nil
	}
	switch q.Kind {
	case questions.Number:
		n, err := strconv.ParseInt(strings.ReplaceAll(text, ",", ""), 10, 64)
		if err != nil || n < 0 {
			f.add(name, upperFirst(what)+" must be a whole number, like 25")
			return nil
		}
		return n
	case questions.File:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n <= 0 {
			f.add(name, "Choose one of the documents you have uploaded for "+strings.ToLower(what))
			return nil
		}
		return n // the API checks it is one of this application's documents
	case questions.Money:
		p, err := money.Parse(text)
		if err != nil {
			f.add(name, upperFirst(what)+" must be an amount in pounds and pence, like 250.00")
			return nil
		}
		return p
	}
	return text
}

// section finds the section in the path; false when the form has none of that name (or it is the
// project details, which have their own page).
func (s *Server) section(c *gin.Context, g grassrootsDraft) (questions.Section, bool) {
	sec, ok := g.form.Section(c.Param("section"))
	if !ok || sec.ID == questions.ProjectSection {
		s.notFound(c)
		return questions.Section{}, false
	}
	return sec, true
}

func (s *Server) sectionPageOf(p page, g grassrootsDraft, sec questions.Section) sectionPage {
	v := sectionPage{ID: g.app.ID, Scheme: g.page.Scheme, Title: sec.Title, Action: sectionPath(g.app.ID, sec.ID), TasksPath: tasksPath(g.app.ID),
		Questions: questionViews(p, sec, rowsShown(sec, p.Form), g.uploads), UploadsPath: fmt.Sprintf("/applications/%d/uploads", g.app.ID)}
	for i := range v.Questions {
		if v.Questions[i].Kind == questions.File {
			v.Questions[i].UploadsPath = v.UploadsPath
		}
	}
	for _, q := range sec.Questions {
		if q.SumsTo != "" {
			got, want := g.answers.Total(q), money.Pence(g.answers.Number(q.SumsTo))
			v.Budget = &budgetCheck{Total: got.String(), Requested: want.String(), Matches: got == want}
		}
	}
	return v
}

func (s *Server) sectionForm(c *gin.Context) {
	g, ok := s.ownGrassrootsDraft(c)
	if !ok {
		return
	}
	sec, ok := s.section(c, g)
	if !ok {
		return
	}
	p := page{Title: sec.Title + " - your application", Nav: "applications", Form: formOfAnswers(sec, g.answers)}
	p.Data = s.sectionPageOf(p, g, sec)
	s.render(c, http.StatusOK, "section", p)
}

// saveSection saves one section's answers, keeping every other answer as saved, through the API's
// UpdateDraft, and goes back to the task list.
func (s *Server) saveSection(c *gin.Context) {
	g, ok := s.ownGrassrootsDraft(c)
	if !ok {
		return
	}
	sec, ok := s.section(c, g)
	if !ok {
		return
	}
	f := readForm(c)
	got := readSection(f, sec)
	answers := questions.Answers{}
	for id, raw := range g.answers {
		if q, _, known := g.form.Question(id); !known || !q.Core {
			answers[id] = raw
		}
	}
	for _, q := range sec.Questions {
		delete(answers, q.ID)
	}
	for id, raw := range got {
		answers[id] = raw
	}
	// What the definition refuses is shown in its words before anything is sent.
	for _, pr := range questions.CheckDraft(g.form, answers) {
		if pr.Section == sec.ID {
			f.add(fieldOnPage(pr), pr.Message)
		}
	}
	fail := func(status int) {
		p := page{Title: sec.Title + " - your application", Nav: "applications", Form: f}
		p.Data = s.sectionPageOf(p, g, sec)
		s.render(c, status, "section", p)
	}
	if f.invalid() {
		fail(http.StatusUnprocessableEntity)
		return
	}
	u, _ := currentUser(c)
	err := s.opts.API.UpdateDraft(c.Request.Context(), u, g.app.ID, draftRequestFrom(g.app, answers))
	if err == nil {
		c.Redirect(http.StatusSeeOther, tasksPath(g.app.ID)+"?saved="+sec.ID)
		return
	}
	he := httperr.From(err)
	switch {
	case he.Status == http.StatusConflict && he.Code == "wrong_stage":
		c.Redirect(http.StatusSeeOther, "/applications")
	case he.Status == http.StatusNotFound || he.Status == http.StatusForbidden:
		s.notFound(c)
	case he.Status < 500 && len(he.Fields) > 0:
		for _, k := range sortedFields(he) {
			f.add(pageField(k), "This answer cannot be saved: "+he.Fields[k])
		}
		fail(http.StatusUnprocessableEntity)
	default:
		s.serverError(c, err)
	}
}

// draftRequestFrom is the draft's own fields as saved, with these answers.
func draftRequestFrom(app store.Application, answers questions.Answers) apiv1.DraftRequest {
	req := apiv1.DraftRequest{SchemeID: app.SchemeID, RoundID: app.RoundID, Title: app.Title, Purpose: app.Purpose,
		AmountRequested: app.AmountRequested, Areas: app.Areas, Priorities: app.Priorities, Answers: answers}
	if app.ProjectStart.Valid {
		req.ProjectStart = app.ProjectStart.Time.Format(time.DateOnly)
	}
	if app.ProjectEnd.Valid {
		req.ProjectEnd = app.ProjectEnd.Time.Format(time.DateOnly)
	}
	return req
}

var rowIndex = regexp.MustCompile(`\[(\d+)\]`)

// pageField is the page's field for an API field path: "answers.budget_lines[2].amount_pence" is
// "budget_lines.2.amount_pence"; a path to something the page has no field for (one option of
// checkboxes) is its question's field.
func pageField(path string) string {
	name := rowIndex.ReplaceAllString(strings.TrimPrefix(path, "answers."), ".$1")
	if _, err := strconv.Atoi(name[strings.LastIndex(name, ".")+1:]); err == nil {
		name, _, _ = strings.Cut(name, ".")
	}
	return name
}

// fieldOnPage is the page's field for a problem: a row's column, or the question's own field.
func fieldOnPage(p questions.Problem) string {
	if p.Column == "" {
		return p.Question
	}
	return p.Field()
}

// checkAnswersPage is what check-answers.html shows.
type checkAnswersPage struct {
	ID       int64
	Scheme   string
	Sections []answersSection
	Missing  []fieldError // what stops submission, linked to where it is answered
	Submit   string
}

// answersSection is one section of a summary of answers, with where to change it (none on a
// read-only copy).
type answersSection struct {
	questions.SectionSummary
	Change string
}

func answersSections(f questions.Form, a questions.Answers, change func(section string) string) []answersSection {
	var out []answersSection
	for _, s := range questions.Summarise(f, a) {
		as := answersSection{SectionSummary: s}
		if change != nil {
			as.Change = change(s.ID)
		}
		out = append(out, as)
	}
	return out
}

func (s *Server) checkAnswers(c *gin.Context) {
	g, ok := s.ownGrassrootsDraft(c)
	if !ok {
		return
	}
	s.renderCheckAnswers(c, http.StatusOK, g, nil)
}

// renderCheckAnswers shows every answer with what stops submission; refused is the API's refusal
// of a submission, whose fields are listed instead.
func (s *Server) renderCheckAnswers(c *gin.Context, status int, g grassrootsDraft, refused *httperr.Error) {
	v := checkAnswersPage{ID: g.app.ID, Scheme: g.page.Scheme, Submit: fmt.Sprintf("/applications/%d/submit", g.app.ID),
		Sections: answersSections(g.form, g.answers, func(sec string) string { return changePath(g.app.ID, sec) })}
	for _, p := range questions.Incomplete(g.form, g.answers) {
		v.Missing = append(v.Missing, fieldError{Name: p.Path(), Href: changePath(g.app.ID, p.Section) + "#" + htmlID(fieldOnPage(p)), Message: p.Message})
	}
	if refused != nil && len(v.Missing) == 0 {
		for _, k := range sortedFields(refused) {
			v.Missing = append(v.Missing, fieldError{Name: k, Href: tasksPath(g.app.ID), Message: k + ": " + refused.Fields[k]})
		}
	}
	s.render(c, status, "check-answers", page{Title: "Check your answers before submitting your application", Nav: "applications", Data: v})
}

// submittedCopyPage is the frozen copy of a submission, read-only.
type submittedCopyPage struct {
	ID          int64
	Reference   string
	Title       string
	SubmittedBy string
	SubmittedAt string
	Sections    []answersSection
	Back        string
}

// submittedCopy shows what was submitted, as it was, to anyone who may see the application.
func (s *Server) submittedCopy(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(c)
		return
	}
	u, _ := currentUser(c)
	sub, err := s.opts.API.Submitted(c.Request.Context(), u, id)
	if he := httperr.From(err); err != nil && (he.Status == http.StatusNotFound || he.Status == http.StatusForbidden) {
		s.notFound(c)
		return
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	v := submittedCopyPage{ID: id, Reference: applicationReference(id), Title: sub.Answers.Text(questions.CoreTitle), SubmittedBy: sub.SubmittedBy.Name,
		SubmittedAt: sub.SubmittedAt.In(scheme.London).Format("2 January 2006 at 3:04pm"), Sections: answersSections(sub.Form, sub.Answers, nil),
		Back: applicationPath(id)}
	s.render(c, http.StatusOK, "submitted-copy", page{Title: "Your application as submitted", Nav: "applications", Data: v})
}
