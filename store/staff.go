package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"grantflow/scheme"
)

// Staff accounts: an admin invites a member of staff by e-mail (an account without a password and
// a one-time link to set one), changes their role and band, disables and enables them. Each act
// records its admin_events line in its own transaction; who may act is scheme.Role.ManagesPeople,
// checked by the callers.

// Refusals of acts on staff accounts.
var (
	ErrLastAdmin  = errors.New("this is the last administrator who can sign in: make someone else an administrator first")
	ErrOwnRole    = errors.New("you cannot change your own role or disable your own account: ask another administrator")
	ErrNotInvited = errors.New("this person has already set their password, so there is no invitation to send or cancel")
)

// Staff statuses.
const (
	StatusActive   = "active"
	StatusInvited  = "invited"
	StatusDisabled = "disabled"
)

// StaffMember is one row of "Manage people".
type StaffMember struct {
	ID                int64       `db:"id" json:"id"`
	Email             string      `db:"email" json:"email"`
	Name              string      `db:"name" json:"name"`
	Role              scheme.Role `db:"role" json:"role"`
	BandTitle         string      `db:"band_title" json:"band_title,omitempty"`
	Status            string      `db:"status" json:"status"`
	InvitedAt         *time.Time  `db:"invited_at" json:"invited_at,omitempty"`
	DisabledAt        *time.Time  `db:"disabled_at" json:"disabled_at,omitempty"`
	InvitationExpires *time.Time  `db:"invitation_expires" json:"invitation_expires_at,omitempty"`
	CreatedAt         time.Time   `db:"created_at" json:"created_at"`
}

const staffColumns = `u.id, u.email, u.name, u.role, u.band_title, u.invited_at, u.disabled_at, u.created_at,
	CASE WHEN u.disabled_at IS NOT NULL THEN 'disabled' WHEN u.password_hash = '' THEN 'invited' ELSE 'active' END AS status,
	(SELECT max(t.expires_at) FROM account_tokens t WHERE t.user_id = u.id AND t.purpose = 'staff_invitation'
		AND t.used_at IS NULL AND t.cancelled_at IS NULL) AS invitation_expires`

// Staff lists every staff account (not applicants), by name, read a page at a time.
func (s *Store) Staff(ctx context.Context) ([]StaffMember, error) {
	return everyPage(func(p PageRequest) ([]StaffMember, PageLinks, error) { return s.StaffPage(ctx, "", p) })
}

// keyByName runs a list of people by name (as people sort them, ignoring case), then account.
var keyByName = []keyColumn{{"lower(u.name)", "text"}, {"u.id", "bigint"}}

// staffRow is a staff account with its sort key as PostgreSQL lowers it (Go's lowering of some
// letters differs, and a cursor must be the database's own).
type staffRow struct {
	StaffMember
	SortName string `db:"sort_name"`
}

// StaffPage reads a page of the staff accounts (not applicants), by name, whose name or e-mail
// address contains text (literally; "" for all).
func (s *Store) StaffPage(ctx context.Context, text string, p PageRequest) ([]StaffMember, PageLinks, error) {
	match, args := "TRUE", []any{}
	if pattern := containing(text); pattern != "" {
		args = append(args, pattern)
		match = matchesAny("$1", "u.name", "u.email")
	}
	cond, order, args, err := p.sqlOldestFirst(keyByName, args)
	if err != nil {
		return nil, PageLinks{}, err
	}
	var rows []staffRow
	if err := s.DB.SelectContext(ctx, &rows, `SELECT `+staffColumns+`, lower(u.name) AS sort_name FROM users u
		WHERE u.role <> 'applicant' AND `+match+` AND `+cond+order, args...); err != nil {
		return nil, PageLinks{}, err
	}
	rows, links := finishPage(p, rows, func(r staffRow) []any { return []any{r.SortName, r.ID} })
	list := make([]StaffMember, len(rows))
	for i, r := range rows {
		list[i] = r.StaffMember
	}
	return list, links, nil
}

