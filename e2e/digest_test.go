package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// The daily digest's schedule is made when the worker starts (and making it again is no error),
// at 07:00 London time; triggering it runs the digest workflow on the real server, which writes
// the officer's one digest carrying the message held for it.
func TestDigestScheduleSendsTheDailyDigest(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	officer, err := s.Store.UserByEmail(ctx, "officer@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	token := s.signIn(t, officer.Email, demo.Password)
	s.must(t, http.StatusOK, "PUT", "/api/v1/me/notification-settings", token, map[string]any{"notify_by": "daily_digest"})

	// A message for the officer, held for the digest: an escalation about a draft will do.
	applicant, err := s.Store.UserByEmail(ctx, "applicant@riverside-youth.example.org")
	if err != nil {
		t.Fatal(err)
	}
	schemes, _ := s.Store.Schemes(ctx)
	rounds, _ := s.Store.Rounds(ctx, schemes[0].ID)
	appID, err := s.Store.CreateDraft(ctx, applicant.Organisations[0], applicant.ID, store.Draft{SchemeID: schemes[0].ID, RoundID: rounds[0].ID, Title: "Digest club"})
	if err != nil {
		t.Fatal(err)
	}
	n := store.Notification{Key: fmt.Sprintf("application-%d/test-escalation", appID), ApplicationID: appID, Audience: "officer",
		Kind: "escalation", Message: "Something needs you.", CreatedAt: time.Now()}
	if err := s.Store.Notify(ctx, n); err != nil {
		t.Fatal(err)
	}

	for range 2 { // a worker started twice
		if err := app.EnsureDigestSchedule(ctx, s.Client, s.Queue); err != nil {
			t.Fatal(err)
		}
	}
	handle := s.Client.ScheduleClient().GetHandle(ctx, workflows.DigestScheduleID(s.Queue))
	t.Cleanup(func() { handle.Delete(context.Background()) })
	desc, err := handle.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spec := desc.Schedule.Spec
	if spec.TimeZoneName != "Europe/London" || len(spec.Calendars) != 1 || len(spec.Calendars[0].Hour) != 1 || spec.Calendars[0].Hour[0].Start != 7 ||
		len(spec.Calendars[0].Minute) != 1 || spec.Calendars[0].Minute[0].Start != 0 || len(spec.CronExpressions) != 0 {
		t.Errorf("the schedule's spec is %+v, want 07:00 every day in Europe/London", spec)
	}
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok || action.TaskQueue != s.Queue || fmt.Sprint(action.Workflow) != workflows.DigestWorkflowName {
		t.Errorf("the schedule's action is %+v", desc.Schedule.Action)
	}
	if next := desc.Info.NextActionTimes; len(next) == 0 || next[0].In(scheme.London).Hour() != 7 || next[0].In(scheme.London).Minute() != 0 {
		t.Errorf("the next digest is due at %v, want 07:00 London time", next)
	}

	if err := handle.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	key := store.DigestKey(officer.ID, time.Now().In(scheme.London))
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := s.Store.MessageStatuses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var digest, held []store.MessageStatus
		for _, m := range list {
			switch {
			case m.NotificationKey == key:
				digest = append(digest, m)
			case m.NotificationKey == n.Key && m.Address == officer.Email:
				held = append(held, m)
			}
		}
		if len(digest) == 1 && len(held) == 1 && held[0].Status == "digested" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no digest after triggering the schedule: digest %+v, held %+v", digest, held)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checked reports whether the page's radio of that value is chosen.
func checked(body, value string) bool { return strings.Contains(body, `value="`+value+`" checked`) }

// The settings page: staff choose e-mail or a daily digest (radios) and may give an away date, with
// every problem in the error summary; an applicant is not offered the digest; the API says the same.
func TestNotificationSettingsPageAndAPI(t *testing.T) {
	s := newSystem(t)
	officer := s.webSignIn(t, "officer@opcc.example.org")
	officer.get("/notifications").mustSay(t, http.StatusOK, "Your notification settings")
	p := officer.get("/notification-settings")
	p.mustSay(t, http.StatusOK, "Your notification settings", "Send me an e-mail each time", "Send me one e-mail a day", "If you are away, until when?")
	if !checked(p.Body, "email") || checked(p.Body, "daily_digest") {
		t.Errorf("e-mail should be chosen at first:\n%s", p.Body)
	}

	today := time.Now().In(scheme.London)
	yesterday, later := today.AddDate(0, 0, -1), today.AddDate(0, 0, 10)
	dateFields := func(d time.Time) url.Values {
		return url.Values{"away-until-day": {fmt.Sprint(d.Day())}, "away-until-month": {fmt.Sprint(int(d.Month()))}, "away-until-year": {fmt.Sprint(d.Year())}}
	}
	with := func(v url.Values, k, val string) url.Values { v.Set(k, val); return v }

	// Nothing chosen and a date in the past: both named in the summary, nothing saved.
	officer.post("/notification-settings", dateFields(yesterday)).mustSay(t, http.StatusUnprocessableEntity,
		"There is a problem", "Select how you want to be told")
	bad := officer.post("/notification-settings", with(dateFields(yesterday), "notify-by", "daily_digest"))
	bad.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "The date you are away until must be today or a date in the future")
	if !strings.Contains(bad.Body, `href="#away-until-day"`) {
		t.Errorf("the summary should link to the day of the away date:\n%s", bad.Body)
	}
	officer.post("/notification-settings", url.Values{"notify-by": {"daily_digest"}, "away-until-day": {"31"}, "away-until-month": {"2"}, "away-until-year": {"2030"}}).
		mustSay(t, http.StatusUnprocessableEntity, "The date you are away until must be a real date")
	officer.post("/notification-settings", url.Values{"notify-by": {"daily_digest"}, "away-until-day": {"3"}}).
		mustSay(t, http.StatusUnprocessableEntity, "The date you are away until must include a month and a year")
	token := s.signIn(t, "officer@opcc.example.org", demo.Password)
	if r := s.must(t, http.StatusOK, "GET", "/api/v1/me/notification-settings", token, nil); r.str("notify_by") != "email" || dig(r.Body, "away_until") != nil {
		t.Fatalf("refused forms saved something: %s", r.Raw)
	}

	// A good choice is saved and shown again.
	saved := officer.post("/notification-settings", with(dateFields(later), "notify-by", "daily_digest"))
	saved.mustSay(t, http.StatusOK, "Your notification settings have been saved")
	if !checked(saved.Body, "daily_digest") || !strings.Contains(saved.Body, fmt.Sprintf(`name="away-until-day" type="text" inputmode="numeric" value="%d"`, later.Day())) {
		t.Errorf("the saved settings are not shown:\n%s", saved.Body)
	}
	r := s.must(t, http.StatusOK, "GET", "/api/v1/me/notification-settings", token, nil)
	if r.str("notify_by") != "daily_digest" || r.str("away_until") != later.Format(time.DateOnly) {
		t.Errorf("settings through the API: %s", r.Raw)
	}

	// The API refuses a past date, a bad date and an unknown choice, naming the field.
	requireReason(t, "an away date in the past", s.do(t, "PUT", "/api/v1/me/notification-settings", token,
		map[string]any{"notify_by": "email", "away_until": yesterday.Format(time.DateOnly)}), "away_until", "today or a date in the future")
	requireReason(t, "a day-first away date", s.do(t, "PUT", "/api/v1/me/notification-settings", token,
		map[string]any{"notify_by": "email", "away_until": "31/12/2030"}), "away_until", "a date like")
	requireReason(t, "no choice", s.do(t, "PUT", "/api/v1/me/notification-settings", token, map[string]any{}), "notify_by", "is required")
	requireReason(t, "an unknown choice", s.do(t, "PUT", "/api/v1/me/notification-settings", token, map[string]any{"notify_by": "pigeon"}), "notify_by", "must be")
	r = s.must(t, http.StatusOK, "PUT", "/api/v1/me/notification-settings", token, map[string]any{"notify_by": "email", "away_until": nil})
	if r.str("notify_by") != "email" || dig(r.Body, "away_until") != nil {
		t.Errorf("back to e-mail, not away: %s", r.Raw)
	}

	// An applicant is e-mailed each time: no digest on the page, refused by the API.
	applicant := s.webSignIn(t, "applicant@riverside-youth.example.org")
	ap := applicant.get("/notification-settings")
	ap.mustSay(t, http.StatusOK, "Your notification settings", "We e-mail you each time")
	if strings.Contains(ap.Body, "daily_digest") || strings.Contains(ap.text(), "one e-mail a day") || strings.Contains(ap.Body, "away-until") {
		t.Errorf("an applicant is offered the digest or an away date:\n%s", ap.text())
	}
	applicantToken := s.signIn(t, "applicant@riverside-youth.example.org", demo.Password)
	r = s.must(t, http.StatusOK, "GET", "/api/v1/me/notification-settings", applicantToken, nil)
	if fmt.Sprint(dig(r.Body, "notify_by_choices")) != "[email]" {
		t.Errorf("an applicant's choices: %s", r.Raw)
	}
	requireReason(t, "an applicant choosing the digest", s.do(t, "PUT", "/api/v1/me/notification-settings", applicantToken,
		map[string]any{"notify_by": "daily_digest"}), "notify_by", "only staff")
	requireReason(t, "an applicant saying they are away", s.do(t, "PUT", "/api/v1/me/notification-settings", applicantToken,
		map[string]any{"notify_by": "email", "away_until": later.Format(time.DateOnly)}), "away_until", "only staff")
}
