package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/questions"
	"grantflow/store"
)

// The head of commissioning previews the grassroots form and changes it as YAML: a broken
// definition or a missing reason is refused with every problem by its path and nothing saved; a
// good one is a new version, in the audit trail, that drafts then answer. Applicants and assessors
// reach neither the page nor the API.
func TestSchemeFormPage(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	u, gcf, _ := applicantAndRound(t, s, "grassroots")
	path := fmt.Sprintf("/admin/schemes/%d/form", gcf)
	head := signInAs(t, s, "head@opcc.example.org")
	p := head.get(path)
	p.mustBe(t, http.StatusOK, path)
	checkMarkup(t, p)
	p.mustContain(t, "Preview: what an applicant sees", "Describe the project", "Long text, up to 5000 characters", "Which wards will the project serve?",
		"Leicester: Abbey", "Version 1.", "Demo seed")
	yaml := textOf(byID(p.Doc, "form-yaml"))
	if !strings.Contains(yaml, "options_from: wards") {
		t.Fatalf("the YAML to edit does not hold the definition: %.300s", yaml)
	}

	broken := strings.Replace(yaml, "sums_to: amount_requested_pence", "sums_to: nowhere", 1)
	broken = strings.Replace(broken, "kind: date", "kind: calendar", 1)
	bad := head.fill(path, path, url.Values{"form-yaml": {broken}})
	bad.mustBe(t, http.StatusUnprocessableEntity, path)
	checkMarkup(t, bad)
	var msgs []string
	for _, e := range bad.summary() {
		msgs = append(msgs, e.Href+" "+e.Message)
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{"#form-reason Reason is required", "#form-yaml Fix the form definition: form.sections[0].questions[3].kind: \"calendar\" is not a kind",
		"; form.sections[4].questions[0].sums_to: \"nowhere\" must be a money question"} {
		if !strings.Contains(got, want) {
			t.Errorf("error summary lacks %q:\n%s", want, got)
		}
	}
	if list, _ := s.Store.SchemeForms(ctx, gcf); len(list) != 1 {
		t.Fatalf("a refused form was saved: %d versions", len(list))
	}

	changed := strings.Replace(yaml, "label: Describe the project", "label: Tell us about the project", 1)
	changed = strings.Replace(changed, "max_length: 5000\n", "max_words: 750\n", 1)
	ok := head.fill(path, path, url.Values{"form-yaml": {changed}, "form-reason": {"Plainer words"}})
	ok.mustBe(t, http.StatusOK, path+"?saved=1")
	ok.mustContain(t, "Form version 2 saved", "Tell us about the project", "Plainer words", "Hana Head")
	events, _ := s.Store.AdminEvents(ctx, store.AdminEventFilter{SubjectID: gcf, Action: "form."})
	if len(events) != 2 || events[0].ActorName != "Hana Head" || events[0].Why != "Plainer words" {
		t.Errorf("form.versioned events = %+v", events)
	}
	// A draft's page asks the new question.
	id, err := s.Store.CreateDraft(ctx, u.Organisations[0], u.ID, store.Draft{SchemeID: gcf, RoundID: mustRound(t, s, gcf), Title: "Youth club"})
	if err != nil {
		t.Fatal(err)
	}
	applicant := signInAs(t, s, "applicant@riverside-youth.example.org")
	applicant.get(fmt.Sprintf("/applications/%d/sections/about", id)).mustContain(t, "Tell us about the project")

	// Neither applicants nor assessors reach the page or the API.
	applicant.get(path).mustBe(t, http.StatusForbidden, "")
	assessor := signInAs(t, s, "assessor@opcc.example.org")
	if r := assessor.get(path); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
		t.Errorf("an assessor at the form page: %d", r.Status)
	}
	aTok, _, _ := s.Store.IssueToken(ctx, u.ID, time.Hour)
	if status, _ := s.api("GET", "/api/v1"+path, aTok, nil); status != http.StatusForbidden {
		t.Errorf("an applicant's GET of the API: %d", status)
	}
	h, _ := s.Store.UserByEmail(ctx, "head@opcc.example.org")
	hTok, _, _ := s.Store.IssueToken(ctx, h.ID, time.Hour)
	status, body := s.api("PUT", "/api/v1"+path, hTok, map[string]any{"form": map[string]any{"sections": []any{}}, "reason": ""})
	fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
	if status != http.StatusUnprocessableEntity || fields["reason"] == nil || fields["form.sections"] == nil {
		t.Errorf("PUT with an empty form and no reason: %d %v", status, body)
	}
	if status, _ := s.api("PUT", "/api/v1/admin/schemes/999999/form", hTok, map[string]any{"yaml": "x", "reason": "y"}); status != http.StatusNotFound {
		t.Errorf("PUT to no scheme: %d", status)
	}
	if status, _ := s.api("PUT", "/api/v1"+path, hTok, `{"yaml": 3}`); status != http.StatusUnprocessableEntity && status != http.StatusBadRequest {
		t.Errorf("PUT with yaml not text: %d", status)
	}
	status, body = s.api("GET", "/api/v1"+path, hTok, nil)
	if status != http.StatusOK || body["version"] != float64(2) {
		t.Errorf("GET of the form: %d %v", status, body["version"])
	}
}

