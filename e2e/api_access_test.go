package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/scheme"
)

// The columns of the access matrix: who calls.
const (
	asNone         = iota // no token
	asBadToken            // a token that was never issued
	asOwner               // a member of the applicant organisation
	asOtherOrg            // an applicant of another organisation
	asAssessor            // the staff roles, one demo account each
	asOfficer             //
	asHead                // head_of_commissioning
	asCommissioner        //
	asFinance             //
	callers
)

var callerNames = [callers]string{"no token", "a bad token", "the owner", "another organisation", "assessor", "officer",
	"head of commissioning", "commissioner", "finance"}

// TestAccessMatrix calls every route as each kind of caller and checks who is let through:
// 401 without a token or with a bad one; 404 for another organisation's application or document
// (saying "forbidden" would reveal that it exists); 403 for a role that may not take the step;
// 409 where the role may act but the application is at the wrong stage.
//
// Steps are called with a deliberately incomplete body: a caller the route lets through gets 422 (the
// workflow checks the person, then the stage, then the fields), so nothing changes state. The one
// allowed change, accepting the offer, is the last row but one; the last row shows its effect.
// accessFixture is what both access matrices (the API's and the pages') run against: a signed-in
// caller of each kind and the owner's applications at the stages the rows need.
type accessFixture struct {
	tokens                             [callers]string
	schemeID, roundID                  float64
	assessing, offered, draft, service int64   // {A} awaits assessment, {O} is offered, {D} is a draft, {S} a service application in assessment
	letter, notice                     float64 // the offered grant's award letter and finance's award notice
	assessorID                         any
	fy                                 int
}

// otherOrgEmail signs in as "another organisation" (password "a long enough password").
const otherOrgEmail = "pat@elsewhere.example.org"

func newAccessFixture(t *testing.T, s *system) accessFixture {
	t.Helper()
	var tokens [callers]string
	tokens[asBadToken] = "not-a-real-token"
	tokens[asOwner] = s.signIn(t, demo.Accounts[0].Email, demo.Password) // Riverside Youth Project
	tokens[asOtherOrg] = s.registerApplicant(t, "Elsewhere Community Group", otherOrgEmail)
	for c, role := range map[int]string{asAssessor: "assessor", asOfficer: "officer", asHead: "head_of_commissioning",
		asCommissioner: "commissioner", asFinance: "finance"} {
		tokens[c] = s.staff(t, role)
	}

	// The owner's applications: one awaiting assessment, one offered, a draft and a service application.
	schemeID, roundID := s.grassrootsRound(t, tokens[asOwner])
	assessing := s.applyFor(t, tokens[asOwner], 300000)
	offered := s.applyFor(t, tokens[asOwner], 250000)
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/assessments", offered), tokens[asAssessor], map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Sound plan"})
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/decision", offered), tokens[asOfficer], map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 250000, "purpose": "Youth work.", "reasons": "Reduces anti-social behaviour.",
		"conditions": []string{"Acknowledge the Commissioner's funding"}})
	s.awaitStatus(t, tokens[asOwner], offered, "offered")
	docs := s.awaitDocument(t, tokens[asOfficer], offered, "finance_award_notice")
	var letter, notice float64
	for _, d := range dig(docs.Body, "documents").([]any) {
		switch dig(d, "kind") {
		case "award_letter":
			letter = dig(d, "id").(float64)
		case "finance_award_notice":
			notice = dig(d, "id").(float64)
		}
	}
	draft := int64(dig(s.must(t, http.StatusCreated, "POST", "/api/v1/applications", tokens[asOwner],
		map[string]any{"scheme_id": schemeID, "round_id": roundID, "title": "Unfinished"}).Body, "id").(float64))
	serviceScheme, serviceRound := s.serviceRound(t)
	service := int64(dig(s.must(t, http.StatusCreated, "POST", "/api/v1/applications", tokens[asOwner],
		serviceAnswers(serviceScheme, serviceRound)).Body, "id").(float64))
	s.must(t, http.StatusAccepted, "POST", fmt.Sprintf("/api/v1/applications/%d/submit", service), tokens[asOwner], nil)
	s.awaitStatus(t, tokens[asOwner], service, "assessment")
	return accessFixture{tokens: tokens, schemeID: schemeID, roundID: roundID, assessing: assessing, offered: offered, draft: draft,
		service: service, letter: letter, notice: notice,
		assessorID: dig(s.must(t, http.StatusOK, "GET", "/api/v1/me", tokens[asAssessor], nil).Body, "id"),
		fy:         scheme.FinancialYear(time.Now())}
}

