package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/http/router"
	"grantflow/internal/requestid"
	"grantflow/letters"
	"grantflow/notify"
	"grantflow/reporting"
	"grantflow/store"
	"grantflow/workflows"
)

// SearchAttributes are the custom search attributes the workflows keep current.
var SearchAttributes = map[string]enums.IndexedValueType{
	workflows.SearchStage.GetName():  enums.INDEXED_VALUE_TYPE_KEYWORD,
	workflows.SearchScheme.GetName(): enums.INDEXED_VALUE_TYPE_KEYWORD,
}

// Dial connects to Temporal with the SDK logging through slog. The HTTP request id rides every
// start, update and signal into the workflow and on into its activities (requestid.Propagator);
// a worker built on this client reads it back. The SDK's client and worker metrics go to
// t.Metrics (cfg.Metrics.Temporal(); nil records none).
func Dial(ctx context.Context, t TemporalConn, logger *slog.Logger) (client.Client, error) {
	opts := client.Options{HostPort: t.Address, Namespace: t.Namespace, Logger: sdklog.NewStructuredLogger(logger),
		ContextPropagators: []workflow.ContextPropagator{requestid.Propagator{}}, MetricsHandler: t.Metrics,
		ConnectionOptions: client.ConnectionOptions{TLS: t.TLS}}
	if t.APIKey != "" {
		if t.TLS == nil { // LoadConfig refuses this; a TemporalConn built by hand must not send the key in clear
			return nil, errors.New("connect to Temporal: an API key needs TLS")
		}
		opts.Credentials = client.NewAPIKeyStaticCredentials(t.APIKey)
	}
	if t.TLS != nil {
		warnCertificateValidity(t.TLS, time.Now(), logger)
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s over %s: %w", t.Address, t.security(), err)
	}
	return c, nil
}

// EnsureSearchAttributes registers our search attributes on the namespace; existing ones are fine.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: SearchAttributes,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) && !strings.Contains(err.Error(), "already") {
		return fmt.Errorf("register search attributes: %w", err)
	}
	return nil
}

// NewWorker registers the workflows and activities on Grantflow's task queue, with production's
// worker options at their defaults; the store's outbox turns notifications into messages. The Panel report's figures come from figures (in production
// PanelFiguresOf the store; tests may give fixed ones).
func NewWorker(c client.Client, taskQueue string, st *store.Store, letterhead letters.Letterhead, figures activities.PanelFigures) worker.Worker {
	return NewTunedWorker(c, taskQueue, st, letterhead, figures, WorkerOptions(WorkerConfig{}, nil))
}

// NewTunedWorker is NewWorker with the given SDK worker options (WorkerOptions gives production's).
func NewTunedWorker(c client.Client, taskQueue string, st *store.Store, letterhead letters.Letterhead, figures activities.PanelFigures, opts worker.Options) worker.Worker {
	w := worker.New(c, taskQueue, opts)
	w.RegisterWorkflow(workflows.GrassrootsWorkflow)
	w.RegisterWorkflowWithOptions(workflows.ServiceWorkflow, workflow.RegisterOptions{Name: workflows.ServiceWorkflowName})
	w.RegisterActivity(&activities.Records{Store: st})
	w.RegisterActivity(&activities.Awards{Store: st})
	w.RegisterActivity(&activities.Documents{Store: st, Letterhead: letterhead})
	w.RegisterWorkflowWithOptions(workflows.DigestWorkflow, workflow.RegisterOptions{Name: workflows.DigestWorkflowName})
	w.RegisterActivity(&activities.Digests{Store: st, Outbox: st.Outbox})
	w.RegisterWorkflowWithOptions(workflows.RoundWorkflow, workflow.RegisterOptions{Name: workflows.RoundWorkflowName})
	w.RegisterActivity(&activities.Rounds{Store: st})
	w.RegisterWorkflowWithOptions(workflows.PanelReportWorkflow, workflow.RegisterOptions{Name: workflows.PanelReportWorkflowName})
	w.RegisterActivity(&activities.PanelReports{Store: st, Letterhead: letterhead, Figures: figures})
	w.RegisterWorkflowWithOptions(workflows.PublishRegisterWorkflow, workflow.RegisterOptions{Name: workflows.PublishRegisterWorkflowName})
	w.RegisterActivity(&activities.Publications{Store: st})
	return w
}

