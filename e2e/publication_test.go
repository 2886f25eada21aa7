package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/internal/pdftext"
	"grantflow/money"
	"grantflow/publication"
	"grantflow/publication/threesixtygiving"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// publicationRun is a run with grants of both kinds, driven through the API, for the checks of what
// is published (the grants register, its monthly publications, 360Giving, decision records):
// a grassroots grant to a registered charity (accepted and paid), one to a constituted community
// group with no charity or company number (offered), a service award varied by the Commissioner
// and accepted again, and a service award ended early. Personal lists every personal detail anyone
// in the run gave (names, e-mail addresses, street addresses, postcodes, phone numbers), none of
// which may appear in anything public.
type publicationRun struct {
	Charity, Group, Varied, Ended publishedApp
	Officer                       string // an officer's token, to read the applications
	Personal                      []string
}

// publishedApp is one application of the run and what the register should say of its recipient.
type publishedApp struct {
	ID                           int64
	Organisation, OrgType        string // the name; scheme.Org* code
	CharityNumber, CompanyNumber string
	WantStatus                   string // as the register says it
	WantPaid                     money.Pence
}

// registerOrganisation registers an organisation with its first member, confirms their address
// and signs them in.
func (s *system) registerOrganisation(t *testing.T, org map[string]string, name, email string) string {
	t.Helper()
	s.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", map[string]any{
		"organisation": org, "user": map[string]string{"name": name, "email": email, "password": "a long enough password"}})
	s.confirmAddress(t, email)
	return s.signIn(t, email, "a long enough password")
}

