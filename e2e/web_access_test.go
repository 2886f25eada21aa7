package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"grantflow/http/router"
	"grantflow/internal/demo"
	"grantflow/store"
)

// What a person gets from a page or form, as the access matrix of the pages counts it.
const (
	wOK     = "ok"      // the page, or the step done (after any redirect)
	wForm   = "form"    // let through, but the form is incomplete: shown again with its errors (422)
	wDeny   = "deny"    // refused: not theirs to do, or not now (403 or 409); nothing changed
	wHidden = "hidden"  // not found (404): another organisation's application is never admitted to exist
	wSignIn = "sign-in" // sent to sign in
)

func classify(requested string, p page) string {
	switch {
	case strings.HasPrefix(p.Path, "/sign-in") && !strings.HasPrefix(requested, "/sign-in"):
		return wSignIn
	case p.Status == http.StatusNotFound:
		return wHidden
	case p.Status == http.StatusForbidden || p.Status == http.StatusConflict:
		return wDeny
	case p.Status == http.StatusUnprocessableEntity:
		return wForm
	case p.Status == http.StatusOK:
		return wOK
	}
	return fmt.Sprintf("status %d", p.Status)
}

// TestPageAccessMatrix sends every page and form of the web front door as each kind of person (not
// signed in, a forged session, the applicant organisation, another organisation and each staff
// role) against the same applications as the API's matrix, and checks who is let through. The
// steps go through the API's own methods, so each refusal here is the API's (its matrix gives the
// status codes); forms are sent incomplete unless the row says otherwise, so nothing changes but
// the one acceptance near the end.
func TestPageAccessMatrix(t *testing.T) {
	s := newSystem(t)
	fx := newAccessFixture(t, s)
	ctx := context.Background()
	owner, err := s.Store.UserByEmail(ctx, demo.Accounts[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	upload, err := s.Store.SaveUpload(ctx, store.Upload{ApplicationID: fx.draft, Kind: "safeguarding_policy", Filename: "policy.pdf",
		ContentType: "application/pdf", Content: []byte("%PDF-1.4\n%%EOF\n")}, owner)
	if err != nil {
		t.Fatal(err)
	}

	var people [callers]*webUser
	people[asNone] = s.webVisitor(t)
	people[asBadToken] = s.webVisitor(t)
	u, _ := url.Parse(s.URL)
	people[asBadToken].client.Jar.SetCookies(u, []*http.Cookie{{Name: "grantflow-session", Value: strings.Repeat("A", 43), Path: "/"}})
	people[asOwner] = s.webSignIn(t, demo.Accounts[0].Email)
	people[asOtherOrg] = s.webSignInWith(t, otherOrgEmail, "a long enough password")
	for c, email := range map[int]string{asAssessor: "assessor@opcc.example.org", asOfficer: "officer@opcc.example.org",
		asHead: "head@opcc.example.org", asCommissioner: "commissioner@opcc.example.org", asFinance: "finance@opcc.example.org"} {
		people[c] = s.webSignIn(t, email)
	}
	for _, p := range people {
		p.get("/") // a form token for everyone, signed in or not
	}

	paths := strings.NewReplacer("{A}", fmt.Sprint(fx.assessing), "{O}", fmt.Sprint(fx.offered), "{D}", fmt.Sprint(fx.draft),
		"{S}", fmt.Sprint(fx.service), "{letter}", fmt.Sprint(int64(fx.letter)), "{notice}", fmt.Sprint(int64(fx.notice)),
		"{scheme}", fmt.Sprint(int64(fx.schemeID)), "{round}", fmt.Sprint(int64(fx.roundID)), "{upload}", fmt.Sprint(upload.ID),
		"{unknown}", "9000000000000", "{version}", "1",
		"{org}", fmt.Sprint(owner.Organisations[0]), "{me}", fmt.Sprint(owner.ID),
		"{staff}", fmt.Sprint(fx.assessorID), "{link}", strings.Repeat("A", 43), "{panelfile}", "9000000000000.pdf", "{record}", "PCC-2026-999", "{pubfile}", "REG-2000-01-v1.csv")
	today := time.Now()
	payment := func(id int64) url.Values { // a complete payment form, so the API decides
		key := fmt.Sprintf("%d-0", id)
		return url.Values{"tranche": {"0"}, "amount-" + key: {"0.01"}, "paid-on-" + key + "-day": {fmt.Sprint(today.Day())},
			"paid-on-" + key + "-month": {fmt.Sprint(int(today.Month()))}, "paid-on-" + key + "-year": {fmt.Sprint(today.Year())},
			"reference-" + key: {"BACS-1"}}
	}
	type w = [callers]string // the outcome for each kind of person, in the columns' order
	const (
		ok, form, deny, hidden, signin = wOK, wForm, wDeny, wHidden, wSignIn
	)
	type row struct {
		method, path string
		form         url.Values
		want         w
	}
	// {A} awaits assessment, {O} is offered, {D} is a draft, {S} is a service application in assessment: all the
	// owner's. Columns: not signed in, a forged session, the owner, another organisation, assessor, officer, head of
	// commissioning, commissioner, finance.
	rows := []row{
		// Public pages; signed-in people are sent on to their own start page where a page is not for them.
		{"GET", "/", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/check", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/check", url.Values{}, w{form, form, form, form, form, form, form, form, form}},
		{"GET", "/accessibility", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		// The open data: the page and the 360Giving files, for anyone (the fixture has awards).
		{"GET", "/open-data", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/open-data/360giving.json", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/open-data/360giving.csv", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		// The published decision records are everyone's; a number never published is not found.
		{"GET", "/decisions", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/decisions/{record}", nil, w{hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		// The grants register and its monthly publications are public (no publication exists yet).
		{"GET", "/grants", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/grants?month=2026-13", nil, w{form, form, form, form, form, form, form, form, form}},
		{"GET", "/grants.csv", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/grants.json", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/grants/publications", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/grants/publications/{pubfile}", nil, w{hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		{"GET", "/sign-in", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/sign-in", url.Values{}, w{form, form, form, form, form, form, form, form, form}},
		{"GET", "/register", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/register", url.Values{}, w{form, form, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/sign-out", nil, w{signin, signin, ok, ok, ok, ok, ok, ok, ok}},

		// The applicant organisation's own pages.
		//        none    forged  own     other   asr     off     head    com     fin
		{"GET", "/applications", nil, w{signin, signin, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/applications/new", nil, w{signin, signin, ok, ok, deny, deny, deny, deny, deny}}, // the open rounds to choose from
		{"GET", "/applications/new?round={round}", nil, w{signin, signin, ok, ok, deny, deny, deny, deny, deny}},
		{"POST", "/applications/new?round={round}", url.Values{"title": {"x"}}, w{signin, signin, ok, ok, deny, deny, deny, deny, deny}},
		{"GET", "/applications/{D}/edit", nil, w{signin, signin, ok, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{D}/edit", url.Values{"title": {"Unfinished"}}, w{signin, signin, ok, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{D}/submit", url.Values{}, w{signin, signin, form, hidden, deny, deny, deny, deny, deny}},
		{"GET", "/applications/{D}/tasks", nil, w{signin, signin, ok, hidden, deny, deny, deny, deny, deny}},
		{"GET", "/applications/{D}/sections/about", nil, w{signin, signin, ok, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{D}/sections/about", url.Values{"description": {"Unfinished"}}, w{signin, signin, ok, hidden, deny, deny, deny, deny, deny}},
		{"GET", "/applications/{D}/check-answers", nil, w{signin, signin, ok, hidden, deny, deny, deny, deny, deny}},
		{"GET", "/applications/{A}/submitted", nil, w{signin, signin, ok, hidden, ok, ok, ok, ok, ok}},
		{"GET", "/applications/{A}", nil, w{signin, signin, ok, hidden, ok, ok, ok, ok, ok}},
		{"GET", "/applications/{unknown}", nil, w{signin, signin, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		{"GET", "/documents/{letter}", nil, w{signin, signin, ok, hidden, ok, ok, ok, ok, ok}},
		{"GET", "/documents/{notice}", nil, w{signin, signin, hidden, hidden, ok, ok, ok, ok, ok}},
		{"GET", "/documents/{unknown}", nil, w{signin, signin, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		{"GET", "/applications/{D}/uploads", nil, w{signin, signin, ok, hidden, ok, ok, ok, ok, ok}},
		{"POST", "/applications/{D}/uploads", url.Values{}, w{signin, signin, form, hidden, deny, deny, deny, deny, deny}},
		{"GET", "/uploads/{upload}", nil, w{signin, signin, ok, hidden, ok, ok, ok, ok, ok}},
		//        none    forged  own     other   asr     off     head    com     fin
		{"POST", "/applications/{A}/information-response", url.Values{"answer": {"Three sessions."}}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{A}/acceptance", acceptForm(), w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{A}/report", url.Values{}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{S}/returns", url.Values{"return.quarter": {fmt.Sprintf("%d-1", fx.fy)}, "return.narrative": {"Steady."}}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},

		// Staff steps.
		{"POST", "/applications/{A}/conflicts", url.Values{}, w{signin, signin, deny, hidden, form, form, form, form, deny}},
		{"POST", "/applications/{A}/assessments", url.Values{}, w{signin, signin, deny, hidden, form, form, form, deny, deny}},
		{"POST", "/applications/{A}/decision", url.Values{}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{A}/report-review", url.Values{}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{A}/payments", payment(fx.assessing), w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{S}/panel", url.Values{}, w{signin, signin, deny, hidden, deny, form, form, deny, deny}},
		{"POST", "/applications/{A}/case-officer", url.Values{}, w{signin, signin, deny, hidden, deny, form, form, deny, deny}},
		{"POST", "/applications/{S}/moderation", url.Values{}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{S}/conditions-precedent", url.Values{}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{S}/return-reviews", url.Values{}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{S}/variations", url.Values{}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{S}/termination", url.Values{}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{S}/variation-acceptance", url.Values{"variation.confirm": {"yes"}, "variation.version": {"2"}}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		// Closure steps (not at this stage for anyone): complete forms, so the API's refusal decides.
		{"POST", "/applications/{S}/return-waivers", url.Values{"waiver-quarters": {fmt.Sprintf("%d-1", fx.fy)}, "waiver-reason": {"Stopped."}}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{S}/repayments", url.Values{"repayment-amount": {"1.00"}, "repayment-received-on-day": {fmt.Sprint(today.Day())},
			"repayment-received-on-month": {fmt.Sprint(int(today.Month()))}, "repayment-received-on-year": {fmt.Sprint(today.Year())}, "repayment-reference": {"RTN-1"}},
			w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{S}/write-off", url.Values{"write-off-reason": {"The provider has closed."}}, w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		//        none    forged  own     other   asr     off     head    com     fin
		{"GET", "/notifications", nil, w{signin, signin, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/notifications/{unknown}/read", url.Values{}, w{signin, signin, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		{"GET", "/notification-settings", nil, w{signin, signin, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/notification-settings", url.Values{}, w{signin, signin, form, form, form, form, form, form, form}},
		{"GET", "/work", nil, w{signin, signin, deny, deny, ok, ok, ok, ok, deny}},
		{"GET", "/staff/applications", nil, w{signin, signin, deny, deny, ok, ok, ok, ok, ok}}, // finance too: it only reads
		{"GET", "/staff/applications?stage=bogus", nil, w{signin, signin, deny, deny, form, form, form, form, form}},
		{"GET", "/staff/applications?officer=bogus", nil, w{signin, signin, deny, deny, form, form, form, form, form}},
		{"GET", "/schemes/{scheme}/budget", nil, w{signin, signin, deny, deny, ok, ok, ok, ok, deny}},
		{"GET", "/schemes/{unknown}/budget", nil, w{signin, signin, deny, deny, hidden, hidden, hidden, hidden, deny}},
		{"GET", "/admin/schemes/{scheme}/form", nil, w{signin, signin, deny, deny, deny, deny, ok, deny, deny}},
		{"POST", "/admin/schemes/{scheme}/form", url.Values{}, w{signin, signin, deny, deny, deny, deny, form, deny, deny}},
		{"GET", "/finance", nil, w{signin, signin, deny, deny, deny, ok, ok, deny, ok}},
		{"GET", "/performance", nil, w{signin, signin, deny, deny, deny, ok, ok, ok, ok}},
		{"GET", "/performance?financial_year=2026&quarter=3", nil, w{signin, signin, deny, deny, deny, ok, ok, ok, ok}},
		{"GET", "/performance?quarter=7", nil, w{signin, signin, deny, deny, deny, form, form, form, form}},
		{"GET", "/performance.csv", nil, w{signin, signin, deny, deny, deny, ok, ok, ok, ok}},
		{"GET", "/finance/payments-due.csv", nil, w{signin, signin, deny, deny, deny, ok, ok, deny, ok}},
		{"GET", "/finance/payment-file.csv", nil, w{signin, signin, deny, deny, deny, deny, deny, deny, ok}},
		{"POST", "/finance/proposals", url.Values{}, w{signin, signin, deny, deny, deny, deny, deny, deny, form}},
		{"POST", "/finance/approvals", url.Values{}, w{signin, signin, deny, deny, deny, deny, deny, deny, form}},
		{"POST", "/finance/paid", url.Values{}, w{signin, signin, deny, deny, deny, deny, deny, deny, form}},
		{"GET", "/notifications", nil, w{signin, signin, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/notifications/{unknown}/read", url.Values{}, w{signin, signin, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		// Managing schemes: the administrator and the head of commissioning only; no applicant or
		// assessor reaches any of it. Forms sent empty are shown again with their errors.
		//        none    forged  own     other   asr     off     head    com     fin
		{"GET", "/admin/schemes", nil, w{signin, signin, deny, deny, deny, deny, ok, deny, deny}},
		{"GET", "/admin/schemes/new", nil, w{signin, signin, deny, deny, deny, deny, ok, deny, deny}},
		{"POST", "/admin/schemes/new", url.Values{}, w{signin, signin, deny, deny, deny, deny, form, deny, deny}},
		{"GET", "/admin/schemes/{scheme}", nil, w{signin, signin, deny, deny, deny, deny, ok, deny, deny}},
		{"GET", "/admin/schemes/{unknown}", nil, w{signin, signin, deny, deny, deny, deny, hidden, deny, deny}},
		{"GET", "/admin/schemes/{scheme}/edit", nil, w{signin, signin, deny, deny, deny, deny, ok, deny, deny}},
		{"POST", "/admin/schemes/{scheme}/edit", url.Values{}, w{signin, signin, deny, deny, deny, deny, form, deny, deny}},
		{"GET", "/admin/schemes/{scheme}/versions", nil, w{signin, signin, deny, deny, deny, deny, ok, deny, deny}},
		{"GET", "/admin/schemes/{scheme}/versions/{version}", nil, w{signin, signin, deny, deny, deny, deny, ok, deny, deny}},
		// The second factor: the half-signed-in pages need a right password first (none here: back to
		// sign in); everyone's own security page; applicants alone turn it on and off.
		{"GET", "/sign-in/code", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/sign-in/code", url.Values{"code": {"123456"}}, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/sign-in/enrol", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/sign-in/enrol", url.Values{"code": {"123456"}}, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/account/second-factor", nil, w{signin, signin, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/account/second-factor/set-up", nil, w{signin, signin, ok, ok, ok, ok, ok, ok, ok}}, // staff have one: their page
		{"POST", "/account/second-factor/set-up", url.Values{}, w{signin, signin, form, form, ok, ok, ok, ok, ok}},
		{"POST", "/account/second-factor/recovery-codes", url.Values{}, w{signin, signin, deny, deny, ok, ok, ok, ok, ok}},
		{"POST", "/account/second-factor/turn-off", url.Values{}, w{signin, signin, form, form, deny, deny, deny, deny, deny}},
		// The admin's pages (scheme.Role.ManagesPeople): nobody here is an admin; see below.
		{"GET", "/admin/audit", nil, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},
		{"GET", "/admin/second-factor-reset", nil, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},
		{"POST", "/admin/second-factor-reset", url.Values{}, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},

		// Rounds and budgets: for those who manage schemes (here the head of commissioning), forms sent
		// incomplete; a scheme's rounds and their subscription for anyone signed in.
		//        none    forged  own     other   asr     off     head    com     fin
		{"GET", "/admin/schemes/{scheme}/rounds", nil, w{signin, signin, deny, deny, deny, deny, ok, deny, deny}},
		{"GET", "/admin/rounds/new?scheme={scheme}", nil, w{signin, signin, deny, deny, deny, deny, ok, deny, deny}},
		{"POST", "/admin/rounds/new", url.Values{"scheme": {fmt.Sprint(int64(fx.schemeID))}}, w{signin, signin, deny, deny, deny, deny, form, deny, deny}},
		{"GET", "/admin/rounds/{round}", nil, w{signin, signin, deny, deny, deny, deny, ok, deny, deny}},
		{"POST", "/admin/rounds/{round}/closure", url.Values{}, w{signin, signin, deny, deny, deny, deny, form, deny, deny}},
		{"POST", "/admin/rounds/{round}/extension", url.Values{}, w{signin, signin, deny, deny, deny, deny, form, deny, deny}},
		{"POST", "/schemes/{scheme}/budget", url.Values{}, w{signin, signin, deny, deny, deny, deny, form, deny, deny}},
		{"GET", "/schemes/{scheme}/rounds", nil, w{signin, signin, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/schemes/{scheme}/round-subscription", url.Values{"subscribe": {"no"}}, w{signin, signin, ok, ok, ok, ok, ok, ok, ok}},

		// The one change of state: the owner accepts the offer.
		{"POST", "/applications/{O}/acceptance", acceptForm(), w{signin, signin, ok, hidden, deny, deny, deny, deny, deny}},
		// Not until two members of finance have proposed and approved it.
		{"POST", "/applications/{O}/payments", payment(fx.offered), w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		// The owner changes the bank details (held); finance alone records the call-back (rejecting
		// it), and then alone reads the notice with the full numbers.
		{"POST", "/applications/{O}/bank-details", url.Values{"bank.account_name": {"Riverside Youth Project"}, "bank.sort_code": {"10-79-99"}, "bank.account_number": {"88837491"}},
			w{signin, signin, ok, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/applications/{O}/bank-details/call-back", url.Values{"callback.outcome": {"rejected"}, "callback.phone": {"0116 496 0000"}, "callback.notes": {"Not known."}},
			w{signin, signin, deny, hidden, deny, deny, deny, deny, ok}},
		{"GET", "/applications/{O}/bank-details/notice.pdf", nil, w{signin, signin, deny, hidden, deny, deny, deny, deny, ok}},
		// People. One-time links that are not valid are not found, whoever follows them; the
		// confirmation link's page is only a button.
		//        none    forged  own     other   asr     off     head    com     fin
		{"GET", "/password-reset", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/password-reset", url.Values{}, w{form, form, form, form, form, form, form, form, form}},
		{"GET", "/password-set", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/password-reset/{link}", nil, w{hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		{"POST", "/password-reset/{link}", url.Values{}, w{hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		{"GET", "/invitations/{link}", nil, w{hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		{"POST", "/invitations/{link}", url.Values{}, w{hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		{"GET", "/verify-email/{link}", nil, w{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/verify-email/{link}", url.Values{}, w{hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		{"GET", "/join/{link}", nil, w{hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		{"POST", "/join/{link}", url.Values{}, w{hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
		{"POST", "/verify-email/resend", url.Values{}, w{signin, signin, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/account/password", nil, w{signin, signin, ok, ok, ok, ok, ok, ok, ok}},
		{"POST", "/account/password", url.Values{}, w{signin, signin, form, form, form, form, form, form, form}},
		// An applicant organisation's page: its members only.
		{"GET", "/organisation", nil, w{signin, signin, ok, ok, deny, deny, deny, deny, deny}},
		{"GET", "/organisations/{org}", nil, w{signin, signin, ok, hidden, deny, deny, deny, deny, deny}},
		{"GET", "/organisations/{org}/edit", nil, w{signin, signin, ok, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/organisations/{org}/edit", url.Values{}, w{signin, signin, form, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/organisations/{org}/invitations", url.Values{}, w{signin, signin, form, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/organisations/{org}/invitations/{unknown}/cancel", url.Values{}, w{signin, signin, hidden, hidden, deny, deny, deny, deny, deny}},
		{"POST", "/organisations/{org}/members/{me}/remove", url.Values{}, // the owner is its only member
			w{signin, signin, deny, hidden, deny, deny, deny, deny, deny}},
		// Manage people: an administrator's alone (nobody in these columns is one).
		{"GET", "/admin/users", nil, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},
		{"GET", "/admin/users/invite", nil, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},
		{"POST", "/admin/users/invite", url.Values{}, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},
		{"GET", "/admin/users/{staff}", nil, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},
		{"POST", "/admin/users/{staff}/role", url.Values{}, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},
		{"POST", "/admin/users/{staff}/disable", url.Values{}, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},
		{"POST", "/admin/users/{staff}/enable", url.Values{}, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},
		{"POST", "/admin/users/{staff}/invitation/resend", url.Values{}, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},
		{"POST", "/admin/users/{staff}/invitation/cancel", url.Values{}, w{signin, signin, deny, deny, deny, deny, deny, deny, deny}},
		// The Panel's reports: staff who see performance; making one now, the head of commissioning
		// (and admins); the head's request makes the latest quarter's report (of the e2e figures).
		{"GET", "/performance/panel-reports", nil, w{signin, signin, deny, deny, deny, ok, ok, ok, ok}},
		{"GET", "/performance/panel-reports/{panelfile}", nil, w{signin, signin, deny, deny, deny, hidden, hidden, hidden, hidden}},
		{"POST", "/performance/panel-reports", url.Values{}, w{signin, signin, deny, deny, deny, deny, ok, deny, deny}},
		// Last, as it ends each session.
		{"POST", "/sign-out", url.Values{}, w{signin, signin, signin, signin, signin, signin, signin, signin, signin}},
	}

	covered := map[string]bool{}
	for _, r := range rows {
		path := paths.Replace(r.path)
		for c := range callers {
			var p page
			if r.method == http.MethodGet {
				p = people[c].get(path)
			} else {
				p = people[c].post(path, r.form)
			}
			if got := classify(path, p); got != r.want[c] {
				t.Errorf("%s %s as %s: %s (%d at %s), want %s: %.300s", r.method, r.path, callerNames[c], got, p.Status, p.Path, r.want[c], p.text())
			}
		}
		covered[r.method+" "+strings.SplitN(r.path, "?", 2)[0]] = true
	}

	// The admin's pages as an admin: let through, refusing only what was sent.
	admin := s.webSignIn(t, "admin@opcc.example.org")
	admin.get("/admin/audit").mustSay(t, http.StatusOK, "Audit trail")
	admin.get("/admin/audit?from-day=30&from-month=2&from-year=2026").mustSay(t, http.StatusUnprocessableEntity, "must be a real date")
	admin.get("/admin/second-factor-reset")
	admin.post("/admin/second-factor-reset", url.Values{}).mustSay(t, http.StatusUnprocessableEntity, "Enter the email address")
	// An administrator runs the office's set-up, not its grants: no applicant's uploads.
	admin.get(paths.Replace("/uploads/{upload}")).mustSay(t, http.StatusNotFound, "Page not found")
	admin.get(paths.Replace("/applications/{D}/uploads")).mustSay(t, http.StatusNotFound, "Page not found")

	// Every page and form of the front door has a row.
	generic := strings.NewReplacer("{A}", ":id", "{O}", ":id", "{D}", ":id", "{S}", ":id", "{letter}", ":id", "{notice}", ":id",
		"{scheme}", ":id", "{upload}", ":id", "{unknown}", ":id", "/sections/about", "/sections/:section", "{version}", ":version",
		"{org}", ":id", "{me}", ":user", "{staff}", ":id", "{link}", ":token", "/invitations/{unknown}/cancel", "/invitations/:invitation/cancel", "{round}", ":id", "{panelfile}", ":file", "{record}", ":number", "{pubfile}", ":file")
	rowFor := map[string]bool{}
	for k := range covered {
		rowFor[generic.Replace(k)] = true
	}
	for _, rt := range router.New(router.Deps{Store: s.Store}).Routes() {
		if strings.HasPrefix(rt.Path, "/api/") || strings.HasPrefix(rt.Path, "/openapi") || rt.Path == "/healthz" || rt.Path == "/livez" || rt.Path == "/readyz" || strings.HasPrefix(rt.Path, "/assets/") {
			continue
		}
		if !rowFor[rt.Method+" "+rt.Path] {
			t.Errorf("%s %s has no row in the pages' access matrix", rt.Method, rt.Path)
		}
	}
}
