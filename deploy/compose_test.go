// Package deploy_test checks the deployment files against the application, so they cannot rot
// unseen: docker-compose.yml through compose-go (the loader Docker Compose itself uses; no Docker
// needed) and the Kubernetes manifests through the API's typed structs.
package deploy_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"grantflow/internal/app"
)

// knownVariable reports whether LoadConfig reads name.
func knownVariable(name string) bool { return slices.Contains(app.ConfigVariables, name) }

// composeSecrets are what an operator puts in .env; compose refuses to start without them.
var composeSecrets = map[string]string{
	"POSTGRES_PASSWORD":        "9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60",
	"GRANTFLOW_OWNER_PASSWORD": "0a9b8c7d6e5f40312233445566778899",
	"GRANTFLOW_APP_PASSWORD":   "1b2c3d4e5f60718293a4b5c6d7e8f901",
	"CSRF_KEY":                 "q83vEjRWeJq7zN4xK1mYc2VhZ3Jhbn0mZmxvdyEhISE=",
}

func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	var pairs []string
	for k, v := range env {
		pairs = append(pairs, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"},
		cli.WithWorkingDirectory(".."), cli.WithEnv(pairs), cli.WithConsistency(true))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// goModVersion is the version go.mod requires of module.
func goModVersion(t *testing.T, module string) string {
	t.Helper()
	src, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(module) + `\s+v(\S+)`).FindSubmatch(src)
	if m == nil {
		t.Fatalf("go.mod does not require %s", module)
	}
	return string(m[1])
}

// ours are the services that run the grantflow image.
var ours = []string{"migrate", "grantflow", "grantflow-worker"}

// oneShot are the jobs that run to completion; every other service runs for good and has a health check.
var oneShot = []string{"temporal-schema", "temporal-namespace", "migrate"}

