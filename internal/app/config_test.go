package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestMailConfig(t *testing.T) {
	t.Setenv("SMTP_URL", "smtps://grants:s3cret@mail.example.org")
	t.Setenv("MAIL_FROM", "Grants team <grants@example.org>")
	t.Setenv("FINANCE_MAILBOX", "finance-team@example.org")
	t.Setenv("PUBLIC_BASE_URL", "https://grants.example.org/")
	t.Setenv("MAIL_DISABLED", "")
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	m := c.Mail
	if m.SMTP.Host != "mail.example.org" || m.SMTP.Port != 465 || !m.SMTP.Implicit || m.SMTP.Username != "grants" ||
		m.SMTP.Password != "s3cret" || m.FinanceMailbox != "finance-team@example.org" || !m.Sends() || m.RequireMail() != nil {
		t.Errorf("mail config %+v", m)
	}
	if ob := m.Outbox(); ob.FinanceMailbox != "finance-team@example.org" || ob.Compose == nil {
		t.Errorf("outbox %+v", ob)
	}

	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"bad scheme":   {map[string]string{"SMTP_URL": "imap://mail.example.org"}, "SMTP_URL: the scheme must be smtp"},
		"bad port":     {map[string]string{"SMTP_URL": "smtp://mail.example.org:99999"}, "SMTP_URL: the port must be"},
		"bad from":     {map[string]string{"MAIL_FROM": "grants team"}, "MAIL_FROM must be an e-mail address"},
		"bad finance":  {map[string]string{"FINANCE_MAILBOX": "finance"}, "FINANCE_MAILBOX must be an e-mail address"},
		"bad base URL": {map[string]string{"PUBLIC_BASE_URL": "grants.example.org"}, "PUBLIC_BASE_URL"},
		"bad disabled": {map[string]string{"MAIL_DISABLED": "perhaps"}, "MAIL_DISABLED must be true or false"},
	} {
		t.Run(name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadConfig error %v; want one saying %q", err, tc.want)
			}
		})
	}

	// Production refuses to start with no mail server unless mail is disabled on purpose.
	t.Setenv("SMTP_URL", "")
	if c, err = LoadConfig(); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail.RequireMail(); !errors.Is(err, ErrNoSMTP) || !strings.Contains(err.Error(), "MAIL_DISABLED=true") {
		t.Errorf("no SMTP_URL: %v", err)
	}
	t.Setenv("MAIL_DISABLED", "true")
	if c, err = LoadConfig(); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail.RequireMail(); err != nil || c.Mail.Sends() {
		t.Errorf("MAIL_DISABLED=true: %v, sends %v", err, c.Mail.Sends())
	}
}

func TestOpenDataConfig(t *testing.T) {
	t.Setenv("LETTERHEAD_BODY", "Office of the Example Commissioner")
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if d := c.OpenData; d.Prefix != "360G-opcc-example" || d.FunderName != "Office of the Example Commissioner" || d.LicenceURL != DefaultDataLicence || d.Check() != nil {
		t.Errorf("open data defaults %+v (%v)", d, d.Check())
	}
	for name, tc := range map[string]struct{ env, value, want string }{
		"prefix without 360G": {"PUBLICATION_PREFIX", "opcc-example", "PUBLICATION_PREFIX must be a 360Giving publisher prefix"},
		"prefix with a space": {"PUBLICATION_PREFIX", "360G-opcc example", "PUBLICATION_PREFIX must be"},
		"funder id":           {"FUNDER_ORG_ID", "Commissioner", "FUNDER_ORG_ID must be an organisation identifier"},
		"licence":             {"DATA_LICENCE_URL", "OGL", "DATA_LICENCE_URL must be the address"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadConfig error %v; want one saying %q", err, tc.want)
			}
		})
	}
}

