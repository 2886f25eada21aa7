package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// schemeView is a scheme with its rules and the round that applies now, as the pages show them.
type schemeView struct {
	ID                int64
	Name, Description string
	Kind              scheme.Kind
	Rules             scheme.Rules
	Round             store.Round
	HasRound, Open    bool
	Closes            string // "11:59pm on 31 March 2027"
	Amounts           string // "£500.00 to £5,000.00"
	Duration          string // "Up to 12 months", "Up to 5 years"
	WhoCanApply       []string
}

// schemes reads every scheme with the round that applies at now: the open one, else the latest
// that has opened, else the first to come.
func (s *Server) schemes(ctx context.Context, now time.Time) ([]schemeView, error) {
	list, err := s.opts.Store.Schemes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]schemeView, 0, len(list))
	for _, sc := range list {
		rounds, err := s.opts.Store.Rounds(ctx, sc.ID) // newest first
		if err != nil {
			return nil, err
		}
		v := schemeView{ID: sc.ID, Name: sc.Name, Description: sc.Description, Kind: sc.Kind, Rules: sc.Rules}
		for _, r := range rounds {
			if !r.OpensAt.After(now) {
				v.Round, v.HasRound = r, true
				break
			}
		}
		if !v.HasRound && len(rounds) > 0 {
			v.Round, v.HasRound = rounds[len(rounds)-1], true
		}
		v.Open = v.HasRound && !v.Round.OpensAt.After(now) && now.Before(v.Round.ClosesAt)
		if v.HasRound {
			v.Closes = closingTime(v.Round.ClosesAt)
		}
		v.Amounts = fmt.Sprintf("%s to %s", sc.Rules.MinAmount, sc.Rules.MaxAmount)
		if sc.Kind == scheme.Service {
			v.Amounts += " a year"
		}
		if m := sc.Rules.MaxDurationMonths; m >= 24 && m%12 == 0 {
			v.Duration = fmt.Sprintf("Up to %d years", m/12)
		} else {
			v.Duration = fmt.Sprintf("Up to %d %s", m, plural(m, "month", "months"))
		}
		for _, t := range sc.Rules.OrganisationTypes {
			if t != scheme.OrgIndividual && t != scheme.OrgPoliticalParty {
				v.WhoCanApply = append(v.WhoCanApply, upperFirst(scheme.OrganisationTypes[t]))
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// closingTime writes when a round closes as GOV.UK writes times: a round closing at midnight
// closes at "11:59pm" on the day before.
func closingTime(t time.Time) string {
	t = t.In(scheme.London)
	if t.Hour() == 0 && t.Minute() == 0 {
		return "11:59pm on " + t.Add(-time.Minute).Format("Monday 2 January 2006")
	}
	clock := strings.ToLower(t.Format("3:04pm"))
	clock = strings.Replace(clock, ":00", "", 1)
	return clock + " on " + t.Format("Monday 2 January 2006")
}

// StartPath is where an application to the scheme's open round starts.
func (v schemeView) StartPath() string {
	return "/applications/new?round=" + strconv.FormatInt(v.Round.ID, 10)
}

// openSchemes are the schemes whose round is open now: those anyone may start an application to.
func (s *Server) openSchemes(ctx context.Context) ([]schemeView, error) {
	all, err := s.schemes(ctx, s.now())
	if err != nil {
		return nil, err
	}
	var open []schemeView
	for _, v := range all {
		if v.Open {
			open = append(open, v)
		}
	}
	return open, nil
}

// home lists the open funding rounds with their schemes' rules.
func (s *Server) home(c *gin.Context) {
	open, err := s.openSchemes(c.Request.Context())
	if err != nil {
		s.serverError(c, err)
		return
	}
	s.render(c, http.StatusOK, "home", page{Title: "Funding you can apply for", Nav: "funding", Data: open})
}

// checkPage is what the eligibility checker shows: the questions and, once answered, the answer.
type checkPage struct {
	Schemes           []option
	OrganisationTypes []option
	Areas             []option
	Priorities        []option
	Result            *checkResult
}

type checkResult struct {
	Scheme   string
	Eligible bool
	Start    string   // the open round's start page, when the person may start an application now
	Failed   []string // reasons it cannot apply, in the policy's order
	Passed   []string
}

// checkQuestions gathers the choices: every scheme, and the areas and priorities of them all (the
// policy says which of those the chosen scheme does not cover).
func checkQuestions(schemes []schemeView) checkPage {
	p := checkPage{OrganisationTypes: organisationTypes()}
	var areas, priorities []string
	for _, v := range schemes {
		hint := v.Description
		if !v.Open {
			hint = strings.TrimSpace(hint + " Not open for applications at the moment.")
		}
		p.Schemes = append(p.Schemes, option{Value: strconv.FormatInt(v.ID, 10), Label: v.Name, Hint: hint})
		for _, a := range v.Rules.Areas {
			if !slices.Contains(areas, a) {
				areas = append(areas, a)
			}
		}
		for _, pr := range v.Rules.Priorities {
			if !slices.Contains(priorities, pr) {
				priorities = append(priorities, pr)
			}
		}
	}
	for _, a := range areas {
		p.Areas = append(p.Areas, option{Value: a, Label: a})
	}
	for _, pr := range priorities {
		p.Priorities = append(p.Priorities, option{Value: pr, Label: pr})
	}
	return p
}

// checkForm asks the questions; ?scheme=ID chooses a scheme in advance (the links on the home page).
func (s *Server) checkForm(c *gin.Context) {
	all, err := s.schemes(c.Request.Context(), s.now())
	if err != nil {
		s.serverError(c, err)
		return
	}
	f := &form{values: map[string][]string{}}
	if id, err := strconv.ParseInt(c.Query("scheme"), 10, 64); err == nil {
		f.values.Set("scheme", strconv.FormatInt(id, 10))
	}
	s.render(c, http.StatusOK, "check", page{Title: "Check if you can apply", Nav: "check", Form: f, Data: checkQuestions(all)})
}

// maxChoices bounds the areas and priorities a form may send (the configured lists are far shorter).
const maxChoices = 50

// check answers the questions with the eligibility policy the workflows screen applications with.
func (s *Server) check(c *gin.Context) {
	now := s.now()
	all, err := s.schemes(c.Request.Context(), now)
	if err != nil {
		s.serverError(c, err)
		return
	}
	f := readForm(c)
	questions := checkQuestions(all)
	var chosen *schemeView
	for i := range all {
		if f.Value("scheme") == strconv.FormatInt(all[i].ID, 10) {
			chosen = &all[i]
		}
	}
	if chosen == nil {
		f.add("scheme", "Select the fund you want to apply to")
	}
	orgType := f.Value("organisation-type")
	if _, ok := scheme.OrganisationTypes[orgType]; !ok {
		f.add("organisation-type", "Select the type of organisation that is applying")
	}
	areas, priorities := f.List("areas"), f.List("priorities")
	switch {
	case len(areas) == 0:
		f.add("areas", "Select the areas your project serves")
	case oddChoices(areas):
		f.add("areas", "Select the areas your project serves from the list")
	}
	switch {
	case len(priorities) == 0:
		f.add("priorities", "Select the Police and Crime Plan priorities your project addresses")
	case oddChoices(priorities):
		f.add("priorities", "Select the priorities your project addresses from the list")
	}
	var amount money.Pence
	switch raw := f.Value("amount"); {
	case raw == "":
		f.add("amount", "Enter how much you want to apply for")
	default:
		a, err := money.Parse(raw)
		switch {
		case err != nil:
			f.add("amount", "Amount must be a number of pounds, like 2500 or 2,500.50")
		case a <= 0:
			f.add("amount", "Amount must be more than £0")
		default:
			amount = a
		}
	}
	start, _ := f.date("project-start", "the date the project starts")
	end, _ := f.date("project-end", "the date the project ends")
	if f.invalid() {
		s.render(c, http.StatusUnprocessableEntity, "check", page{Title: "Check if you can apply", Nav: "check", Form: f, Data: questions})
		return
	}
	in := workflows.EligibilityInput{OrganisationType: orgType, AreasServed: areas, Priorities: priorities, Amount: amount,
		ProjectStart: start, ProjectEnd: end, SubmittedAt: now}
	if chosen.HasRound {
		in.RoundOpens, in.RoundCloses = chosen.Round.OpensAt, chosen.Round.ClosesAt
	}
	result := workflows.CheckEligibility(chosen.Rules, in)
	answer := &checkResult{Scheme: chosen.Name, Eligible: result.Eligible}
	if result.Eligible && chosen.Open {
		answer.Start = chosen.StartPath()
	}
	for _, ch := range result.Checks {
		if ch.Passed {
			answer.Passed = append(answer.Passed, ch.Reason)
		} else {
			answer.Failed = append(answer.Failed, ch.Reason)
		}
	}
	questions.Result = answer
	s.render(c, http.StatusOK, "check", page{Title: "Check if you can apply", Nav: "check", Form: f, Data: questions})
}

// oddChoices reports a list no form of ours would send: too many, too long, or holding a NUL.
func oddChoices(list []string) bool {
	if len(list) > maxChoices {
		return true
	}
	for _, v := range list {
		if len([]rune(v)) > 200 || strings.ContainsRune(v, 0) {
			return true
		}
	}
	return false
}

// accessibilityPage is what the statement needs from configuration.
type accessibilityPage struct {
	ContactEmail string
}

func (s *Server) accessibility(c *gin.Context) {
	s.render(c, http.StatusOK, "accessibility", page{Title: "Accessibility statement", Data: accessibilityPage{ContactEmail: s.opts.ContactEmail}})
}
