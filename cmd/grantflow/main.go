// Command grantflow is the production binary: the HTTP front door with a worker (serve), a worker
// alone (worker), migrations (migrate) and staff accounts (users add). It talks to a Temporal
// server over the SDK and never embeds one.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"grantflow/internal/app"
	"grantflow/internal/securitylog"
	"grantflow/publication/threesixtygiving"
	"grantflow/scheme"
	"grantflow/schemefile"
	"grantflow/store"
)

const usage = `usage: grantflow <command>

commands:
  serve       run the HTTP server and a worker
  http        run the HTTP server only (the worker runs as its own deployment)
  worker      run a worker only; PORT answers the health checks alone
  probe livez|readyz  ask the server on this machine's PORT for its health: exit 0 when it answers 200
              (the container health check: the image has no shell or curl)
  migrate     apply database migrations and exit, as the schema's owner (MIGRATE_DATABASE_URL, else
              DATABASE_URL); serve and worker refuse a database that is behind unless they own it
  audit verify [--application ID]  recompute the audit trail's hash chain; exit 1 naming each
              application and event where it breaks (see docs/audit.md)
  users add   create a staff account: --email --name --role [--member-of ORG_ID,...]; the password is read
              from GRANTFLOW_PASSWORD or, when that is unset, the first line of standard input
  users disable --email E   a leaver: refuse their sign-in and end every session and token at once
  users enable --email E    let a disabled account sign in again
  schemes import FILE       create or update a scheme from its definition file (YAML or JSON; - reads
              standard input; see docs/schemes.md): everything is checked first and nothing is written
              if anything is wrong; importing the same file again changes nothing
  publication validate FILE  check a 360Giving file (JSON package, or CSV by its .csv name; - reads
              standard input as JSON) against the embedded 360Giving Data Standard; no database needed
  publication write json|csv write the 360Giving package or CSV of every award to standard output

configuration comes from environment variables; see README.md.
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "grantflow:", err)
		os.Exit(1)
	}
}

// probeHost is where the health probe finds this machine's server: LISTEN_HOST when it names
// one address, else the loopback (a server on every interface answers there too).
func probeHost(listenHost string) string {
	if listenHost == "" || listenHost == "0.0.0.0" || listenHost == "::" {
		return "127.0.0.1"
	}
	return listenHost
}

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("a command is required")
	}
	if args[0] == "publication" && len(args) == 3 && args[1] == "validate" {
		return validatePublication(args[2], os.Stdin, os.Stdout)
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	if args[0] == "probe" {
		if len(args) != 2 || (args[1] != "livez" && args[1] != "readyz") {
			return errors.New("usage: grantflow probe livez|readyz")
		}
		return probe("http://"+net.JoinHostPort(probeHost(cfg.ListenHost), strconv.Itoa(cfg.Port))+"/"+args[1], probeTimeout)
	}
	if args[0] == "serve" || args[0] == "http" || args[0] == "worker" {
		if err := cfg.Mail.RequireMail(); err != nil {
			return err
		}
	}
	if args[0] == "serve" || args[0] == "http" { // the front door's forms, on every replica
		if err := cfg.RequireCSRFKey(); err != nil {
			return err
		}
	}
	logger := app.NewLogger(cfg.LogFormatOr(app.LogJSON), cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var st *store.Store
	if args[0] == "migrate" {
		st, err = store.Open(ctx, cfg.MigrationURL(), logger)
	} else {
		// Only where no separate owner's connection is configured may this one migrate (if it owns
		// the schema); the application's role never runs DDL.
		st, err = store.OpenApp(ctx, cfg.DatabaseURL, cfg.MigrateDatabaseURL == "", logger)
	}
	if err != nil {
		return err
	}
	defer st.Close()

	switch args[0] {
	case "migrate":
		logger.Info("database is up to date")
		return nil
	case "audit":
		if len(args) >= 2 && args[1] == "verify" {
			return verifyAudit(ctx, st, args[2:], os.Stdout)
		}
		return errors.New("usage: grantflow audit verify [--application ID]")
	case "users":
		switch {
		case len(args) >= 2 && args[1] == "add":
			return addUser(ctx, st, logger, args[2:], os.Stdin)
		case len(args) >= 2 && (args[1] == "disable" || args[1] == "enable"):
			return setDisabled(ctx, st, logger, args[2:], args[1] == "disable")
		}
		return errors.New("usage: grantflow users add --email E --name N --role R [--member-of ORG_ID,...] (password from GRANTFLOW_PASSWORD or standard input)\n" +
			"       grantflow users disable|enable --email E")
	case "schemes":
		if len(args) == 3 && args[1] == "import" {
			return importScheme(ctx, st, args[2], os.Stdin, os.Stdout)
		}
		return errors.New("usage: grantflow schemes import FILE (or - for standard input)")
	case "publication":
		if len(args) == 3 && args[1] == "write" && (args[2] == "json" || args[2] == "csv") {
			out := bufio.NewWriter(os.Stdout)
			var err error
			if args[2] == "json" {
				err = cfg.OpenData.WriteJSON(ctx, st, store.RegisterFilter{}, out, time.Now())
			} else {
				err = cfg.OpenData.WriteCSV(ctx, st, store.RegisterFilter{}, out)
			}
			if err != nil {
				return err
			}
			return out.Flush()
		}
		return errors.New("usage: grantflow publication validate FILE | grantflow publication write json|csv")
	case "serve", "http", "worker":
		if cfg.Metrics, err = app.NewMetrics(cfg, logger); err != nil {
			return err
		}
		c, err := app.Dial(ctx, cfg.Temporal(), logger)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := app.EnsureSearchAttributes(ctx, c, cfg.TemporalNamespace); err != nil {
			return err
		}
		return app.Serve(ctx, cfg, c, st, logger, args[0] != "worker", args[0] != "http")
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// probeTimeout is shorter than any health check's interval, so probes never pile up; /readyz
// answers within its own two-second bound on each check.
const probeTimeout = 4 * time.Second

// probe asks url for its health: nil on 200, otherwise an error saying what came back.
func probe(url string, timeout time.Duration) error {
	hc := &http.Client{Timeout: timeout}
	resp, err := hc.Get(url)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("probe %s: %s %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// validatePublication checks a 360Giving file: a CSV when its name ends .csv, else a JSON package.
func validatePublication(name string, stdin io.Reader, stdout io.Writer) error {
	in := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	validate := threesixtygiving.Validate
	if strings.HasSuffix(strings.ToLower(name), ".csv") {
		validate = threesixtygiving.ValidateCSV
	}
	if err := validate(bufio.NewReaderSize(in, 1<<16)); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(stdout, "%s: valid 360Giving data (standard %s)\n", name, threesixtygiving.Version)
	return nil
}

// addUser creates a staff account. The password never comes from the command line, where other
// users of the machine and the shell's history could read it: GRANTFLOW_PASSWORD, or else the first
// line of standard input.
func addUser(ctx context.Context, st *store.Store, logger *slog.Logger, args []string, stdin io.Reader) error {
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	email := fs.String("email", "", "e-mail address (sign-in name)")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "", "assessor, officer, head_of_commissioning, commissioner, finance or admin")
	memberOf := fs.String("member-of", "", "ids of organisations this person is a member or trustee of (bars them from judging those)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	password := os.Getenv("GRANTFLOW_PASSWORD")
	if password == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	r := scheme.Role(*role)
	switch {
	case *email == "" || !strings.Contains(*email, "@"):
		return errors.New("--email: an e-mail address is required")
	case strings.TrimSpace(*name) == "":
		return errors.New("--name is required")
	case !r.IsStaff() || !known(r):
		return fmt.Errorf("--role must be one of assessor, officer, head_of_commissioning, commissioner, finance, admin; not %q", *role)
	case len(password) < 10:
		return errors.New("the password (GRANTFLOW_PASSWORD, or the first line of standard input) must be at least 10 characters")
	}
	var orgs []int64
	for _, part := range strings.Split(*memberOf, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return fmt.Errorf("--member-of: %q is not an organisation id", part)
		}
		if _, err := st.Organisation(ctx, id); err != nil {
			return fmt.Errorf("--member-of: organisation %d: %w", id, err)
		}
		orgs = append(orgs, id)
	}
	u, err := st.CreateUser(ctx, store.NewUser{Email: *email, Name: *name, Role: r, Password: password, Organisations: orgs})
	if err != nil {
		return err
	}
	securitylog.Log(ctx, logger, securitylog.StaffAdded, securitylog.Via(securitylog.ViaCommand), securitylog.Target(u.ID), securitylog.Role(string(u.Role)))
	fmt.Printf("created user %d: %s <%s>, %s\n", u.ID, u.Name, u.Email, u.Role)
	if u.Role.IsStaff() {
		fmt.Println("staff sign in with a second factor: at their first sign-in on the website they set up an authenticator app")
	}
	return nil
}

func known(r scheme.Role) bool {
	for _, k := range scheme.Roles {
		if k == r {
			return true
		}
	}
	return false
}

// setDisabled disables a leaver's account (ending every session and token at once) or enables it.
func setDisabled(ctx context.Context, st *store.Store, logger *slog.Logger, args []string, disabled bool) error {
	fs := flag.NewFlagSet("users disable", flag.ContinueOnError)
	email := fs.String("email", "", "the account's e-mail address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !strings.Contains(*email, "@") {
		return errors.New("--email: the account's e-mail address is required")
	}
	u, err := st.SetDisabled(ctx, *email, disabled, time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("--email: no account has the address %q", *email)
	}
	if err != nil {
		return err
	}
	state, event := "enabled", securitylog.AccountEnabled
	if disabled {
		state, event = "disabled: every session and token ended", securitylog.AccountDisabled
	}
	securitylog.Log(ctx, logger, event, securitylog.Via(securitylog.ViaCommand), securitylog.Target(u.ID), securitylog.Role(string(u.Role)))
	fmt.Printf("user %d: %s <%s> %s\n", u.ID, u.Name, u.Email, state)
	return nil
}

// importScheme loads a scheme definition file (or standard input for "-") as the command line:
// every problem is printed with its path and nothing is written while any remains.
func importScheme(ctx context.Context, st *store.Store, file string, stdin io.Reader, out io.Writer) error {
	var r io.Reader = stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, schemefile.MaxSize+1))
	if err != nil {
		return err
	}
	d, err := schemefile.Parse(data)
	if err == nil {
		if p := d.Validate(); len(p) > 0 {
			err = p
		}
	}
	var p schemefile.Problems
	if errors.As(err, &p) {
		return fmt.Errorf("%s: nothing imported, %d problem(s):\n%s", file, len(p), p.Error())
	}
	if err != nil {
		return err
	}
	res, err := schemefile.Import(ctx, st, d, store.SystemActor("grantflow schemes import"), time.Now(), "Imported from "+file)
	if err != nil {
		return err
	}
	switch {
	case res.Created:
		fmt.Fprintf(out, "scheme %d %s: created with rules version %d and form version %d\n", res.Scheme.ID, res.Scheme.Slug, res.RulesVersion, res.FormVersion)
	case res.Unchanged:
		fmt.Fprintf(out, "scheme %d %s: unchanged\n", res.Scheme.ID, res.Scheme.Slug)
	default:
		fmt.Fprintf(out, "scheme %d %s: updated (rules version %d, form version %d)\n", res.Scheme.ID, res.Scheme.Slug, res.RulesVersion, res.FormVersion)
	}
	for _, r := range res.RoundsOpened {
		fmt.Fprintf(out, "  round opened: %s\n", r)
	}
	for _, fy := range res.BudgetsSet {
		fmt.Fprintf(out, "  budget set: %s\n", scheme.FinancialYearLabel(fy))
	}
	return nil
}

// verifyAudit recomputes the audit trail's hash chain and names every application whose chain
// breaks, with the first event that does not verify.
func verifyAudit(ctx context.Context, st *store.Store, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	application := fs.Int64("application", 0, "verify this application's trail only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("usage: grantflow audit verify [--application ID]")
	}
	if *application < 0 {
		return fmt.Errorf("--application must be a positive application id, not %d", *application)
	}
	r, err := st.VerifyAuditTrail(ctx, *application)
	if err != nil {
		return err
	}
	if *application > 0 && r.Events == 0 {
		return fmt.Errorf("--application: application %d has no audit trail", *application)
	}
	for _, b := range r.Breaks {
		fmt.Fprintln(out, "BROKEN", b)
	}
	fmt.Fprintf(out, "%d events of %d applications checked; %d applications' trails intact, %d broken\n",
		r.Events, r.Applications, r.Applications-len(r.Breaks), len(r.Breaks))
	if r.Head != nil && len(r.Breaks) == 0 {
		fmt.Fprintf(out, "application %d: last event's hash %x\n", *application, r.Head)
	}
	if len(r.Breaks) > 0 {
		return fmt.Errorf("the audit trail of %d application(s) does not verify", len(r.Breaks))
	}
	return nil
}
