package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"grantflow/store"
)

// checkTimeout bounds each readiness check, so /readyz answers within it even when a dependency
// hangs rather than refuses.
const checkTimeout = 2 * time.Second

// registerHealth adds /livez, its older name /healthz, and /readyz.
func registerHealth(r gin.IRoutes, d Deps) {
	r.GET("/livez", livez)
	r.GET("/healthz", livez) // the older name, kept for probes already configured with it
	r.GET("/readyz", readyz(d.Logger, readinessChecks(d)))
}

// Health serves the health checks alone, for a process with no front door: a worker deployed on
// its own answers its orchestrator's probes with it, and serves nothing else. Its requests are
// logged and counted as the front door's are, so an alert on /readyz sees workers too.
func Health(d Deps) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(middleware(d)...)
	registerHealth(r, d)
	return r
}

// livez says the process answers HTTP; it checks nothing else, so an orchestrator restarts the
// process only when the process itself is stuck (also served as /healthz, its older name).
func livez(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// check is one readiness condition: its name in the answer and the test it runs.
type check struct {
	name string
	run  func(context.Context) error
}

// checkResult is how one check went, as /readyz reports it.
type checkResult struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// readyz answers 200 only when every check passes within checkTimeout, otherwise 503 naming the
// failed checks and why. The checks run concurrently; the reasons are written for an operator and
// carry no connection strings or credentials (the full error goes to the log).
func readyz(logger *slog.Logger, checks []check) gin.HandlerFunc {
	return func(c *gin.Context) {
		results := make(map[string]checkResult, len(checks))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, ch := range checks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(c.Request.Context(), checkTimeout)
				defer cancel()
				err := ch.run(ctx)
				r := checkResult{Status: "ok"}
				if err != nil {
					r = checkResult{Status: "failed", Error: reason(ctx, err)}
					if logger != nil {
						logger.Warn("readiness check failed", "check", ch.name, "error", err)
					}
				}
				mu.Lock()
				results[ch.name] = r
				mu.Unlock()
			}()
		}
		wg.Wait()
		status, word := http.StatusOK, "ok"
		var failed []string
		for _, ch := range checks {
			if results[ch.name].Status != "ok" {
				failed = append(failed, ch.name)
			}
		}
		if len(failed) > 0 {
			status, word = http.StatusServiceUnavailable, "unavailable"
		}
		c.Header("Cache-Control", "no-store")
		body := gin.H{"status": word, "checks": results}
		if len(failed) > 0 {
			body["failed"] = failed
		}
		c.JSON(status, body)
	}
}

// reason is what /readyz says about a failed check: a timeout in plain words, otherwise the error.
func reason(ctx context.Context, err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", checkTimeout)
	}
	return err.Error()
}

// readinessChecks are PostgreSQL answering, Temporal answering, and the database's migrations
// being the newest this binary carries.
func readinessChecks(d Deps) []check {
	temporalCheck := d.TemporalCheck
	if temporalCheck == nil {
		temporalCheck = TemporalHealth(d.Temporal)
	}
	return []check{
		{"postgres", func(ctx context.Context) error {
			if d.Store == nil {
				return errors.New("no database configured")
			}
			return d.Store.Ping(ctx)
		}},
		{"temporal", temporalCheck},
		{"migrations", func(ctx context.Context) error { return migrationsCurrent(ctx, d.Store) }},
	}
}

// TemporalHealth is the readiness check on a Temporal client: the frontend's gRPC health check.
func TemporalHealth(c client.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		if c == nil {
			return errors.New("no Temporal client configured")
		}
		if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			return fmt.Errorf("check Temporal health: %w", err)
		}
		return nil
	}
}

func migrationsCurrent(ctx context.Context, st *store.Store) error {
	if st == nil {
		return errors.New("no database configured")
	}
	database, embedded, err := st.MigrationVersions(ctx)
	if err != nil {
		return err
	}
	if database != embedded {
		return fmt.Errorf("database is at migration %d, this binary expects %d", database, embedded)
	}
	return nil
}
