package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/store"
)

// The people of a grassroots journey and how each signs in.
const (
	joEmail  = "jo@cafe-naive.example.org"
	samEmail = "sam@another.example.org"
)

var registeredPassword = "a long enough password"

// TestMailOfAGrassrootsGrantArrivesOnceWithWorkingLinks takes a grassroots grant from submission to
// closed (the steps of TestGrassrootsGrantFromRegistrationToClosed) with a real SMTP server and the
// real sender. Exactly the expected messages reach exactly the expected addresses, each once (by
// Message-ID and by address and subject), every link in them is absolute to the public base URL
// and opens, for the person it was sent to, the page it names. For a while in the middle the server
// refuses mail (451), then drops each connection: mail is delayed, none lost, none sent twice. The
// applicant's messages hold no staff-only content, and nobody lists or marks read another
// person's notifications. It logs the delay from each fact to its message's arrival.
func TestMailOfAGrassrootsGrantArrivesOnceWithWorkingLinks(t *testing.T) {
	s := newSystem(t)
	mail := s.startMail(t)
	applicant := s.registerApplicant(t, "Café Naïve Ltd", joEmail)
	other := s.registerApplicant(t, "Another Group", samEmail)
	assessor, officer, finance := s.staff(t, "assessor"), s.staff(t, "officer"), s.staff(t, "finance")

	id := s.applyFor(t, applicant, 450000)
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	s.must(t, http.StatusOK, "POST", path+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Strong local project"})
	s.must(t, http.StatusOK, "POST", path+"/decision", officer, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 425000,
		"purpose":    "Evening detached youth work in Melton town centre.",
		"conditions": []string{"Acknowledge the Commissioner's funding in publicity"},
		"reasons":    "Targets the anti-social behaviour hotspots identified by the neighbourhood policing team.",
	})
	s.awaitStatus(t, applicant, id, "offered")
	mail.settle(t)

	// The server refuses everything while the offer is accepted, then drops every connection while
	// the payment is signed off and recorded: nothing arrives meanwhile.
	before := len(mail.Messages())
	mail.refuse.Store(true)
	s.must(t, http.StatusOK, "POST", path+"/acceptance", applicant, testBank)
	waitFor(t, "the server to refuse mail", func() bool { return mail.refused.Load() >= 3 })
	// Refusing stops only once a connection has been dropped: the sender then has no connection
	// open that a message could still get through.
	mail.drop.Store(true)
	waitFor(t, "the server to drop a connection", func() bool { return mail.dropped.Load() >= 1 })
	mail.refuse.Store(false)
	s.signOffPayment(t, path, 0)
	s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
		"amount_pence": 425000, "paid_on": time.Now().Format(time.DateOnly), "reference": "BACS-20261122-01"})
	waitFor(t, "the server to drop connections", func() bool { return mail.dropped.Load() >= 3 })
	if n := len(mail.Messages()); n != before {
		t.Errorf("%d messages arrived while the server refused or dropped connections", n-before)
	}
	mail.drop.Store(false)

	s.must(t, http.StatusOK, "POST", path+"/report", applicant, map[string]any{
		"summary": "Ran 30 evening sessions.", "outcomes": "ASB reports in the area fell.", "spent_pence": 425000})
	s.must(t, http.StatusOK, "POST", path+"/report-review", officer, map[string]any{"outcome": "request_changes", "comment": "Add attendance figures."})
	s.must(t, http.StatusOK, "POST", path+"/report", applicant, map[string]any{
		"summary": "Ran 30 evening sessions for 212 young people.", "outcomes": "ASB reports fell by a fifth.", "spent_pence": 425000})
	closed := s.must(t, http.StatusOK, "POST", path+"/report-review", officer, map[string]any{"outcome": "accept"})
	if got := closed.str("application", "status"); got != "closed" {
		t.Fatalf("after accepting the report status = %q, want closed", got)
	}
	records := mail.settle(t)

	// Every message is sent, once: no failures, one arrival per Message-ID, and each address and
	// subject as often as expected.
	retried := 0
	for _, r := range records {
		if r.Status != "sent" {
			t.Errorf("message %s to %s is %s (%s)", r.NotificationKey, r.Address, r.Status, r.ServerResponse)
		}
		if r.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no message was tried twice: the refusals and dropped connections were never met")
	}
	got := mail.Messages()
	if len(got) != countStatus(records, "sent") {
		t.Errorf("%d messages arrived for %d in the outbox", len(got), len(records))
	}
	var delivered []string
	for _, m := range got {
		if m.Deliveries != 1 {
			t.Errorf("%q to %v arrived %d times", m.Subject, m.To, m.Deliveries)
		}
		if len(m.To) != 1 {
			t.Errorf("%q went to %v at once: each person gets their own message", m.Subject, m.To)
		}
		delivered = append(delivered, strings.Join(m.To, ",")+" | "+m.Subject)
	}
	slices.Sort(delivered)
	want := expectedGrassrootsMail("Safer Streets after dark")
	// Each registered person was sent the link that confirms their address.
	want = append(want, joEmail+" | Confirm your email address for Grantflow", samEmail+" | Confirm your email address for Grantflow")
	slices.Sort(want)
	if !slices.Equal(delivered, want) {
		t.Errorf("delivered (address | subject):\n  %s\nwant:\n  %s", strings.Join(delivered, "\n  "), strings.Join(want, "\n  "))
	}

	// Each link opens, for the person the message went to, the page it names.
	readers := map[string]*webUser{}
	reader := func(address string) *webUser {
		if readers[address] == nil {
			switch {
			case address == financeMailbox: // the mailbox is finance's: a member of finance opens its links
				readers[address] = s.webSignIn(t, "finance@opcc.example.org")
			case address == joEmail || address == samEmail:
				readers[address] = s.webSignInWith(t, address, registeredPassword)
			default:
				readers[address] = s.webSignIn(t, address)
			}
		}
		return readers[address]
	}
	for _, m := range got {
		checkLinks(t, m, reader(m.To[0]))
	}

	// The applicant is told nothing meant for staff only: scores, assessors' comments, conflict
	// declarations, the names of assessors or panels.
	for _, m := range got {
		if m.To[0] != joEmail {
			continue
		}
		for _, secret := range []string{"Alex Assessor", "Strong local project", "Police data shows", "Experienced youth workers", "conflict", "score", "panel"} {
			if strings.Contains(strings.ToLower(m.Text+m.HTML+m.Subject), strings.ToLower(secret)) {
				t.Errorf("the applicant's %q mentions %q:\n%s", m.Subject, secret, m.Text)
			}
		}
	}
	checkNotificationsArePrivate(t, s, map[string]string{joEmail: applicant, "officer@opcc.example.org": officer, samEmail: other})

	delays := mail.mailDelays(t)
	logDelays(t, "all messages of the journey", delays)
	logDelays(t, "first attempt only", firstAttemptDelays(t, mail, records))
}

