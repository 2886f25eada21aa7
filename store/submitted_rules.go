package store

import (
	"cmp"
	"context"
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

// SubmitDraft claims a draft for submission and starts its workflow with start, in one
// transaction: the draft becomes submitted (with its workflow id, time and the rules it is
// submitted under) only if it still is a draft, and stays one if start fails. The history's first
// line (the submission, by the person who submitted) and the record of the submission (who, and
// snapshot: the frozen copy of the answers; its time is at) are written with the claim, so they
// exist exactly when it does. Concurrent submissions queue on the row's lock, so exactly one claims
// it and the others get ErrAlreadySubmitted; the workflow's own first step waits for the claim to commit.
func (s *Store) SubmitDraft(ctx context.Context, id int64, workflowID string, by User, at time.Time, rules scheme.Rules, snapshot []byte, start func() error) error {
	raw, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The wards it names are kept beside its areas (00025), from the service's details or the form's ward question.
		res, err := tx.ExecContext(ctx, `UPDATE applications SET status = 'submitted', workflow_id = $2, submitted_at = $3,
			submitted_rules = $4, updated_at = now(),
			wards = CASE WHEN jsonb_typeof(service->'wards') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(service->'wards'))
				WHEN service IS NULL AND jsonb_typeof(answers->'wards') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(answers->'wards'))
				ELSE wards END
			WHERE id = $1 AND status = 'draft' AND workflow_id IS NULL AND draft_locked_at IS NULL`, id, workflowID, at, raw)
		if err != nil {
			return fmt.Errorf("claim application %d for submission: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if locked, err := draftLocked(ctx, tx, id); err != nil || locked {
				return cmp.Or(err, ErrDraftLocked)
			}
			return ErrAlreadySubmitted
		}
		submitter := by.ID
		if err := s.recordEvent(ctx, tx, Event{Application: id, Key: fmt.Sprintf("application-%d-submitted", id), At: at, ActorUserID: &submitter,
			ActorName: by.Name, ActorRole: string(by.Role), What: WhatSubmitted, Status: "submitted", Moment: MomentSubmitted}); err != nil {
			return fmt.Errorf("record the submission of application %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO submissions (application_id, submitted_by, submitted_by_name, submitted_at, snapshot)
			VALUES ($1,$2,$3,$4,$5)`, id, by.ID, by.Name, at, string(snapshot)); err != nil {
			return fmt.Errorf("record submission of application %d: %w", id, err)
		}
		return start()
	})
}
