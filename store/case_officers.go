package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
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
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET case_officer_id = $2 WHERE id = $1`, applicationID, officer.ID); err != nil {
			return fmt.Errorf("assign case officer of application %d: %w", applicationID, err)
		}
		why := ""
		if current.Name != nil {
			why = "Replaces " + *current.Name + "."
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO application_events (application_id, event_key, at, actor_user_id, actor_name, actor_role, what, why, status)
			SELECT id, $2, $3, $4, $5, $6, $7, $8, status FROM applications WHERE id = $1`,
			applicationID, fmt.Sprintf("application-%d-case-officer-%d-%d", applicationID, officer.ID, at.UnixNano()), at, by.ID, by.Name, string(by.Role),
			"Case officer assigned: "+officer.Name, why)
		return err
	})
}
