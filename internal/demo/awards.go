package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"grantflow/internal/apiclient"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// Awards makes the demo's first grants when nothing has been awarded yet, so that the public
// register, the open data, the decision records and the performance page have something to show
// on a fresh `make run`: one grassroots grant to the demo applicant, decided by an officer and
// paid, and two three-year service awards to invented providers, one decided by the head of
// commissioning and one by the Commissioner, each with its first tranche paid. Every step goes
// through the running system's API (base, such as http://localhost:8080) and its workflows, as
// the people would take it; nothing is written to the database here. st is read only for the
// e-mailed link that confirms a new provider's address.
func Awards(ctx context.Context, base string, st *store.Store, now time.Time) error {
	w := &walker{ctx: ctx, base: base, st: st, now: now, http: &http.Client{Timeout: 30 * time.Second}}
	var reg struct {
		Grants []json.RawMessage `json:"grants"`
	}
	if err := w.call("GET", "/api/v1/register", "", nil, &reg); err != nil {
		return err
	}
	if len(reg.Grants) > 0 {
		return nil
	}
	code, err := store.TOTPCode(TOTPSecret, now)
	if err != nil {
		return err
	}
	w.staff = map[string]string{}
	for _, a := range Accounts {
		if a.Role == scheme.RoleApplicant {
			if w.applicant, err = w.signIn(a.Email, Password, ""); err != nil {
				return err
			}
			continue
		}
		if w.staff[a.Email], err = w.signIn(a.Email, Password, code); err != nil {
			return err
		}
	}
	if err := w.grassroots(); err != nil {
		return fmt.Errorf("demo grassroots grant: %w", err)
	}
	for _, p := range demoProviders {
		if err := w.service(p); err != nil {
			return fmt.Errorf("demo service award to %s: %w", p.org, err)
		}
	}
	return nil
}

// demoProviders are the invented providers of the demo's service awards.
var demoProviders = []struct {
	org, charity, email, service, area, priority, decider string
	perYear                                               money.Pence
}{
	{"Safe Haven Domestic Abuse Partnership", "1199991", "services@safe-haven.example.org", "Independent domestic violence advocacy",
		"Leicester", "Victim Services", "commissioner@opcc.example.org", money.Pounds(150000)},
	{"Northgate Youth Diversion", "1199992", "services@northgate-youth.example.org", "Youth diversion at the reachable moment",
		"Charnwood", "Vulnerability Protection", "head@opcc.example.org", money.Pounds(40000)},
}

type walker struct {
	ctx       context.Context
	base      string
	st        *store.Store
	now       time.Time
	http      *http.Client
	applicant string
	staff     map[string]string // tokens by e-mail
}

func (w *walker) call(method, path, token string, body, out any) error {
	req, _, err := apiclient.NewRequest(w.ctx, method, w.base+path, token, body)
	if err != nil {
		return err
	}
	res, err := w.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %.300s", method, path, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (w *walker) signIn(email, password, otp string) (string, error) {
	body := map[string]string{"email": email, "password": password}
	if otp != "" {
		body["otp"] = otp
	}
	var out struct{ Token string }
	err := w.call("POST", "/api/v1/tokens", "", body, &out)
	return out.Token, err
}

func (w *walker) id(token string) (int64, error) {
	var me struct{ ID int64 }
	err := w.call("GET", "/api/v1/me", token, nil, &me)
	return me.ID, err
}

// await waits for the application to reach the stage (workflows move on asynchronously).
func (w *walker) await(token string, id int64, stage workflows.Stage) error {
	var app struct{ Status string }
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if err := w.call("GET", fmt.Sprintf("/api/v1/applications/%d", id), token, nil, &app); err != nil {
			return err
		}
		if app.Status == string(stage) {
			return nil
		}
	}
	return fmt.Errorf("application %d stayed %s, waiting for %s", id, app.Status, stage)
}

func (w *walker) schemeRound(slug string) (schemeID, roundID int64, err error) {
	var list struct {
		Schemes []struct {
			ID   int64
			Slug string
		}
	}
	if err := w.call("GET", "/api/v1/schemes", "", nil, &list); err != nil {
		return 0, 0, err
	}
	for _, s := range list.Schemes {
		if s.Slug == slug {
			schemeID = s.ID
		}
	}
	var detail struct{ Rounds []struct{ ID int64 } }
	if err := w.call("GET", fmt.Sprintf("/api/v1/schemes/%d", schemeID), "", nil, &detail); err != nil {
		return 0, 0, err
	}
	if len(detail.Rounds) == 0 {
		return 0, 0, fmt.Errorf("the %s scheme has no round", slug)
	}
	return schemeID, detail.Rounds[0].ID, nil
}

