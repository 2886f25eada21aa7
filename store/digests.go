package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"grantflow/scheme"
)

// How a person is told of their notifications (users.notify_by).
const (
	NotifyByEmail       = "email"        // each message as it happens
	NotifyByDailyDigest = "daily_digest" // held for one e-mail a day, with their queue (staff only)
)

// KindDigest is the kind of a day's digest notification; it is about no one application.
const KindDigest = "digest"

// NotificationSettings is how a person is told, and until when they are away (a date in London).
type NotificationSettings struct {
	NotifyBy  string     `db:"notify_by"`
	AwayUntil *time.Time `db:"away_until"`
}

// NotificationSettings reads the person's settings.
func (s *Store) NotificationSettings(ctx context.Context, userID int64) (NotificationSettings, error) {
	var ns NotificationSettings
	err := s.DB.GetContext(ctx, &ns, `SELECT notify_by, away_until FROM users WHERE id = $1`, userID)
	return ns, notFound(err)
}

// SaveNotificationSettings records the person's settings; who may choose what is the caller's check
// (workflows' rule book). The away date is kept as a calendar day. Someone who goes back to e-mail
// has whatever was held for their digest sent now, as it would never be gathered.
func (s *Store) SaveNotificationSettings(ctx context.Context, userID int64, ns NotificationSettings) error {
	var away any
	if ns.AwayUntil != nil {
		away = ns.AwayUntil.Format(time.DateOnly)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET notify_by = $2, away_until = $3::date WHERE id = $1`, userID, ns.NotifyBy, away)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if ns.NotifyBy == NotifyByDailyDigest {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE messages SET status = 'pending' WHERE user_id = $1 AND status = 'digest'`, userID)
		return err
	})
}

// DigestTakers lists the staff who take a daily digest, by id.
func (s *Store) DigestTakers(ctx context.Context) ([]User, error) {
	list := []User{}
	err := s.DB.SelectContext(ctx, &list, `SELECT id, email, name, role FROM users
		WHERE notify_by = $1 AND role <> $2 ORDER BY id`, NotifyByDailyDigest, string(scheme.RoleApplicant))
	return list, err
}

// QueueItem is one application waiting on a member of staff.
type QueueItem struct {
	ApplicationID int64     `db:"id"`
	Title         string    `db:"title"`
	Organisation  string    `db:"organisation"`
	Stage         string    `db:"status"`
	Since         time.Time `db:"-"` // when it reached its stage
}

// CaseOfficerQueue lists the applications the person is case officer of that are at one of the
// stages, longest waiting first.
func (s *Store) CaseOfficerQueue(ctx context.Context, userID int64, stages []string) ([]QueueItem, error) {
	list := []QueueItem{}
	if err := s.DB.SelectContext(ctx, &list, `SELECT a.id, a.title, o.name AS organisation, a.status
		FROM applications a JOIN organisations o ON o.id = a.organisation_id
		WHERE a.case_officer_id = $1 AND a.status = ANY($2) ORDER BY a.id`, userID, pq.StringArray(stages)); err != nil {
		return nil, err
	}
	ids := make([]int64, len(list))
	for i, q := range list {
		ids[i] = q.ApplicationID
	}
	since, err := s.StageSince(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Since = since[list[i].ApplicationID]
	}
	slices.SortStableFunc(list, func(a, b QueueItem) int { return a.Since.Compare(b.Since) })
	return list, nil
}

// HeldMessage is a message held for a digest.
type HeldMessage struct {
	ID      int64  `db:"id"`
	Subject string `db:"subject"`
	Link    string `db:"link"`
}

// Digest is what one person's digest for a day carries.
type Digest struct {
	Key       string // digest/<user id>/<day>
	Day       time.Time
	Recipient Recipient
	Held      []HeldMessage // oldest first
	Queue     []QueueItem
}

// DigestKey names one person's digest for a day (in London), so a day's digest is written once.
func DigestKey(userID int64, day time.Time) string {
	return fmt.Sprintf("digest/%d/%s", userID, day.Format(time.DateOnly))
}

// WriteDigest writes the person's digest for the day, once: in one transaction, the digest
// notification and its message (pending, for the sender) and the held messages it carries marked
// 'digested' with its id. A digest already written for that day, or one with nothing to say (no
// held messages and an empty queue), writes nothing; written reports whether this call wrote it.
func (s *Store) WriteDigest(ctx context.Context, u User, day time.Time, queue []QueueItem, ob Outbox) (written bool, err error) {
	if ob.ComposeDigest == nil {
		return false, errors.New("digest: the outbox has no digest composer")
	}
	d := Digest{Key: DigestKey(u.ID, day), Day: day, Recipient: Recipient{UserID: sql.NullInt64{Int64: u.ID, Valid: true}, Name: u.Name, Email: u.Email},
		Queue: queue}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The key is claimed first: a second run waits here for the first to commit, then finds it.
		res, err := tx.ExecContext(ctx, `INSERT INTO notifications (key, application_id, audience, kind, message, created_at)
			VALUES ($1, NULL, $2, $3, '', now()) ON CONFLICT (key) DO NOTHING`, d.Key, fmt.Sprintf("%s%d", audienceUser, u.ID), KindDigest)
		if err != nil {
			return err
		}
		if rows, _ := res.RowsAffected(); rows == 0 {
			return nil
		}
		if err := tx.SelectContext(ctx, &d.Held, `SELECT id, subject, link FROM messages WHERE user_id = $1 AND status = 'digest'
			ORDER BY created_at, id FOR UPDATE`, u.ID); err != nil {
			return err
		}
		if len(d.Held) == 0 && len(d.Queue) == 0 {
			return errNothingToDigest // rolls the key back: a later run that day may yet have something
		}
		m, err := ob.ComposeDigest(d)
		if err != nil {
			return fmt.Errorf("digest %s: compose: %w", d.Key, err)
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO messages (notification_key, user_id, address, subject, body_text, body_html, link)
			VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`, d.Key, u.ID, strings.ToLower(u.Email), m.Subject, m.Text, m.HTML, m.Link); err != nil {
			return err
		}
		ids := make([]int64, len(d.Held))
		for i, h := range d.Held {
			ids[i] = h.ID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET status = 'digested', digest_id = $2 WHERE id = ANY($1)`, pq.Int64Array(ids), id); err != nil {
			return err
		}
		written = true
		return nil
	})
	if errors.Is(err, errNothingToDigest) {
		return false, nil
	}
	return written, err
}

var errNothingToDigest = errors.New("nothing to digest")
