package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"grantflow/http/apiv1"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// schemeBody is a whole scheme as the admin API takes it, as a JSON object to change.
func schemeBody(t *testing.T, name string, rules scheme.Rules) map[string]any {
	t.Helper()
	raw, err := json.Marshal(apiv1.SchemeRequest{Name: name, Description: "Small grants for safer nights.", Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (s *system) adminToken(t *testing.T) string {
	t.Helper()
	return s.staff(t, "admin")
}

// An administrator creates a scheme and the head of commissioning edits its rules through the API:
// each refusal names its fields and saves nothing; an edit makes version 2 with who and why; the
// same rules again make none; an edit from a stale version is refused.
func TestAdminSchemesAPI(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	admin, head, officer := s.adminToken(t), s.staff(t, "head_of_commissioning"), s.staff(t, "officer")

	// Refusals, every field named at once; nothing is created.
	bad := schemeBody(t, "Safer Nights Fund", demo.GrassrootsRules())
	bad["criteria"].([]any)[0].(map[string]any)["weight_percent"] = 10
	bad["delegation"].([]any)[1].(map[string]any)["role"] = ""
	bad["max_amount_pence"] = 40000
	bad["area_codes"].(map[string]any)["Leicester"] = "E05000016"
	bad["wards"] = append(bad["wards"].([]any), "Derby: Abbey")
	r := s.do(t, "POST", "/api/v1/admin/schemes", admin, bad)
	requireRefusal(t, "bad rules", r, http.StatusUnprocessableEntity, "")
	fields, _ := dig(r.Body, "error", "fields").(map[string]any)
	for f, says := range map[string]string{
		"criteria":             "the weights add up to 80%, not 100%",
		"delegation[1].role":   "is required",
		"max_amount_pence":     "at least the minimum amount (£500.00)",
		"area_codes.Leicester": "not a local authority district code",
		"wards[20]":            "outside the scheme's areas",
	} {
		if reason, _ := fields[f].(string); !strings.Contains(reason, says) {
			t.Errorf("field %s: %q, want it to say %q (all: %v)", f, reason, says, fields)
		}
	}
	typed := schemeBody(t, "Safer Nights Fund", demo.GrassrootsRules())
	typed["max_amount_pence"] = "lots"
	requireRefusal(t, "money as words", s.do(t, "POST", "/api/v1/admin/schemes", admin, typed), http.StatusUnprocessableEntity, "max_amount_pence")
	nul := schemeBody(t, "Safer Nights Fund", demo.GrassrootsRules())
	nul["area_codes"] = map[string]any{"Leic\u0000ester": "E06000016"}
	requireRefusal(t, "a NUL in an area", s.do(t, "POST", "/api/v1/admin/schemes", admin, nul), http.StatusUnprocessableEntity, "area_codes.Leic\u0000ester")
	requireRefusal(t, "no body", s.do(t, "POST", "/api/v1/admin/schemes", admin, nil), http.StatusBadRequest, "")
	requireRefusal(t, "an officer", s.do(t, "POST", "/api/v1/admin/schemes", officer, schemeBody(t, "Safer Nights Fund", demo.GrassrootsRules())), http.StatusForbidden, "")
	taken := schemeBody(t, "Safer Nights Fund", demo.GrassrootsRules())
	taken["slug"] = "grassroots"
	requireRefusal(t, "a taken address", s.do(t, "POST", "/api/v1/admin/schemes", admin, taken), http.StatusUnprocessableEntity, "slug")
	// The grassroots fund's reference prefix (GCF): references must name one application.
	requireReason(t, "a prefix another scheme has", s.do(t, "POST", "/api/v1/admin/schemes", admin, schemeBody(t, "Safer Nights Fund", demo.GrassrootsRules())),
		"code", "already the reference prefix of Grassroots Community Fund")
	if list, _ := s.Store.Schemes(ctx); len(list) != 2 {
		t.Fatalf("refused schemes were saved: %d schemes", len(list))
	}

	rules := demo.GrassrootsRules()
	rules.Code = "SNF"
	created := s.must(t, http.StatusCreated, "POST", "/api/v1/admin/schemes", admin, schemeBody(t, "Safer Nights Fund", rules))
	id := int64(dig(created.Body, "scheme", "id").(float64))
	if dig(created.Body, "scheme", "slug") != "safer-nights-fund" || dig(created.Body, "scheme", "version") != 1.0 ||
		dig(created.Body, "scheme", "area_codes", "Rutland") != "E06000017" || dig(created.Body, "scheme", "ward_codes", "Leicester: Abbey") != "E05010458" {
		t.Fatalf("created: %s", created.Raw)
	}
	path := fmt.Sprintf("/api/v1/admin/schemes/%d", id)
	current := s.must(t, http.StatusOK, "GET", path, head, nil).Body["scheme"].(map[string]any)

	// An edit needs a reason; refused edits change nothing.
	current["max_amount_pence"] = 600000
	requireRefusal(t, "no reason", s.do(t, "PUT", path, head, current), http.StatusUnprocessableEntity, "reason")
	current["reason"] = "The Commissioner raised the limit at the March board"
	saved := s.must(t, http.StatusOK, "PUT", path, head, current)
	if dig(saved.Body, "new_version") != true || dig(saved.Body, "scheme", "version") != 2.0 ||
		dig(saved.Body, "changes", "0", "text") != "Maximum amount: £5,000.00 → £6,000.00" {
		t.Fatalf("saved: %s", saved.Raw)
	}
	// The same rules again make no version.
	current["version"] = 2
	again := s.must(t, http.StatusOK, "PUT", path, head, current)
	if dig(again.Body, "new_version") != false || dig(again.Body, "scheme", "version") != 2.0 {
		t.Fatalf("saved again: %s", again.Raw)
	}
	// An edit from version 1 would undo version 2 unseen: refused.
	current["version"] = 1
	current["max_amount_pence"] = 700000
	requireRefusal(t, "a stale edit", s.do(t, "PUT", path, admin, current), http.StatusConflict, "")

	versions := s.must(t, http.StatusOK, "GET", path+"/versions", head, nil)
	if n := len(dig(versions.Body, "versions").([]any)); n != 2 ||
		dig(versions.Body, "versions", "0", "by") != "Hana Head" || dig(versions.Body, "versions", "0", "role") != "head_of_commissioning" ||
		dig(versions.Body, "versions", "0", "reason") != "The Commissioner raised the limit at the March board" ||
		dig(versions.Body, "versions", "1", "by") != "Ada Admin" {
		t.Fatalf("versions: %s", versions.Raw)
	}
	v2 := s.must(t, http.StatusOK, "GET", path+"/versions/2", head, nil)
	if dig(v2.Body, "version", "changes", "0", "text") != "Maximum amount: £5,000.00 → £6,000.00" || dig(v2.Body, "version", "rules", "max_amount_pence") != 600000.0 {
		t.Fatalf("version 2: %s", v2.Raw)
	}
	requireRefusal(t, "version 3", s.do(t, "GET", path+"/versions/3", head, nil), http.StatusNotFound, "")
	requireRefusal(t, "an officer reads versions", s.do(t, "GET", path+"/versions", officer, nil), http.StatusForbidden, "")

	// The public list carries the new scheme and its codes.
	public := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/schemes/%d", id), "", nil)
	if dig(public.Body, "scheme", "rules", "area_codes", "Leicester") != "E06000016" && dig(public.Body, "rules", "area_codes", "Leicester") != "E06000016" {
		t.Errorf("the public scheme has no area codes: %.400s", public.Raw)
	}
	events, err := s.Store.AdminEvents(ctx, store.AdminEventFilter{SubjectKind: "scheme", SubjectID: id})
	if err != nil || len(events) != 2 || events[0].Action != "rules.versioned" || events[0].ActorName != "Hana Head" || events[1].Action != "scheme.created" {
		t.Fatalf("audit trail: %+v %v", events, err)
	}
}

// A rules edit during an open application leaves that application's rules as submitted: it is
// decided under them, while an application submitted after the edit follows the new version.
func TestRulesEditLeavesSubmittedRulesAsTheyWere(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	owner := s.signIn(t, demo.Accounts[0].Email, demo.Password)
	head, assessor, officer := s.staff(t, "head_of_commissioning"), s.staff(t, "assessor"), s.staff(t, "officer")
	id := s.applyFor(t, owner, 300000) // £3,000: within the officer's band of £5,000 when submitted
	app, err := s.Store.Application(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	before, kept, err := app.SubmittedRules()
	if err != nil || !kept || before.Version != 1 {
		t.Fatalf("rules kept at submission: %v %v %+v", kept, err, before)
	}

	// The head of commissioning lowers the officer's band to £1,000 and the maximum to £2,500.
	path := fmt.Sprintf("/api/v1/admin/schemes/%d", app.SchemeID)
	current := s.must(t, http.StatusOK, "GET", path, head, nil).Body["scheme"].(map[string]any)
	current["delegation"].([]any)[0].(map[string]any)["up_to_pence"] = 100000
	current["max_amount_pence"] = 250000
	current["reason"] = "Smaller grants this year"
	saved := s.must(t, http.StatusOK, "PUT", path, head, current)
	if dig(saved.Body, "scheme", "version") != 2.0 {
		t.Fatalf("edit: %s", saved.Raw)
	}
	// Its kind cannot change now it has applications.
	current["kind"] = "service"
	current["version"] = 2
	requireRefusal(t, "a new kind", s.do(t, "PUT", path, head, current), http.StatusUnprocessableEntity, "kind")

	app, _ = s.Store.Application(ctx, id)
	after, _, err := app.SubmittedRules()
	if err != nil || !reflect.DeepEqual(after, before) || after.MaxAmount != money.Pounds(5000) || after.Delegation[0].UpTo != money.Pounds(5000) {
		t.Fatalf("the application's rules changed with the scheme's: %+v", after)
	}
	// Decided under the rules it was submitted under: the officer may still approve £3,000.
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/assessments", id), assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Sound plan"})
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/decision", id), officer, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 300000, "purpose": "Youth work.", "reasons": "Reduces anti-social behaviour.",
		"conditions": []string{"Acknowledge the Commissioner's funding"}})
	s.awaitStatus(t, owner, id, "offered")

	// An application submitted now follows version 2.
	later := s.applyFor(t, owner, 200000)
	app, _ = s.Store.Application(ctx, later)
	now, _, err := app.SubmittedRules()
	if err != nil || now.Version != 2 || now.MaxAmount != money.Pounds(2500) || now.Delegation[0].UpTo != money.Pounds(1000) {
		t.Fatalf("a later application's rules: %+v %v", now, err)
	}
}

