package activities

import (
	"context"
	"encoding/json"
	"errors"

	"time"

	"grantflow/letters"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// Closure document kinds: the provider's letter asking for the underspend back, and finance's notice.
const (
	KindRepaymentLetter = "repayment_letter"
	KindRecoveryNotice  = "recovery_notice"
)

// RecoveryInput starts the recovery of an underspend once a final report is accepted.
type RecoveryInput struct {
	Step      Step
	AwardID   int64
	Reference string // the recovery's reference, e.g. CSF-2026-00042-REC
	Awarded   money.Pence
	Paid      money.Pence
	Spent     money.Pence
	Due       time.Time
}

// IssueRecoveryNotice writes the provider's repayment letter and finance's recovery notice and
// records the recovery with both, once.
func (d *Documents) IssueRecoveryNotice(ctx context.Context, in RecoveryInput) (DocumentResult, error) {
	f, err := d.facts(ctx, in.Step.ApplicationID)
	if err != nil {
		return DocumentResult{}, err
	}
	award, err := d.Store.AwardForApplication(ctx, f.app.ID)
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	owed := in.Paid - in.Spent
	rec := letters.Recovery{Letterhead: d.Letterhead, Date: in.Step.At.In(scheme.London), Reference: in.Reference, Award: award.Reference,
		Scheme: f.sc.Name, Debtor: f.recip, Awarded: in.Awarded, Paid: in.Paid, Spent: in.Spent, Owed: owed, Due: in.Due.In(scheme.London)}
	letter, err := letters.RepaymentLetter{Recovery: rec, Signatory: in.Step.Actor.Name + ", " + in.Step.Actor.Role.Title()}.PDF()
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	notice, err := letters.RecoveryNotice{Recovery: rec, CostCentre: f.sc.Rules.CostCentre}.PDF()
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	due := in.Due.In(scheme.London).Format(time.DateOnly)
	schedule, err := json.Marshal([]map[string]any{{"due": due, "amount_pence": owed, "pay_to": d.Letterhead.PayToLines()}})
	if err != nil {
		return DocumentResult{}, err
	}
	dueOn, _ := time.Parse(time.DateOnly, due)
	r, err := d.Store.StartRecovery(ctx, store.Recovery{AwardID: award.ID, ApplicationID: f.app.ID, Reference: in.Reference, Amount: owed, DueOn: dueOn,
		CreatedAt: in.Step.At}, in.Spent,
		store.FinanceNotice{Reference: in.Reference, Payee: f.org.Name, Amount: owed, Schedule: schedule, CostCentre: f.sc.Rules.CostCentre, CreatedAt: in.Step.At},
		store.Document{ApplicationID: f.app.ID, Kind: KindRecoveryNotice, Filename: in.Reference + "-recovery-notice.pdf", Content: notice},
		store.Document{ApplicationID: f.app.ID, Kind: KindRepaymentLetter, Filename: in.Reference + "-repayment-letter.pdf", Content: letter},
		event(ctx, in.Step))
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	var letterID int64
	if r.LetterID != nil {
		letterID = *r.LetterID
	}
	return DocumentResult{DocumentID: letterID}, nil
}

// RecordRepaymentInput is money the provider repaid, numbered within the recovery.
type RecordRepaymentInput struct {
	Step       Step
	AwardID    int64
	Seq        int
	Amount     money.Pence
	ReceivedOn time.Time
	Reference  string
}

// RecordRepayment records the repayment once.
func (a *Awards) RecordRepayment(ctx context.Context, in RecordRepaymentInput) error {
	err := a.Store.RecordRepayment(ctx, store.Repayment{AwardID: in.AwardID, Seq: in.Seq, Amount: in.Amount, ReceivedOn: in.ReceivedOn,
		Reference: in.Reference, RecordedBy: in.Step.Actor.UserID, RecordedAt: in.Step.At}, event(ctx, in.Step))
	if errors.Is(err, store.ErrOverRepaid) {
		return invalidInput("record repayment %d of award %d: %v", in.Seq, in.AwardID, err)
	}
	return classify(err)
}

// WriteOffInput writes off what is still owed.
type WriteOffInput struct {
	Step    Step
	AwardID int64
	Amount  money.Pence
	Reason  string
}

// WriteOff records the write-off, who decided it and why, once.
func (a *Awards) WriteOff(ctx context.Context, in WriteOffInput) error {
	if in.Amount <= 0 {
		return invalidInput("write off %s of award %d: nothing is owed", in.Amount, in.AwardID)
	}
	return classify(a.Store.WriteOff(ctx, in.AwardID, in.Amount, in.Step.Actor.UserID, string(in.Step.Actor.Role), in.Reason, event(ctx, in.Step)))
}

// WaiveReturnsInput is the head of commissioning's waiver of missing returns.
type WaiveReturnsInput struct {
	Step     Step
	Quarters [][2]int // financial year and quarter
	Reason   string
}

// WaiveReturns records the waivers once.
func (r *Records) WaiveReturns(ctx context.Context, in WaiveReturnsInput) error {
	if len(in.Quarters) == 0 {
		return invalidInput("waive returns of application %d: no quarters named", in.Step.ApplicationID)
	}
	return classify(r.Store.WaiveReturns(ctx, in.Step.ApplicationID, in.Quarters, in.Reason, in.Step.Actor.UserID, event(ctx, in.Step)))
}