var demoScores = []map[string]any{
	{"criterion": "fit", "score": 4, "comment": "Clear fit with the plan's priorities"},
	{"criterion": "need", "score": 4, "comment": "Local figures show the need"},
	{"criterion": "deliverability", "score": 4, "comment": "An experienced team"},
	{"criterion": "value", "score": 3, "comment": "Reasonable costs"},
	{"criterion": "partnership", "score": 5, "comment": "Works with the neighbourhood team"},
}

var demoBank = map[string]string{"sort_code": "08-99-99", "account_number": "66374958"}

func bankFor(name string) map[string]string {
	return map[string]string{"account_name": name, "sort_code": demoBank["sort_code"], "account_number": demoBank["account_number"]}
}

// pay has the two members of finance sign the payment off and the first record it paid.
func (w *walker) pay(path string, tranche int, amount money.Pence, reference string) error {
	body := map[string]any{}
	if tranche > 0 {
		body["tranche"] = tranche
	}
	if err := w.call("POST", path+"/payment-proposal", w.staff["finance@opcc.example.org"], body, nil); err != nil {
		return err
	}
	if err := w.call("POST", path+"/payment-approval", w.staff["finance2@opcc.example.org"], body, nil); err != nil {
		return err
	}
	body["amount_pence"], body["paid_on"], body["reference"] = amount, w.now.In(scheme.London).Format(time.DateOnly), reference
	return w.call("POST", path+"/payments", w.staff["finance@opcc.example.org"], body, nil)
}

func (w *walker) grassroots() error {
	schemeID, roundID, err := w.schemeRound("grassroots")
	if err != nil {
		return err
	}
	amount := money.Pounds(2500)
	answers := GrassrootsAnswers(amount)
	body := map[string]any{"scheme_id": schemeID, "round_id": roundID, "title": "Safer Streets after dark",
		"purpose":                "Evening detached youth work in Melton to reduce anti-social behaviour.",
		"amount_requested_pence": amount, "project_start": w.now.AddDate(0, 1, 0).Format(time.DateOnly),
		"project_end": w.now.AddDate(0, 10, 0).Format(time.DateOnly), "areas": []string{"Melton"},
		"priorities": []string{"Anti-social behaviour", "Serious violence"}, "answers": answers}
	var draft struct{ ID int64 }
	if err := w.call("POST", "/api/v1/applications", w.applicant, body, &draft); err != nil {
		return err
	}
	path := fmt.Sprintf("/api/v1/applications/%d", draft.ID)
	if err := w.call("POST", path+"/submit", w.applicant, nil, nil); err != nil {
		return err
	}
	if err := w.await(w.applicant, draft.ID, workflows.StageAssessment); err != nil {
		return err
	}
	if err := w.call("POST", path+"/assessments", w.staff["assessor@opcc.example.org"], map[string]any{
		"no_conflict": true, "scores": demoScores, "recommendation": "fund", "comment": "A sound plan"}, nil); err != nil {
		return err
	}
	if err := w.call("POST", path+"/decision", w.staff["officer@opcc.example.org"], map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": amount,
		"purpose":    "Two evening sessions a week of detached youth work and sport in Melton town centre.",
		"reasons":    "Gives young people somewhere to be on the weekday evenings when reports of anti-social behaviour peak.",
		"conditions": []string{"Acknowledge the Commissioner's funding in publicity"}}, nil); err != nil {
		return err
	}
	if err := w.await(w.applicant, draft.ID, workflows.StageOffered); err != nil {
		return err
	}
	if err := w.call("POST", path+"/acceptance", w.applicant, bankFor("Riverside Youth Project"), nil); err != nil {
		return err
	}
	return w.pay(path, 0, amount, "BACS-DEMO-1")
}

var verifyLink = regexp.MustCompile(`/verify-email/([A-Za-z0-9_-]{43})`)

