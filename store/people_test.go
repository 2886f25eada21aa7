package store_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"grantflow/notify"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// peopleStore is a store with the real composer, an admin and an officer.
func peopleStore(t *testing.T) (*store.Store, store.User, store.User) {
	t.Helper()
	s := storetest.New(t)
	s.Outbox = notify.MustOutbox("http://grantflow.test", "")
	ctx := context.Background()
	admin, err := s.CreateUser(ctx, store.NewUser{Email: "ada@opcc.example", Name: "Ada Admin", Role: scheme.RoleAdmin, Password: "admin password 1"})
	if err != nil {
		t.Fatal(err)
	}
	officer, err := s.CreateUser(ctx, store.NewUser{Email: "oli@opcc.example", Name: "Oli Officer", Role: scheme.RoleOfficer, Password: "officer password"})
	if err != nil {
		t.Fatal(err)
	}
	return s, admin, officer
}

// linkIn finds the one-time link's token in the latest message to the address whose link has the path.
func linkIn(t *testing.T, s *store.Store, address, path string) (token, body string) {
	t.Helper()
	var bodies []string
	if err := s.DB.Select(&bodies, `SELECT body_text FROM messages WHERE address = lower($1) ORDER BY id DESC`, address); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`http://grantflow\.test` + regexp.QuoteMeta(path) + `([A-Za-z0-9_-]{43})`)
	for _, b := range bodies {
		if m := re.FindStringSubmatch(b); m != nil {
			return m[1], b
		}
	}
	t.Fatalf("no message to %s with a %s link: %q", address, path, bodies)
	return "", ""
}

func actions(t *testing.T, s *store.Store) []string {
	t.Helper()
	list, err := s.AdminEvents(context.Background(), store.AdminEventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, list[i].Action)
	}
	return out
}

