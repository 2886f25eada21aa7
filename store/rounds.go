package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"grantflow/money"
	"grantflow/scheme"
)

// Refusals of acts on a round that its state forbids (answered 409).
var (
	ErrRoundNotOpen = errors.New("the round has not opened yet")
	ErrRoundClosed  = errors.New("the round has already closed")
)

// Round states as pages and the API name them.
const (
	RoundScheduled = "scheduled" // not yet open
	RoundOpen      = "open"
	RoundClosed    = "closed" // closed, drafts may still be submitted within the grace period
	RoundLocked    = "locked" // closed and its drafts locked
)

// State is the round's state at now.
func (r Round) State(now time.Time) string {
	switch {
	case r.DraftsLockedAt != nil:
		return RoundLocked
	case now.Before(r.OpensAt):
		return RoundScheduled
	case now.Before(r.ClosesAt):
		return RoundOpen
	}
	return RoundClosed
}

// LocksAt is when the round's drafts are locked: its closing time plus the scheme's grace period.
func (r Round) LocksAt(rules scheme.Rules) time.Time { return r.ClosesAt.Add(rules.DraftGrace()) }

// DraftLocked reports whether a draft of this round can no longer be changed or submitted at now:
// its drafts were locked, or the grace period after closing has ended (the round's workflow locks
// them then; this holds even before it has). The one rule of the lock.
func (r Round) DraftLocked(rules scheme.Rules, now time.Time) bool {
	return r.DraftsLockedAt != nil || !now.Before(r.LocksAt(rules))
}

// draftLocked reads whether the application's draft is locked, through q: the caller's
// transaction when it holds one (a second connection from inside a transaction can exhaust the
// pool when many wait at once), else the pool.
func draftLocked(ctx context.Context, q sqlx.QueryerContext, applicationID int64) (bool, error) {
	var locked bool
	err := sqlx.GetContext(ctx, q, &locked, `SELECT draft_locked_at IS NOT NULL FROM applications WHERE id = $1`, applicationID)
	return locked, notFound(err)
}

