package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// What became of a set of bank details (see migration 00010).
const (
	BankVerified = "verified" // the details finance pays to
	BankHeld     = "held"     // a change after acceptance awaiting finance's call-back
	BankRejected = "rejected" // a held change the call-back did not confirm
	BankReplaced = "replaced" // details a later set took the place of
)

// ErrNoHeldBankChange says there is no change awaiting a call-back (none made, or already decided).
var ErrNoHeldBankChange = errors.New("there is no change of bank details awaiting a call-back")

// BankDetails is one set of bank details given for an application's award. Full numbers leave the
// store only for finance (the finance notice and payment); everyone else sees Masked.
type BankDetails struct {
	ID            int64      `db:"id"`
	ApplicationID int64      `db:"application_id"`
	AccountName   string     `db:"account_name"`
	SortCode      string     `db:"sort_code"`      // six digits, no dashes
	AccountNumber string     `db:"account_number"` // eight digits
	Status        string     `db:"status"`
	SubmittedBy   int64      `db:"submitted_by"`
	SubmittedAt   time.Time  `db:"submitted_at"`
	CallBackBy    *int64     `db:"call_back_by"`
	CallBackAt    *time.Time `db:"call_back_at"`
	CallBackPhone string     `db:"call_back_phone"`
	CallBackNotes string     `db:"call_back_notes"`
	// ChangeHeld says a later change awaits finance's call-back. PayeeBankDetails sets it: nothing is
	// paid to either account until the call-back confirms or rejects the change.
	ChangeHeld bool `db:"-"`
}

// Payable says finance may pay to these details now.
func (b BankDetails) Payable() bool { return b.Status == BankVerified && !b.ChangeHeld }

// MaskedSortCode shows only the sort code's last two digits: **-**-56.
func (b BankDetails) MaskedSortCode() string {
	if len(b.SortCode) != 6 {
		return "**-**-**"
	}
	return "**-**-" + b.SortCode[4:]
}

// AccountEnding is the account number's last four digits, all anyone but finance sees of it.
func (b BankDetails) AccountEnding() string {
	if len(b.AccountNumber) < 4 {
		return ""
	}
	return b.AccountNumber[len(b.AccountNumber)-4:]
}

// FormattedSortCode is the full sort code as people write it (12-34-56), for finance only.
func (b BankDetails) FormattedSortCode() string {
	if len(b.SortCode) != 6 {
		return b.SortCode
	}
	return b.SortCode[0:2] + "-" + b.SortCode[2:4] + "-" + b.SortCode[4:6]
}

// NewBankDetails is a set of bank details an applicant gives, already checked (package bankaccount),
// and who gave them.
type NewBankDetails struct {
	ApplicationID int64
	AccountName   string
	SortCode      string
	AccountNumber string
	By            int64
	ByName        string
	ByRole        string
	At            time.Time
}

