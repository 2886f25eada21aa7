package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"grantflow/bankaccount"
	"grantflow/grant"
	"grantflow/http/apiv1"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/workflows"
)

// The steps a member of the applicant organisation takes on the application page: answer a
// question, accept the offer, send the end-of-grant (or final) report and, for service awards,
// the quarterly monitoring returns. Each form is shown only when the JSON API offers the step
// (ApplicationDetail.Actions); each is sent through the API's method for it, so the workflow's
// validators decide. What can be checked here (a blank answer, an amount that is not money) is
// checked first, so that every problem is listed at once, and only for a person offered the step:
// anyone else gets the API's own refusal.

// Field names of the applicant's forms; prefixed so they never clash on a page holding several.
const (
	apAnswer          = "answer"
	apConfirm         = "confirm"
	apVariationVer    = "variation.version"
	apVariationOK     = "variation.confirm"
	apReportSummary   = "report.summary"
	apReportOutcomes  = "report.outcomes"
	apReportSpent     = "report.spent"
	apReturnQuarter   = "return.quarter"
	apReturnNarrative = "return.narrative"
	apReturnSpend     = "return.spend"
	apReturnIncidents = "return.incidents"
)

func apReturnIndicator(i int) string { return fmt.Sprintf("return.indicators.%d", i) }

// The prefixes of the boxes of people reached (reached.go): "return.beneficiaries.2.18_24".
const (
	apReturnReached = "return.beneficiaries"
	apReportReached = "report.reached"
)

// answerForm is the open question.
type answerForm struct {
	Action, Question, Deadline string
}

// offerForm is the offer to accept.
type offerForm struct {
	Action, Amount, Purpose, AcceptBy string
	Years                             []summaryRow
	Conditions, ConditionsPrecedent   []string
	Letters                           []documentView
	Confirm                           []option // the one checkbox that accepts
}

// variationForm is a varied grant agreement to accept: what the variation changes, the award as
// varied, and the version accepted.
type variationForm struct {
	Action, Version, Summary, Amount, AcceptBy string
	Years                                      []summaryRow
	Conditions                                 []string
	Letters                                    []documentView
	Confirm                                    []option // the one checkbox that accepts
}

// reportForm is the end-of-grant report, or a service award's final report.
type reportForm struct {
	Action string
	Final  bool
	Paid   string
	// Reached asks who an end-of-grant report's project reached, by place and age band (not on a
	// final report: a service's returns counted them).
	Reached []beneficiaryArea
}

// returnForm is a quarterly monitoring return.
type returnForm struct {
	Action     string
	Quarters   []option // the quarters whose return may be sent now
	NextOpens  string   // when none may: when the next can be
	Indicators []returnIndicator
	Areas      []beneficiaryArea
}

type returnIndicator struct{ Name, Label, Hint string }

// beneficiaryArea is one place's fieldset of the people-reached table: its boxes by age band.
type beneficiaryArea struct {
	Area   string // the place: an area, or a ward as the scheme lists it
	ID     string
	Fields []returnIndicator
}

// ageBandLabels name workflows.AgeBands for people.
var ageBandLabels = map[string]string{"under_18": "Under 18", "18_24": "18 to 24", "25_plus": "25 and over"}

