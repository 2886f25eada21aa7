package activities

import (
	"context"
	"encoding/json"
	"time"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// AssignPanelInput puts assessors on an application's panel.
type AssignPanelInput struct {
	Step      Step
	Assessors []int64
	Deadline  time.Time
}

// AssignPanel records the panel.
func (r *Records) AssignPanel(ctx context.Context, in AssignPanelInput) error {
	return classify(r.Store.AssignPanel(ctx, in.Step.ApplicationID, in.Assessors, in.Step.Actor.UserID, in.Deadline, event(ctx, in.Step)))
}

// RemoveFromPanelInput takes an assessor off the panel.
type RemoveFromPanelInput struct {
	Step     Step
	Assessor int64
	Reason   string
}

// RemoveFromPanel records the removal.
func (r *Records) RemoveFromPanel(ctx context.Context, in RemoveFromPanelInput) error {
	return classify(r.Store.RemoveFromPanel(ctx, in.Step.ApplicationID, in.Assessor, in.Reason, event(ctx, in.Step)))
}

// SubmitReturnInput is one version of a quarter's monitoring return.
type SubmitReturnInput struct {
	Step          Step
	FinancialYear int
	Quarter       int
	Version       int
	Content       json.RawMessage
}

// SubmitReturn records the return.
func (r *Records) SubmitReturn(ctx context.Context, in SubmitReturnInput) error {
	ret := store.MonitoringReturn{ApplicationID: in.Step.ApplicationID, FinancialYear: in.FinancialYear, Quarter: in.Quarter, Version: in.Version,
		Content: in.Content, SubmittedBy: in.Step.Actor.UserID, SubmittedAt: in.Step.At}
	return classify(r.Store.SaveReturn(ctx, ret, event(ctx, in.Step)))
}

// ReviewReturnInput is the officer's review of a return version.
type ReviewReturnInput struct {
	Step          Step
	FinancialYear int
	Quarter       int
	Version       int
	Outcome       string
	RAG           string
	Comment       string
}

// ReviewReturn records the review.
func (r *Records) ReviewReturn(ctx context.Context, in ReviewReturnInput) error {
	return classify(r.Store.ReviewReturn(ctx, in.Step.ApplicationID, in.FinancialYear, in.Quarter, in.Version, in.Outcome, in.RAG, in.Comment,
		in.Step.Actor.UserID, event(ctx, in.Step)))
}

// CreateServiceAwardInput is an approved multi-year award with its schedule.
type CreateServiceAwardInput struct {
	Award               CreateAwardInput
	Years               []grant.YearAmount
	ConditionsPrecedent []string
	Tranches            []grant.Tranche
	StartDate           time.Time // when the agreement starts (London midnight); zero for awards from before start dates
}

// CreateServiceAward records the award, its amounts per year and its tranche schedule, once.
func (a *Awards) CreateServiceAward(ctx context.Context, in CreateServiceAwardInput) (AwardResult, error) {
	if len(in.Years) == 0 {
		return AwardResult{}, invalidInput("service award %s for application %d has no financial years", in.Award.Reference, in.Award.Step.ApplicationID)
	}
	conditions, _ := json.Marshal(nonNilStrings(in.Award.Conditions))
	cp, _ := json.Marshal(nonNilStrings(in.ConditionsPrecedent))
	end := awardEnd(in.Years)
	s := in.Award.Step
	award, err := a.Store.CreateAward(ctx, store.Award{ApplicationID: s.ApplicationID, Reference: in.Award.Reference, Amount: in.Award.Amount,
		Purpose: in.Award.Purpose, Conditions: conditions, Reasons: in.Award.Reasons, ApprovedBy: s.Actor.UserID, ApprovedRole: string(s.Actor.Role),
		DelegationBand: in.Award.DelegationBand, RulesVersion: in.Award.RulesVersion, DecidedAt: s.At, AcceptBy: in.Award.AcceptBy,
		ConditionsPrecedent: cp, StartDate: dateColumn(in.StartDate), EndDate: &end}, event(ctx, s))
	if err != nil {
		return AwardResult{}, classify(err)
	}
	if err := a.Store.SetAwardYears(ctx, award.ID, in.Years); err != nil {
		return AwardResult{}, err
	}
	if err := a.Store.ScheduleTranches(ctx, award.ID, in.Tranches); err != nil {
		return AwardResult{}, err
	}
	return AwardResult{AwardID: award.ID, Reference: award.Reference}, nil
}

// HoldTrancheInput holds a due tranche.
type HoldTrancheInput struct {
	Step    Step
	AwardID int64
	Tranche int
	Reason  string
}

// HoldTranche records the hold and its reason.
func (a *Awards) HoldTranche(ctx context.Context, in HoldTrancheInput) error {
	return classify(a.Store.HoldTranche(ctx, in.AwardID, in.Tranche, in.Reason, event(ctx, in.Step)))
}

// MarkConditionsMet records the officer's confirmation of the conditions precedent.
func (a *Awards) MarkConditionsMet(ctx context.Context, s Step) error {
	return classify(a.Store.MarkConditionsMet(ctx, s.ApplicationID, s.Actor.UserID, event(ctx, s)))
}

// RecordTranchePayment records finance's payment of a released tranche, once.
func (a *Awards) RecordTranchePayment(ctx context.Context, in RecordPaymentInput) (int64, error) {
	p, err := a.Store.RecordTranchePayment(ctx, in.payment(), in.Step.ApplicationID, event(ctx, in.Step))
	return p.ID, classify(err)
}

// VaryInput is a decided variation: new amounts per year, conditions and remaining schedule.
type VaryInput struct {
	Step           Step
	SchemeID       int64
	AwardID        int64
	Version        int
	Summary        string
	Years          []grant.YearAmount
	Conditions     []string
	DelegationBand string
	RulesVersion   int
	Tranches       []grant.Tranche
	AcceptBy       time.Time // when the provider must accept the varied agreement by; zero: it stands at once
}

// Vary re-commits the budgets to the new amounts (all years or none), records the variation and
// reschedules the tranches not yet released, in one transaction.
func (a *Awards) Vary(ctx context.Context, in VaryInput) error {
	if len(in.Years) == 0 {
		return invalidInput("variation to version %d of award %d has no financial years", in.Version, in.AwardID)
	}
	years, _ := json.Marshal(in.Years)
	conditions, _ := json.Marshal(nonNilStrings(in.Conditions))
	end := awardEnd(in.Years)
	v := store.Variation{ApplicationID: in.Step.ApplicationID, AwardVersion: in.Version, Summary: in.Summary, Years: years, EndDate: &end,
		Conditions: conditions, DecidedBy: in.Step.Actor.UserID, DecidedRole: string(in.Step.Actor.Role), DelegationBand: in.DelegationBand,
		RulesVersion: in.RulesVersion, DecidedAt: in.Step.At}
	if !in.AcceptBy.IsZero() {
		v.AcceptBy = &in.AcceptBy
	}
	return classify(a.Store.ApplyVariation(ctx, v, in.SchemeID, in.Years, in.Tranches, event(ctx, in.Step)))
}

// dateColumn is a London date as a date column takes it (midnight UTC of the same calendar day, so
// no time zone moves it to the day before), or nil for a zero time.
func dateColumn(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	y, m, d := t.In(scheme.London).Date()
	c := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &c
}

// LondonDate is a date column's calendar day as a London date (midnight in London).
func LondonDate(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, scheme.London)
}

