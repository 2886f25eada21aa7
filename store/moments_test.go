package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/notify"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// told is one message a moment wrote: who it went to, as what, and what it says.
type told struct {
	Audience string `db:"audience"`
	Kind     string `db:"kind"`
	Address  string `db:"address"`
	Subject  string `db:"subject"`
	Link     string `db:"link"`
	Text     string `db:"body_text"`
}

type momentsFixture struct {
	t     *testing.T
	ctx   context.Context
	s     *store.Store
	app   int64
	seen  int64 // the last message already checked
	staff map[scheme.Role]store.User
	at    time.Time
}

func newMomentsFixture(t *testing.T) *momentsFixture {
	s := storetest.New(t)
	s.Outbox = notify.MustOutbox("http://grantflow.test", "finance-team@opcc.example")
	_, apps := seedApplications(t, s, 1, money.Pounds(10000))
	f := &momentsFixture{t: t, ctx: context.Background(), s: s, app: apps[0], staff: map[scheme.Role]store.User{},
		at: time.Date(2026, 12, 1, 10, 0, 0, 0, scheme.London)}
	for _, r := range []scheme.Role{scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleFinance, scheme.RoleAssessor} {
		u, err := s.CreateUser(f.ctx, store.NewUser{Email: string(r) + "@opcc.example", Name: "Demo " + string(r), Role: r, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		f.staff[r] = u
	}
	return f
}

// record records a fact twice (the second time as a retry would) and answers the messages it wrote.
func (f *momentsFixture) record(do func() error) []told {
	f.t.Helper()
	if err := do(); err != nil {
		f.t.Fatal(err)
	}
	first := f.newMessages()
	if err := do(); err != nil {
		f.t.Fatal(err)
	}
	if again := f.newMessages(); len(again) != 0 {
		f.t.Errorf("a retry wrote %d more messages: %+v", len(again), again)
	}
	return first
}

func (f *momentsFixture) newMessages() []told {
	f.t.Helper()
	var list []struct {
		ID int64 `db:"id"`
		told
	}
	if err := f.s.DB.Select(&list, `SELECT m.id, n.audience, n.kind, m.address, m.subject, m.link, m.body_text FROM messages m
		JOIN notifications n ON n.key = m.notification_key WHERE m.id > $1 ORDER BY m.id`, f.seen); err != nil {
		f.t.Fatal(err)
	}
	out := make([]told, len(list))
	for i, m := range list {
		out[i], f.seen = m.told, m.ID
	}
	return out
}

// event is a fact moving the application to status, under a fresh key.
func (f *momentsFixture) event(status string) store.Event {
	f.at = f.at.Add(time.Hour)
	return store.Event{Application: f.app, Key: fmt.Sprintf("test/%s/%d", status, f.at.Unix()), At: f.at, ActorName: "System",
		ActorRole: "system", What: "Moved to " + status, Status: status}
}

func (f *momentsFixture) move(status string, with func(*store.Event)) []told {
	e := f.event(status)
	if with != nil {
		with(&e)
	}
	return f.record(func() error { return f.s.RecordEvent(f.ctx, e) })
}

// expect checks that the moment wrote exactly one message to each address, of the kind, subject and
// link given, saying each of says.
func (f *momentsFixture) expect(name string, got []told, addresses []string, kind, subject, link string, says ...string) {
	f.t.Helper()
	if len(got) != len(addresses) {
		f.t.Errorf("%s: %d messages, want %d (to %v): %+v", name, len(got), len(addresses), addresses, got)
		return
	}
	for i, m := range got {
		if m.Address != addresses[i] || m.Kind != kind || m.Subject != subject || m.Link != link {
			f.t.Errorf("%s: message %d is %q %q %q %q, want %q %q %q %q", name, i, m.Address, m.Kind, m.Subject, m.Link, addresses[i], kind, subject, link)
		}
		for _, s := range says {
			if !strings.Contains(m.Text, s) {
				f.t.Errorf("%s: message to %s does not say %q:\n%s", name, m.Address, s, m.Text)
			}
		}
	}
}

func (f *momentsFixture) appLink() string {
	return fmt.Sprintf("http://grantflow.test/applications/%d", f.app)
}

// A grassroots grant from submission to closure: each moment that asks something of a person, or
// tells them something, writes one message to each person concerned, linking to a page they can
// open; staff-only stages tell nobody; a retried fact writes nothing twice.
func TestGrassrootsMomentsTellTheRightPeopleOnce(t *testing.T) {
	f := newMomentsFixture(t)
	applicant, err := f.s.UserByEmail(f.ctx, "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	group := []string{"a@example.org"}
	officers := []string{"officer@opcc.example"}

	got := f.record(func() error {
		err := f.s.SubmitDraft(f.ctx, f.app, "application-test", applicant, f.at, testRules(), []byte(`{}`), func() error { return nil })
		if errors.Is(err, store.ErrAlreadySubmitted) {
			return nil // the retry: the claim is taken
		}
		return err
	})
	f.expect("submission", got, group, "submission_received", "Application received: App 0", f.appLink(), "We have received your application")

	f.expect("screening", f.move("screening", nil), nil, "", "", "")
	f.expect("eligible", f.move("assessment", nil), []string{"assessor@opcc.example"}, "ready_to_assess", "Ready to assess: App 0", f.appLink(),
		"has passed screening and is ready to be assessed")

	got = f.move("decision", func(e *store.Event) { e.DeciderRole = string(scheme.RoleHeadOfCommissioning) })
	f.expect("ready for decision", got, []string{"head_of_commissioning@opcc.example"}, "ready_for_decision", "Ready for a decision: App 0", f.appLink(),
		"is ready for a decision", "record your decision")

	deadline := time.Date(2027, 1, 5, 23, 59, 0, 0, scheme.London)
	e := f.event("information_requested")
	e.Why = "How many young people will take part?"
	got = f.record(func() error {
		return f.s.SaveInformationRequest(f.ctx, store.InformationRequest{ApplicationID: f.app, Seq: 1, Question: e.Why, Deadline: deadline,
			AskedBy: f.staff[scheme.RoleOfficer].ID, AskedAt: e.At}, e)
	})
	f.expect("information requested", got, group, "information_requested", "More information needed: App 0", f.appLink(),
		"How many young people will take part?", "Answer by 5 January 2027.")

	got = f.move("assessment", func(e *store.Event) { e.What = "Information provided: back to assessment" })
	f.expect("information provided", got, officers, "ready_for_you", "Ready for you: App 0", f.appLink(), "Information provided: \u201cApp 0\u201d is back in assessment.")

	got = f.move("decision", nil) // no band named: the case officer decides
	f.expect("ready for decision again", got, officers, "ready_for_decision", "Ready for a decision: App 0", f.appLink())

	acceptBy := time.Date(2027, 1, 31, 23, 59, 0, 0, scheme.London)
	e = f.event("approved")
	award, err := f.s.CreateAward(f.ctx, store.Award{ApplicationID: f.app, Reference: "GCF-2026-0001", Amount: money.Pounds(4000), Purpose: "Boxing",
		Conditions: []byte(`["Report"]`), Reasons: "Fewer fights", ApprovedBy: f.staff[scheme.RoleOfficer].ID, ApprovedRole: "officer",
		DelegationBand: "Officer", RulesVersion: 1, DecidedAt: e.At, AcceptBy: acceptBy}, e)
	if err != nil {
		t.Fatal(err)
	}
	f.expect("approved", f.newMessages(), nil, "", "", "")
	letter, err := f.s.SaveDocument(f.ctx, store.Document{ApplicationID: f.app, Kind: "award_letter", Filename: "letter.pdf", Content: []byte("%PDF")})
	if err != nil {
		t.Fatal(err)
	}
	got = f.move("offered", nil)
	f.expect("offer", got, group, "offer", "Grant offer: App 0", f.appLink(), "We are offering you a grant of £4,000.00",
		"(reference GCF-2026-0001)", "Accept the offer by 31 January 2027", fmt.Sprintf("Read the letter: http://grantflow.test/documents/%d", letter.ID))

	got = f.move("accepted", nil) // finance hears from the workflow's payment-due notice
	f.expect("accepted", got, officers, "offer_accepted", "Offer accepted: App 0", f.appLink(), "Test Group accepted the offer")

	e = f.event("paid")
	got = f.record(func() error {
		_, err := f.s.RecordPayment(f.ctx, store.Payment{AwardID: award.ID, Tranche: 1, Amount: money.Pounds(4000), PaidOn: e.At, Reference: "BACS1",
			RecordedBy: f.staff[scheme.RoleFinance].ID, RecordedAt: e.At}, f.app, e)
		return err
	})
	f.expect("payment", got, group, "payment_recorded", "Payment made: App 0", f.appLink(), "We have paid £4,000.00")

	got = f.move("report_submitted", nil)
	f.expect("report", got, officers, "ready_for_you", "Ready for you: App 0", f.appLink(), "has sent the end-of-grant report")
	got = f.move("paid", func(e *store.Event) { e.Why = "Say how many sessions ran." })
	f.expect("changes", got, group, "report_changes", "Changes needed to your report: App 0", f.appLink(), "Say how many sessions ran.")
	f.move("report_submitted", nil)
	got = f.move("closed", nil)
	f.expect("closed", got, group, "grant_closed", "Grant closed: App 0", f.appLink(), "is now closed")
	f.expect("award closed", f.move("closed", nil), nil, "", "", "")

	// Nothing staff-only reaches the group: no scores, conflicts, panel or assessors.
	var bodies []string
	if err := f.s.DB.Select(&bodies, `SELECT body_text || body_html FROM messages WHERE address = 'a@example.org'`); err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		for _, staffOnly := range []string{"score", "conflict", "panel", "assessor", "assessment", "Demo "} {
			if strings.Contains(strings.ToLower(b), strings.ToLower(staffOnly)) {
				t.Errorf("a message to the group mentions %q:\n%s", staffOnly, b)
			}
		}
	}
}

// The ends that are not an award: ineligible, declined and a lapsed offer, each with its reasons.
func TestEndingMomentsGiveTheirReasons(t *testing.T) {
	f := newMomentsFixture(t)
	group := []string{"a@example.org"}
	got := f.move("ineligible", func(e *store.Event) { e.Why = "The project runs for more than 12 months." })
	f.expect("ineligible", got, group, "ineligible", "Application not eligible: App 0", f.appLink(), "is not eligible", "The project runs for more than 12 months.")

	got = f.move("declined", func(e *store.Event) { e.Why = "The plan does not say who will run the sessions." })
	f.expect("declined", got, group, "declined", "Application not funded: App 0", f.appLink(), "The plan does not say who will run the sessions.")

	got = f.move("lapsed", nil)
	f.expect("lapsed", got, []string{"a@example.org", "officer@opcc.example"}, "offer_lapsed", "Offer lapsed: App 0", f.appLink(), "lapsed")
}

// A service award's moments: the panel told their deadline, the decider, finance and the officer
// on acceptance, tranches released (finance to pay, the provider told) or held (with why), returns
// received, variations and an early ending.
func TestServiceMomentsTellTheRightPeopleOnce(t *testing.T) {
	f := newMomentsFixture(t)
	// The fixture's scheme made a service scheme: the moments read the kind from the scheme.
	if _, err := f.s.DB.Exec(`UPDATE schemes SET kind = 'service'`); err != nil {
		t.Fatal(err)
	}
	group := []string{"a@example.org"}
	officers := []string{"officer@opcc.example"}
	finance := []string{"finance@opcc.example", "finance-team@opcc.example"}
	f.move("assessment", nil)

	deadline := time.Date(2027, 2, 5, 17, 0, 0, 0, scheme.London)
	panel := []int64{f.staff[scheme.RoleAssessor].ID, f.staff[scheme.RoleOfficer].ID}
	e := f.event("assessment")
	got := f.record(func() error {
		return f.s.AssignPanel(f.ctx, f.app, panel, f.staff[scheme.RoleHeadOfCommissioning].ID, deadline, e)
	})
	f.expect("panel", got, []string{"officer@opcc.example", "assessor@opcc.example"}, "panel_assigned", "You are on a panel: App 0", f.appLink(),
		"Score it by 5 February 2027.")
	e = f.event("assessment")
	f.expect("panel again", f.record(func() error { return f.s.AssignPanel(f.ctx, f.app, panel, 1, deadline, e) }), nil, "", "", "")

	f.move("moderation", nil)
	got = f.move("decision", func(e *store.Event) { e.DeciderRole = string(scheme.RoleHeadOfCommissioning) })
	f.expect("ready for decision", got, []string{"head_of_commissioning@opcc.example"}, "ready_for_decision", "Ready for a decision: App 0", f.appLink())

	e = f.event("approved")
	award, err := f.s.CreateAward(f.ctx, store.Award{ApplicationID: f.app, Reference: "SVC-2026-0001", Amount: money.Pounds(90000), Purpose: "Support",
		Conditions: []byte(`["Report"]`), Reasons: "Fewer victims", ApprovedBy: f.staff[scheme.RoleHeadOfCommissioning].ID, ApprovedRole: "head_of_commissioning",
		DelegationBand: "Head", RulesVersion: 1, DecidedAt: e.At, AcceptBy: deadline}, e)
	if err != nil {
		t.Fatal(err)
	}
	agreement, err := f.s.SaveDocument(f.ctx, store.Document{ApplicationID: f.app, Kind: "grant_agreement", Filename: "agreement.pdf", Content: []byte("%PDF")})
	if err != nil {
		t.Fatal(err)
	}
	got = f.move("offered", nil)
	f.expect("offer", got, group, "offer", "Grant offer: App 0", f.appLink(), "£90,000.00", fmt.Sprintf("/documents/%d", agreement.ID))

	got = f.move("accepted", nil) // the officer hears from the workflow's conditions-precedent notice
	f.expect("accepted", got, finance, "offer_accepted", "Offer accepted: App 0", "http://grantflow.test/finance", "SVC-2026-0001")
	f.move("active", nil)

	e = f.event("active")
	e.Why = "the conditions precedent have not been confirmed as met"
	got = f.record(func() error { return f.s.HoldTranche(f.ctx, award.ID, 1, e.Why, e) })
	f.expect("held", got, group, "tranche_held", "Payment held: App 0", f.appLink(), "Payment 1 of your grant", "is held: the conditions precedent have not been confirmed as met.")

	e = f.event("active")
	e.Why = "conditions precedent met"
	got = f.record(func() error {
		_, err := f.s.ReleaseTranche(f.ctx, award.ID, 1, store.FinanceNotice{Reference: "PN-1", Payee: "Test Group", Amount: money.Pounds(7500), Schedule: []byte(`[]`),
			CreatedAt: e.At}, store.Document{ApplicationID: f.app, Kind: "payment_notice", Filename: "pn1.pdf", Content: []byte("%PDF")}, e)
		return err
	})
	if len(got) == 3 {
		f.expect("released: finance", got[:2], finance, "payment_due", "Payment due: App 0", "http://grantflow.test/finance", "pay £7,500.00 to Test Group")
		f.expect("released: group", got[2:], group, "tranche_released", "Payment released: App 0", f.appLink(), "Payment 1 of your grant", "finance will pay it")
	} else {
		t.Errorf("released: %d messages, want 3: %+v", len(got), got)
	}

	e = f.event("active")
	got = f.record(func() error {
		_, err := f.s.RecordTranchePayment(f.ctx, store.Payment{AwardID: award.ID, Tranche: 1, Amount: money.Pounds(7500), PaidOn: e.At, Reference: "BACS1",
			RecordedBy: f.staff[scheme.RoleFinance].ID, RecordedAt: e.At}, f.app, e)
		return err
	})
	f.expect("paid", got, group, "payment_recorded", "Payment made: App 0", f.appLink(), "We have paid £7,500.00")

	e = f.event("active")
	got = f.record(func() error {
		return f.s.SaveReturn(f.ctx, store.MonitoringReturn{ApplicationID: f.app, FinancialYear: 2026, Quarter: 3, Version: 1, Content: []byte(`{}`),
			SubmittedBy: 1, SubmittedAt: e.At}, e)
	})
	f.expect("return", got, officers, "ready_for_you", "Ready for you: App 0", f.appLink(), "has sent the Q3 2026-27 monitoring return")

	got = f.move("variation_offered", func(e *store.Event) {
		e.Moment, e.Why, e.Due = store.MomentVaried, "The second year is £5,000.00 less", time.Date(2027, 3, 1, 23, 59, 0, 0, scheme.London)
	})
	if len(got) == 3 {
		f.expect("varied: group", got[:1], group, "variation_offered", "Change to your grant: App 0", f.appLink(),
			"The second year is £5,000.00 less.", "Accept the varied agreement by 1 March 2027.", fmt.Sprintf("/documents/%d", agreement.ID))
		f.expect("varied: finance", got[1:], finance, "grant_varied", "Grant varied: App 0", "http://grantflow.test/finance")
	} else {
		t.Errorf("varied: %d messages, want 3: %+v", len(got), got)
	}
	got = f.move("active", func(e *store.Event) { e.Moment = store.MomentVariationAccepted })
	f.expect("variation accepted", got, officers, "variation_accepted", "Varied agreement accepted: App 0", f.appLink())

	got = f.move("final_report", func(e *store.Event) { e.Moment, e.Why = store.MomentTerminated, "The service stopped running" })
	if len(got) == 3 {
		f.expect("ended: group", got[:1], group, "grant_terminated", "Grant ended early: App 0", f.appLink(), "ended early", "The service stopped running.")
		f.expect("ended: finance", got[1:], finance, "grant_terminated", "Grant ended early: App 0", "http://grantflow.test/finance")
	} else {
		t.Errorf("ended: %d messages, want 3: %+v", len(got), got)
	}
	got = f.move("final_report_submitted", nil)
	f.expect("final report", got, officers, "ready_for_you", "Ready for you: App 0", f.appLink(), "has sent the final report")
	f.expect("recovery", f.move("recovery", nil), nil, "", "", "")
	got = f.move("closed", nil)
	f.expect("closed", got, group, "grant_closed", "Grant closed: App 0", f.appLink())
}
