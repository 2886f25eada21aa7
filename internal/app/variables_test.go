package app

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
)

// ConfigVariables is what the deployment files are checked against, so it must be exactly the
// variables this package reads: any call here whose first argument is an upper-case name
// (env("PORT", ...), os.Getenv, positiveDuration, ...) reads one.
func TestConfigVariablesAreTheOnesRead(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\b[A-Za-z_][A-Za-z0-9_.]*\("([A-Z][A-Z0-9_]*)"`)
	read := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			read[m[1]] = true
		}
	}
	if len(read) < 20 {
		t.Fatalf("found only %d variables read; the pattern has drifted from the code", len(read))
	}
	for name := range read {
		if !slices.Contains(ConfigVariables, name) {
			t.Errorf("%s is read but not in ConfigVariables", name)
		}
	}
	for _, name := range ConfigVariables {
		if !read[name] {
			t.Errorf("ConfigVariables lists %s, which nothing here reads", name)
		}
	}
	for _, name := range ProductionVariables {
		if !slices.Contains(ConfigVariables, name) {
			t.Errorf("ProductionVariables lists %s, which is not a configuration variable", name)
		}
	}
}

func TestWorkerConfig(t *testing.T) {
	for _, name := range []string{"WORKER_MAX_CONCURRENT_ACTIVITIES", "WORKER_MAX_CONCURRENT_WORKFLOW_TASKS",
		"WORKER_ACTIVITY_POLLERS", "WORKER_WORKFLOW_POLLERS", "WORKER_STOP_TIMEOUT"} {
		t.Setenv(name, "")
	}
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.Worker != (WorkerConfig{StopTimeout: 30 * time.Second}) {
		t.Errorf("defaults %+v; want the SDK's counts and a 30s drain", c.Worker)
	}

	t.Setenv("WORKER_MAX_CONCURRENT_ACTIVITIES", "50")
	t.Setenv("WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", "20")
	t.Setenv("WORKER_ACTIVITY_POLLERS", "4")
	t.Setenv("WORKER_WORKFLOW_POLLERS", "3")
	t.Setenv("WORKER_STOP_TIMEOUT", "2m")
	if c, err = LoadConfig(); err != nil {
		t.Fatal(err)
	}
	want := WorkerConfig{MaxConcurrentActivities: 50, MaxConcurrentWorkflowTasks: 20, ActivityPollers: 4, WorkflowPollers: 3, StopTimeout: 2 * time.Minute}
	if c.Worker != want {
		t.Errorf("worker config %+v; want %+v", c.Worker, want)
	}
	o := WorkerOptions(c.Worker, nil)
	if o.MaxConcurrentActivityExecutionSize != 50 || o.MaxConcurrentWorkflowTaskExecutionSize != 20 ||
		o.MaxConcurrentActivityTaskPollers != 4 || o.WorkerStopTimeout != 2*time.Minute ||
		!reflect.DeepEqual(o.WorkflowTaskPollerBehavior, worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{MaximumNumberOfPollers: 3})) {
		t.Errorf("worker options %+v do not carry %+v", o, c.Worker)
	}

	for name, tc := range map[string]struct{ name, value, want string }{
		"activities zero":        {"WORKER_MAX_CONCURRENT_ACTIVITIES", "0", "WORKER_MAX_CONCURRENT_ACTIVITIES must be a whole number of at least 1"},
		"activities words":       {"WORKER_MAX_CONCURRENT_ACTIVITIES", "many", "WORKER_MAX_CONCURRENT_ACTIVITIES must be a whole number"},
		"workflow tasks one":     {"WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", "1", "WORKER_MAX_CONCURRENT_WORKFLOW_TASKS must be a whole number of at least 2 (the Temporal SDK refuses 1"},
		"activity pollers minus": {"WORKER_ACTIVITY_POLLERS", "-2", "WORKER_ACTIVITY_POLLERS must be a whole number of at least 1"},
		"workflow pollers one":   {"WORKER_WORKFLOW_POLLERS", "1", "WORKER_WORKFLOW_POLLERS must be a whole number of at least 2"},
		"stop timeout bare":      {"WORKER_STOP_TIMEOUT", "30", `WORKER_STOP_TIMEOUT must be a duration such as 30s, not "30"`},
		"stop timeout negative":  {"WORKER_STOP_TIMEOUT", "-5s", "WORKER_STOP_TIMEOUT must be a duration"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(tc.name, tc.value)
			if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadConfig error %v; want one saying %q", err, tc.want)
			}
		})
	}
}