// StaffMemberByID reads one staff account; an applicant's is ErrNotFound.
func (s *Store) StaffMemberByID(ctx context.Context, id int64) (StaffMember, error) {
	var m StaffMember
	err := s.DB.GetContext(ctx, &m, `SELECT `+staffColumns+` FROM users u WHERE u.id = $1 AND u.role <> 'applicant'`, id)
	return m, notFound(err)
}

// StaffInvitation is who an admin invites.
type StaffInvitation struct {
	Email     string
	Name      string
	Role      scheme.Role
	BandTitle string
	Why       string
}

// InviteStaff creates the account without a password and e-mails a link to set one (valid for
// InvitationTTL), recording user.invited. An address already in use is ErrDuplicate.
func (s *Store) InviteStaff(ctx context.Context, by Actor, at time.Time, inv StaffInvitation) (StaffMember, error) {
	var m StaffMember
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		err := tx.GetContext(ctx, &id, `INSERT INTO users (email, name, role, password_hash, band_title, invited_at)
			VALUES ($1,$2,$3,'',$4,$5) RETURNING id`, strings.TrimSpace(inv.Email), inv.Name, inv.Role, inv.BandTitle, at)
		if isUniqueViolation(err) {
			return fmt.Errorf("e-mail %s: %w", inv.Email, ErrDuplicate)
		}
		if err != nil {
			return err
		}
		if err := s.sendStaffInvitation(ctx, tx, by, at, id, inv.Email, inv.Name, inv.Role); err != nil {
			return err
		}
		what := fmt.Sprintf("Invited %s (%s) as %s", inv.Name, inv.Email, inv.Role.Title())
		if inv.BandTitle != "" {
			what += ", band " + inv.BandTitle
		}
		if err := recordAdminEvent(ctx, tx, by, at, AdminEvent{Key: fmt.Sprintf("user.invited/%d", id), Action: "user.invited",
			SubjectKind: "user", SubjectID: id, Subject: inv.Name, What: what, Why: inv.Why},
			map[string]any{"email": inv.Email, "role": inv.Role, "band_title": inv.BandTitle}); err != nil {
			return err
		}
		return tx.GetContext(ctx, &m, `SELECT `+staffColumns+` FROM users u WHERE u.id = $1`, id)
	})
	return m, err
}

// sendStaffInvitation cancels any earlier link and e-mails a new one.
func (s *Store) sendStaffInvitation(ctx context.Context, tx *sqlx.Tx, by Actor, at time.Time, userID int64, email, name string, role scheme.Role) error {
	if err := cancelAccountTokens(ctx, tx, userID, PurposeStaffInvitation, at); err != nil {
		return err
	}
	token, t, err := issueAccountToken(ctx, tx, AccountToken{Purpose: PurposeStaffInvitation, UserID: sql.NullInt64{Int64: userID, Valid: true},
		Email: email, Name: name, CreatedBy: nullID(by.UserID), CreatedAt: at}, InvitationTTL)
	if err != nil {
		return err
	}
	inviter := by.Name
	if inviter == "" {
		inviter = "An administrator"
	}
	return writeAccountMail(ctx, tx, s.Outbox, AccountMail{Key: fmt.Sprintf("account/staff_invitation/%d", t.ID), Kind: PurposeStaffInvitation,
		Name: name, Email: email, At: at, Expires: t.ExpiresAt, Path: "/invitations/" + token, LinkText: "Set your password",
		Message: fmt.Sprintf("%s has invited you to use Grantflow as %s. Set your password with the link below, then sign in. The link works once and expires on %s.",
			inviter, role.Noun(), londonTime(t.ExpiresAt))})
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// londonTime is how mail states a link's expiry: "9:05pm on 13 December 2026".
func londonTime(t time.Time) string {
	l := t.In(scheme.London)
	return strings.ToLower(l.Format("3:04PM")) + " on " + l.Format("2 January 2006")
}

// invitedStaff locks an invited account (no password yet) for an act on its invitation.
func invitedStaff(ctx context.Context, tx *sqlx.Tx, userID int64) (StaffMember, error) {
	var m StaffMember
	if err := tx.GetContext(ctx, &m, `SELECT `+staffColumns+` FROM users u WHERE u.id = $1 AND u.role <> 'applicant' FOR UPDATE`, userID); err != nil {
		return m, notFound(err)
	}
	if m.Status != StatusInvited {
		return m, ErrNotInvited
	}
	return m, nil
}

// ResendStaffInvitation e-mails a fresh link; the earlier one stops working.
func (s *Store) ResendStaffInvitation(ctx context.Context, by Actor, at time.Time, userID int64) (StaffMember, error) {
	var m StaffMember
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if m, err = invitedStaff(ctx, tx, userID); err != nil {
			return err
		}
		if err := s.sendStaffInvitation(ctx, tx, by, at, m.ID, m.Email, m.Name, m.Role); err != nil {
			return err
		}
		if err := recordAdminEvent(ctx, tx, by, at, AdminEvent{Key: fmt.Sprintf("user.invitation_resent/%d/%d", m.ID, at.UnixNano()),
			Action: "user.invitation_resent", SubjectKind: "user", SubjectID: m.ID, Subject: m.Name,
			What: fmt.Sprintf("Sent %s a new invitation link", m.Email)}, nil); err != nil {
			return err
		}
		return tx.GetContext(ctx, &m, `SELECT `+staffColumns+` FROM users u WHERE u.id = $1`, userID)
	})
	return m, err
}

