package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// The production binary talks to Temporal through the SDK only; the embedded server and the Web UI
// (internal/devui) are for local use.
func TestProductionBinaryDoesNotLinkTheTemporalServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "go.temporal.io/server") || strings.HasPrefix(pkg, "github.com/temporalio/ui-server") ||
			strings.HasPrefix(pkg, "grantflow/internal/dev") {
			t.Fatalf("cmd/grantflow links %s", pkg)
		}
	}
}

func TestUsersAdd(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	t.Setenv("GRANTFLOW_PASSWORD", "")
	err := addUser(ctx, st, nil, []string{"--email", "new.officer@opcc.example.org", "--name", "Nia Officer", "--role", "officer"},
		strings.NewReader("a strong password\n"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.Authenticate(ctx, "NEW.officer@opcc.example.org", "a strong password")
	if err != nil || u.Role != scheme.RoleOfficer || u.Name != "Nia Officer" {
		t.Fatalf("created user = %+v, %v", u, err)
	}
	for args, want := range map[string]string{
		"--email x@y.org --name A --role wizard":                        "--role must be one of",
		"--email x@y.org --name A --role applicant":                     "--role must be one of",
		"--email nobody --name A --role officer":                        "--email",
		"--email x@y.org --name A --role officer --member-of abc":       "not an organisation id",
		"--email x@y.org --name A --role officer --member-of 999":       "organisation 999",
		"--email new.officer@opcc.example.org --name A --role officer":  "already exists",
		"--email x@y.org --name A --role officer --password 0123456789": "flag provided but not defined: -password", // never on the command line
	} {
		err := addUser(ctx, st, nil, strings.Fields(args), strings.NewReader("0123456789\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("users add %s: error %v, want one mentioning %q", args, err, want)
		}
	}
	if err := addUser(ctx, st, nil, strings.Fields("--email x@y.org --name A --role officer"), strings.NewReader("short\n")); err == nil ||
		!strings.Contains(err.Error(), "at least 10 characters") {
		t.Errorf("a short password from standard input: %v", err)
	}
	t.Setenv("GRANTFLOW_PASSWORD", "from the environment")
	if err := addUser(ctx, st, nil, strings.Fields("--email env.officer@opcc.example.org --name Eli --role finance"), strings.NewReader("")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, "env.officer@opcc.example.org", "from the environment"); err != nil {
		t.Errorf("the password from GRANTFLOW_PASSWORD: %v", err)
	}
}

// A leaver's account is disabled: their tokens and sessions stop working at once and they cannot
// sign in; enabled again, they can sign in (old tokens stay ended).
func TestUsersDisableEndsEverySessionAtOnce(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	t.Setenv("GRANTFLOW_PASSWORD", "a strong password")
	if err := addUser(ctx, st, nil, strings.Fields("--email leaver@opcc.example.org --name Lee --role officer"), strings.NewReader("")); err != nil {
		t.Fatal(err)
	}
	u, err := st.Authenticate(ctx, "leaver@opcc.example.org", "a strong password")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := st.IssueToken(ctx, u.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := setDisabled(ctx, st, nil, strings.Fields("--email LEAVER@opcc.example.org"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UserByToken(ctx, token); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a disabled officer's token: %v, want refused", err)
	}
	if _, err := st.Authenticate(ctx, "leaver@opcc.example.org", "a strong password"); !errors.Is(err, store.ErrBadCredentials) {
		t.Errorf("a disabled officer signing in: %v, want refused as bad credentials", err)
	}
	if err := setDisabled(ctx, st, nil, strings.Fields("--email leaver@opcc.example.org"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, "leaver@opcc.example.org", "a strong password"); err != nil {
		t.Errorf("enabled again: %v", err)
	}
	if _, err := st.UserByToken(ctx, token); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the token ended by disabling works again: %v", err)
	}
	for args, want := range map[string]string{"": "--email", "--email nobody@opcc.example.org": "no account has the address"} {
		if err := setDisabled(ctx, st, nil, strings.Fields(args), true); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("users disable %s: %v, want one mentioning %q", args, err, want)
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
	// serve and http also need the forms' key, shared by every replica; the worker shows no forms.
	t.Setenv("CSRF_KEY", "")
	t.Setenv("CSRF_PREVIOUS_KEY", "")
	for _, cmd := range []string{"serve", "http"} {
		if err := run([]string{cmd}); !errors.Is(err, app.ErrNoCSRFKey) {
			t.Errorf("grantflow %s without CSRF_KEY: %v; want %v", cmd, err, app.ErrNoCSRFKey)
		}
	}
}

func TestPublicationValidate(t *testing.T) {
	dir := t.TempDir()
	good := `{"grants":[{"id":"360G-x-1","title":"t","description":"d","currency":"GBP","amountAwarded":10,"awardDate":"2026-05-01",
		"recipientOrganization":[{"id":"GB-CHC-1","name":"r"}],"fundingOrganization":[{"id":"GB-GOR-1","name":"f"}]}]}`
	for name, body := range map[string]string{"good.json": good, "bad.json": strings.Replace(good, "GBP", "GBX", 1),
		"good.csv": "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,Funding Org:Identifier,Funding Org:Name\n360G-x-1,t,d,GBP,10,2026-05-01,GB-CHC-1,r,GB-GOR-1,f\n",
		"bad.csv":  "Identifier,Title\n360G-x-1,t\n"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err := run([]string{"publication", "validate", path})
		if strings.HasPrefix(name, "good") != (err == nil) {
			t.Errorf("%s: %v", name, err)
		}
		if err == nil {
			if err := validatePublication(path, nil, &out); err != nil || !strings.Contains(out.String(), "valid 360Giving data") {
				t.Errorf("%s: %q %v", name, out.String(), err)
			}
		}
	}
}

// `grantflow audit verify` exits 0 on an intact trail and 1 naming the application and event whose
// chain breaks; the application's role, with a separate owner configured, reads it without
// migrating, and refuses to start on a database the owner has not migrated.
func TestAuditVerify(t *testing.T) {
	ctx := context.Background()
	storetest.CreateRoles(t)
	databaseURL := storetest.NewURL(t)
	appURL := databaseURL + "&options=-c%20role%3D" + storetest.AppRole
	t.Setenv("DATABASE_URL", appURL)
	t.Setenv("MIGRATE_DATABASE_URL", databaseURL)
	t.Setenv("MAIL_DISABLED", "true")
	if err := run([]string{"worker"}); err == nil || !strings.Contains(err.Error(), "grantflow migrate") {
		t.Fatalf("a worker on an unmigrated database: %v; want refused, naming grantflow migrate", err)
	}
	if err := run([]string{"migrate"}); err != nil {
		t.Fatal(err)
	}
	st, err := store.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := demo.Seed(ctx, st, time.Date(2026, 5, 1, 12, 0, 0, 0, scheme.London)); err != nil {
		t.Fatal(err)
	}
	var draft struct {
		Org    int64 `db:"organisation_id"`
		User   int64 `db:"user_id"`
		Scheme int64 `db:"scheme_id"`
		Round  int64 `db:"id"`
	}
	if err := st.DB.Get(&draft, `SELECT m.organisation_id, m.user_id, r.scheme_id, r.id FROM organisation_members m, rounds r LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	app, err := st.CreateDraft(ctx, draft.Org, draft.User, store.Draft{SchemeID: draft.Scheme, RoundID: draft.Round, Title: "Audited"})
	if err != nil {
		t.Fatal(err)
	}
	var event int64
	if err := st.RecordEvent(ctx, store.Event{Application: app, Key: "audit-verify-test", At: time.Now(), ActorName: "Test",
		ActorRole: "system", What: "Noted", Status: "submitted"}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := verifyAudit(ctx, st, nil, &out); err != nil || !strings.Contains(out.String(), " 0 broken") {
		t.Fatalf("an intact trail: %v\n%s", err, out.String())
	}
	if err := run([]string{"audit", "verify", "--application", strconv.FormatInt(app, 10)}); err != nil {
		t.Errorf("grantflow audit verify --application %d as the application's role: %v", app, err)
	}

	for _, step := range []string{`ALTER TABLE application_events DISABLE TRIGGER application_events_append_only`,
		`UPDATE application_events SET actor_name = 'Somebody Else' WHERE event_key = 'audit-verify-test' RETURNING id`,
		`ALTER TABLE application_events ENABLE TRIGGER application_events_append_only`} {
		if err := st.DB.QueryRow(step).Scan(&event); err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
	}
	out.Reset()
	err = verifyAudit(ctx, st, nil, &out)
	want := fmt.Sprintf("BROKEN application %d, event %d ", app, event)
	if err == nil || !strings.Contains(out.String(), want) || !strings.Contains(out.String(), " 1 broken") {
		t.Errorf("an edited event: %v\n%s\nwant an error and a line starting %q", err, out.String(), want)
	}
	if err := run([]string{"audit", "verify"}); err == nil {
		t.Error("grantflow audit verify of an edited trail exits 0")
	}
	for args, want := range map[string]string{"--application 999999999": "has no audit trail", "--application x": "invalid value",
		"--application -1": "positive", "extra": "usage"} {
		if err := verifyAudit(ctx, st, strings.Fields(args), io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("audit verify %s: %v; want an error mentioning %q", args, err, want)
		}
	}
}

// The command line's acts on accounts are security events too, without the password or address.
func TestUsersCommandLogsSecurityEvents(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	t.Setenv("GRANTFLOW_PASSWORD", "")
	if err := addUser(ctx, st, logger, strings.Fields("--email cli.officer@opcc.example.org --name Cleo --role officer"), strings.NewReader("a strong password\n")); err != nil {
		t.Fatal(err)
	}
	if err := setDisabled(ctx, st, logger, strings.Fields("--email cli.officer@opcc.example.org"), true); err != nil {
		t.Fatal(err)
	}
	if err := setDisabled(ctx, st, logger, strings.Fields("--email cli.officer@opcc.example.org"), false); err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByEmail(ctx, "cli.officer@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec struct {
			Level    string
			Msg      string
			Security struct {
				Event, Via, Role string
				Target           int64 `json:"target_user_id"`
			}
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if rec.Msg != "security event" || rec.Security.Via != "command" || rec.Security.Target != u.ID || rec.Security.Role != "officer" {
			t.Errorf("line %s", line)
		}
		got = append(got, rec.Level+" "+rec.Security.Event)
	}
	if want := []string{"INFO staff_added", "WARN account_disabled", "INFO account_enabled"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events %v, want %v", got, want)
	}
	for _, secret := range []string{"a strong password", "cli.officer@opcc.example.org"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}