// CreateRound records a new round of a scheme with an admin event (round.opened), and calls start
// with it inside the same transaction (the API starts the round's workflow there), so a round never
// exists without its timers. A round of the same name in the scheme is ErrDuplicate.
func (s *Store) CreateRound(ctx context.Context, r Round, by Actor, at time.Time, start func(Round) error) (Round, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var sc Scheme
		if err := tx.GetContext(ctx, &sc, `SELECT * FROM schemes WHERE id = $1 FOR SHARE`, r.SchemeID); err != nil {
			return fmt.Errorf("scheme %d: %w", r.SchemeID, notFound(err))
		}
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM rounds WHERE scheme_id = $1 AND lower(name) = lower($2))`, r.SchemeID, r.Name); err != nil {
			return err
		}
		if exists {
			return fmt.Errorf("a round called %q: %w", r.Name, ErrDuplicate)
		}
		if err := tx.QueryRowxContext(ctx, `INSERT INTO rounds (scheme_id, name, opens_at, closes_at, guidance, budget_pence, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`, r.SchemeID, r.Name, r.OpensAt, r.ClosesAt, r.Guidance, r.Budget, at).Scan(&r.ID); err != nil {
			return err
		}
		r.CreatedAt = at
		what := fmt.Sprintf("Round %q of %s set to open %s and close %s", r.Name, sc.Name, londonTime(r.OpensAt), londonTime(r.ClosesAt))
		if r.Budget != nil {
			what += fmt.Sprintf(", with a round budget of %s", *r.Budget)
		}
		if err := recordAdminEvent(ctx, tx, by, at, AdminEvent{Key: fmt.Sprintf("round/%d/opened", r.ID), Action: "round.opened",
			SubjectKind: "round", SubjectID: r.ID, Subject: sc.Name + ": " + r.Name, What: what}, roundDetails(r)); err != nil {
			return err
		}
		if start == nil {
			return nil
		}
		if err := start(r); err != nil {
			return fmt.Errorf("start the timers of round %d: %w", r.ID, err)
		}
		wid := RoundWorkflowID(r.ID)
		r.WorkflowID = &wid
		_, err := tx.ExecContext(ctx, `UPDATE rounds SET workflow_id = $2 WHERE id = $1`, r.ID, wid)
		return err
	})
	return r, err
}

// RoundWorkflowID is the one workflow a round's timers run in (workflows.RoundWorkflowID says the same).
func RoundWorkflowID(roundID int64) string { return fmt.Sprintf("round-%d", roundID) }

func roundDetails(r Round) map[string]any {
	d := map[string]any{"opens_at": r.OpensAt, "closes_at": r.ClosesAt, "guidance": r.Guidance}
	if r.Budget != nil {
		d["budget_pence"] = *r.Budget
	}
	return d
}

// MoveRoundClose closes a round early (closes at at) or extends it (closes later), with the
// reason, recording round.closed_early or round.extended. move is called inside the transaction
// with the round as changed (the API moves the workflow's timer there), so the row and the timer
// agree or neither changes. An early close of a round not yet open is ErrRoundNotOpen; any move
// of a round already closed is ErrRoundClosed.
func (s *Store) MoveRoundClose(ctx context.Context, id int64, closes time.Time, early bool, reason string, by Actor, at time.Time, move func(Round) error) (Round, error) {
	var r Round
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &r, `SELECT * FROM rounds WHERE id = $1 FOR UPDATE`, id); err != nil {
			return notFound(err)
		}
		var name string
		if err := tx.GetContext(ctx, &name, `SELECT name FROM schemes WHERE id = $1`, r.SchemeID); err != nil {
			return err
		}
		switch {
		case !at.Before(r.ClosesAt):
			return fmt.Errorf("%w (%s)", ErrRoundClosed, londonTime(r.ClosesAt))
		case early && at.Before(r.OpensAt):
			return fmt.Errorf("%w (it opens %s); change its dates instead", ErrRoundNotOpen, londonTime(r.OpensAt))
		}
		before := r.ClosesAt
		r.ClosesAt = closes
		action, what := "round.extended", fmt.Sprintf("Round %q extended from %s to %s", r.Name, londonTime(before), londonTime(closes))
		if early {
			r.ClosedEarly, r.CloseReason = true, reason
			action, what = "round.closed_early", fmt.Sprintf("Round %q closed early at %s (it was to close %s)", r.Name, londonTime(closes), londonTime(before))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rounds SET closes_at = $2, closed_early = $3, close_reason = $4 WHERE id = $1`,
			r.ID, r.ClosesAt, r.ClosedEarly, r.CloseReason); err != nil {
			return err
		}
		if err := recordAdminEvent(ctx, tx, by, at, AdminEvent{Key: fmt.Sprintf("round/%d/%s/%d", r.ID, action, at.UnixNano()), Action: action,
			SubjectKind: "round", SubjectID: r.ID, Subject: name + ": " + r.Name, What: what, Why: reason},
			map[string]any{"closes_at_before": before, "closes_at_after": closes}); err != nil {
			return err
		}
		if !early && s.Outbox.ComposeRound != nil { // subscribers were told the old closing time when it opened
			n := RoundNotice{Key: fmt.Sprintf("round/%d/extended/%d", r.ID, closes.Unix()), Kind: KindRoundExtended, RoundID: r.ID, SchemeID: r.SchemeID,
				Scheme: name, Round: r.Name, CreatedAt: at,
				Message: fmt.Sprintf("The funding round %q of %s now closes at %s (it was to close at %s).", r.Name, name, londonTime(closes), londonTime(before))}
			if _, err := tellSubscribersTx(ctx, tx, s.Outbox, n, r.SchemeID); err != nil {
				return err
			}
		}
		if move == nil {
			return nil
		}
		return move(r)
	})
	return r, err
}

// SchemeOfRound reads the scheme a round belongs to.
func (s *Store) SchemeOfRound(ctx context.Context, roundID int64) (Scheme, error) {
	r, err := s.Round(ctx, roundID)
	if err != nil {
		return Scheme{}, err
	}
	return s.Scheme(ctx, r.SchemeID)
}

// RoundDrafts lists the ids of a round's drafts that are not locked.
func (s *Store) RoundDrafts(ctx context.Context, roundID int64) ([]int64, error) {
	ids := []int64{}
	err := s.DB.SelectContext(ctx, &ids, `SELECT id FROM applications WHERE round_id = $1 AND status = 'draft' ORDER BY id`, roundID)
	return ids, err
}