// WorkerOptions are the SDK's worker options from WORKER_*: pollers and concurrency (zeros keep
// the SDK's defaults), how long running activities get to finish once the worker is told to stop,
// and onFatal, called when the worker can no longer poll (its namespace gone, say).
func WorkerOptions(w WorkerConfig, onFatal func(error)) worker.Options {
	return worker.Options{
		MaxConcurrentActivityExecutionSize:     w.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: w.MaxConcurrentWorkflowTasks,
		MaxConcurrentActivityTaskPollers:       w.ActivityPollers,
		WorkflowTaskPollerBehavior:             workflowTaskPolls(w.WorkflowPollers),
		WorkerStopTimeout:                      w.StopTimeout,
		OnFatalError:                           onFatal,
	}
}

// workflowTaskPolls is how a worker asks for workflow tasks: the SDK scales its polls, up to most
// (0: the SDK's 100) on each of the task queue and the worker's own sticky queue, and always keeps
// one on the task queue. A fixed number of polls asks only the sticky queue while it has a backlog,
// so a worker busy moving running grants along left new submissions waiting for their first
// workflow task, unscreened, for 15 to 53 seconds (the grants bench at 32 callers).
func workflowTaskPolls(most int) worker.PollerBehavior {
	return worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{MaximumNumberOfPollers: most})
}

// PanelFiguresOf is where the worker's Panel reports take their figures from: the performance
// figures the store gives for a period, and their CSV.
func PanelFiguresOf(st *store.Store) activities.PanelFigures {
	return activities.PanelFigures{
		Compute: func(ctx context.Context, p reporting.Period) (reporting.Figures, error) {
			return reporting.Compute(ctx, st, p)
		},
		CSV: reporting.WriteCSV,
	}
}

// PanelReportSchedule is the schedule that starts the Panel report's daily run on the task queue:
// 06:00 in London every day; the run makes a quarter's report only on the first day after all its
// returns are due (workflows.PanelReportWorkflow), so a day the worker was down is made up the next.
func PanelReportSchedule(taskQueue string) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID: workflows.PanelReportScheduleID(taskQueue),
		Spec: client.ScheduleSpec{
			Calendars:    []client.ScheduleCalendarSpec{{Hour: []client.ScheduleRange{{Start: workflows.PanelReportHour}}, Comment: "Panel report, once a quarter's returns are due"}},
			TimeZoneName: workflows.PanelReportTimeZone,
		},
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.PanelReportScheduleID(taskQueue),
			Workflow:  workflows.PanelReportWorkflowName,
			Args:      []any{workflows.PanelReportInput{}},
			TaskQueue: taskQueue,
		},
		Overlap:       enums.SCHEDULE_OVERLAP_POLICY_SKIP, // a run still going makes the report; another would find it
		CatchupWindow: 12 * time.Hour,
	}
}

// EnsurePanelReportSchedule creates the Panel report's schedule or brings it up to date.
func EnsurePanelReportSchedule(ctx context.Context, c client.Client, taskQueue string) error {
	return EnsureSchedule(ctx, c, PanelReportSchedule(taskQueue), "the Panel report's schedule")
}

// DigestSchedule is the schedule that starts the daily digest on the task queue: 07:00 in London
// every day; a run still going when the next is due makes the next wait its turn rather than
// overlap (each digest is keyed by day, so nothing is sent twice either way).
func DigestSchedule(taskQueue string) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID: workflows.DigestScheduleID(taskQueue),
		Spec: client.ScheduleSpec{
			Calendars:    []client.ScheduleCalendarSpec{{Hour: []client.ScheduleRange{{Start: workflows.DigestHour}}, Comment: "daily digest"}},
			TimeZoneName: workflows.DigestTimeZone,
		},
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.DigestScheduleID(taskQueue),
			Workflow:  workflows.DigestWorkflowName,
			TaskQueue: taskQueue,
		},
		Overlap:       enums.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
		CatchupWindow: 12 * time.Hour, // a server down at 07:00 still sends that morning's digest when it is back
	}
}

