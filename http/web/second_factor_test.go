package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/internal/demo"
	"grantflow/scheme"
	"grantflow/store"
)

// codeFor is the code an authenticator with the secret shows at the next step of the site's
// second-factor clock.
func (s *site) codeFor(secret string) string {
	s.t.Helper()
	code, err := store.TOTPCode(strings.ReplaceAll(secret, " ", ""), time.Now().Add(time.Duration(s.totpOff.Add(int64(30*time.Second)))))
	if err != nil {
		s.t.Fatal(err)
	}
	return code
}

func recoveryCodes(r response) []string {
	var out []string
	for _, li := range findAll(byID(r.Doc, "recovery-codes"), func(n *html.Node) bool { return n.Data == "li" }) {
		out = append(out, strings.TrimSpace(textOf(li)))
	}
	return out
}

// A new member of staff (from `grantflow users add`) signs in: the password leads to setting up an
// authenticator app (a QR code and the key to type), then ten recovery codes shown once. Until the
// code is right they are only half signed in: no page of the service opens. Later sign-ins ask for
// a code or a recovery code, each accepted once.
func TestStaffSetUpASecondFactorAtFirstSignIn(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	if _, err := s.Store.CreateUser(ctx, store.NewUser{Email: "nia@opcc.example.org", Name: "Nia Officer", Role: scheme.RoleOfficer, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	enrol := b.fill("/sign-in?return=%2Fstaff%2Fapplications", "/sign-in", url.Values{"email": {"nia@opcc.example.org"}, "password": {"correct horse battery"},
		"return": {"/staff/applications"}})
	enrol.mustBe(t, http.StatusOK, "/sign-in/enrol")
	checkMarkup(t, enrol)
	enrol.mustContain(t, "Set up your authenticator app", "Staff sign in with a second factor")
	if src := attr(byID(enrol.Doc, "qr-code"), "src"); !strings.HasPrefix(src, "data:image/png;base64,") || len(src) < 500 {
		t.Errorf("no QR code image: %.80q", src)
	}
	secret := strings.TrimSpace(textOf(byID(enrol.Doc, "secret")))
	if len(strings.ReplaceAll(secret, " ", "")) != 32 {
		t.Fatalf("the key to type in: %q", secret)
	}

	// Half signed in: nothing else opens, and the API knows no session.
	b.get("/work").mustBe(t, http.StatusOK, "/sign-in?return=%2Fwork")
	b.get("/account/second-factor").mustBe(t, http.StatusOK, "/sign-in?return=%2Faccount%2Fsecond-factor")

	wrong := b.fill("/sign-in/enrol", "/sign-in/enrol", url.Values{"code": {"000000"}})
	wrong.mustBe(t, http.StatusUnprocessableEntity, "/sign-in/enrol")
	wrong.mustContain(t, "The code is not right")
	if got := strings.TrimSpace(textOf(byID(wrong.Doc, "secret"))); got != secret {
		t.Errorf("the key changed on a wrong code: %q, was %q", got, secret)
	}
	done := b.fill("/sign-in/enrol", "/sign-in/enrol", url.Values{"code": {s.codeFor(secret)}})
	done.mustBe(t, http.StatusOK, "/sign-in/enrol")
	checkMarkup(t, done)
	done.mustContain(t, "Your authenticator app is set up", "This is the only time these codes are shown")
	codes := recoveryCodes(done)
	if len(codes) != 10 {
		t.Fatalf("recovery codes: %q", codes)
	}
	b.get("/staff/applications").mustBe(t, http.StatusOK, "/staff/applications")
	b.get("/sign-in/enrol").mustBe(t, http.StatusOK, "/work") // the half sign-in is over: signed in, the sign-in page sends them on
	b.get("/account/second-factor").mustContain(t, "On: authenticator app", "10 of 10 unused", "Staff must always sign in with a second factor")
	events, _ := s.Store.AdminEvents(ctx, store.AdminEventFilter{Action: "user.second_factor_enrolled"})
	if len(events) != 1 || events[0].ActorName != "Nia Officer" {
		t.Errorf("audit trail: %+v", events)
	}

	// The next sign-in asks for a code; a wrong one is refused, a recovery code works once.
	b.fill("/sign-out", "/sign-out", nil)
	again := s.browser()
	code := again.post("/sign-in", url.Values{"csrf_token": {again.get("/sign-in").formToken(t, "/sign-in")},
		"email": {"nia@opcc.example.org"}, "password": {"correct horse battery"}})
	code.mustBe(t, http.StatusOK, "/sign-in/code")
	checkMarkup(t, code)
	again.get("/work").mustBe(t, http.StatusOK, "/sign-in?return=%2Fwork")
	bad := again.fill("/sign-in/code", "/sign-in/code", url.Values{"code": {"123456"}})
	bad.mustBe(t, http.StatusUnauthorized, "/sign-in/code")
	bad.mustContain(t, "The code is not right, or has been used already")
	again.fill("/sign-in/code", "/sign-in/code", url.Values{"code": {strings.ToUpper(codes[0])}}).mustBe(t, http.StatusOK, "/work")
	again.get("/account/second-factor").mustContain(t, "9 of 10 unused")

	third := s.browser()
	third.post("/sign-in", url.Values{"csrf_token": {third.get("/sign-in").formToken(t, "/sign-in")},
		"email": {"nia@opcc.example.org"}, "password": {"correct horse battery"}}).mustBe(t, http.StatusOK, "/sign-in/code")
	third.fill("/sign-in/code", "/sign-in/code", url.Values{"code": {codes[0]}}).mustBe(t, http.StatusUnauthorized, "/sign-in/code")
	// A code from the app works; the same code again does not (for another browser).
	now := s.codeFor(secret)
	third.fill("/sign-in/code", "/sign-in/code", url.Values{"code": {now}}).mustBe(t, http.StatusOK, "/work")
	fourth := s.browser()
	fourth.post("/sign-in", url.Values{"csrf_token": {fourth.get("/sign-in").formToken(t, "/sign-in")},
		"email": {"nia@opcc.example.org"}, "password": {"correct horse battery"}})
	fourth.fill("/sign-in/code", "/sign-in/code", url.Values{"code": {now}}).mustBe(t, http.StatusUnauthorized, "/sign-in/code")

	// Five wrong codes end the half sign-in: back to the password.
	for range 4 {
		s.clock.advance(time.Minute) // past the growing delay of the sign-in throttle
		fourth.fill("/sign-in/code", "/sign-in/code", url.Values{"code": {"111111"}}).mustBe(t, http.StatusUnauthorized, "/sign-in/code")
	}
	fourth.get("/sign-in/code").mustBe(t, http.StatusOK, "/sign-in?expired=1")

	// New recovery codes replace the old.
	fresh := again.fill("/account/second-factor", "/account/second-factor/recovery-codes", nil)
	fresh.mustContain(t, "Your new recovery codes")
	if got := recoveryCodes(fresh); len(got) != 10 || got[0] == codes[1] {
		t.Errorf("new recovery codes: %q", got)
	}
}

// An applicant may turn a second factor on, and off again with a code.
func TestApplicantTurnsASecondFactorOnAndOff(t *testing.T) {
	s := newSite(t)
	email := demo.Accounts[0].Email
	b := s.signedIn(email)
	page := b.get("/account/second-factor")
	checkMarkup(t, page)
	page.mustContain(t, "Second factor Off", "Set up an authenticator app")
	setUp := b.get("/account/second-factor/set-up")
	setUp.mustBe(t, http.StatusOK, "/account/second-factor/set-up")
	setUp.mustNotContain(t, "Staff sign in with a second factor")
	secret := strings.TrimSpace(textOf(byID(setUp.Doc, "secret")))
	blank := b.fill("/account/second-factor/set-up", "/account/second-factor/set-up", url.Values{"code": {""}})
	blank.mustBe(t, http.StatusUnprocessableEntity, "/account/second-factor/set-up")
	blank.mustContain(t, "Enter the 6-digit code your authenticator app shows")
	b.fill("/account/second-factor/set-up", "/account/second-factor/set-up", url.Values{"code": {"12ab56"}}).mustContain(t, "The code must be 6 digits")
	done := b.fill("/account/second-factor/set-up", "/account/second-factor/set-up", url.Values{"code": {s.codeFor(secret)}})
	done.mustContain(t, "Save your recovery codes")

	// Signing in now asks for the code.
	other := s.browser()
	other.post("/sign-in", url.Values{"csrf_token": {other.get("/sign-in").formToken(t, "/sign-in")}, "email": {email}, "password": {demo.Password}}).
		mustBe(t, http.StatusOK, "/sign-in/code")
	other.fill("/sign-in/code", "/sign-in/code", url.Values{"code": {s.codeFor(secret)}}).mustBe(t, http.StatusOK, "/applications")

	// Turning it off takes a code.
	b.fill("/account/second-factor", "/account/second-factor/turn-off", url.Values{"code": {""}}).mustBe(t, http.StatusUnprocessableEntity, "/account/second-factor/turn-off")
	b.fill("/account/second-factor", "/account/second-factor/turn-off", url.Values{"code": {"999999"}}).mustContain(t, "The code is not right")
	off := b.fill("/account/second-factor", "/account/second-factor/turn-off", url.Values{"code": {s.codeFor(secret)}})
	off.mustBe(t, http.StatusOK, "/account/second-factor?done=off")
	off.mustContain(t, "Your second factor is turned off", "Second factor Off")
	s.browser().fill("/sign-in", "/sign-in", url.Values{"email": {email}, "password": {demo.Password}}).mustBe(t, http.StatusOK, "/applications")

	// Staff cannot turn theirs off.
	officer := s.signedIn("officer@opcc.example.org")
	officer.fill("/account/second-factor", "/account/second-factor/recovery-codes", nil).mustContain(t, "Your new recovery codes")
	officer.get("/account/second-factor").mustNotContain(t, "Turn it off")
}

// The admin's audit trail: every administrative act with who, what and why, times in London, with
// filters; and an admin's reset of a lost second factor, which ends the person's sessions.
func TestAdminAuditTrailAndSecondFactorReset(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	officer := s.signedIn("officer@opcc.example.org")
	admin := s.signedIn("admin@opcc.example.org")
	admin.get("/work").mustContain(t, "Audit trail") // in the navigation, for admins only
	officer.get("/work").mustNotContain(t, "Audit trail")
	officer.get("/admin/audit").mustBe(t, http.StatusForbidden, "/admin/audit")
	officer.get("/admin/second-factor-reset").mustBe(t, http.StatusForbidden, "/admin/second-factor-reset")

	// The reset form's refusals, then the reset.
	empty := admin.fill("/admin/second-factor-reset", "/admin/second-factor-reset", url.Values{})
	empty.mustBe(t, http.StatusUnprocessableEntity, "/admin/second-factor-reset")
	checkMarkup(t, empty)
	if got := len(empty.summary()); got != 2 {
		t.Errorf("summary: %v", empty.summary())
	}
	admin.fill("/admin/second-factor-reset", "/admin/second-factor-reset", url.Values{"email": {"nobody@opcc.example.org"}, "reason": {"Lost phone"}}).
		mustContain(t, "There is no account with this email address")
	admin.fill("/admin/second-factor-reset", "/admin/second-factor-reset", url.Values{"email": {demo.Accounts[0].Email}, "reason": {"Lost phone"}}).
		mustContain(t, "This person has no second factor to reset")
	admin.fill("/admin/second-factor-reset", "/admin/second-factor-reset", url.Values{"email": {"admin@opcc.example.org"}, "reason": {"Lost phone"}}).
		mustContain(t, "You cannot reset your own second factor")
	done := admin.fill("/admin/second-factor-reset", "/admin/second-factor-reset", url.Values{"email": {"officer@opcc.example.org"}, "reason": {"Lost phone, confirmed by a call"}})
	done.mustBe(t, http.StatusOK, "/admin/second-factor-reset?done=Olu+Officer")
	done.mustContain(t, "The second factor of Olu Officer is reset")
	officer.get("/work").mustBe(t, http.StatusOK, "/sign-in?return=%2Fwork") // their session ended
	again := s.browser()
	again.fill("/sign-in", "/sign-in", url.Values{"email": {"officer@opcc.example.org"}, "password": {demo.Password}}).mustBe(t, http.StatusOK, "/sign-in/enrol")

	// Two older acts either side of midnight in London in summer (BST): 22:30 and 23:30 UTC on
	// 1 July are 11:30pm on 1 July and 12:30am on 2 July.
	for i, at := range []time.Time{time.Date(2026, 7, 1, 22, 30, 0, 0, time.UTC), time.Date(2026, 7, 1, 23, 30, 0, 0, time.UTC)} {
		if err := s.Store.RecordAdminEvent(ctx, store.SystemActor("grantflow schemes import"), at, store.AdminEvent{Key: "test-" + at.String(),
			Action: "scheme.created", SubjectKind: "scheme", SubjectID: int64(i + 1), Subject: []string{"Late Fund", "Night Fund"}[i], What: "Created the scheme"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	all := admin.get("/admin/audit")
	all.mustBe(t, http.StatusOK, "/admin/audit")
	checkMarkup(t, all)
	all.mustContain(t, "Ada Admin", "Reset their second factor", "Lost phone, confirmed by a call", "user.second_factor_reset",
		"1 July 2026 at 11:30pm", "2 July 2026 at 12:30am", "Night Fund")
	julyFirst := admin.get("/admin/audit?" + url.Values{"to-day": {"1"}, "to-month": {"7"}, "to-year": {"2026"}}.Encode())
	julyFirst.mustContain(t, "Late Fund")
	julyFirst.mustNotContain(t, "Night Fund", "Lost phone")
	users := admin.get("/admin/audit?subject_kind=user&action=user.second_factor")
	users.mustContain(t, "Lost phone, confirmed by a call")
	users.mustNotContain(t, "Late Fund")
	admin.get("/admin/audit?action=member.").mustContain(t, "No changes match these filters") // nobody has joined or left an organisation

	bad := admin.get("/admin/audit?" + url.Values{"from-day": {"31"}, "from-month": {"2"}, "from-year": {"2026"}, "action": {"DROP TABLE"}}.Encode())
	bad.mustBe(t, http.StatusUnprocessableEntity, "/admin/audit?"+url.Values{"from-day": {"31"}, "from-month": {"2"}, "from-year": {"2026"}, "action": {"DROP TABLE"}}.Encode())
	checkMarkup(t, bad)
	bad.mustContain(t, "The date to list from must be a real date")
	admin.get("/admin/audit?action=DROP+TABLE").mustContain(t, "Action must be an action or its start")
	admin.get("/admin/audit?"+url.Values{"from-day": {"2"}, "from-month": {"7"}, "from-year": {"2026"}, "to-day": {"1"}, "to-month": {"7"}, "to-year": {"2026"}}.Encode()).
		mustContain(t, "The to date must be the same as or after the from date")
}

// Registration is throttled per address: the page says when to try again (429, Retry-After), and
// forms refused for their mistakes use nothing up.
func TestRegistrationPageThrottle(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	for range 5 {
		b.fill("/register", "/register", url.Values{"user.password": {"short"}}).mustBe(t, http.StatusUnprocessableEntity, "/register")
	}
	limit := store.RequestLimits["registration"].Max
	form := func(i int) url.Values {
		return url.Values{"organisation.name": {"Hilltop Tenants"}, "organisation.type": {scheme.OrgCommunityGroup},
			"organisation.address": {"2 Hill Road"}, "organisation.postcode": {"LE13 0ZZ"}, "user.name": {"Sam Example"},
			"user.email": {"sam" + strings.Repeat("x", i) + "@hilltop.example.org"}, "user.password": {"correct horse battery"}}
	}
	for i := range limit {
		s.browser().fill("/register", "/register", form(i)).mustBe(t, http.StatusOK, "/applications?registered=1")
	}
	over := s.browser().fill("/register", "/register", form(limit))
	over.mustBe(t, http.StatusTooManyRequests, "/register")
	checkMarkup(t, over)
	over.mustContain(t, "Too many attempts from your network", "Wait", "then try again", "Nothing you sent has been saved")
	if ra := over.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q", ra)
	}
	if _, err := s.Store.UserByEmail(context.Background(), "sam"+strings.Repeat("x", limit)+"@hilltop.example.org"); err == nil {
		t.Error("the throttled registration was saved")
	}
}