// applicantForms adds the forms for the steps the API offers this member.
func (s *Server) applicantForms(ctx context.Context, v *applicationView) error {
	d := v.Detail
	base := applicationPath(d.ID)
	if slices.Contains(d.Actions, workflows.ActionAnswerInformation) {
		for _, r := range d.InformationRequests {
			if r.Answer == nil && !r.Lapsed {
				v.Answer = &answerForm{Action: base + "/information-response", Question: r.Question, Deadline: dateOnly(r.Deadline)}
			}
		}
	}
	if slices.Contains(d.Actions, workflows.ActionAcceptOffer) && d.Award != nil {
		o := &offerForm{Action: base + "/acceptance", Amount: v.Award.Amount, Purpose: v.Award.Purpose,
			AcceptBy: v.Award.AcceptBy, Conditions: v.Award.Conditions, ConditionsPrecedent: v.Award.ConditionsPrecedent}
		letters := "the award letter"
		if d.Service != nil {
			letters = "the grant agreement"
		}
		o.Confirm = []option{{Value: "yes", Label: "I confirm that I have read " + letters + " and accept the offer and its terms and conditions on behalf of " + d.Organisation}}
		for _, y := range d.AwardYears {
			o.Years = append(o.Years, summaryRow{scheme.FinancialYearLabel(y.FinancialYear), y.Amount.String()})
		}
		for _, doc := range v.Documents {
			if doc.Kind == "award_letter" || doc.Kind == "grant_agreement" || doc.Kind == "decision_record" {
				o.Letters = append(o.Letters, doc)
			}
		}
		v.Offer = o
	}
	if slices.Contains(d.Actions, workflows.ActionAcceptVariation) && d.Award != nil {
		v.Variation = variationFormFor(v)
	}
	if slices.Contains(d.Actions, workflows.ActionSubmitReport) {
		r := &reportForm{Action: base + "/report", Final: d.Service != nil}
		var paid money.Pence
		for _, p := range d.Payments {
			paid += p.Amount
		}
		r.Paid = paid.String()
		if !r.Final {
			places, err := s.placesOf(ctx, d)
			if err != nil {
				return err
			}
			r.Reached = reachedFieldsets(apReportReached, places)
		}
		v.Report = r
	}
	if slices.Contains(d.Actions, workflows.ActionSubmitReturn) && d.Service != nil {
		places, err := s.placesOf(ctx, d)
		if err != nil {
			return err
		}
		v.Return = s.returnFormFor(d, places)
	}
	return nil
}

// variationFormFor sets out the varied agreement the provider is asked to accept: the award's
// current version, its variation and its documents.
func variationFormFor(v *applicationView) *variationForm {
	d := v.Detail
	version := d.Award.Version
	f := &variationForm{Action: applicationPath(d.ID) + "/variation-acceptance", Version: strconv.Itoa(version), Amount: v.Award.Amount,
		Conditions: v.Award.Conditions,
		Confirm:    []option{{Value: "yes", Label: fmt.Sprintf("I confirm that I have read version %d of the grant agreement and accept it on behalf of %s", version, d.Organisation)}}}
	for _, y := range d.AwardYears {
		f.Years = append(f.Years, summaryRow{scheme.FinancialYearLabel(y.FinancialYear), y.Amount.String()})
	}
	for _, vr := range d.Variations {
		if vr.AwardVersion == version {
			f.Summary = vr.Summary
			if vr.AcceptBy != nil {
				f.AcceptBy = dateOnly(*vr.AcceptBy)
			}
		}
	}
	for _, doc := range v.Documents {
		for _, raw := range d.Documents {
			if raw.ID == doc.ID && raw.Version == version && (raw.Kind == "grant_agreement" || raw.Kind == "decision_record") {
				f.Letters = append(f.Letters, doc)
			}
		}
	}
	return f
}

// returnFormFor lists the quarters whose return may be sent now: from the award's timetable of
// returns, each still to send (or sent back for changes) from two weeks before its quarter ends;
// one awaiting review, accepted, or not required after an early ending is not offered.
func (s *Server) returnFormFor(d apiv1.ApplicationDetail, places []reachPlace) *returnForm {
	f := &returnForm{Action: applicationPath(d.ID) + "/returns"}
	now := s.now()
	for _, r := range d.ReturnSchedule {
		if r.Status != workflows.ReturnAwaiting && r.Status != workflows.ReturnChangesRequested {
			continue
		}
		q := workflows.Quarter{FY: r.FinancialYear, Q: r.Quarter}
		opens := q.End().AddDate(0, 0, -14)
		if now.Before(opens) {
			if f.NextOpens == "" {
				f.NextOpens = dateOnly(opens)
			}
			continue
		}
		f.Quarters = append(f.Quarters, option{Value: fmt.Sprintf("%d-%d", q.FY, q.Q), Label: q.Label(), Hint: "Due by " + dateOnly(r.Due)})
	}
	for i, ind := range indicatorsOf(d) {
		hint := fmt.Sprintf("Quarterly target: %d", ind.QuarterlyTarget)
		if ind.Unit != "" {
			hint += " " + ind.Unit
		}
		f.Indicators = append(f.Indicators, returnIndicator{Name: apReturnIndicator(i), Label: ind.Name, Hint: hint})
	}
	f.Areas = reachedFieldsets(apReturnReached, places)
	return f
}