var (
	inputTag    = regexp.MustCompile(`<input[^>]*>`)
	textareaTag = regexp.MustCompile(`(?s)<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>`)
	selectTag   = regexp.MustCompile(`(?s)<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>`)
	attr        = func(tag, name string) (string, bool) {
		m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return "", false
		}
		return html.UnescapeString(m[1]), true
	}
)

// formValues are the fields a browser would send from the page's form as shown.
func formValues(body string) url.Values {
	v := url.Values{}
	for _, tag := range inputTag.FindAllString(body, -1) {
		name, ok := attr(tag, "name")
		if !ok || name == "csrf_token" {
			continue
		}
		value, _ := attr(tag, "value")
		switch typ, _ := attr(tag, "type"); typ {
		case "checkbox", "radio":
			if strings.Contains(tag, " checked") {
				v.Add(name, value)
			}
		default:
			v.Add(name, value)
		}
	}
	for _, m := range textareaTag.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range selectTag.FindAllStringSubmatch(body, -1) {
		chosen := regexp.MustCompile(`<option value="([^"]*)" selected`).FindStringSubmatch(m[2])
		if chosen != nil {
			v.Set(m[1], html.UnescapeString(chosen[1]))
		} else {
			v.Set(m[1], "")
		}
	}
	return v
}

