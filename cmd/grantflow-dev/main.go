// Command grantflow-dev runs the whole system on one machine for local use: an embedded, persistent
// Temporal server (unless TEMPORAL_ADDRESS is set), PostgreSQL from DATABASE_URL or the local server
// (or a private cluster under ./.data/postgres), migrations, demo data, the worker and the HTTP server.
// It links the Temporal server, so it is for development only; production runs cmd/grantflow.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/internal/devpostgres"
	"grantflow/internal/devtemporal"
	"grantflow/internal/devui"
	"grantflow/internal/mailcatcher"
	"grantflow/internal/metrics"
	"grantflow/notify"
	"grantflow/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "grantflow-dev:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) > 1 && os.Args[1] == "totp" { // the demo staff's current second-factor code
		code, err := store.TOTPCode(demo.TOTPSecret, time.Now())
		if err != nil {
			return err
		}
		fmt.Println(code)
		return nil
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	localOnly(&cfg)
	if os.Getenv("TEMPORAL_ADDRESS") == "" && cfg.TemporalTLS != nil {
		return errors.New("TEMPORAL_TLS settings are for an external Temporal frontend: set TEMPORAL_ADDRESS too, or unset them for the embedded server")
	}
	logger := app.NewLogger(cfg.LogFormatOr(app.LogText), cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if os.Getenv("DATABASE_URL") == "" {
		url, stopPostgres, err := devpostgres.Ensure(ctx, devpostgres.Options{DataDir: ".data/postgres", Database: "grantflow", Logger: logger})
		if err != nil {
			return err
		}
		if stopPostgres != nil {
			defer stopPostgres()
		}
		cfg.DatabaseURL = url
	}
	if err := demo.CheckLocalDatabase(cfg.DatabaseURL); err != nil { // before migrations touch it
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := demo.Seed(ctx, st, time.Now()); err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}

	if os.Getenv("TEMPORAL_ADDRESS") == "" {
		opts := devtemporal.Options{DatabaseFile: ".data/temporal.db", Address: cfg.TemporalAddress,
			Namespace: cfg.TemporalNamespace, SearchAttributes: app.SearchAttributes, Logger: logger}
		state := opts.DatabaseFile
		if cfg.TemporalPersistence == app.PersistencePostgres {
			if opts.PostgresURL, err = temporalPostgresURL(cfg.DatabaseURL); err != nil {
				return err
			}
			state = "PostgreSQL databases " + devtemporal.DefaultPostgresDatabase + " and " + devtemporal.DefaultPostgresDatabase + devtemporal.VisibilitySuffix
		}
		srv, err := devtemporal.Start(ctx, opts)
		if err != nil {
			return err
		}
		defer srv.Stop()
		logger.Info("embedded Temporal server running", "address", srv.Address(), "state", state)
	}
	if cfg.MetricsAddr == "" {
		cfg.MetricsAddr = defaultMetricsAddr
	}
	if cfg.Metrics, err = app.NewMetrics(cfg, logger); err != nil {
		return err
	}
	c, err := app.Dial(ctx, cfg.Temporal(), logger)
	if err != nil {
		return err
	}
	defer c.Close()
	if os.Getenv("TEMPORAL_ADDRESS") != "" { // the embedded server registered them already
		if err := app.EnsureSearchAttributes(ctx, c, cfg.TemporalNamespace); err != nil {
			return err
		}
	}
	uiWorkflows, stopUI, err := startTemporalUI(ctx, &cfg)
	if err != nil {
		return err
	}
	defer stopUI()
	inbox := ""
	if os.Getenv("SMTP_URL") == "" && !cfg.Mail.Disabled {
		stopCatcher, smtpAddr, inboxURL, err := startMailCatcher(logger)
		if err != nil {
			return err
		}
		defer stopCatcher()
		host, port, _ := net.SplitHostPort(smtpAddr)
		cfg.Mail.SMTP = notify.SMTPSettings{Host: host}
		fmt.Sscan(port, &cfg.Mail.SMTP.Port)
		inbox = inboxURL
		if cfg.Mail.FinanceMailbox == "" { // so the demo shows finance's shared mailbox copied too
			cfg.Mail.FinanceMailbox = demoFinanceMailbox
		}
	}
	printWelcome(cfg, inbox, uiWorkflows)
	if os.Getenv("DEMO_AWARDS") != "0" {
		go demoAwards(ctx, "http://"+net.JoinHostPort(dialHost(cfg.ListenHost), strconv.Itoa(cfg.Port)), st, logger)
	}
	return app.Serve(ctx, cfg, c, st, logger, true, true)
}

// temporalPostgresURL is the application's PostgreSQL server and login with the database
// "temporal" (TEMPORAL_PERSISTENCE=postgres): the production layout, on one machine.
func temporalPostgresURL(databaseURL string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", fmt.Errorf("TEMPORAL_PERSISTENCE=postgres uses DATABASE_URL's server, which does not parse: %w", err)
	}
	u.Path = "/" + devtemporal.DefaultPostgresDatabase
	return u.String(), nil
}

// demoAwards makes the demo's first grants through the running system once it answers, when
// nothing has been awarded yet (DEMO_AWARDS=0 leaves the register empty), so the public register,
// open data, decision records and performance figures have something to show.
func demoAwards(ctx context.Context, base string, st *store.Store, logger *slog.Logger) {
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(250 * time.Millisecond) {
		if res, err := http.Get(base + "/api/v1/schemes"); err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return
		}
	}
	if err := demo.Awards(ctx, base, st, time.Now()); err != nil {
		logger.Warn("the demo's first grants were not made", "err", err)
		return
	}
	logger.Info("the demo's grants are awarded (or were already): see /grants")
}