func TestAccessMatrix(t *testing.T) {
	s := newSystem(t)
	fx := newAccessFixture(t, s)
	tokens, schemeID, roundID, assessorID, fy := fx.tokens, fx.schemeID, fx.roundID, fx.assessorID, fx.fy
	assessing, offered, draft, service, letter, notice := fx.assessing, fx.offered, fx.draft, fx.service, fx.letter, fx.notice

	me := s.must(t, http.StatusOK, "GET", "/api/v1/me", tokens[asOwner], nil)
	paths := strings.NewReplacer("{A}", fmt.Sprint(assessing), "{O}", fmt.Sprint(offered), "{D}", fmt.Sprint(draft),
		"{S}", fmt.Sprint(service), "{letter}", fmt.Sprint(int64(letter)), "{notice}", fmt.Sprint(int64(notice)),
		"{scheme}", fmt.Sprint(int64(schemeID)), "{unknown}", "9000000000000", "{version}", "1",
		"{user}", fmt.Sprint(dig(me.Body, "id")),
		// People: the owner's organisation and own id, a member of staff (the assessor), an unknown invitation.
		"{org}", fmt.Sprint(dig(me.Body, "organisations", "0")), "{me}", fmt.Sprint(dig(me.Body, "id")),
		"{staff}", fmt.Sprint(assessorID), "{inv}", "9000000000000", "{round}", fmt.Sprint(roundID), "{fy}", fmt.Sprint(fy), "{number}", "PCC-2026-999")
	type w = [callers]int // the status each caller gets, in the columns' order
	type row struct {
		method, path string
		body         any
		want         w
	}
	badDate := map[string]any{"round_id": roundID, "project_start": "31/12/2026"}
	payOne := map[string]any{"amount_pence": 1, "paid_on": day(0), "reference": "BACS-1"}
	panelOfOne := map[string]any{"assessor_ids": []any{assessorID}, "deadline": day(14)}
	// {A} awaits assessment, {O} is offered, {D} is a draft, {S} is a service application in assessment: all the
	// owner's. Columns: no token, a bad token, the owner, another organisation, assessor, officer, head of
	// commissioning, commissioner, finance.
	rows := []row{
		{"GET", "/api/v1/schemes", nil,
			//none bad  own  oth  asr  off  head com  fin
			w{200, 200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/schemes/{scheme}", nil,
			w{200, 200, 200, 200, 200, 200, 200, 200, 200}},
		// The published decision records: public (a number never published is not found).
		{"GET", "/api/v1/decisions", nil,
			w{200, 200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/decisions/{number}", nil,
			w{404, 404, 404, 404, 404, 404, 404, 404, 404}},
		// The grants register and its publications are public; a bad filter is 422 for anyone.
		{"GET", "/api/v1/register", nil,
			w{200, 200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/register?month=2026-13", nil,
			w{422, 422, 422, 422, 422, 422, 422, 422, 422}},
		{"GET", "/api/v1/register/publications", nil,
			w{200, 200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/schemes/{scheme}/years", nil,
			w{401, 401, 403, 403, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/admin/schemes/{scheme}/form", nil,
			w{401, 401, 403, 403, 403, 403, 200, 403, 403}},
		{"PUT", "/api/v1/admin/schemes/{scheme}/form", map[string]any{},
			w{401, 401, 403, 403, 403, 403, 422, 403, 403}},
		{"GET", "/api/v1/me", nil,
			w{401, 401, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/applications", nil,
			w{401, 401, 200, 200, 200, 200, 200, 200, 200}},
		{"POST", "/api/v1/applications", map[string]any{"round_id": 0},
			w{401, 401, 422, 422, 403, 403, 403, 403, 403}},
		{"GET", "/api/v1/applications/{A}", nil,
			w{401, 401, 200, 404, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/applications/{A}/submitted", nil,
			w{401, 401, 200, 404, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/applications/{unknown}", nil,
			w{401, 401, 404, 404, 404, 404, 404, 404, 404}},
		{"GET", "/api/v1/applications/{A}/documents", nil,
			w{401, 401, 200, 404, 200, 200, 200, 200, 200}},
		{"PUT", "/api/v1/applications/{D}", badDate,
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 422, 404, 403, 403, 403, 403, 403}},
		{"PUT", "/api/v1/applications/{A}", badDate, // submitted: said before the date is found at fault
			w{401, 401, 409, 404, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/applications/{D}/submit", nil, // incomplete
			w{401, 401, 422, 404, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/applications/{A}/submit", nil,
			w{401, 401, 409, 404, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/applications/{A}/conflicts", map[string]any{"has_conflict": true},
			w{401, 401, 403, 404, 422, 422, 422, 422, 403}},
		{"POST", "/api/v1/applications/{A}/assessments", map[string]any{"no_conflict": false},
			w{401, 401, 403, 404, 422, 422, 422, 403, 403}},
		{"POST", "/api/v1/applications/{A}/decision", map[string]any{"no_conflict": true, "outcome": "decline"},
			w{401, 401, 403, 404, 403, 409, 409, 409, 403}},
		{"POST", "/api/v1/applications/{A}/information-response", map[string]any{"answer": "Three sessions."},
			w{401, 401, 409, 404, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/applications/{A}/acceptance", testBank,
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 409, 404, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/applications/{A}/payments", payOne,
			w{401, 401, 403, 404, 403, 403, 403, 403, 409}},
		{"POST", "/api/v1/applications/{A}/report", map[string]any{"summary": "Ran sessions.", "outcomes": "ASB fell."},
			w{401, 401, 409, 404, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/applications/{A}/report-review", map[string]any{"outcome": "accept"},
			w{401, 401, 403, 404, 403, 409, 409, 403, 403}},
		{"POST", "/api/v1/applications/{O}/decision", map[string]any{"no_conflict": true, "outcome": "decline"},
			w{401, 401, 403, 404, 403, 409, 409, 409, 403}},
		{"POST", "/api/v1/applications/{O}/payments", payOne, // not accepted yet
			w{401, 401, 403, 404, 403, 403, 403, 403, 409}},
		{"GET", "/api/v1/applications/{O}/finance", nil, // not a service award
			w{401, 401, 409, 404, 409, 409, 409, 409, 409}},
		{"GET", "/api/v1/applications/{A}/indicators", nil, // not a service award
			w{401, 401, 409, 404, 409, 409, 409, 409, 409}},
		{"GET", "/api/v1/documents/{letter}", nil,
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 200, 404, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/documents/{notice}", nil, // finance's, never shown to applicants
			w{401, 401, 404, 404, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/documents/{unknown}", nil,
			w{401, 401, 404, 404, 404, 404, 404, 404, 404}},
		{"GET", "/api/v1/finance/notices", nil,
			w{401, 401, 403, 403, 403, 200, 200, 403, 200}},
		// The performance figures: the staff who work with grants (scheme.Role.SeesPerformance).
		{"GET", "/api/v1/performance", nil,
			w{401, 401, 403, 403, 403, 200, 200, 200, 200}},
		{"GET", "/api/v1/performance?financial_year=2026&quarter=7", nil,
			w{401, 401, 403, 403, 403, 422, 422, 422, 422}},

		// Service award steps: the panel applies now, the rest later.
		{"POST", "/api/v1/applications/{S}/panel", panelOfOne,
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 403, 404, 403, 422, 422, 403, 403}},
		{"POST", "/api/v1/applications/{A}/panel", panelOfOne, // not a service award
			w{401, 401, 409, 404, 409, 409, 409, 409, 409}},
		{"POST", "/api/v1/applications/{S}/moderation", map[string]any{"recommendation": "fund", "reasons": "Meets the priority."},
			w{401, 401, 403, 404, 403, 409, 409, 403, 403}},
		{"POST", "/api/v1/applications/{S}/conditions-precedent", map[string]any{},
			w{401, 401, 403, 404, 403, 409, 409, 403, 403}},
		{"POST", "/api/v1/applications/{S}/returns", map[string]any{"financial_year": fy, "quarter": 1, "content": map[string]any{"narrative": "Steady."}},
			w{401, 401, 409, 404, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/applications/{S}/return-reviews", map[string]any{"financial_year": fy, "quarter": 1, "outcome": "accept", "rag": "green"},
			w{401, 401, 403, 404, 403, 409, 409, 403, 403}}, // returns are reviewed once the award is accepted
		{"POST", "/api/v1/applications/{S}/variations", map[string]any{"years": serviceYears(), "summary": "Adds a year."},
			w{401, 401, 403, 404, 403, 409, 409, 409, 403}},
		{"POST", "/api/v1/applications/{S}/termination", map[string]any{"reason": "The service has closed."},
			w{401, 401, 403, 404, 403, 409, 409, 409, 403}},
		{"POST", "/api/v1/applications/{S}/variation-acceptance", map[string]any{"version": 2}, // the provider's, once a variation awaits it
			w{401, 401, 409, 404, 403, 403, 403, 403, 403}},
		// Closure steps: the waiver is the head of commissioning's, repayments finance's, a write-off a decider's.
		{"POST", "/api/v1/applications/{S}/return-waivers", map[string]any{"quarters": []any{map[string]any{"financial_year": fy, "quarter": 1}}, "reason": "Stopped."},
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 403, 404, 403, 403, 409, 403, 403}},
		{"POST", "/api/v1/applications/{S}/repayments", map[string]any{"amount_pence": 100, "received_on": time.Now().Format(time.DateOnly), "reference": "RTN-1"},
			w{401, 401, 403, 404, 403, 403, 403, 403, 409}},
		{"POST", "/api/v1/applications/{S}/write-off", map[string]any{"reason": "The provider has closed."},
			w{401, 401, 403, 404, 403, 409, 409, 409, 403}},
		// Case officers: a commissioning officer or the head of commissioning assigns one (user_id missing here).
		{"PUT", "/api/v1/applications/{A}/case-officer", map[string]any{},
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 403, 404, 403, 422, 422, 403, 403}},
		{"PUT", "/api/v1/applications/{D}/case-officer", map[string]any{}, // not before it is submitted
			w{401, 401, 403, 404, 403, 409, 409, 403, 403}},
		{"GET", "/api/v1/case-officers", nil,
			w{401, 401, 403, 403, 200, 200, 200, 200, 200}},
		// Everyone signed in reads their own notifications; another's (or none) is not found.
		{"GET", "/api/v1/notifications", nil,
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 200, 200, 200, 200, 200, 200, 200}},
		{"POST", "/api/v1/notifications/{unknown}/read", nil,
			w{401, 401, 404, 404, 404, 404, 404, 404, 404}},
		// Everyone has their own notification settings; a daily digest is for staff.
		{"GET", "/api/v1/me/notification-settings", nil,
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 200, 200, 200, 200, 200, 200, 200}},
		{"PUT", "/api/v1/me/notification-settings", map[string]any{"notify_by": "daily_digest", "away_until": nil},
			w{401, 401, 422, 422, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/applications/{S}/indicators", nil,
			w{401, 401, 200, 404, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/applications/{S}/finance", nil, // no award yet
			w{401, 401, 404, 404, 404, 404, 404, 404, 404}},
		// Managing schemes: the administrator and the head of commissioning only (incomplete bodies: 422).
		{"GET", "/api/v1/admin/schemes", nil,
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 403, 403, 403, 403, 200, 403, 403}},
		{"POST", "/api/v1/admin/schemes", map[string]any{"name": "Half a scheme"},
			w{401, 401, 403, 403, 403, 403, 422, 403, 403}},
		{"GET", "/api/v1/admin/schemes/{scheme}", nil,
			w{401, 401, 403, 403, 403, 403, 200, 403, 403}},
		{"GET", "/api/v1/admin/schemes/{unknown}", nil,
			w{401, 401, 403, 403, 403, 403, 404, 403, 403}},
		{"PUT", "/api/v1/admin/schemes/{scheme}", map[string]any{"name": "Renamed"},
			w{401, 401, 403, 403, 403, 403, 422, 403, 403}},
		{"GET", "/api/v1/admin/schemes/{scheme}/versions", nil,
			w{401, 401, 403, 403, 403, 403, 200, 403, 403}},
		{"GET", "/api/v1/admin/schemes/{scheme}/versions/{version}", nil,
			w{401, 401, 403, 403, 403, 403, 200, 403, 403}},

		// The one allowed change of state, then what it allows.
		{"POST", "/api/v1/applications/{O}/acceptance", testBank,
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 200, 404, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/applications/{O}/payments", payOne, // finance may pay once two people have signed it off
			w{401, 401, 403, 404, 403, 403, 403, 403, 409}},
		{"POST", "/api/v1/applications/{A}/payment-proposal", map[string]any{}, // not accepted
			w{401, 401, 403, 404, 403, 403, 403, 403, 409}},
		{"POST", "/api/v1/applications/{O}/payment-approval", map[string]any{}, // nothing proposed yet
			w{401, 401, 403, 404, 403, 403, 403, 403, 409}},
		{"POST", "/api/v1/applications/{O}/payment-proposal", map[string]any{},
			w{401, 401, 403, 404, 403, 403, 403, 403, 200}},
		{"POST", "/api/v1/applications/{O}/payment-approval", map[string]any{}, // the proposer may not approve
			w{401, 401, 403, 404, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/payments/proposals", map[string]any{"payments": []any{}}, // an empty batch is refused before anything
			w{401, 401, 422, 422, 422, 422, 422, 422, 422}},
		{"POST", "/api/v1/payments/approvals", map[string]any{"payments": []any{}},
			w{401, 401, 422, 422, 422, 422, 422, 422, 422}},
		{"POST", "/api/v1/payments/paid", map[string]any{"payments": []any{}},
			w{401, 401, 422, 422, 422, 422, 422, 422, 422}},
		{"GET", "/api/v1/payments/file.csv", nil, // full account numbers: finance's only
			w{401, 401, 403, 403, 403, 403, 403, 403, 200}},
		{"GET", "/api/v1/notifications", nil,
			w{401, 401, 200, 200, 200, 200, 200, 200, 200}},
		{"POST", "/api/v1/notifications/{unknown}/read", nil,
			w{401, 401, 404, 404, 404, 404, 404, 404, 404}},
		// A change of bank details, held; only finance records the call-back (an unknown change: 422),
		// and finance's notice waits for it (409).
		{"POST", "/api/v1/applications/{O}/bank-details", map[string]any{"account_name": "Riverside Youth Project", "sort_code": "10-79-99", "account_number": "88837491"},
			w{401, 401, 200, 404, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/applications/{O}/bank-details/call-back", map[string]any{"change_id": 999999999, "outcome": "rejected", "phone": "0116 496 0000", "notes": "Not known."},
			w{401, 401, 403, 404, 403, 403, 403, 403, 422}},
		{"GET", "/api/v1/applications/{O}/bank-details/notice", nil,
			w{401, 401, 403, 404, 403, 403, 403, 403, 409}},
		// Everyone's own second factor: staff have one (so new recovery codes), these applicants none.
		{"GET", "/api/v1/me/second-factor", nil,
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 200, 200, 200, 200, 200, 200, 200}},
		{"POST", "/api/v1/me/second-factor/recovery-codes", nil,
			w{401, 401, 409, 409, 201, 201, 201, 201, 201}},
		// The admin's alone (scheme.Role.ManagesPeople); the admin's own answers are checked below.
		{"POST", "/api/v1/admin/users/{user}/second-factor-reset", map[string]any{"reason": ""},
			w{401, 401, 403, 403, 403, 403, 403, 403, 403}},
		{"GET", "/api/v1/admin/audit", nil,
			w{401, 401, 403, 403, 403, 403, 403, 403, 403}},

		// People. Managing staff is an administrator's alone: nobody in these columns is one (the
		// admin's own rows are in TestAdminManagesStaff).
		//none bad  own  oth  asr  off  head com  fin
		{"GET", "/api/v1/admin/users", nil,
			w{401, 401, 403, 403, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/admin/users", map[string]any{"email": "new@opcc.example.org", "name": "New", "role": "officer"},
			w{401, 401, 403, 403, 403, 403, 403, 403, 403}},
		{"GET", "/api/v1/admin/users/{staff}", nil,
			w{401, 401, 403, 403, 403, 403, 403, 403, 403}},
		{"PATCH", "/api/v1/admin/users/{staff}", map[string]any{"role": "admin", "reason": "promotion"},
			w{401, 401, 403, 403, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/admin/users/{staff}/disable", nil,
			w{401, 401, 403, 403, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/admin/users/{staff}/enable", nil,
			w{401, 401, 403, 403, 403, 403, 403, 403, 403}},
		{"POST", "/api/v1/admin/users/{staff}/invitation", nil,
			w{401, 401, 403, 403, 403, 403, 403, 403, 403}},
		{"DELETE", "/api/v1/admin/users/{staff}/invitation", nil,
			w{401, 401, 403, 403, 403, 403, 403, 403, 403}},
		// One-time links anyone may follow: an empty body names the token.
		{"POST", "/api/v1/invitations/accept", map[string]any{},
			w{422, 422, 422, 422, 422, 422, 422, 422, 422}},
		{"POST", "/api/v1/password-resets", map[string]any{},
			w{422, 422, 422, 422, 422, 422, 422, 422, 422}},
		{"POST", "/api/v1/password-resets/complete", map[string]any{},
			w{422, 422, 422, 422, 422, 422, 422, 422, 422}},
		{"POST", "/api/v1/email-verifications/complete", map[string]any{},
			w{422, 422, 422, 422, 422, 422, 422, 422, 422}},
		{"POST", "/api/v1/organisation-invitations/accept", map[string]any{},
			w{422, 422, 422, 422, 422, 422, 422, 422, 422}},
		// Everyone's own account (everyone here has confirmed their address).
		{"POST", "/api/v1/me/email-verification", nil,
			w{401, 401, 409, 409, 409, 409, 409, 409, 409}},
		{"PUT", "/api/v1/me/password", map[string]any{},
			w{401, 401, 422, 422, 422, 422, 422, 422, 422}},
		// The owner's organisation: its members only; anyone else is told it does not exist.
		{"GET", "/api/v1/organisations/{org}", nil,
			w{401, 401, 200, 404, 404, 404, 404, 404, 404}},
		{"PATCH", "/api/v1/organisations/{org}", map[string]any{},
			w{401, 401, 422, 404, 404, 404, 404, 404, 404}},
		{"POST", "/api/v1/organisations/{org}/invitations", map[string]any{},
			w{401, 401, 422, 404, 404, 404, 404, 404, 404}},
		{"DELETE", "/api/v1/organisations/{org}/invitations/{inv}", nil,
			w{401, 401, 404, 404, 404, 404, 404, 404, 404}},
		{"DELETE", "/api/v1/organisations/{org}/members/{me}", nil, // the owner is its only member
			w{401, 401, 409, 404, 404, 404, 404, 404, 404}},

		// Rounds and budgets are for those who manage schemes (here the head of commissioning); each
		// request is refused on its input, so nothing changes. Anyone signed in may follow a scheme's rounds.
		{"GET", "/api/v1/admin/schemes/{scheme}/rounds", nil,
			//none bad  own  oth  asr  off  head com  fin
			w{401, 401, 403, 403, 403, 403, 200, 403, 403}},
		{"POST", "/api/v1/admin/schemes/{scheme}/rounds", map[string]any{"name": "", "opens_at": "2026-10-01T09:00", "closes_at": "2026-09-01T09:00"},
			w{401, 401, 403, 403, 403, 403, 422, 403, 403}},
		{"GET", "/api/v1/admin/rounds/{round}", nil,
			w{401, 401, 403, 403, 403, 403, 200, 403, 403}},
		{"POST", "/api/v1/admin/rounds/{round}/closure", map[string]any{"reason": ""},
			w{401, 401, 403, 403, 403, 403, 422, 403, 403}},
		{"POST", "/api/v1/admin/rounds/{round}/extension", map[string]any{"closes_at": "2020-01-01T00:00", "reason": "x"},
			w{401, 401, 403, 403, 403, 403, 422, 403, 403}},
		{"GET", "/api/v1/admin/schemes/{scheme}/budgets", nil,
			w{401, 401, 403, 403, 403, 403, 200, 403, 403}},
		{"PUT", "/api/v1/admin/schemes/{scheme}/budgets/{fy}", map[string]any{"budget_pence": -1, "reason": "x"},
			w{401, 401, 403, 403, 403, 403, 422, 403, 403}},
		// The Panel's reports: staff who see performance (scheme.Role.SeesPerformance), not applicants or assessors.
		{"GET", "/api/v1/panel-reports", nil,
			w{401, 401, 403, 403, 403, 200, 200, 200, 200}},
		{"GET", "/api/v1/panel-reports/{unknown}", nil,
			w{401, 401, 403, 403, 403, 404, 404, 404, 404}},
		{"GET", "/api/v1/panel-reports/{unknown}/pdf", nil,
			w{401, 401, 403, 403, 403, 404, 404, 404, 404}},
		{"GET", "/api/v1/panel-reports/{unknown}/csv", nil,
			w{401, 401, 403, 403, 403, 404, 404, 404, 404}},
		{"PUT", "/api/v1/schemes/{scheme}/round-subscription", nil,
			w{401, 401, 200, 200, 200, 200, 200, 200, 200}},
		{"DELETE", "/api/v1/schemes/{scheme}/round-subscription", nil,
			w{401, 401, 200, 200, 200, 200, 200, 200, 200}},
	}

	covered := map[string]bool{}
	for _, r := range rows {
		path := paths.Replace(r.path)
		for c := range callers {
			res := s.do(t, r.method, path, tokens[c], r.body)
			if res.Status != r.want[c] {
				t.Errorf("%s %s as %s = %d, want %d: %.200s", r.method, r.path, callerNames[c], res.Status, r.want[c], res.Raw)
				continue
			}
			if res.Status >= 400 {
				requireRefusal(t, fmt.Sprintf("%s %s as %s", r.method, r.path, callerNames[c]), res, res.Status, "")
			}
		}
		covered[r.method+" "+r.path] = true
	}

	// Every documented operation has a row (anything but registering and signing in, which take no token).
	generic := strings.NewReplacer("{A}", "{id}", "{O}", "{id}", "{D}", "{id}", "{S}", "{id}", "{letter}", "{id}", "{notice}", "{id}",
		"{scheme}", "{id}", "{unknown}", "{id}", "{user}", "{id}", "{org}", "{id}", "{staff}", "{id}", "{inv}", "{invitation}", "{me}", "{user}", "{round}", "{id}")
	rowFor := map[string]bool{}
	for k := range covered {
		rowFor[generic.Replace(k)] = true
	}
	for _, op := range loadAPIDoc(t).operations() {
		if !rowFor[op.key()] && !slices.Contains([]string{"POST /api/v1/registrations", "POST /api/v1/tokens"}, op.key()) {
			t.Errorf("%s has no row in the access matrix", op.key())
		}
	}

	// The admin routes as an admin (the matrix has no admin column): let through, then refused
	// only for what was sent.
	admin := s.staff(t, "admin")
	for _, r := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/api/v1/admin/audit", nil, 200},
		{"GET", "/api/v1/admin/audit?from=2026-02-30", nil, 422},
		{"POST", "/api/v1/admin/users/{user}/second-factor-reset", map[string]any{"reason": ""}, 422},
		{"POST", "/api/v1/admin/users/{user}/second-factor-reset", map[string]any{"reason": "Lost phone"}, 409}, // the owner has none
		{"POST", "/api/v1/admin/users/{unknown}/second-factor-reset", map[string]any{"reason": "Lost phone"}, 404},
		{"GET", "/api/v1/me/second-factor", nil, 200},
	} {
		if res := s.do(t, r.method, paths.Replace(r.path), admin, r.body); res.Status != r.want {
			t.Errorf("%s %s as an admin = %d, want %d: %.200s", r.method, r.path, res.Status, r.want, res.Raw)
		}
	}

	// Lists show each organisation only its own applications.
	ids := func(token string) []int64 {
		var out []int64
		for _, a := range dig(s.must(t, http.StatusOK, "GET", "/api/v1/applications", token, nil).Body, "applications").([]any) {
			out = append(out, int64(dig(a, "id").(float64)))
		}
		return out
	}
	mine, theirs := ids(tokens[asOwner]), ids(tokens[asOtherOrg])
	for _, id := range []int64{assessing, offered, draft, service} {
		if !slices.Contains(mine, id) || slices.Contains(theirs, id) {
			t.Errorf("application %d: in the owner's list %v, in another organisation's list %v", id, slices.Contains(mine, id), slices.Contains(theirs, id))
		}
	}

	// Tokens sent any other way than "Authorization: Bearer <token>" are refused.
	for _, header := range []string{"Basic " + tokens[asOwner], tokens[asOwner], "Bearer", "Bearer ", "Token " + tokens[asOwner]} {
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", header)
		if r := s.send(t, req, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("Authorization %.12q... = %d, want 401", header, r.Status)
		}
	}
}
