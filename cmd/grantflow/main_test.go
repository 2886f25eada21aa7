package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"grantflow/internal/app"
	"grantflow/scheme"
	"grantflow/store/storetest"
)

// The production binary talks to Temporal through the SDK only; the embedded server is for local use.
func TestProductionBinaryDoesNotLinkTheTemporalServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "go.temporal.io/server") || strings.HasPrefix(pkg, "grantflow/internal/dev") {
			t.Fatalf("cmd/grantflow links %s", pkg)
		}
	}
}

func TestUsersAdd(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	err := addUser(ctx, st, []string{"--email", "new.officer@opcc.example.org", "--name", "Nia Officer", "--role", "officer", "--password", "a strong password"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.Authenticate(ctx, "NEW.officer@opcc.example.org", "a strong password")
	if err != nil || u.Role != scheme.RoleOfficer || u.Name != "Nia Officer" {
		t.Fatalf("created user = %+v, %v", u, err)
	}
	for args, want := range map[string]string{
		"--email x@y.org --name A --role wizard --password 0123456789":                       "--role must be one of",
		"--email x@y.org --name A --role applicant --password 0123456789":                    "--role must be one of",
		"--email nobody --name A --role officer --password 0123456789":                       "--email",
		"--email x@y.org --name A --role officer --password short":                           "at least 10 characters",
		"--email x@y.org --name A --role officer --password 0123456789 --member-of abc":      "not an organisation id",
		"--email x@y.org --name A --role officer --password 0123456789 --member-of 999":      "organisation 999",
		"--email new.officer@opcc.example.org --name A --role officer --password 0123456789": "already exists",
	} {
		err := addUser(ctx, st, strings.Fields(args))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("users add %s: error %v, want one mentioning %q", args, err, want)
		}
	}
}

// serve and worker refuse to start when nobody would receive mail, before touching anything else.
func TestServeRefusesToStartWithoutSMTP(t *testing.T) {
	t.Setenv("SMTP_URL", "")
	t.Setenv("MAIL_DISABLED", "")
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	for _, cmd := range []string{"serve", "worker"} {
		if err := run([]string{cmd}); !errors.Is(err, app.ErrNoSMTP) {
			t.Errorf("grantflow %s without SMTP_URL: %v; want %v", cmd, err, app.ErrNoSMTP)
		}
	}
	// Disabled on purpose, it goes on (and here fails at the unreachable database instead).
	t.Setenv("MAIL_DISABLED", "true")
	if err := run([]string{"worker"}); err == nil || errors.Is(err, app.ErrNoSMTP) {
		t.Errorf("grantflow worker with MAIL_DISABLED=true: %v; want it past the mail check", err)
	}
}