// grassrootsAward applies for a grassroots grant and has it approved by an officer.
func (s *system) grassrootsAward(t *testing.T, applicant string, amount int64, purpose, reasons string, conditions []string) int64 {
	t.Helper()
	id := s.applyFor(t, applicant, amount)
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	s.must(t, http.StatusOK, "POST", path+"/assessments", s.staff(t, "assessor"), map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Sound plan"})
	s.must(t, http.StatusOK, "POST", path+"/decision", s.staff(t, "officer"), map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": amount, "purpose": purpose, "reasons": reasons, "conditions": conditions})
	s.awaitStatus(t, applicant, id, "offered")
	return id
}

func (s *system) publicationRun(t *testing.T) publicationRun {
	t.Helper()
	run := publicationRun{Officer: s.staff(t, "officer")}
	for _, a := range demo.Accounts { // staff act in the run: their names and addresses stay private
		run.Personal = append(run.Personal, a.Name, a.Email)
	}

	// A registered charity's grassroots grant, accepted and paid.
	charityOrg := map[string]string{"name": "Wigston Lanterns Trust", "type": scheme.OrgRegisteredCharity, "charity_number": "1188123",
		"address": "7 Bell Street, Wigston", "postcode": "LE18 1AD"}
	charity := s.registerOrganisation(t, charityOrg, "Morag Quennell", "morag@lanterns.example.org")
	run.Charity = publishedApp{Organisation: charityOrg["name"], OrgType: scheme.OrgRegisteredCharity, CharityNumber: "1188123",
		WantStatus: "Under way", WantPaid: 380000}
	run.Charity.ID = s.grassrootsAward(t, charity, 380000, "Lantern-lit evening walks and a drop-in for young people in Wigston.",
		"Gives young people somewhere to be on the evenings when most anti-social behaviour is reported.",
		[]string{"Acknowledge the Commissioner's funding in publicity"})
	path := fmt.Sprintf("/api/v1/applications/%d", run.Charity.ID)
	s.must(t, http.StatusOK, "POST", path+"/acceptance", charity, testBank)
	s.awaitStatus(t, charity, run.Charity.ID, "accepted")
	s.signOffPayment(t, path, 0)
	s.must(t, http.StatusOK, "POST", path+"/payments", s.staff(t, "finance"), map[string]any{
		"amount_pence": 380000, "paid_on": time.Now().In(scheme.London).Format(time.DateOnly), "reference": "BACS-PUB-1"})
	run.Personal = append(run.Personal, "Morag Quennell", "morag@lanterns.example.org", charityOrg["address"], charityOrg["postcode"])

	// An unregistered constituted community group's grant, offered: it appears by its name alone.
	groupOrg := map[string]string{"name": "Friends of Knighton Fields", "type": scheme.OrgCommunityGroup,
		"address": "23 Welford Road, Leicester", "postcode": "LE2 6BD"}
	group := s.registerOrganisation(t, groupOrg, "Tomasz Wierzbicki", "tomasz@knighton-fields.example.org")
	run.Group = publishedApp{Organisation: groupOrg["name"], OrgType: scheme.OrgCommunityGroup, WantStatus: "Offered"}
	run.Group.ID = s.grassrootsAward(t, group, 150000, "A monthly litter pick and a summer fun day on Knighton Fields.",
		"Cared-for open space draws fewer incidents of criminal damage.", []string{"Tell us of any change to the group's committee"})
	run.Personal = append(run.Personal, "Tomasz Wierzbicki", "tomasz@knighton-fields.example.org", groupOrg["address"], groupOrg["postcode"])

	// Two service awards decided by the Commissioner: one varied (a smaller second year and one
	// more condition) and accepted again, one ended early.
	fy := scheme.FinancialYear(s.now())
	const perYear = 10_000_000 // £100,000.00 a year: over £100,000.00 in all, so the Commissioner decides
	provider, varied := s.serviceApplication(t, "Beacon Advocacy Partnership", perYear, fy, 2)
	s.driveToActive(t, provider, varied, perYear, fy, 2)
	path = fmt.Sprintf("/api/v1/applications/%d", varied)
	firstYear := dig(s.must(t, http.StatusOK, "GET", path, run.Officer, nil).Body, "award_years", "0", "amount_pence")
	commissioner := s.staff(t, "commissioner")
	s.must(t, http.StatusOK, "POST", path+"/variations", commissioner, map[string]any{
		"years":      []map[string]any{{"financial_year": fy, "amount_pence": firstYear}, {"financial_year": fy + 1, "amount_pence": perYear - 1_000_000}},
		"conditions": []string{"Quarterly attendance at the domestic abuse partnership board", "An advocate based at the Royal Infirmary"},
		"summary":    "£10,000.00 less in the second year; an advocate at the hospital.",
	})
	s.awaitDocumentVersion(t, provider, varied, "grant_agreement", 2)
	s.must(t, http.StatusOK, "POST", path+"/variation-acceptance", provider, map[string]any{"version": 2})
	run.Varied = publishedApp{ID: varied, Organisation: "Beacon Advocacy Partnership", OrgType: scheme.OrgCIO, CharityNumber: "1199999", WantStatus: "Under way"}

	provider2, ended := s.serviceApplication(t, "Harbour Recovery Service", perYear, fy, 2)
	s.driveToActive(t, provider2, ended, perYear, fy, 2)
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/termination", ended), commissioner, map[string]any{
		"reason": "The provider's lease ended and the service cannot continue."})
	s.awaitStatus(t, provider2, ended, "final_report")
	run.Ended = publishedApp{ID: ended, Organisation: "Harbour Recovery Service", OrgType: scheme.OrgCIO, CharityNumber: "1199999", WantStatus: "Ended early"}
	// registerProvider's people and addresses.
	run.Personal = append(run.Personal, "Sam Provider", "beacon@provider.example.org", "harbour@provider.example.org", "10 Granby Street", "LE1 6XX")
	// The grassroots answers' safeguarding lead, the bank account's holder and numbers.
	run.Personal = append(run.Personal, "Sam Lead", "66374958", "08-99-99")
	return run
}

// apps lists the run's applications.
func (r publicationRun) apps() []publishedApp {
	return []publishedApp{r.Charity, r.Group, r.Varied, r.Ended}
}

// checkNoPersonalData fails for any personal detail of the run in a public body (case and spacing
// of postcodes aside).
func (r publicationRun) checkNoPersonalData(t *testing.T, what, body string) {
	t.Helper()
	flat := strings.ToLower(body)
	for _, p := range r.Personal {
		forms := []string{strings.ToLower(p)}
		if compact := strings.ReplaceAll(strings.ToLower(p), " ", ""); compact != forms[0] && len(compact) <= 8 {
			forms = append(forms, compact) // a postcode written without its space
		}
		for _, f := range forms {
			if strings.Contains(flat, f) {
				t.Errorf("%s shows %q, which is personal", what, p)
			}
		}
	}
}