func mustRound(t *testing.T, s *site, schemeID int64) int64 {
	t.Helper()
	rounds, err := s.Store.Rounds(context.Background(), schemeID)
	if err != nil || len(rounds) == 0 {
		t.Fatalf("rounds: %v", err)
	}
	return rounds[0].ID
}

// A file question added to a scheme's form is answered by choosing one of the application's
// uploaded documents on its section page: with none yet the page says so and leads to the upload
// page; a choice that is no document is refused on the field; the chosen document is the answer.
func TestFileQuestionChoosesAnUploadedDocument(t *testing.T) {
	s, b, id := uploadFixture(t)
	ctx := context.Background()
	app, err := s.Store.Application(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	current, err := s.Store.SchemeForm(ctx, app.SchemeID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var form questions.Form
	if err := json.Unmarshal(current.Definition, &form); err != nil {
		t.Fatal(err)
	}
	for i, sec := range form.Sections {
		if sec.ID == "safeguarding" {
			form.Sections[i].Questions = append(sec.Questions, questions.Question{ID: "policy_document", Label: "Your safeguarding policy document",
				Hint: "The policy your trustees approved.", Kind: questions.File})
		}
	}
	definition, err := json.Marshal(form)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Store.SaveSchemeForm(ctx, app.SchemeID, 0, definition, store.SystemActor("test"), time.Now(), "Ask for the policy itself"); err != nil {
		t.Fatal(err)
	}

	section := fmt.Sprintf("/applications/%d/sections/safeguarding", id)
	none := b.get(section)
	none.mustBe(t, http.StatusOK, section)
	checkMarkup(t, none)
	none.mustContain(t, "Your safeguarding policy document", "You have not uploaded any documents for this application yet", "Upload a document")

	b.upload(id, "safeguarding_policy", pdfFile("Safeguarding policy.pdf")).mustBe(t, http.StatusOK, fmt.Sprintf("/applications/%d/uploads?done=uploaded", id))
	docs, err := s.Store.Uploads(ctx, id)
	if err != nil || len(docs) != 1 {
		t.Fatal(docs, err)
	}
	one := b.get(section)
	checkMarkup(t, one)
	one.mustContain(t, "Safeguarding policy.pdf (uploaded ")

	fields := url.Values{"safeguarding_policy": {"yes"}, "safeguarding_lead": {"Sam Lead"}, "policy_document": {"not a document"}}
	bad := b.fill(section, section, fields)
	bad.mustBe(t, http.StatusUnprocessableEntity, section)
	bad.mustContain(t, "Choose one of the documents you have uploaded")

	fields.Set("policy_document", fmt.Sprint(docs[0].ID))
	b.fill(section, section, fields).mustBe(t, http.StatusOK, fmt.Sprintf("/applications/%d/tasks?saved=safeguarding", id))
	saved, err := s.Store.Application(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	answers, err := apiv1.AnswersOf(saved)
	if err != nil || answers.Number("policy_document") != docs[0].ID {
		t.Fatalf("the answer is not the chosen document: %v %v", answers, err)
	}
}

// A round may have a form of its own: its drafts answer it instead of the scheme's, which stays as
// it was; a round of another scheme (or none) is refused on round_id and nothing is saved.
func TestRoundFormReplacesTheSchemesForItsDrafts(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	_, gcf, round := applicantAndRound(t, s, "grassroots")
	head, err := s.Store.UserByEmail(ctx, "head@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	api := &apiv1.Server{Store: s.Store}
	current, err := s.Store.SchemeForm(ctx, gcf, 0)
	if err != nil {
		t.Fatal(err)
	}
	own := json.RawMessage(strings.Replace(string(current.Definition), "Describe the project", "Describe your project for this round", 1))
	_, err = api.SaveSchemeForm(ctx, head, gcf, apiv1.SchemeFormRequest{Form: own, Reason: "The spring round asks differently", RoundID: 987654})
	if he := httperr.From(err); he.Status != http.StatusUnprocessableEntity || he.Fields["round_id"] == "" {
		t.Fatalf("a round of no scheme: %v", err)
	}
	if forms, _ := s.Store.SchemeForms(ctx, gcf); len(forms) != 1 {
		t.Fatalf("a refused round form was saved: %d forms", len(forms))
	}
	if _, err := api.SaveSchemeForm(ctx, head, gcf, apiv1.SchemeFormRequest{Form: own, Reason: "The spring round asks differently", RoundID: round}); err != nil {
		t.Fatal(err)
	}

	id, err := s.Store.CreateDraft(ctx, orgOf(t, s), applicantID(t, s), store.Draft{SchemeID: gcf, RoundID: round, Title: "Spring club"})
	if err != nil {
		t.Fatal(err)
	}
	a := signInAs(t, s, "applicant@riverside-youth.example.org")
	about := a.get(fmt.Sprintf("/applications/%d/sections/about", id))
	about.mustContain(t, "Describe your project for this round")
	about.mustNotContain(t, "Describe the project")
	if scheme, err := s.Store.SchemeForm(ctx, gcf, 0); err != nil || !strings.Contains(string(scheme.Definition), "Describe the project") {
		t.Fatalf("the scheme's own form changed: %v", err)
	}

	// On the page: the head chooses whose form to see, and saves the round's from there.
	path := fmt.Sprintf("/admin/schemes/%d/form", gcf)
	roundPath := fmt.Sprintf("%s?round=%d", path, round)
	h := signInAs(t, s, "head@opcc.example.org")
	h.get(path).mustContain(t, "Whose form", "The scheme's form", "Describe the project")
	roundPage := h.get(roundPath)
	checkMarkup(t, roundPage)
	roundPage.mustContain(t, "Describe your project for this round")
	h.get(path+"?round=abc").mustBe(t, http.StatusNotFound, path+"?round=abc")
	yaml := textOf(byID(roundPage.Doc, "form-yaml"))
	changed := strings.Replace(yaml, "Describe your project for this round", "Tell us about your spring project", 1)
	h.fill(roundPath, path, url.Values{"form-yaml": {changed}, "form-reason": {"Clearer"}, "form-round": {fmt.Sprint(round)}}).
		mustBe(t, http.StatusOK, fmt.Sprintf("%s?round=%d&saved=1", path, round))
	a.get(fmt.Sprintf("/applications/%d/sections/about", id)).mustContain(t, "Tell us about your spring project")
	h.get(path).mustContain(t, "Describe the project")
}