func TestServerTimeoutsConfig(t *testing.T) {
	for _, k := range []string{"HTTP_READ_TIMEOUT", "HTTP_WRITE_TIMEOUT", "HTTP_IDLE_TIMEOUT"} {
		t.Setenv(k, "")
	}
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if want := (ServerTimeouts{Read: 2 * time.Minute, Write: 3 * time.Minute, Idle: 2 * time.Minute}); c.HTTP != want {
		t.Errorf("default timeouts %+v; want %+v", c.HTTP, want)
	}
	t.Setenv("HTTP_READ_TIMEOUT", "45s")
	t.Setenv("HTTP_WRITE_TIMEOUT", "90s")
	t.Setenv("HTTP_IDLE_TIMEOUT", "5m")
	if c, err = LoadConfig(); err != nil {
		t.Fatal(err)
	}
	if want := (ServerTimeouts{Read: 45 * time.Second, Write: 90 * time.Second, Idle: 5 * time.Minute}); c.HTTP != want {
		t.Errorf("timeouts %+v; want %+v", c.HTTP, want)
	}

	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"not a duration":  {map[string]string{"HTTP_READ_TIMEOUT": "30"}, `HTTP_READ_TIMEOUT must be a duration such as 2m, not "30"`},
		"zero":            {map[string]string{"HTTP_WRITE_TIMEOUT": "0s"}, `HTTP_WRITE_TIMEOUT must be a duration such as 3m, not "0s"`},
		"negative":        {map[string]string{"HTTP_IDLE_TIMEOUT": "-1m"}, `HTTP_IDLE_TIMEOUT must be a duration such as 2m, not "-1m"`},
		"write too short": {map[string]string{"HTTP_READ_TIMEOUT": "2m", "HTTP_WRITE_TIMEOUT": "1m"}, "HTTP_WRITE_TIMEOUT (1m0s) must be at least HTTP_READ_TIMEOUT (2m0s)"},
	} {
		t.Run(name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadConfig error %v; want one saying %q", err, tc.want)
			}
		})
	}
}

func TestLogConfig(t *testing.T) {
	t.Setenv("LOG_FORMAT", "")
	t.Setenv("LOG_LEVEL", "")
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.LogLevel != slog.LevelInfo || c.LogFormatOr(LogJSON) != LogJSON || c.LogFormatOr(LogText) != LogText {
		t.Errorf("defaults: level %v, format %q", c.LogLevel, c.LogFormat)
	}
	t.Setenv("LOG_FORMAT", "text")
	t.Setenv("LOG_LEVEL", "debug")
	if c, err = LoadConfig(); err != nil {
		t.Fatal(err)
	}
	if c.LogLevel != slog.LevelDebug || c.LogFormatOr(LogJSON) != LogText {
		t.Errorf("LOG_FORMAT=text LOG_LEVEL=debug: level %v, format %q", c.LogLevel, c.LogFormat)
	}

	for name, tc := range map[string]struct{ format, level, want string }{
		"bad format": {"logfmt", "info", "LOG_FORMAT must be json or text"},
		"bad level":  {"json", "verbose", "LOG_LEVEL must be debug, info, warn or error"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("LOG_FORMAT", tc.format)
			t.Setenv("LOG_LEVEL", tc.level)
			if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadConfig error %v; want one saying %q", err, tc.want)
			}
		})
	}

	// JSON puts each record on one line as an object; text as key=value.
	var buf bytes.Buffer
	slog.New(newLogHandler(&buf, LogJSON, slog.LevelInfo)).Info("hello", "request_id", "abc")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec["msg"] != "hello" || rec["request_id"] != "abc" {
		t.Errorf("JSON line %q: %v", buf.String(), err)
	}
	buf.Reset()
	slog.New(newLogHandler(&buf, LogText, slog.LevelWarn)).Info("quiet")
	slog.New(newLogHandler(&buf, LogText, slog.LevelWarn)).Warn("loud", "request_id", "abc")
	if got := buf.String(); strings.Contains(got, "quiet") || !strings.Contains(got, "msg=loud request_id=abc") {
		t.Errorf("text lines %q", got)
	}
}

