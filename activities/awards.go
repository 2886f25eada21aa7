package activities

import (
	"context"
	"encoding/json"
	"time"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/store"
)

// Awards commits budgets, makes awards and records acceptance and payments.
type Awards struct {
	Store *store.Store
}

// CommitBudgetInput is an approval's claim on its scheme's budgets, by financial year.
type CommitBudgetInput struct {
	ApplicationID int64
	SchemeID      int64
	Years         []grant.YearAmount
	At            time.Time
}

// CommitBudget commits all the years or none; a shortfall is a non-retryable BudgetExceeded error.
func (a *Awards) CommitBudget(ctx context.Context, in CommitBudgetInput) error {
	return classify(a.Store.CommitBudget(ctx, in.ApplicationID, in.SchemeID, in.Years, in.At))
}

// ReleaseBudget returns an application's commitments and records why.
func (a *Awards) ReleaseBudget(ctx context.Context, s Step) error {
	if err := a.Store.ReleaseBudget(ctx, s.ApplicationID, s.At); err != nil {
		return err
	}
	return classify(a.Store.RecordEvent(ctx, event(ctx, s)))
}

// CreateAwardInput is an approval: what is awarded, on what terms, on whose authority.
type CreateAwardInput struct {
	Step           Step
	Reference      string
	Amount         money.Pence
	Purpose        string
	Conditions     []string
	Reasons        string
	DelegationBand string
	RulesVersion   int
	AcceptBy       time.Time
}

// AwardResult identifies the award.
type AwardResult struct {
	AwardID   int64
	Reference string
}

// CreateAward records the award once per application.
func (a *Awards) CreateAward(ctx context.Context, in CreateAwardInput) (AwardResult, error) {
	conditions, _ := json.Marshal(nonNilStrings(in.Conditions))
	award, err := a.Store.CreateAward(ctx, store.Award{ApplicationID: in.Step.ApplicationID, Reference: in.Reference, Amount: in.Amount,
		Purpose: in.Purpose, Conditions: conditions, Reasons: in.Reasons, ApprovedBy: in.Step.Actor.UserID, ApprovedRole: string(in.Step.Actor.Role),
		DelegationBand: in.DelegationBand, RulesVersion: in.RulesVersion, DecidedAt: in.Step.At, AcceptBy: in.AcceptBy}, event(ctx, in.Step))
	return AwardResult{AwardID: award.ID, Reference: award.Reference}, classify(err)
}

// SetAwardStatusInput moves the award on: accepted (by a member of the organisation), lapsed, closed.
type SetAwardStatusInput struct {
	Step        Step
	AwardStatus string
	Accepting   bool
}

// SetAwardStatus records the award's new status.
func (a *Awards) SetAwardStatus(ctx context.Context, in SetAwardStatusInput) error {
	var by *int64
	if in.Accepting {
		id := in.Step.Actor.UserID
		by = &id
	}
	return classify(a.Store.SetAwardStatus(ctx, in.Step.ApplicationID, in.AwardStatus, by, event(ctx, in.Step)))
}

// RecordPaymentInput is a payment finance has made.
type RecordPaymentInput struct {
	Step      Step
	AwardID   int64
	Tranche   int
	Amount    money.Pence
	PaidOn    time.Time
	Reference string
	// ProposedBy and ApprovedBy are the two people in finance who signed a two-person payment off;
	// zero for one recorded in one step.
	ProposedBy int64
	ApprovedBy int64
}

func (in RecordPaymentInput) payment() store.Payment {
	p := store.Payment{AwardID: in.AwardID, Tranche: in.Tranche, Amount: in.Amount, PaidOn: in.PaidOn,
		Reference: in.Reference, RecordedBy: in.Step.Actor.UserID, RecordedAt: in.Step.At}
	if in.ProposedBy != 0 && in.ApprovedBy != 0 {
		p.ProposedBy, p.ApprovedBy = &in.ProposedBy, &in.ApprovedBy
	}
	return p
}

// RecordPayment records the tranche's payment once.
func (a *Awards) RecordPayment(ctx context.Context, in RecordPaymentInput) (int64, error) {
	p, err := a.Store.RecordPayment(ctx, in.payment(), in.Step.ApplicationID, event(ctx, in.Step))
	return p.ID, classify(err)
}

// SignOffPaymentInput is one of finance's two sign-offs of a payment: the proposal, or (Approving)
// the approval by a second person. The workflow has checked who may sign.
type SignOffPaymentInput struct {
	Step      Step
	AwardID   int64
	Tranche   int
	Approving bool
}

// SignOffPayment records a proposal or approval once, with its audit line.
func (a *Awards) SignOffPayment(ctx context.Context, in SignOffPaymentInput) error {
	if in.Approving {
		return classify(a.Store.ApprovePayment(ctx, in.AwardID, in.Tranche, in.Step.Actor.UserID, in.Step.At, event(ctx, in.Step)))
	}
	return classify(a.Store.ProposePayment(ctx, in.AwardID, in.Tranche, in.Step.Actor.UserID, in.Step.At, event(ctx, in.Step)))
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
