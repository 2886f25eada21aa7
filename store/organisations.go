package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"grantflow/scheme"
)

// An applicant organisation's own people and details: members invite colleagues by e-mail, leave
// or remove one another (never leaving the organisation without members), and keep its details
// current, every change kept with who and when. Membership acts are admin_events too. That the
// person acting is a member is checked by the callers (the API's rule) and again here.

// Refusals of membership acts.
var (
	ErrLastMember   = errors.New("an organisation must keep at least one member: invite someone else before you leave")
	ErrNotMember    = errors.New("not a member of this organisation")
	ErrStaffAccount = errors.New("this address belongs to a member of staff's account, which cannot join an applicant organisation")
)

// Member is one person of an organisation.
type Member struct {
	UserID int64  `db:"id" json:"user_id"`
	Name   string `db:"name" json:"name"`
	Email  string `db:"email" json:"email"`
}

// MemberInvitation is an invitation to join, not yet used.
type MemberInvitation struct {
	ID        int64     `db:"id" json:"id"`
	Email     string    `db:"email" json:"email"`
	Name      string    `db:"name" json:"name"`
	InvitedBy string    `db:"invited_by" json:"invited_by"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	ExpiresAt time.Time `db:"expires_at" json:"expires_at"`
}

// OrganisationChange is one edit of an organisation's details: the fields that changed, before
// and after.
type OrganisationChange struct {
	ID     int64             `db:"id" json:"id"`
	At     time.Time         `db:"at" json:"at"`
	ByName string            `db:"by_name" json:"by"`
	Before map[string]string `db:"-" json:"before"`
	After  map[string]string `db:"-" json:"after"`
}

// OrganisationDetails are what members keep current (the type is fixed at registration: it
// decides eligibility).
type OrganisationDetails struct {
	Name          string `json:"name"`
	CharityNumber string `json:"charity_number"`
	CompanyNumber string `json:"company_number"`
	Address       string `json:"address"`
	Postcode      string `json:"postcode"`
	ContactName   string `json:"contact_name"`
	ContactEmail  string `json:"contact_email"`
	ContactPhone  string `json:"contact_phone"`
}

func detailsOf(o Organisation) OrganisationDetails {
	return OrganisationDetails{Name: o.Name, CharityNumber: o.CharityNumber, CompanyNumber: o.CompanyNumber, Address: o.Address,
		Postcode: o.Postcode, ContactName: o.ContactName, ContactEmail: o.ContactEmail, ContactPhone: o.ContactPhone}
}

// fields names each detail as the API does, in the order of the page.
func (d OrganisationDetails) fields() [][2]string {
	return [][2]string{{"name", d.Name}, {"charity_number", d.CharityNumber}, {"company_number", d.CompanyNumber},
		{"address", d.Address}, {"postcode", d.Postcode}, {"contact_name", d.ContactName}, {"contact_email", d.ContactEmail},
		{"contact_phone", d.ContactPhone}}
}

// Members lists an organisation's members, by name.
func (s *Store) Members(ctx context.Context, orgID int64) ([]Member, error) {
	list := []Member{}
	err := s.DB.SelectContext(ctx, &list, `SELECT u.id, u.name, u.email FROM users u JOIN organisation_members m ON m.user_id = u.id
		WHERE m.organisation_id = $1 ORDER BY lower(u.name), u.id`, orgID)
	return list, err
}

// MemberInvitations lists an organisation's invitations that can still be used.
func (s *Store) MemberInvitations(ctx context.Context, orgID int64, at time.Time) ([]MemberInvitation, error) {
	list := []MemberInvitation{}
	err := s.DB.SelectContext(ctx, &list, `SELECT t.id, t.email, t.name, COALESCE(u.name, '') AS invited_by, t.created_at, t.expires_at
		FROM account_tokens t LEFT JOIN users u ON u.id = t.created_by
		WHERE t.organisation_id = $1 AND t.purpose = 'member_invitation' AND t.used_at IS NULL AND t.cancelled_at IS NULL AND t.expires_at > $2
		ORDER BY t.created_at, t.id`, orgID, at)
	return list, err
}

// OrganisationHistory lists every change of an organisation's details, newest first.
func (s *Store) OrganisationHistory(ctx context.Context, orgID int64) ([]OrganisationChange, error) {
	var rows []struct {
		OrganisationChange
		RawBefore []byte `db:"before"`
		RawAfter  []byte `db:"after"`
	}
	if err := s.DB.SelectContext(ctx, &rows, `SELECT id, at, by_name, before, after FROM organisation_changes
		WHERE organisation_id = $1 ORDER BY at DESC, id DESC`, orgID); err != nil {
		return nil, err
	}
	list := make([]OrganisationChange, len(rows))
	for i, r := range rows {
		list[i] = r.OrganisationChange
		if err := json.Unmarshal(r.RawBefore, &list[i].Before); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(r.RawAfter, &list[i].After); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// lockMembers locks the organisation's membership and checks that userID is a member.
func lockMembers(ctx context.Context, tx *sqlx.Tx, orgID, userID int64) ([]int64, error) {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT user_id FROM organisation_members WHERE organisation_id = $1 ORDER BY user_id FOR UPDATE`, orgID); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if id == userID {
			return ids, nil
		}
	}
	return ids, ErrNotMember
}