func TestMigrateDatabaseURLConfig(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://grantflow_app@db:5432/grantflow?sslmode=verify-full")
	t.Setenv("MIGRATE_DATABASE_URL", "")
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.MigrateDatabaseURL != "" || c.MigrationURL() != c.DatabaseURL {
		t.Errorf("unset: migrations run on %q; want DATABASE_URL", c.MigrationURL())
	}
	owner := "postgres://grantflow_owner@db:5432/grantflow?sslmode=verify-full"
	t.Setenv("MIGRATE_DATABASE_URL", owner)
	if c, err = LoadConfig(); err != nil || c.MigrationURL() != owner || c.DatabaseURL == owner {
		t.Errorf("set: migrations run on %q (%v); want %q, the application still on DATABASE_URL", c.MigrationURL(), err, owner)
	}
	for value, want := range map[string]string{
		"mysql://owner@db/grantflow?sslmode=disable": "MIGRATE_DATABASE_URL must be a postgres:// URL",
		"postgres://owner@db/grantflow":              "MIGRATE_DATABASE_URL must set sslmode explicitly",
	} {
		t.Setenv("MIGRATE_DATABASE_URL", value)
		if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("MIGRATE_DATABASE_URL=%s: %v; want an error saying %q", value, err, want)
		}
	}
}

func TestMetricsConfig(t *testing.T) {
	t.Setenv("PORT", "")
	t.Setenv("METRICS_ADDR", "")
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != "" {
		t.Errorf("METRICS_ADDR unset: metrics at %q; want none", c.MetricsAddr)
	}
	if m, err := NewMetrics(c, slog.Default()); m != nil || err != nil {
		t.Errorf("METRICS_ADDR unset: NewMetrics = %v, %v; want no registry", m, err)
	}
	for _, good := range []string{"127.0.0.1:9464", ":9464", "[::1]:9464", "metrics.internal:9100"} {
		t.Setenv("METRICS_ADDR", good)
		if c, err = LoadConfig(); err != nil || c.MetricsAddr != good {
			t.Errorf("METRICS_ADDR=%s: %q, %v", good, c.MetricsAddr, err)
		}
	}
	if m, err := NewMetrics(c, slog.Default()); m == nil || err != nil || m.Temporal() == nil {
		t.Errorf("METRICS_ADDR set: NewMetrics = %v, %v; want a registry with the Temporal SDK's handler", m, err)
	}
	for value, want := range map[string]string{
		"9464":           `METRICS_ADDR must be a host and port such as 127.0.0.1:9464 or :9464, not "9464"`,
		"localhost":      `METRICS_ADDR must be a host and port`,
		"127.0.0.1:http": `METRICS_ADDR must be a host and port`,
		"127.0.0.1:0":    `METRICS_ADDR must be a host and port`,
		":70000":         `METRICS_ADDR must be a host and port`,
		"0.0.0.0:8080":   `METRICS_ADDR "0.0.0.0:8080" must not be the public port (PORT 8080)`,
	} {
		t.Setenv("METRICS_ADDR", value)
		if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("METRICS_ADDR=%s: error %v; want one saying %q", value, err, want)
		}
	}
}

func TestTemporalUIURLConfig(t *testing.T) {
	c, err := LoadConfig()
	if err != nil || c.TemporalUIURL != "" {
		t.Fatalf("unset: TemporalUIURL %q, %v; want none", c.TemporalUIURL, err)
	}
	for value, want := range map[string]string{
		"http://localhost:8233":                    "http://localhost:8233",
		"https://temporal.example.org/ui/":         "https://temporal.example.org/ui",
		"https://temporal.example.org:8443/tenant": "https://temporal.example.org:8443/tenant",
	} {
		t.Setenv("TEMPORAL_UI_URL", value)
		if c, err := LoadConfig(); err != nil || c.TemporalUIURL != want {
			t.Errorf("TEMPORAL_UI_URL=%q: %q, %v; want %q", value, c.TemporalUIURL, err, want)
		}
	}
	for _, value := range []string{"localhost:8233", "ftp://temporal.example.org", "https://", "https://temporal.example.org/?ns=x",
		"https://temporal.example.org/#x", "https://user:pw@temporal.example.org", "http://[::1"} {
		t.Setenv("TEMPORAL_UI_URL", value)
		if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), "TEMPORAL_UI_URL must be the Temporal Web UI's address") {
			t.Errorf("TEMPORAL_UI_URL=%q: error %v; want one naming the variable and the reason", value, err)
		}
	}
}