func (w *walker) service(p struct {
	org, charity, email, service, area, priority, decider string
	perYear                                               money.Pence
}) error {
	const password = "a demo provider's password"
	if err := w.call("POST", "/api/v1/registrations", "", map[string]any{
		"organisation": map[string]string{"name": p.org, "type": "cio", "charity_number": p.charity,
			"address": "10 Example Street, Leicester", "postcode": "LE1 6XX"},
		"user": map[string]string{"name": "Demo Provider", "email": p.email, "password": password},
	}, nil); err != nil {
		return err
	}
	var token string
	for deadline := time.Now().Add(30 * time.Second); token == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var bodies []string
		if err := w.st.DB.SelectContext(w.ctx, &bodies, `SELECT body_text FROM messages WHERE address = lower($1) ORDER BY id DESC`, p.email); err != nil {
			return err
		}
		for _, b := range bodies {
			if m := verifyLink.FindStringSubmatch(b); m != nil {
				token = m[1]
				break
			}
		}
	}
	if token == "" {
		return fmt.Errorf("no address confirmation was e-mailed to %s", p.email)
	}
	if err := w.call("POST", "/api/v1/email-verifications/complete", "", map[string]string{"token": token}, nil); err != nil {
		return err
	}
	provider, err := w.signIn(p.email, password, "")
	if err != nil {
		return err
	}
	schemeID, roundID, err := w.schemeRound("commissioned-services")
	if err != nil {
		return err
	}
	fy := scheme.FinancialYear(w.now)
	var years []map[string]any
	for y := fy; y < fy+3; y++ {
		years = append(years, map[string]any{"financial_year": y, "amount_pence": p.perYear})
	}
	service := map[string]any{
		"service":     p.service,
		"description": "A service across the city and county for the people the Police and Crime Plan puts first.",
		"years":       years,
		"outcomes": []map[string]any{{"outcome": "People at risk are safer", "indicators": []map[string]any{
			{"key": "supported", "name": "People supported", "unit": "people", "quarterly_target": 60},
			{"key": "plans", "name": "Safety plans completed", "unit": "plans", "quarterly_target": 45}}}},
		"safeguarding": map[string]any{"policy_reviewed_on": w.now.AddDate(0, -3, 0).Format(time.DateOnly), "lead": "Designated safeguarding lead", "dbs_checks": true},
		"governance":   map[string]any{"trustees": 7, "latest_accounts_year": scheme.FinancialYearLabel(fy - 1)},
	}
	var draft struct{ ID int64 }
	if err := w.call("POST", "/api/v1/applications", provider, map[string]any{
		"scheme_id": schemeID, "round_id": roundID, "title": p.service, "purpose": p.service + " for three years.",
		"areas": []string{p.area}, "priorities": []string{p.priority}, "service": service}, &draft); err != nil {
		return err
	}
	id, path := draft.ID, fmt.Sprintf("/api/v1/applications/%d", draft.ID)
	if err := w.call("POST", path+"/submit", provider, nil, nil); err != nil {
		return err
	}
	if err := w.await(provider, id, workflows.StageAssessment); err != nil {
		return err
	}
	officer, assessor, officer2 := w.staff["officer@opcc.example.org"], w.staff["assessor@opcc.example.org"], w.staff["officer2@opcc.example.org"]
	a1, err := w.id(assessor)
	if err != nil {
		return err
	}
	a2, err := w.id(officer2)
	if err != nil {
		return err
	}
	if err := w.call("POST", path+"/panel", officer, map[string]any{"assessor_ids": []int64{a1, a2},
		"deadline": w.now.AddDate(0, 0, 14).Format(time.DateOnly)}, nil); err != nil {
		return err
	}
	for _, t := range []string{assessor, officer2} {
		if err := w.call("POST", path+"/assessments", t, map[string]any{
			"no_conflict": true, "scores": demoScores, "recommendation": "fund", "comment": "A strong service"}, nil); err != nil {
			return err
		}
	}
	if err := w.await(officer, id, workflows.StageModeration); err != nil {
		return err
	}
	start := w.now.In(scheme.London)
	start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, scheme.London)
	years[0]["amount_pence"] = workflows.ProRate(p.perYear, workflows.QuarterOf(start))
	if err := w.call("POST", path+"/moderation", officer, map[string]any{
		"recommendation": "fund", "years": years, "start_date": start.Format(time.DateOnly),
		"conditions":           []string{"Quarterly attendance at the partnership board"},
		"conditions_precedent": []string{"An up-to-date safeguarding policy approved by the board"},
		"reasons":              "Meets the " + p.priority + " priority; the service reduces repeat victimisation."}, nil); err != nil {
		return err
	}
	if err := w.await(officer, id, workflows.StageDecision); err != nil {
		return err
	}
	if err := w.call("POST", path+"/decision", w.staff[p.decider], map[string]any{"no_conflict": true, "outcome": "approve"}, nil); err != nil {
		return err
	}
	if err := w.await(provider, id, workflows.StageOffered); err != nil {
		return err
	}
	if err := w.call("POST", path+"/acceptance", provider, bankFor(p.org), nil); err != nil {
		return err
	}
	if err := w.await(officer, id, workflows.StageAccepted); err != nil {
		return err
	}
	if err := w.call("POST", path+"/conditions-precedent", officer, map[string]any{"note": "Policy seen."}, nil); err != nil {
		return err
	}
	if err := w.await(provider, id, workflows.StageActive); err != nil {
		return err
	}
	// The first tranche is released once the agreement starts: wait for finance to see it.
	var fin struct {
		Tranches []struct {
			Status      string
			AmountPence money.Pence `json:"amount_pence"`
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if err := w.call("GET", path+"/finance", w.staff["finance@opcc.example.org"], nil, &fin); err != nil {
			return err
		}
		if len(fin.Tranches) > 0 && fin.Tranches[0].Status == "released" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("application %d's first tranche was not released", id)
		}
	}
	return w.pay(path, 1, fin.Tranches[0].AmountPence, fmt.Sprintf("BACS-DEMO-%d", id))
}
