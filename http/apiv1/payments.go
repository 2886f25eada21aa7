package apiv1

// Two-person payments: one member of finance proposes a payment (or a batch of the payments due),
// another approves it, and once the bank has paid them finance marks the batch paid with the bank's
// reference. Who may take each step is the workflows' rule book; this file only carries the steps
// to each application's workflow and reports, payment by payment, what became of them.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// PaymentSignOffRequest proposes or approves one payment: a one-off grant's (no tranche), or one
// tranche of a service award.
type PaymentSignOffRequest struct {
	Tranche int `json:"tranche"`
}

// ProposePayment has a member of finance propose a payment; another must approve it.
func (s *Server) ProposePayment(ctx context.Context, u store.User, id int64, r PaymentSignOffRequest) (workflows.UpdateResult, error) {
	return s.signOff(ctx, u, id, workflows.UpdateProposePayment, r.Tranche)
}

// ApprovePayment has a second member of finance approve a proposed payment.
func (s *Server) ApprovePayment(ctx context.Context, u store.User, id int64, r PaymentSignOffRequest) (workflows.UpdateResult, error) {
	return s.signOff(ctx, u, id, workflows.UpdateApprovePayment, r.Tranche)
}

func (s *Server) signOff(ctx context.Context, u store.User, id int64, update string, tranche int) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		switch {
		case kind == scheme.Service && tranche <= 0:
			return "", nil, httperr.Field("tranche", "give the number of the tranche to pay")
		case kind == scheme.Grassroots && tranche > 1:
			return "", nil, httperr.Field("tranche", "a one-off grant is paid in one payment: leave the tranche out")
		}
		return update, workflows.PaymentSignOffRequest{Actor: a, Tranche: tranche}, nil
	})
}

// PaymentItem names one payment in a batch: an application and, for a service award, its tranche.
type PaymentItem struct {
	ApplicationID int64 `json:"application_id"`
	Tranche       int   `json:"tranche"`
}

// PaymentBatchRequest is a batch of payments to propose or approve.
type PaymentBatchRequest struct {
	Payments []PaymentItem `json:"payments"`
}

// PaidBatchRequest marks a batch of approved payments paid, with the bank's reference for the
// batch and the day the bank paid it.
type PaidBatchRequest struct {
	Payments  []PaymentItem `json:"payments"`
	Reference string        `json:"reference"`
	PaidOn    string        `json:"paid_on"`
}

// Outcomes of one payment in a batch.
const (
	OutcomeProposed        = "proposed"
	OutcomeApproved        = "approved"
	OutcomePaid            = "paid"             // recorded now
	OutcomeAlreadyRecorded = "already_recorded" // recorded before (a retried batch): nothing recorded twice
	OutcomeRefused         = "refused"          // the workflow, or the API, refused it: Message says why
)

// PaymentOutcome is what became of one payment of a batch.
type PaymentOutcome struct {
	ApplicationID int64  `json:"application_id"`
	Tranche       int    `json:"tranche"`
	Outcome       string `json:"outcome"`
	Message       string `json:"message"`
}

// PaymentBatchResult lists each payment's outcome, in the order asked.
type PaymentBatchResult struct {
	Results []PaymentOutcome `json:"results"`
}

func checkBatch(p problems, items []PaymentItem) {
	if len(items) == 0 {
		p.add("payments", "choose at least one payment")
		return
	}
	if len(items) > 500 {
		p.add("payments", "must be at most 500 payments")
	}
	seen := map[PaymentItem]bool{}
	for i, it := range items {
		switch {
		case it.ApplicationID <= 0:
			p.add(fmt.Sprintf("payments[%d].application_id", i), "is required")
		case it.Tranche < 0:
			p.add(fmt.Sprintf("payments[%d].tranche", i), "cannot be negative")
		case seen[it]:
			p.add(fmt.Sprintf("payments[%d]", i), "is in the batch twice")
		}
		seen[it] = true
	}
}

// ProposePayments proposes each payment of the batch (the proposer is the caller).
func (s *Server) ProposePayments(ctx context.Context, u store.User, r PaymentBatchRequest) (PaymentBatchResult, error) {
	return s.signOffBatch(ctx, u, r, workflows.UpdateProposePayment, OutcomeProposed)
}

// ApprovePayments approves each payment of the batch (the approver is the caller).
func (s *Server) ApprovePayments(ctx context.Context, u store.User, r PaymentBatchRequest) (PaymentBatchResult, error) {
	return s.signOffBatch(ctx, u, r, workflows.UpdateApprovePayment, OutcomeApproved)
}

func (s *Server) signOffBatch(ctx context.Context, u store.User, r PaymentBatchRequest, update, outcome string) (PaymentBatchResult, error) {
	p := problems{}
	checkBatch(p, r.Payments)
	if err := p.err(); err != nil {
		return PaymentBatchResult{}, err
	}
	out := PaymentBatchResult{Results: []PaymentOutcome{}}
	for _, it := range r.Payments {
		res, err := s.signOff(ctx, u, it.ApplicationID, update, it.Tranche)
		o, err := batchOutcome(it, outcome, res, err)
		if err != nil {
			return PaymentBatchResult{}, err
		}
		out.Results = append(out.Results, o)
	}
	return out, nil
}

