package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"grantflow/grant"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Service decodes an application's service details (zero for grassroots applications).
func (a Application) Service() (grant.ServiceDetails, error) {
	var d grant.ServiceDetails
	if len(a.ServiceJSON) == 0 {
		return d, nil
	}
	return d, json.Unmarshal(a.ServiceJSON, &d)
}

// SaveServiceDetails stores a draft's service details, its whole-life total as the amount requested
// and its wards beside the areas (applications.wards).
func (s *Store) SaveServiceDetails(ctx context.Context, applicationID int64, d grant.ServiceDetails) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	res, err := s.DB.ExecContext(ctx, `UPDATE applications SET service = $2, amount_requested_pence = $3, wards = $4, updated_at = now()
		WHERE id = $1 AND status = 'draft' AND workflow_id IS NULL`, applicationID, raw, d.Total(), pq.StringArray(nonNil(d.Wards)))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("only a draft can be changed: %w", ErrDuplicate)
	}
	return nil
}

// PanelMember is an assessor assigned to an application's panel.
type PanelMember struct {
	ApplicationID int64      `db:"application_id" json:"application_id"`
	AssessorID    int64      `db:"assessor_id" json:"assessor_id"`
	AssessorName  string     `db:"assessor_name" json:"assessor_name"`
	AssignedBy    int64      `db:"assigned_by" json:"assigned_by"`
	AssignedAt    time.Time  `db:"assigned_at" json:"assigned_at"`
	Deadline      time.Time  `db:"deadline" json:"deadline"`
	RemovedAt     *time.Time `db:"removed_at" json:"removed_at,omitempty"`
	RemovedReason string     `db:"removed_reason" json:"removed_reason,omitempty"`
}

// AssignPanel adds assessors to an application's panel (already assigned ones are left as they are).
func (s *Store) AssignPanel(ctx context.Context, applicationID int64, assessors []int64, by int64, deadline time.Time, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, id := range assessors {
			if _, err := tx.ExecContext(ctx, `INSERT INTO panel_members (application_id, assessor_id, assigned_by, assigned_at, deadline)
				VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING`, applicationID, id, by, e.At, deadline); err != nil {
				return err
			}
		}
		e.Moment, e.Due = MomentPanelAssigned, deadline
		return s.recordEvent(ctx, tx, e)
	})
}

// RemoveFromPanel takes an assessor off the panel (a declared conflict) with the reason.
func (s *Store) RemoveFromPanel(ctx context.Context, applicationID, assessorID int64, reason string, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE panel_members SET removed_at = $3, removed_reason = $4
			WHERE application_id = $1 AND assessor_id = $2 AND removed_at IS NULL`, applicationID, assessorID, e.At, reason); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// Panel lists an application's panel, including removed members.
func (s *Store) Panel(ctx context.Context, applicationID int64) ([]PanelMember, error) {
	list := []PanelMember{}
	err := s.DB.SelectContext(ctx, &list, `SELECT p.*, u.name AS assessor_name FROM panel_members p JOIN users u ON u.id = p.assessor_id
		WHERE p.application_id = $1 ORDER BY p.assigned_at, p.assessor_id`, applicationID)
	return list, err
}

// Recommendation is the moderated panel's recommendation.
type Recommendation struct {
	ApplicationID       int64           `db:"application_id" json:"application_id"`
	RecommendedBy       int64           `db:"recommended_by" json:"recommended_by"`
	Years               json.RawMessage `db:"years" json:"years"`
	Conditions          json.RawMessage `db:"conditions" json:"conditions"`
	ConditionsPrecedent json.RawMessage `db:"conditions_precedent" json:"conditions_precedent"`
	Reasons             string          `db:"reasons" json:"reasons"`
	StartDate           *time.Time      `db:"start_date" json:"start_date,omitempty"` // when the agreement is to start; nil before start dates
	Version             int             `db:"version" json:"version"`                 // 2, 3, ... once moderated again
	DocumentID          *int64          `db:"document_id" json:"document_id,omitempty"`
	CreatedAt           time.Time       `db:"created_at" json:"created_at"`
}

// SaveRecommendation records moderation once.
func (s *Store) SaveRecommendation(ctx context.Context, r Recommendation, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := saveRecommendation(ctx, tx, r); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// SaveRecommendationWithPack records moderation and its decision pack together, once: either both
// stand, with the pack linked to the recommendation and the audit event written, or neither does.
func (s *Store) SaveRecommendationWithPack(ctx context.Context, r Recommendation, pack Document, e Event) (Document, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := saveRecommendation(ctx, tx, r); err != nil {
			return err
		}
		if err := saveDocument(ctx, tx, &pack); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE recommendations SET document_id = $2 WHERE application_id = $1 AND version = $3`,
			r.ApplicationID, pack.ID, max(r.Version, 1)); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
	return pack, err
}

