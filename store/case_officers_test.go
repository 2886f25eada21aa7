package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// caseOfficers is the demo data with one submitted grassroots application, its people by role and
// a trustee of the applying group who is also a commissioning officer.
type caseOfficers struct {
	*awards
	ctx                                        context.Context
	app                                        int64
	officer, officer2, head, assessor, finance store.User
	trustee                                    store.User
	keys                                       int
	submitted                                  time.Time
}

func newCaseOfficers(t *testing.T) *caseOfficers {
	t.Helper()
	st := storetest.New(t)
	c := &caseOfficers{awards: newAwards(t, st), ctx: context.Background(), submitted: time.Date(2026, 6, 1, 9, 0, 0, 0, scheme.London)}
	for email, u := range map[string]*store.User{"officer@opcc.example.org": &c.officer, "officer2@opcc.example.org": &c.officer2,
		"head@opcc.example.org": &c.head, "assessor@opcc.example.org": &c.assessor, "finance@opcc.example.org": &c.finance} {
		var err error
		if *u, err = st.UserByEmail(c.ctx, email); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if c.trustee, err = st.CreateUser(c.ctx, store.NewUser{Email: "trustee.officer@opcc.example.org", Name: "Toni Trustee", Role: scheme.RoleOfficer,
		Password: "a long enough password", Organisations: []int64{c.org}}); err != nil {
		t.Fatal(err)
	}
	c.app = c.submittedApplication(t, "Youth club nights")
	return c
}

func (c *caseOfficers) submittedApplication(t *testing.T, title string) int64 {
	t.Helper()
	grass := c.schemeOf["grassroots"]
	id, err := c.st.CreateDraft(c.ctx, c.org, c.user, store.Draft{SchemeID: grass[0], RoundID: grass[1], Title: title})
	if err != nil {
		t.Fatal(err)
	}
	c.act(t, id, c.user, "applicant", c.submitted, "submitted")
	return id
}

// act records a line of the application's history by the user (0: Grantflow itself).
func (c *caseOfficers) act(t *testing.T, app, userID int64, role string, at time.Time, status string) store.Event {
	t.Helper()
	c.keys++
	e := store.Event{Application: app, Key: fmt.Sprintf("case-officer-test-%d", c.keys), At: at, ActorName: role, ActorRole: role, What: "Acted", Status: status}
	if userID != 0 {
		e.ActorUserID = &userID
	}
	if err := c.st.RecordEvent(c.ctx, e); err != nil {
		t.Fatal(err)
	}
	return e
}

func (c *caseOfficers) caseOfficer(t *testing.T, app int64) string {
	t.Helper()
	a, err := c.st.Application(c.ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	if a.CaseOfficer == nil {
		return ""
	}
	return *a.CaseOfficer
}

// The first officer to act on an application becomes its case officer, said once in its history;
// Grantflow itself, an assessor, finance, a member of the applying group and an officer who declared
// a conflict do not; an assignment already made is kept.
func TestFirstOfficerToActIsCaseOfficer(t *testing.T) {
	t.Parallel()
	c := newCaseOfficers(t)
	at := c.submitted.Add(time.Hour)
	c.act(t, c.app, 0, "system", at, "screening")
	c.act(t, c.app, c.assessor.ID, "assessor", at, "screening")
	c.act(t, c.app, c.finance.ID, "finance", at, "screening")
	c.act(t, c.app, c.trustee.ID, "officer", at, "screening")
	if err := c.st.SaveConflict(c.ctx, store.Conflict{ApplicationID: c.app, UserID: c.officer2.ID, HasConflict: true, DeclaredAt: at},
		store.Event{Application: c.app, Key: "conflict-officer2", At: at, ActorUserID: &c.officer2.ID, ActorName: c.officer2.Name,
			ActorRole: "officer", What: "Conflict declared", Status: "screening"}); err != nil {
		t.Fatal(err)
	}
	if got := c.caseOfficer(t, c.app); got != "" {
		t.Fatalf("case officer %q before any officer who may be one acted", got)
	}
	first := c.act(t, c.app, c.officer.ID, "officer", at.Add(time.Hour), "assessment")
	if err := c.st.RecordEvent(c.ctx, first); err != nil { // a retried activity
		t.Fatal(err)
	}
	c.act(t, c.app, c.head.ID, "head_of_commissioning", at.Add(2*time.Hour), "assessment")
	if got := c.caseOfficer(t, c.app); got != c.officer.Name {
		t.Errorf("case officer %q; want the first officer to act, %s", got, c.officer.Name)
	}
	events, err := c.st.Timeline(c.ctx, c.app)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range events {
		if strings.HasPrefix(e.What, store.WhatFirstOfficer) {
			lines = append(lines, fmt.Sprintf("%s | %s | %s | %s", e.What, e.ActorName, e.At.In(scheme.London).Format("15:04"), e.Status))
		}
	}
	if want := []string{"Case officer: " + c.officer.Name + ", the first officer to act on it | Grantflow | 11:00 | assessment"}; !slices.Equal(lines, want) {
		t.Errorf("history's case officer lines %q; want %q", lines, want)
	}

	// Someone assigned before any officer acted stays.
	other := c.submittedApplication(t, "Brighter alleys")
	if err := c.st.AssignCaseOfficer(c.ctx, other, c.head, c.head, at); err != nil {
		t.Fatal(err)
	}
	c.act(t, other, c.officer.ID, "officer", at.Add(time.Hour), "assessment")
	if got := c.caseOfficer(t, other); got != c.head.Name {
		t.Errorf("assigned case officer %q after another officer acted; want %s kept", got, c.head.Name)
	}
}

// Who "officer" notifications reach: the case officer; every officer when there is none; and the
// head of commissioning as well, for escalations and "ready for you" notices only, when the case
// officer is away or has not acted on the application within the scheme's escalation period.
func TestOfficerAudienceIsTheCaseOfficer(t *testing.T) {
	t.Parallel()
	c := newCaseOfficers(t)
	ob := store.Outbox{FinanceMailbox: "finance-team@opcc.example", Compose: func(store.NotificationContext, store.Recipient) (store.MailContent, error) {
		return store.MailContent{Subject: "Subject"}, nil
	}}
	n := 0
	told := func(audience, kind string, at time.Time) []string {
		t.Helper()
		n++
		key := fmt.Sprintf("recipients-test-%d", n)
		c.st.Outbox = ob // only for this notification: the facts the test records tell nobody
		err := c.st.Notify(c.ctx, store.Notification{Key: key, ApplicationID: c.app, Audience: audience, Kind: kind, Message: "Message", CreatedAt: at})
		c.st.Outbox = store.Outbox{}
		if err != nil {
			t.Fatal(err)
		}
		list, err := c.st.MessageStatuses(c.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range list {
			if m.NotificationKey == key {
				out = append(out, strings.TrimSuffix(m.Address, "@opcc.example.org"))
			}
		}
		slices.Sort(out)
		return out
	}
	expect := func(what string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: told %q; want %q", what, got, want)
		}
	}
	day := func(d int) time.Time { return c.submitted.AddDate(0, 0, d) }

	// Nobody looks after it: every commissioning officer (not the trustee of the group), not the head.
	expect("no case officer, escalation", told("officer", store.KindEscalation, day(1)), "officer", "officer2")

	acted := day(2)
	c.act(t, c.app, c.officer.ID, "officer", acted, "assessment") // becomes case officer
	expect("case officer who acted yesterday, escalation", told("officer", store.KindEscalation, day(3)), "officer")
	expect("case officer who acted yesterday, ready", told("officer", store.KindReady, day(3)), "officer")
	// The demo schemes' escalation period is 10 days.
	expect("case officer who acted 10 days before", told("officer", store.KindEscalation, acted.AddDate(0, 0, 10)), "officer")
	quiet := acted.AddDate(0, 0, 10).Add(time.Minute)
	expect("case officer silent for the escalation period, escalation", told("officer", store.KindEscalation, quiet), "head", "officer")
	expect("case officer silent for the escalation period, ready", told("officer", store.KindReady, quiet), "head", "officer")
	expect("case officer silent for the escalation period, a report ready for review", told("officer", "ready_for_you", quiet), "head", "officer")
	expect("case officer silent for the escalation period, ready for a decision", told("officer", "ready_for_decision", quiet), "head", "officer")
	expect("case officer silent for the escalation period, other notices", told("officer", "reminder", quiet), "officer")
	expect("acceptance", told("officer+finance", "accepted", quiet), "finance", "finance-team@opcc.example", "finance2", "officer")
	expect("a named head of commissioning", told("head_of_commissioning", "reminder", day(3)), "head")

	// Away until 5 June (a London date): copied to the head on 5 June, not on the 6th, even just after
	// midnight in London (still the 5th in UTC).
	if _, err := c.st.DB.ExecContext(c.ctx, `UPDATE users SET away_until = '2026-06-05' WHERE id = $1`, c.officer.ID); err != nil {
		t.Fatal(err)
	}
	lastOfAway := time.Date(2026, 6, 5, 23, 30, 0, 0, scheme.London)
	expect("case officer away, escalation", told("officer", store.KindEscalation, lastOfAway), "head", "officer")
	expect("case officer away, ready", told("officer", store.KindReady, lastOfAway), "head", "officer")
	expect("case officer away, a return ready for review", told("officer", "ready_for_you", lastOfAway), "head", "officer")
	expect("case officer away, other notices", told("officer", "tranche_held", lastOfAway), "officer")
	expect("case officer back", told("officer", store.KindEscalation, time.Date(2026, 6, 6, 0, 30, 0, 0, scheme.London)), "officer")

	// A case officer assigned by someone else has the escalation period from their assignment before
	// the heads are copied, though they have not acted yet.
	if err := c.st.AssignCaseOfficer(c.ctx, c.app, c.officer2, c.head, day(12)); err != nil {
		t.Fatal(err)
	}
	expect("case officer assigned yesterday, not yet acted", told("officer", store.KindEscalation, day(13)), "officer2")
	expect("case officer assigned, silent for the escalation period", told("officer", store.KindEscalation, day(22).Add(time.Minute)), "head", "officer2")

	// The head as case officer is told once; the period is the rules' the application was submitted under.
	if err := c.st.AssignCaseOfficer(c.ctx, c.app, c.head, c.head, day(20)); err != nil {
		t.Fatal(err)
	}
	expect("the head as silent case officer", told("officer", store.KindEscalation, day(21)), "head")
	rules := c.submittedRules(t)
	rules.EscalationDays = 60
	raw, _ := json.Marshal(rules)
	if _, err := c.st.DB.ExecContext(c.ctx, `UPDATE applications SET case_officer_id = $2, submitted_rules = $3 WHERE id = $1`, c.app, c.officer.ID, raw); err != nil {
		t.Fatal(err)
	}
	expect("case officer who acted within the rules' 60 days", told("officer", store.KindEscalation, quiet), "officer")

	// A case officer who may no longer be told (now a trustee of the group): every officer instead.
	if _, err := c.st.DB.ExecContext(c.ctx, `UPDATE applications SET case_officer_id = $2 WHERE id = $1`, c.app, c.trustee.ID); err != nil {
		t.Fatal(err)
	}
	expect("case officer in the group", told("officer", store.KindEscalation, day(3)), "officer", "officer2")

	// A case officer who has since declared a conflict is not told, nor is any conflicted officer.
	if _, err := c.st.DB.ExecContext(c.ctx, `UPDATE applications SET case_officer_id = $2 WHERE id = $1`, c.app, c.officer.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.st.SaveConflict(c.ctx, store.Conflict{ApplicationID: c.app, UserID: c.officer.ID, HasConflict: true, DeclaredAt: day(30)},
		store.Event{Application: c.app, Key: "conflict-officer", At: day(30), ActorUserID: &c.officer.ID, ActorName: c.officer.Name,
			ActorRole: "officer", What: "Declared a conflict of interest", Status: "assessment"}); err != nil {
		t.Fatal(err)
	}
	expect("conflicted case officer", told("officer", store.KindEscalation, day(31)), "officer2")
}

func (c *caseOfficers) submittedRules(t *testing.T) scheme.Rules {
	t.Helper()
	sc, err := c.st.Scheme(c.ctx, c.schemeOf["grassroots"][0])
	if err != nil {
		t.Fatal(err)
	}
	return sc.Rules
}

// A case officer assigned by someone else is told, once, with the words of who assigned them; one who
// takes an application on themselves is not.
func TestAssignedCaseOfficerIsTold(t *testing.T) {
	t.Parallel()
	c := newCaseOfficers(t)
	c.st.Outbox = store.Outbox{Compose: func(n store.NotificationContext, r store.Recipient) (store.MailContent, error) {
		return store.MailContent{Subject: n.Kind, Text: n.Message}, nil
	}}
	at := c.submitted.Add(time.Hour)
	if err := c.st.AssignCaseOfficer(c.ctx, c.app, c.officer, c.officer, at); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the same assignment again changes nothing and tells nobody twice
		if err := c.st.AssignCaseOfficer(c.ctx, c.app, c.officer2, c.head, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	inbox := func(u store.User) []store.InboxItem {
		t.Helper()
		list, err := c.st.Inbox(c.ctx, u.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	if got := inbox(c.officer); len(got) != 0 {
		t.Errorf("the officer who took it on was told %+v; want nothing", got)
	}
	got := inbox(c.officer2)
	if len(got) != 1 || got[0].Kind != "case_officer_assigned" || !strings.Contains(got[0].Message, c.head.Name+" has made you the case officer") {
		t.Errorf("the assigned officer was told %+v; want one message saying who made them case officer", got)
	}
}

// The officer who assessed an application becomes its case officer, but the rule book bars them
// from deciding it: "ready for a decision" goes to the officers who may decide, not to them; with
// no such officer, to the heads of commissioning.
func TestReadyForDecisionSkipsWhoMayNotDecide(t *testing.T) {
	t.Parallel()
	c := newCaseOfficers(t)
	c.st.Outbox = store.Outbox{Compose: func(n store.NotificationContext, r store.Recipient) (store.MailContent, error) {
		return store.MailContent{Subject: n.Kind, Text: n.Message}, nil
	}}
	toldOfDecision := func(app int64) []string {
		t.Helper()
		list, err := c.st.MessageStatuses(c.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range list {
			if strings.HasPrefix(m.NotificationKey, fmt.Sprintf("assessed-%d/", app)) {
				out = append(out, strings.TrimSuffix(m.Address, "@opcc.example.org"))
			}
		}
		slices.Sort(out)
		return out
	}
	assess := func(app int64, by store.User, notToDecide ...int64) {
		t.Helper()
		c.act(t, app, 0, "system", c.submitted.Add(time.Minute), "assessment") // screened
		e := store.Event{Application: app, Key: fmt.Sprintf("assessed-%d", app), At: c.submitted.Add(time.Hour), ActorUserID: &by.ID,
			ActorName: by.Name, ActorRole: string(by.Role), What: "Assessment submitted", Status: "decision",
			DeciderRole: string(scheme.RoleOfficer), NotToDecide: append(notToDecide, by.ID)}
		if err := c.st.RecordEvent(c.ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	assess(c.app, c.officer)
	if got := c.caseOfficer(t, c.app); got != c.officer.Name {
		t.Fatalf("case officer %q; want the assessing officer", got)
	}
	if got, want := toldOfDecision(c.app), []string{"officer2"}; !slices.Equal(got, want) {
		t.Errorf("ready for a decision told %q; want %q (the officer who assessed it may not decide it; the trustee is in the group)", got, want)
	}
	other := c.submittedApplication(t, "Park patrols")
	assess(other, c.officer, c.officer2.ID)
	if got, want := toldOfDecision(other), []string{"head"}; !slices.Equal(got, want) {
		t.Errorf("with no officer free to decide, told %q; want %q", got, want)
	}
}

// A head copied on the case officer's notice is told why: the case officer is away, or quiet.
func TestHeadsAreToldWhyTheyAreCopied(t *testing.T) {
	t.Parallel()
	c := newCaseOfficers(t)
	copied := map[string]string{}
	c.st.Outbox = store.Outbox{Compose: func(n store.NotificationContext, r store.Recipient) (store.MailContent, error) {
		copied[r.Email] = r.Copied
		return store.MailContent{Subject: n.Kind}, nil
	}}
	at := c.submitted.Add(time.Hour)
	if err := c.st.AssignCaseOfficer(c.ctx, c.app, c.officer, c.officer, at); err != nil {
		t.Fatal(err)
	}
	escalate := func(key string, at time.Time) {
		t.Helper()
		clear(copied)
		if err := c.st.Notify(c.ctx, store.Notification{Key: key, ApplicationID: c.app, Audience: "officer", Kind: store.KindEscalation,
			Message: "Overdue.", CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	escalate("quiet", at.AddDate(0, 0, 11))
	if got := copied[c.head.Email]; got != "You are copied because the case officer, "+c.officer.Name+", has not acted on it for 10 days." {
		t.Errorf("the head copied on a quiet case officer's escalation was told %q", got)
	}
	if got := copied[c.officer.Email]; got != "" {
		t.Errorf("the case officer was told %q; want no copy line", got)
	}
	if _, err := c.st.DB.ExecContext(c.ctx, `UPDATE users SET away_until = $2 WHERE id = $1`, c.officer.ID, at.AddDate(0, 0, 30)); err != nil {
		t.Fatal(err)
	}
	escalate("away", at.AddDate(0, 0, 2))
	if got := copied[c.head.Email]; !strings.Contains(got, c.officer.Name+", is away") {
		t.Errorf("the head copied while the case officer is away was told %q", got)
	}
}
