//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"grantflow/internal/apiclient"
	"grantflow/internal/demo"
	"grantflow/store"
)

// api is the drivers' client of the front door. It retries as a careful client does: after a
// connection error or a 5xx it reads the application again before resending, so a step whose
// answer was lost is not taken twice; a 409 wrong_stage (the read model or the workflow not yet
// where the step applies, as after a crash) is waited out and re-read.
type api struct {
	base  string
	http  *http.Client
	stats *driveStats
}

// driveStats counts what the drivers met, for the summary.
type driveStats struct {
	retries      atomic.Int64 // requests sent again after an error, 5xx or 409
	unavailable  atomic.Int64 // 503 try_again answers
	serverErrors atomic.Int64 // other 5xx answers: each is a bug to look at (the front door's own)
	connErrors   atomic.Int64
	lastServer   atomic.Value // the last other-5xx answer, as text
}

// answer is an answer read whole.
type answer = apiclient.Response

// send makes one request; err is a connection error (no answer, or one that could not be read).
func (c *api) send(ctx context.Context, method, path, token string, body any) (answer, error) {
	req, _, err := apiclient.NewRequest(ctx, method, c.base+path, token, body)
	if err != nil {
		return answer{}, err
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.stats.connErrors.Add(1)
		return answer{}, err
	}
	a, err := apiclient.Read(res)
	if err != nil {
		c.stats.connErrors.Add(1)
		return answer{}, err
	}
	switch {
	case a.Status == http.StatusServiceUnavailable:
		c.stats.unavailable.Add(1)
	case a.Status >= 500:
		c.stats.serverErrors.Add(1)
		c.stats.lastServer.Store(fmt.Sprintf("%s %s: %d %.300s", method, path, a.Status, a.Raw))
	}
	return a, nil
}

// stepTimeout bounds one step of one grant, retries included: longer than a worker's restart plus
// the activity and workflow-task timeouts a crash makes the system wait out.
const stepTimeout = 5 * time.Minute

// get reads, retrying connection errors and 5xx answers until it has an answer below 500.
func (c *api) get(ctx context.Context, path, token string) (answer, error) {
	deadline := time.Now().Add(stepTimeout)
	for {
		a, err := c.send(ctx, "GET", path, token, nil)
		if err == nil && a.Status < 500 {
			if a.Status != http.StatusOK {
				return a, fmt.Errorf("GET %s: %d %.300s", path, a.Status, a.Raw)
			}
			return a, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return a, fmt.Errorf("GET %s: no answer within %s: %v %.300s", path, stepTimeout, err, a.Raw)
		}
		c.stats.retries.Add(1)
		pause(ctx)
	}
}

// errGaveUp is a step that could not be taken within stepTimeout.
var errGaveUp = errors.New("gave up")

// step takes one step of a grant: done reports whether it has been taken already (read afresh
// before every resend). A 4xx that says "already" is a step an earlier, unanswered attempt took.
func (c *api) step(ctx context.Context, method, path, token string, body any, done func() (bool, error)) (answer, error) {
	deadline := time.Now().Add(stepTimeout)
	var last string
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.stats.retries.Add(1)
			pause(ctx)
			if ok, err := done(); err != nil {
				return answer{}, err
			} else if ok {
				return answer{}, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return answer{}, fmt.Errorf("%s %s: %w after %s: %s", method, path, errGaveUp, stepTimeout, last)
		}
		a, err := c.send(ctx, method, path, token, body)
		switch {
		case err != nil:
			last = err.Error()
			continue
		case a.Status < 300:
			return a, nil
		case a.Status >= 500:
			last = fmt.Sprintf("%d %.300s", a.Status, a.Raw)
			continue
		case a.Status < 500 && strings.Contains(a.Str("error", "message"), "already"):
			return a, nil
		case a.Status == http.StatusConflict || a.Status == http.StatusTooManyRequests:
			last = fmt.Sprintf("%d %.300s", a.Status, a.Raw)
			continue
		default:
			return a, fmt.Errorf("%s %s: %d %.500s", method, path, a.Status, a.Raw)
		}
	}
}

func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(400 * time.Millisecond):
	}
}

// status reads an application's stage.
func (c *api) status(ctx context.Context, token string, id int64) (string, answer, error) {
	a, err := c.get(ctx, fmt.Sprintf("/api/v1/applications/%d", id), token)
	if err != nil {
		return "", a, err
	}
	return a.Str("status"), a, nil
}

// await waits until the application is at one of the stages.
func (c *api) await(ctx context.Context, token string, id int64, stages ...string) error {
	deadline := time.Now().Add(stepTimeout)
	for {
		st, _, err := c.status(ctx, token, id)
		if err != nil {
			return err
		}
		if slices.Contains(stages, st) {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("application %d stayed %s, waiting for %v: %w", id, st, stages, errGaveUp)
		}
		pause(ctx)
	}
}

// reached says whether an application has gone past stage in its kind's order of stages.
func (c *api) reached(ctx context.Context, token string, id int64, order []string, stage string) func() (bool, error) {
	return func() (bool, error) {
		st, _, err := c.status(ctx, token, id)
		if err != nil {
			return false, err
		}
		return slices.Index(order, st) >= slices.Index(order, stage), nil
	}
}

func (c *api) signIn(ctx context.Context, email, password string, secondFactor bool) (string, error) {
	body := map[string]string{"email": email, "password": password}
	for deadline := time.Now().Add(stepTimeout); ; pause(ctx) {
		if secondFactor {
			// A code for each attempt: on a busy machine the previous one may have expired, or an
			// attempt whose answer was lost may have used it (each is good once per account).
			code, err := store.TOTPCode(demo.TOTPSecret, time.Now())
			if err != nil {
				return "", err
			}
			body["otp"] = code
		}
		a, err := c.send(ctx, "POST", "/api/v1/tokens", "", body)
		if err == nil && a.Status == http.StatusCreated {
			return a.Str("token"), nil
		}
		usedCode := err == nil && a.Status == http.StatusUnauthorized && secondFactor && apiclient.Dig(a.Body, "error", "fields", "otp") != nil
		if err == nil && a.Status < 500 && a.Status != http.StatusTooManyRequests && !usedCode {
			return "", fmt.Errorf("sign in %s: %d %.300s", email, a.Status, a.Raw)
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("sign in %s: %v %.300s", email, err, a.Raw)
		}
		if usedCode { // the next code comes with the next 30-second step
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(time.Until(time.Now().Truncate(30 * time.Second).Add(30 * time.Second))):
			}
		}
	}
}