func TestComposeFile(t *testing.T) {
	if _, err := loadCompose(t, nil); err == nil || !strings.Contains(err.Error(), "GRANTFLOW_APP_PASSWORD") && !strings.Contains(err.Error(), "POSTGRES_PASSWORD") {
		t.Errorf("loading without the secrets: %v; want a refusal naming the missing one", err)
	}
	p, err := loadCompose(t, composeSecrets)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"grantflow", "grantflow-worker", "mailpit", "migrate", "postgres", "temporal", "temporal-namespace", "temporal-schema", "temporal-ui"}
	if got := p.ServiceNames(); !slices.Equal(sortedCopy(got), want) {
		t.Fatalf("services %v; want %v", sortedCopy(got), want)
	}

	t.Run("images", func(t *testing.T) {
		server, ui := goModVersion(t, "go.temporal.io/server"), goModVersion(t, "github.com/temporalio/ui-server/v2")
		for name, s := range p.Services {
			repo, tag, ok := strings.Cut(s.Image, ":")
			switch {
			case !ok || tag == "" || tag == "latest":
				t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
			case strings.Contains(repo, "auto-setup"):
				t.Errorf("%s: %s is deprecated; set up the schema with admin-tools", name, s.Image)
			case (repo == "temporalio/server" || repo == "temporalio/admin-tools") && tag != server:
				t.Errorf("%s: %s does not match the Temporal server go.mod builds with (v%s)", name, s.Image, server)
			case repo == "temporalio/ui" && tag != ui:
				t.Errorf("%s: %s does not match the UI server go.mod builds with (v%s)", name, s.Image, ui)
			}
			if slices.Contains(ours, name) && (s.Build == nil || repo != "grantflow") {
				t.Errorf("%s: want the grantflow image built from this repository, got image %q build %v", name, s.Image, s.Build)
			}
		}
		if p.Services["temporal"].Image != "temporalio/server:"+server {
			t.Errorf("temporal runs %s; want temporalio/server:%s", p.Services["temporal"].Image, server)
		}
	})

	t.Run("health checks", func(t *testing.T) {
		for name, s := range p.Services {
			if slices.Contains(oneShot, name) {
				if s.Restart != "" && s.Restart != types.RestartPolicyNo {
					t.Errorf("%s is a one-shot job but restarts %q", name, s.Restart)
				}
				continue
			}
			if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) < 2 {
				t.Errorf("%s runs for good but has no health check", name)
			}
		}
		for _, name := range []string{"grantflow", "grantflow-worker"} {
			test := p.Services[name].HealthCheck.Test
			if !slices.Equal(test, types.HealthCheckTest{"CMD", "/grantflow", "probe", "readyz"}) {
				t.Errorf("%s health check %v; want the binary's own probe of /readyz (the image has no shell)", name, test)
			}
		}
		dockerfile, err := os.ReadFile("../Dockerfile")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(dockerfile), "COPY --from=build /out/grantflow /grantflow") {
			t.Error("the Dockerfile no longer puts the binary at /grantflow, where the health checks run it")
		}
	})

	t.Run("dependency order", func(t *testing.T) {
		wants := map[string]map[string]string{
			"temporal-schema":    {"postgres": types.ServiceConditionHealthy},
			"temporal":           {"temporal-schema": types.ServiceConditionCompletedSuccessfully},
			"temporal-namespace": {"temporal": types.ServiceConditionHealthy},
			"temporal-ui":        {"temporal": types.ServiceConditionHealthy},
			"migrate":            {"postgres": types.ServiceConditionHealthy},
		}
		for _, name := range []string{"grantflow", "grantflow-worker"} {
			wants[name] = map[string]string{
				"migrate":            types.ServiceConditionCompletedSuccessfully,
				"temporal":           types.ServiceConditionHealthy,
				"temporal-namespace": types.ServiceConditionCompletedSuccessfully,
				"mailpit":            types.ServiceConditionHealthy,
			}
		}
		for name, want := range wants {
			got := p.Services[name].DependsOn
			for dep, cond := range want {
				if got[dep].Condition != cond {
					t.Errorf("%s waits for %s with %q; want %q", name, dep, got[dep].Condition, cond)
				}
			}
		}
		for name, s := range p.Services {
			for dep, d := range s.DependsOn {
				if d.Condition == types.ServiceConditionStarted {
					t.Errorf("%s waits only for %s to start: wait for it healthy or completed", name, dep)
				}
			}
		}
	})

	t.Run("networks and ports", func(t *testing.T) {
		published := map[string]string{}
		for name, s := range p.Services {
			for _, port := range s.Ports {
				if port.HostIP != "127.0.0.1" {
					t.Errorf("%s publishes %s on %q; only 127.0.0.1", name, port.Published, port.HostIP)
				}
				published[name] = port.Published
			}
		}
		want := map[string]string{"grantflow": "8080", "temporal-ui": "8233", "mailpit": "8025"}
		if !mapsEqual(published, want) {
			t.Errorf("published ports %v; want only %v", published, want)
		}
		for _, name := range []string{"postgres", "temporal", "temporal-schema", "temporal-namespace", "migrate", "grantflow-worker"} {
			s := p.Services[name]
			if len(s.Networks) == 0 {
				t.Errorf("%s is on the default network; want the private one", name)
			}
			for net := range s.Networks {
				if !p.Networks[net].Internal {
					t.Errorf("%s is on network %s, which is not internal", name, net)
				}
			}
		}
	})

	t.Run("mounted files exist", func(t *testing.T) {
		for name, s := range p.Services {
			for _, v := range s.Volumes {
				if v.Type != types.VolumeTypeBind {
					continue
				}
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s mounts %s: %v", name, v.Source, err)
				}
			}
		}
		roles := p.Services["postgres"].Volumes
		if !slices.ContainsFunc(roles, func(v types.ServiceVolumeConfig) bool {
			return strings.HasSuffix(v.Source, filepath.Join("deploy", "postgres", "roles.sql")) && strings.HasPrefix(v.Target, "/docker-entrypoint-initdb.d/")
		}) {
			t.Error("PostgreSQL does not run deploy/postgres/roles.sql when it initialises")
		}
	})

	t.Run("environment", func(t *testing.T) {
		for _, name := range ours {
			s := p.Services[name]
			for k, v := range s.Environment {
				if !knownVariable(k) {
					t.Errorf("%s sets %s, which the application does not read", name, k)
				}
				if v == nil || *v == "" {
					t.Errorf("%s sets %s empty", name, k)
				}
			}
			for _, k := range app.ProductionVariables {
				if v := s.Environment[k]; v == nil || *v == "" {
					t.Errorf("%s does not set %s, which production needs", name, k)
				}
			}
			if u := urlUser(t, s.Environment["DATABASE_URL"]); u != "grantflow_app" {
				t.Errorf("%s connects as %q; want grantflow_app", name, u)
			}
			// The values are what LoadConfig accepts, not just the right names.
			for k, v := range s.Environment {
				if slices.Contains(app.ConfigVariables, k) {
					t.Setenv(k, *v)
				}
			}
			cfg, err := app.LoadConfig()
			if err != nil {
				t.Errorf("%s: LoadConfig refuses its environment: %v", name, err)
			} else if err := cfg.Mail.RequireMail(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if u := urlUser(t, p.Services["migrate"].Environment["MIGRATE_DATABASE_URL"]); u != "grantflow_owner" {
			t.Errorf("migrate runs as %q; want the schema owner grantflow_owner", u)
		}
		for _, name := range []string{"grantflow", "grantflow-worker"} {
			if _, ok := p.Services[name].Environment["MIGRATE_DATABASE_URL"]; ok {
				t.Errorf("%s holds the schema owner's password; only migrate needs it", name)
			}
		}
	})

	t.Run("workers", func(t *testing.T) {
		w := p.Services["grantflow-worker"]
		if !slices.Equal(w.Command, types.ShellCommand{"worker"}) || w.Deploy == nil || w.Deploy.Replicas == nil || *w.Deploy.Replicas != 2 {
			t.Errorf("workers: command %v, deploy %+v; want two replicas of `grantflow worker`", w.Command, w.Deploy)
		}
		if len(w.Ports) != 0 {
			t.Error("workers publish a port; they answer only their own health checks")
		}
		stop, err := time.ParseDuration(*w.Environment["WORKER_STOP_TIMEOUT"])
		if err != nil {
			t.Fatalf("WORKER_STOP_TIMEOUT: %v", err)
		}
		if w.StopGracePeriod == nil || time.Duration(*w.StopGracePeriod) <= stop {
			t.Errorf("stop_grace_period %v must exceed WORKER_STOP_TIMEOUT %s, or Docker kills a draining worker", w.StopGracePeriod, stop)
		}
		if h := p.Services["grantflow"]; !slices.Equal(h.Command, types.ShellCommand{"http"}) {
			t.Errorf("the HTTP service runs %v; want `grantflow http`, with the workers on their own", h.Command)
		}
	})
}

func urlUser(t *testing.T, v *string) string {
	t.Helper()
	if v == nil {
		return ""
	}
	u, err := url.Parse(*v)
	if err != nil {
		t.Errorf("%q is not a URL: %v", *v, err)
		return ""
	}
	return u.User.Username()
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
