package e2e

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/internal/pdftext"
	"grantflow/scheme"
)

// TestGrassrootsDecisionAboveOfficerBandIsPublished: a grassroots grant of £7,000 (the scheme's
// limit raised for it) is above the commissioning officer's band of £5,000, so the head of
// commissioning decides it; its numbered decision record is on the public decisions list the
// moment the approval is answered (well within the day the duty allows), with its page and PDF
// showing the decision, amount, recipient, reasons, the conflict declared, the office and the band,
// and naming nobody who took part. An application the head of commissioning declines is never
// listed. A number never published is not found; a bad filter is refused naming the field.
func TestGrassrootsDecisionAboveOfficerBandIsPublished(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	if _, err := s.Store.DB.ExecContext(ctx, `UPDATE schemes SET rules = jsonb_set(rules, '{max_amount_pence}', '1000000') WHERE slug = 'grassroots'`); err != nil {
		t.Fatal(err)
	}
	// An unincorporated group, published by its name only.
	groupEmail := "lee@hilltop-residents.example.org"
	s.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", map[string]any{
		"organisation": map[string]string{"name": "Hilltop Residents Association", "type": "community_group",
			"address": "7 Hill Rise, Melton Mowbray", "postcode": "LE13 0ZZ"},
		"user": map[string]string{"name": "Lee Hilltop-Secretary", "email": groupEmail, "password": "a long enough password"},
	})
	s.confirmAddress(t, groupEmail)
	applicant := s.signIn(t, groupEmail, "a long enough password")
	assessor, officer, head := s.staff(t, "assessor"), s.staff(t, "officer"), s.staff(t, "head_of_commissioning")

	id := s.applyFor(t, applicant, 700000)
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	s.must(t, http.StatusOK, "POST", path+"/conflicts", officer, map[string]any{"has_conflict": true, "details": "a trustee of the applicant"})
	s.must(t, http.StatusOK, "POST", path+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Sound plan"})
	approve := map[string]any{"no_conflict": true, "outcome": "approve", "amount_pence": 700000,
		"purpose": "Evening detached youth work in Melton.", "reasons": "Reduces anti-social behaviour where young people gather after dark.",
		"conditions": []string{"Acknowledge the Commissioner's funding"}}
	s.must(t, http.StatusOK, "POST", path+"/decision", head, approve)

	// Listed as soon as the approval is answered: no waiting for the offer.
	visitor := s.webVisitor(t)
	var number, pageLink, pdfLink string
	for i := 0; i < 200 && number == ""; i++ {
		list := s.must(t, http.StatusOK, "GET", "/api/v1/decisions", "", nil)
		for _, d := range dig(list.Body, "decisions").([]any) {
			if dig(d, "recipient") == "Hilltop Residents Association" {
				number, pageLink, pdfLink = dig(d, "number").(string), dig(d, "page").(string), dig(d, "pdf").(string)
				if dig(d, "amount_pence") != float64(700000) || dig(d, "decision") != "award" || dig(d, "office") != "Head of Commissioning" ||
					dig(d, "band") != "Head of commissioning" || dig(d, "scheme") != "Grassroots Community Fund" {
					t.Errorf("listed as %v", d)
				}
			}
		}
		if number == "" {
			s.awaitStatus(t, applicant, id, "offered") // the record is issued before the offer; once offered it must be there
		}
	}
	if number == "" || !strings.HasPrefix(number, "PCC/") {
		t.Fatalf("the head of commissioning's approval is not on the public list (number %q)", number)
	}
	s.awaitStatus(t, applicant, id, "offered")

	// The page and the PDF, with no sign-in.
	people := []string{"Lee Hilltop-Secretary", groupEmail, "7 Hill Rise", "LE13 0ZZ"}
	for _, a := range demo.Accounts {
		people = append(people, a.Name, a.Email)
	}
	published := []string{number, "Hilltop Residents Association", "£7,000.00", "Head of Commissioning", "Head of commissioning",
		"Reduces anti-social behaviour where young people gather after dark.", "Evening detached youth work in Melton.",
		"A commissioning officer declared an interest and took no part."}
	list := visitor.get("/decisions")
	list.mustSay(t, http.StatusOK, number, "Hilltop Residents Association", "£7,000.00", "Head of Commissioning", "Award")
	page := visitor.get(pageLink)
	page.mustSay(t, http.StatusOK, published...)
	page.mustSay(t, http.StatusOK, "Decision maker", "Delegation band", "The Head of Commissioning has decided to award Hilltop Residents Association a grant of £7,000.00")
	res, err := visitor.client.Get(s.URL + pdfLink)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if _, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err != nil || params["filename"] != "decision-record-"+strings.ReplaceAll(number, "/", "-")+".pdf" {
		t.Errorf("Content-Disposition %q", res.Header.Get("Content-Disposition"))
	}
	pdf, err := pdftext.Text(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range append(published, "Decision maker Head of Commissioning", "Delegation band Head of commissioning") {
		if !strings.Contains(pdf, want) {
			t.Errorf("the published PDF lacks %q:\n%s", want, pdf)
		}
	}
	api := s.must(t, http.StatusOK, "GET", "/api/v1/decisions/"+strings.ReplaceAll(number, "/", "-"), "", nil)
	for name, text := range map[string]string{"page": page.text(), "PDF": pdf, "list": list.text(), "API": string(api.Raw)} {
		for _, p := range people {
			if strings.Contains(text, p) {
				t.Errorf("the published %s names %q", name, p)
			}
		}
	}

	// Declined above the band: never published.
	declinedID := s.applyFor(t, applicant, 600000)
	declinedPath := fmt.Sprintf("/api/v1/applications/%d", declinedID)
	s.must(t, http.StatusOK, "POST", declinedPath+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Sound plan"})
	s.must(t, http.StatusOK, "POST", declinedPath+"/decision", head, map[string]any{"no_conflict": true, "outcome": "decline",
		"decline_reasons": []string{"The fund is committed elsewhere this year."}})
	s.awaitDocument(t, applicant, declinedID, "decline_letter")
	after := s.must(t, http.StatusOK, "GET", "/api/v1/decisions", "", nil)
	if n := len(dig(after.Body, "decisions").([]any)); n != 1 {
		t.Errorf("%d decisions listed after a decline; want only the approval: %s", n, after.Raw)
	}

	// Filters and addresses that do not exist.
	decided, err := time.ParseInLocation(time.DateOnly, dig(api.Body, "date").(string), scheme.London)
	if err != nil {
		t.Fatal(err)
	}
	fy := fmt.Sprint(scheme.FinancialYear(decided))
	if got := dig(s.must(t, http.StatusOK, "GET", "/api/v1/decisions?financial_year="+fy, "", nil).Body, "decisions").([]any); len(got) != 1 {
		t.Errorf("the decision's own financial year lists %d", len(got))
	}
	if got := dig(s.must(t, http.StatusOK, "GET", "/api/v1/decisions?financial_year=2001-02", "", nil).Body, "decisions").([]any); len(got) != 0 {
		t.Errorf("2001-02 lists %d", len(got))
	}
	for _, bad := range []string{"abc", "2026-28", "1999"} {
		r := s.must(t, http.StatusUnprocessableEntity, "GET", "/api/v1/decisions?financial_year="+bad, "", nil)
		requireRefusal(t, "financial_year="+bad, r, http.StatusUnprocessableEntity, "financial_year")
		visitor.get("/decisions?financial_year="+bad).mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Choose a financial year")
	}
	visitor.get("/decisions?financial_year=%ff").mustSay(t, http.StatusUnprocessableEntity, "There is a problem")
	for _, missing := range []string{"/decisions/PCC-2026-999", "/decisions/PCC-2026-999.pdf", "/decisions/nonsense", "/decisions/PCC-20x6-001"} {
		visitor.get(missing).mustSay(t, http.StatusNotFound, "Page not found")
	}
	s.must(t, http.StatusNotFound, "GET", "/api/v1/decisions/PCC-2026-999", "", nil)
	recordHistory(t, s, id, "grassroots_head_of_commissioning_published.json")
}
