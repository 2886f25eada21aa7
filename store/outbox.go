package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"grantflow/scheme"
)

// Recipient is a person, or a shared mailbox, that a notification goes to.
type Recipient struct {
	UserID sql.NullInt64 // unset for a mailbox that is nobody's account
	Name   string
	Email  string
	Copied string // why a head of commissioning is copied on the case officer's notice, if they are
}

// NotificationContext is what a message about a notification may say: the notification and the
// application it is about.
type NotificationContext struct {
	Notification
	Title        string
	Organisation string
}

// MailContent is one rendered message.
type MailContent struct {
	Subject string
	Text    string
	HTML    string
	Link    string
}

// Outbox turns a notification into messages: the finance mailbox to copy finance's notices to,
// the composer that renders each recipient's message, and the one that renders a day's digest.
type Outbox struct {
	FinanceMailbox string
	Compose        func(NotificationContext, Recipient) (MailContent, error)
	ComposeDigest  func(Digest) (MailContent, error)
	// ComposeAccount renders a message about a person's own account (account_tokens.go); a plain
	// one when nil.
	ComposeAccount func(AccountMail) (MailContent, error)
	ComposeRound   func(RoundNotice, Recipient) (MailContent, error) // a round's opening or closing, to its scheme's subscribers
}

// Audiences of notifications. Staff audiences name a role; "user:<id>" names one person; audiences
// joined with "+" (e.g. "officer+finance") reach everyone each of them reaches, once.
const (
	AudienceApplicant = "applicant"
	AudienceFinance   = "finance"
	AudienceOfficer   = "officer"
	audienceUser      = "user:"
	audienceAnd       = "+"
)

// Kinds of notification that the heads of commissioning are copied on when the case officer is
// away or has not acted on the application lately (see recipients).
const (
	KindEscalation       = "escalation"         // something is overdue or has gone wrong
	KindReady            = "ready_for_you"      // something waits on the case officer: moderation, a report or return to review
	KindReadyForDecision = "ready_for_decision" // a decision waits (on the case officer when the band is an officer's)
)

// copiesHeads says whether a kind is one the heads are copied on: an escalation, or something
// ready for the case officer or for a decision.
func copiesHeads(kind string) bool {
	return kind == KindEscalation || kind == KindReady || kind == KindReadyForDecision
}

// Notify records a notification once per key and, in the same transaction, one message per
// recipient, so a retried activity writes neither twice and a notification never exists without
// its messages.
func (s *Store) Notify(ctx context.Context, n Notification) error {
	ob := s.Outbox
	if ob.Compose == nil {
		return errors.New("notify: the outbox has no composer")
	}
	return s.inTx(ctx, notifyTx(ctx, n, ob))
}