// SaveBankDetails records bank details for an application. Until the offer is accepted they simply
// take the place of any given before (they are taken as part of accepting); once it is accepted a
// change is held until finance confirms it by call-back, replacing any change already held. Giving
// the same details again records nothing new, so a retried acceptance or form is harmless.
func (s *Store) SaveBankDetails(ctx context.Context, in NewBankDetails) (BankDetails, error) {
	var saved BankDetails
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Lock the application so two submissions at once queue rather than race the unique indexes.
		var appStatus string
		if err := tx.GetContext(ctx, &appStatus, `SELECT status FROM applications WHERE id = $1 FOR UPDATE`, in.ApplicationID); err != nil {
			return notFound(err)
		}
		var accepted bool
		if err := tx.GetContext(ctx, &accepted, `SELECT EXISTS (SELECT 1 FROM awards WHERE application_id = $1 AND accepted_at IS NOT NULL)`, in.ApplicationID); err != nil {
			return err
		}
		var latest []BankDetails
		if err := tx.SelectContext(ctx, &latest, `SELECT * FROM bank_details WHERE application_id = $1 AND status IN ('verified', 'held') ORDER BY id DESC`, in.ApplicationID); err != nil {
			return err
		}
		for _, b := range latest {
			if b.AccountName == in.AccountName && b.SortCode == in.SortCode && b.AccountNumber == in.AccountNumber {
				if b.Status == BankHeld || !accepted || len(latest) == 1 {
					saved = b // given already: nothing new to record
					return nil
				}
			}
		}
		status := BankVerified
		if accepted && len(latest) > 0 {
			status = BankHeld
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bank_details SET status = 'replaced' WHERE application_id = $1 AND status = $2`, in.ApplicationID, status); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &saved, `INSERT INTO bank_details (application_id, account_name, sort_code, account_number, status, submitted_by, submitted_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING *`,
			in.ApplicationID, in.AccountName, in.SortCode, in.AccountNumber, status, in.By, in.At); err != nil {
			return err
		}
		what := fmt.Sprintf("Bank details given (account ending %s)", saved.AccountEnding())
		if status == BankHeld {
			what = fmt.Sprintf("Change of bank details (account ending %s) held until finance confirms it by call-back", saved.AccountEnding())
		}
		by := in.By
		return s.recordEvent(ctx, tx, Event{Application: in.ApplicationID, Key: fmt.Sprintf("bank-details-%d-given", saved.ID), At: in.At,
			ActorUserID: &by, ActorName: in.ByName, ActorRole: in.ByRole, What: what, Status: appStatus})
	})
	return saved, err
}

// PayeeBankDetails returns the details finance may pay the application's award to: the verified
// set, with ChangeHeld when a change awaits call-back (pay nothing until it is decided).
// ErrNotFound when none were given.
func (s *Store) PayeeBankDetails(ctx context.Context, applicationID int64) (BankDetails, error) {
	var b BankDetails
	if err := s.DB.GetContext(ctx, &b, `SELECT * FROM bank_details WHERE application_id = $1 AND status = 'verified'`, applicationID); err != nil {
		return BankDetails{}, notFound(err)
	}
	if err := s.DB.GetContext(ctx, &b.ChangeHeld, `SELECT EXISTS (SELECT 1 FROM bank_details WHERE application_id = $1 AND status = 'held')`, applicationID); err != nil {
		return BankDetails{}, err
	}
	return b, nil
}

// HeldBankChange returns the change of bank details awaiting a call-back, or ErrNotFound.
func (s *Store) HeldBankChange(ctx context.Context, applicationID int64) (BankDetails, error) {
	var b BankDetails
	err := s.DB.GetContext(ctx, &b, `SELECT * FROM bank_details WHERE application_id = $1 AND status = 'held'`, applicationID)
	return b, notFound(err)
}

// BankDetailsHistory lists every set of details given for an application, newest first.
func (s *Store) BankDetailsHistory(ctx context.Context, applicationID int64) ([]BankDetails, error) {
	list := []BankDetails{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM bank_details WHERE application_id = $1 ORDER BY id DESC`, applicationID)
	return list, err
}

// BankCallBack is finance's record of calling the organisation back about a held change: on which
// number (one finance already held, never one given with the change), what was said, and whether
// the organisation confirmed the change.
type BankCallBack struct {
	ApplicationID int64
	ChangeID      int64 // the held change this call-back decides
	Confirmed     bool
	Phone         string
	Notes         string
	By            int64
	ByName        string
	ByRole        string
	At            time.Time
}

// RecordBankCallBack decides a held change: confirmed, it becomes the details paid to and the
// earlier ones are replaced; not confirmed, it is rejected and the earlier ones stand. The same
// call-back recorded twice changes nothing; a change already decided gives ErrNoHeldBankChange.
func (s *Store) RecordBankCallBack(ctx context.Context, cb BankCallBack) (BankDetails, error) {
	var decided BankDetails
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var appStatus string
		if err := tx.GetContext(ctx, &appStatus, `SELECT status FROM applications WHERE id = $1 FOR UPDATE`, cb.ApplicationID); err != nil {
			return notFound(err)
		}
		var change BankDetails
		if err := tx.GetContext(ctx, &change, `SELECT * FROM bank_details WHERE id = $1 AND application_id = $2`, cb.ChangeID, cb.ApplicationID); err != nil {
			return notFound(err)
		}
		if change.Status != BankHeld {
			if change.CallBackBy != nil && *change.CallBackBy == cb.By && (change.Status == BankVerified) == cb.Confirmed {
				decided = change // this call-back, recorded already
				return nil
			}
			return ErrNoHeldBankChange
		}
		status := BankRejected
		if cb.Confirmed {
			status = BankVerified
			if _, err := tx.ExecContext(ctx, `UPDATE bank_details SET status = 'replaced' WHERE application_id = $1 AND status = 'verified'`, cb.ApplicationID); err != nil {
				return err
			}
		}
		if err := tx.GetContext(ctx, &decided, `UPDATE bank_details SET status = $2, call_back_by = $3, call_back_at = $4, call_back_phone = $5, call_back_notes = $6
			WHERE id = $1 RETURNING *`, change.ID, status, cb.By, cb.At, cb.Phone, cb.Notes); err != nil {
			return err
		}
		what := fmt.Sprintf("Change of bank details (account ending %s) confirmed by call-back to %s", decided.AccountEnding(), cb.Phone)
		if !cb.Confirmed {
			what = fmt.Sprintf("Change of bank details (account ending %s) rejected after call-back to %s", decided.AccountEnding(), cb.Phone)
		}
		by := cb.By
		return s.recordEvent(ctx, tx, Event{Application: cb.ApplicationID, Key: fmt.Sprintf("bank-details-%d-call-back", change.ID), At: cb.At,
			ActorUserID: &by, ActorName: cb.ByName, ActorRole: cb.ByRole, What: what, Why: cb.Notes, Status: appStatus})
	})
	return decided, err
}