// expectedGrassrootsMail is every message of the journey as "address | subject", as many times as
// it is sent (the officer is told of each version of the report). Who: the applying group's one
// member; every commissioning officer until one acts on the application, then that one, its case
// officer; the assessors once it is through screening; finance's two members and its mailbox, then
// the member who did not propose the payment, to approve it.
func expectedGrassrootsMail(title string) []string {
	const olu, orla = "officer@opcc.example.org", "officer2@opcc.example.org"
	finance := []string{"finance@opcc.example.org", "finance2@opcc.example.org", financeMailbox}
	var list []string
	told := func(subject string, to ...string) {
		for _, address := range to {
			list = append(list, address+" | "+subject+": "+title)
		}
	}
	told("Application received", joEmail)
	told("Ready to assess", "assessor@opcc.example.org") // through screening: the assessors' queue
	told("Ready for a decision", olu, orla)              // within an officer's band, and no officer has acted yet
	told("Grant offer", joEmail)
	told("Offer accepted", olu)
	told("Payment due", finance...)
	told("Payment to approve", "finance2@opcc.example.org") // finance@ proposed it
	told("Payment made", joEmail)
	told("Ready for you", olu) // the report
	told("Changes needed to your report", joEmail)
	told("Ready for you", olu) // the report again
	told("Grant closed", joEmail)
	return list
}

