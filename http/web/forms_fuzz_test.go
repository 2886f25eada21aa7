package web

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"grantflow/bankaccount"
	"grantflow/examples/schemes"
	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/schemefile"
)

// formReader is one form of the pages read as its handler reads it: the fields it names (the
// rules that put the API's refusals on them) and the API's request it decodes into.
type formReader struct {
	name    string
	read    func(c *gin.Context) (f *form, req any, rules []fieldRule)
	section *questions.Section // a section of the application form, read into answers
}

// stepReader reads a step form with fixed rules as the staff handlers do (stepForm, then decode).
func stepReader[R any](name string, rules []fieldRule, decode func(*form) R) formReader {
	return formReader{name: name, read: func(c *gin.Context) (*form, any, []fieldRule) {
		f := stepForm(c, rules)
		return f, decode(f), rules
	}}
}

// ruledReader reads a form whose rules depend on what was sent (the years of a moderation).
func ruledReader[R any](name string, decode func(*form) (R, []fieldRule)) formReader {
	return formReader{name: name, read: func(c *gin.Context) (*form, any, []fieldRule) {
		f := readForm(c)
		req, rules := decode(f)
		return f, req, rules
	}}
}

var fuzzCriteria = []scheme.Criterion{{Key: "need", Name: "Need", Weight: 60}, {Key: "delivery", Name: "Delivery", Weight: 40}}

// formReaders are every form the pages read into a request before the API sees it.
func formReaders(sections []questions.Section) []formReader {
	readers := []formReader{
		stepReader("conflict", conflictRules, conflictRequestOf),
		stepReader("assessment", assessmentRules(fuzzCriteria), func(f *form) any { return assessmentRequestOf(f, fuzzCriteria) }),
		stepReader("panel", panelRules, panelRequestOf),
		ruledReader("moderation", moderationRequestOf),
		{name: "decision", read: func(c *gin.Context) (*form, any, []fieldRule) {
			outcome := c.Request.PostForm.Get(fOutcome)
			rules := decisionRules(outcome)
			f := stepForm(c, rules)
			return f, decisionRequestOf(f, outcome), rules
		}},
		stepReader("return review", returnReviewRules, returnReviewRequestOf),
		ruledReader("variation", variationRequestOf),
		stepReader("waiver", waiverRules, waiverRequestOf),
		stepReader("repayment", repaymentRules, repaymentRequestOf),
		ruledReader("draft", func(f *form) (any, []fieldRule) { return draftRequestOf(f, nil) }),
		{name: "bank details", read: func(c *gin.Context) (*form, any, []fieldRule) {
			f := readForm(c)
			return f, bankRequestOf(f), bankRules
		}},
	}
	for _, sec := range sections {
		reader := ruledReader("section "+sec.ID, func(f *form) (questions.Answers, []fieldRule) {
			return readSection(f, sec), sectionRules(sec)
		})
		reader.section = &sec
		readers = append(readers, reader)
	}
	return readers
}

// sectionRules name a section's fields (the page shows the API's refusals by the questions' paths).
func sectionRules(sec questions.Section) []fieldRule {
	var rules []fieldRule
	for _, q := range sec.Questions {
		rules = append(rules, on(q.ID, q.ID, q.Label))
		for i := range q.MaxLines {
			for _, col := range q.Columns {
				name := questions.FieldName(q.ID, i, col.ID)
				rules = append(rules, on(name, name, col.Label))
			}
		}
	}
	return rules
}

// post sends body as a browser posts a form and reads it as verifyCSRF does (parseBody).
func post(t *testing.T, body string) *gin.Context {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/applications/1/step", strings.NewReader(body))
	c.Request.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := parseBody(c.Request); err != nil {
		t.Skip("a body net/http cannot parse is refused before any form is read (verifyCSRF)")
	}
	return c
}

// checkRefusals fails unless every problem on the form names a field of the form (a rule's field,
// the date it is part of, or the field sent with text that is not UTF-8), links to that field's
// element and says what is wrong.
func checkRefusals(t *testing.T, what, body string, f *form, rules []fieldRule, sent map[string][]string) {
	t.Helper()
	names := map[string]bool{}
	for _, r := range rules {
		names[r.page] = true
	}
	for k := range sent {
		k = strings.ToValidUTF8(k, "\uFFFD")
		names[dateOf(k)] = true
	}
	for _, e := range f.Errors() {
		if !names[e.Name] || strings.TrimSpace(e.Message) == "" || !strings.HasPrefix(e.Href, htmlID(e.Name)) {
			t.Fatalf("the %s form sent %q was refused with %+v: not a field of the form with a message", what, body, e)
		}
	}
}