// CancelStaffInvitation withdraws an invitation: its link stops working and the account, which
// never signed in, is removed.
func (s *Store) CancelStaffInvitation(ctx context.Context, by Actor, at time.Time, userID int64, why string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		m, err := invitedStaff(ctx, tx, userID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM account_tokens WHERE user_id = $1`, m.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1 AND password_hash = ''`, m.ID); err != nil {
			return err
		}
		return recordAdminEvent(ctx, tx, by, at, AdminEvent{Key: fmt.Sprintf("user.invitation_cancelled/%d", m.ID),
			Action: "user.invitation_cancelled", SubjectKind: "user", SubjectID: m.ID, Subject: m.Name,
			What: fmt.Sprintf("Cancelled the invitation to %s (%s)", m.Name, m.Email), Why: why}, nil)
	})
}

// StaffInvitationFor reads the invitation a link carries without using it (the page that asks for
// the password), answering ErrLinkInvalid, ErrLinkUsed or ErrLinkExpired.
func (s *Store) StaffInvitationFor(ctx context.Context, token string, at time.Time) (AccountToken, error) {
	return findAccountToken(ctx, s.DB, token, PurposeStaffInvitation, at)
}

// AcceptStaffInvitation sets the invited person's password from the link, once. Their address is
// verified by it. They then sign in as anyone does.
func (s *Store) AcceptStaffInvitation(ctx context.Context, token, password string, at time.Time) (User, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), passwordCost)
	if err != nil {
		return User{}, fmt.Errorf("password: %w", err)
	}
	var u User
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		t, err := useAccountToken(ctx, tx, token, PurposeStaffInvitation, at)
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &u, `UPDATE users SET password_hash = $2, email_verified_at = $3
			WHERE id = $1 AND password_hash = '' AND disabled_at IS NULL RETURNING `+userColumns, t.UserID, string(hash), at); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrLinkUsed
			}
			return err
		}
		return recordAdminEvent(ctx, tx, ActorOf(u), at, AdminEvent{Key: fmt.Sprintf("user.joined/%d", u.ID), Action: "user.joined",
			SubjectKind: "user", SubjectID: u.ID, Subject: u.Name, What: fmt.Sprintf("%s set their password from the invitation", u.Name)}, nil)
	})
	if err != nil {
		return User{}, err
	}
	return s.User(ctx, u.ID) // with the organisations they belong to
}

// activeAdmins locks the admins who can sign in, for the last-admin rule.
func activeAdmins(ctx context.Context, tx *sqlx.Tx) ([]int64, error) {
	var ids []int64
	err := tx.SelectContext(ctx, &ids, `SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL AND password_hash <> '' ORDER BY id FOR UPDATE`)
	return ids, err
}

// wouldLeaveNoAdmin reports whether taking userID out of the active admins leaves none.
func wouldLeaveNoAdmin(ctx context.Context, tx *sqlx.Tx, userID int64) (bool, error) {
	ids, err := activeAdmins(ctx, tx)
	if err != nil {
		return false, err
	}
	for _, id := range ids {
		if id != userID {
			return false, nil
		}
	}
	return len(ids) > 0, nil
}