func saveRecommendation(ctx context.Context, tx *sqlx.Tx, r Recommendation) error {
	// A later moderation replaces an earlier one; a retry of the same one changes nothing.
	_, err := tx.ExecContext(ctx, `INSERT INTO recommendations (application_id, recommended_by, years, conditions, conditions_precedent, reasons,
			created_at, start_date, version)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
		ON CONFLICT (application_id) DO UPDATE SET recommended_by = EXCLUDED.recommended_by, years = EXCLUDED.years,
			conditions = EXCLUDED.conditions, conditions_precedent = EXCLUDED.conditions_precedent, reasons = EXCLUDED.reasons,
			created_at = EXCLUDED.created_at, start_date = EXCLUDED.start_date, version = EXCLUDED.version
		WHERE recommendations.version < EXCLUDED.version`, r.ApplicationID, r.RecommendedBy, []byte(r.Years), []byte(r.Conditions),
		[]byte(r.ConditionsPrecedent), r.Reasons, r.CreatedAt, r.StartDate, max(r.Version, 1))
	return err
}

// RecommendationFor reads an application's recommendation.
func (s *Store) RecommendationFor(ctx context.Context, applicationID int64) (Recommendation, error) {
	var r Recommendation
	err := s.DB.GetContext(ctx, &r, `SELECT * FROM recommendations WHERE application_id = $1`, applicationID)
	return r, notFound(err)
}

// DecisionRecord is a numbered, published decision.
type DecisionRecord struct {
	ID            int64     `db:"id" json:"id"`
	ApplicationID int64     `db:"application_id" json:"application_id"`
	AwardVersion  int       `db:"award_version" json:"award_version"`
	Year          int       `db:"year" json:"year"`
	Seq           int       `db:"seq" json:"seq"`
	Number        string    `db:"number" json:"number"`
	DecidedBy     int64     `db:"decided_by" json:"decided_by"`
	DecidedRole   string    `db:"decided_role" json:"decided_role"`
	DocumentID    *int64    `db:"document_id" json:"document_id,omitempty"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
	// Content is the record as published (see PublishDecisionRecord); nil until it is.
	Content []byte `db:"content" json:"-"`
}

// AllocateDecisionRecord gives the decision on (application, award version) its number, the next in
// the calendar year (prefix/2026/017). Asking again returns the same number.
func (s *Store) AllocateDecisionRecord(ctx context.Context, prefix string, applicationID int64, awardVersion int, decidedBy int64, role string, at time.Time) (DecisionRecord, error) {
	var r DecisionRecord
	for attempt := 0; attempt < 5; attempt++ {
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			err := tx.GetContext(ctx, &r, `SELECT * FROM decision_records WHERE application_id = $1 AND award_version = $2`, applicationID, awardVersion)
			if err == nil {
				return nil // a retry: the number was allocated before
			}
			if notFound(err) != ErrNotFound {
				return fmt.Errorf("look up the decision record of application %d version %d: %w", applicationID, awardVersion, err)
			}
			year := at.Year()
			var seq int
			if err := tx.GetContext(ctx, &seq, `SELECT coalesce(max(seq), 0) + 1 FROM decision_records WHERE year = $1`, year); err != nil {
				return err
			}
			number := fmt.Sprintf("%s/%d/%03d", prefix, year, seq)
			return tx.GetContext(ctx, &r, `INSERT INTO decision_records (application_id, award_version, year, seq, number, decided_by, decided_role, created_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING *`, applicationID, awardVersion, year, seq, number, decidedBy, role, at)
		})
		if !isUniqueViolation(err) {
			return r, err
		}
		// Another decision took that number meanwhile (or ours was recorded by a concurrent retry): look again.
	}
	return r, fmt.Errorf("could not allocate a decision record number")
}

// PublishDecisionRecord links the record's PDF and keeps its content as published (the JSON of
// letters.DecisionRecord, which names offices, never people): from then on it is on the public
// decisions list. Idempotent.
func (s *Store) PublishDecisionRecord(ctx context.Context, recordID, documentID int64, content []byte) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE decision_records SET document_id = $2, content = $3 WHERE id = $1`, recordID, documentID, content)
	if err != nil {
		return fmt.Errorf("publish decision record %d: %w", recordID, err)
	}
	return nil
}

// DecisionRecords lists an application's decision records.
func (s *Store) DecisionRecords(ctx context.Context, applicationID int64) ([]DecisionRecord, error) {
	list := []DecisionRecord{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM decision_records WHERE application_id = $1 ORDER BY award_version`, applicationID)
	return list, err
}
