package apiv1

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/http/httperr"
)

// A batch has one deadline, not one per payment: when it passes, the answer still says payment by
// payment what was taken, which one is undecided and which were never sent.
func TestPaymentBatchHasOneDeadlineAndAnswersPerPayment(t *testing.T) {
	s := &Server{StepTimeout: 2 * time.Second} // long enough that no pause on a busy machine cuts the first payment off
	items := []PaymentItem{{ApplicationID: 1}, {ApplicationID: 2}, {ApplicationID: 3, Tranche: 2}, {ApplicationID: 4}}
	var sent []int64
	res, err := s.underBatchDeadline(context.Background(), items, func(ctx context.Context, it PaymentItem) (PaymentOutcome, error) {
		sent = append(sent, it.ApplicationID)
		if it.ApplicationID == 2 { // Temporal does not answer this one
			<-ctx.Done()
			return PaymentOutcome{}, ctx.Err()
		}
		return PaymentOutcome{ApplicationID: it.ApplicationID, Tranche: it.Tranche, Outcome: OutcomeProposed}, nil
	})
	if err != nil {
		t.Fatalf("a batch cut short by its deadline answered %v, want its results", err)
	}
	want := []string{OutcomeProposed, OutcomeUndecided, OutcomeNotTaken, OutcomeNotTaken}
	if res.Complete || len(res.Results) != len(want) {
		t.Fatalf("results %+v (complete %v), want %v and incomplete", res.Results, res.Complete, want)
	}
	for i, o := range res.Results {
		if o.Outcome != want[i] || o.ApplicationID != items[i].ApplicationID || o.Tranche != items[i].Tranche || o.Message == "" && i > 0 {
			t.Errorf("payment %d: %+v, want %s for application %d", i, o, want[i], items[i].ApplicationID)
		}
	}
	if len(sent) != 2 {
		t.Errorf("sent %v after the deadline passed, want only applications 1 and 2", sent)
	}
}

// The frontend's own "no answer in time" (a try-again from a step) is the batch's deadline too; a
// refusal or an outage is not.
func TestPaymentBatchTreatsAnUndecidedStepAsTheDeadline(t *testing.T) {
	s := &Server{StepTimeout: time.Hour}
	items := []PaymentItem{{ApplicationID: 1}, {ApplicationID: 2}}
	res, err := s.underBatchDeadline(context.Background(), items, func(ctx context.Context, it PaymentItem) (PaymentOutcome, error) {
		return underStepDeadline(s, ctx, func(context.Context) (PaymentOutcome, error) {
			return PaymentOutcome{}, client.NewWorkflowUpdateServiceTimeoutOrCanceledError(errors.New("deadline"))
		})
	})
	if err != nil || res.Complete || res.Results[0].Outcome != OutcomeUndecided || res.Results[1].Outcome != OutcomeNotTaken {
		t.Fatalf("results %+v, %v; want undecided then not taken", res, err)
	}
	outage := errors.New("database unreachable")
	_, err = s.underBatchDeadline(context.Background(), items, func(context.Context, PaymentItem) (PaymentOutcome, error) { return PaymentOutcome{}, outage })
	if !errors.Is(err, outage) {
		t.Fatalf("an outage answered %v, want the outage", err)
	}
	res, err = s.underBatchDeadline(context.Background(), items, func(_ context.Context, it PaymentItem) (PaymentOutcome, error) {
		return PaymentOutcome{ApplicationID: it.ApplicationID, Outcome: OutcomeApproved}, nil
	})
	if err != nil || !res.Complete || len(res.Results) != 2 {
		t.Fatalf("a batch in time: %+v, %v; want complete", res, err)
	}
}

func TestParseIdempotencyKey(t *testing.T) {
	for _, c := range []struct {
		values []string
		want   string
		bad    bool
	}{
		{values: []string{"8e03978e-40d5-43e8-bc93-6894a57f9324"}, want: "8e03978e-40d5-43e8-bc93-6894a57f9324"},
		{values: []string{`"8e03978e-40d5-43e8-bc93-6894a57f9324"`}, want: "8e03978e-40d5-43e8-bc93-6894a57f9324"}, // the draft's sf-string
		{values: []string{"a key with spaces"}, want: "a key with spaces"},
		{values: []string{string(make([]byte, 255))}, bad: true},
		{values: []string{""}, bad: true},
		{values: []string{`""`}, bad: true},
		{values: []string{"   "}, bad: true},
		{values: []string{"tab\there"}, bad: true},
		{values: []string{"café"}, bad: true},
		{values: []string{"a", "b"}, bad: true},
		{values: []string{string(make([]byte, 256))}, bad: true},
	} {
		got, err := parseIdempotencyKey(c.values)
		if c.bad {
			he := httperr.From(err)
			if err == nil || he.Status != 422 || he.Fields[IdempotencyKeyHeader] == "" {
				t.Errorf("%q: %q, %v; want a 422 naming %s", c.values, got, err, IdempotencyKeyHeader)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %q, %v; want %q", c.values, got, err, c.want)
		}
	}
	long := make([]byte, 255)
	for i := range long {
		long[i] = 'k'
	}
	if got, err := parseIdempotencyKey([]string{string(long)}); err != nil || got != string(long) {
		t.Errorf("255 characters: %v", err)
	}
}
