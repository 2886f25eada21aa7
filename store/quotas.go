package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Quotas bound what one applicant organisation may keep, so that one account (or a script
// holding its token) cannot fill the database: drafts not yet submitted, and the bytes of the
// documents uploaded to all its applications. Zero is no limit.
type Quotas struct {
	DraftsPerOrganisation      int64
	UploadBytesPerOrganisation int64
}

// QuotaError refuses something that would take an organisation past one of its quotas. Nothing
// already saved is touched.
type QuotaError struct {
	What   string // QuotaDrafts or QuotaUploadBytes
	Limit  int64
	Used   int64 // what the organisation has now
	Adding int64 // what the refused request would have added
}

func (e *QuotaError) Error() string {
	switch e.What {
	case QuotaDrafts:
		return fmt.Sprintf("your organisation already has %d applications started and not yet submitted, and may have at most %d at once: "+
			"carry on with one of them and submit it before starting another", e.Used, e.Limit)
	default:
		return fmt.Sprintf("your organisation's documents already take %s of the %s it may keep, and this file (%s) would take it past that: "+
			"upload a smaller file, or ask the grants team to raise the limit", Bytes(e.Used), Bytes(e.Limit), Bytes(e.Adding))
	}
}

// The quotas a QuotaError names.
const (
	QuotaDrafts      = "drafts"
	QuotaUploadBytes = "upload_bytes"
)

// Bytes says a size as people read it: 850 bytes, 12 KB, 1.4 MB (binary units, as the upload
// limit of 5 MB is).
func Bytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// lockOrganisationQuota serialises, until the transaction ends, everything that counts against
// the organisation's quotas: two requests at the limit cannot both see room for one more. An
// advisory lock, since the application's database role may not lock the organisation's row.
func lockOrganisationQuota(ctx context.Context, tx *sqlx.Tx, orgID int64) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('quota:organisation:' || $1::text, 0))`, orgID)
	return err
}

// checkDraftQuota refuses a new draft when the organisation already has its quota of them,
// counted under the organisation's quota lock so that two requests cannot both take the last place.
func (s *Store) checkDraftQuota(ctx context.Context, tx *sqlx.Tx, orgID int64) error {
	limit := s.Quotas.DraftsPerOrganisation
	if limit <= 0 {
		return nil
	}
	if err := lockOrganisationQuota(ctx, tx, orgID); err != nil {
		return err
	}
	return s.draftQuotaLeft(ctx, tx, orgID)
}

// DraftQuotaReached is the QuotaError a new draft of the organisation would get now, or nil when
// it may start one: the pages say so before a person fills in the form, rather than after.
func (s *Store) DraftQuotaReached(ctx context.Context, orgID int64) (*QuotaError, error) {
	if s.Quotas.DraftsPerOrganisation <= 0 {
		return nil, nil
	}
	var q *QuotaError
	if err := s.draftQuotaLeft(ctx, s.DB, orgID); err != nil && !errors.As(err, &q) {
		return nil, err
	}
	return q, nil
}

// draftQuotaLeft refuses one more draft when the organisation already has its quota of them:
// drafts not yet submitted. A draft locked when its round closed can never be submitted, so it
// holds no place.
func (s *Store) draftQuotaLeft(ctx context.Context, q sqlx.QueryerContext, orgID int64) error {
	limit := s.Quotas.DraftsPerOrganisation
	var n int64
	if err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM applications WHERE organisation_id = $1 AND status = 'draft' AND draft_locked_at IS NULL`, orgID); err != nil {
		return err
	}
	if n >= limit {
		return &QuotaError{What: QuotaDrafts, Limit: limit, Used: n, Adding: 1}
	}
	return nil
}

// checkUploadQuota refuses an upload of size bytes to the application when its organisation's
// documents would then take more than the quota.
func (s *Store) checkUploadQuota(ctx context.Context, tx *sqlx.Tx, applicationID, size int64) error {
	limit := s.Quotas.UploadBytesPerOrganisation
	if limit <= 0 {
		return nil
	}
	var orgID int64
	if err := tx.GetContext(ctx, &orgID, `SELECT organisation_id FROM applications WHERE id = $1`, applicationID); err != nil {
		return notFound(err)
	}
	if err := lockOrganisationQuota(ctx, tx, orgID); err != nil {
		return err
	}
	var used int64
	if err := tx.GetContext(ctx, &used, `SELECT COALESCE(sum(u.size_bytes), 0) FROM uploads u JOIN applications a ON a.id = u.application_id
		WHERE a.organisation_id = $1`, orgID); err != nil {
		return err
	}
	if used+size > limit {
		return &QuotaError{What: QuotaUploadBytes, Limit: limit, Used: used, Adding: size}
	}
	return nil
}
