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
	// The batch's deadline (STEP_TIMEOUT, for the whole batch) passed:
	OutcomeUndecided = "undecided" // sent, but not answered in time: it may or may not have been taken
	OutcomeNotTaken  = "not_taken" // never sent: send it again
)

// PaymentOutcome is what became of one payment of a batch.
type PaymentOutcome struct {
	ApplicationID int64  `json:"application_id"`
	Tranche       int    `json:"tranche"`
	Outcome       string `json:"outcome"`
	Message       string `json:"message"`
}

// PaymentBatchResult lists each payment's outcome, in the order asked. Complete is false when the
// batch's deadline passed before every payment was answered: the last ones are undecided or
// not_taken, and the batch may be sent again (with the same Idempotency-Key, if it had one).
type PaymentBatchResult struct {
	Results  []PaymentOutcome `json:"results"`
	Complete bool             `json:"complete"`
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
	return s.underBatchDeadline(ctx, r.Payments, func(ctx context.Context, it PaymentItem) (PaymentOutcome, error) {
		res, err := s.signOff(ctx, u, it.ApplicationID, update, it.Tranche)
		return batchOutcome(it, outcome, res, err)
	})
}

// underBatchDeadline takes each payment of a batch in turn under one step deadline for the whole
// batch (STEP_TIMEOUT, as for a single step), so that a batch of hundreds cannot outlast the
// server's write timeout. When the deadline passes the answer still comes, payment by payment:
// what was taken, the one in hand undecided, the rest not taken. An infrastructure error, as
// before, stops the batch and is the answer; what was done stays done, and a retry reports it.
func (s *Server) underBatchDeadline(ctx context.Context, items []PaymentItem, take func(context.Context, PaymentItem) (PaymentOutcome, error)) (PaymentBatchResult, error) {
	limit := s.stepTimeout()
	bctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	out := PaymentBatchResult{Results: make([]PaymentOutcome, 0, len(items)), Complete: true}
	for i, it := range items {
		if bctx.Err() != nil && ctx.Err() == nil {
			return notTaken(out, items[i:], limit), nil
		}
		o, err := take(forBatchItem(bctx, it), it)
		if err != nil && ctx.Err() == nil && (bctx.Err() != nil || httperr.From(err).Undecided) {
			out.Results = append(out.Results, PaymentOutcome{ApplicationID: it.ApplicationID, Tranche: it.Tranche, Outcome: OutcomeUndecided,
				Message: fmt.Sprintf("sent, but not answered within the batch's %s: it may or may not have been taken; send the batch again to learn which", limit)})
			return notTaken(out, items[i+1:], limit), nil
		}
		if err != nil {
			return PaymentBatchResult{}, err
		}
		out.Results = append(out.Results, o)
	}
	return out, nil
}

func notTaken(out PaymentBatchResult, rest []PaymentItem, limit time.Duration) PaymentBatchResult {
	out.Complete = false
	for _, it := range rest {
		out.Results = append(out.Results, PaymentOutcome{ApplicationID: it.ApplicationID, Tranche: it.Tranche, Outcome: OutcomeNotTaken,
			Message: fmt.Sprintf("not sent: the batch's %s ran out first; send it again", limit)})
	}
	return out
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
	return s.underBatchDeadline(ctx, r.Payments, func(ctx context.Context, it PaymentItem) (PaymentOutcome, error) {
		return s.markOnePaid(ctx, u, it, reference, *paidOn)
	})
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
		res, err := do(store.EffectInWorkflow(c.Request.Context()), u, req)
		if err != nil {
			s.fail(c, err)
			return
		}
		if !res.Complete {
			c.Set(answerNotFinal, true) // a repeat with the same Idempotency-Key carries the batch on
		}
		c.JSON(http.StatusOK, res)
	}
}