func TestStaffInvitationLinkWorksOnceAndExpires(t *testing.T) {
	ctx := context.Background()
	s, admin, _ := peopleStore(t)
	at := time.Date(2026, 10, 24, 21, 0, 0, 0, time.UTC) // expires a week later, after the clocks go back
	m, err := s.InviteStaff(ctx, store.ActorOf(admin), at, store.StaffInvitation{Email: "Hana@opcc.example", Name: "Hana Head",
		Role: scheme.RoleHeadOfCommissioning, BandTitle: "Head of Commissioning band", Why: "New starter"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != store.StatusInvited || m.InvitationExpires == nil || !m.InvitationExpires.Equal(at.Add(store.InvitationTTL)) || m.BandTitle != "Head of Commissioning band" {
		t.Fatalf("invited: %+v", m)
	}
	if _, err := s.InviteStaff(ctx, store.ActorOf(admin), at, store.StaffInvitation{Email: "hana@OPCC.example", Name: "Again", Role: scheme.RoleOfficer}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("the same address again: %v", err)
	}
	// Nobody can sign in as the invited account before the password is set, not even with no password.
	if _, err := s.Authenticate(ctx, "hana@opcc.example", ""); !errors.Is(err, store.ErrBadCredentials) {
		t.Fatalf("invited account signed in: %v", err)
	}
	token, body := linkIn(t, s, "hana@opcc.example", "/invitations/")
	// 21:00 UTC on 24 October is 10pm BST; a week later the clocks have gone back: 9pm GMT.
	if !strings.Contains(body, "expires on 9:00pm on 31 October 2026") || !strings.Contains(body, "head of commissioning") {
		t.Fatalf("the invitation says: %s", body)
	}
	// Resending makes the first link useless.
	if _, err := s.ResendStaffInvitation(ctx, store.ActorOf(admin), at.Add(time.Hour), m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptStaffInvitation(ctx, token, "a new password", at.Add(2*time.Hour)); !errors.Is(err, store.ErrLinkUsed) {
		t.Fatalf("the replaced link: %v", err)
	}
	token, _ = linkIn(t, s, "hana@opcc.example", "/invitations/")
	tampered := token[:42] + "A" // the same selector, another token: refused by the hash
	if token[42] == 'A' {
		tampered = token[:42] + "E"
	}
	for name, bad := range map[string]string{"tampered": tampered, "short": token[:20], "empty": ""} {
		if _, err := s.AcceptStaffInvitation(ctx, bad, "a new password", at.Add(2*time.Hour)); !errors.Is(err, store.ErrLinkInvalid) {
			t.Fatalf("%s link: %v", name, err)
		}
	}
	if _, err := s.AcceptStaffInvitation(ctx, token, "a new password", at.Add(store.InvitationTTL+2*time.Hour)); !errors.Is(err, store.ErrLinkExpired) {
		t.Fatalf("a link a week and more old: %v", err)
	}
	u, err := s.AcceptStaffInvitation(ctx, token, "a new password", at.Add(2*time.Hour))
	if err != nil || !u.EmailVerified || u.Role != scheme.RoleHeadOfCommissioning {
		t.Fatalf("accept: %+v %v", u, err)
	}
	if _, err := s.AcceptStaffInvitation(ctx, token, "another password", at.Add(3*time.Hour)); !errors.Is(err, store.ErrLinkUsed) {
		t.Fatalf("second use: %v", err)
	}
	if _, err := s.Authenticate(ctx, "hana@opcc.example", "a new password"); err != nil {
		t.Fatalf("sign in with the password set: %v", err)
	}
	got := strings.Join(actions(t, s), " ")
	if got != "user.invited user.invitation_resent user.joined" {
		t.Fatalf("admin trail: %s", got)
	}
}

func TestCancelledInvitationRemovesTheAccount(t *testing.T) {
	ctx := context.Background()
	s, admin, officer := peopleStore(t)
	at := time.Now()
	m, err := s.InviteStaff(ctx, store.ActorOf(admin), at, store.StaffInvitation{Email: "fin@opcc.example", Name: "Fin", Role: scheme.RoleFinance})
	if err != nil {
		t.Fatal(err)
	}
	token, _ := linkIn(t, s, "fin@opcc.example", "/invitations/")
	if err := s.CancelStaffInvitation(ctx, store.ActorOf(admin), at, officer.ID, ""); !errors.Is(err, store.ErrNotInvited) {
		t.Fatalf("cancelling an active account's invitation: %v", err)
	}
	if err := s.CancelStaffInvitation(ctx, store.ActorOf(admin), at, m.ID, "Started elsewhere"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptStaffInvitation(ctx, token, "a new password", at); !errors.Is(err, store.ErrLinkInvalid) {
		t.Fatalf("a cancelled invitation's link: %v", err)
	}
	if _, err := s.StaffMemberByID(ctx, m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the cancelled account remains: %v", err)
	}
}

func TestTheLastAdminStaysAndNobodyChangesTheirOwnRole(t *testing.T) {
	ctx := context.Background()
	s, admin, officer := peopleStore(t)
	at := time.Now()
	if _, err := s.ChangeRole(ctx, store.ActorOf(admin), at, admin.ID, scheme.RoleOfficer, "", "stepping down"); !errors.Is(err, store.ErrOwnRole) {
		t.Fatalf("own role: %v", err)
	}
	if _, err := s.DisableUser(ctx, store.ActorOf(admin), at, admin.ID, true, ""); !errors.Is(err, store.ErrOwnRole) {
		t.Fatalf("disabling oneself: %v", err)
	}
	// Another admin may not demote or disable the last one either.
	other := store.Actor{UserID: officer.ID, Name: officer.Name, Role: "admin"}
	if _, err := s.ChangeRole(ctx, other, at, admin.ID, scheme.RoleOfficer, "", "x"); !errors.Is(err, store.ErrLastAdmin) {
		t.Fatalf("demoting the last admin: %v", err)
	}
	if _, err := s.DisableUser(ctx, other, at, admin.ID, true, "x"); !errors.Is(err, store.ErrLastAdmin) {
		t.Fatalf("disabling the last admin: %v", err)
	}
	// With a second admin, the first may be made an officer.
	m, err := s.ChangeRole(ctx, store.ActorOf(admin), at, officer.ID, scheme.RoleAdmin, "", "Covering the office")
	if err != nil || m.Role != scheme.RoleAdmin {
		t.Fatalf("promote: %+v %v", m, err)
	}
	officerAsAdmin := store.Actor{UserID: officer.ID, Name: officer.Name, Role: "admin"}
	if m, err = s.ChangeRole(ctx, officerAsAdmin, at.Add(time.Second), admin.ID, scheme.RoleCommissioner, "Commissioner's band", "Elected"); err != nil || m.BandTitle != "Commissioner's band" {
		t.Fatalf("demote: %+v %v", m, err)
	}
	list, err := s.AdminEvents(ctx, store.AdminEventFilter{Action: "user.role_changed"})
	if err != nil || len(list) != 2 || list[0].Why != "Elected" || !strings.Contains(string(list[0].Details), `"band_title": "Commissioner's band"`) {
		t.Fatalf("role changes recorded: %+v %v", list, err)
	}
}

func TestDisablingEndsEveryTokenAtOnce(t *testing.T) {
	ctx := context.Background()
	s, admin, officer := peopleStore(t)
	token, _, err := s.IssueToken(ctx, officer.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.DisableUser(ctx, store.ActorOf(admin), time.Now(), officer.ID, true, "Left the office")
	if err != nil || m.Status != store.StatusDisabled {
		t.Fatalf("disable: %+v %v", m, err)
	}
	if _, err := s.UserByToken(ctx, token); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a disabled officer's token still works: %v", err)
	}
	if m, err = s.DisableUser(ctx, store.ActorOf(admin), time.Now(), officer.ID, false, "Came back"); err != nil || m.Status != store.StatusActive {
		t.Fatalf("enable: %+v %v", m, err)
	}
	if got := strings.Join(actions(t, s), " "); got != "user.disabled user.enabled" {
		t.Fatalf("trail: %s", got)
	}
}

func TestChangingThePasswordEndsOtherSessionsOnly(t *testing.T) {
	ctx := context.Background()
	s, _, officer := peopleStore(t)
	here, _, _ := s.IssueToken(ctx, officer.ID, time.Hour)
	there, _, _ := s.IssueToken(ctx, officer.ID, time.Hour)
	if err := s.ChangePassword(ctx, officer.ID, "wrong password", "new password 123", here, time.Now()); !errors.Is(err, store.ErrWrongPassword) {
		t.Fatalf("wrong current password: %v", err)
	}
	if _, err := s.UserByToken(ctx, there); err != nil {
		t.Fatal("a refused change ended a session")
	}
	if err := s.ChangePassword(ctx, officer.ID, "officer password", "new password 123", here, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, here); err != nil {
		t.Fatalf("the session it was changed from ended: %v", err)
	}
	if _, err := s.UserByToken(ctx, there); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another session goes on: %v", err)
	}
	if _, err := s.Authenticate(ctx, officer.Email, "new password 123"); err != nil {
		t.Fatal(err)
	}
	var subject string
	if err := s.DB.Get(&subject, `SELECT subject FROM messages WHERE address = $1`, officer.Email); err != nil || subject != "Your Grantflow password has changed" {
		t.Fatalf("the officer was not told: %q %v", subject, err)
	}
}

func TestPasswordResetLinkWorksOnceWithinTheHour(t *testing.T) {
	ctx := context.Background()
	s, _, officer := peopleStore(t)
	// Asked at 1:30am BST on the night the clocks go back: the link lasts an hour, to 1:30am GMT.
	at := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)
	if err := s.RequestPasswordReset(ctx, "nobody@opcc.example", at); err != nil {
		t.Fatal(err)
	}
	var count int
	s.DB.Get(&count, `SELECT count(*) FROM messages`)
	if count != 0 {
		t.Fatalf("an unknown address was sent %d messages", count)
	}
	if err := s.RequestPasswordReset(ctx, " OLI@opcc.example ", at); err != nil {
		t.Fatal(err)
	}
	token, body := linkIn(t, s, officer.Email, "/password-reset/")
	if !strings.Contains(body, "expires at 1:30am on 25 October 2026") {
		t.Fatalf("the reset mail says: %s", body)
	}
	session, _, _ := s.IssueToken(ctx, officer.ID, 24*time.Hour)
	if _, err := s.PasswordResetFor(ctx, token, at.Add(time.Hour)); !errors.Is(err, store.ErrLinkExpired) {
		t.Fatalf("at the hour: %v", err)
	}
	// Two uses at once: exactly one sets the password.
	var wg sync.WaitGroup
	results := make([]error, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = s.ResetPassword(ctx, token, "reset password "+string(rune('A'+i)), at.Add(59*time.Minute))
		}()
	}
	wg.Wait()
	ok, used := 0, 0
	for _, err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrLinkUsed):
			used++
		default:
			t.Fatal(err)
		}
	}
	if ok != 1 || used != 1 {
		t.Fatalf("two uses at once: %v", results)
	}
	if _, err := s.UserByToken(ctx, session); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a reset leaves a session working: %v", err)
	}
	_, errA := s.Authenticate(ctx, officer.Email, "reset password A")
	_, errB := s.Authenticate(ctx, officer.Email, "reset password B")
	if (errA == nil) == (errB == nil) {
		t.Fatalf("exactly one new password works: %v %v", errA, errB)
	}
}