// wantRegisterRow is what the register should say of an application, read from the application
// itself as staff see it (what was decided, varied or ended) and what the run registered.
func (s *system) wantRegisterRow(t *testing.T, officer string, a publishedApp) map[string]any {
	t.Helper()
	app := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/applications/%d", a.ID), officer, nil)
	award := dig(app.Body, "award")
	day := func(v any) string {
		if v == nil {
			return ""
		}
		at, err := time.Parse(time.RFC3339, v.(string))
		if err != nil {
			return v.(string)[:10]
		}
		if at.Hour() == 0 && at.Minute() == 0 && at.Location() == time.UTC {
			return at.Format(time.DateOnly) // a date column
		}
		return at.In(scheme.London).Format(time.DateOnly)
	}
	pounds := func(v any) string { return publication.Pounds(money.Pence(int64(v.(float64)))).String() }
	start, end := day(dig(award, "start_date")), day(dig(award, "end_date"))
	if start == "" {
		start = app.str("project_start")
	}
	if end == "" {
		end = app.str("project_end")
	}
	record := ""
	if recs, ok := dig(app.Body, "decision_records").([]any); ok && len(recs) > 0 {
		record = fmt.Sprint(dig(recs[0], "number"))
	}
	var conditions []any
	json.Unmarshal([]byte(mustJSON(dig(award, "conditions"))), &conditions)
	wards := dig(app.Body, "answers", "wards")
	if svc := dig(app.Body, "service", "wards"); svc != nil {
		wards = svc
	}
	office := map[string]string{"officer": "Commissioning Officer", "commissioner": "Police and Crime Commissioner"}[fmt.Sprint(dig(award, "approved_role"))]
	orgType := scheme.OrganisationTypes[a.OrgType]
	return map[string]any{
		"reference": dig(award, "reference"), "recipient": a.Organisation, "organisation_type": strings.ToUpper(orgType[:1]) + orgType[1:],
		"charity_number": a.CharityNumber, "company_number": a.CompanyNumber, "scheme": app.str("scheme"), "title": app.str("title"),
		"purpose": dig(award, "purpose"), "conditions": orEmpty(conditions), "reasons": dig(award, "reasons"),
		"amount_awarded": pounds(dig(award, "amount_pence")), "award_date": day(dig(award, "decided_at")),
		"planned_start": start, "planned_end": end, "ended_early_on": day(dig(award, "ended_early_on")),
		"priorities": dig(app.Body, "priorities"), "areas": dig(app.Body, "areas"), "wards": orEmpty(wards),
		"decided_by": office, "decision_record": record, "status": a.WantStatus, "amount_paid": publication.Pounds(a.WantPaid).String(),
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func orEmpty(v any) any {
	if l, ok := v.([]any); ok && len(l) > 0 {
		return l
	}
	return []any{}
}

// getPublic fetches a public address with no session or token.
func (s *system) getPublic(t *testing.T, path string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

// The register after a run with grants of both kinds says, on the page, in its CSV and JSON and
// through the API, what was decided, field by field: the variation's amount and conditions, the
// early ending, the unregistered group by its name alone, the Commissioner's decisions by office and
// record number; a month's publication freezes it with its hashes; nothing public carries a personal
// detail of anyone in the run.
func TestPublicationRegisterMatchesWhatWasDecided(t *testing.T) {
	s := newSystem(t)
	run := s.publicationRun(t)
	want := map[string]map[string]any{}
	for _, a := range run.apps() {
		row := s.wantRegisterRow(t, run.Officer, a)
		want[row["reference"].(string)] = row
	}
	if len(want) != 4 {
		t.Fatalf("the run's references: %v", want)
	}
	var bodies []struct{ what, body string }
	public := func(what, path string, status int) (http.Header, string) {
		t.Helper()
		got, h, body := s.getPublic(t, path)
		if got != status {
			t.Fatalf("%s (%s): %d, want %d: %.300s", what, path, got, status, body)
		}
		bodies = append(bodies, struct{ what, body string }{what, body})
		return h, body
	}

	// The API and the JSON download: one object per grant, each field as decided.
	checkRows := func(what string, rows []any) {
		t.Helper()
		if len(rows) != len(want) {
			t.Errorf("%s lists %d grants, want %d", what, len(rows), len(want))
		}
		for _, r := range rows {
			w, ok := want[fmt.Sprint(dig(r, "reference"))]
			if !ok {
				t.Errorf("%s lists %v, which the run did not award", what, dig(r, "reference"))
				continue
			}
			for field, v := range w {
				got := dig(r, field)
				if f, isNum := got.(float64); isNum {
					got = fmt.Sprintf("%.2f", f)
				}
				if mustJSON(got) != mustJSON(v) {
					t.Errorf("%s: %v's %s = %s, want %s", what, w["reference"], field, mustJSON(got), mustJSON(v))
				}
			}
		}
	}
	if res := s.do(t, "GET", "/api/v1/register", "", nil); res.Status != http.StatusOK { // checked against the OpenAPI document
		t.Fatalf("the register API: %d %s", res.Status, res.Raw)
	}
	_, apiBody := public("the register API", "/api/v1/register", http.StatusOK)
	var api map[string]any
	if err := json.Unmarshal([]byte(apiBody), &api); err != nil {
		t.Fatalf("the API's register is not JSON: %v\n%s", err, apiBody)
	}
	checkRows("the register API", api["grants"].([]any))
	var total money.Pence
	for _, w := range want {
		p, _ := money.Parse(w["amount_awarded"].(string))
		total += p
	}
	if api["count"] != float64(4) || fmt.Sprintf("%.2f", api["amount_awarded"]) != publication.Pounds(total).String() || fmt.Sprintf("%.2f", api["amount_paid"]) != "3800.00" {
		t.Errorf("the API's totals: %v %v %v, want 4, %s, 3800.00", api["count"], api["amount_awarded"], api["amount_paid"], publication.Pounds(total))
	}
	h, jsonBody := public("the JSON download", "/grants.json", http.StatusOK)
	if !strings.Contains(h.Get("Content-Disposition"), `attachment; filename=grants-register.json`) {
		t.Errorf("the JSON download's Content-Disposition: %q", h.Get("Content-Disposition"))
	}
	var rows []any
	if err := json.Unmarshal([]byte(jsonBody), &rows); err != nil {
		t.Fatalf("the JSON download is not JSON: %v", err)
	}
	checkRows("the JSON download", rows)

	// The CSV: the same values under plain-English titles, lists joined with "; ".
	h, csvBody := public("the CSV download", "/grants.csv", http.StatusOK)
	if !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "grants-register.csv") {
		t.Errorf("the CSV download's headers: %v", h)
	}
	records, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
	if err != nil || len(records) != 5 {
		t.Fatalf("the CSV: %v, %d records", err, len(records))
	}
	titles := map[string]string{"reference": "Reference", "recipient": "Recipient", "organisation_type": "Organisation type",
		"charity_number": "Charity number", "company_number": "Company number", "scheme": "Scheme", "title": "Title", "purpose": "Purpose",
		"conditions": "Conditions", "reasons": "Reasons it will reduce crime and disorder", "amount_awarded": "Amount awarded (£)",
		"amount_paid": "Amount paid (£)", "award_date": "Award date", "planned_start": "Planned start", "planned_end": "Planned end",
		"ended_early_on": "Ended early on", "status": "Status", "priorities": "Police and Crime Plan priorities", "areas": "Areas",
		"wards": "Wards", "decided_by": "Decided by", "decision_record": "Decision record"}
	for _, rec := range records[1:] {
		cell := map[string]string{}
		for i, title := range records[0] {
			cell[title] = rec[i]
		}
		w := want[cell["Reference"]]
		for field, v := range w {
			text := fmt.Sprint(v)
			if l, ok := v.([]any); ok {
				var parts []string
				for _, x := range l {
					parts = append(parts, fmt.Sprint(x))
				}
				text = strings.Join(parts, "; ")
			}
			if cell[titles[field]] != text {
				t.Errorf("the CSV: %v's %s = %q, want %q", w["reference"], titles[field], cell[titles[field]], text)
			}
		}
	}

	// Particular facts, in case both sides above were wrong alike.
	byRecipient := map[string]map[string]any{}
	for _, w := range want {
		byRecipient[w["recipient"].(string)] = w
	}
	if g := byRecipient["Friends of Knighton Fields"]; g["charity_number"] != "" || g["company_number"] != "" || g["organisation_type"] != "Constituted community group" ||
		g["decided_by"] != "Commissioning Officer" || g["decision_record"] != "" || g["amount_awarded"] != "1500.00" {
		t.Errorf("the unregistered group's grant: %v", g)
	}
	if v := byRecipient["Beacon Advocacy Partnership"]; !strings.HasPrefix(fmt.Sprint(v["decision_record"]), "PCC/") || v["decided_by"] != "Police and Crime Commissioner" ||
		!slices.Contains(v["conditions"].([]any), any("An advocate based at the Royal Infirmary")) {
		t.Errorf("the varied award: %v", v)
	}
	if e := byRecipient["Harbour Recovery Service"]; e["ended_early_on"] != time.Now().In(scheme.London).Format(time.DateOnly) {
		t.Errorf("the award ended early: %v", e)
	}

	// The page: the filters, the totals, each grant's facts; a filter narrows it and the downloads
	// carry it; a bad filter is named in an error summary.
	_, page := public("the register page", "/grants", http.StatusOK)
	for _, w := range want {
		for _, f := range []string{"reference", "recipient", "purpose", "reasons", "status"} {
			if !strings.Contains(page, htmlEscape(fmt.Sprint(w[f]))) {
				t.Errorf("the register page lacks %v's %s %q", w["reference"], f, w[f])
			}
		}
		if p, _ := money.Parse(w["amount_awarded"].(string)); !strings.Contains(page, p.String()) {
			t.Errorf("the register page lacks %v's amount %v", w["reference"], p)
		}
	}
	for _, wantText := range []string{total.String(), "£3,800.00", "Financial year", "Month awarded", "Police and Crime Plan priority", `href="/grants.csv"`, `href="/grants.json"`} {
		if !strings.Contains(page, wantText) {
			t.Errorf("the register page lacks %q", wantText)
		}
	}
	_, narrowed := public("the register of one scheme", "/grants?scheme=grassroots", http.StatusOK)
	if strings.Contains(narrowed, "Beacon Advocacy Partnership") || !strings.Contains(narrowed, "Wigston Lanterns Trust") ||
		!strings.Contains(narrowed, `href="/grants.csv?scheme=grassroots"`) {
		t.Errorf("the grassroots register:\n%s", narrowed)
	}
	_, csvNarrowed := public("the CSV of one scheme", "/grants.csv?scheme=grassroots&area=Melton", http.StatusOK)
	if n := strings.Count(csvNarrowed, "\r\n"); n != 3 {
		t.Errorf("the grassroots CSV in Melton has %d lines, want a header and 2 grants:\n%s", n, csvNarrowed)
	}
	for _, bad := range []struct{ query, field, message string }{
		{"month=2026-13", "month", "Select a month from the list"},
		{"financial_year=abc", "financial-year", "Select a financial year from the list"},
		{"scheme=nope", "scheme", "Select a scheme from the list"},
		{"priority=%ff", "priority", "Select a priority from the list"},
	} {
		_, body := public("the register with "+bad.query, "/grants?"+bad.query, http.StatusUnprocessableEntity)
		if !strings.Contains(body, "There is a problem") || !strings.Contains(body, `href="#`+bad.field+`"`) || !strings.Contains(body, bad.message) {
			t.Errorf("the register with %s: no error summary naming %s:\n%.2000s", bad.query, bad.field, body)
		}
		if strings.Contains(body, "We have not made any grants yet") || strings.Contains(body, "Download these grants") {
			t.Errorf("the register with %s says there are no grants, or offers them for download, beside its error:\n%.2000s", bad.query, body)
		}
		public("the CSV with "+bad.query, "/grants.csv?"+bad.query, http.StatusUnprocessableEntity)
		res := s.do(t, "GET", "/api/v1/register?"+bad.query, "", nil)
		requireRefusal(t, "the API with "+bad.query, res, http.StatusUnprocessableEntity, strings.ReplaceAll(bad.field, "-", "_"))
	}
	if res := s.do(t, "GET", "/api/v1/register?financial_year="+fmt.Sprint(scheme.FinancialYear(time.Now())+1), "", nil); res.Status != http.StatusOK || dig(res.Body, "count") != float64(0) {
		t.Errorf("next year's register: %s", res.Raw)
	}
	_, home := public("the home page", "/", http.StatusOK)
	if !strings.Contains(home, `href="/grants"`) {
		t.Error("the home page does not link to the register")
	}

	// The month's publication freezes the award facts (not payments or progress) with their hashes.
	months := map[string]time.Time{}
	for _, w := range want {
		d, _ := time.ParseInLocation(time.DateOnly, w["award_date"].(string), scheme.London)
		months[d.Format("2006-01")] = d
	}
	publisher := &publication.Publisher{Store: s.Store}
	for _, m := range months {
		if _, ok, err := publisher.PublishMonth(context.Background(), m, time.Now()); err != nil || !ok {
			t.Fatalf("publishing %v: %v %v", m, ok, err)
		}
	}
	_, pubs := public("the publications API", "/api/v1/register/publications", http.StatusOK)
	var list struct {
		Publications []struct {
			Number, JSONURL, CSVURL, JSONSHA256, CSVSHA256 string
			Awards                                         int
		}
	}
	if err := json.Unmarshal([]byte(strings.NewReplacer("json_url", "JSONURL", "csv_url", "CSVURL", "json_sha256", "JSONSHA256", "csv_sha256", "CSVSHA256").Replace(pubs)), &list); err != nil ||
		len(list.Publications) != len(months) {
		t.Fatalf("publications: %v %s", err, pubs)
	}
	_, pubPage := public("the publications page", "/grants/publications", http.StatusOK)
	var frozen []any
	for _, p := range list.Publications {
		if !strings.Contains(pubPage, p.Number) || !strings.Contains(pubPage, p.JSONSHA256) || !strings.Contains(pubPage, p.CSVSHA256) {
			t.Errorf("the publications page lacks %s or its hashes", p.Number)
		}
		h, file := public("publication "+p.Number+" JSON", p.JSONURL, http.StatusOK)
		if publication.SHA256([]byte(file)) != p.JSONSHA256 || !strings.Contains(h.Get("Content-Disposition"), publication.FileName(p.Number, publication.FormatJSON)) {
			t.Errorf("%s's JSON: hash %s, want %s; %v", p.Number, publication.SHA256([]byte(file)), p.JSONSHA256, h)
		}
		var awards []any
		json.Unmarshal([]byte(file), &awards)
		frozen = append(frozen, awards...)
		_, csvFile := public("publication "+p.Number+" CSV", p.CSVURL, http.StatusOK)
		if publication.SHA256([]byte(csvFile)) != p.CSVSHA256 || strings.Contains(csvFile, "Amount paid") {
			t.Errorf("%s's CSV: hash or columns wrong:\n%s", p.Number, csvFile)
		}
	}
	if len(frozen) != 4 {
		t.Errorf("the publications freeze %d grants, want 4", len(frozen))
	}
	for _, f := range frozen {
		w := want[fmt.Sprint(dig(f, "reference"))]
		if dig(f, "amount_paid") != nil || dig(f, "status") != nil || fmt.Sprintf("%.2f", dig(f, "amount_awarded")) != w["amount_awarded"] ||
			mustJSON(dig(f, "conditions")) != mustJSON(w["conditions"]) || dig(f, "ended_early_on") != w["ended_early_on"] {
			t.Errorf("frozen %v, want the facts of %v", f, w)
		}
	}

	// The same grants as a 360Giving package and its CSV flattening: both valid against the
	// standard's schema and codelists, each grant as decided, recipients by organisation id.
	_, pkg := public("the 360Giving package", threesixtygiving.JSONPath, http.StatusOK)
	if err := threesixtygiving.Validate(strings.NewReader(pkg)); err != nil {
		t.Errorf("the 360Giving package is not valid: %v", err)
	}
	_, flat := public("the 360Giving CSV", threesixtygiving.CSVPath, http.StatusOK)
	if err := threesixtygiving.ValidateCSV(strings.NewReader(flat)); err != nil {
		t.Errorf("the 360Giving CSV is not valid: %v", err)
	}
	var giving struct{ Grants []map[string]any }
	if err := json.Unmarshal([]byte(pkg), &giving); err != nil || len(giving.Grants) != 4 {
		t.Fatalf("the 360Giving package has %d grants (%v), want 4", len(giving.Grants), err)
	}
	orgOf := map[string]string{}
	for _, a := range run.apps() {
		id := "GB-CHC-" + a.CharityNumber
		if a.CharityNumber == "" {
			var orgID int64
			if err := s.Store.DB.Get(&orgID, `SELECT organisation_id FROM applications WHERE id = $1`, a.ID); err != nil {
				t.Fatal(err)
			}
			id = fmt.Sprintf("%s-ORG-%d", threesixtygiving.DemoPrefix, orgID)
		}
		orgOf[a.Organisation] = id
	}
	for _, g := range giving.Grants {
		ref := strings.TrimPrefix(fmt.Sprint(g["id"]), threesixtygiving.DemoPrefix+"-")
		w, ok := want[ref]
		if !ok {
			t.Errorf("360Giving grant %v is not one of the run's awards", g["id"])
			continue
		}
		recipient := fmt.Sprint(dig(g, "recipientOrganization", "0", "name"))
		if fmt.Sprintf("%.2f", g["amountAwarded"]) != w["amount_awarded"] || g["currency"] != "GBP" || g["awardDate"] != w["award_date"] ||
			recipient != w["recipient"] || dig(g, "recipientOrganization", "0", "id") != orgOf[recipient] ||
			dig(g, "plannedDates", "0", "startDate") != w["planned_start"] || dig(g, "plannedDates", "0", "endDate") != w["planned_end"] {
			t.Errorf("360Giving grant %v, want what was decided: %v (recipient id %s)", g, w, orgOf[recipient])
		}
		paid := 0.0
		if recipient == run.Charity.Organisation {
			paid = float64(run.Charity.WantPaid) / 100
		}
		if got, _ := g["amountDisbursed"].(float64); got != paid && !(paid == 0 && g["amountDisbursed"] == nil) {
			t.Errorf("360Giving grant %v disbursed %v, want %.2f", g["id"], g["amountDisbursed"], paid)
		}
		if locs, _ := g["beneficiaryLocation"].([]any); len(locs) == 0 || dig(locs[0], "geoCode") == nil {
			t.Errorf("360Giving grant %v has no coded beneficiary location: %v", g["id"], g["beneficiaryLocation"])
		}
	}

	// The decision records: the Commissioner's decisions (both service awards and the variation)
	// are public with their numbered records, naming the office; the officers' grassroots
	// decisions are within the officer band and have none.
	var decisions struct {
		Decisions []struct {
			Number, ID, Recipient, Reference, Decision, Office, Page, PDF string
			Amount                                                        int64 `json:"amount_pence"`
		}
	}
	_, listed := public("the decision records", "/api/v1/decisions", http.StatusOK)
	if err := json.Unmarshal([]byte(listed), &decisions); err != nil {
		t.Fatal(err)
	}
	kinds := map[string][]string{}
	for _, d := range decisions.Decisions {
		kinds[d.Recipient] = append(kinds[d.Recipient], d.Decision)
		if d.Office != "Police and Crime Commissioner" || d.Amount <= 0 {
			t.Errorf("decision record %+v, want the Commissioner's office and the amount", d)
		}
		if d.Decision == "award" {
			if w := want[d.Reference]; w == nil || w["decision_record"] != d.Number {
				t.Errorf("decision record %s for %s is not the register's record %v", d.Number, d.Reference, w["decision_record"])
			}
		}
		_, page := public("decision record "+d.Number, d.Page, http.StatusOK)
		if !strings.Contains(page, d.Number) || !strings.Contains(page, htmlEscape(d.Recipient)) {
			t.Errorf("decision record page %s does not show its number and recipient", d.Page)
		}
		h, pdf := public("decision record "+d.Number+" PDF", d.PDF, http.StatusOK)
		if h.Get("Content-Type") != "application/pdf" {
			t.Errorf("%s: %v", d.PDF, h)
		}
		text, err := pdftext.Text([]byte(pdf))
		if err != nil || !strings.Contains(text, d.Number) {
			t.Errorf("%s is not a readable record (%v): %.300s", d.PDF, err, text)
		}
		bodies = append(bodies, struct{ what, body string }{"decision record " + d.Number + " PDF text", text})
	}
	if len(kinds[run.Charity.Organisation]) != 0 || len(kinds[run.Group.Organisation]) != 0 ||
		mustJSON(kinds[run.Varied.Organisation]) != `["variation","award"]` || mustJSON(kinds[run.Ended.Organisation]) != `["award"]` {
		t.Errorf("decision records by recipient %v, want the varied service's award and variation and the ended one's award, none for grassroots", kinds)
	}

	// A correction after publication: the varied award is ended early too. Its month gets version 2
	// saying what changed; version 1 is served as it was.
	v1 := list.Publications[0]
	for _, p := range list.Publications {
		if strings.HasPrefix(p.Number, "REG-"+byRecipient["Beacon Advocacy Partnership"]["award_date"].(string)[:7]) {
			v1 = p
		}
	}
	_, v1Before := public("publication "+v1.Number+" CSV", v1.CSVURL, http.StatusOK)
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/termination", run.Varied.ID), s.staff(t, "commissioner"), map[string]any{
		"reason": "The partnership dissolved."})
	s.awaitStatus(t, run.Officer, run.Varied.ID, "final_report")
	month, _ := time.ParseInLocation(time.DateOnly, byRecipient["Beacon Advocacy Partnership"]["award_date"].(string), scheme.London)
	v2, ok, err := publisher.PublishMonth(context.Background(), month, time.Now())
	if err != nil || !ok || v2.Version != 2 {
		t.Fatalf("the correction: %+v %v %v", v2, ok, err)
	}
	var changes []publication.Change
	json.Unmarshal(v2.Changes, &changes)
	ref := byRecipient["Beacon Advocacy Partnership"]["reference"]
	if len(changes) != 1 || changes[0].Reference != ref || changes[0].Change != "changed" {
		t.Fatalf("version 2's changes: %+v, want %v changed", changes, ref)
	}
	fields := map[string]publication.FieldChange{}
	for _, f := range changes[0].Fields {
		fields[f.Field] = f
	}
	if f := fields["ended_early_on"]; f.Before != "" || f.After != time.Now().In(scheme.London).Format(time.DateOnly) {
		t.Errorf("version 2 says the ending changed %+v", f)
	}
	if f := fields["amount_awarded"]; f.Before != byRecipient["Beacon Advocacy Partnership"]["amount_awarded"] || f.After == f.Before {
		t.Errorf("version 2 says the amount changed %+v", f)
	}
	_, v1After := public("publication "+v1.Number+" CSV again", v1.CSVURL, http.StatusOK)
	if v1After != v1Before || publication.SHA256([]byte(v1After)) != v1.CSVSHA256 {
		t.Errorf("version 1 changed after the correction")
	}
	_, pubPage = public("the publications page after the correction", "/grants/publications", http.StatusOK)
	if !strings.Contains(pubPage, v2.Number) || !strings.Contains(pubPage, "What changed") || !strings.Contains(pubPage, "Ended early on: from") {
		t.Errorf("the publications page does not show version 2 and what changed:\n%s", pubPage)
	}

	for _, b := range bodies {
		run.checkNoPersonalData(t, b.what, b.body)
	}
}

func htmlEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '\'':
			b.WriteString("&#39;")
		case '"':
			b.WriteString("&#34;")
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// The register publication's schedule is made when the worker starts (making it again is no error),
// at 06:30 London time every day; triggering it runs the workflow on the real server, which
// publishes last month's grants (its first working day has passed) and nothing for this month.
func TestPublishRegisterScheduleFreezesLastMonth(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	// A grant decided in an earlier month: made through the store, as the workflows' activities
	// would leave it, since the API decides only today.
	applicant, err := s.Store.UserByEmail(ctx, demo.Accounts[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	officer, err := s.Store.UserByEmail(ctx, "officer@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	schemes, _ := s.Store.Schemes(ctx)
	rounds, _ := s.Store.Rounds(ctx, schemes[0].ID)
	appID, err := s.Store.CreateDraft(ctx, applicant.Organisations[0], applicant.ID, store.Draft{SchemeID: schemes[0].ID, RoundID: rounds[0].ID, Title: "Last month's grant"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(scheme.London)
	decided := time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, scheme.London).AddDate(0, -2, 0)
	if _, err := s.Store.CreateAward(ctx, store.Award{ApplicationID: appID, Reference: "PUB-SCHED-1", Amount: money.Pounds(1200), Purpose: "Purpose.",
		Conditions: json.RawMessage(`[]`), Reasons: "Reasons.", ApprovedBy: officer.ID, ApprovedRole: "officer", DelegationBand: "Commissioning officer",
		RulesVersion: 1, DecidedAt: decided, AcceptBy: decided.AddDate(0, 0, 28)},
		store.Event{Application: appID, Key: "publication-schedule-test", At: decided, ActorName: "Test", ActorRole: "system", What: "approved", Status: "approved"}); err != nil {
		t.Fatal(err)
	}

	for range 2 { // a worker started twice
		if err := app.EnsurePublishRegisterSchedule(ctx, s.Client, s.Queue); err != nil {
			t.Fatal(err)
		}
	}
	handle := s.Client.ScheduleClient().GetHandle(ctx, workflows.PublishRegisterScheduleID(s.Queue))
	t.Cleanup(func() { handle.Delete(context.Background()) })
	desc, err := handle.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spec := desc.Schedule.Spec
	if spec.TimeZoneName != "Europe/London" || len(spec.Calendars) != 1 || len(spec.Calendars[0].Hour) != 1 || spec.Calendars[0].Hour[0].Start != 6 ||
		len(spec.Calendars[0].Minute) != 1 || spec.Calendars[0].Minute[0].Start != 30 {
		t.Errorf("the schedule's spec is %+v, want 06:30 every day in Europe/London", spec)
	}
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok || action.TaskQueue != s.Queue || fmt.Sprint(action.Workflow) != workflows.PublishRegisterWorkflowName {
		t.Errorf("the schedule's action is %+v", desc.Schedule.Action)
	}
	if next := desc.Info.NextActionTimes; len(next) == 0 || next[0].In(scheme.London).Hour() != 6 || next[0].In(scheme.London).Minute() != 30 {
		t.Errorf("the next publication run is at %v, want 06:30 London time", next)
	}

	if err := handle.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	want := publication.Number(decided, 1)
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := s.Store.RegisterPublications(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var numbers []string
		for _, p := range list {
			numbers = append(numbers, p.Number)
		}
		if slices.Contains(numbers, want) {
			thisMonth := publication.Number(now, 1)
			lastMonth := publication.Number(now.AddDate(0, -1, 0), 1)
			if slices.Contains(numbers, thisMonth) || (!publication.Due(now.AddDate(0, -1, 0), time.Now()) && slices.Contains(numbers, lastMonth)) {
				t.Errorf("published %v: a month not yet due", numbers)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after triggering the schedule: %v", want, numbers)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if res := s.do(t, "GET", "/api/v1/register/publications", "", nil); !strings.Contains(string(res.Raw), want) {
		t.Errorf("the publications API lacks %s: %s", want, res.Raw)
	}
}
