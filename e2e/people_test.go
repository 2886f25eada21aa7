package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/store"
)

const adminEmail = "admin@opcc.example.org"

// An administrator invites an officer by e-mail; the officer opens the link in the mail that reached
// the real SMTP server, sets a password (the link then works no more) and signs in. The admin
// disables them (their token is refused at once) and enables them again. The officer forgets the
// password: the reset link e-mailed to them works once, and every session they had ends.
func TestInvitedOfficerSetsAPasswordFromTheMailAndAResetLinkWorksOnce(t *testing.T) {
	s := newSystem(t)
	mail := s.startMail(t)
	admin := s.signIn(t, adminEmail, demo.Password)
	const nia = "nia.newstarter@opcc.example.org"

	// Refusals name their field; nothing is invited.
	requireReason(t, "a role that is not staff's", s.do(t, "POST", "/api/v1/admin/users", admin,
		map[string]any{"email": nia, "name": "Nia Newstarter", "role": "applicant"}), "role", "must be one of")
	requireReason(t, "a Commissioner without a band", s.do(t, "POST", "/api/v1/admin/users", admin,
		map[string]any{"email": nia, "name": "Nia Newstarter", "role": "commissioner"}), "band_title", "is required")
	requireReason(t, "an officer with a band", s.do(t, "POST", "/api/v1/admin/users", admin,
		map[string]any{"email": nia, "name": "Nia Newstarter", "role": "officer", "band_title": "Officer band"}), "band_title", "applies only to")
	requireReason(t, "a band no scheme has", s.do(t, "POST", "/api/v1/admin/users", admin,
		map[string]any{"email": nia, "name": "Nia Newstarter", "role": "commissioner", "band_title": "Grand Poobah"}), "band_title", "Police and Crime Commissioner")
	requireReason(t, "a bad address", s.do(t, "POST", "/api/v1/admin/users", admin,
		map[string]any{"email": "nia at opcc", "name": "Nia Newstarter", "role": "officer"}), "email", "e-mail address")
	requireReason(t, "an address with an account", s.do(t, "POST", "/api/v1/admin/users", admin,
		map[string]any{"email": "officer@opcc.example.org", "name": "Olu Again", "role": "officer"}), "email", "already has a Grantflow account")
	requireReason(t, "changing one's own role", s.do(t, "PATCH", fmt.Sprintf("/api/v1/admin/users/%v", s.userID(t, admin)), admin,
		map[string]any{"role": "officer", "reason": "Stepping down"}), "role", "your own role")

	invited := s.must(t, http.StatusCreated, "POST", "/api/v1/admin/users", admin,
		map[string]any{"email": nia, "name": "Nia Newstarter", "role": "officer", "reason": "New starter"})
	if invited.str("status") != "invited" {
		t.Fatalf("invited: %s", invited.Raw)
	}
	id := dig(invited.Body, "id")
	list := s.must(t, http.StatusOK, "GET", "/api/v1/admin/users", admin, nil)
	if !strings.Contains(string(list.Raw), `"status":"invited"`) {
		t.Errorf("the staff list does not show the invitation: %s", list.Raw)
	}
	// She cannot sign in before she sets a password.
	if r := s.do(t, "POST", "/api/v1/tokens", "", map[string]string{"email": nia, "password": "anything at all"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("an invited account signed in: %d", r.Status)
	}

	// The link in the mail that arrived.
	link := mail.mailedLink(t, nia, "/invitations/")
	w := s.webVisitor(t)
	w.get(link).mustSay(t, http.StatusOK, "Set your password", nia)
	w.post(link, url.Values{"password": {"short"}, "password-confirm": {"short"}}).mustSay(t, http.StatusUnprocessableEntity,
		"There is a problem", "Password must be at least 10 characters")
	w.post(link, url.Values{"password": {"nia's own long password"}, "password-confirm": {"something else"}}).mustSay(t, http.StatusUnprocessableEntity,
		"The passwords do not match")
	w.post(link, url.Values{"password": {"nia's own long password"}, "password-confirm": {"nia's own long password"}}).mustSay(t, http.StatusOK,
		"Your password has been set")
	w.get(link).mustSay(t, http.StatusNotFound, "already been used")
	requireReason(t, "the invitation link again", s.do(t, "POST", "/api/v1/invitations/accept", "",
		map[string]string{"token": strings.TrimPrefix(link, "/invitations/"), "password": "another long password"}), "token", "already been used")

	// Her first sign-in leads to setting up a second factor (the browser test does it by the page);
	// here she sets up the demo's authenticator key, so the harness can compute her codes.
	first := s.webVisitor(t)
	first.get("/sign-in")
	first.post("/sign-in", url.Values{"email": {nia}, "password": {"nia's own long password"}}).mustSay(t, http.StatusOK, "Set up")
	if first.get("/work").Path == "/work" {
		t.Fatal("half signed in, Nia reached her work queues before setting up a second factor")
	}
	requireRefusal(t, "Nia's API token before a second factor", s.do(t, "POST", "/api/v1/tokens", "",
		map[string]string{"email": nia, "password": "nia's own long password"}), http.StatusForbidden, "")
	niaUser, err := s.Store.UserByEmail(context.Background(), nia)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Store.EnrolSecondFactor(context.Background(), niaUser.ID, demo.TOTPSecret, time.Now()); err != nil {
		t.Fatal(err)
	}
	token := s.signIn(t, nia, "nia's own long password")
	if me := s.must(t, http.StatusOK, "GET", "/api/v1/me", token, nil); me.str("role") != "officer" || dig(me.Body, "email_verified") != true {
		t.Fatalf("Nia signed in as %s", me.Raw)
	}
	if p := s.webSignInWith(t, nia, "nia's own long password").get("/work"); p.Status != http.StatusOK || p.Path != "/work" {
		t.Errorf("Nia's work queues: %d at %s", p.Status, p.Path)
	}

	// Disabled: her token is refused at once; enabled: she signs in again.
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/admin/users/%v/disable", id), admin, map[string]string{"reason": "Left the office"})
	s.must(t, http.StatusUnauthorized, "GET", "/api/v1/me", token, nil)
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/admin/users/%v/enable", id), admin, map[string]any{})
	token = s.signIn(t, nia, "nia's own long password")

	// A forgotten password: the same answer for an address with no account, and no mail for it.
	unknown := s.must(t, http.StatusAccepted, "POST", "/api/v1/password-resets", "", map[string]string{"email": "nobody@opcc.example.org"})
	known := s.must(t, http.StatusAccepted, "POST", "/api/v1/password-resets", "", map[string]string{"email": nia})
	if unknown.str("message") != known.str("message") {
		t.Errorf("the answers differ: %q and %q", unknown.str("message"), known.str("message"))
	}
	reset := mail.mailedLink(t, nia, "/password-reset/")
	for _, m := range mail.Messages() {
		if m.To[0] == "nobody@opcc.example.org" {
			t.Errorf("an address with no account was sent %q", m.Subject)
		}
	}
	v := s.webVisitor(t)
	v.get(reset).mustSay(t, http.StatusOK, "Set a new password")
	v.post(reset, url.Values{"password": {"nia's newer password"}, "password-confirm": {"nia's newer password"}}).mustSay(t, http.StatusOK, "Your password has been set")
	v.post(reset, url.Values{"password": {"a third password!"}, "password-confirm": {"a third password!"}}).mustSay(t, http.StatusNotFound, "already been used")
	s.must(t, http.StatusUnauthorized, "GET", "/api/v1/me", token, nil) // every session ended
	s.signIn(t, nia, "nia's newer password")
	if r := s.do(t, "POST", "/api/v1/tokens", "", map[string]string{"email": nia, "password": "a third password!"}); r.Status != http.StatusUnauthorized {
		t.Errorf("the second use of the reset link set the password: %d", r.Status)
	}

	// The admin trail holds each act.
	trail, err := s.Store.AdminEvents(t.Context(), store.AdminEventFilter{SubjectKind: "user", SubjectID: int64(id.(float64))})
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for i := len(trail) - 1; i >= 0; i-- {
		acts = append(acts, trail[i].Action)
	}
	if got := strings.Join(acts, " "); got != "user.invited user.joined user.disabled user.enabled" {
		t.Errorf("the admin trail for Nia: %s", got)
	}
}

// An applicant who has not confirmed their address may save a draft but not submit it: the API says
// why (403 email_not_verified) and the page offers to send the link again. Once they follow the
// link, the same draft goes on to the ordinary checks. They invite a colleague, who joins from the
// link in the mail, and the two keep the organisation's details, every change listed.
func TestUnverifiedApplicantCannotSubmitAndColleaguesJoin(t *testing.T) {
	s := newSystem(t)
	mail := s.startMail(t)
	const kim, lee = "kim@verify-first.example.org", "lee@verify-first.example.org"
	reg := s.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", map[string]any{
		"organisation": map[string]string{"name": "Verify First Trust", "type": "community_group", "address": "1 Main Street, Oakham", "postcode": "le15 6aa"},
		"user":         map[string]string{"name": "Kim Example", "email": kim, "password": registeredPassword},
	})
	if dig(reg.Body, "user", "email_verified") != false {
		t.Fatalf("a new registration is verified: %s", reg.Raw)
	}
	orgID := int64(dig(reg.Body, "organisation", "id").(float64))
	token := s.signIn(t, kim, registeredPassword)
	schemeID, roundID := s.grassrootsRound(t, token)
	draft := s.must(t, http.StatusCreated, "POST", "/api/v1/applications", token, map[string]any{"scheme_id": schemeID, "round_id": roundID, "title": "Rutland nights"})
	id := int64(dig(draft.Body, "id").(float64))
	refused := s.must(t, http.StatusForbidden, "POST", fmt.Sprintf("/api/v1/applications/%d/submit", id), token, nil)
	if refused.str("error", "code") != "email_not_verified" {
		t.Fatalf("submitting unverified: %s", refused.Raw)
	}
	w := s.webSignInWith(t, kim, registeredPassword)
	w.get(fmt.Sprintf("/applications/%d/edit", id))
	w.post(fmt.Sprintf("/applications/%d/submit", id), url.Values{}).mustSay(t, http.StatusForbidden,
		"Confirm your email address first", "Your application is saved", "Send the link again")
	w.post("/verify-email/resend", url.Values{}).mustSay(t, http.StatusOK, "Check your email", kim)

	link := mail.mailedLink(t, kim, "/verify-email/")
	w.get(link).mustSay(t, http.StatusOK, "Confirm my email address")
	w.post(link, url.Values{}).mustSay(t, http.StatusOK, "Email address confirmed")
	w.post(link, url.Values{}).mustSay(t, http.StatusNotFound, "already been used")
	// Now the draft meets the ordinary checks: it is incomplete.
	s.must(t, http.StatusUnprocessableEntity, "POST", fmt.Sprintf("/api/v1/applications/%d/submit", id), token, nil)

	// Kim invites Lee, who joins from the mail with a new account.
	org := fmt.Sprintf("/api/v1/organisations/%d", orgID)
	requireReason(t, "inviting a member of staff", s.do(t, "POST", org+"/invitations", token, map[string]string{"email": "officer@opcc.example.org"}),
		"email", "member of staff")
	requireReason(t, "inviting oneself", s.do(t, "POST", org+"/invitations", token, map[string]string{"email": kim}), "email", "already a member")
	s.must(t, http.StatusCreated, "POST", org+"/invitations", token, map[string]string{"email": lee, "name": "Lee"})
	join := mail.mailedLink(t, lee, "/join/")
	l := s.webVisitor(t)
	l.get(join).mustSay(t, http.StatusOK, "Join Verify First Trust")
	l.post(join, url.Values{"name": {"Lee Example"}, "password": {registeredPassword}, "password-confirm": {registeredPassword}}).mustSay(t, http.StatusOK,
		"Your organisation", "Kim Example", "Lee Example")
	leeToken := s.signIn(t, lee, registeredPassword)
	view := s.must(t, http.StatusOK, "GET", org, leeToken, nil)
	if n := len(dig(view.Body, "members").([]any)); n != 2 {
		t.Fatalf("members after Lee joined: %s", view.Raw)
	}

	// Details: refusals name their fields; a change is kept with who and what.
	requireReason(t, "an empty name", s.do(t, "PATCH", org, leeToken, map[string]string{"name": " ", "address": "1 Main Street, Oakham", "postcode": "LE15 6AA"}),
		"name", "is required")
	requireReason(t, "a bad contact address", s.do(t, "PATCH", org, leeToken, map[string]string{"name": "Verify First Trust", "address": "1 Main Street, Oakham",
		"postcode": "LE15 6AA", "contact_email": "not an address"}), "contact_email", "e-mail address")
	requireReason(t, "a telephone number of letters", s.do(t, "PATCH", org, leeToken, map[string]string{"name": "Verify First Trust", "address": "1 Main Street, Oakham",
		"postcode": "LE15 6AA", "contact_phone": "call me"}), "contact_phone", "telephone number")
	s.must(t, http.StatusOK, "PATCH", org, leeToken, map[string]string{"name": "Verify First Trust", "address": "2 Market Place, Oakham",
		"postcode": "le15 6dt", "contact_name": "Lee Example", "contact_email": lee, "contact_phone": "01572 000000"})
	page := s.webSignInWith(t, kim, registeredPassword).get(fmt.Sprintf("/organisations/%d", orgID))
	page.mustSay(t, http.StatusOK, "Changes to the details", "Lee Example", `address: “1 Main Street, Oakham” to “2 Market Place, Oakham”`, "LE15 6DT")

	// Kim leaves; Lee, now the only member, cannot.
	kimID := s.userID(t, token)
	leeID := s.userID(t, leeToken)
	s.must(t, http.StatusNoContent, "DELETE", fmt.Sprintf("%s/members/%v", org, kimID), token, nil)
	s.must(t, http.StatusNotFound, "GET", org, token, nil)
	s.must(t, http.StatusConflict, "DELETE", fmt.Sprintf("%s/members/%v", org, leeID), leeToken, nil)
	// Kim, in no organisation now, is told how to join one and offered no start that leads nowhere.
	left := s.webSignInWith(t, kim, registeredPassword).get("/applications")
	left.mustSay(t, http.StatusOK, "You are not a member of any organisation", "invite you")
	if strings.Contains(left.Body, "Start an application") {
		t.Error("someone in no organisation is offered to start an application")
	}
}