// localOnly keeps the dev runner's web server on this machine unless LISTEN_HOST says otherwise:
// its demo accounts share a published password.
func localOnly(cfg *app.Config) {
	if cfg.ListenHost == "" {
		cfg.ListenHost = "127.0.0.1"
	}
}

// dialHost is the address this process reaches its own listener on host at.
func dialHost(host string) string {
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return "127.0.0.1"
	}
	return host
}

// startMailCatcher receives the demo's e-mail on a local SMTP port and serves its inbox page
// (MAIL_CATCHER_SMTP, default 127.0.0.1:1025; MAIL_CATCHER_WEB, default 127.0.0.1:8025).
func startMailCatcher(logger *slog.Logger) (stop func(), smtpAddr, inboxURL string, err error) {
	c := mailcatcher.New()
	if err := c.Start(envOr("MAIL_CATCHER_SMTP", "127.0.0.1:1025")); err != nil {
		return nil, "", "", fmt.Errorf("%w (set SMTP_URL to use another mail server)", err)
	}
	ln, err := net.Listen("tcp", envOr("MAIL_CATCHER_WEB", "127.0.0.1:8025"))
	if err != nil {
		c.Close()
		return nil, "", "", fmt.Errorf("mail catcher inbox: %w", err)
	}
	web := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go web.Serve(ln)
	logger.Info("mail catcher running", "smtp", c.Addr(), "inbox", "http://"+ln.Addr().String()+"/")
	return func() { web.Close(); c.Close() }, c.Addr(), "http://" + ln.Addr().String() + "/", nil
}

// defaultMetricsAddr is where make run serves Prometheus metrics, unless METRICS_ADDR says.
const defaultMetricsAddr = "127.0.0.1:9464"

// startTemporalUI serves the Temporal Web UI on TEMPORAL_UI_ADDR (default 127.0.0.1:8233; "off"
// for none) against the Temporal frontend in use, and points staff's links from an application
// to its workflow at it unless TEMPORAL_UI_URL names another UI. It returns the page of the
// namespace's running workflows ("" when off).
func startTemporalUI(ctx context.Context, cfg *app.Config) (workflows string, stop func(), err error) {
	addr := envOr("TEMPORAL_UI_ADDR", devui.DefaultAddress)
	if addr == "off" {
		return "", func() {}, nil
	}
	if _, _, err := devui.CheckAddress(addr); err != nil {
		return "", nil, fmt.Errorf("TEMPORAL_UI_ADDR %w (or off for no UI)", err)
	}
	ui, err := devui.Start(ctx, devui.Options{Address: addr, TemporalAddress: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace})
	if err != nil {
		return "", nil, fmt.Errorf("%w (set TEMPORAL_UI_ADDR to another address, or off)", err)
	}
	if os.Getenv("TEMPORAL_UI_URL") == "" {
		cfg.TemporalUIURL = ui.URL()
	}
	return ui.WorkflowsURL(), ui.Stop, nil
}

// demoFinanceMailbox is finance's shared mailbox under make run, unless FINANCE_MAILBOX names one.
const demoFinanceMailbox = "finance-team@opcc.example.org"

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func printWelcome(cfg app.Config, inbox, temporalUI string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nGrantflow is running.\n\n")
	fmt.Fprintf(&b, "  Web:       http://localhost:%d/\n", cfg.Port)
	fmt.Fprintf(&b, "  API:       http://localhost:%d/api/v1/schemes\n", cfg.Port)
	fmt.Fprintf(&b, "  OpenAPI:   http://localhost:%d/openapi.yaml\n", cfg.Port)
	fmt.Fprintf(&b, "  Temporal:  %s (namespace %s)\n", cfg.TemporalAddress, cfg.TemporalNamespace)
	fmt.Fprintf(&b, "  Metrics:   http://%s%s (Prometheus)\n", cfg.MetricsAddr, metrics.Path)
	if temporalUI != "" {
		fmt.Fprintf(&b, "  Workflows: %s (the Temporal Web UI)\n", temporalUI)
	}
	if inbox != "" {
		fmt.Fprintf(&b, "  E-mail:    %s (every message Grantflow sends arrives here;\n", inbox)
		fmt.Fprintf(&b, "             finance's shared mailbox is %s)\n", cfg.Mail.FinanceMailbox)
	}
	fmt.Fprintf(&b, "\n")
	fmt.Fprintf(&b, "Demo accounts (password %q):\n", demo.Password)
	for _, a := range demo.Accounts {
		fmt.Fprintf(&b, "  %-24s %s\n", a.Role, a.Email)
	}
	fmt.Fprintf(&b, "\nStaff sign in with a second factor. Every demo staff account shares the published secret\n")
	fmt.Fprintf(&b, "  %s\n", demo.TOTPSecret)
	fmt.Fprintf(&b, "Add it to an authenticator app (time-based, 6 digits, 30 seconds), or print the code now with\n")
	fmt.Fprintf(&b, "  go run ./cmd/grantflow-dev totp\n")
	fmt.Fprintf(&b, "(each code signs an account in once: to sign the same account in again, wait for the next code).\n")
	fmt.Fprintf(&b, "\nSign in: curl -s -XPOST localhost:%d/api/v1/tokens -d '{\"email\":\"%s\",\"password\":\"%s\"}'\n",
		cfg.Port, demo.Accounts[0].Email, demo.Password)
	fmt.Fprintf(&b, "Staff:   curl -s -XPOST localhost:%d/api/v1/tokens -d '{\"email\":\"officer@opcc.example.org\",\"password\":\"%s\",\"otp\":\"'$(go run ./cmd/grantflow-dev totp)'\"}'\n\n",
		cfg.Port, demo.Password)
	fmt.Print(b.String())
}