func orgName(ctx context.Context, tx *sqlx.Tx, orgID int64) (string, error) {
	var name string
	err := tx.GetContext(ctx, &name, `SELECT name FROM organisations WHERE id = $1`, orgID)
	return name, notFound(err)
}

// InviteMember e-mails a link to join the organisation (valid for InvitationTTL), recording
// member.invited. An address that is already a member's is ErrDuplicate; a staff account's is
// ErrStaffAccount.
func (s *Store) InviteMember(ctx context.Context, by User, at time.Time, orgID int64, email, name string) (MemberInvitation, error) {
	var inv MemberInvitation
	email = strings.TrimSpace(email)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := lockMembers(ctx, tx, orgID, by.ID); err != nil {
			return err
		}
		org, err := orgName(ctx, tx, orgID)
		if err != nil {
			return err
		}
		var existing struct {
			ID     int64       `db:"id"`
			Role   scheme.Role `db:"role"`
			Member bool        `db:"member"`
		}
		err = tx.GetContext(ctx, &existing, `SELECT u.id, u.role, EXISTS (SELECT 1 FROM organisation_members m WHERE m.user_id = u.id
			AND m.organisation_id = $2) AS member FROM users u WHERE lower(u.email) = lower($1)`, email, orgID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case existing.Member:
			return fmt.Errorf("%s is already a member: %w", email, ErrDuplicate)
		case existing.Role != scheme.RoleApplicant:
			return ErrStaffAccount
		}
		token, t, err := issueAccountToken(ctx, tx, AccountToken{Purpose: PurposeMemberInvitation, OrganisationID: nullID(orgID),
			Email: email, Name: name, CreatedBy: nullID(by.ID), CreatedAt: at}, InvitationTTL)
		if err != nil {
			return err
		}
		greet := name
		if greet == "" {
			greet = "there"
		}
		if err := writeAccountMail(ctx, tx, s.Outbox, AccountMail{Key: fmt.Sprintf("account/member_invitation/%d", t.ID), Kind: PurposeMemberInvitation,
			Name: greet, Email: email, At: at, Expires: t.ExpiresAt, Path: "/join/" + token, LinkText: "Join " + org,
			Message: fmt.Sprintf("%s has invited you to join %s on Grantflow, to apply for funding and manage its grants together. Follow the link below to join: if you have no account yet you will choose a password. The link works once and expires on %s.",
				by.Name, org, londonTime(t.ExpiresAt))}); err != nil {
			return err
		}
		inv = MemberInvitation{ID: t.ID, Email: email, Name: name, InvitedBy: by.Name, CreatedAt: at, ExpiresAt: t.ExpiresAt}
		return recordAdminEvent(ctx, tx, ActorOf(by), at, AdminEvent{Key: fmt.Sprintf("member.invited/%d", t.ID), Action: "member.invited",
			SubjectKind: "organisation", SubjectID: orgID, Subject: org, What: fmt.Sprintf("Invited %s to join", email)}, nil)
	})
	return inv, err
}

