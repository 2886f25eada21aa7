package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// heartbeatEvery is how often a long activity tells Temporal its worker is alive: well inside the
// workflows' 30 s heartbeat timeout for long activities, so a killed worker's attempt is retried
// after half a minute, not after the minutes the whole activity is allowed.
const heartbeatEvery = 5 * time.Second

// keepAlive heartbeats from a goroutine until stop is called, so a long activity whose work is one
// call (a PDF, a month of the register) proves its worker alive while it runs. Outside an activity
// (a direct call in a test) it does nothing.
func keepAlive(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(heartbeatEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
