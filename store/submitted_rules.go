package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"grantflow/scheme"
)

// SaveSubmittedRules keeps the rules a draft is being submitted under, before its workflow starts
// with them. Once the application has left the draft stage the rules kept stay as they are, so a
// submission sent twice cannot replace them.
func (s *Store) SaveSubmittedRules(ctx context.Context, id int64, rules scheme.Rules) error {
	raw, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	_, err = s.DB.ExecContext(ctx, `UPDATE applications SET submitted_rules = $2 WHERE id = $1 AND status = 'draft'`, id, raw)
	return err
}

// SubmittedRules are the rules the application was submitted under; false when none were kept
// (a draft, or an application submitted before they were).
func (a Application) SubmittedRules() (scheme.Rules, bool, error) {
	if a.RulesJSON == nil {
		return scheme.Rules{}, false, nil
	}
	var r scheme.Rules
	if err := json.Unmarshal(a.RulesJSON, &r); err != nil {
		return scheme.Rules{}, false, err
	}
	return r, true, nil
}

// WhatSubmitted is the history's first line: the submission itself, by the person who submitted.
const WhatSubmitted = "Application submitted"

// ErrAlreadySubmitted answers a submission of an application that is no longer a draft.
var ErrAlreadySubmitted = fmt.Errorf("the application was already submitted: %w", ErrDuplicate)

// Submission is the record of a submission: who submitted the application, when, and a frozen
// copy of what was submitted (questions.Snapshot as JSON).
type Submission struct {
	ApplicationID int64     `db:"application_id"`
	SubmittedBy   int64     `db:"submitted_by"`
	ByName        string    `db:"submitted_by_name"`
	SubmittedAt   time.Time `db:"submitted_at"`
	Snapshot      []byte    `db:"snapshot"`
}

// Submission reads the record of an application's submission: ErrNotFound for a draft, or an
// application submitted before submissions were recorded.
func (s *Store) Submission(ctx context.Context, applicationID int64) (Submission, error) {
	var sub Submission
	err := s.DB.GetContext(ctx, &sub, `SELECT * FROM submissions WHERE application_id = $1`, applicationID)
	return sub, notFound(err)
}

// SubmitDraft submits a draft in two transactions, so that a crash at any point leaves a
// submission the next one completes, never one lost or made twice. The first claims the draft:
// its workflow id and the time of submission are kept and it can no longer be changed, while its
// status stays draft (the workflow does not exist yet). The second starts the workflow with start
// (which must treat a workflow of this id already started as started) and, in the same
// transaction, records the submission: the status submitted (unless the workflow has already
// moved it on), the rules it is submitted under, the history's first line (by the person who
// submitted) and the record of the submission (who, the claim's time, and snapshot: the frozen copy
// of the answers). The workflow's first step waits on the row's lock for that record to commit; if
// the process dies after the start and before the commit, the workflow moves the status on, and a
// submission sent again finds the claim, starts nothing new and records what was lost. Concurrent
// submissions queue on the row's lock: exactly one records the submission and the others get
// ErrAlreadySubmitted.
func (s *Store) SubmitDraft(ctx context.Context, id int64, workflowID string, by User, at time.Time, rules scheme.Rules, snapshot []byte, start func() error) error {
	raw, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	if err := s.claimSubmission(ctx, id, workflowID, at); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var claim struct {
			Status      string         `db:"status"`
			WorkflowID  sql.NullString `db:"workflow_id"`
			SubmittedAt *time.Time     `db:"submitted_at"`
		}
		if err := tx.GetContext(ctx, &claim, `SELECT status, workflow_id, submitted_at FROM applications WHERE id = $1 FOR UPDATE`, id); err != nil {
			return notFound(err)
		}
		if claim.WorkflowID.String != workflowID || claim.SubmittedAt == nil {
			return ErrAlreadySubmitted
		}
		// Read after the lock is held, so a submission that committed while this one waited is seen.
		if recorded, err := submissionRecorded(ctx, tx, id); err != nil || recorded {
			return cmp.Or(err, ErrAlreadySubmitted)
		}
		at := *claim.SubmittedAt
		submitter := by.ID
		if err := s.recordEvent(ctx, tx, Event{Application: id, Key: submittedKey(id), At: at, ActorUserID: &submitter,
			ActorName: by.Name, ActorRole: string(by.Role), What: WhatSubmitted, Status: "submitted", Moment: MomentSubmitted}); err != nil {
			return fmt.Errorf("record the submission of application %d: %w", id, err)
		}
		// After the history's line, which moves the status to submitted: a workflow that has already
		// moved it on (its record was lost to a crash) keeps its stage. The wards it names are kept
		// beside its areas (00025), from the service's details or the form's ward question.
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET status = CASE WHEN $3::text = 'draft' THEN 'submitted' ELSE $3::text END,
			submitted_rules = $2, updated_at = now(),
			wards = CASE WHEN jsonb_typeof(service->'wards') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(service->'wards'))
				WHEN service IS NULL AND jsonb_typeof(answers->'wards') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(answers->'wards'))
				ELSE wards END
			WHERE id = $1`, id, raw, claim.Status); err != nil {
			return fmt.Errorf("record the submission of application %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO submissions (application_id, submitted_by, submitted_by_name, submitted_at, snapshot)
			VALUES ($1,$2,$3,$4,$5)`, id, by.ID, by.Name, at, string(snapshot)); err != nil {
			return fmt.Errorf("record submission of application %d: %w", id, err)
		}
		return start()
	})
}

// claimSubmission keeps the draft's workflow id and time of submission, committed before its
// workflow starts. A claim already made for this workflow id is this submission's, sent again
// after a crash or at the same time: it is taken up as it is (with its time) until the submission
// is recorded.
func (s *Store) claimSubmission(ctx context.Context, id int64, workflowID string, at time.Time) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE applications SET workflow_id = $2, submitted_at = $3, updated_at = now()
			WHERE id = $1 AND status = 'draft' AND workflow_id IS NULL AND draft_locked_at IS NULL`, id, workflowID, at)
		if err != nil {
			return fmt.Errorf("claim application %d for submission: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var claimed sql.NullString
		if err := tx.GetContext(ctx, &claimed, `SELECT workflow_id FROM applications WHERE id = $1`, id); err != nil {
			return notFound(err)
		}
		if claimed.String == workflowID {
			if recorded, err := submissionRecorded(ctx, tx, id); err != nil || recorded {
				return cmp.Or(err, ErrAlreadySubmitted)
			}
			return nil
		}
		if locked, err := draftLocked(ctx, tx, id); err != nil || locked {
			return cmp.Or(err, ErrDraftLocked)
		}
		return ErrAlreadySubmitted
	})
}

func submittedKey(id int64) string { return fmt.Sprintf("application-%d-submitted", id) }

// submissionRecorded says whether the application's submission was recorded: its record, or (for
// an application submitted before submissions were recorded) the history's first line.
func submissionRecorded(ctx context.Context, tx *sqlx.Tx, id int64) (bool, error) {
	var recorded bool
	err := tx.GetContext(ctx, &recorded, `SELECT EXISTS (SELECT 1 FROM submissions WHERE application_id = $1)
		OR EXISTS (SELECT 1 FROM application_events WHERE event_key = $2)`, id, submittedKey(id))
	return recorded, err
}
