package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// An applicant who registers is e-mailed a link to confirm their address, and cannot submit until
// they follow it. The tests follow it as the person would: the link is read from the message the
// outbox holds for them (what the sender delivers) or, where a test runs the real SMTP server,
// from the message that arrived there.

// linkPattern finds a one-time link of a kind ("/verify-email/", "/invitations/", "/password-reset/",
// "/join/") in a message's text.
func linkPattern(kind string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(publicBaseURL+kind) + `[A-Za-z0-9_-]{43}`)
}

// outboxLink is the path of the newest one-time link of the kind in the outbox's messages to address.
func (s *system) outboxLink(t testing.TB, address, kind string) string {
	t.Helper()
	var bodies []string
	if err := s.Store.DB.Select(&bodies, `SELECT body_text FROM messages WHERE address = lower($1) ORDER BY id DESC`, address); err != nil {
		t.Fatal(err)
	}
	re := linkPattern(kind)
	for _, b := range bodies {
		if link := re.FindString(b); link != "" {
			return strings.TrimPrefix(link, publicBaseURL)
		}
	}
	t.Fatalf("no message to %s holds a %s link", address, kind)
	return ""
}

// mailedLink is the path of the newest one-time link of the kind in a message that reached the
// real SMTP server for address, waiting for it to arrive.
func (m *mailServer) mailedLink(t testing.TB, address, kind string) string {
	t.Helper()
	m.settle(t)
	re := linkPattern(kind)
	msgs := m.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if len(msgs[i].To) == 1 && msgs[i].To[0] == strings.ToLower(address) {
			if link := re.FindString(msgs[i].Text); link != "" {
				return strings.TrimPrefix(link, publicBaseURL)
			}
		}
	}
	t.Fatalf("no message that reached the server for %s holds a %s link", address, kind)
	return ""
}

// confirmAddress follows the verification link e-mailed to a newly registered person (through the
// API, as a client would with the token from the link), so they may submit.
func (s *system) confirmAddress(t testing.TB, email string) {
	t.Helper()
	path := s.outboxLink(t, email, "/verify-email/")
	r := s.must(t, http.StatusOK, "POST", "/api/v1/email-verifications/complete", "", map[string]string{"token": strings.TrimPrefix(path, "/verify-email/")})
	if dig(r.Body, "user", "email_verified") != true {
		t.Fatalf("following the verification link left %s unverified: %s", email, r.Raw)
	}
}

// confirmEmail follows the verification link in the browser and presses its button, as the
// person would, then goes back to where they were.
func confirmEmail(b *browser, email string) {
	b.t.Helper()
	here := b.path()
	b.visit(b.sys.outboxLink(b.t, email, "/verify-email/"))
	b.press("Confirm my email address", http.StatusOK)
	b.see("Email address confirmed")
	b.visit(here)
}
