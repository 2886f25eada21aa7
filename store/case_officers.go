package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"grantflow/grant"
	"grantflow/scheme"
)

// AssignCaseOfficer makes officer the application's case officer, by the person given, and writes
// who assigned whom (and whom they replaced) as a line of its history in the same transaction. The
// application's status is left as it is: an assignment is not a stage. Assigning the officer already
// assigned changes nothing and writes no line. Who may assign, and who may be assigned, is the
// caller's check (workflows' rule book).
func (s *Store) AssignCaseOfficer(ctx context.Context, applicationID int64, officer, by User, at time.Time) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var current struct {
			ID   *int64  `db:"case_officer_id"`
			Name *string `db:"name"`
		}
		err := tx.GetContext(ctx, &current, `SELECT a.case_officer_id, u.name FROM applications a LEFT JOIN users u ON u.id = a.case_officer_id
			WHERE a.id = $1 FOR UPDATE OF a`, applicationID)
		if err != nil {
			return notFound(err)
		}
		if current.ID != nil && *current.ID == officer.ID {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET case_officer_id = $2, case_officer_since = $3 WHERE id = $1`, applicationID, officer.ID, at); err != nil {
			return fmt.Errorf("assign case officer of application %d: %w", applicationID, err)
		}
		why := ""
		if current.Name != nil {
			why = "Replaces " + *current.Name + "."
		}
		var status string
		if err := tx.GetContext(ctx, &status, `SELECT status FROM applications WHERE id = $1`, applicationID); err != nil {
			return err
		}
		e := Event{Application: applicationID, Key: fmt.Sprintf("application-%d-case-officer-%d-%d", applicationID, officer.ID, at.UnixNano()),
			At: at, ActorUserID: &by.ID, ActorName: by.Name, ActorRole: string(by.Role), What: "Case officer assigned: " + officer.Name, Why: why,
			Status: status}
		if _, err := tx.ExecContext(ctx, `INSERT INTO application_events (application_id, event_key, at, actor_user_id, actor_name, actor_role, what, why, status)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, e.Application, e.Key, e.At, e.ActorUserID, e.ActorName, e.ActorRole, e.What, e.Why, e.Status); err != nil {
			return err
		}
		if officer.ID == by.ID {
			return nil // who took it on themselves needs no telling
		}
		e.Moment, e.Assignee = MomentCaseOfficerAssigned, officer.ID
		return s.tellAbout(ctx, tx, e, status)
	})
}

// WhatFirstOfficer begins the history's line when the first officer to act on an application
// becomes its case officer.
const WhatFirstOfficer = "Case officer: "

// defaultCaseOfficer makes the person who took the event the application's case officer when it
// has none and they may be one: a commissioning officer or head of commissioning (the roles of
// workflows.MayBeCaseOfficer), not a member of the applying organisation, with no conflict declared
// in it. The history says so in a line by Grantflow, just after the event. recordEvent calls it for each event the first
// time it is recorded, so the first officer to act on an application looks after it until someone
// assigns another, and a retried event writes nothing twice.
func defaultCaseOfficer(ctx context.Context, tx *sqlx.Tx, e Event) error {
	if e.ActorUserID == nil {
		return nil
	}
	var name string
	err := tx.GetContext(ctx, &name, `UPDATE applications a SET case_officer_id = u.id, case_officer_since = $4 FROM users u
		WHERE a.id = $1 AND a.case_officer_id IS NULL AND a.status <> 'draft' AND u.id = $2 AND u.role = ANY($3)
		AND NOT EXISTS (SELECT 1 FROM organisation_members m WHERE m.organisation_id = a.organisation_id AND m.user_id = u.id)
		AND NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.application_id = a.id AND c.user_id = u.id AND c.has_conflict)
		RETURNING u.name`, e.Application, *e.ActorUserID, pq.Array(caseOfficerRoles()), e.At)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("default case officer of application %d: %w", e.Application, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO application_events (application_id, event_key, at, actor_name, actor_role, what, why, status)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (event_key) DO NOTHING`,
		e.Application, fmt.Sprintf("application-%d-case-officer-first", e.Application), e.At, grant.System.Name, string(grant.System.Role),
		WhatFirstOfficer+name+", the first officer to act on it", "", e.Status)
	return err
}

func caseOfficerRoles() []string {
	roles := make([]string, len(scheme.CaseOfficerRoles))
	for i, r := range scheme.CaseOfficerRoles {
		roles[i] = string(r)
	}
	return roles
}