// LockRoundDrafts locks every draft of the round (they can no longer be changed or submitted) and
// tells each applicant organisation, once: a second call locks and tells nobody again. A draft
// whose submission is under way waits for it (row locks), so each is either submitted or locked.
func (s *Store) LockRoundDrafts(ctx context.Context, roundID int64, at time.Time) (locked int, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var r Round
		if err := tx.GetContext(ctx, &r, `SELECT * FROM rounds WHERE id = $1 FOR UPDATE`, roundID); err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rounds SET drafts_locked_at = COALESCE(drafts_locked_at, $2) WHERE id = $1`, roundID, at); err != nil {
			return err
		}
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `UPDATE applications SET draft_locked_at = $2, updated_at = now()
			WHERE round_id = $1 AND status = 'draft' AND workflow_id IS NULL AND draft_locked_at IS NULL RETURNING id`, roundID, at); err != nil {
			return err
		}
		locked = len(ids)
		if s.Outbox.Compose == nil {
			return nil
		}
		for _, app := range ids {
			n := Notification{Key: fmt.Sprintf("round/%d/locked/application/%d", roundID, app), ApplicationID: app, Audience: AudienceApplicant,
				Kind: KindDraftLocked, CreatedAt: at, Message: fmt.Sprintf("The funding round %q closed at %s and the time allowed after it has ended, "+
					"so your draft application can no longer be changed or submitted.", r.Name, londonTime(r.ClosesAt))}
			if err := notifyTx(ctx, n, s.Outbox)(tx); err != nil {
				return err
			}
		}
		return nil
	})
	return locked, err
}

// Kinds of notification about rounds.
const (
	KindRoundOpened   = "round_opened"       // to subscribers
	KindRoundClosed   = "round_closed"       // to subscribers
	KindRoundExtended = "round_extended"     // to subscribers: a later closing time
	KindDraftClosing  = "round_closed_draft" // to an organisation with a draft in the round as it closes
	KindDraftLocked   = "draft_locked"       // to an organisation whose draft was locked
)

// RoundNotice is a notification about a round rather than an application: its opening or closing,
// to the people subscribed to the scheme's rounds.
type RoundNotice struct {
	Key, Kind, Message string
	RoundID, SchemeID  int64
	Scheme, Round      string
	CreatedAt          time.Time
}

// TellRoundSubscribers tells everyone subscribed to the round's scheme that it opened or closed
// (kind KindRoundOpened or KindRoundClosed), once per round and kind; it returns how many were told
// by this call. As the round closes (KindRoundClosed) it also tells every organisation with a draft in
// it, once each, by when the draft must be submitted.
func (s *Store) TellRoundSubscribers(ctx context.Context, roundID int64, kind string, at time.Time) (told int, err error) {
	if kind != KindRoundOpened && kind != KindRoundClosed {
		return 0, fmt.Errorf("round notice: unknown kind %q", kind)
	}
	ob := s.Outbox
	if ob.Compose == nil || ob.ComposeRound == nil {
		return 0, errors.New("round notice: the outbox has no composer")
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var r Round
		if err := tx.GetContext(ctx, &r, `SELECT * FROM rounds WHERE id = $1`, roundID); err != nil {
			return notFound(err)
		}
		var sc Scheme
		if err := tx.GetContext(ctx, &sc, `SELECT * FROM schemes WHERE id = $1`, r.SchemeID); err != nil {
			return err
		}
		if err := unmarshalRules(&sc); err != nil {
			return err
		}
		n := RoundNotice{Key: fmt.Sprintf("round/%d/%s", roundID, kind), Kind: kind, RoundID: r.ID, SchemeID: sc.ID, Scheme: sc.Name,
			Round: r.Name, CreatedAt: at}
		if kind == KindRoundOpened {
			n.Message = fmt.Sprintf("The funding round %q of %s is open for applications until %s.", r.Name, sc.Name, londonTime(r.ClosesAt))
		} else {
			n.Message = fmt.Sprintf("The funding round %q of %s closed at %s.", r.Name, sc.Name, londonTime(r.ClosesAt))
		}
		newly, err := tellSubscribersTx(ctx, tx, ob, n, sc.ID)
		if err != nil {
			return err
		}
		told += newly
		if kind != KindRoundClosed {
			return nil
		}
		if sc.Rules.DraftGraceHours == 0 {
			return nil // the drafts lock as the round closes, and their lock notice says so: one message, not two
		}
		var drafts []int64
		if err := tx.SelectContext(ctx, &drafts, `SELECT id FROM applications WHERE round_id = $1 AND status = 'draft' AND workflow_id IS NULL AND draft_locked_at IS NULL ORDER BY id`, roundID); err != nil {
			return err
		}
		lock := fmt.Sprintf("You can still submit it until %s; after that it will be locked and can no longer be changed or submitted.", londonTime(r.LocksAt(sc.Rules)))
		for _, app := range drafts {
			dn := Notification{Key: fmt.Sprintf("round/%d/closed/application/%d", roundID, app), ApplicationID: app, Audience: AudienceApplicant,
				Kind: KindDraftClosing, CreatedAt: at, Message: fmt.Sprintf("The funding round %q closed at %s while your application was still a draft. %s",
					r.Name, londonTime(r.ClosesAt), lock)}
			if err := notifyTx(ctx, dn, ob)(tx); err != nil {
				return err
			}
		}
		return nil
	})
	return told, err
}

// tellSubscribersTx writes the round notice once (by its key) and a message to each of the scheme's
// subscribers, in the caller's transaction; it returns how many it told (none when told before).
func tellSubscribersTx(ctx context.Context, tx *sqlx.Tx, ob Outbox, n RoundNotice, schemeID int64) (told int, err error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO notifications (key, application_id, audience, kind, message, created_at)
		VALUES ($1, NULL, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING`, n.Key, fmt.Sprintf("round_subscribers:%d", schemeID), n.Kind, n.Message, n.CreatedAt)
	if err != nil {
		return 0, err
	}
	if rows, _ := res.RowsAffected(); rows == 0 {
		return 0, nil // told before
	}
	var subs []struct {
		ID    int64  `db:"id"`
		Name  string `db:"name"`
		Email string `db:"email"`
	}
	if err := tx.SelectContext(ctx, &subs, `SELECT u.id, u.name, u.email FROM round_subscriptions rs JOIN users u ON u.id = rs.user_id
		WHERE rs.scheme_id = $1 AND u.disabled_at IS NULL ORDER BY u.id`, schemeID); err != nil {
		return 0, err
	}
	for _, u := range subs {
		rcp := Recipient{UserID: sql.NullInt64{Int64: u.ID, Valid: true}, Name: u.Name, Email: u.Email}
		m, err := ob.ComposeRound(n, rcp)
		if err != nil {
			return told, fmt.Errorf("round notice %s: compose for %s: %w", n.Key, u.Email, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages (notification_key, user_id, address, subject, body_text, body_html, link, created_at)
			VALUES ($1,$2,lower($3),$4,$5,$6,$7,$8) ON CONFLICT (notification_key, address) DO NOTHING`,
			n.Key, u.ID, u.Email, m.Subject, m.Text, m.HTML, m.Link, n.CreatedAt); err != nil {
			return told, err
		}
		told++
	}
	return told, nil
}

func unmarshalRules(sc *Scheme) error { return json.Unmarshal(sc.RulesJSON, &sc.Rules) }

// Subscribe asks for the person to be told when the scheme's rounds open and close; again is no change.
func (s *Store) Subscribe(ctx context.Context, userID, schemeID int64, at time.Time) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO round_subscriptions (user_id, scheme_id, created_at) VALUES ($1,$2,$3)
		ON CONFLICT DO NOTHING`, userID, schemeID, at)
	return err
}

// Unsubscribe stops telling the person about the scheme's rounds.
func (s *Store) Unsubscribe(ctx context.Context, userID, schemeID int64) error {
	_, err := s.DB.ExecContext(ctx, `DELETE FROM round_subscriptions WHERE user_id = $1 AND scheme_id = $2`, userID, schemeID)
	return err
}

// Subscribed reports whether the person is told about the scheme's rounds.
func (s *Store) Subscribed(ctx context.Context, userID, schemeID int64) (bool, error) {
	var yes bool
	err := s.DB.GetContext(ctx, &yes, `SELECT EXISTS (SELECT 1 FROM round_subscriptions WHERE user_id = $1 AND scheme_id = $2)`, userID, schemeID)
	return yes, err
}

// RoundCommitted is what awards from the round have committed, every financial year together.
func (s *Store) RoundCommitted(ctx context.Context, roundID int64) (money.Pence, error) {
	var p money.Pence
	err := s.DB.GetContext(ctx, &p, `SELECT COALESCE(sum(c.amount_pence), 0) FROM budget_commitments c JOIN applications a ON a.id = c.application_id
		WHERE a.round_id = $1 AND c.released_at IS NULL`, roundID)
	return p, err
}
