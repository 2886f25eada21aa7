// Command grantflow is the production binary: the HTTP front door with a worker (serve), a worker
// alone (worker), migrations (migrate) and staff accounts (users add). It talks to a Temporal
// server over the SDK and never embeds one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"grantflow/internal/app"
	"grantflow/scheme"
	"grantflow/store"
)

const usage = `usage: grantflow <command>

commands:
  serve       run the HTTP server and a worker
  worker      run a worker only
  migrate     apply database migrations and exit
  users add   create a staff account: --email --name --role [--password] [--member-of ORG_ID,...]

configuration comes from environment variables; see README.md.
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "grantflow:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("a command is required")
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	if args[0] == "serve" || args[0] == "worker" {
		if err := cfg.Mail.RequireMail(); err != nil {
			return err
		}
	}
	logger := app.NewLogger(cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := store.Open(ctx, cfg.DatabaseURL, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	switch args[0] {
	case "migrate":
		logger.Info("database is up to date")
		return nil
	case "users":
		if len(args) < 2 || args[1] != "add" {
			return errors.New("usage: grantflow users add --email E --name N --role R [--password P] [--member-of ORG_ID,...]")
		}
		return addUser(ctx, st, args[2:])
	case "serve", "worker":
		c, err := app.Dial(ctx, cfg.TemporalAddress, cfg.TemporalNamespace, logger)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := app.EnsureSearchAttributes(ctx, c, cfg.TemporalNamespace); err != nil {
			return err
		}
		return app.Serve(ctx, cfg, c, st, logger, args[0] == "serve", true)
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func addUser(ctx context.Context, st *store.Store, args []string) error {
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	email := fs.String("email", "", "e-mail address (sign-in name)")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "", "assessor, officer, head_of_commissioning, commissioner, finance or admin")
	password := fs.String("password", os.Getenv("GRANTFLOW_PASSWORD"), "password (or GRANTFLOW_PASSWORD); at least 10 characters")
	memberOf := fs.String("member-of", "", "ids of organisations this person is a member or trustee of (bars them from judging those)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r := scheme.Role(*role)
	switch {
	case *email == "" || !strings.Contains(*email, "@"):
		return errors.New("--email: an e-mail address is required")
	case strings.TrimSpace(*name) == "":
		return errors.New("--name is required")
	case !r.IsStaff() || !known(r):
		return fmt.Errorf("--role must be one of assessor, officer, head_of_commissioning, commissioner, finance, admin; not %q", *role)
	case len(*password) < 10:
		return errors.New("--password (or GRANTFLOW_PASSWORD) must be at least 10 characters")
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
	u, err := st.CreateUser(ctx, store.NewUser{Email: *email, Name: *name, Role: r, Password: *password, Organisations: orgs})
	if err != nil {
		return err
	}
	fmt.Printf("created user %d: %s <%s>, %s\n", u.ID, u.Name, u.Email, u.Role)
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