// The head of commissioning manages schemes through the pages: the form shows every rule, refuses
// what is wrong with a message by each field and keeps what was typed, saves a new version with
// the reason, and the history says what changed in words. Other staff see no way in.
func TestAdminSchemePages(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	head := s.webSignIn(t, "head@opcc.example.org")
	officer := s.webSignIn(t, "officer@opcc.example.org")
	if strings.Contains(officer.get("/work").text(), "Manage schemes") {
		t.Error("an officer is offered Manage schemes")
	}
	head.get("/work").mustSay(t, http.StatusOK, "Manage schemes")
	head.get("/admin/schemes").mustSay(t, http.StatusOK, "Manage schemes", "Grassroots Community Fund", "Commissioned Services Fund", "Create a scheme")
	var gcf store.Scheme
	list, _ := s.Store.Schemes(ctx)
	for _, sc := range list {
		if sc.Slug == "grassroots" {
			gcf = sc
		}
	}
	base := fmt.Sprintf("/admin/schemes/%d", gcf.ID)
	head.get(base).mustSay(t, http.StatusOK, "Leicester (E06000016)", "Leicester: Abbey (E05010458)", "Commissioning officer (Commissioning Officer): up to £5,000.00",
		"Need and evidence (need): 25%")

	edit := head.get(base + "/edit")
	edit.mustSay(t, http.StatusOK, "Change the scheme and its rules", "Maximum amount", "Delegated authority", "Why are you making this change?")
	shown := formValues(edit.Body)
	if shown.Get("max_amount") != "5000.00" || shown.Get("areas[0].name") != "Leicester" || shown.Get("areas[0].code") != "E06000016" ||
		shown.Get("delegation[0].role") != "officer" || shown.Get("criteria[1].key") != "need" || shown.Get("version") != "1" {
		t.Fatalf("the form as shown: %v", shown)
	}

	// Refused: every problem by its field, the typed values kept, nothing saved.
	bad := formValues(edit.Body)
	bad.Set("criteria[0].weight_percent", "20")
	bad.Set("max_amount", "400")
	bad.Set("areas[0].code", "E0600001")
	bad.Set("delegation[1].role", "")
	bad.Set("wards[0].area", "Derby")
	refused := head.post(base+"/edit", bad)
	refused.mustSay(t, http.StatusUnprocessableEntity, "There is a problem",
		"Maximum amount must be at least the minimum amount (£500.00)",
		`Area 1 code: "E0600001" is not a local authority district code`,
		`Ward 1: "Derby: Abbey" is outside the scheme's areas`,
		"Assessment criteria: the weights add up to 90%, not 100%",
		"Band 2 role is required",
		"Why you are making this change is required")
	kept := formValues(refused.Body)
	if kept.Get("max_amount") != "400" || kept.Get("areas[0].code") != "E0600001" || kept.Get("criteria[0].weight_percent") != "20" {
		t.Errorf("the refused form lost what was typed: %v", kept)
	}
	if !strings.Contains(refused.Body, `id="areas-0-code-error"`) || !strings.Contains(refused.Body, `href="#criteria-0-key"`) {
		t.Errorf("the messages are not by their fields, or the summary does not link to them: %s", refused.Body)
	}
	if sc, _ := s.Store.Scheme(ctx, gcf.ID); sc.RulesVer != 1 {
		t.Fatalf("a refused form changed the rules: version %d", sc.RulesVer)
	}

	// Text that cannot be stored is refused by its field, never a failure of ours.
	nul := formValues(edit.Body)
	nul.Set("areas[1].name", "Bla\x00by")
	nul.Set("reason", "x")
	head.post(base+"/edit", nul).mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Area 2")
	huge := formValues(edit.Body)
	huge.Set("acceptance_days", "99999999999999999999")
	huge.Set("criteria[0].weight_percent", "2147483648")
	huge.Set("reason", "x")
	head.post(base+"/edit", huge).mustSay(t, http.StatusUnprocessableEntity, "Days to accept an offer must be a whole number", "Criterion 1 weight must be a whole percentage")

	// Saved: version 2 with the reason; a blank row adds an area.
	good := formValues(edit.Body)
	good.Set("max_amount", "6000")
	good.Set("areas[9].name", "Derby")
	good.Set("areas[9].code", "e06000015")
	good.Set("reason", "The board raised the limit")
	head.post(base+"/edit", good).mustSay(t, http.StatusOK, "Rules version 2 saved", "Maximum amount £6,000.00", "Derby (E06000015)")
	head.get(base+"/versions").mustSay(t, http.StatusOK, "Rules history", "Version 2", "In force", "Hana Head, Head of Commissioning",
		"The board raised the limit", "Maximum amount: £5,000.00 → £6,000.00", "Areas: added Derby (E06000015)")
	head.get(base+"/versions/2").mustSay(t, http.StatusOK, "Rules version 2", "What changed from version 1", "Maximum amount: £5,000.00 → £6,000.00")
	head.get(base+"/versions/1").mustSay(t, http.StatusOK, "Rules version 1", "first version")
	head.get(base+"/versions/9").mustSay(t, http.StatusNotFound, "Page not found")

	// An administrator manages schemes too.
	s.webSignIn(t, "admin@opcc.example.org").get("/admin/schemes").mustSay(t, http.StatusOK, "Manage schemes", "Create a scheme")

	// Create a scheme from the pages: an empty form names what is missing; a whole one is created.
	head.get("/admin/schemes/new").mustSay(t, http.StatusOK, "Create a scheme", "Address")
	head.post("/admin/schemes/new", url.Values{}).mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Name is required",
		"Reference prefix is required", "Minimum amount must be more than £0.00")
	fresh := formValues(head.get("/admin/schemes/new").Body)
	for k, v := range map[string]string{"name": "Rutland Safer Villages", "code": "RSV", "min_amount": "250", "max_amount": "2,500",
		"max_duration_months": "6", "priorities": "Rural crime\n\nAnti-social behaviour\n", "areas[0].name": "Rutland", "areas[0].code": "E06000017",
		"wards[0].area": "Rutland", "wards[0].name": "Oakham North West", "criteria[0].key": "need", "criteria[0].name": "Need",
		"criteria[0].weight_percent": "100", "delegation[0].role": "officer", "delegation[0].title": "Commissioning officer",
		"acceptance_days": "21", "report_due_months": "2"} {
		fresh.Set(k, v)
	}
	fresh.Add("organisation_types", "community_group")
	head.post("/admin/schemes/new", fresh).mustSay(t, http.StatusOK, "Scheme created", "Rutland Safer Villages", "rutland-safer-villages",
		"£250.00", "£2,500.00", "6 months", "Rutland (E06000017)", "Rutland: Oakham North West", "Need (need): 100%", "Constituted community group")
	whole := formValues(head.get(base + "/edit").Body)
	whole.Set("name", "Safer Nights Fund")
	whole.Set("code", "SNF")
	head.post("/admin/schemes/new", whole).mustSay(t, http.StatusOK, "Scheme created", "Safer Nights Fund", "safer-nights-fund")
}
