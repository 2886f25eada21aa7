package apiv1

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// Closure of a service award: waiving returns missing at the final review, and recovering an
// underspend (repayments recorded by finance, or a write-off) before the grant closes.

// QuarterRef names one quarter of a financial year.
type QuarterRef struct {
	FinancialYear int `json:"financial_year"`
	Quarter       int `json:"quarter"`
}

// WaiverRequest waives the returns of the named quarters so the grant may close without them.
type WaiverRequest struct {
	Quarters []QuarterRef `json:"quarters"`
	Reason   string       `json:"reason"`
}

// WaiveReturns records the head of commissioning's waiver.
func (s *Server) WaiveReturns(ctx context.Context, u store.User, id int64, r WaiverRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		if err := serviceOnly(kind); err != nil {
			return "", nil, err
		}
		p := problems{}
		p.maxLen("reason", r.Reason, 5000)
		if len(r.Quarters) > 40 {
			p.add("quarters", "lists too many quarters")
		}
		req := workflows.WaiveReturnsRequest{Actor: a, Reason: strings.TrimSpace(r.Reason)}
		for i, q := range r.Quarters {
			sub := problems{}
			checkQuarter(sub, q.FinancialYear, q.Quarter)
			for field, reason := range sub {
				p.add(fmt.Sprintf("quarters[%d].%s", i, field), reason)
			}
			req.Quarters = append(req.Quarters, workflows.Quarter{FY: q.FinancialYear, Q: q.Quarter})
		}
		return workflows.UpdateWaiveReturns, req, p.err()
	})
}

// RepaymentRequest is money the provider repaid against an underspend.
type RepaymentRequest struct {
	Amount     money.Pence `json:"amount_pence"`
	ReceivedOn string      `json:"received_on"`
	Reference  string      `json:"reference"`
}

// RecordRepayment records a repayment finance has received.
func (s *Server) RecordRepayment(ctx context.Context, u store.User, id int64, r RepaymentRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		if err := serviceOnly(kind); err != nil {
			return "", nil, err
		}
		p := problems{}
		p.amount("amount_pence", r.Amount)
		p.required("received_on", r.ReceivedOn)
		p.maxLen("reference", r.Reference, 100)
		req := workflows.RecordRepaymentRequest{Actor: a, Amount: r.Amount, Reference: strings.TrimSpace(r.Reference)}
		if t := p.date("received_on", r.ReceivedOn); t != nil {
			req.ReceivedOn = *t
		}
		return workflows.UpdateRecordRepayment, req, p.err()
	})
}

// WriteOffRequest writes off what is still owed.
type WriteOffRequest struct {
	Reason string `json:"reason"`
}

// WriteOff writes off the amount still owed, within the person's delegated band.
func (s *Server) WriteOff(ctx context.Context, u store.User, id int64, r WriteOffRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		if err := serviceOnly(kind); err != nil {
			return "", nil, err
		}
		p := problems{}
		p.maxLen("reason", r.Reason, 5000)
		return workflows.UpdateWriteOff, workflows.WriteOffRequest{Actor: a, Reason: strings.TrimSpace(r.Reason)}, p.err()
	})
}

// RecoveryView is an underspend owed back and how its recovery stands.
type RecoveryView struct {
	Reference      string            `json:"reference"`
	Owed           money.Pence       `json:"owed_pence"`
	Repaid         money.Pence       `json:"repaid_pence"`
	WrittenOff     money.Pence       `json:"written_off_pence"`
	Outstanding    money.Pence       `json:"outstanding_pence"`
	DueOn          string            `json:"due_on"`
	Repayments     []store.Repayment `json:"repayments"`
	WriteOffReason string            `json:"write_off_reason,omitempty"`
	LetterID       *int64            `json:"letter_document_id,omitempty"`
}

// recoveryOf reads an award's recovery, or nil when nothing is owed back.
func (s *Server) recoveryOf(ctx context.Context, applicationID, awardID int64) (*RecoveryView, error) {
	r, err := s.Store.RecoveryFor(ctx, applicationID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := &RecoveryView{Reference: r.Reference, Owed: r.Amount, DueOn: r.DueOn.Format(time.DateOnly), WriteOffReason: r.WriteOffReason, LetterID: r.LetterID}
	if v.Repayments, err = s.Store.Repayments(ctx, awardID); err != nil {
		return nil, err
	}
	for _, p := range v.Repayments {
		v.Repaid += p.Amount
	}
	if r.WrittenOff != nil {
		v.WrittenOff = *r.WrittenOff
	}
	v.Outstanding = v.Owed - v.Repaid - v.WrittenOff
	return v, nil
}