// EnsureDigestSchedule creates the daily digest's schedule, or brings an existing one's time and
// action up to date: starting a worker again is never an error.
func EnsureDigestSchedule(ctx context.Context, c client.Client, taskQueue string) error {
	return EnsureSchedule(ctx, c, DigestSchedule(taskQueue), "the daily digest's schedule")
}

// PublishRegisterSchedule starts the register's publication at 06:30 in London every day; the
// workflow decides which months are due (the first working day after each). Runs never overlap
// (the publication is idempotent anyway), and a server down at 06:30 publishes when it is back.
func PublishRegisterSchedule(taskQueue string) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID: workflows.PublishRegisterScheduleID(taskQueue),
		Spec: client.ScheduleSpec{
			Calendars: []client.ScheduleCalendarSpec{{
				Hour:    []client.ScheduleRange{{Start: workflows.PublishRegisterHour}},
				Minute:  []client.ScheduleRange{{Start: workflows.PublishRegisterMinute}},
				Comment: "grants register publication",
			}},
			TimeZoneName: workflows.PublishRegisterTimeZone,
		},
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.PublishRegisterScheduleID(taskQueue),
			Workflow:  workflows.PublishRegisterWorkflowName,
			TaskQueue: taskQueue,
		},
		Overlap:       enums.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
		CatchupWindow: 24 * time.Hour,
	}
}

// EnsurePublishRegisterSchedule creates the register publication's schedule or brings it up to date.
func EnsurePublishRegisterSchedule(ctx context.Context, c client.Client, taskQueue string) error {
	return EnsureSchedule(ctx, c, PublishRegisterSchedule(taskQueue), "the register publication's schedule")
}

// EnsureSchedule creates a schedule, or brings an existing one's spec, action and policies up to
// date: starting a worker again is never an error.
func EnsureSchedule(ctx context.Context, c client.Client, want client.ScheduleOptions, what string) error {
	_, err := c.ScheduleClient().Create(ctx, want)
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		if err != nil {
			return fmt.Errorf("create %s: %w", what, err)
		}
		return nil
	}
	err = c.ScheduleClient().GetHandle(ctx, want.ID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			sched := in.Description.Schedule
			sched.Spec = &want.Spec
			sched.Action = want.Action
			if sched.Policy == nil {
				sched.Policy = &client.SchedulePolicies{}
			}
			sched.Policy.Overlap = want.Overlap
			sched.Policy.CatchupWindow = want.CatchupWindow
			return &client.ScheduleUpdate{Schedule: &sched}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	return nil
}

// Handler is the HTTP front door.
func Handler(c client.Client, st *store.Store, cfg Config, logger *slog.Logger) http.Handler {
	return HandlerOnQueue(c, st, cfg, logger, workflows.TaskQueue)
}

// HandlerOnQueue is the front door starting workflows on a given task queue (tests isolate by queue).
func HandlerOnQueue(c client.Client, st *store.Store, cfg Config, logger *slog.Logger, taskQueue string) http.Handler {
	d := router.Deps{Temporal: c, Store: st, Logger: logger, TokenTTL: cfg.TokenTTL, TaskQueue: taskQueue, Clock: cfg.Clock, InsecureCookies: cfg.InsecureCookies,
		Letterhead: cfg.Letterhead, TrustedProxies: cfg.TrustedProxies, OpenData: cfg.OpenData,
		TemporalUI: cfg.TemporalUIURL, TemporalNamespace: cfg.TemporalNamespace,
		StepTimeout: cfg.StepTimeout, CSRFKey: cfg.CSRFKey, CSRFPreviousKey: cfg.CSRFPreviousKey}
	if cfg.Metrics != nil {
		d.Metrics = cfg.Metrics.HTTP
	}
	return headAsGet(router.New(d))
}

