package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"grantflow/notify"
	"grantflow/store"
)

// Each person sees only their own notifications, with the unread count in the header, and marks
// them read on the page or through the API; nobody can read or mark another's.
func TestYourNotifications(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	applicant, err := s.Store.UserByEmail(ctx, "applicant@riverside-youth.example.org")
	if err != nil {
		t.Fatal(err)
	}
	schemes, _ := s.Store.Schemes(ctx)
	rounds, _ := s.Store.Rounds(ctx, schemes[0].ID)
	appID, err := s.Store.CreateDraft(ctx, applicant.Organisations[0], applicant.ID, store.Draft{SchemeID: schemes[0].ID, RoundID: rounds[0].ID, Title: "Summer boxing club"})
	if err != nil {
		t.Fatal(err)
	}
	s.Store.Outbox = notify.MustOutbox("http://grantflow.test", "")
	for _, n := range []store.Notification{
		{Key: "t/reminder", Audience: "applicant", Kind: "reminder", Message: "Your offer must be accepted by 1 July 2026 or it will lapse."},
		{Key: "t/escalation", Audience: "officer", Kind: "escalation", Message: "The panel is short: Alex Assessor has not scored."},
	} {
		n.ApplicationID, n.CreatedAt = appID, time.Now()
		if err := s.Store.Notify(ctx, n); err != nil {
			t.Fatal(err)
		}
	}

	b := s.signedIn("applicant@riverside-youth.example.org")
	r := b.get("/notifications")
	r.mustBe(t, http.StatusOK, "/notifications")
	r.mustContain(t, "Notifications (1 unread)", "Reminder: Summer boxing club", "accepted by 1 July 2026", "Mark as read")
	r.mustNotContain(t, "Alex Assessor", "panel is short")
	checkMarkup(t, r)
	mine, _ := s.Store.Inbox(ctx, applicant.ID, 10)
	r = b.fill("/notifications", fmt.Sprintf("/notifications/%d/read", mine[0].ID), nil)
	r.mustBe(t, http.StatusOK, "/notifications")
	r.mustNotContain(t, "unread)", "Mark as read")

	_, tok := s.api(http.MethodPost, "/api/v1/tokens", "", map[string]string{"email": "officer@opcc.example.org", "password": "grantflow-demo", "otp": s.nextCode()})
	token, _ := tok["token"].(string)
	status, body := s.api(http.MethodGet, "/api/v1/notifications", token, nil)
	list, _ := body["notifications"].([]any)
	if status != http.StatusOK || len(list) != 1 || body["unread"] != float64(1) {
		t.Fatalf("officer's notifications: %d %v", status, body)
	}
	if got := list[0].(map[string]any)["message"]; got != "The panel is short: Alex Assessor has not scored." {
		t.Errorf("officer's notification %v", got)
	}
	if status, _ := s.api(http.MethodPost, fmt.Sprintf("/api/v1/notifications/%d/read", mine[0].ID), token, nil); status != http.StatusNotFound {
		t.Errorf("the officer marking the applicant's notification read: %d, want 404", status)
	}
	officerID := int64(list[0].(map[string]any)["id"].(float64))
	if status, _ := s.api(http.MethodPost, fmt.Sprintf("/api/v1/notifications/%d/read", officerID), token, nil); status != http.StatusNoContent {
		t.Errorf("marking one's own read: %d, want 204", status)
	}
	if _, body := s.api(http.MethodGet, "/api/v1/notifications", token, nil); body["unread"] != float64(0) {
		t.Errorf("unread after marking read: %v", body["unread"])
	}
}
