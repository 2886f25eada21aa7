package notify

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"grantflow/activities"
	"grantflow/store"
)

// A member of staff who takes a daily digest has their messages held (in their in-app list at
// once, never sent alone); the day's digest carries them and their queue exactly once, marks them
// digested, and leaves everyone who is e-mailed at once untouched.
func TestDailyDigestHoldsThenGathersOnce(t *testing.T) {
	f := newFixture(t, nil, nil)
	officer, head := f.users["officer@opcc.example.org"], f.users["head@opcc.example.org"]
	for _, u := range []store.User{officer, head} {
		if err := f.st.SaveNotificationSettings(f.ctx, u.ID, store.NotificationSettings{NotifyBy: store.NotifyByDailyDigest}); err != nil {
			t.Fatal(err)
		}
	}

	// Holding: the officer's copy waits for the digest, officer2's is sent as before.
	f.notify(t, "application-1/report-overdue", "officer", "escalation", "The end-of-grant report is overdue.")
	statuses := func() map[string]store.MessageStatus {
		list, err := f.st.MessageStatuses(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]store.MessageStatus{}
		for _, m := range list {
			out[m.NotificationKey+" "+m.Address] = m
		}
		return out
	}
	held := statuses()["application-1/report-overdue officer@opcc.example.org"]
	if held.Status != "digest" || statuses()["application-1/report-overdue officer2@opcc.example.org"].Status != "pending" {
		t.Fatalf("statuses after notifying %+v", statuses())
	}
	if inbox, err := f.st.Inbox(f.ctx, officer.ID, 10); err != nil || len(inbox) != 1 || inbox[0].Kind != "escalation" {
		t.Fatalf("a digest taker's in-app list shows the message at once: %+v %v", inbox, err)
	}
	f.drain(t, f.sender(), 1)
	if got := f.catcher.Messages(); len(got) != 1 || got[0].To[0] != "officer2@opcc.example.org" {
		t.Fatalf("sent before the digest: %+v", got)
	}

	// The officer is case officer of the application, now waiting to be screened.
	if _, err := f.st.DB.Exec(`UPDATE applications SET status = 'screening' WHERE id = $1`, f.appID); err != nil {
		t.Fatal(err)
	}
	if err := f.st.AssignCaseOfficer(f.ctx, f.appID, officer, head, time.Now()); err != nil {
		t.Fatal(err)
	}

	// Two runs the same day (a retried activity, a second trigger): one digest, for the officer
	// only; the head has nothing held and no queue.
	digests := &activities.Digests{Store: f.st, Outbox: f.st.Outbox}
	in := activities.SendDigestsInput{Day: "2026-06-02", QueueStages: []string{"submitted", "screening"}}
	for i, want := range []int{1, 0} {
		res, err := digests.SendDigests(f.ctx, in)
		if err != nil || res.Written != want {
			t.Fatalf("run %d: %+v %v, want %d written", i+1, res, err, want)
		}
	}
	key := fmt.Sprintf("digest/%d/2026-06-02", officer.ID)
	after := statuses()
	digest, ok := after[key+" officer@opcc.example.org"]
	// Four: the escalation to each officer, the officer told they are case officer (held, then
	// gathered), and the digest.
	if !ok || digest.Status != "pending" || len(after) != 4 {
		t.Fatalf("messages after the digest runs: %+v", after)
	}
	var heldNow struct {
		Status   string `db:"status"`
		DigestID *int64 `db:"digest_id"`
	}
	if err := f.st.DB.Get(&heldNow, `SELECT status, digest_id FROM messages WHERE id = $1`, held.ID); err != nil {
		t.Fatal(err)
	}
	if heldNow.Status != "digested" || heldNow.DigestID == nil || *heldNow.DigestID != digest.ID {
		t.Errorf("the held message is %+v, want digested by %d", heldNow, digest.ID)
	}
	if after["application-1/report-overdue officer2@opcc.example.org"].Status != "sent" {
		t.Errorf("the immediate recipient's message changed: %+v", after)
	}
	// The digest is e-mail only: the in-app list and its unread count are as they were.
	if inbox, _ := f.st.Inbox(f.ctx, officer.ID, 10); len(inbox) != 2 {
		t.Errorf("the officer's in-app list after the digest: %+v", inbox)
	}
	if n, _ := f.st.UnreadCount(f.ctx, officer.ID); n != 2 {
		t.Errorf("the officer's unread count after the digest %d, want 2", n)
	}

	// The sender delivers the digest, once, with each held message's subject and link and the queue.
	f.drain(t, f.sender(), 2)
	got := f.catcher.Messages()
	if len(got) != 2 || got[1].To[0] != "officer@opcc.example.org" || got[1].Subject != "Your Grantflow summary for 2 June 2026" {
		t.Fatalf("delivered %+v", got)
	}
	link := fmt.Sprintf("http://grantflow.test/applications/%d", f.appID)
	for _, want := range []string{"Action needed: Summer boxing club", "You are the case officer: Summer boxing club", link, "Waiting for you as case officer", "Summer boxing club from Riverside Youth Project: screening since",
		"http://grantflow.test/notifications"} {
		if !strings.Contains(got[1].Text, want) {
			t.Errorf("the digest's text lacks %q:\n%s", want, got[1].Text)
		}
	}
	if !strings.Contains(got[1].HTML, `<a href="`+link+`"`) {
		t.Errorf("the digest's HTML lacks the link:\n%s", got[1].HTML)
	}

	// A message that arrives after today's digest waits for tomorrow's. (A reminder: an escalation
	// would copy the head too, as the case officer has not acted on the application.)
	f.notify(t, "application-1/late", "officer", "reminder", "Later that day.")
	if res, err := digests.SendDigests(f.ctx, in); err != nil || res.Written != 0 {
		t.Fatalf("a third run the same day: %+v %v", res, err)
	}
	if statuses()["application-1/late officer@opcc.example.org"].Status != "digest" {
		t.Error("a message after today's digest should wait for tomorrow's")
	}
	in.Day = "2026-06-03"
	if res, err := digests.SendDigests(f.ctx, in); err != nil || res.Written != 1 {
		t.Fatalf("the next day's run: %+v %v", res, err)
	}

	// Going back to e-mail sends what was held at once: no digest would gather it.
	f.notify(t, "application-1/after", "officer", "escalation", "After the second digest.")
	if err := f.st.SaveNotificationSettings(f.ctx, officer.ID, store.NotificationSettings{NotifyBy: store.NotifyByEmail}); err != nil {
		t.Fatal(err)
	}
	if got := statuses()["application-1/after officer@opcc.example.org"].Status; got != "pending" {
		t.Errorf("a held message after going back to e-mail is %q, want pending", got)
	}
}