// firstAttemptDelays are the delays of the messages the outage did not hold up.
func firstAttemptDelays(t *testing.T, mail *mailServer, records []store.MessageStatus) []time.Duration {
	t.Helper()
	var once []time.Duration
	for _, r := range records {
		if r.Attempts != 1 || r.Status != "sent" {
			continue
		}
		var created time.Time
		if err := mail.sys.Store.DB.Get(&created, `SELECT created_at FROM messages WHERE id = $1`, r.ID); err != nil {
			t.Fatal(err)
		}
		if m, ok := mail.arrival(r.NotificationKey, r.Address); ok {
			once = append(once, m.ReceivedAt.Sub(created))
		}
	}
	return once
}

// checkNotificationsArePrivate: each person lists only their own notifications (API and page), and
// nobody can mark another's read (API and page), which leaves its owner's unread count as it was.
func checkNotificationsArePrivate(t *testing.T, s *system, tokens map[string]string) {
	t.Helper()
	owner := map[int64]string{} // notification id → its person's e-mail
	for email, token := range tokens {
		for _, n := range dig(s.must(t, http.StatusOK, "GET", "/api/v1/notifications", token, nil).Body, "notifications").([]any) {
			nid := int64(dig(n, "id").(float64))
			var address string
			if err := s.Store.DB.Get(&address, `SELECT u.email FROM messages m JOIN users u ON u.id = m.user_id WHERE m.id = $1`, nid); err != nil {
				t.Fatal(err)
			}
			if address != email {
				t.Errorf("%s's list holds notification %d, which is %s's", email, nid, address)
			}
			owner[nid] = email
		}
	}
	unread := func(token string) float64 {
		return dig(s.must(t, http.StatusOK, "GET", "/api/v1/notifications", token, nil).Body, "unread").(float64)
	}
	pages := map[string]*webUser{}
	for email := range tokens {
		pages[email] = s.webSignInWith(t, email, passwordOf(email))
	}
	for nid, email := range owner {
		before := unread(tokens[email])
		for intruder, token := range tokens {
			if intruder == email {
				continue
			}
			s.must(t, http.StatusNotFound, "POST", fmt.Sprintf("/api/v1/notifications/%d/read", nid), token, nil)
			w := pages[intruder]
			w.get("/sign-out") // a page with a form, for its CSRF token: the list may have none
			list := w.get("/notifications")
			if strings.Contains(list.Body, fmt.Sprintf("/notifications/%d/read", nid)) {
				t.Errorf("%s's notifications page offers %s's notification %d", intruder, email, nid)
			}
			if p := w.post(fmt.Sprintf("/notifications/%d/read", nid), nil); p.Status != http.StatusNotFound {
				t.Errorf("%s marking %s's notification %d read on the page: %d, want 404", intruder, email, nid, p.Status)
			}
		}
		if after := unread(tokens[email]); after != before {
			t.Errorf("%s's unread count went from %v to %v when others tried to mark theirs read", email, before, after)
		}
	}
	if len(owner) == 0 {
		t.Error("nobody had a notification, so their privacy was never tried")
	}
}

// passwordOf is the password of a demo account or of a person the tests registered.
func passwordOf(email string) string {
	if slices.ContainsFunc(demo.Accounts, func(a demo.Account) bool { return a.Email == email }) {
		return demo.Password
	}
	return registeredPassword
}

// waitFor waits up to 20 seconds for cond, naming what it waited for if it never holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