// notifyTx is Notify's work inside a transaction the caller holds: the moment a fact is recorded
// (tellAbout) writes its notifications through it in the fact's own transaction.
func notifyTx(ctx context.Context, n Notification, ob Outbox) func(tx *sqlx.Tx) error {
	return func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO notifications (key, application_id, audience, kind, message, created_at)
			VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (key) DO NOTHING`, n.Key, n.ApplicationID, n.Audience, n.Kind, n.Message, n.CreatedAt)
		if err != nil {
			return err
		}
		if rows, _ := res.RowsAffected(); rows == 0 {
			return nil // recorded before, with its messages
		}
		nc := NotificationContext{Notification: n}
		if err := tx.QueryRowxContext(ctx, `SELECT a.title, o.name FROM applications a JOIN organisations o ON o.id = a.organisation_id
			WHERE a.id = $1`, n.ApplicationID).Scan(&nc.Title, &nc.Organisation); err != nil {
			return fmt.Errorf("notify %s: application %d: %w", n.Key, n.ApplicationID, notFound(err))
		}
		recipients, err := recipients(ctx, tx, n, ob.FinanceMailbox)
		if err != nil {
			return fmt.Errorf("notify %s: recipients: %w", n.Key, err)
		}
		for _, r := range recipients {
			m, err := ob.Compose(nc, r)
			if err != nil {
				return fmt.Errorf("notify %s: compose for %s: %w", n.Key, r.Email, err)
			}
			// Someone who takes a daily digest has the message held for it (status 'digest', which the
			// sender never claims); it is in their in-app list at once either way. Their row is locked
			// (FOR SHARE) so a switch back to e-mail, which releases what is held, waits for this
			// message rather than missing it.
			if _, err := tx.ExecContext(ctx, `INSERT INTO messages (notification_key, user_id, address, subject, body_text, body_html, link, created_at, status)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8, CASE WHEN (SELECT notify_by FROM users WHERE id = $2 FOR SHARE) = '`+NotifyByDailyDigest+`'
					THEN 'digest' ELSE 'pending' END) ON CONFLICT (notification_key, address) DO NOTHING`,
				n.Key, r.UserID, strings.ToLower(r.Email), m.Subject, m.Text, m.HTML, m.Link, n.CreatedAt); err != nil {
				return err
			}
		}
		return nil
	}
}

// recipients is the one place that says who an audience is:
//   - the applicant: every member of the applying organisation;
//   - finance: every user with the finance role, and the finance mailbox when one is configured;
//   - officer: the application's case officer; when it has none (or its case officer may not be
//     told: no longer staff, a member of the applying organisation, or conflicted in it), every
//     commissioning officer.
//     Escalations and "ready for you" or "ready for a decision" notices go to every head of
//     commissioning as well when the case officer is away (their away_until is on or after the
//     notification's date in London) or has neither acted on the application (a line of its
//     history by them) nor become its case officer within the escalation period (Rules.EscalationPeriod of the rules the application
//     was submitted under, else its scheme's) before the notification;
//   - any other staff role (head_of_commissioning, ...): every user with that role;
//   - "user:<id>": that person (a panel member), if they are staff;
//   - audiences joined with "+" (e.g. "officer+finance"): everyone each reaches,
//     once; the applicant is never joined with staff.
//
// Staff audiences never reach a member of the applying organisation, so an applicant never
// receives staff-only content (scores, conflicts, panel names) even when they also hold a staff role.
func recipients(ctx context.Context, tx *sqlx.Tx, n Notification, financeMailbox string) ([]Recipient, error) {
	if parts := strings.Split(n.Audience, audienceAnd); len(parts) > 1 {
		var list []Recipient
		seen := map[string]bool{}
		for _, part := range parts {
			if part == AudienceApplicant {
				return nil, fmt.Errorf("audience %q joins the applicant with staff", n.Audience)
			}
			one := n
			one.Audience = part
			some, err := recipients(ctx, tx, one, financeMailbox)
			if err != nil {
				return nil, err
			}
			for _, r := range some {
				if address := strings.ToLower(r.Email); !seen[address] {
					seen[address] = true
					list = append(list, r)
				}
			}
		}
		return list, nil
	}
	// Staff are told of an application only when they are neither members of the applying
	// organisation nor conflicted in it.
	const notMember = ` AND NOT EXISTS (SELECT 1 FROM organisation_members m JOIN applications a ON a.organisation_id = m.organisation_id
		WHERE a.id = $1 AND m.user_id = u.id)
		AND NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.application_id = $1 AND c.user_id = u.id AND c.has_conflict)`
	var (
		list []Recipient
		err  error
	)
	scan := func(query string, args ...any) error {
		rows, err := tx.QueryContext(ctx, query+` ORDER BY u.id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Recipient
			if err := rows.Scan(&r.UserID, &r.Name, &r.Email); err != nil {
				return err
			}
			list = append(list, r)
		}
		return rows.Err()
	}
	everyone := func(role scheme.Role) error {
		return scan(`SELECT u.id, u.name, u.email FROM users u WHERE $1 > 0 AND u.role = $2`+notMember, n.ApplicationID, string(role))
	}
	switch audience := n.Audience; {
	case audience == AudienceApplicant:
		err = scan(`SELECT u.id, u.name, u.email FROM users u JOIN organisation_members m ON m.user_id = u.id
			JOIN applications a ON a.organisation_id = m.organisation_id WHERE a.id = $1`, n.ApplicationID)
	case strings.HasPrefix(audience, audienceUser):
		id, perr := strconv.ParseInt(strings.TrimPrefix(audience, audienceUser), 10, 64)
		if perr != nil {
			return nil, fmt.Errorf("audience %q names no user", audience)
		}
		err = scan(`SELECT u.id, u.name, u.email FROM users u WHERE $1 > 0 AND u.id = $2 AND u.role <> 'applicant'`+notMember, n.ApplicationID, id)
	case audience == AudienceOfficer:
		var co caseOfficerState
		if co, err = caseOfficerOf(ctx, tx, n); err != nil {
			return nil, err
		}
		if co.ID.Valid {
			err = scan(`SELECT u.id, u.name, u.email FROM users u WHERE $1 > 0 AND u.id = $2 AND u.role <> 'applicant'`+notMember, n.ApplicationID, co.ID)
		}
		switch {
		case err != nil:
		case len(list) == 0: // nobody looks after it (or its case officer may no longer be told)
			err = everyone(scheme.RoleOfficer)
		case copiesHeads(n.Kind) && (co.Away || !co.ActedLately):
			caseOfficer := list[0].Name
			err = scan(`SELECT u.id, u.name, u.email FROM users u WHERE $1 > 0 AND u.role = $2 AND u.id <> $3`+notMember,
				n.ApplicationID, string(scheme.RoleHeadOfCommissioning), co.ID)
			why := fmt.Sprintf("You are copied because the case officer, %s, is away.", caseOfficer)
			if !co.Away {
				why = fmt.Sprintf("You are copied because the case officer, %s, has not acted on it for %d days.", caseOfficer, co.Period)
			}
			for i := 1; i < len(list); i++ {
				list[i].Copied = why
			}
		}
	default:
		role := scheme.Role(audience)
		if !role.IsStaff() || role == scheme.RoleSystem {
			return nil, fmt.Errorf("audience %q is not a staff role", audience)
		}
		err = everyone(role)
		if err == nil && role == scheme.RoleFinance && financeMailbox != "" {
			list = append(list, Recipient{Name: "Finance", Email: financeMailbox})
		}
	}
	return list, err
}

