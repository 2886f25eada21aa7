package notify

import (
	"strings"
	"testing"

	"grantflow/store"
)

// Every kind of message a moment writes has a heading and, for each audience it goes to, a
// call to action written for that audience.
func TestEveryMomentIsWorded(t *testing.T) {
	for kind, audiences := range store.MomentKinds() {
		w, ok := wordings[kind]
		if !ok || w.heading == "" {
			t.Errorf("kind %q has no wording", kind)
			continue
		}
		for _, a := range audiences {
			action := w.staff
			if a == store.AudienceApplicant {
				action = w.applicant
			}
			if action == "" {
				t.Errorf("kind %q says nothing for the %s to do", kind, a)
			}
		}
	}
}

// Each audience's link opens a page it may see: the application for the group and for staff, the
// finance page for finance (and its mailbox, which has no account); an offer links its letter too.
func TestComposeLinksEachAudienceToItsPage(t *testing.T) {
	c, err := NewComposer("https://grants.example.org/")
	if err != nil {
		t.Fatal(err)
	}
	base := store.NotificationContext{Notification: store.Notification{ApplicationID: 7, Kind: "offer",
		Message: "We are offering you a grant of £4,000.00 for \u201cBoxing\u201d. Accept the offer by 5 January 2027 or it will lapse."},
		Title: "Boxing\r\nBcc: x@example.org", Organisation: "Riverside"}
	for _, c2 := range []struct {
		audience, link, action string
		document               int64
		letter                 string
	}{
		{store.AudienceApplicant, "https://grants.example.org/applications/7", "accept the offer", 12, "https://grants.example.org/documents/12"},
		{store.AudienceOfficer, "https://grants.example.org/applications/7", "Sign in", 0, ""},
		{"user:9", "https://grants.example.org/applications/7", "Sign in", 0, ""},
		{store.AudienceFinance, "https://grants.example.org/finance", "Sign in", 0, ""},
	} {
		n := base
		n.Audience, n.DocumentID = c2.audience, c2.document
		if c2.audience != store.AudienceApplicant {
			n.Kind = "ready_for_decision"
		}
		m, err := c.Compose(n, store.Recipient{Name: "Sam", Email: "sam@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		if m.Link != c2.link || !strings.Contains(m.Text, c2.link) || !strings.Contains(m.HTML, `href="`+c2.link+`"`) {
			t.Errorf("%s: link %q, want %q in both bodies", c2.audience, m.Link, c2.link)
		}
		if !strings.Contains(m.Text, c2.action) {
			t.Errorf("%s: the message does not say %q:\n%s", c2.audience, c2.action, m.Text)
		}
		if strings.ContainsAny(m.Subject, "\r\n") || !strings.HasSuffix(m.Subject, ": Boxing Bcc: x@example.org") {
			t.Errorf("%s: subject %q", c2.audience, m.Subject)
		}
		if hasLetter := strings.Contains(m.Text, "Read the letter: "+c2.letter); c2.letter != "" && (!hasLetter || !strings.Contains(m.HTML, `href="`+c2.letter+`"`)) {
			t.Errorf("%s: no letter link %s:\n%s", c2.audience, c2.letter, m.Text)
		}
		if c2.letter == "" && strings.Contains(m.Text, "Read the letter") {
			t.Errorf("%s: a letter link with no letter:\n%s", c2.audience, m.Text)
		}
	}
}
