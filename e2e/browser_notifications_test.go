package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"grantflow/internal/mailcatcher"
)

// A person told of something reads it in Chromium: the officer signs in and sees the unread count in
// the header, opens "Your notifications", reads the newest, follows its link to the application's
// page, then marks it read, and the count in the header goes down by one. The same notification has
// arrived by e-mail with the same link.
func TestBrowserNotificationReadAndFollowed(t *testing.T) {
	sys := newSystemAt(t, yearStart)
	mail := sys.startMail(t)
	const perYear = 10_000_000
	provider, id := sys.serviceApplication(t, "Southfields Advocacy Trust", perYear, 2026, 3)
	sys.driveToAccepted(t, provider, id, perYear, 2026, 3)
	officer := sys.staff(t, "officer")
	list := sys.awaitNotifications(t, officer, 1)
	unread := int(dig(list.Body, "unread").(float64))
	newest := dig(list.Body, "notifications", "0")
	subject, message, link := dig(newest, "subject").(string), dig(newest, "message").(string), dig(newest, "link").(string)
	target, ok := strings.CutPrefix(link, publicBaseURL)
	if !ok {
		t.Fatalf("the notification's link %q is not on %s", link, publicBaseURL)
	}
	mail.settle(t)
	if !slices.ContainsFunc(mail.Messages(), func(m mailcatcher.Message) bool {
		return m.Subject == subject && slices.Equal(m.To, []string{officerAccount.Email}) && slices.Contains(links(m), link)
	}) {
		t.Errorf("no e-mail %q to %s with the link %s", subject, officerAccount.Email, link)
	}

	b := newBrowser(t, sys, "notifications")
	signIn(b, officerAccount)
	header := fmt.Sprintf("Notifications (%d unread)", unread)
	b.see(header)
	b.follow(header)
	b.see("Your notifications", subject, fmt.Sprintf("You have %d unread.", unread))
	card := fmt.Sprintf(`//div[contains(@class, 'govuk-summary-card')][.//h2[contains(normalize-space(), %s)]]`, xpathString(subject))
	b.within(card, func() {
		b.see("Unread", message)
		b.load("following the notification's link", http.StatusOK, chromedp.Click(card+`//a[contains(@class, 'govuk-link')]`))
	})
	if got := b.path(); got != target {
		t.Fatalf("the notification's link led to %s, want %s", got, target)
	}
	b.see("IDVA service")

	b.follow(header)
	b.within(card, func() { b.press("Mark as read: "+subject, http.StatusOK) })
	if got := b.path(); got != "/notifications" {
		t.Fatalf("marking read led to %s, want the notifications page", got)
	}
	if unread > 1 {
		b.see(fmt.Sprintf("Notifications (%d unread)", unread-1))
	} else if strings.Contains(b.pageText(), "unread)") {
		t.Errorf("the header still counts unread notifications after the only one was read:\n%s", b.pageText())
	}
	if got := int(dig(sys.must(t, http.StatusOK, "GET", "/api/v1/notifications", officer, nil).Body, "unread").(float64)); got != unread-1 {
		t.Errorf("unread after marking one read = %d, want %d", got, unread-1)
	}
}

// awaitNotifications polls the person's notifications until at least n are listed (the workflow
// records them as it moves on).
func (s *system) awaitNotifications(t *testing.T, token string, n int) response {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := s.must(t, http.StatusOK, "GET", "/api/v1/notifications", token, nil)
		if list, _ := dig(r.Body, "notifications").([]any); len(list) >= n {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d notifications: %s", n, r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