// CancelMemberInvitation withdraws an organisation's invitation; its link stops working.
func (s *Store) CancelMemberInvitation(ctx context.Context, by User, at time.Time, orgID, invitationID int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := lockMembers(ctx, tx, orgID, by.ID); err != nil {
			return err
		}
		org, err := orgName(ctx, tx, orgID)
		if err != nil {
			return err
		}
		var email string
		err = tx.GetContext(ctx, &email, `UPDATE account_tokens SET cancelled_at = $3 WHERE id = $1 AND organisation_id = $2
			AND purpose = 'member_invitation' AND used_at IS NULL AND cancelled_at IS NULL RETURNING email`, invitationID, orgID, at)
		if err != nil {
			return notFound(err)
		}
		return recordAdminEvent(ctx, tx, ActorOf(by), at, AdminEvent{Key: fmt.Sprintf("member.invitation_cancelled/%d", invitationID),
			Action: "member.invitation_cancelled", SubjectKind: "organisation", SubjectID: orgID, Subject: org,
			What: fmt.Sprintf("Cancelled the invitation to %s", email)}, nil)
	})
}

// MemberInvitationView is what the page behind an invitation link shows.
type MemberInvitationView struct {
	Organisation  string
	Email         string
	Name          string
	AccountExists bool // the address has an account: the person signs in (or gives its password) to join
}

// MemberInvitationFor reads the invitation a link carries without using it.
func (s *Store) MemberInvitationFor(ctx context.Context, token string, at time.Time) (MemberInvitationView, error) {
	t, err := findAccountToken(ctx, s.DB, token, PurposeMemberInvitation, at)
	if err != nil {
		return MemberInvitationView{}, err
	}
	v := MemberInvitationView{Email: t.Email, Name: t.Name}
	if err := s.DB.GetContext(ctx, &v.Organisation, `SELECT name FROM organisations WHERE id = $1`, t.OrganisationID); err != nil {
		return v, notFound(err)
	}
	err = s.DB.GetContext(ctx, &v.AccountExists, `SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1))`, t.Email)
	return v, err
}

// JoinRequest is how a person joins from an invitation: signed in as the invited address (SignedIn
// is their id), or giving the password of the account that address has, or, when it has none,
// the name and password of the new account.
type JoinRequest struct {
	Token    string
	SignedIn int64
	Name     string
	Password string
}

// AcceptMemberInvitation makes the person a member, once per link, recording member.joined. For a
// new address it creates an applicant account, verified (the link proved the mailbox). A wrong
// password for an existing account is ErrBadCredentials; someone signed in as another address
// is ErrLinkInvalid.
func (s *Store) AcceptMemberInvitation(ctx context.Context, req JoinRequest, at time.Time) (User, Organisation, error) {
	var (
		u   User
		org Organisation
	)
	peek, err := findAccountToken(ctx, s.DB, req.Token, PurposeMemberInvitation, at)
	if err != nil {
		return u, org, err
	}
	existing, err := s.UserByEmail(ctx, peek.Email)
	switch {
	case errors.Is(err, ErrNotFound):
		if req.SignedIn != 0 {
			return u, org, ErrLinkInvalid // signed in as someone else
		}
	case err != nil:
		return u, org, err
	case req.SignedIn == existing.ID:
	case req.SignedIn != 0:
		return u, org, ErrLinkInvalid
	default:
		if bcrypt.CompareHashAndPassword([]byte(existing.PasswordHash), []byte(req.Password)) != nil {
			return u, org, ErrBadCredentials
		}
	}
	if existing.ID != 0 && existing.Role != scheme.RoleApplicant {
		return u, org, ErrStaffAccount
	}
	var newHash string
	if existing.ID == 0 {
		if newHash, err = passwordHash(req.Password); err != nil {
			return u, org, err
		}
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		t, err := useAccountToken(ctx, tx, req.Token, PurposeMemberInvitation, at)
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &org, `SELECT * FROM organisations WHERE id = $1 FOR UPDATE`, t.OrganisationID); err != nil {
			return notFound(err)
		}
		if existing.ID == 0 {
			err := tx.GetContext(ctx, &u, `INSERT INTO users (email, name, role, password_hash, email_verified_at) VALUES ($1,$2,'applicant',$3,$4)
				RETURNING `+userColumns, t.Email, strings.TrimSpace(req.Name), newHash, at)
			if isUniqueViolation(err) {
				return ErrLinkUsed // the address registered meanwhile: following the link again signs them in to join
			}
			if err != nil {
				return err
			}
		} else if err := tx.GetContext(ctx, &u, `UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $1
			RETURNING `+userColumns, existing.ID, at); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO organisation_members (organisation_id, user_id) VALUES ($1,$2) ON CONFLICT DO NOTHING`,
			org.ID, u.ID); err != nil {
			return err
		}
		return recordAdminEvent(ctx, tx, ActorOf(u), at, AdminEvent{Key: fmt.Sprintf("member.joined/%d", t.ID), Action: "member.joined",
			SubjectKind: "organisation", SubjectID: org.ID, Subject: org.Name, What: fmt.Sprintf("%s (%s) joined from an invitation", u.Name, u.Email)}, nil)
	})
	if err != nil {
		return User{}, Organisation{}, err
	}
	u, err = s.User(ctx, u.ID)
	return u, org, err
}

// RemoveMember takes a person out of the organisation: themselves (member.left) or another member
// (member.removed). The last member cannot go.
func (s *Store) RemoveMember(ctx context.Context, by User, at time.Time, orgID, userID int64, why string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		ids, err := lockMembers(ctx, tx, orgID, by.ID)
		if err != nil {
			return err
		}
		found := false
		for _, id := range ids {
			found = found || id == userID
		}
		if !found {
			return ErrNotFound
		}
		if len(ids) <= 1 {
			return ErrLastMember
		}
		org, err := orgName(ctx, tx, orgID)
		if err != nil {
			return err
		}
		var who Member
		if err := tx.GetContext(ctx, &who, `SELECT id, name, email FROM users WHERE id = $1`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM organisation_members WHERE organisation_id = $1 AND user_id = $2`, orgID, userID); err != nil {
			return err
		}
		action, what := "member.removed", fmt.Sprintf("Removed %s (%s)", who.Name, who.Email)
		if userID == by.ID {
			action, what = "member.left", fmt.Sprintf("%s (%s) left", who.Name, who.Email)
		}
		return recordAdminEvent(ctx, tx, ActorOf(by), at, AdminEvent{Key: fmt.Sprintf("%s/%d/%d/%d", action, orgID, userID, at.UnixNano()),
			Action: action, SubjectKind: "organisation", SubjectID: orgID, Subject: org, What: what, Why: why}, nil)
	})
}

