package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// AdminEvent is one line of the office's own audit trail: an administrative act on a scheme, rules
// version, round, budget, user, role or membership. Write it with recordAdminEvent inside the
// transaction of the act itself, so the act and its audit line land together or not at all.
type AdminEvent struct {
	ID          int64           `db:"id" json:"id"`
	Key         string          `db:"event_key" json:"-"`
	At          time.Time       `db:"at" json:"at"`
	ActorID     *int64          `db:"actor_id" json:"actor_id,omitempty"`
	ActorName   string          `db:"actor_name" json:"actor"`
	ActorRole   string          `db:"actor_role" json:"role"`
	Action      string          `db:"action" json:"action"`
	SubjectKind string          `db:"subject_kind" json:"subject_kind"`
	SubjectID   int64           `db:"subject_id" json:"subject_id"`
	Subject     string          `db:"subject" json:"subject"`
	What        string          `db:"what" json:"what"`
	Why         string          `db:"why" json:"why,omitempty"`
	Details     json.RawMessage `db:"details" json:"details,omitempty"`
}

// Actor is who performs an administrative act. A zero Actor is Grantflow itself (the demo seed, an
// import from the command line); name it with SystemActor.
type Actor struct {
	UserID int64
	Name   string
	Role   string
}

// SystemActor is an act done by Grantflow or from the command line rather than by a signed-in person.
func SystemActor(what string) Actor { return Actor{Name: what, Role: "system"} }

// ActorOf is the signed-in user as the actor of an administrative act.
func ActorOf(u User) Actor { return Actor{UserID: u.ID, Name: u.Name, Role: string(u.Role)} }

// recordAdminEvent appends the act to the office's audit trail, once per key (a retried act is not
// recorded twice). details, when not nil, is stored as JSON (before and after, say).
func recordAdminEvent(ctx context.Context, tx *sqlx.Tx, by Actor, at time.Time, e AdminEvent, details any) error {
	if e.Key == "" || e.Action == "" || e.SubjectKind == "" || e.What == "" {
		return fmt.Errorf("admin event: key, action, subject kind and what are required")
	}
	var raw []byte
	if details != nil {
		var err error
		if raw, err = json.Marshal(details); err != nil {
			return fmt.Errorf("admin event details: %w", err)
		}
	}
	var actorID *int64
	if by.UserID != 0 {
		actorID = &by.UserID
	}
	if by.Name == "" {
		by = SystemActor("Grantflow")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO admin_events (event_key, at, actor_id, actor_name, actor_role, action, subject_kind, subject_id, subject, what, why, details)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (event_key) DO NOTHING`,
		e.Key, at, actorID, by.Name, by.Role, e.Action, e.SubjectKind, e.SubjectID, e.Subject, e.What, e.Why, nullJSON(raw))
	return err
}

// AdminEventFilter narrows the admin audit trail; zero fields do not filter.
type AdminEventFilter struct {
	SubjectKind string
	SubjectID   int64
	ActorID     int64
	Action      string // a prefix: "scheme." matches every scheme act
	From, To    time.Time
	Page        PageRequest
}

// AdminEvents lists every act of the office's audit trail the filter finds, newest first, read a
// page at a time.
func (s *Store) AdminEvents(ctx context.Context, f AdminEventFilter) ([]AdminEvent, error) {
	return everyPage(func(p PageRequest) ([]AdminEvent, PageLinks, error) {
		f.Page = p
		return s.AdminEventPage(ctx, f)
	})
}

// AdminEventPage is one page of the office's audit trail, newest first, and where its
// neighbouring pages start.
func (s *Store) AdminEventPage(ctx context.Context, f AdminEventFilter) ([]AdminEvent, PageLinks, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.SubjectKind != "" {
		add("subject_kind = $%d", f.SubjectKind)
	}
	if f.SubjectID != 0 {
		add("subject_id = $%d", f.SubjectID)
	}
	if f.ActorID != 0 {
		add("actor_id = $%d", f.ActorID)
	}
	if f.Action != "" {
		add("starts_with(action, $%d)", f.Action)
	}
	if !f.From.IsZero() {
		add("at >= $%d", f.From)
	}
	if !f.To.IsZero() {
		add("at < $%d", f.To)
	}
	cond, order, args, err := f.Page.sql(keyByTimeID, args)
	if err != nil {
		return nil, PageLinks{}, err
	}
	where = append(where, cond)
	// details is NULL for an act recorded without any; it reads as JSON null.
	q := `SELECT id, event_key, at, actor_id, actor_name, actor_role, action, subject_kind, subject_id, subject, what, why,
		COALESCE(details, 'null') AS details FROM admin_events WHERE ` + strings.Join(where, " AND ") + order
	list := []AdminEvent{}
	if err := s.DB.SelectContext(ctx, &list, q, args...); err != nil {
		return nil, PageLinks{}, err
	}
	list, links := finishPage(f.Page, list, func(e AdminEvent) []any { return []any{e.At, e.ID} })
	return list, links, nil
}

// RecordAdminEvent records an act on its own, for acts that have no transaction of their own.
func (s *Store) RecordAdminEvent(ctx context.Context, by Actor, at time.Time, e AdminEvent, details any) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return recordAdminEvent(ctx, tx, by, at, e, details) })
}

// AdminEventActor is someone who has done an administrative act, for the audit page's filter.
type AdminEventActor struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// AdminEventActors lists the people who appear in the audit trail as actors, by name.
func (s *Store) AdminEventActors(ctx context.Context) ([]AdminEventActor, error) {
	list := []AdminEventActor{}
	err := s.DB.SelectContext(ctx, &list, `SELECT DISTINCT u.id, u.name FROM admin_events e JOIN users u ON u.id = e.actor_id ORDER BY u.name, u.id`)
	return list, err
}