// indicatorsOf lists the service's indicators in the order of its outcomes.
func indicatorsOf(d apiv1.ApplicationDetail) []grant.Indicator {
	var out []grant.Indicator
	if d.Service != nil {
		for _, o := range d.Service.Outcomes {
			out = append(out, o.Indicators...)
		}
	}
	return out
}

// memberStep reads the application in the path as the person may see it (another organisation's
// is not found, before anything sent is read) and the form sent.
func (s *Server) memberStep(c *gin.Context) (apiv1.ApplicationDetail, *form, bool) {
	id, ok := s.pathID(c)
	if !ok {
		return apiv1.ApplicationDetail{}, nil, false
	}
	u, _ := currentUser(c)
	d, err := s.opts.API.Application(c.Request.Context(), u, id)
	if err != nil {
		s.failRead(c, err)
		return apiv1.ApplicationDetail{}, nil, false
	}
	f := readForm(c)
	if f.invalid() { // text that could not be read: nothing is sent, whatever the step
		s.showApplication(c, d, f, http.StatusUnprocessableEntity)
		return apiv1.ApplicationDetail{}, nil, false
	}
	return d, f, true
}

func (s *Server) answerInformation(c *gin.Context) {
	d, f, ok := s.memberStep(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	var req apiv1.AnswerRequest
	if slices.Contains(d.Actions, workflows.ActionAnswerInformation) {
		req.Answer = f.Value(apAnswer)
		f.noNUL(map[string]string{apAnswer: "Your answer"}, apAnswer)
		switch {
		case req.Answer == "":
			f.add(apAnswer, "Enter your answer to the question")
		case len([]rune(req.Answer)) > 10000:
			f.add(apAnswer, "Your answer must be 10,000 characters or fewer")
		}
		if f.invalid() {
			s.showApplication(c, d, f, http.StatusUnprocessableEntity)
			return
		}
	}
	_, err := s.opts.API.AnswerInformation(c.Request.Context(), u, d.ID, req)
	s.afterStep(c, d.ID, err, "answered", s.onApplication(c, d.ID, f, []fieldRule{on("answer", apAnswer, "Your answer")}))
}

func (s *Server) acceptOffer(c *gin.Context) {
	d, f, ok := s.memberStep(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	if slices.Contains(d.Actions, workflows.ActionAcceptOffer) && !f.Has(apConfirm, "yes") {
		// Every problem at once: the bank details are checked here too, as the API would.
		_, refused := bankaccount.Check(f.Value(bankAccountName), f.Value(bankSortCode), f.Value(bankAccountNumber))
		for _, r := range bankRules {
			if reason, bad := refused[r.api]; bad {
				f.add(r.page, upperFirst(reason))
			}
		}
		f.add(apConfirm, "Confirm that you have read the offer and accept its terms and conditions")
		s.showApplication(c, d, f, http.StatusUnprocessableEntity)
		return
	}
	_, err := s.opts.API.AcceptOffer(c.Request.Context(), u, d.ID, bankRequestOf(f))
	// The fields refused are the bank details'; the form shows them again as typed.
	s.afterStep(c, d.ID, err, "accepted", s.onApplication(c, d.ID, f, bankRules))
}

// acceptVariation accepts the varied grant agreement: the version the page showed, once the box is ticked.
func (s *Server) acceptVariation(c *gin.Context) {
	d, f, ok := s.memberStep(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	if slices.Contains(d.Actions, workflows.ActionAcceptVariation) && !f.Has(apVariationOK, "yes") {
		f.add(apVariationOK, "Confirm that you have read the varied grant agreement and accept it")
		s.showApplication(c, d, f, http.StatusUnprocessableEntity)
		return
	}
	version, _ := strconv.Atoi(f.Value(apVariationVer)) // not a number: the workflow refuses version 0, saying which to accept
	_, err := s.opts.API.AcceptVariation(c.Request.Context(), u, d.ID, apiv1.VariationAcceptanceRequest{Version: version})
	s.afterStep(c, d.ID, err, "variation-accepted", nil)
}

var apReportLabels = map[string]string{apReportSummary: "Summary", apReportOutcomes: "Outcomes", apReportSpent: "Amount spent"}

func (s *Server) submitReport(c *gin.Context) {
	d, f, ok := s.memberStep(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	var req apiv1.ReportRequest
	var rowField []string // the page's box behind each row of people reached sent
	if slices.Contains(d.Actions, workflows.ActionSubmitReport) {
		f.noNUL(apReportLabels, apReportSummary, apReportOutcomes)
		req.Summary, req.Outcomes = f.Value(apReportSummary), f.Value(apReportOutcomes)
		for _, t := range []struct{ name, value, missing string }{
			{apReportSummary, req.Summary, "Enter a summary of what the funding paid for"},
			{apReportOutcomes, req.Outcomes, "Enter the outcomes: what changed because of the funding"},
		} {
			switch {
			case t.value == "":
				f.add(t.name, t.missing)
			case len([]rune(t.value)) > 10000:
				f.add(t.name, apReportLabels[t.name]+" must be 10,000 characters or fewer")
			}
		}
		req.Spent = requiredMoney(f, apReportSpent, "Enter the amount spent", "Enter the amount spent in pounds and pence, like 1,250.00")
		if d.Service == nil { // an end-of-grant report says who the project reached
			places, err := s.placesOf(c.Request.Context(), d)
			if err != nil {
				s.serverError(c, err)
				return
			}
			var given bool
			req.Beneficiaries, rowField, given = readReached(f, apReportReached, places)
			if !given && len(places) > 0 {
				f.addAt(reachedField(apReportReached, 0, workflows.AgeBands[0]), htmlID(reachedField(apReportReached, 0, workflows.AgeBands[0])),
					"Enter how many people the project reached in each place and age group, or 0 if it reached none there")
			}
		}
		if f.invalid() {
			s.showApplication(c, d, f, http.StatusUnprocessableEntity)
			return
		}
	}
	_, err := s.opts.API.SubmitReport(c.Request.Context(), u, d.ID, req)
	rules := []fieldRule{on("summary", apReportSummary, apReportLabels[apReportSummary]),
		on("outcomes", apReportOutcomes, apReportLabels[apReportOutcomes]), on("spent_pence", apReportSpent, apReportLabels[apReportSpent])}
	for i, name := range rowField {
		rules = append(rules, on(fmt.Sprintf("beneficiaries[%d]", i), name, "People reached"))
	}
	s.afterStep(c, d.ID, err, "report", s.onApplication(c, d.ID, f, rules))
}

// requiredMoney reads an amount in pounds that must be given.
func requiredMoney(f *form, name, missing, invalid string) money.Pence {
	v := f.Value(name)
	if v == "" {
		f.add(name, missing)
		return 0
	}
	p, err := money.Parse(v)
	if err != nil {
		f.add(name, invalid)
	}
	return p
}

// wholeNumber reads a whole number of things, at least 0; blank is missing (or, when optional, 0).
func wholeNumber(f *form, name, what string, optional bool) int64 {
	v := f.Value(name)
	if v == "" {
		if !optional {
			f.add(name, "Enter "+what+", or 0 if there were none")
		}
		return 0
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64)
	if err != nil || n < 0 || n > 1_000_000_000 {
		f.add(name, upperFirst(what)+" must be a whole number, like 12")
		return 0
	}
	return n
}

func (s *Server) submitReturn(c *gin.Context) {
	d, f, ok := s.memberStep(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	var req apiv1.ReturnRequest
	var rowField []string // the page's field behind each beneficiary row sent
	inds := indicatorsOf(d)
	// Someone the return is not open to gets the API's own refusal of the quarter they named.
	if fy, q, ok := strings.Cut(f.Value(apReturnQuarter), "-"); ok {
		req.FinancialYear, _ = strconv.Atoi(fy)
		req.Quarter, _ = strconv.Atoi(q)
	}
	if slices.Contains(d.Actions, workflows.ActionSubmitReturn) && d.Service != nil {
		places, err := s.placesOf(c.Request.Context(), d)
		if err != nil {
			s.serverError(c, err)
			return
		}
		rf := s.returnFormFor(d, places)
		if len(rf.Quarters) == 0 { // the page offered no quarter: say when one opens
			lines := []string{"No monitoring return can be sent at the moment.", "Nothing has been changed."}
			if rf.NextOpens != "" {
				lines[0] = "The next monitoring return can be sent from " + rf.NextOpens + "."
			}
			s.render(c, http.StatusConflict, "error", page{Title: "This could not be done", Data: errorPage{
				Heading: "This could not be done", Lines: lines, Link: "Go back to the application", LinkTo: applicationPath(d.ID)}})
			return
		}
		quarter := f.Value(apReturnQuarter)
		open := slices.ContainsFunc(rf.Quarters, func(o option) bool { return o.Value == quarter })
		switch {
		case quarter == "":
			f.add(apReturnQuarter, "Select the quarter this return is for")
		case !open:
			f.add(apReturnQuarter, "Select one of the quarters listed")
		default:
			fy, q, _ := strings.Cut(quarter, "-")
			req.FinancialYear, _ = strconv.Atoi(fy)
			req.Quarter, _ = strconv.Atoi(q)
		}
		for i, ind := range inds {
			n := wholeNumber(f, apReturnIndicator(i), "the figure for "+ind.Name, false)
			req.Content.Indicators = append(req.Content.Indicators, workflows.IndicatorActual{Key: ind.Key, Actual: n})
		}
		req.Content.Beneficiaries, rowField, _ = readReached(f, apReturnReached, places)
		req.Content.SpendToDate = requiredMoney(f, apReturnSpend, "Enter the amount spent to date", "Enter the amount spent to date in pounds and pence, like 12,500.00")
		req.Content.SafeguardingIncidents = int(wholeNumber(f, apReturnIncidents, "the number of safeguarding incidents", false))
		f.noNUL(map[string]string{apReturnNarrative: "How the quarter went"}, apReturnNarrative)
		req.Content.Narrative = f.Value(apReturnNarrative)
		switch {
		case req.Content.Narrative == "":
			f.add(apReturnNarrative, "Tell us how the quarter went")
		case len([]rune(req.Content.Narrative)) > 20000:
			f.add(apReturnNarrative, "How the quarter went must be 20,000 characters or fewer")
		}
		if f.invalid() {
			s.showApplication(c, d, f, http.StatusUnprocessableEntity)
			return
		}
	}
	_, err := s.opts.API.SubmitReturn(c.Request.Context(), u, d.ID, req)
	s.afterStep(c, d.ID, err, "return", s.onApplication(c, d.ID, f, returnRules(inds, rowField)))
}

// returnRules put the API's refusals of a return on the form: "content.indicators[2]" on the third
// indicator's box and "content.beneficiaries[1]" on the box of the second count sent (rowField).
func returnRules(inds []grant.Indicator, rowField []string) []fieldRule {
	rules := []fieldRule{on("financial_year", apReturnQuarter, "Quarter"), on("quarter", apReturnQuarter, "Quarter")}
	if len(inds) > 0 {
		rules = append(rules, on("content.indicators", apReturnIndicator(0), "Indicators"))
	}
	for i, ind := range inds {
		rules = append(rules, on(fmt.Sprintf("content.indicators[%d]", i), apReturnIndicator(i), ind.Name))
	}
	for i, name := range rowField {
		rules = append(rules, on(fmt.Sprintf("content.beneficiaries[%d]", i), name, "People helped"))
	}
	return append(rules, on("content.spend_to_date_pence", apReturnSpend, "Amount spent to date"),
		on("content.safeguarding_incidents", apReturnIncidents, "Safeguarding incidents"), on("content.narrative", apReturnNarrative, "How the quarter went"))
}