// UpdateOrganisation changes the organisation's details, keeping the change (the fields that
// changed, before and after, who and when) in its history and the admin trail. Nothing changed
// records nothing.
func (s *Store) UpdateOrganisation(ctx context.Context, by User, at time.Time, orgID int64, d OrganisationDetails) (Organisation, error) {
	var org Organisation
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := lockMembers(ctx, tx, orgID, by.ID); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &org, `SELECT * FROM organisations WHERE id = $1 FOR UPDATE`, orgID); err != nil {
			return notFound(err)
		}
		before, after := map[string]string{}, map[string]string{}
		old := detailsOf(org).fields()
		var changed []string
		for i, f := range d.fields() {
			if f[1] != old[i][1] {
				before[f[0]], after[f[0]] = old[i][1], f[1]
				changed = append(changed, strings.ReplaceAll(f[0], "_", " "))
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if err := tx.GetContext(ctx, &org, `UPDATE organisations SET name = $2, charity_number = $3, company_number = $4, address = $5,
			postcode = $6, contact_name = $7, contact_email = $8, contact_phone = $9 WHERE id = $1 RETURNING *`, orgID,
			d.Name, d.CharityNumber, d.CompanyNumber, d.Address, d.Postcode, d.ContactName, d.ContactEmail, d.ContactPhone); err != nil {
			return err
		}
		b, _ := json.Marshal(before)
		a, _ := json.Marshal(after)
		var changeID int64
		if err := tx.GetContext(ctx, &changeID, `INSERT INTO organisation_changes (organisation_id, at, by_user_id, by_name, before, after)
			VALUES ($1,$2,$3,$4,$5,$6) RETURNING id`, orgID, at, by.ID, by.Name, b, a); err != nil {
			return err
		}
		return recordAdminEvent(ctx, tx, ActorOf(by), at, AdminEvent{Key: fmt.Sprintf("organisation.updated/%d", changeID),
			Action: "organisation.updated", SubjectKind: "organisation", SubjectID: orgID, Subject: org.Name,
			What: "Changed the " + strings.Join(changed, ", ")}, map[string]any{"before": before, "after": after})
	})
	return org, err
}