// An administrator manages people on the pages: the staff list, an invitation refused field by
// field and then sent, a change of role that needs a reason, and disabling, which ends the
// officer's session at once. Nobody else reaches these pages.
func TestAdminManagesStaffOnThePages(t *testing.T) {
	s := newSystem(t)
	w := s.webSignIn(t, adminEmail)
	w.get("/admin/users").mustSay(t, http.StatusOK, "Manage people", "Olu Officer", "Commissioning Officer", "Active")
	w.get("/admin/users/invite").mustSay(t, http.StatusOK, "Invite a member of staff")
	w.post("/admin/users/invite", url.Values{"email": {"not an address"}, "role": {"commissioner"}}).mustSay(t, http.StatusUnprocessableEntity,
		"There is a problem", "Enter their full name", "Email address must be an e-mail address", "Delegation band title is required")
	w.post("/admin/users/invite", url.Values{"name": {"Cai Commissioner"}, "email": {"cai@opcc.example.org"}, "role": {"commissioner"},
		"band_title": {"Police and Crime Commissioner"}}).mustSay(t, http.StatusOK, "Invitation sent", "Cai Commissioner", "Invited")

	officer, err := s.Store.UserByEmail(t.Context(), "officer@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/admin/users/%d", officer.ID)
	olu := s.webSignIn(t, officer.Email)
	w.get(page).mustSay(t, http.StatusOK, "Olu Officer", "Change role", "Disable Olu Officer", "Reset Olu Officer's second factor")
	if reset := w.get("/admin/second-factor-reset?email=" + url.QueryEscape(officer.Email)); !strings.Contains(reset.Body, `value="`+officer.Email+`"`) {
		t.Errorf("the reset form from the person's page does not name them: %s", reset.text())
	}
	w.post(page+"/role", url.Values{"role": {"head_of_commissioning"}}).mustSay(t, http.StatusUnprocessableEntity,
		"Enter why the role is changing", "Delegation band title is required")
	w.post(page+"/role", url.Values{"role": {"head_of_commissioning"}, "band_title": {"Head of Commissioning"}, "reason": {"Promoted"}}).mustSay(t, http.StatusOK,
		"Role changed", "Head of Commissioning")
	w.post(page+"/disable", url.Values{"reason": {"Left the office on 4 December"}}).mustSay(t, http.StatusOK, "Account disabled", "Disabled since")
	w.get("/admin/audit?action=user.disabled").mustSay(t, http.StatusOK, "Olu Officer", "Left the office on 4 December")
	if p := olu.get("/work"); !strings.HasPrefix(p.Path, "/sign-in") {
		t.Errorf("the disabled officer's session goes on: %d at %s", p.Status, p.Path)
	}
	w.post(page+"/enable", url.Values{}).mustSay(t, http.StatusOK, "Account enabled", "Active")
	olu = s.webSignIn(t, officer.Email) // signs in again once enabled

	// The admin's own page offers no change of their own role.
	admin, _ := s.Store.UserByEmail(t.Context(), adminEmail)
	own := w.get(fmt.Sprintf("/admin/users/%d", admin.ID))
	own.mustSay(t, http.StatusOK, "This is your own account")
	if strings.Contains(own.Body, "/role\"") {
		t.Error("the admin's own page offers to change their role")
	}
	if p := olu.get("/admin/users"); p.Status != http.StatusForbidden {
		t.Errorf("an officer reached Manage people: %d", p.Status)
	}
}
