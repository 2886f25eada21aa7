package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"grantflow/internal/demo"
	"grantflow/internal/mailcatcher"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

const testFrom = "Grantflow <grants@opcc.example>"

type fixture struct {
	ctx     context.Context
	st      *store.Store
	appID   int64
	catcher *mailcatcher.Catcher
	smtp    SMTPSettings
	// users by e-mail
	users map[string]store.User
}

// newFixture is the demo data, an application from the demo group (with a second member, and a
// staff member who is also a trustee of the group) and a mail catcher serving through wrap.
func newFixture(t testing.TB, wrap func(*mailcatcher.Catcher) smtp.Backend, ln net.Listener) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	if err := demo.Seed(ctx, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	st.Outbox = MustOutbox("http://grantflow.test", "finance-team@opcc.example")
	f := &fixture{ctx: ctx, st: st, users: map[string]store.User{}}
	applicant, err := st.UserByEmail(ctx, "applicant@riverside-youth.example.org")
	if err != nil {
		t.Fatal(err)
	}
	org := applicant.Organisations[0]
	for _, nu := range []store.NewUser{
		{Email: "treasurer@riverside-youth.example.org", Name: "Tam Treasurer", Role: scheme.RoleApplicant, Password: "a long password", Organisations: []int64{org}},
		{Email: "trustee.officer@opcc.example.org", Name: "Toni Trustee", Role: scheme.RoleOfficer, Password: "a long password", Organisations: []int64{org}},
	} {
		if _, err := st.CreateUser(ctx, nu); err != nil {
			t.Fatal(err)
		}
	}
	for _, email := range []string{"applicant@riverside-youth.example.org", "treasurer@riverside-youth.example.org", "trustee.officer@opcc.example.org",
		"assessor@opcc.example.org", "officer@opcc.example.org", "officer2@opcc.example.org", "finance@opcc.example.org", "head@opcc.example.org"} {
		if f.users[email], err = st.UserByEmail(ctx, email); err != nil {
			t.Fatal(err)
		}
	}
	schemes, err := st.Schemes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rounds, err := st.Rounds(ctx, schemes[0].ID)
	if err != nil || len(rounds) == 0 {
		t.Fatalf("rounds %v %v", rounds, err)
	}
	if f.appID, err = st.CreateDraft(ctx, org, applicant.ID, store.Draft{SchemeID: schemes[0].ID, RoundID: rounds[0].ID, Title: "Summer\nboxing club"}); err != nil {
		t.Fatal(err)
	}
	f.catcher = mailcatcher.New()
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	var backend smtp.Backend = f.catcher
	if wrap != nil {
		backend = wrap(f.catcher)
	}
	f.catcher.Serve(ln, backend)
	t.Cleanup(func() { f.catcher.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	fmt.Sscan(port, &f.smtp.Port)
	f.smtp.Host = host
	return f
}

func (f *fixture) notify(t testing.TB, key, audience, kind, msg string) {
	t.Helper()
	n := store.Notification{Key: key, ApplicationID: f.appID, Audience: audience, Kind: kind, Message: msg, CreatedAt: time.Now()}
	if err := f.st.Notify(f.ctx, n); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) sender() *Sender {
	return &Sender{Store: f.st, SMTP: f.smtp, From: testFrom, Backoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Poll: 10 * time.Millisecond, Lease: time.Minute}
}

// drain sends until the outbox has nothing due, the way Run does, but returns when done.
func (f *fixture) drain(t testing.TB, s *Sender, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, 30*time.Second)
	defer cancel()
	go s.Run(ctx)
	if _, err := f.catcher.WaitFor(ctx, want); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil { // until every row is recorded
		list, err := f.st.MessageStatuses(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(list, func(m store.MessageStatus) bool { return m.Status == "pending" }) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
}

// The audiences the workflows use reach exactly the people they mean, once each, however often the
// activity is retried; staff-only content never reaches a member of the applying organisation.
func TestNotifyWritesOneMessagePerRecipient(t *testing.T) {
	f := newFixture(t, nil, nil)
	assessor := f.users["assessor@opcc.example.org"]
	for range 2 { // a retried activity
		f.notify(t, "application-1/acceptance-reminder", "applicant", "reminder", "Your offer must be accepted by 1 July 2026 or it will lapse.")
		f.notify(t, "application-1/payment-due", "finance", "payment_due", "GCF-2026-0001 accepted: pay £2,500.00 to Riverside Youth Project.")
		f.notify(t, "application-1/report-overdue", "officer", "escalation", "The end-of-grant report is overdue. Scores: 4, 3; panel: Alex Assessor.")
		f.notify(t, fmt.Sprintf("application-1/panel-reminder-%d", assessor.ID), fmt.Sprintf("user:%d", assessor.ID), "reminder", "Please score by 3 July 2026.")
		f.notify(t, fmt.Sprintf("application-1/panel-reminder-%d", f.users["treasurer@riverside-youth.example.org"].ID),
			fmt.Sprintf("user:%d", f.users["treasurer@riverside-youth.example.org"].ID), "reminder", "Please score by 3 July 2026.")
	}
	list, err := f.st.MessageStatuses(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, m := range list {
		key := m.NotificationKey[strings.LastIndexByte(m.NotificationKey, '/')+1:]
		got[key] = append(got[key], m.Address)
	}
	want := map[string][]string{
		// every member of the group, the trustee who is also an officer among them
		"acceptance-reminder": {"applicant@riverside-youth.example.org", "treasurer@riverside-youth.example.org", "trustee.officer@opcc.example.org"},
		"payment-due":         {"finance@opcc.example.org", "finance2@opcc.example.org", "finance-team@opcc.example"},
		// the trustee is an officer but a member of the group: never told staff-only content
		"report-overdue": {"officer@opcc.example.org", "officer2@opcc.example.org"},
		fmt.Sprintf("panel-reminder-%d", assessor.ID): {"assessor@opcc.example.org"},
	}
	for k := range want {
		slices.Sort(want[k])
		slices.Sort(got[k])
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("messages by notification:\n got %v\nwant %v", got, want)
	}

	// Each person's in-app list holds only their own, and nobody can mark another's as read.
	applicant, officer := f.users["applicant@riverside-youth.example.org"], f.users["officer@opcc.example.org"]
	inbox, err := f.st.Inbox(f.ctx, applicant.ID, 50)
	if err != nil || len(inbox) != 1 || !strings.Contains(inbox[0].Message, "accepted by 1 July 2026") ||
		inbox[0].Link != fmt.Sprintf("http://grantflow.test/applications/%d", f.appID) || inbox[0].Subject != "Reminder: Summer boxing club" {
		t.Fatalf("applicant's inbox %+v, %v", inbox, err)
	}
	officerInbox, err := f.st.Inbox(f.ctx, officer.ID, 50)
	if err != nil || len(officerInbox) != 1 || officerInbox[0].Kind != "escalation" {
		t.Fatalf("officer's inbox %+v, %v", officerInbox, err)
	}
	if err := f.st.MarkRead(f.ctx, applicant.ID, officerInbox[0].ID, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an applicant marking the officer's notification read: %v, want not found", err)
	}
	if n, _ := f.st.UnreadCount(f.ctx, officer.ID); n != 1 {
		t.Errorf("officer's unread count %d after another's attempt; want 1", n)
	}
	if err := f.st.MarkRead(f.ctx, officer.ID, officerInbox[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.st.UnreadCount(f.ctx, officer.ID); n != 0 {
		t.Errorf("officer's unread count %d after reading; want 0", n)
	}
}

// Every message arrives once, to its address, with its subject, both bodies, a working link (the
// application for the group, the finance page for finance) and a
// Message-ID derived from its key; the server's answer is recorded.
func TestSenderDeliversEachMessageOnce(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.notify(t, "application-1/acceptance-reminder", "applicant", "reminder", "Your offer must be accepted by 1 July 2026 or it will lapse.")
	f.notify(t, "application-1/payment-due", "finance", "payment_due", "GCF-2026-0001 accepted: pay £2,500.00 to Riverside Youth Project.")
	f.drain(t, f.sender(), 5)
	time.Sleep(100 * time.Millisecond) // anything extra would have arrived by now
	got := f.catcher.Messages()
	var to []string
	for _, m := range got {
		to = append(to, strings.Join(m.To, ","))
		if m.Deliveries != 1 {
			t.Errorf("%s to %v delivered %d times", m.Subject, m.To, m.Deliveries)
		}
		link := fmt.Sprintf("http://grantflow.test/applications/%d", f.appID)
		if strings.HasPrefix(m.Subject, "Payment") { // finance work from their own page
			link = "http://grantflow.test/finance"
		}
		if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `href="`+link+`"`) {
			t.Errorf("message to %v lacks the link %s:\n%s\n%s", m.To, link, m.Text, m.HTML)
		}
		if m.MessageID != MessageID("application-1/"+map[bool]string{true: "payment-due", false: "acceptance-reminder"}[strings.HasPrefix(m.Subject, "Payment")], m.To[0], testFrom) {
			t.Errorf("message to %v has Message-ID %q, not the one derived from its key", m.To, m.MessageID)
		}
	}
	slices.Sort(to)
	if want := "[applicant@riverside-youth.example.org finance-team@opcc.example finance2@opcc.example.org finance@opcc.example.org treasurer@riverside-youth.example.org trustee.officer@opcc.example.org]"; fmt.Sprint(to) != want {
		t.Errorf("delivered to %v, want %s", to, want)
	}
	// The applicant's reminder, whichever arrived first (a batch is sent in no promised order).
	at := slices.IndexFunc(got, func(m mailcatcher.Message) bool { return m.Subject == "Reminder: Summer boxing club" })
	if at < 0 || !strings.Contains(got[at].Text, "What to do") || !strings.Contains(got[at].HTML, "<h2") {
		t.Errorf("the reminder (at %d) lacks its parts: %+v", at, got)
	}
	list, _ := f.st.MessageStatuses(f.ctx)
	for _, m := range list {
		if m.Status != "sent" || m.SentAt == nil || !strings.Contains(m.ServerResponse, "OK: queued") {
			t.Errorf("message %d: %s, answer %q", m.ID, m.Status, m.ServerResponse)
		}
	}
}

// refusing wraps the catcher: while refuse is set it answers MAIL FROM with 451 (try again later).
type refusing struct {
	*mailcatcher.Catcher
	refuse  atomic.Bool
	refused atomic.Int32
}

func (r *refusing) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s, err := r.Catcher.NewSession(c)
	return &refusingSession{Session: s, r: r}, err
}

type refusingSession struct {
	smtp.Session
	r *refusing
}

func (s *refusingSession) Mail(from string, opts *smtp.MailOptions) error {
	if s.r.refuse.Load() {
		s.r.refused.Add(1)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	return s.Session.Mail(from, opts)
}

// dropping is a listener that, while drop is set, closes each connection as soon as it is accepted.
type dropping struct {
	net.Listener
	drop    atomic.Bool
	dropped atomic.Int32
}

func (d *dropping) Accept() (net.Conn, error) {
	for {
		c, err := d.Listener.Accept()
		if err != nil || !d.drop.Load() {
			return c, err
		}
		d.dropped.Add(1)
		c.Close()
	}
}

// A server that refuses for a while, then drops connections for a while, delays mail: nothing is
// lost and nothing is sent twice.
func TestSenderRidesOutRefusalsAndDroppedConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	drop := &dropping{Listener: ln}
	var refuse *refusing
	f := newFixture(t, func(c *mailcatcher.Catcher) smtp.Backend { refuse = &refusing{Catcher: c}; return refuse }, drop)
	for i := range 5 {
		f.notify(t, fmt.Sprintf("application-1/return-%d-reminder", i), "applicant", "reminder", fmt.Sprintf("Return %d is due.", i))
	}
	const want = 15 // five reminders to the group's three members
	drop.drop.Store(true)
	ctx, cancel := context.WithCancel(f.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { f.sender().Run(ctx) })
	waitUntil(t, func() bool { return drop.dropped.Load() >= 2 })
	refuse.refuse.Store(true)
	drop.drop.Store(false)
	waitUntil(t, func() bool { return refuse.refused.Load() >= 3 })
	if n := len(f.catcher.Messages()); n != 0 {
		t.Fatalf("%d messages arrived while the server was dropping connections or refusing", n)
	}
	refuse.refuse.Store(false)
	cancel()
	wg.Wait()

	f.drain(t, f.sender(), want)
	time.Sleep(100 * time.Millisecond)
	got := f.catcher.Messages()
	if len(got) != want {
		t.Fatalf("%d messages arrived, want %d", len(got), want)
	}
	for _, m := range got {
		if m.Deliveries != 1 {
			t.Errorf("%s to %v delivered %d times", m.Subject, m.To, m.Deliveries)
		}
	}
	list, _ := f.st.MessageStatuses(f.ctx)
	retried := 0
	for _, m := range list {
		if m.Status != "sent" {
			t.Errorf("message %d is %s (%s)", m.ID, m.Status, m.ServerResponse)
		}
		if m.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Errorf("no message was retried, so the refusals were never met")
	}
}

// A permanent refusal (5xx) is recorded as failed with the server's answer and not retried.
func TestSenderRecordsPermanentRefusal(t *testing.T) {
	f := newFixture(t, func(c *mailcatcher.Catcher) smtp.Backend {
		return smtp.BackendFunc(func(conn *smtp.Conn) (smtp.Session, error) {
			s, err := c.NewSession(conn)
			return &rejectingRcpt{Session: s}, err
		})
	}, nil)
	f.notify(t, "application-1/payment-due", "finance", "payment_due", "Pay £2,500.00.")
	s := f.sender()
	for range 3 {
		if _, err := s.SendPending(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := f.st.MessageStatuses(f.ctx)
	for _, m := range list {
		want := "sent"
		if m.Address == "finance-team@opcc.example" {
			want = "failed"
		}
		if m.Status != want || m.Attempts != 1 || (want == "failed" && !strings.Contains(m.ServerResponse, "no such mailbox")) {
			t.Errorf("message to %s: %s after %d attempts, answer %q; want %s after 1", m.Address, m.Status, m.Attempts, m.ServerResponse, want)
		}
	}
}

type rejectingRcpt struct{ smtp.Session }

func (s *rejectingRcpt) Rcpt(to string, opts *smtp.RcptOptions) error {
	if to == "finance-team@opcc.example" {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	return s.Session.Rcpt(to, opts)
}

// A sender that dies after the server accepted a message but before recording it sends nothing
// twice that a mailbox would show twice. The claim's lease keeps every other sender off the message
// while the dead one might still be sending; once the lease runs out the message is sent again
// (SMTP cannot tell us whether the accept was recorded) with the same Message-ID, derived from the
// notification key and address, which the receiving mailbox (here the catcher) keeps once. After a
// recorded send the message is never claimed again.
func TestSenderKilledAfterAcceptSendsNoDuplicate(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.notify(t, "application-1/payment-due", "finance", "payment_due", "Pay £2,500.00.")
	crashed := f.sender()
	crashed.Lease, crashed.Batch = 300*time.Millisecond, 1
	crashed.afterAccepted = func(store.OutboxMessage) error { return errors.New("killed") }
	if _, err := crashed.SendPending(f.ctx); err == nil || err.Error() != "killed" {
		t.Fatalf("crashing sender: %v", err)
	}
	if got := f.catcher.Messages(); len(got) != 1 {
		t.Fatalf("%d messages arrived before the crash, want 1", len(got))
	}
	next := f.sender()
	// finance's three addresses (two members and the mailbox): the other two only, as the first is leased
	if n, err := next.SendPending(f.ctx); err != nil || n != 2 {
		t.Fatalf("a second sender during the lease claimed %d messages (%v); want only the two unleased ones", n, err)
	}
	time.Sleep(350 * time.Millisecond) // the dead sender's lease runs out
	if n, err := next.SendPending(f.ctx); err != nil || n != 1 {
		t.Fatalf("after the lease the second sender claimed %d (%v), want the dead sender's message", n, err)
	}
	if n, err := next.SendPending(f.ctx); err != nil || n != 0 {
		t.Fatalf("after recorded sends the sender claimed %d (%v), want none", n, err)
	}
	got := f.catcher.Messages()
	if len(got) != 3 {
		t.Fatalf("the mailbox shows %d messages, want 3 (one per recipient)", len(got))
	}
	if got[0].Deliveries != 2 || got[1].Deliveries != 1 || got[2].Deliveries != 1 {
		t.Errorf("deliveries %d, %d and %d; want the crashed one resent once with the same Message-ID, the others once", got[0].Deliveries, got[1].Deliveries, got[2].Deliveries)
	}
}

func waitUntil(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestParseSMTPURL(t *testing.T) {
	for raw, want := range map[string]SMTPSettings{
		"smtp://mailpit:1025":                      {Host: "mailpit", Port: 1025},
		"smtp://user:p%40ss@mail.example.org":      {Host: "mail.example.org", Port: 587, Username: "user", Password: "p@ss"},
		"smtps://user:secret@mail.example.org":     {Host: "mail.example.org", Port: 465, Implicit: true, Username: "user", Password: "secret"},
		"smtps://user:secret@mail.example.org:994": {Host: "mail.example.org", Port: 994, Implicit: true, Username: "user", Password: "secret"},
	} {
		got, err := ParseSMTPURL(raw)
		if err != nil || got != want {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	for raw, want := range map[string]string{
		"http://mail.example.org":  "scheme must be smtp",
		"smtp://":                  "a host is required",
		"smtp://mail.example:0":    "port must be",
		"smtp://mail.example:smtp": "not a URL",
	} {
		if _, err := ParseSMTPURL(raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSMTPURL(%q) error %v; want one saying %q", raw, err, want)
		}
	}
}