// ChangeRole changes a member of staff's role and band title with a reason, recording
// user.role_changed with before and after. Nobody changes their own role, and the last admin
// who can sign in stays one.
func (s *Store) ChangeRole(ctx context.Context, by Actor, at time.Time, userID int64, role scheme.Role, bandTitle, why string) (StaffMember, error) {
	if by.UserID == userID {
		return StaffMember{}, ErrOwnRole
	}
	var m StaffMember
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var before StaffMember
		if err := tx.GetContext(ctx, &before, `SELECT `+staffColumns+` FROM users u WHERE u.id = $1 AND u.role <> 'applicant' FOR UPDATE`, userID); err != nil {
			return notFound(err)
		}
		if before.Role == scheme.RoleAdmin && role != scheme.RoleAdmin {
			last, err := wouldLeaveNoAdmin(ctx, tx, userID)
			if err != nil {
				return err
			}
			if last {
				return ErrLastAdmin
			}
		}
		if before.Role == role && before.BandTitle == bandTitle {
			m = before
			return nil // nothing changes
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $2, band_title = $3 WHERE id = $1`, userID, role, bandTitle); err != nil {
			return err
		}
		what := fmt.Sprintf("Changed %s's role from %s to %s", before.Name, before.Role.Title(), role.Title())
		if before.Role == role {
			what = fmt.Sprintf("Changed %s's band from %q to %q", before.Name, before.BandTitle, bandTitle)
		}
		if err := recordAdminEvent(ctx, tx, by, at, AdminEvent{Key: fmt.Sprintf("user.role_changed/%d/%d", userID, at.UnixNano()),
			Action: "user.role_changed", SubjectKind: "user", SubjectID: userID, Subject: before.Name, What: what, Why: why},
			map[string]any{"before": map[string]any{"role": before.Role, "band_title": before.BandTitle},
				"after": map[string]any{"role": role, "band_title": bandTitle}}); err != nil {
			return err
		}
		return tx.GetContext(ctx, &m, `SELECT `+staffColumns+` FROM users u WHERE u.id = $1`, userID)
	})
	return m, err
}

// DisableUser disables (or enables) an account by id for an admin: disabling ends every session and
// API token at once, as SetDisabled does, and records user.disabled or user.enabled. Nobody
// disables themselves, and the last admin who can sign in is not disabled.
func (s *Store) DisableUser(ctx context.Context, by Actor, at time.Time, userID int64, disabled bool, why string) (StaffMember, error) {
	if disabled && by.UserID == userID {
		return StaffMember{}, ErrOwnRole
	}
	var m StaffMember
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var before StaffMember
		if err := tx.GetContext(ctx, &before, `SELECT `+staffColumns+` FROM users u WHERE u.id = $1 FOR UPDATE`, userID); err != nil {
			return notFound(err)
		}
		if disabled && before.Role == scheme.RoleAdmin {
			last, err := wouldLeaveNoAdmin(ctx, tx, userID)
			if err != nil {
				return err
			}
			if last {
				return ErrLastAdmin
			}
		}
		if (before.Status == StatusDisabled) == disabled {
			m = before
			return nil // already so
		}
		var when any
		action, what := "user.enabled", fmt.Sprintf("Enabled %s's account", before.Name)
		if disabled {
			when = at
			action, what = "user.disabled", fmt.Sprintf("Disabled %s's account, ending every session", before.Name)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = $2 WHERE id = $1`, userID, when); err != nil {
			return err
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, userID); err != nil {
				return err
			}
		}
		if err := recordAdminEvent(ctx, tx, by, at, AdminEvent{Key: fmt.Sprintf("%s/%d/%d", action, userID, at.UnixNano()),
			Action: action, SubjectKind: "user", SubjectID: userID, Subject: before.Name, What: what, Why: why}, nil); err != nil {
			return err
		}
		return tx.GetContext(ctx, &m, `SELECT `+staffColumns+` FROM users u WHERE u.id = $1`, userID)
	})
	return m, err
}