func TestRegistrationNeedsItsAddressVerified(t *testing.T) {
	ctx := context.Background()
	s, _, _ := peopleStore(t)
	_, u, err := s.CreateOrganisationWithUser(ctx, store.Organisation{Name: "Hilltop", Type: scheme.OrgCommunityGroup},
		store.NewUser{Email: "jo@hilltop.example", Name: "Jo", Role: scheme.RoleApplicant, Password: "a long password", Unverified: true})
	if err != nil || u.EmailVerified {
		t.Fatalf("registered: %+v %v", u, err)
	}
	first, _ := linkIn(t, s, u.Email, "/verify-email/")
	if sent, err := s.SendEmailVerification(ctx, u.ID, time.Now()); err != nil || !sent {
		t.Fatalf("send again: %v %v", sent, err)
	}
	if _, err := s.VerifyEmail(ctx, first, time.Now()); !errors.Is(err, store.ErrLinkUsed) {
		t.Fatalf("the first link after a second was sent: %v", err)
	}
	second, _ := linkIn(t, s, u.Email, "/verify-email/")
	if v, err := s.VerifyEmail(ctx, second, time.Now()); err != nil || !v.EmailVerified {
		t.Fatalf("verify: %+v %v", v, err)
	}
	if again, _ := s.User(ctx, u.ID); !again.EmailVerified {
		t.Fatal("not kept")
	}
	if sent, err := s.SendEmailVerification(ctx, u.ID, time.Now()); err != nil || sent {
		t.Fatalf("a verified address is sent another link: %v %v", sent, err)
	}
}