// batchOutcome turns one step's answer into the batch's line: a refusal is reported beside the
// others, not fatal; an infrastructure error stops the batch (what was done stays done, and a retry
// reports it).
func batchOutcome(it PaymentItem, outcome string, res workflows.UpdateResult, err error) (PaymentOutcome, error) {
	o := PaymentOutcome{ApplicationID: it.ApplicationID, Tranche: it.Tranche, Outcome: outcome, Message: res.Message}
	if err == nil {
		return o, nil
	}
	he := httperr.From(err)
	if he.Status >= http.StatusInternalServerError {
		return o, err
	}
	o.Outcome, o.Message = OutcomeRefused, he.Message
	return o, nil
}

// MarkPaid records each approved payment of the batch as paid with the bank's reference and day.
// It is safe to retry: a payment already recorded is reported as already_recorded (with the
// reference it was recorded under) and never recorded twice.
func (s *Server) MarkPaid(ctx context.Context, u store.User, r PaidBatchRequest) (PaymentBatchResult, error) {
	p := problems{}
	checkBatch(p, r.Payments)
	p.required("reference", r.Reference)
	p.maxLen("reference", r.Reference, 100)
	p.required("paid_on", r.PaidOn)
	paidOn := p.date("paid_on", r.PaidOn)
	if err := p.err(); err != nil {
		return PaymentBatchResult{}, err
	}
	reference := strings.TrimSpace(r.Reference)
	out := PaymentBatchResult{Results: []PaymentOutcome{}}
	for _, it := range r.Payments {
		o, err := s.markOnePaid(ctx, u, it, reference, *paidOn)
		if err != nil {
			return PaymentBatchResult{}, err
		}
		out.Results = append(out.Results, o)
	}
	return out, nil
}

func (s *Server) markOnePaid(ctx context.Context, u store.User, it PaymentItem, reference string, paidOn time.Time) (PaymentOutcome, error) {
	o := PaymentOutcome{ApplicationID: it.ApplicationID, Tranche: it.Tranche}
	if _, err := s.visible(ctx, u, it.ApplicationID); err != nil {
		return batchOutcome(it, "", workflows.UpdateResult{}, err)
	}
	award, err := s.Store.AwardForApplication(ctx, it.ApplicationID)
	if errors.Is(err, store.ErrNotFound) {
		o.Outcome, o.Message = OutcomeRefused, "the application has no award to pay"
		return o, nil
	} else if err != nil {
		return o, err
	}
	tranche := max(it.Tranche, 1) // a one-off grant's payment is stored as its tranche 1
	if paid, err := s.recordedPayment(ctx, award.ID, tranche); err != nil || paid != nil {
		if paid != nil {
			o.Outcome, o.Message = OutcomeAlreadyRecorded, fmt.Sprintf("already recorded as paid on %s, reference %s",
				paid.PaidOn.Format("2 January 2006"), paid.Reference)
		}
		return o, err
	}
	amount, err := s.amountToPay(ctx, award, it.Tranche)
	if err != nil {
		return o, err
	}
	res, err := s.RecordPayment(ctx, u, it.ApplicationID, PaymentRequest{Tranche: it.Tranche, Amount: amount, PaidOn: paidOn.Format(time.DateOnly), Reference: reference})
	if err != nil {
		// A retry racing the first attempt finds it recorded: report it as such.
		if paid, readErr := s.recordedPayment(ctx, award.ID, tranche); readErr == nil && paid != nil {
			o.Outcome, o.Message = OutcomeAlreadyRecorded, fmt.Sprintf("already recorded as paid on %s, reference %s", paid.PaidOn.Format("2 January 2006"), paid.Reference)
			return o, nil
		}
	}
	return batchOutcome(it, OutcomePaid, res, err)
}

func (s *Server) recordedPayment(ctx context.Context, awardID int64, tranche int) (*store.Payment, error) {
	payments, err := s.Store.Payments(ctx, awardID)
	if err != nil {
		return nil, err
	}
	for _, p := range payments {
		if p.Tranche == tranche {
			return &p, nil
		}
	}
	return nil, nil
}

// amountToPay is what the award owes for the payment: the whole of a one-off grant, or the tranche's
// amount. The workflow checks it again.
func (s *Server) amountToPay(ctx context.Context, award store.Award, tranche int) (money.Pence, error) {
	if tranche == 0 {
		return award.Amount, nil
	}
	tranches, err := s.Store.Tranches(ctx, award.ID)
	if err != nil {
		return 0, err
	}
	for _, t := range tranches {
		if t.No == tranche {
			return t.Amount, nil
		}
	}
	return 0, httperr.Field("tranche", fmt.Sprintf("there is no tranche %d", tranche))
}

func batchHandler[T any](s *Server, do func(context.Context, store.User, T) (PaymentBatchResult, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := currentUser(c)
		var req T
		if err := bind(c, &req); err != nil {
			s.fail(c, err)
			return
		}
		res, err := do(c.Request.Context(), u, req)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, res)
	}
}