// FuzzForms: any values posted to a form of the pages (the step forms, the application's details
// and sections, bank details) are read without a panic; every problem names a field of the form;
// a form read without problems reads the same from what it keeps (sent again, as the page sends it
// back); answers read from a section fill the section's page and read back the same; and every
// refusal the API can give on a form's fields is shown on one of them.
func FuzzForms(f *testing.F) {
	grassroots, err := schemefile.Example(schemes.Grassroots)
	if err != nil {
		f.Fatal(err)
	}
	service, err := schemefile.Example(schemes.Service)
	if err != nil {
		f.Fatal(err)
	}
	readers := formReaders(append(slices.Clone(grassroots.Form.Sections), service.Form.Sections...))
	for i, body := range []string{
		"conflict=yes&conflict-details=Trustee+of+the+applicant", "assess-score-0=5&assess-comment-0=&assess-score-1=9",
		"panel-assessors=3&panel-assessors=x&panel-deadline-day=31&panel-deadline-month=2&panel-deadline-year=2027",
		"moderation-recommendation=fund&moderation-amount-2026=150%2C000.00&moderation-amount-2027=lots&moderation-conditions=a%0Ab%00",
		"decision-outcome=approve&approve-no-conflict=yes&decision-amount=4%2C250.00&decision-conditions=%0A+one%0Atwo",
		"decision-outcome=request_information&information-no-conflict=yes&decision-deadline-day=1&decision-deadline-month=13&decision-deadline-year=2027",
		"return-review-quarter=Q2+2026-27&return-review-outcome=accept&return-review-rag=green", "vary-amount-2026=1.005&vary-summary=%FF%FE",
		"waiver-quarters=2026-3&waiver-quarters=Q4&waiver-reason=closed", "repayment-amount=-5&repayment-received-on-day=29&repayment-received-on-month=2&repayment-received-on-year=2028&repayment-reference=BACS+1",
		"title=Walks+in+Abbey&amount=%C2%A34%2C250&project-start-day=1&project-start-month=4&project-start-year=999", "bank.account_name=%3DHYPERLINK()&bank.sort_code=40-47-84&bank.account_number=70872490",
		"%FF=1&budget_lines.0.item=Room+hire&budget_lines.0.amount_pence=250&budget_lines.3.amount_pence=1e9&budget_lines.5.item=%3D1", "", "a=%00&a=b",
	} {
		f.Add(uint8(i), body)
	}
	gin.SetMode(gin.TestMode)
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		r := readers[int(which)%len(readers)]
		c := post(t, body)
		sent := c.Request.PostForm
		sentForm, req, rules := r.read(c)
		checkRefusals(t, r.name, body, sentForm, rules, sent)
		if sentForm.invalid() {
			return
		}
		// What the form keeps is what the page sends back: sent again, it reads as the same request.
		again, req2, _ := r.read(post(t, sentForm.values.Encode()))
		if again.invalid() || !reflect.DeepEqual(req, req2) {
			t.Fatalf("the %s form sent %q read as %#v; what it kept (%q) reads as %#v with problems %+v", r.name, body, req, sentForm.values.Encode(), req2, again.Errors())
		}
		if sec := r.section; sec != nil {
			a := req.(questions.Answers)
			filled := formOfAnswers(*sec, a)
			if back := readSection(filled, *sec); filled.invalid() || !reflect.DeepEqual(a, back) {
				t.Fatalf("the answers %#v read from %q fill the page as %q and read back as %#v (problems %+v)", a, body, filled.values.Encode(), back, filled.Errors())
			}
		}
		if b, ok := req.(apiv1.BankDetailsRequest); ok { // the API's checks of bank details land on the form's fields
			if _, problems := bankaccount.Check(b.AccountName, b.SortCode, b.AccountNumber); len(problems) > 0 {
				shown := &form{values: sentForm.values}
				if !shown.refused(&httperr.Error{Status: http.StatusUnprocessableEntity, Fields: problems}, rules) {
					t.Fatalf("the API's refusal %v of bank details %q is on no field of the form", problems, body)
				}
				checkRefusals(t, r.name, body, shown, rules, sent)
			}
		}
		for _, rule := range rules {
			shown := &form{values: sentForm.values}
			he := &httperr.Error{Status: http.StatusUnprocessableEntity, Fields: map[string]string{rule.api: "is required"}}
			if !shown.refused(he, rules) || len(shown.Errors()) != 1 {
				t.Fatalf("the %s form does not show the API's refusal of %s: %+v", r.name, rule.api, shown.Errors())
			}
			checkRefusals(t, r.name, body, shown, rules, sent)
		}
	})
}