// awardEnd is the last day of the award's last financial year (31 March): the end of its last
// funded quarter.
func awardEnd(years []grant.YearAmount) time.Time {
	return time.Date(years[len(years)-1].FinancialYear+1, time.March, 31, 0, 0, 0, 0, time.UTC)
}

// AcceptVariationInput is the provider's acceptance of a varied agreement.
type AcceptVariationInput struct {
	Step    Step
	Version int
}

// AcceptVariation records who accepted the varied agreement and when, once.
func (a *Awards) AcceptVariation(ctx context.Context, in AcceptVariationInput) error {
	return classify(a.Store.AcceptVariation(ctx, in.Step.ApplicationID, in.Version, in.Step.Actor.UserID, event(ctx, in.Step)))
}

// CloseAwardInput ends an award: early (Terminated) or on acceptance of the final report. Keep is
// what stays committed per year (what was paid, less any underspend); the rest returns to the budgets.
type CloseAwardInput struct {
	Step       Step
	SchemeID   int64
	Keep       []grant.YearAmount
	Spent      *money.Pence
	Terminated bool
	Reason     string
}

// CloseAward records the ending and returns the uncommitted budget, once.
func (a *Awards) CloseAward(ctx context.Context, in CloseAwardInput) error {
	return classify(a.Store.CloseAward(ctx, in.Step.ApplicationID, in.SchemeID, in.Keep, in.Spent, in.Terminated, in.Reason, event(ctx, in.Step)))
}
