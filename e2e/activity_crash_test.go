package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"

	"grantflow/internal/app"
)

// diesMidActivity stands for a worker killed in the middle of one activity's first attempt: the
// attempt does nothing and never answers, so only its start-to-close timeout frees the step.
// Every other attempt, the retry among them, runs on the live worker as usual.
type diesMidActivity struct {
	interceptor.WorkerInterceptorBase
	activityType string
	mu           sync.Mutex
	died         bool
	gone         chan struct{} // closed when the test ends: the dead attempt's goroutine returns
}

func (d *diesMidActivity) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &diesMidActivityInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, d: d}
}

type diesMidActivityInbound struct {
	interceptor.ActivityInboundInterceptorBase
	d *diesMidActivity
}

func (i *diesMidActivityInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	info := activity.GetInfo(ctx)
	i.d.mu.Lock()
	dies := !i.d.died && info.ActivityType.Name == i.d.activityType && info.Attempt == 1
	i.d.died = i.d.died || dies
	i.d.mu.Unlock()
	if dies {
		<-i.d.gone // a dead process answers nothing, not even its context's deadline
		return nil, errors.New("the worker died")
	}
	return i.Next.ExecuteActivity(ctx, in)
}

// A step whose worker died in the middle of its activity is retried once the attempt's short
// start-to-close timeout passes, so the person's request is answered with the step done, within
// the API's step deadline (20 s). With the 30 s timeout activities used to have, the request
// outlived the deadline and was answered 503 "try again".
func TestStepWhoseWorkerDiedMidActivityCompletesWithinTheStepDeadline(t *testing.T) {
	dying := &diesMidActivity{activityType: "SaveAssessment", gone: make(chan struct{})}
	opts := app.WorkerOptions(app.WorkerConfig{}, nil)
	opts.Interceptors = []interceptor.WorkerInterceptor{dying}
	s := newSystemWithWorker(t, time.Time{}, false, opts)
	t.Cleanup(func() { close(dying.gone) }) // before the worker stops (cleanups run last first)
	applicant := s.registerApplicant(t, "Night Owls Trust", "ola@night-owls.example.org")
	assessor := s.staff(t, "assessor")
	id := s.applyFor(t, applicant, 300000)

	r := s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/assessments", id), assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Strong local project"})
	if got := r.str("application", "status"); got != "decision" {
		t.Errorf("after the assessment whose first attempt died the status is %q, want decision", got)
	}
	dying.mu.Lock()
	died := dying.died
	dying.mu.Unlock()
	if !died {
		t.Fatal("no attempt of SaveAssessment died: the test proved nothing")
	}
	var saved int
	if err := s.Store.DB.Get(&saved, `SELECT count(*) FROM assessments WHERE application_id = $1`, id); err != nil || saved != 1 {
		t.Errorf("%d assessments saved (%v), want 1", saved, err)
	}
}
