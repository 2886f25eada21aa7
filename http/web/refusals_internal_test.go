package web

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/scheme"
	"grantflow/store"
)

// The API's refusal goes on the form by the rules: the most specific rule wins, a field the form
// lacks goes on its first field in the form's words, and the problems follow the form's order.
func TestRefusalsGoOnTheFormsFields(t *testing.T) {
	rules := []fieldRule{
		on("years", "year-2026", "The amounts per year"),
		on("years[1]", "year-2027", "The amount for 2027-28"),
		onDate("deadline", "deadline", "The deadline").missing("Enter the deadline"),
		on("conditions", "conditions", "Conditions of grant"),
		on("end", "end", "The end").saying("must be after start", "The end must be after the start"),
	}
	f := &form{values: url.Values{}}
	he := httperr.Fields(map[string]string{
		"years[1].amount_pence": "£160,000.00 is more than the £150,000.00 requested",
		"deadline":              "is required",
		"conditions[2]":         "must be at most 5000 characters",
		"decline_reasons":       "give at least one reason",
		"end":                   "must be after start",
	})
	if !f.refused(he, rules) {
		t.Fatal("a refusal of the form's fields was not put on the form")
	}
	var got []string
	for _, e := range f.Errors() {
		got = append(got, e.Name+" #"+e.Href+" "+e.Message)
	}
	want := []string{
		"year-2026 #year-2026 The amounts per year: give at least one reason", // not on the form: on its first field, in its words
		"year-2027 #year-2027 The amount for 2027-28: £160,000.00 is more than the £150,000.00 requested",
		"deadline #deadline-day Enter the deadline",
		"conditions #conditions Conditions of grant must be at most 5000 characters",
		"end #end The end must be after the start",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("on the form:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range f.Errors() {
		if strings.Contains(e.Message, "decline_reasons") || strings.Contains(e.Message, "Decline_reasons") {
			t.Errorf("the API's name for a field is shown: %q", e.Message)
		}
	}

	// About none of the form's fields: nothing goes on the form, and the page of its own says why
	// in words, never with the API's names for fields.
	f = &form{values: url.Values{}}
	he = httperr.Fields(map[string]string{"tranche": "tranche 2 is already paid", "decline_reasons": "give at least one reason"})
	if f.refused(he, rules) || f.invalid() {
		t.Errorf("a refusal of no field of the form was put on it: %v", f.Errors())
	}
	if got := strings.Join(refusalLines(he), " "); got != "Give at least one reason. Tranche 2 is already paid." {
		t.Errorf("the refusal's own page says %q", got)
	}
	if got := strings.Join(refusalLines(httperr.Conflict("round_closed", "the round has closed")), " "); got != "The round has closed." {
		t.Errorf("a refusal naming no field says %q", got)
	}
}

// One rule for every message: a reason that reads on from the field's name follows it; any other
// follows a colon.
func TestRefusalMessage(t *testing.T) {
	for reason, want := range map[string]string{
		"is required":                                "Postcode is required",
		"must be at most 20 characters":              "Postcode must be at most 20 characters",
		"cannot be in the future":                    "Postcode cannot be in the future",
		"name at least one area the project serves":  "Postcode: name at least one area the project serves",
		"£5,000.00 is more than the £4,250.00 paid":  "Postcode: £5,000.00 is more than the £4,250.00 paid",
		"an account with this e-mail already exists": "Postcode: an account with this e-mail already exists",
		"isn't a word the rule takes as reading on":  "Postcode: isn't a word the rule takes as reading on",
	} {
		if got := refusalMessage("Postcode", reason); got != want {
			t.Errorf("refusalMessage(%q) = %q, want %q", reason, got, want)
		}
	}
}

// renderPage executes a page's template as render would, and parses it.
func renderPage(t *testing.T, name string, p page) *html.Node {
	t.Helper()
	if p.Form == nil {
		p.Form = &form{}
	}
	var buf bytes.Buffer
	if err := mustParsePages()[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func walk(n *html.Node, visit func(*html.Node)) {
	visit(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, visit)
	}
}

func attrOf(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// idsOf counts the ids of the page's elements.
func idsOf(doc *html.Node) map[string]int {
	ids := map[string]int{}
	walk(doc, func(n *html.Node) {
		if id, ok := attrOf(n, "id"); ok && n.Type == html.ElementNode {
			ids[id]++
		}
	})
	return ids
}

// everyForm is an application page offering every applicant and staff form at once, as it would
// to someone who could see both.
func everyForm(f *form) page {
	opts := []option{{Value: "a", Label: "A"}, {Value: "b", Label: "B"}}
	staff := &staffView{Can: map[string]bool{}, ScoreOptions: opts, Recommendations: opts, YesNo: opts, NoConflict: opts[:1], Assessors: opts,
		PanelSize: 2, ReviewOutcomes: opts, RAGs: opts, ReturnChoices: []option{{Value: "Q1 2026-27", Label: "Q1 2026-27"}},
		Criteria: []criterionView{{Name: "Need", Hint: "Weight 50%"}}, ModerationYears: []yearField{{Name: fModYear + "2026", Label: "Amount for 2026-27"}},
		VaryYears: []yearField{{Name: fVaryYear + "2026", Label: "Amount for 2026-27"}}, Returns: []pendingReturn{{Quarter: "Q1 2026-27", Version: 1}},
		Report: &pendingReport{Version: 1}}
	for _, a := range []string{"assess", "assign_panel", "moderate", "decide", "confirm_conditions", "review_return", "review_report", "vary", "terminate", "declare_conflict"} {
		staff.Can[a] = true
	}
	v := applicationView{Detail: apiv1.ApplicationDetail{ApplicationSummary: apiv1.ApplicationSummary{ID: 7}}, Staff: staff, Member: true, Title: "Both",
		Answer: &answerForm{Action: "/applications/7/information-response", Question: "How many?"},
		Offer:  &offerForm{Action: "/applications/7/acceptance", Confirm: opts[:1]},
		Report: &reportForm{Action: "/applications/7/report", Reached: reachedFieldsets(apReportReached, []reachPlace{{Area: "Leicester", Ward: "Leicester: Abbey"}})},
		Return: &returnForm{Action: "/applications/7/returns", Quarters: []option{{Value: "2026-1", Label: "Q1 2026-27"}, {Value: "2026-2", Label: "Q2 2026-27"}},
			Indicators: []returnIndicator{{Name: apReturnIndicator(0), Label: "Victims supported"}},
			Areas:      reachedFieldsets(apReturnReached, []reachPlace{{Area: "Leicester"}})},
	}
	return page{Title: "Both", Form: f, Data: v}
}

// An application page holding the applicant's and the staff's forms at once has no id twice (the
// applicant's "return.quarter" is "return-quarter", so the staff's review of a return is
// "return-review-…"), and every button that changes something is guarded against a double click.
func TestApplicantAndStaffFormsShareNoID(t *testing.T) {
	doc := renderPage(t, "application-page", everyForm(nil))
	for id, n := range idsOf(doc) {
		if n > 1 {
			t.Errorf("id %q is used %d times", id, n)
		}
	}
	forms := 0
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode || n.Data != "form" {
			return
		}
		forms++
		action, _ := attrOf(n, "action")
		walk(n, func(b *html.Node) {
			if b.Type == html.ElementNode && b.Data == "button" {
				if v, _ := attrOf(b, "data-prevent-double-click"); v != "true" {
					t.Errorf("the button of the form posting to %s may be pressed twice", action)
				}
			}
		})
	})
	if forms < 14 {
		t.Errorf("only %d forms were drawn", forms)
	}
}

// With no one left to name to a panel, the page says so where the boxes would be, and every link
// of the error summary still goes to an element of the page.
func TestPanelFormWithNoOneToName(t *testing.T) {
	f := &form{values: url.Values{staffForm: {"panel"}}}
	f.add(fPanelAssessors, "Assessors: name 1 to 10 assessors")
	f.addAt(fPanelDeadline, htmlID(fPanelDeadline)+"-day", "Enter the deadline for scores")
	p := everyForm(f)
	v := p.Data.(applicationView)
	v.Staff.(*staffView).Assessors = nil
	p.Data = v
	doc := renderPage(t, "application-page", p)
	ids := idsOf(doc)
	var text bytes.Buffer
	walk(doc, func(n *html.Node) {
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
		}
		if n.Type != html.ElementNode || n.Data != "a" {
			return
		}
		if href, _ := attrOf(n, "href"); strings.HasPrefix(href, "#") && href != "#main-content" && ids[strings.TrimPrefix(href, "#")] == 0 {
			t.Errorf("the link to %s goes nowhere", href)
		}
	})
	for _, want := range []string{"There is no one to name", "Assessors: name 1 to 10 assessors"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	if ids[htmlID(fPanelAssessors)] != 1 || ids[htmlID(fPanelDeadline)+"-day"] != 1 {
		t.Error("the summary's targets are not on the page")
	}
	for id := range ids {
		if strings.HasPrefix(id, htmlID(fPanelAssessors)+"-") {
			t.Errorf("an assessor's box %q is drawn though there is no one to name", id)
		}
	}
}

// A person's pages about an application come under the navigation item of their work, as their
// start page does.
func TestNavigationOfEachRole(t *testing.T) {
	for role, want := range map[scheme.Role]string{scheme.RoleFinance: "finance", scheme.RoleOfficer: "work", scheme.RoleAssessor: "work",
		scheme.RoleHeadOfCommissioning: "work", scheme.RoleApplicant: "applications"} {
		if got := navOf(store.User{Role: role}); got != want {
			t.Errorf("%s: nav %q, want %q", role, got, want)
		}
	}
}