// caseOfficerState is what recipients needs to know of an application's case officer when a
// notification is recorded.
type caseOfficerState struct {
	ID          sql.NullInt64 `db:"case_officer_id"` // unset when nobody looks after it
	Away        bool          `db:"away"`            // away on the notification's date
	ActedLately bool          `db:"acted_lately"`    // a line of the history within the escalation period
	Period      int           `db:"-"`               // the escalation period, in days
}

func caseOfficerOf(ctx context.Context, tx *sqlx.Tx, n Notification) (caseOfficerState, error) {
	var raw []byte
	if err := tx.GetContext(ctx, &raw, `SELECT COALESCE(a.submitted_rules, s.rules) FROM applications a JOIN schemes s ON s.id = a.scheme_id
		WHERE a.id = $1`, n.ApplicationID); err != nil {
		return caseOfficerState{}, fmt.Errorf("rules of application %d: %w", n.ApplicationID, notFound(err))
	}
	var rules scheme.Rules
	if err := json.Unmarshal(raw, &rules); err != nil {
		return caseOfficerState{}, fmt.Errorf("rules of application %d: %w", n.ApplicationID, err)
	}
	var co caseOfficerState
	err := tx.GetContext(ctx, &co, `SELECT a.case_officer_id, COALESCE(u.away_until >= $2::date, false) AS away,
			EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = a.id AND e.actor_user_id = a.case_officer_id
				AND e.at >= $3) OR COALESCE(a.case_officer_since >= $3, false) AS acted_lately
		FROM applications a LEFT JOIN users u ON u.id = a.case_officer_id WHERE a.id = $1`,
		n.ApplicationID, n.CreatedAt.In(scheme.London).Format(time.DateOnly), n.CreatedAt.AddDate(0, 0, -rules.EscalationPeriod()))
	co.Period = rules.EscalationPeriod()
	return co, notFound(err)
}

// OutboxMessage is a message waiting to be sent, as the sender claims it.
type OutboxMessage struct {
	ID              int64     `db:"id"`
	NotificationKey string    `db:"notification_key"`
	Address         string    `db:"address"`
	Subject         string    `db:"subject"`
	Text            string    `db:"body_text"`
	HTML            string    `db:"body_html"`
	CreatedAt       time.Time `db:"created_at"`
	Attempts        int       `db:"attempts"`
	ClaimToken      string    `db:"claim_token"`
}

// ClaimMessages leases up to limit pending messages that are due to this sender for lease. Rows
// another sender holds are skipped, not waited for; a lease that ran out (its sender died) is
// claimed again, so a message is never stranded.
func (s *Store) ClaimMessages(ctx context.Context, limit int, lease time.Duration) ([]OutboxMessage, error) {
	list := []OutboxMessage{}
	err := s.DB.SelectContext(ctx, &list, `UPDATE messages SET claimed_until = now() + make_interval(secs => $2),
			claim_token = gen_random_uuid(), attempts = attempts + 1
		WHERE id IN (SELECT id FROM messages WHERE status = 'pending' AND next_attempt_at <= now()
			AND (claimed_until IS NULL OR claimed_until < now()) ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
		RETURNING id, notification_key, address, subject, body_text, body_html, created_at, attempts, claim_token`,
		limit, lease.Seconds())
	return list, err
}