// headAsGet answers a HEAD request as its GET, without the body. Gin routes HEAD only where it is
// registered, so every page and download (the open data's "stable URL" too) said 404 to link
// checkers and harvesters that ask HEAD first. The server still knows the request was HEAD, so
// net/http sends the headers and drops whatever the handler writes.
func headAsGet(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = r.Clone(r.Context())
			r.Method = http.MethodGet
		}
		h.ServeHTTP(w, r)
	})
}

// ListenHTTP opens the HTTP server's port (PORT) on LISTEN_HOST, every interface when it is unset.
func ListenHTTP(cfg Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.ListenAddress())
	if err != nil {
		return nil, fmt.Errorf("listen on %s (set LISTEN_HOST and PORT to use another): %w", cfg.ListenAddress(), err)
	}
	return ln, nil
}

// Serve runs the worker (if withWorker) and the HTTP server until ctx ends, then shuts both down
// gracefully: in-flight requests finish, the worker stops polling and gives running activities
// WORKER_STOP_TIMEOUT to finish. Without the front door (withHTTP false) the port serves only the
// health checks, for the worker's probes. With cfg.Metrics and
// cfg.MetricsAddr it also serves the metrics, the store's gauges among them, on that address.
func Serve(ctx context.Context, cfg Config, c client.Client, st *store.Store, logger *slog.Logger, withHTTP, withWorker bool) error {
	errs := make(chan error, 3)
	st.Outbox = cfg.Mail.Outbox() // the server records facts too (a submission), and tells people of them
	st.SecondFactorKey = cfg.SecondFactorKey
	st.Quotas = cfg.Quotas
	if cfg.Metrics != nil && cfg.MetricsAddr != "" {
		if err := cfg.Metrics.WatchStore(st); err != nil {
			return err
		}
		stopMetrics, err := cfg.Metrics.Serve(cfg.MetricsAddr)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	var w worker.Worker
	if withWorker {
		onFatal := func(err error) { errs <- fmt.Errorf("worker stopped: %w", err) }
		w = NewTunedWorker(c, workflows.TaskQueue, st, cfg.Letterhead, PanelFiguresOf(st), WorkerOptions(cfg.Worker, onFatal))
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		defer func() {
			logger.Info("worker draining", "stop_timeout", cfg.Worker.StopTimeout.String())
			w.Stop()
		}()
		if err := EnsureDigestSchedule(ctx, c, workflows.TaskQueue); err != nil {
			return err
		}
		if err := EnsurePanelReportSchedule(ctx, c, workflows.TaskQueue); err != nil {
			return err
		}
		if err := EnsurePublishRegisterSchedule(ctx, c, workflows.TaskQueue); err != nil {
			return err
		}
		if cfg.Mail.Sends() {
			sender := &notify.Sender{Store: st, SMTP: cfg.Mail.SMTP, From: cfg.Mail.From, Logger: logger}
			senderCtx, stopSender := context.WithCancel(context.WithoutCancel(ctx))
			done := make(chan struct{})
			go func() { defer close(done); sender.Run(senderCtx) }()
			defer func() { stopSender(); <-done }() // the batch in hand is sent and recorded first
			logger.Info("outbox sender running", "smtp", fmt.Sprintf("%s:%d", cfg.Mail.SMTP.Host, cfg.Mail.SMTP.Port))
		} else {
			logger.Warn("e-mail is disabled: messages stay in the outbox and in-app notifications")
		}
	}
	ln, err := ListenHTTP(cfg)
	if err != nil {
		return err
	}
	handler := Handler(c, st, cfg, logger)
	if !withHTTP {
		health := router.Deps{Temporal: c, Store: st, Logger: logger}
		if cfg.Metrics != nil {
			health.Metrics = cfg.Metrics.HTTP
		}
		handler = router.Health(health)
	}
	// WriteTimeout bounds every response; the whole-register downloads replace it with their own
	// deadline through http.ResponseController (apiv1.DownloadSlot), so a long CSV is not cut at it.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: cfg.HTTP.Read, WriteTimeout: cfg.HTTP.Write, IdleTimeout: cfg.HTTP.Idle}
	go func() { errs <- srv.Serve(ln) }()
	logger.Info("HTTP server listening", "address", ln.Addr().String(), "health_checks_only", !withHTTP)
	select {
	case <-ctx.Done():
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