func TestOrganisationMembersAndDetails(t *testing.T) {
	ctx := context.Background()
	s, admin, _ := peopleStore(t)
	org, jo, err := s.CreateOrganisationWithUser(ctx, store.Organisation{Name: "Hilltop", Type: scheme.OrgCommunityGroup, Address: "1 Hill", Postcode: "LE1 1AA"},
		store.NewUser{Email: "jo@hilltop.example", Name: "Jo", Role: scheme.RoleApplicant, Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	_, pat, err := s.CreateOrganisationWithUser(ctx, store.Organisation{Name: "Elsewhere", Type: scheme.OrgCommunityGroup},
		store.NewUser{Email: "pat@elsewhere.example", Name: "Pat", Role: scheme.RoleApplicant, Password: "pat's password"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	if err := s.RemoveMember(ctx, jo, at, org.ID, jo.ID, ""); !errors.Is(err, store.ErrLastMember) {
		t.Fatalf("the last member left: %v", err)
	}
	if _, err := s.InviteMember(ctx, pat, at, org.ID, "sam@hilltop.example", "Sam"); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("an outsider invited: %v", err)
	}
	if _, err := s.InviteMember(ctx, jo, at, org.ID, admin.Email, ""); !errors.Is(err, store.ErrStaffAccount) {
		t.Fatalf("a staff address: %v", err)
	}
	if _, err := s.InviteMember(ctx, jo, at, org.ID, "sam@hilltop.example", "Sam"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InviteMember(ctx, jo, at, org.ID, pat.Email, "Pat"); err != nil {
		t.Fatal(err)
	}
	samToken, body := linkIn(t, s, "sam@hilltop.example", "/join/")
	if !strings.Contains(body, "Jo has invited you to join Hilltop") {
		t.Fatalf("the invitation says: %s", body)
	}
	sam, joined, err := s.AcceptMemberInvitation(ctx, store.JoinRequest{Token: samToken, Name: "Sam Smith", Password: "sam's password"}, at)
	if err != nil || joined.ID != org.ID || !sam.MemberOf(org.ID) || !sam.EmailVerified || sam.Role != scheme.RoleApplicant {
		t.Fatalf("Sam joined: %+v %+v %v", sam, joined, err)
	}
	if _, _, err := s.AcceptMemberInvitation(ctx, store.JoinRequest{Token: samToken, Name: "Sam", Password: "sam's password"}, at); !errors.Is(err, store.ErrLinkUsed) {
		t.Fatalf("second use: %v", err)
	}
	patToken, _ := linkIn(t, s, pat.Email, "/join/")
	if _, _, err := s.AcceptMemberInvitation(ctx, store.JoinRequest{Token: patToken, Password: "wrong"}, at); !errors.Is(err, store.ErrBadCredentials) {
		t.Fatalf("an existing account with the wrong password: %v", err)
	}
	if _, _, err := s.AcceptMemberInvitation(ctx, store.JoinRequest{Token: patToken, SignedIn: sam.ID}, at); !errors.Is(err, store.ErrLinkInvalid) {
		t.Fatalf("signed in as someone else: %v", err)
	}
	if p, _, err := s.AcceptMemberInvitation(ctx, store.JoinRequest{Token: patToken, SignedIn: pat.ID}, at); err != nil || !p.MemberOf(org.ID) || len(p.Organisations) != 2 {
		t.Fatalf("Pat joined a second organisation: %+v %v", p, err)
	}
	if err := s.RemoveMember(ctx, sam, at, org.ID, jo.ID, "Moved away"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, sam, at, org.ID, sam.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, pat, at, org.ID, pat.ID, ""); !errors.Is(err, store.ErrLastMember) {
		t.Fatalf("the last member left: %v", err)
	}
	members, _ := s.Members(ctx, org.ID)
	if len(members) != 1 || members[0].UserID != pat.ID {
		t.Fatalf("members: %+v", members)
	}
	// Details change with history; an unchanged save records nothing.
	d := store.OrganisationDetails{Name: "Hilltop Tenants", Address: "1 Hill", Postcode: "LE1 1AA", ContactName: "Pat", ContactEmail: pat.Email, ContactPhone: "0116 000 0000"}
	if _, err := s.UpdateOrganisation(ctx, jo, at, org.ID, d); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("a former member changed the details: %v", err)
	}
	o, err := s.UpdateOrganisation(ctx, pat, at, org.ID, d)
	if err != nil || o.Name != "Hilltop Tenants" || o.ContactPhone != "0116 000 0000" {
		t.Fatalf("update: %+v %v", o, err)
	}
	if _, err := s.UpdateOrganisation(ctx, pat, at.Add(time.Minute), org.ID, d); err != nil {
		t.Fatal(err)
	}
	history, err := s.OrganisationHistory(ctx, org.ID)
	if err != nil || len(history) != 1 || history[0].Before["name"] != "Hilltop" || history[0].After["name"] != "Hilltop Tenants" ||
		history[0].ByName != "Pat" || len(history[0].After) != 4 {
		t.Fatalf("history: %+v %v", history, err)
	}
	got := strings.Join(actions(t, s), " ")
	if got != "member.invited member.invited member.joined member.joined member.removed member.left organisation.updated" {
		t.Fatalf("trail: %s", got)
	}
}