// MarkSent records that the server accepted the message, with its answer. Only the claim's holder
// records; once sent, a message is never claimed again. The commit does not wait for the disk
// (synchronous_commit off, for this transaction only): a record lost in a database crash means the
// message is sent again after its lease, with the same Message-ID, which the design already
// tolerates for a sender that dies before recording; waiting for the disk on every message
// would cost far more than that rare resend.
func (s *Store) MarkSent(ctx context.Context, m OutboxMessage, response string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE messages SET status = 'sent', sent_at = now(), server_response = $3,
			claimed_until = NULL WHERE id = $1 AND claim_token = $2 AND status = 'pending'`, m.ID, m.ClaimToken, response)
		return err
	})
}

// MarkRetry releases the claim after a temporary failure: the message is tried again after wait.
func (s *Store) MarkRetry(ctx context.Context, m OutboxMessage, response string, wait time.Duration) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE messages SET server_response = $3, claimed_until = NULL,
		next_attempt_at = now() + make_interval(secs => $4) WHERE id = $1 AND claim_token = $2 AND status = 'pending'`,
		m.ID, m.ClaimToken, response, wait.Seconds())
	return err
}

// MarkFailed records a permanent failure (or too many attempts) with the server's answer.
func (s *Store) MarkFailed(ctx context.Context, m OutboxMessage, response string) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE messages SET status = 'failed', server_response = $3, claimed_until = NULL
		WHERE id = $1 AND claim_token = $2 AND status = 'pending'`, m.ID, m.ClaimToken, response)
	return err
}

// MessageStatus is a message's delivery record.
type MessageStatus struct {
	ID              int64      `db:"id"`
	NotificationKey string     `db:"notification_key"`
	Address         string     `db:"address"`
	Status          string     `db:"status"`
	Attempts        int        `db:"attempts"`
	SentAt          *time.Time `db:"sent_at"`
	ServerResponse  string     `db:"server_response"`
}

// MessageStatuses lists every message's delivery record, oldest first (tests and operators).
func (s *Store) MessageStatuses(ctx context.Context) ([]MessageStatus, error) {
	list := []MessageStatus{}
	err := s.DB.SelectContext(ctx, &list, `SELECT id, notification_key, address, status, attempts, sent_at, server_response
		FROM messages ORDER BY id`)
	return list, err
}

// InboxItem is one of a person's in-app notifications.
type InboxItem struct {
	ID            int64      `db:"id" json:"id"`
	ApplicationID int64      `db:"application_id" json:"application_id"`
	Kind          string     `db:"kind" json:"kind"`
	Subject       string     `db:"subject" json:"subject"`
	Message       string     `db:"message" json:"message"`
	Link          string     `db:"link" json:"link"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	ReadAt        *time.Time `db:"read_at" json:"read_at,omitempty"`
}

// Inbox lists the user's own notifications, newest first: the latest limit of them.
func (s *Store) Inbox(ctx context.Context, userID int64, limit int) ([]InboxItem, error) {
	list, _, err := s.InboxPage(ctx, userID, PageRequest{Size: limit})
	return list, err
}

// InboxPage is one page of the user's own notifications, newest first. A daily digest is e-mail
// only: what it gathers is in the list already.
func (s *Store) InboxPage(ctx context.Context, userID int64, p PageRequest) ([]InboxItem, PageLinks, error) {
	cond, order, args, err := p.sql(qualified(keyByTimeID, "m", "m.created_at"), []any{userID})
	if err != nil {
		return nil, PageLinks{}, err
	}
	list := []InboxItem{}
	if err := s.DB.SelectContext(ctx, &list, `SELECT m.id, COALESCE(n.application_id, 0) AS application_id, n.kind, m.subject, n.message, m.link, m.created_at, m.read_at
		FROM messages m JOIN notifications n ON n.key = m.notification_key
		WHERE m.user_id = $1 AND n.kind <> '`+KindDigest+`' AND `+cond+order, args...); err != nil {
		return nil, PageLinks{}, err
	}
	list, links := finishPage(p, list, func(i InboxItem) []any { return []any{i.CreatedAt, i.ID} })
	return list, links, nil
}

// UnreadCount is how many of the user's notifications they have not marked as read.
func (s *Store) UnreadCount(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.DB.GetContext(ctx, &n, `SELECT count(*) FROM messages m JOIN notifications n ON n.key = m.notification_key
		WHERE m.user_id = $1 AND m.read_at IS NULL AND n.kind <> '`+KindDigest+`'`, userID)
	return n, err
}

// MarkRead marks one of the user's own notifications as read; another person's is ErrNotFound.
func (s *Store) MarkRead(ctx context.Context, userID, messageID int64, at time.Time) error {
	res, err := s.DB.ExecContext(ctx, `UPDATE messages SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND user_id = $2`,
		messageID, userID, at)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