func TestLimitsConfig(t *testing.T) {
	key := "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=" // 32 bytes
	old := "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
	t.Setenv("CSRF_KEY", key)
	t.Setenv("CSRF_PREVIOUS_KEY", old)
	t.Setenv("STEP_TIMEOUT", "45s")
	t.Setenv("QUOTA_DRAFTS_PER_ORGANISATION", "5")
	t.Setenv("QUOTA_UPLOAD_BYTES_PER_ORGANISATION", "1048576")
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.CSRFKey) != 32 || c.CSRFKey[0] != 1 || len(c.CSRFPreviousKey) != 32 || c.CSRFPreviousKey[0] != 2 || c.RequireCSRFKey() != nil ||
		c.StepTimeout != 45*time.Second || c.Quotas.DraftsPerOrganisation != 5 || c.Quotas.UploadBytesPerOrganisation != 1<<20 {
		t.Errorf("config %+v %+v %s", c.Quotas, c.StepTimeout, c.CSRFKey)
	}

	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"key not base64":          {map[string]string{"CSRF_KEY": "not base64!"}, "CSRF_KEY must be at least 32 random bytes in base64"},
		"key too short":           {map[string]string{"CSRF_KEY": "AQEBAQ=="}, "CSRF_KEY must be at least 32"},
		"previous key too short":  {map[string]string{"CSRF_PREVIOUS_KEY": "AQEBAQ=="}, "CSRF_PREVIOUS_KEY must be at least 32"},
		"previous without key":    {map[string]string{"CSRF_KEY": ""}, "CSRF_PREVIOUS_KEY is set but CSRF_KEY is not"},
		"step timeout not a time": {map[string]string{"STEP_TIMEOUT": "soon"}, "STEP_TIMEOUT must be a duration"},
		"step timeout past write": {map[string]string{"STEP_TIMEOUT": "5m"}, "STEP_TIMEOUT (5m0s) must be shorter than HTTP_WRITE_TIMEOUT"},
		"draft quota zero":        {map[string]string{"QUOTA_DRAFTS_PER_ORGANISATION": "0"}, "QUOTA_DRAFTS_PER_ORGANISATION must be a whole number above zero"},
		"upload quota in words":   {map[string]string{"QUOTA_UPLOAD_BYTES_PER_ORGANISATION": "200MB"}, "QUOTA_UPLOAD_BYTES_PER_ORGANISATION must be a whole number"},
	} {
		t.Run(name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadConfig error %v; want one saying %q", err, tc.want)
			}
		})
	}

	// Unset: the defaults, and no key, which production refuses to serve with.
	for _, name := range []string{"CSRF_KEY", "CSRF_PREVIOUS_KEY", "STEP_TIMEOUT", "QUOTA_DRAFTS_PER_ORGANISATION", "QUOTA_UPLOAD_BYTES_PER_ORGANISATION"} {
		t.Setenv(name, "")
	}
	if c, err = LoadConfig(); err != nil {
		t.Fatal(err)
	}
	if c.StepTimeout != 20*time.Second || c.Quotas.DraftsPerOrganisation != DefaultDraftQuota || c.Quotas.UploadBytesPerOrganisation != DefaultUploadBytesQuota {
		t.Errorf("defaults %s %+v", c.StepTimeout, c.Quotas)
	}
	if err := c.RequireCSRFKey(); !errors.Is(err, ErrNoCSRFKey) || !strings.Contains(err.Error(), "openssl rand -base64 32") {
		t.Errorf("no CSRF_KEY: %v", err)
	}
}

func TestTemporalPersistenceConfig(t *testing.T) {
	for value, want := range map[string]string{"": PersistenceSQLite, "sqlite": PersistenceSQLite, "postgres": PersistencePostgres} {
		t.Setenv("TEMPORAL_PERSISTENCE", value)
		c, err := LoadConfig()
		if err != nil || c.TemporalPersistence != want {
			t.Errorf("TEMPORAL_PERSISTENCE=%q: %q, %v; want %q", value, c.TemporalPersistence, err, want)
		}
	}
	for _, value := range []string{"postgresql", "SQLite", "mysql"} {
		t.Setenv("TEMPORAL_PERSISTENCE", value)
		want := `TEMPORAL_PERSISTENCE must be sqlite or postgres, not "` + value + `"`
		if _, err := LoadConfig(); err == nil || err.Error() != want {
			t.Errorf("TEMPORAL_PERSISTENCE=%q: %v; want %q", value, err, want)
		}
	}
}
